import Foundation
import Testing
@testable import SepconvGen

/// The emitted code off x86-64: compile-and-compare against the interpreter
/// (see `CrossHarness`) on the Keras fixtures, every spec in `Specs/` and a
/// sample of the seeded random layers, built for and run on
/// - AArch64 Linux (`aarch64-linux-gnu-gcc -O2 -static`, under `qemu-aarch64`;
///   the vector path lowers to NEON),
/// - Cortex-M4F (`arm-none-eabi-gcc -mcpu=cortex-m4 -mfloat-abi=hard
///   -mfpu=fpv4-sp-d16`, on `qemu-system-arm -M mps2-an386`),
/// - Cortex-M3, soft-float (`-mcpu=cortex-m3 -mfloat-abi=soft`, `-M mps2-an385`),
/// - RISC-V 64 with the V extension (`clang --target=riscv64-linux-gnu
///   -march=rv64gcv`, auto-vectorisation off, under `qemu-riscv64` with 128-
///   and 256-bit vector registers; the vector path lowers to RVV),
/// - POWER8 (`powerpc64le-linux-gnu-gcc -mcpu=power8`: AltiVec/VSX) and
///   MIPS64 with MSA (`mips64el-linux-gnuabi64-gcc -mmsa`), auto-vectorisation
///   off, on `Specs/` and the random sample, under qemu-user,
/// - WebAssembly SIMD128 (`clang --target=wasm32-wasi -msimd128`, auto-vectorisation
///   off, `Specs/` and the random sample) under Node's WASI,
/// - Cortex-M55 with Helium (`arm-none-eabi-gcc -mcpu=cortex-m55
///   -mfloat-abi=hard`, on `qemu-system-arm -M mps3-an547`; float32 kernels
///   take the Helium pointwise stage), with the layer gcc 12's scheduler
///   once miscompiled on Helium (`heliumMiscompileCase`),
/// each with the strict flags (`-std=c99 -Wall -Wextra -Werror -pedantic -O2`);
/// and the emitted Swift of every spec in `Specs/` as Embedded Swift for
/// `armv7em-none-none-eabi`, run on the M4 board.
///
/// `full` and `loops` kernels are built (`auto` emits, name aside, the same
/// files as one of them: `EmitterCompileTests` proves it); `full` kernels
/// only up to `fullBudget` multiply-adds (four times `auto`'s budget): the
/// larger ones cost a cross gcc up to a minute each (audio_cf's: 58 s) and
/// are compiled and compared on x86-64 by `EmitterCompileTests`.
/// A test whose tools are missing is skipped with the reason printed, unless
/// `SEPCONV_CROSS_REQUIRED=1` (set by `.ci/run`), which makes it a failure.
@Suite struct CrossTargetCompileTests {
    /// Random layers taken from `EmitterCompileTests`'s seeded draw.
    static let randomSample = 40
    static let modes: [UnrollRequest] = [.full, .loops]
    /// The largest `full` kernel (multiply-adds) built here.
    static let fullBudget = 4 * UnrollBudget.c
    static let required = ProcessInfo.processInfo.environment["SEPCONV_CROSS_REQUIRED"] == "1"

    @Test func aarch64Linux() async throws {
        try await check(.aarch64, flagsProbe: "__ARM_NEON")
    }

    @Test func cortexM4F() async throws {
        try await check(.cortexM4F, flagsProbe: "__ARM_FP")
    }

    @Test func cortexM3SoftFloat() async throws {
        try await check(.cortexM3, flagsProbe: nil)
    }

    @Test func cortexM55Helium() async throws {
        try await check(.cortexM55, flagsProbe: "__ARM_FEATURE_MVE")
    }

    @Test func cortexM55HeliumMiscompileLayer() async throws {
        try await check(.cortexM55, flagsProbe: nil, cases: [try Self.heliumMiscompileCase()])
    }

    /// 128 steps, 32 channels, depth multiplier 2, 64 filters, kernel 9,
    /// 'same', silu: with Helium added to the generic vector path's guard,
    /// gcc 12.2 at -O2 left 16 of its 8,192 outputs 0 (its first scheduling
    /// pass over 32-byte vectors split into MVE registers), which is why
    /// Helium has a stage of its own (`CHelium`); kept so a change that
    /// brings that code back to Helium is caught.
    static func heliumMiscompileCase() throws -> CompileHarness.Case {
        var rng = SplitMix64(seed: 55)
        let spec = RandomLayers.make(name: "helium_sched_loops", dtype: .float32, steps: 128, channels: 32, filters: 64, kernel: 9, strides: 1,
                                     padding: .same, dataFormat: .channelsLast, dilation: 1, depthMultiplier: 2, activation: .silu, useBias: true)
        let layer = RandomLayers.complete(spec, batch: 1, rng: &rng)
        let plan = Planner.plan(layer.spec, weights: layer.weights, unroll: .loops)
        return CompileHarness.Case(plan: plan, mode: .loops, group: "helium_sched", origin: "Helium miscompile (issue 22)", isRandom: false,
                                   batch: layer.batch, input: layer.input.scalars, reference: try Interpreter.run(plan, input: layer.input).scalars,
                                   keras: nil)
    }

    /// RVV code is vector-length agnostic: one build, run with 128- and 256-bit vector registers.
    @Test func riscv64Vector() async throws {
        try await check([.riscv64V(vlen: 128), .riscv64V(vlen: 256)], flagsProbe: "__riscv_vector", extraFlags: VectorISA.riscv64V.noAutoVectorisation)
    }

    @Test func ppc64leVSX() async throws {
        try await check(.ppc64leVSX, flagsProbe: "__VSX__", extraFlags: VectorISA.ppc64leVSX.noAutoVectorisation, cases: Self.sampleCases())
    }

    @Test func mips64elMSA() async throws {
        try await check(.mips64elMSA, flagsProbe: "__mips_msa", extraFlags: VectorISA.mips64elMSA.noAutoVectorisation, cases: Self.sampleCases())
    }

    @Test func wasmSIMD() async throws {
        try await check(.wasmSIMD, flagsProbe: "__wasm_simd128__", extraFlags: VectorISA.wasmSIMD.noAutoVectorisation, cases: Self.sampleCases())
    }

    /// A target whose float SIMD the emitted C's vector path claims, and how to see its vector multiply-adds.
    enum VectorISA: String, CaseIterable, Sendable {
        case riscv64V, ppc64leVSX, mips64elMSA, wasmSIMD, cortexM55Helium

        var target: CrossHarness.Target {
            switch self {
            case .cortexM55Helium: .cortexM55
            case .riscv64V: .riscv64V(vlen: 128)
            case .ppc64leVSX: .ppc64leVSX
            case .mips64elMSA: .mips64elMSA
            case .wasmSIMD: .wasmSIMD
            }
        }

        /// The compiler's own vectorisers off: what runs on the vector unit is the generator's vector path.
        var noAutoVectorisation: [String] {
            target.compiler == "clang" ? ["-fno-vectorize", "-fno-slp-vectorize"] : ["-fno-tree-vectorize", "-fno-tree-slp-vectorize"]
        }

        /// The disassembler: the toolchain's own for RVV 1.0 (an older system one prints no vector instructions), binutils' otherwise.
        var objdump: String? {
            switch self {
            case .riscv64V, .wasmSIMD:
                Tools.find("clang").map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("llvm-objdump").path }
            case .ppc64leVSX: Tools.find("powerpc64le-linux-gnu-objdump")
            case .mips64elMSA: Tools.find("mips64el-linux-gnuabi64-objdump")
            case .cortexM55Helium: Tools.find("arm-none-eabi-objdump")
            }
        }

        /// Options the disassembler needs to decode the vector instructions (binutils 2.40 shows MVE as coprocessor ones without the architecture).
        var objdumpFlags: [String] {
            self == .cortexM55Helium ? ["-m", "armv8.1-m.main"] : []
        }

        /// Mnemonics of the vector float multiply-adds (or, without one, multiplies).
        var multiplyAdds: [String] {
            switch self {
            case .riscv64V: ["vfmacc.v", "vfmadd.v"]
            case .ppc64leVSX: ["xvmaddasp", "xvmaddmsp", "xvmaddadp", "xvmaddmdp"]
            case .mips64elMSA: ["fmadd.w", "fmadd.d"]
            // SIMD128 has no fused multiply-add: a multiply and an add on four lanes (two for double).
            case .wasmSIMD: ["f32x4.mul", "f64x2.mul"]
            // Vector by scalar on four float lanes (`vfma.f32 q0, q1, r2`).
            case .cortexM55Helium: ["vfma.f32\tq"]
            }
        }
    }

    /// With auto-vectorisation off, the emitted kernels of every `Specs/`
    /// layer still multiply-add on the target's vector registers.
    @Test(arguments: VectorISA.allCases)
    func kernelsUseTheVectorUnit(_ isa: VectorISA) throws {
        let target = isa.target
        guard Self.available(target.missingTools, "\(target.name) disassembly"), let compiler = Tools.find(target.compiler),
              let objdump = isa.objdump else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-vector-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for item in try Self.specCases(modes: [.loops]) {
            for file in Generator.files(for: item.plan, languages: [.c]) {
                try Data(file.contents.utf8).write(to: folder.appendingPathComponent(file.name))
            }
            let flags = target.flags.filter { $0 != "-static" } + CrossHarness.strictFlags + isa.noAutoVectorisation
            let compile = Tools.run(compiler, flags + ["-c", item.plan.name + ".c", "-o", "k.o"], in: folder)
            #expect(compile.status == 0, "\(item.plan.name): \(compile.stderr)")
            let listing = Tools.run(objdump, isa.objdumpFlags + ["-d", "k.o"], in: folder).stdout
            let vectorFMAs = listing.split(separator: "\n").filter { line in isa.multiplyAdds.contains { line.contains($0) } }.count
            #expect(vectorFMAs > 0, "\(item.plan.name): no vector multiply-add on \(target.name) in the kernel built without auto-vectorisation")
        }
    }

    /// The Swift of every spec in `Specs/`, in every unroll mode, compiled as
    /// Embedded Swift for `armv7em-none-none-eabi` (one module), then run on
    /// the M4 board through `@_cdecl` wrappers and compared there.
    @Test func embeddedSwiftOnCortexM4F() async throws {
        let target = CrossHarness.Target.cortexM4F
        guard Self.available(target.missingTools + (Tools.find("swiftc") == nil ? ["swiftc"] : []), "Embedded Swift") else { return }
        let cases = try Self.specCases(modes: Self.modes).filter(Self.withinBudget)
        let started = Date()
        let report = await EmitterCompileTests.inBackground {
            CrossHarness.runEmbeddedSwift(cases, swiftTarget: "armv7em-none-none-eabi", on: target)
        }
        Self.expectAllPassed(report, cases, label: "Embedded Swift on \(target.name)")
        print("cross: Embedded Swift (armv7em-none-none-eabi) of \(cases.count) Specs/ layers compiled and matched on \(target.name) in "
              + "\(report.images) image(s); " + Self.describe(report, since: started))
    }

    /// The harness itself, on the M4 board: a wrong reference, a file that
    /// does not compile and a layer that faults must each fail, and the good
    /// layers beside them (run after the fault, in the image relinked
    /// without it) pass.
    @Test func harnessReportsWhatGoesWrong() async throws {
        let target = CrossHarness.Target.cortexM4F
        guard Self.available(target.missingTools, "the cross harness check") else { return }
        var rng = SplitMix64(seed: 11)
        let spec = RandomLayers.make(name: "x", dtype: .float32, steps: 8, channels: 2, filters: 3, kernel: 3, strides: 1, padding: .same,
                                     dataFormat: .channelsLast, dilation: 1, depthMultiplier: 1, activation: .relu, useBias: true)
        let layer = RandomLayers.complete(spec, batch: 2, rng: &rng)
        func item(_ name: String, _ change: (inout [Double]) -> Void = { _ in }) throws -> CompileHarness.Case {
            var plan = Planner.plan(layer.spec, weights: layer.weights, unroll: .loops)
            plan.name = name
            var reference = try Interpreter.run(plan, input: layer.input).scalars
            change(&reference)
            return CompileHarness.Case(plan: plan, mode: .loops, group: name, origin: "harness check \(name)", isRandom: false,
                                       batch: layer.batch, input: layer.input.scalars, reference: reference, keras: nil)
        }
        let cases = try [item("x_good"), item("x_wrong") { $0[4] += 0.25 }, item("switch"), item("x_after")]
        // A layer that faults (an undefined instruction), first in the image: blamed, and the image run again without it.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-cross-fault-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("#include <stddef.h>\nvoid x_fault(const float *x, float *y, size_t n) { (void)x; (void)y; (void)n; __builtin_trap(); }\n".utf8)
            .write(to: folder.appendingPathComponent("fault.c"))
        let compile = Tools.run(Tools.find(target.compiler) ?? target.compiler, target.flags + ["-O2", "-c", "fault.c", "-o", "fault.o"], in: folder)
        #expect(compile.status == 0, "\(compile.stderr)")
        var faulty = cases[0]
        faulty.plan.name = "x_fault"
        let fault = CrossHarness.Member(item: faulty, symbol: "x_fault", header: nil, object: folder.appendingPathComponent("fault.o"))
        let report = await EmitterCompileTests.inBackground { CrossHarness.runC(cases, on: target, before: [fault]) }
        if case .failed(let message)? = report.outcomes["x_fault"] {
            #expect(message.contains("crashed its cortex-m4f image") && message.contains("startup: HardFault"), "\(message)")
        } else {
            Issue.record("x_fault was not blamed: \(String(describing: report.outcomes["x_fault"]))")
        }
        #expect(report.outcomes["x_good"]?.passed == true, "\(String(describing: report.outcomes["x_good"]))")
        #expect(report.outcomes["x_after"]?.passed == true, "\(String(describing: report.outcomes["x_after"]))")
        if case .compared(let error, let allowed, _)? = report.outcomes["x_wrong"] {
            #expect(error > allowed && abs(error - 0.25) < 1e-3)
        } else {
            Issue.record("x_wrong was not compared: \(String(describing: report.outcomes["x_wrong"]))")
        }
        if case .failed(let message)? = report.outcomes["switch"] {
            #expect(message.contains("does not compile for cortex-m4f"))
        } else {
            Issue.record("switch (a C keyword) compiled: \(String(describing: report.outcomes["switch"]))")
        }
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    // MARK: Helpers

    /// Runs the C of every case on `target` and checks every outcome.
    func check(_ target: CrossHarness.Target, flagsProbe: String?, extraFlags: [String] = [], cases chosen: [CompileHarness.Case]? = nil) async throws {
        try await check([target], flagsProbe: flagsProbe, extraFlags: extraFlags, cases: chosen)
    }

    /// Compiles the C of every case once, with the first target's compiler and flags, runs it on each target and checks every outcome.
    func check(_ targets: [CrossHarness.Target], flagsProbe: String?, extraFlags: [String] = [], cases chosen: [CompileHarness.Case]? = nil) async throws {
        guard let target = targets.first, Self.available(targets.flatMap(\.missingTools), target.name) else { return }
        if let flagsProbe {
            // The target's predefined macros: what decides the emitted C's path.
            let probe = Tools.run(Tools.find(target.compiler) ?? target.compiler, target.flags + ["-dM", "-E", "-x", "c", "/dev/null"],
                                  in: FileManager.default.temporaryDirectory)
            #expect(probe.stdout.contains("#define \(flagsProbe) "), "\(target.name): \(target.compiler) does not define \(flagsProbe)")
        }
        let started = Date()
        let cases = try chosen ?? Self.cases()
        let reports = await EmitterCompileTests.inBackground { CrossHarness.runC(cases, onEach: targets, extraFlags: extraFlags) }
        #expect(reports.count == targets.count)
        let fixtures = cases.filter { $0.origin.hasPrefix("keras") }.count, specs = cases.filter { $0.origin.hasPrefix("Specs") }.count
        for (run, report) in zip(targets, reports) {
            Self.expectAllPassed(report, cases, label: run.name)
            print("cross: \(run.name): \(cases.count) layers (\(fixtures) Keras fixture, \(specs) Specs/, \(cases.count - fixtures - specs) random kernels) "
                  + "matched the interpreter in \(report.images) image(s); " + Self.describe(report, since: started))
        }
    }

    /// Whether the tools are there; prints why not (and fails under `SEPCONV_CROSS_REQUIRED=1`).
    static func available(_ missing: [String], _ what: String) -> Bool {
        guard !missing.isEmpty else { return true }
        let message = "cross: \(what) skipped: not on PATH: \(missing.joined(separator: ", ")) (.ci/run installs them)"
        if required {
            Issue.record(Comment(rawValue: message + "; SEPCONV_CROSS_REQUIRED=1 makes this a failure"))
        } else {
            print(message)
        }
        return false
    }

    static func expectAllPassed(_ report: CrossHarness.Report, _ cases: [CompileHarness.Case], label: String) {
        for problem in report.problems {
            Issue.record(Comment(rawValue: "\(label): \(problem)"))
        }
        var failures: [String] = []
        for item in cases {
            switch report.outcomes[item.name] {
            case nil:
                failures.append("\(item.name) [\(item.origin)]: no outcome")
            case .failed(let message)?:
                failures.append("\(item.name) [\(item.origin)]\n\(message)")
            case .excluded(let reason)?:
                failures.append("\(item.name) [\(item.origin)]: excluded: \(reason)")
            case .compared(let error, let allowed, _)?:
                if !(error <= allowed) {
                    failures.append("\(item.name) [\(item.origin)]: max |out - interpreter| = \(error), allowed \(allowed)")
                }
            }
        }
        for failure in failures.prefix(25) {
            Issue.record(Comment(rawValue: "\(label): \(failure)"))
        }
        if failures.count > 25 {
            Issue.record(Comment(rawValue: "\(label): \(failures.count) failures in all; the first 25 are listed"))
        }
    }

    static func describe(_ report: CrossHarness.Report, since started: Date) -> String {
        report.timings.map { String(format: "%@ %.1fs", $0.0, $0.1) }.joined(separator: "; ")
            + String(format: "; total %.1fs", Date().timeIntervalSince(started))
    }

    /// The Keras fixtures, `Specs/` and the random sample, `full` and `loops`, renamed `x_...` apart.
    static func cases() throws -> [CompileHarness.Case] {
        var cases: [CompileHarness.Case] = []
        for fixture in KerasFixtureTests.cases {
            cases += try EmitterCompileTests.fixtureCases(fixture).filter { modes.contains($0.mode) }
        }
        return cases.filter(withinBudget) + (try sampleCases())
    }

    /// `Specs/` and the random sample, without the Keras fixtures: for targets whose vector path is the same code as another's.
    static func sampleCases() throws -> [CompileHarness.Case] {
        var cases = try specCases(modes: modes)
        let layers = RandomLayers.make(count: randomSample, seed: EmitterCompileTests.seed).prefix(randomSample)
        for layer in layers {
            for mode in modes {
                var spec = layer.spec
                spec.name = "\(layer.spec.name)_\(mode.rawValue)"
                let plan = Planner.plan(spec, weights: layer.weights, unroll: mode)
                cases.append(CompileHarness.Case(plan: plan, mode: mode, group: layer.spec.name, origin: "random \(layer.summary)", isRandom: true,
                                                 batch: layer.batch, input: layer.input.scalars,
                                                 reference: try Interpreter.run(plan, input: layer.input).scalars, keras: nil))
            }
        }
        return cases.filter(withinBudget)
    }

    /// Whether a case is built here: every `loops` kernel, `full` ones up to `fullBudget`.
    static func withinBudget(_ item: CompileHarness.Case) -> Bool {
        item.mode != .full || item.plan.multiplyAdds <= fullBudget
    }

    /// Every spec in `Specs/` on its committed input, in `modes`, named `<spec>_<mode>`.
    static func specCases(modes: [UnrollRequest]) throws -> [CompileHarness.Case] {
        let folder = Fixtures.repository.appendingPathComponent("Specs")
        let specs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(specs.count >= 6, "expected the example specs in Specs/")
        var cases: [CompileHarness.Case] = []
        for file in specs {
            let base = String(file.dropLast(".yaml".count))
            let input = try NPY.read([UInt8](Data(contentsOf: folder.appendingPathComponent("\(base)/input.npy")))).tensor
            for mode in modes {
                var plan = try SpecCompiler(unroll: mode).compile(file: folder.appendingPathComponent(file).path).plan
                plan.name = "\(base)_\(mode.rawValue)"
                cases.append(CompileHarness.Case(plan: plan, mode: mode, group: base, origin: "Specs/\(file)", isRandom: false,
                                                 batch: input.shape[0], input: input.scalars,
                                                 reference: try Interpreter.run(plan, input: input).scalars, keras: nil))
            }
        }
        return cases
    }
}
