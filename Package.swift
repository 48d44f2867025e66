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
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .target(
            name: "SepconvTemplates",
            path: "Templates",
            resources: [
                .embedInCode("c_header.h.template"),
                .embedInCode("c_source.c.template"),
                .embedInCode("swift_source.swift.template"),
                .embedInCode("stream_h.h.template"),
                .embedInCode("stream_state.h.template"),
                .embedInCode("stream_c.c.template"),
                .embedInCode("stream_swift.swift.template"),
            ]
        ),
        // Keras 3's weight initializers, bit-exact with its JAX backend: used
        // only when a spec gives no weights, so kept out of the core.
        .target(name: "KerasInitializers"),
        .target(
            name: "SepconvGen",
            dependencies: ["CYAML", "CHDF5", "SepconvTemplates", "KerasInitializers",
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")]
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
            dependencies: ["SepconvGen", "KerasInitializers", "sepconv-gen"],
            exclude: ["Fixtures", "Golden"]
        ),
    ]
)
