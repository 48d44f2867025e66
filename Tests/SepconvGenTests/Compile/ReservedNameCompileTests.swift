import Foundation
import Testing
@testable import SepconvGen

/// Issue 19, point 7, compiled: the names the C library declares do break code
/// that includes its headers beside the generated header (so refusing them is
/// needed), and the names `import` makes of them compile, C with every standard
/// header and Swift with `streaming: true`.
@Suite struct ReservedNameCompileTests {
    static let headers = ["stdio.h", "stdlib.h", "string.h", "limits.h", "float.h", "stdint.h", "math.h", "ctype.h"]

    /// Generates `name` (streaming) into `scratch/out` and compiles a C file that includes every
    /// standard header, then the generated one, in C99 and in the compiler's default (GNU) mode.
    static func compileC(_ name: String, in scratch: ScratchFolder) throws -> [Tools.Result] {
        let spec = try scratch.write("\(name).yaml", "name: \(name)\ninput: {steps: 6, channels: 2}\nlayer: {filters: 3, kernel_size: 2}\nstreaming: true\n")
        let generated = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(generated.status == 0, "\(generated)")
        let includes = headers.map { "#include <\($0)>\n" }.joined()
        try scratch.write("out/main.c", "\(includes)#include \"\(name).h\"\nint main(void) { return 0; }\n")
        guard let cc = Tools.find("cc") else { return [] }
        return ["-std=c99", "-std=gnu11"].map { standard in
            Tools.run(cc, [standard, "-Wall", "-Werror", "-c", "main.c", "\(name).c"], in: scratch.url.appendingPathComponent("out"))
        }
    }

    /// What the old tool accepted breaks the build: a layer named `abs` (or `EOF`) beside `<stdlib.h>` (`<stdio.h>`).
    @Test(arguments: ["abs", "EOF"])
    func libraryNamesWouldNotCompile(_ name: String) throws {
        let scratch = try ScratchFolder()
        guard let cc = Tools.find("cc") else { return }
        // The declarations the generated header makes for a layer called `name`, as the old tool wrote them.
        try scratch.write("main.c", "#include <stdio.h>\n#include <stdlib.h>\nvoid \(name)(const float *input, float *output, size_t batch);\n")
        #expect(Tools.run(cc, ["-std=c99", "-c", "main.c"], in: scratch.url).status != 0)
    }

    /// The names `import` gives such layers compile, with every standard header included.
    @Test(arguments: ["printf", "EOF", "INT_MAX", "j0", "stdin", "stream"])
    func importedNamesCompile(_ layer: String) throws {
        let name = ModelImport.validName(layer)
        #expect(name != layer)
        let scratch = try ScratchFolder()
        for result in try Self.compileC(name, in: scratch) {
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    /// `streaming: true` with a name next to the streaming types' names type-checks in Swift.
    @Test func streamingSwiftTypeChecks() throws {
        let scratch = try ScratchFolder()
        guard let swiftc = Tools.find("swiftc") else { return }
        let spec = try scratch.write("s.yaml", "name: layer_stream\ninput: {steps: 6, channels: 2}\nlayer: {filters: 3, kernel_size: 2}\nstreaming: true\n")
        #expect(try CLIRunner.run([spec, "-o", scratch.path("out"), "--lang", "swift"]).status == 0)
        let result = Tools.run(swiftc, ["-typecheck", "-parse-as-library", "layer_stream.swift"], in: scratch.url.appendingPathComponent("out"))
        #expect(result.status == 0, "\(result.stderr)")
    }
}
