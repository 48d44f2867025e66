// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sepconv-gen",
    products: [
        .executable(name: "sepconv-gen", targets: ["sepconv-gen"]),
        .library(name: "SepconvGen", targets: ["SepconvGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "SepconvTemplates",
            path: "Templates",
            resources: [
                .embedInCode("c_header.h.template"),
                .embedInCode("c_source.c.template"),
                .embedInCode("swift_source.swift.template"),
                .embedInCode("stream_h.h.template"),
                .embedInCode("stream_c.c.template"),
                .embedInCode("stream_swift.swift.template"),
            ]
        ),
        .target(
            name: "SepconvGen",
            dependencies: ["CYAML", "SepconvTemplates"]
        ),
        .executableTarget(
            name: "sepconv-gen",
            dependencies: [
                "SepconvGen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SepconvGenTests",
            dependencies: ["SepconvGen", "sepconv-gen"],
            exclude: ["Fixtures", "Golden"]
        ),
    ]
)
