import Foundation
import Testing
@testable import SepconvGen

/// Every fixture network (whole models and sub-ranges, `.keras` and `.h5`), emitted in C
/// (strict C99) and Swift 6 (`-O`, warning-free), compiled, run, and compared with the
/// interpreter and with Keras.
@Suite struct NetworkCompileTests {
    struct Built {
        var name: String, dtype: DType, input: Tensor, keras: Tensor, reference: Tensor, origin: String
    }

    static func networks() throws -> [(NetworkCompiler.Compiled, Built)] {
        try NetworkTests.cases.filter(NetworkTests.compiles).enumerated().map { index, item in
            var text = NetworkTests.spec(item.model, first: item.first, last: item.last)
            text = text.replacingOccurrences(of: "name: net", with: "name: n\(index)")
            let compiled = try NetworkTests.compile(text)
            let input = try Fixtures.npy("networks/\(item.folder)/\(item.range)/input.npy").tensor
            let keras = try Fixtures.npy("networks/\(item.folder)/\(item.range)/output.npy").tensor
            let reference = try NetworkInterpreter.run(compiled.plan, input: input)
            return (compiled, Built(name: "n\(index)", dtype: compiled.plan.dtype, input: input, keras: keras,
                                    reference: reference, origin: item.description))
        }
    }

    static func bytes(_ tensor: Tensor, _ dtype: DType) -> Data {
        dtype == .float32 ? tensor.scalars.map { Float($0) }.withUnsafeBytes { Data($0) } : tensor.scalars.withUnsafeBytes { Data($0) }
    }

    static func values(_ data: Data, _ dtype: DType) -> [Double] {
        dtype == .float32 ? data.withUnsafeBytes { $0.bindMemory(to: Float.self).map(Double.init) } : data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    }

    /// Checks `<name>.out` in `folder` against the interpreter and Keras.
    static func check(_ built: [Built], in folder: URL, language: String) {
        for item in built {
            let data = (try? Data(contentsOf: folder.appendingPathComponent("\(item.name).out"))) ?? Data()
            let output = values(data, item.dtype)
            #expect(output.count == item.keras.scalars.count, "\(language) \(item.origin): \(output.count) values")
            let tolerance = (item.dtype == .float32 ? 1e-5 : 1e-8) * max(1, item.keras.scalars.map(\.magnitude).max() ?? 0)
            for (against, expected) in [("interpreter", item.reference.scalars), ("keras", item.keras.scalars)] {
                let error = zip(output, expected).map { ($0 - $1).magnitude }.max() ?? .infinity
                #expect(error <= tolerance, "\(language) \(item.origin) vs \(against): \(error) > \(tolerance)")
            }
        }
    }

    /// Builds `folder`'s program with `compiler` (its `arguments` and `-o program`), requiring no error
    /// and no warning, and runs it there.
    static func buildAndRun(_ compiler: String, _ arguments: [String], in folder: URL,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let build = Tools.run(compiler, arguments + ["-o", "program"], in: folder)
        try #require(build.status == 0, "\(build.stderr)", sourceLocation: sourceLocation)
        #expect(!build.stderr.contains("warning:"), "\(build.stderr)", sourceLocation: sourceLocation)
        let run = Tools.run(folder.appendingPathComponent("program").path, [], in: folder)
        try #require(run.status == 0, "\(run.stderr)", sourceLocation: sourceLocation)
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-networks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func emittedCMatchesTheInterpreterAndKeras() throws {
        let cc = try #require(Tools.find("cc"))
        let networks = try Self.networks()
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var main = ["#include <stdio.h>", "#include <stdlib.h>"]
        var body: [String] = []
        for (compiled, built) in networks {
            for file in try NetworkGenerator.files(for: compiled, languages: [.c]) {
                try file.contents.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
            }
            try Self.bytes(built.input, built.dtype).write(to: folder.appendingPathComponent("\(built.name).in"))
            let type = built.dtype == .float32 ? "float" : "double"
            let n = built.name
            main.append("#include \"\(n).h\"")
            body += ["    {", "        static \(type) x[\(built.input.shape[0]) * \(n)_INPUT_SIZE], y[\(built.input.shape[0]) * \(n)_OUTPUT_SIZE], w[\(n)_WORKSPACE_SIZE];",
                     "        FILE *f = fopen(\"\(n).in\", \"rb\");",
                     "        if (!f || fread(x, sizeof x, 1, f) != 1) return 1;",
                     "        fclose(f);",
                     "        \(n)(x, y, \(built.input.shape[0]), w);",
                     "        f = fopen(\"\(n).out\", \"wb\");",
                     "        if (!f || fwrite(y, sizeof y, 1, f) != 1) return 1;",
                     "        fclose(f);", "    }"]
        }
        main += ["int main(void)", "{"] + body + ["    return 0;", "}", ""]
        try main.joined(separator: "\n").write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let sources = networks.map { "\($0.1.name).c" } + ["main.c"]
        try Self.buildAndRun(cc, CompileSession.strictFlags + sources + ["-lm"], in: folder)
        Self.check(networks.map(\.1), in: folder, language: "C")
    }

    @Test func emittedSwiftMatchesTheInterpreterAndKeras() throws {
        let swiftc = try #require(Tools.find("swiftc"))
        // One model of each case keeps the Swift compile short, and of a channels_first case only the whole
        // model (its ranges hold the same kernels; NetworkStreamCompileTests streams ranges in Swift); C covers every range.
        let networks = try Self.networks().filter { $0.1.origin.contains(".keras") && (!$0.1.origin.contains("_cf.") || $0.1.origin.hasSuffix("start-end")) }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var main = ["import Foundation", ""]
        for (compiled, built) in networks {
            for file in try NetworkGenerator.files(for: compiled, languages: [.swift]) {
                try file.contents.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
            }
            try Self.bytes(built.input, built.dtype).write(to: folder.appendingPathComponent("\(built.name).in"))
            let type = built.dtype == .float32 ? "Float" : "Double"
            let swiftType = Identifier.swiftTypeName(built.name)
            main += ["do {",
                     "    let data = try Data(contentsOf: URL(fileURLWithPath: \"\(built.name).in\"))",
                     "    let x: [\(type)] = data.withUnsafeBytes { Array($0.bindMemory(to: \(type).self)) }",
                     "    let y = \(swiftType).forward(x, batch: \(built.input.shape[0]))",
                     "    try y.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: \"\(built.name).out\"))",
                     "} catch { exit(1) }"]
        }
        try main.joined(separator: "\n").write(to: folder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        let sources = networks.map { "\($0.1.name).swift" } + ["main.swift"]
        try Self.buildAndRun(swiftc, ["-O", "-swift-version", "6"] + sources, in: folder)
        Self.check(networks.map(\.1), in: folder, language: "Swift")
    }

    @Test func theHeaderHasSection8sMacros() throws {
        let (compiled, _) = try #require(try Self.networks().first { $0.1.origin.hasPrefix("kws.keras start-end") })
        let header = try #require(try NetworkGenerator.files(for: compiled, languages: [.c]).first { $0.name.hasSuffix(".h") })
        for macro in ["INPUT_STEPS     49", "INPUT_CHANNELS  10", "INPUT_SIZE", "OUTPUT_SIZE 6", "WORKSPACE_SIZE \(compiled.plan.workspace.size)"] {
            #expect(header.contents.contains("\(compiled.plan.name)_\(macro)"), "\(macro)")
        }
        #expect(header.contents.contains("void \(compiled.plan.name)(const float *input, float *output, size_t batch, float *workspace);"))
    }
}
