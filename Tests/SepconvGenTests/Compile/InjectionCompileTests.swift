import Foundation
import Testing
@testable import SepconvGen

/// The injection checks that need a compiler: code emitted from hostile
/// spec paths and from names like the emitters' own identifiers compiles
/// (`cc -std=c99 -Wall -Wextra -Werror -pedantic`, `swiftc -typecheck`).
@Suite struct InjectionCompileTests {
    /// Through the binary, from a spec whose own path holds `*/`, quotes and a
    /// newline: the files hold no part of the path, and the C still compiles.
    @Test(arguments: ["QZXJ40 */ \" ' dir", "QZXJ41\nnewline */ dir", "QZXJ42 \\ back ??/ slash"])
    func specPathDoesNotReachTheEmittedCode(_ folder: String) throws {
        let scratch = try ScratchFolder(prefix: "injection")
        let (yaml, files) = InjectionTests.markedSpec(weightFolder: "QZXJ22 */ dir")
        let spec = try scratch.write(folder + "/QZXJ43 \"spec\" ??=.yaml", yaml)
        for (name, bytes) in files { try scratch.write(folder + "/" + name, bytes) }
        // No --depfile: Make cannot name a path with a line break or '=' (ReliabilityTests checks that refusal).
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        let names = scratch.contents(of: "out")
        #expect(names == ["\(InjectionTests.name).c", "\(InjectionTests.name).h", "\(InjectionTests.name).swift"])
        var emitted: [OutputFile] = []
        for name in names {
            let data = try #require(FileManager.default.contents(atPath: scratch.path("out/" + name)))
            emitted.append(OutputFile(name: name, contents: String(decoding: data, as: UTF8.self)))
        }
        InjectionTests.check(emitted)
        try Self.compileC(in: scratch.url.appendingPathComponent("out"))
    }

    /// Names that equal identifiers the emitted code uses inside still give
    /// code that compiles (the emitter must not shadow or clash with them).
    @Test(arguments: ["input", "output", "batch", "item", "x", "y", "w", "b", "i", "j", "k", "acc", "sum", "value", "Tiny", "Forward"])
    func namesLikeTheEmittersOwnIdentifiersCompile(_ name: String) throws {
        let scratch = try ScratchFolder(prefix: "injection")
        let (yaml, files) = InjectionTests.markedSpec(weightFolder: "w")
        let spec = try scratch.write("spec.yaml", yaml.replacingOccurrences(of: "name: \(InjectionTests.name)", with: "name: \(name)"))
        for (file, bytes) in files { try scratch.write(file, bytes) }
        for unroll in UnrollRequest.allCases {
            let compiled = try SpecCompiler(unroll: unroll).compile(file: spec)
            let out = scratch.url.appendingPathComponent("out-\(unroll.rawValue)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            for file in Generator.files(for: compiled.plan, languages: [.c]) {
                try Data(file.contents.utf8).write(to: out.appendingPathComponent(file.name))
            }
            try Self.compileC(in: out)
            if unroll == .auto {
                for file in Generator.files(for: compiled.plan, languages: [.swift]) {
                    try Data(file.contents.utf8).write(to: out.appendingPathComponent(file.name))
                }
                try Self.typecheckSwift(in: out)
            }
        }
    }

    /// `name` on the PATH, or nil.
    static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first(where: FileManager.default.isExecutableFile(atPath:))
    }

    /// Type-checks every `.swift` in `folder` in Swift 6 mode with warnings as errors, when swiftc is installed.
    static func typecheckSwift(in folder: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let swiftc = tool("swiftc") else { return }
        let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        for source in sources {
            try Self.expectSuccess(swiftc, ["-typecheck", "-swift-version", "6", "-warnings-as-errors", source], in: folder,
                                   what: source, sourceLocation: sourceLocation)
        }
    }

    /// Runs `tool arguments` in `folder` and expects exit status 0.
    static func expectSuccess(_ tool: String, _ arguments: [String], in folder: URL, what: String, sourceLocation: SourceLocation) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(what): \(String(decoding: message, as: UTF8.self).prefix(2_000))",
                sourceLocation: sourceLocation)
    }

    /// Compiles every `.c` in `folder` with `cc -std=c99 -Wall -Wextra -Werror -pedantic`, when a C compiler is installed.
    static func compileC(in folder: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let cc = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first(where: FileManager.default.isExecutableFile(atPath:)) else { return }
        let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".c") }
        for source in sources {
            try expectSuccess(cc, ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", source], in: folder,
                              what: source, sourceLocation: sourceLocation)
        }
    }
}
