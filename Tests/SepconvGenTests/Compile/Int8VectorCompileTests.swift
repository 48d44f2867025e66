import Foundation
import Testing
@testable import SepconvGen

/// C's int8 vector paths (`QuantizedPlan.vectorTargets`): AVX2 on this host
/// (gcc and clang, `-march=native` and `-march=haswell`) and NEON on AArch64
/// (`aarch64-linux-gnu-gcc`, under qemu-aarch64). Each build links every
/// case into one program, must take the vector path (checked by the
/// preprocessor where the kernels are compiled), and every output value
/// must EQUAL TFLite's BUILTIN_REF output (the fixtures) or the
/// interpreter's (random layers, wide enough for whole vector blocks).
@Suite(.serialized)
struct Int8VectorCompileTests {
    /// The TFLite fixtures (`loops`, renamed `t...`), made once for every build.
    static let fixtures = Result {
        try TFLiteFixtureCompileTests.cases(.swift).filter { $0.pushes == nil }.map { fixture in
            var renamed = fixture
            renamed.plan.name = "t" + fixture.plan.name
            return renamed
        }
    }

    /// 16 random layers of 1-20 input channels and filters in `loops`, and 6
    /// streaming ones (the fixtures' streaming cases run the kernels of their
    /// `loops` cases), made once for every build.
    static let random = Result {
        var cases: [Int8CompileTests.Case] = []
        for layer in Int8Layers.make(count: 16, seed: 0x1_8EC, channels: 1...20, filters: 1...20, prefix: "v") {
            let plan = layer.plan(.loops, name: layer.spec.name)
            cases.append(Int8CompileTests.Case(plan: plan, batch: layer.batch, input: layer.input,
                                               expected: try Int8Layers.reference(plan, layer.input, batch: layer.batch)))
        }
        var rng = SplitMix64(seed: 0x5_8EC)
        for layer in Int8Layers.make(count: 6, seed: 0x2_8EC, streaming: true, channels: 6...17, filters: 6...17, prefix: "s") {
            let plan = layer.plan(.loops, name: layer.spec.name)
            cases.append(Int8CompileTests.Case(plan: plan, batch: layer.batch, input: layer.input,
                                               expected: try Int8Layers.reference(plan, layer.input, batch: layer.batch),
                                               pushes: Int8CompileTests.pushes(plan.inputSteps, atMost: 4, rng: &rng)))
        }
        return cases
    }

    /// The builds: this host's compilers at both -march where the core has
    /// AVX2, and AArch64. The -march=haswell builds compile the same text as
    /// the native ones with other instruction selection: they run the random
    /// layers only, to keep the suite's CPU time down.
    static let builds: [Int8CompileTests.CBuild] = ["gcc", "clang"].flatMap { cc in ["native", "haswell"].map { Int8CompileTests.CBuild.vector(cc, march: $0) } }
        + [.aarch64]

    @Test(arguments: builds.map(\.name))
    func vectorPathEqualsTFLiteAndTheInterpreter(build name: String) throws {
        let build = try #require(Self.builds.first { $0.name == name })
        guard CrossTargetCompileTests.available(build.missingTools, "int8 vector path, \(name)") else { return }
        if build.runner.isEmpty, !Self.hostHasAVX2() {
            print("note: int8 vector path, \(name): this host has no AVX2; skipped")
            return
        }
        let cases = (build.flags.contains("-march=haswell") ? [] : try Self.fixtures.get()) + (try Self.random.get())
        // Whole vector blocks of both stages, requantized by vectors, and the rest one by one, all appear.
        let plans = cases.compactMap { $0.plan.quantized }
        #expect(plans.contains { $0.vectorRequantizes.depthwise } && plans.contains { $0.vectorRequantizes.pointwise })
        #expect(plans.contains { $0.channels >= QuantizedPlan.vectorTile && $0.depthMultiplier > 1 })
        try Int8CompileTests.check(cases, in: .c, against: "TFLite's BUILTIN_REF output or the interpreter", build: build)
    }

    /// The vector multiply-adds are in the object code with the compilers'
    /// auto-vectorisers off: the path is the intrinsics', not the optimiser's.
    @Test(arguments: [("gcc", "haswell"), ("clang", "haswell"), ("aarch64-linux-gnu-gcc", "armv8-a")])
    func vectorPathUsesTheVectorUnit(compiler: String, march: String) throws {
        let aarch64 = compiler.hasPrefix("aarch64")
        let objdump = aarch64 ? "aarch64-linux-gnu-objdump" : "objdump"
        guard CrossTargetCompileTests.available([compiler, objdump].filter { Tools.find($0) == nil }, "int8 vector disassembly, \(compiler)") else { return }
        let layer = try #require(Int8Layers.make(count: 1, seed: 0x3_8EC, channels: 16...16, filters: 16...16, prefix: "d").first)
        let plan = layer.plan(.loops, name: "dis")
        let q = try #require(plan.quantized)
        #expect(q.vectorRequantizes.pointwise)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-int8-dis-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for file in Generator.files(for: plan, languages: [.c]) {
            try file.contents.write(to: work.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
        }
        let noVectorizer = compiler == "clang" ? ["-fno-vectorize", "-fno-slp-vectorize"] : ["-fno-tree-vectorize", "-fno-tree-slp-vectorize"]
        let compile = Tools.run(try #require(Tools.find(compiler)), CrossHarness.strictFlags + ["-march=\(march)"] + noVectorizer + ["-c", "dis.c", "-o", "k.o"], in: work)
        #expect(compile.status == 0, "\(Tools.tail(compile.stderr))")
        guard compile.status == 0 else { return }
        let listing = Tools.run(try #require(Tools.find(objdump)), ["-d", "k.o"], in: work).stdout
        // x86: pointwise pairs, depthwise products, requantization's 64-bit products; AArch64: the widening
        // multiply-adds (gcc fuses requantization's products and adds into them too) and its per-lane shifts.
        let wanted = aarch64 ? ["smlal\t", "smlal2\t", "sshl\t"] : ["vpmaddwd", "vpmulld", "vpmuldq"]
        for mnemonic in wanted {
            #expect(listing.contains(mnemonic), "\(compiler) -march=\(march) without auto-vectorisation: no \(mnemonic) in the int8 kernel")
        }
    }

    /// Whether this host's C compiler sees AVX2 at -march=native.
    static func hostHasAVX2() -> Bool {
        guard let cc = Tools.find("cc") else { return false }
        return Tools.run(cc, ["-march=native", "-dM", "-E", "-x", "c", "/dev/null"], in: FileManager.default.temporaryDirectory).stdout.contains("__AVX2__")
    }
}
