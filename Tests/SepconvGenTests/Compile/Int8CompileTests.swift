import Foundation
import Testing
@testable import SepconvGen

/// The emitted int8 C and Swift, compiled (`cc -std=c99 -Wall -Wextra
/// -Werror -pedantic`, `swiftc -O -swift-version 6 -warnings-as-errors`)
/// and run on random int8 layers: every output value must EQUAL the
/// interpreter's (TFLite's reference arithmetic), batch and streaming.
@Suite(.serialized)
struct Int8CompileTests {
    /// One layer to compile: its plan, input and the expected output; for a
    /// streaming case, the push sizes of item 0's frames (its batch function
    /// is checked too: the same file serves both).
    struct Case {
        var plan: LayerPlan
        var batch: Int
        var input: [Int]
        var expected: [Int]
        var pushes: [Int]?
    }

    /// 40 random layers in both modes where `full` stays small (else
    /// `loops` twice, not compiled twice), and 12 streaming layers with random push splits.
    static func cases() throws -> [Case] {
        var cases: [Case] = []
        for layer in Int8Layers.make(count: 40, seed: 8) {
            let loops = layer.plan(.loops, name: layer.spec.name + "_loops")
            let expected = try Int8Layers.reference(loops, layer.input, batch: layer.batch)
            cases.append(Case(plan: loops, batch: layer.batch, input: layer.input, expected: expected))
            let full = layer.plan(.full, name: layer.spec.name + "_full")
            if full.multiplyAdds <= 600 {
                cases.append(Case(plan: full, batch: layer.batch, input: layer.input, expected: expected))
            }
        }
        var rng = SplitMix64(seed: 88)
        for (index, layer) in Int8Layers.make(count: 12, seed: 9, streaming: true).enumerated() {
            let plan = layer.plan(index % 2 == 0 ? .loops : .full, name: layer.spec.name + "_stream")
            let expected = try Int8Layers.reference(plan, layer.input, batch: layer.batch)
            cases.append(Case(plan: plan, batch: layer.batch, input: layer.input, expected: expected,
                              pushes: Self.pushes(plan.inputSteps, atMost: 4, rng: &rng)))
        }
        return cases
    }

    /// `frames` split into pushes of 0 to `atMost` frames each, at random.
    static func pushes(_ frames: Int, atMost: Int, rng: inout SplitMix64) -> [Int] {
        var pushes: [Int] = [], left = frames
        while left > 0 {
            let count = min(left, Int.random(in: 0...atMost, using: &rng))
            pushes.append(count)
            left -= count
        }
        return pushes
    }

    @Test(arguments: TargetLanguage.allCases)
    func emittedCodeEqualsTheInterpreter(language: TargetLanguage) throws {
        let cases = try Self.cases()
        #expect(cases.count >= 52)
        try Self.check(cases, in: language, against: "the interpreter")
    }

    /// The C path for cores with the DSP extension (`__smlad`, `__sxtb16`,
    /// `__ssat`) on a Cortex-M4 (`qemu-system-arm -M mps2-an386`), and the
    /// plain path on a Cortex-M3 (`mps2-an385`): every value equal to the interpreter's.
    @Test(arguments: [("cortex-m4", true), ("cortex-m3", false)])
    func cortexMPathsEqualTheInterpreter(core: String, dsp: Bool) throws {
        let target = core == "cortex-m4" ? CrossHarness.Target.cortexM4F : CrossHarness.Target.cortexM3
        guard CrossTargetCompileTests.available(target.missingTools, "int8 on \(target.name)") else { return }
        let cases = try Self.cases()
        let loops = try #require(cases.first { $0.plan.unroll.c == .loops && $0.plan.depthwiseChannels >= QuantizedPlan.dualGroup })
        #expect(Generator.files(for: loops.plan, languages: [.c]).contains { $0.contents.contains("__smlad(") })
        try Self.check(cases, in: .c, against: "the interpreter", on: (target, dsp))
    }

    /// A C build of the int8 cases other than the host's plain one: the
    /// compiler (a name on PATH), its flags for every compile and link, the
    /// link's extra arguments, the emulator (empty: run natively), and the
    /// preprocessor condition that must hold where the kernels are compiled
    /// (the path they must take).
    struct CBuild {
        var name: String
        var compiler: String
        var flags: [String]
        var linkFlags: [String] = []
        var runner: [String] = []
        var takes: String
        /// Whether the emitted files are compiled as one translation unit that
        /// includes them all (each file's names are the layer's own): the
        /// intrinsics' headers, most of a small kernel's compile time, parsed once.
        var unity = false

        /// `target` (Cortex-M), on the DSP path or (`dsp` false) not.
        static func cortexM(_ target: CrossHarness.Target, dsp: Bool) -> CBuild {
            CBuild(name: target.name, compiler: target.compiler, flags: target.flags, linkFlags: target.linkFlags, runner: target.runner,
                   takes: (dsp ? "" : "!") + "(" + VectorGuard.armDSP.cCondition + ")")
        }

        /// This host's `compiler` for `-march=march`, or for AArch64 Linux under
        /// qemu-aarch64 (`CrossHarness.Target.aarch64`): both on their vector path.
        static func vector(_ compiler: String, march: String) -> CBuild {
            CBuild(name: "\(compiler) -march=\(march)", compiler: compiler, flags: ["-march=\(march)"], takes: VectorGuard.x86AVX2.cCondition, unity: true)
        }
        static let aarch64 = CBuild(name: "aarch64", compiler: CrossHarness.Target.aarch64.compiler, flags: CrossHarness.Target.aarch64.flags,
                                    runner: CrossHarness.Target.aarch64.runner, takes: VectorGuard.aarch64NEON.cCondition, unity: true)

        /// The tools it needs that are not on PATH.
        var missingTools: [String] { ([compiler] + runner.prefix(1)).filter { Tools.find($0) == nil } }
    }

    /// Compiles every case's emitted code in `language` into one program, runs it, and
    /// expects each case's output to equal its `expected` values (`source` names them).
    /// With `target` (C, a Cortex-M: `CBuild.cortexM`) or `build`, the program is built
    /// so and run natively or in its emulator, and must take the path the build says.
    static func check(_ cases: [Case], in language: TargetLanguage, against source: String,
                      on target: (CrossHarness.Target, dsp: Bool)? = nil, build other: CBuild? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-int8-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for file in cases.flatMap({ Generator.files(for: $0.plan, languages: [language]) }) {
            try file.contents.write(to: work.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
        }
        let cross = target.map { CBuild.cortexM($0.0, dsp: $0.dsp) } ?? other
        let build: Tools.Result
        switch language {
        case .c:
            // Which path the kernels take, checked where they are compiled.
            let probe = cross.map { ["#if !(\($0.takes))", "#error \"not the expected int8 path\"", "#endif"] } ?? []
            try (probe.joined(separator: "\n") + "\n" + Self.cDriver(cases)).write(to: work.appendingPathComponent("main_c.c"), atomically: true, encoding: .utf8)
            let cc = try #require(Tools.find(cross?.compiler ?? "cc"))
            var sources = cases.map { $0.plan.name + ".c" } + ["main_c.c"]
            if cross?.unity == true {
                try sources.dropLast().map { "#include \"\($0)\"" }.joined(separator: "\n").appending("\n")
                    .write(to: work.appendingPathComponent("all.c"), atomically: true, encoding: .utf8)
                sources = ["all.c", "main_c.c"]
            }
            if let cross {
                // The emitted files strictly; a Cortex-M board's startup file (not pedantic C) as the cross harness links it.
                let compile = Tools.run(cc, CrossHarness.strictFlags + cross.flags + ["-c"] + sources, in: work)
                build = compile.status != 0 ? compile
                    : Tools.run(cc, ["-std=c99", "-O1"] + cross.flags + cross.linkFlags + sources.map { String($0.dropLast(2)) + ".o" }
                                + ["-lm", "-o", "int8"], in: work)
            } else {
                build = Tools.run(cc, ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-o", "int8"] + sources, in: work)
            }
        case .swift:
            try FileManager.default.createDirectory(at: work.appendingPathComponent("swift"), withIntermediateDirectories: true)
            try Self.swiftDriver(cases).write(to: work.appendingPathComponent("swift/main.swift"), atomically: true, encoding: .utf8)
            let swiftc = try #require(Tools.find("swiftc"))
            build = Tools.run(swiftc, ["-O", "-wmo", "-num-threads", "1", "-swift-version", "6", "-warnings-as-errors", "-o", "int8"]
                              + cases.map { $0.plan.name + ".swift" } + ["swift/main.swift"], in: work)
        }
        #expect(build.status == 0, "\(language.rawValue): \(Tools.tail(build.stderr, lines: 40))", sourceLocation: sourceLocation)
        guard build.status == 0 else { return }

        let program = work.appendingPathComponent("int8").path
        let run: Tools.Result
        if language == .swift {
            try Self.inputLines(cases).write(to: work.appendingPathComponent("inputs.txt"), atomically: true, encoding: .utf8)
            run = Tools.run("/bin/sh", ["-c", "./int8 < inputs.txt"], in: work)
        } else {
            let runner = cross.map { ["timeout", "600"] + $0.runner + [program] } ?? [program]
            run = Tools.run(Tools.find(runner[0]) ?? runner[0], Array(runner.dropFirst()), in: work)
        }
        #expect(run.status == 0, "exited \(run.status): \(Tools.tail(run.stderr))", sourceLocation: sourceLocation)
        var printed: [String: [Int]] = [:]
        for line in run.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let name = fields.first else { continue }
            printed[String(name)] = fields.dropFirst().compactMap { Int($0) }
        }
        for c in cases {
            #expect(printed[c.plan.name] == c.expected,
                    "\(language.rawValue) \(c.plan.name) (\(c.plan.unroll[language].rawValue)) differs from \(source)", sourceLocation: sourceLocation)
            if let pushes = c.pushes {
                #expect(printed[c.plan.name + ".stream"] == Array(c.expected.prefix(c.plan.outputSize)),
                        "\(language.rawValue) \(c.plan.name) (\(c.plan.unroll[language].rawValue), streamed in pushes \(pushes)) differs from \(source)",
                        sourceLocation: sourceLocation)
            }
        }
    }

    /// The C array literal of `values`.
    static func literal(_ values: [Int]) -> String { "{" + (values.isEmpty ? "0" : values.map(String.init).joined(separator: ", ")) + "}" }

    /// A C program that runs every case and prints `name v v v ...` per case.
    static func cDriver(_ cases: [Case]) -> String {
        var lines = ["#include <stdio.h>", "#include <stdint.h>"] + cases.map { "#include \"\($0.plan.name).h\"" }
        lines.append("static void print(const char *name, const int8_t *v, size_t n)")
        lines.append("{ size_t i; printf(\"%s\", name); for (i = 0; i < n; ++i) printf(\" %d\", v[i]); printf(\"\\n\"); }")
        lines.append("int main(void)")
        lines.append("{")
        for (index, c) in cases.enumerated() {
            let n = c.plan.name
            lines.append("    {")
            lines.append("        static const int8_t x[] = \(literal(c.input));")
            lines.append("        int8_t b[\(max(1, c.batch * c.plan.outputSize))];")
            lines.append("        \(n)(x, b, \(c.batch));")
            lines.append("        print(\"\(n)\", b, \(c.batch * c.plan.outputSize));")
            if let pushes = c.pushes {
                let C = c.plan.inputChannels
                lines.append("        static \(n)_stream state;")
                lines.append("        int8_t y[\(c.plan.outputSize + 64 * c.plan.outputChannels)];")
                lines.append("        size_t written = 0, used = 0;")
                lines.append("        \(n)_stream_reset(&state);")
                for count in pushes {
                    lines.append("        written += \(n)_stream_push(&state, x + used * \(C), \(count), y + written * \(c.plan.outputChannels)); used += \(count);")
                }
                lines.append("        written += \(n)_stream_flush(&state, y + written * \(c.plan.outputChannels));")
                lines.append("        print(\"\(n).stream\", y, written * \(c.plan.outputChannels));")
            }
            lines.append("    } /* case \(index) */")
        }
        lines.append("    return 0;")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line per case, `name v v v ...`: the inputs the Swift driver reads
    /// from its standard input (as array literals, swiftc -O would spend a
    /// CPU-second per 1,000 values on them).
    static func inputLines(_ cases: [Case]) -> String {
        cases.map { ([$0.plan.name] + $0.input.map(String.init)).joined(separator: " ") + "\n" }.joined()
    }

    /// The Swift program that does what `cDriver`'s does, its inputs read as `inputLines`.
    static func swiftDriver(_ cases: [Case]) -> String {
        var lines = [
            "func show(_ name: String, _ v: [Int8]) { print(([name] + v.map { String($0) }).joined(separator: \" \")) }",
            "var inputs: [Substring: [Int8]] = [:]",
            "while let line = readLine() {",
            "    let fields = line.split(separator: \" \")",
            "    if let name = fields.first { inputs[name] = fields.dropFirst().compactMap { Int8($0) } }",
            "}",
        ]
        for c in cases {
            let type = Identifier.swiftTypeName(c.plan.name)
            let array = "inputs[\"\(c.plan.name)\", default: []]"
            lines.append("show(\"\(c.plan.name)\", \(type).forward(\(array), batch: \(c.batch)))")
            if let pushes = c.pushes {
                let C = c.plan.inputChannels
                lines.append("do {")
                lines.append("    let x: [Int8] = \(array)")
                lines.append("    var stream = \(type).Stream()")
                lines.append("    var y: [Int8] = []")
                var used = 0
                for count in pushes {
                    lines.append("    y += stream.push(Array(x[\(used * C) ..< \((used + count) * C)]))")
                    used += count
                }
                lines.append("    y += stream.flush()")
                lines.append("    show(\"\(c.plan.name).stream\", y)")
                lines.append("}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
