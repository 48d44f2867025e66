import Foundation
@testable import SepconvGen

/// Compile-and-compare on other targets: the emitted code of many layers is
/// cross-compiled, linked into a few images together with each layer's
/// input and the interpreter's expected output (as C arrays of bit
/// patterns, so every value is exact), and each image is run once under
/// qemu; the image compares in the guest and prints one line per layer:
///
///     result INDEX NAME ERROR_BITS ALLOWED_BITS  (max |out - ref| 1.2e-07, allowed 1.0e-05)
///
/// The host reads the bit patterns (the numbers in brackets are for people
/// reading the log). Outputs start as NaN, so a value never written fails.
/// A layer whose file does not compile is reported with the compiler's
/// messages and left out; a layer that crashes its image is reported and
/// the image relinked without it. Targets are in `CrossHarness.Target`;
/// Cortex-M images use the startup file and linker scripts in `Targets/cortex-m`.
enum CrossHarness {
    /// A machine the emitted code is built for and run on.
    struct Target: Sendable {
        /// For messages and folder names.
        var name: String
        /// The C compiler (a name on PATH).
        var compiler: String
        /// Flags for every compile and link (CPU, float ABI).
        var flags: [String]
        /// Extra link arguments (startup file, linker script, libraries) before the objects.
        var linkFlags: [String]
        /// The emulator and its arguments; the image's path is appended.
        var runner: [String]
        /// Data bytes (inputs and expected outputs) per image.
        var bytesPerImage: Int

        /// The tools this target needs that are not on PATH.
        var missingTools: [String] {
            ([compiler, runner[0]] + (needsTimeout ? ["timeout"] : [])).filter { Tools.find($0) == nil }
        }

        var needsTimeout: Bool { true }

        static let cortexMFolder = Fixtures.repository.appendingPathComponent("Targets/cortex-m")

        /// AArch64 Linux, statically linked, under qemu-aarch64 (the vector path lowers to NEON).
        static let aarch64 = Target(name: "aarch64-linux", compiler: "aarch64-linux-gnu-gcc", flags: ["-static"], linkFlags: [],
                                    runner: ["qemu-aarch64"], bytesPerImage: 8 << 20)

        /// RISC-V 64 Linux with the V extension, built by the Swift toolchain's
        /// clang and lld against Debian's riscv64 C library, statically linked,
        /// under qemu-riscv64 with `vlen`-bit vector registers (the vector path lowers to RVV).
        static func riscv64V(vlen: Int) -> Target {
            Target(name: "riscv64-v\(vlen)", compiler: "clang", flags: ["--target=riscv64-linux-gnu", "-march=rv64gcv", "-static"],
                   linkFlags: ["-fuse-ld=lld"], runner: ["qemu-riscv64", "-cpu", "rv64,v=true,vlen=\(vlen),vext_spec=v1.0"], bytesPerImage: 8 << 20)
        }

        /// POWER8 little-endian Linux (AltiVec and VSX), statically linked, under qemu-ppc64le.
        static let ppc64leVSX = Target(name: "ppc64le-vsx", compiler: "powerpc64le-linux-gnu-gcc", flags: ["-mcpu=power8", "-static"],
                                       linkFlags: [], runner: ["qemu-ppc64le", "-cpu", "power8"], bytesPerImage: 8 << 20)

        /// MIPS64 little-endian Linux with MSA, statically linked, under qemu-mips64el
        /// on a Loongson 3A4000 (a MIPS64r2 core with MSA, the ABI Debian's toolchain targets).
        static let mips64elMSA = Target(name: "mips64el-msa", compiler: "mips64el-linux-gnuabi64-gcc", flags: ["-mmsa", "-static"],
                                        linkFlags: [], runner: ["qemu-mips64el", "-cpu", "Loongson-3A4000"], bytesPerImage: 8 << 20)

        /// WebAssembly with SIMD128 (`wasm32-wasi`), built by the Swift toolchain's clang against
        /// Debian's wasi-libc and LLVM's wasm32 builtins, run by Node's WASI (`Targets/wasm/run.mjs`).
        static let wasmSIMD = Target(name: "wasm32-simd", compiler: "clang", flags: ["--target=wasm32-wasi", "--sysroot=/usr", "-msimd128"],
                                     linkFlags: ["-nodefaultlibs", "-lc", wasmBuiltins], runner: ["node", "--no-warnings",
                                     Fixtures.repository.appendingPathComponent("Targets/wasm/run.mjs").path], bytesPerImage: 8 << 20)

        /// LLVM's compiler builtins for wasm32 (Debian's libclang-rt-*-dev-wasm32): the Swift toolchain ships none.
        static var wasmBuiltins: String {
            let llvm = URL(fileURLWithPath: "/usr/lib")
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: llvm.path)) ?? []).filter { $0.hasPrefix("llvm-") }.sorted()
            for version in versions.reversed() {
                let clang = llvm.appendingPathComponent("\(version)/lib/clang")
                for release in ((try? FileManager.default.contentsOfDirectory(atPath: clang.path)) ?? []).sorted().reversed() {
                    let archive = clang.appendingPathComponent("\(release)/lib/wasi/libclang_rt.builtins-wasm32.a").path
                    if FileManager.default.fileExists(atPath: archive) { return archive }
                }
            }
            return "libclang_rt.builtins-wasm32.a"
        }

        /// Flags for a Cortex-M4F with its single-precision FPU, hard-float ABI.
        static let cortexM4FFlags = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]

        /// Cortex-M4F on qemu's MPS2 AN386 board.
        static let cortexM4F = cortexM(name: "cortex-m4f", board: "mps2-an386", flags: cortexM4FFlags)

        /// Cortex-M3 (no FPU), soft-float, on qemu's MPS2 AN385 board.
        static let cortexM3 = cortexM(name: "cortex-m3", board: "mps2-an385", flags: ["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"])

        /// Cortex-M55 with Helium (MVE with float lanes), hard-float, on qemu's MPS3 AN547 board (the vector path lowers to MVE).
        static let cortexM55 = cortexM(name: "cortex-m55", board: "mps3-an547", flags: ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"])

        static func cortexM(name: String, board: String, flags: [String]) -> Target {
            let folder = cortexMFolder.path
            return Target(name: name, compiler: "arm-none-eabi-gcc", flags: flags,
                          linkFlags: ["--specs=rdimon.specs", "-nostartfiles", "-L", folder, "-T", "\(board).ld", folder + "/startup.c"],
                          runner: ["qemu-system-arm", "-M", board, "-display", "none", "-monitor", "none", "-serial", "none",
                                   "-semihosting-config", "enable=on,target=native", "-kernel"],
                          bytesPerImage: 3 << 20)
        }
    }

    /// One layer in an image: the case and the C function that runs it.
    struct Member: Sendable {
        var item: CompileHarness.Case
        /// The function called with (input, output, batch).
        var symbol: String
        /// The header that declares `symbol` and the shape macros, or nil
        /// (the driver then declares the function itself and checks no shape).
        var header: String?
        /// The object file that defines `symbol`.
        var object: URL
    }

    /// Everything one run found.
    struct Report: Sendable {
        /// Per case name.
        var outcomes: [String: CompileHarness.Outcome] = [:]
        /// Problems with a whole build or tool.
        var problems: [String] = []
        /// Images built and run.
        var images = 0
        /// Seconds per phase.
        var timings: [(String, Double)] = []
    }

    /// The strict flags every emitted C file is compiled with.
    static let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]

    /// Compiles every case's emitted C for `target` and compares them in the
    /// guest; `before` are members the caller built (the harness's own
    /// checks), placed first in the image.
    static func runC(_ cases: [CompileHarness.Case], on target: Target, extraFlags: [String] = [], width: Int = 2,
                     before: [Member] = []) -> Report {
        runC(cases, onEach: [target], extraFlags: extraFlags, width: width, before: before).first ?? Report()
    }

    /// `runC` on targets that differ only in how their images run (a vector
    /// length of the emulator): the layers are compiled once, with the first
    /// target's compiler and flags, and each target's report holds that
    /// compilation's outcomes and its own runs.
    static func runC(_ cases: [CompileHarness.Case], onEach targets: [Target], extraFlags: [String] = [], width: Int = 2,
                     before: [Member] = []) -> [Report] {
        guard let first = targets.first else { return [] }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-cross-\(first.name)-" + UUID().uuidString)
        defer { cleanUp(work) }
        var session = CrossSession(work: work, target: first)
        guard session.prepare() else { return targets.map { _ in session.report } }
        var start = Date()
        let members = session.compileC(cases, flags: strictFlags + extraFlags, width: width)
        session.lap("compile the layers", since: &start)
        return targets.map { target in
            var run = session
            run.target = target
            run.runImages(before + members)
            run.lap("link and run the images", since: &start)
            return run.report
        }
    }

    /// Compiles every case's emitted Swift as Embedded Swift for
    /// `swiftTarget` (one `-wmo` module) and, when `target` is given, links
    /// it with a C driver (through `@_cdecl` wrappers) and compares in the guest.
    static func runEmbeddedSwift(_ cases: [CompileHarness.Case], swiftTarget: String, on target: Target?) -> Report {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-embedded-" + UUID().uuidString)
        defer { cleanUp(work) }
        var linked = target ?? Target.cortexM4F
        // Embedded Swift allocates with posix_memalign; Swift's enums are 32-bit, C's on arm-none-eabi as small as they fit (none crosses).
        linked.linkFlags += [Target.cortexMFolder.appendingPathComponent("swift-support.c").path, "-Wl,--no-enum-size-warning"]
        var session = CrossSession(work: work, target: linked)
        guard session.prepare() else { return session.report }
        var start = Date()
        let members = session.compileEmbeddedSwift(cases, swiftTarget: swiftTarget)
        session.lap("compile the Swift", since: &start)
        if target != nil {
            session.runImages(members)
            session.lap("link and run the images", since: &start)
        }
        return session.report
    }

    /// The Embedded Swift compiler's arguments (besides the files and the output).
    /// For armv7em the hard-float ABI is asked for explicitly: without it the
    /// object carries no VFP-arguments attribute and does not link with
    /// newlib's hard-float libraries.
    static func embeddedSwiftFlags(_ swiftTarget: String) -> [String] {
        ["-target", swiftTarget, "-enable-experimental-feature", "Embedded", "-wmo", "-parse-as-library", "-O"]
            + (swiftTarget.hasPrefix("armv7em") ? ["-Xcc", "-mfloat-abi=hard", "-Xcc", "-mfpu=fpv4-sp-d16"] : [])
    }

    private static func cleanUp(_ work: URL) {
        if ProcessInfo.processInfo.environment["SEPCONV_CMP_KEEP"] != "1" {
            try? FileManager.default.removeItem(at: work)
        } else {
            print("cross: kept \(work.path) (SEPCONV_CMP_KEEP=1)")
        }
    }
}

// MARK: - One run

/// The state of one cross run: its folder, its target and what it found.
private struct CrossSession {
    typealias Case = CompileHarness.Case
    typealias Member = CrossHarness.Member

    let work: URL
    /// Whose compiler builds the layers and whose emulator runs the images.
    var target: CrossHarness.Target
    var report = CrossHarness.Report()

    init(work: URL, target: CrossHarness.Target) {
        self.work = work
        self.target = target
    }

    mutating func prepare() -> Bool {
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            return true
        } catch {
            report.problems.append("cannot create \(work.path): \(error)")
            return false
        }
    }

    /// Records the seconds since `start` as `phase` and restarts the clock.
    mutating func lap(_ phase: String, since start: inout Date) {
        report.timings.append((phase, Date().timeIntervalSince(start)))
        start = Date()
    }

    mutating func fail(_ name: String, _ message: String) {
        if case .failed(let earlier)? = report.outcomes[name] {
            report.outcomes[name] = .failed(earlier + "\n" + message)
        } else {
            report.outcomes[name] = .failed(message)
        }
    }

    func write(_ text: String, to url: URL) -> Bool {
        (try? Data(text.utf8).write(to: url)) != nil
    }

    // MARK: Compiling

    /// Writes and compiles every case's C, several files per compiler call,
    /// `width` calls at a time; returns the members whose object exists.
    mutating func compileC(_ cases: [Case], flags: [String], width: Int) -> [Member] {
        guard let cc = Tools.find(target.compiler) else {
            report.problems.append("\(target.compiler) not found")
            return []
        }
        for item in cases {
            for file in Generator.files(for: item.plan, languages: [.c]) where !write(file.contents, to: work.appendingPathComponent(file.name)) {
                report.problems.append("cannot write \(file.name)")
            }
        }
        let arguments = flags + target.flags + ["-c"]
        let groups = stride(from: 0, to: cases.count, by: 6).map { Array(cases[$0 ..< min($0 + 6, cases.count)]) }
        let directory = work
        let results = ResultBox(count: groups.count)
        Tools.parallel(groups.enumerated().map { index, group in
            { results.set(index, Tools.run(cc, arguments + group.map { $0.name + ".c" }, in: directory)) }
        }, width: width)
        var members: [Member] = []
        for (group, result) in zip(groups, results.values) {
            let messages = Tools.messagesByFile(result?.stderr ?? "")
            for item in group {
                let object = work.appendingPathComponent(item.name + ".o")
                if FileManager.default.fileExists(atPath: object.path) {
                    members.append(Member(item: item, symbol: item.name, header: item.name + ".h", object: object))
                } else {
                    let text = (messages[item.name] ?? []).prefix(30).joined(separator: "\n")
                    fail(item.name, "\(item.name).c does not compile for \(target.name) (\(([target.compiler] + arguments).joined(separator: " "))):\n"
                         + (text.isEmpty ? Tools.tail(result?.stderr ?? "") : text))
                }
            }
        }
        return members
    }

    /// Compiles every case's Swift, and one `@_cdecl` wrapper per case, into one Embedded Swift object.
    mutating func compileEmbeddedSwift(_ cases: [Case], swiftTarget: String) -> [Member] {
        guard let swiftc = Tools.find("swiftc") else {
            report.problems.append("swiftc not found")
            return []
        }
        var wrappers = ["// Generated by CrossTargetCompileTests: C entry points for the Embedded Swift layers."]
        for item in cases {
            for file in Generator.files(for: item.plan, languages: [.swift]) where !write(file.contents, to: work.appendingPathComponent(file.name)) {
                report.problems.append("cannot write \(file.name)")
            }
            let type = Identifier.swiftTypeName(item.name), element = item.plan.dtype == .float32 ? "Float" : "Double"
            wrappers += [
                "@_cdecl(\"swift_\(item.name)\")",
                "public func swift_\(item.name)(_ x: UnsafePointer<\(element)>, _ y: UnsafeMutablePointer<\(element)>, _ batch: Int) {",
                "    \(type).forward(UnsafeBufferPointer(start: x, count: batch * \(type).inputSteps * \(type).inputChannels),",
                "                    into: UnsafeMutableBufferPointer(start: y, count: batch * \(type).outputSteps * \(type).outputChannels), batch: batch)",
                "}",
            ]
        }
        _ = write(wrappers.joined(separator: "\n") + "\n", to: work.appendingPathComponent("wrappers.swift"))
        let object = work.appendingPathComponent("layers-swift.o")
        let arguments = CrossHarness.embeddedSwiftFlags(swiftTarget) + ["-module-name", "EmbeddedLayers", "-c", "wrappers.swift"]
            + cases.map { $0.name + ".swift" } + ["-o", object.path]
        let result = Tools.run(swiftc, arguments, in: work)
        guard result.status == 0 else {
            let messages = Tools.messagesByFile(result.stderr, extension: "swift")
            for item in cases {
                let text = (messages[item.name] ?? []).prefix(30).joined(separator: "\n")
                fail(item.name, "the Embedded Swift module does not compile (swiftc \(arguments.joined(separator: " "))):\n"
                     + (text.isEmpty ? "(no message names \(item.name).swift; the build's last lines:)\n" + Tools.tail(result.stderr) : text))
            }
            return []
        }
        return cases.map { Member(item: $0, symbol: "swift_" + $0.name, header: nil, object: object) }
    }

    // MARK: Images

    /// Splits the members into images of at most `bytesPerImage` data and runs each.
    mutating func runImages(_ members: [Member]) {
        var images: [[Member]] = [], current: [Member] = [], bytes = 0
        for member in members {
            let size = CrossDriver.dataBytes(member.item)
            if !current.isEmpty && bytes + size > target.bytesPerImage {
                images.append(current)
                current = []
                bytes = 0
            }
            current.append(member)
            bytes += size
        }
        if !current.isEmpty { images.append(current) }
        for (index, image) in images.enumerated() {
            runImage(index, image)
        }
    }

    /// Links one image and runs it; a member that crashes it is blamed and the image relinked without it.
    mutating func runImage(_ index: Int, _ image: [Member]) {
        guard let cc = Tools.find(target.compiler) else { return }
        var members = image
        for round in 0..<4 {
            guard !members.isEmpty else { return }
            let name = "image\(index)-\(round)"
            guard write(CrossDriver.text(members), to: work.appendingPathComponent(name + ".c")) else {
                report.problems.append("cannot write \(name).c")
                return
            }
            let objects = Array(Set(members.map(\.object.path))).sorted()
            let link = Tools.run(cc, ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror"] + target.flags + target.linkFlags + [name + ".c"] + objects
                                 + ["-lm", "-o", name + ".elf"], in: work)
            guard link.status == 0 else {
                report.problems.append("the \(target.name) image \(name) does not link:\n" + Tools.tail(link.stderr))
                for member in members { fail(member.item.name, "not run: its \(target.name) image does not link") }
                return
            }
            report.images += 1
            let runner = (target.needsTimeout ? ["timeout", "600"] : []) + target.runner + [work.appendingPathComponent(name + ".elf").path]
            let result = Tools.run(Tools.find(runner[0]) ?? runner[0], Array(runner.dropFirst()), in: work)
            var begun: Int?
            for line in result.stdout.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count >= 3, let at = Int(fields[1]), members.indices.contains(at) else { continue }
                let member = members[at]
                switch fields[0] {
                case "begin": begun = at
                case "shape":
                    begun = nil
                    fail(member.item.name, "the emitted shape constants disagree with the plan")
                case "result" where fields.count >= 5:
                    begun = nil
                    guard let error = UInt64(fields[3], radix: 16).map(Double.init(bitPattern:)),
                          let allowed = UInt64(fields[4], radix: 16).map(Double.init(bitPattern:)) else { continue }
                    report.outcomes[member.item.name] = .compared(error: error.isNaN ? .infinity : error, allowed: allowed, keras: nil)
                default: break
                }
            }
            let finished = result.stdout.contains("finished \(members.count)")
            if finished && (result.status == 0 || result.status == 1) { return }
            guard let culprit = begun else {
                report.problems.append("the \(target.name) image \(name) stopped outside any layer (status \(result.status)):\n"
                                       + Tools.tail(result.stdout + result.stderr))
                for member in members where report.outcomes[member.item.name] == nil { fail(member.item.name, "not run: its image failed") }
                return
            }
            fail(members[culprit].item.name, "crashed its \(target.name) image (status \(result.status)):\n" + Tools.tail(result.stdout + result.stderr))
            let done = Set(members.map(\.item.name).filter { report.outcomes[$0] != nil })
            members = members.filter { !done.contains($0.item.name) }
        }
    }
}

/// Collects results from parallel jobs.
private final class ResultBox: @unchecked Sendable {
    private var stored: [Tools.Result?]
    private let lock = NSLock()

    init(count: Int) {
        stored = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: Tools.Result) {
        lock.lock()
        stored[index] = value
        lock.unlock()
    }

    var values: [Tools.Result?] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

// MARK: - The guest program

/// The C program of one image: every member's input and expected output as
/// bit patterns, a loop that runs and checks each layer, the exit status 1
/// when any differs. Plain C99 and newlib's printf: runs hosted (AArch64
/// Linux) and bare-metal (Cortex-M, semihosting) alike.
enum CrossDriver {
    /// Bytes of data an image holds for `item` (input plus the expected output as doubles).
    static func dataBytes(_ item: CompileHarness.Case) -> Int {
        item.input.count * (item.plan.dtype == .float32 ? 4 : 8) + item.reference.count * 8
    }

    static func text(_ members: [CrossHarness.Member]) -> String {
        var lines = [
            "/* Generated by CrossTargetCompileTests: runs and checks every layer of this image. */",
            "#include <math.h>", "#include <stdint.h>", "#include <stdio.h>", "#include <string.h>",
        ]
        for member in members {
            let element = member.item.plan.dtype == .float32 ? "float" : "double"
            if let header = member.header {
                lines.append("#include \"\(header)\"")
            } else {
                lines.append("void \(member.symbol)(const \(element) *input, \(element) *output, size_t batch);")
            }
        }
        let maxInput = members.map(\.item.input.count).max() ?? 1, maxOutput = members.map(\.item.reference.count).max() ?? 1
        lines += [
            "",
            "static union { float f[\(maxInput)]; double d[\(maxInput)]; } input;",
            "static union { float f[\(maxOutput)]; double d[\(maxOutput)]; } output;",
            "",
        ]
        for (index, member) in members.enumerated() {
            let item = member.item
            if item.plan.dtype == .float32 {
                lines.append("static const uint32_t in\(index)[] = {" + words(item.input.map { UInt64(Float($0).bitPattern) }, digits: 8) + "};")
            } else {
                lines.append("static const uint64_t in\(index)[] = {" + words(item.input.map(\.bitPattern), digits: 16) + "};")
            }
            lines.append("static const uint64_t ref\(index)[] = {" + words(item.reference.map(\.bitPattern), digits: 16) + "};")
        }
        lines += [
            "",
            "struct entry {",
            "    const char *name;",
            "    void (*f)(const float *, float *, size_t);",
            "    void (*d)(const double *, double *, size_t);",
            "    size_t batch, inputs, outputs;",
            "    const void *input;",
            "    const uint64_t *reference;",
            "    uint64_t allowed;",
            "    int shape_ok;",
            "};",
            "",
            "static const struct entry entries[] = {",
        ]
        for (index, member) in members.enumerated() {
            let item = member.item, p = item.plan, n = member.symbol
            let functions = p.dtype == .float32 ? "\(n), 0" : "0, \(n)"
            let shape = member.header == nil ? "1" : "\(n)_INPUT_STEPS == \(p.inputSteps) && \(n)_INPUT_CHANNELS == \(p.inputChannels) && "
                + "\(n)_OUTPUT_STEPS == \(p.outputSteps) && \(n)_OUTPUT_CHANNELS == \(p.outputChannels)"
                + " && \(n)_INPUT_SIZE == \(p.inputSize) && \(n)_OUTPUT_SIZE == \(p.outputSize)"
            let allowed = CompileHarness.tolerance(p.dtype, reference: item.reference).bitPattern
            lines.append("    { \"\(item.name)\", \(functions), \(item.batch), \(item.input.count), \(item.reference.count), in\(index), ref\(index), "
                         + "0x\(String(allowed, radix: 16))ull, \(shape) },")
        }
        lines += [
            "};",
            "",
            "static void print_bits(double value)",
            "{",
            "    uint64_t bits;",
            "    memcpy(&bits, &value, sizeof bits);",
            "    printf(\"%08lx%08lx\", (unsigned long)(bits >> 32), (unsigned long)(bits & 0xffffffffu));",
            "}",
            "",
            "int main(void)",
            "{",
            "    const size_t count = sizeof entries / sizeof entries[0];",
            "    size_t index, i;",
            "    int failures = 0;",
            "    for (index = 0; index < count; ++index) {",
            "        const struct entry *e = &entries[index];",
            "        double worst = 0, allowed;",
            "        memcpy(&allowed, &e->allowed, sizeof allowed);",
            "        printf(\"begin %lu %s\\n\", (unsigned long)index, e->name);",
            "        fflush(stdout);",
            "        if (!e->shape_ok) {",
            "            printf(\"shape %lu %s\\n\", (unsigned long)index, e->name);",
            "            ++failures;",
            "            continue;",
            "        }",
            "        for (i = 0; i < e->outputs; ++i) {",
            "            if (e->f) output.f[i] = NAN; else output.d[i] = NAN;",
            "        }",
            "        if (e->f) {",
            "            memcpy(input.f, e->input, e->inputs * sizeof(float));",
            "            e->f(input.f, output.f, e->batch);",
            "        } else {",
            "            memcpy(input.d, e->input, e->inputs * sizeof(double));",
            "            e->d(input.d, output.d, e->batch);",
            "        }",
            "        for (i = 0; i < e->outputs; ++i) {",
            "            double expected, error;",
            "            memcpy(&expected, &e->reference[i], sizeof expected);",
            "            error = fabs((e->f ? (double)output.f[i] : output.d[i]) - expected);",
            "            if (!(error <= worst)) worst = error != error ? INFINITY : error;",
            "        }",
            "        if (!(worst <= allowed)) ++failures;",
            "        printf(\"result %lu %s \", (unsigned long)index, e->name);",
            "        print_bits(worst);",
            "        printf(\" \");",
            "        print_bits(allowed);",
            "        printf(\"  (max |out - ref| %.3e, allowed %.3e)\\n\", worst, allowed);",
            "        fflush(stdout);",
            "    }",
            "    printf(\"finished %lu layers, %d over tolerance\\n\", (unsigned long)count, failures);",
            "    return failures ? 1 : 0;",
            "}",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    /// Comma-separated hexadecimal words, a line break every 8.
    private static func words(_ values: [UInt64], digits: Int) -> String {
        var text = "\n"
        text.reserveCapacity(values.count * (digits + 6))
        let suffix = digits == 8 ? "u" : "ull"
        for (index, value) in values.enumerated() {
            let hex = String(value, radix: 16)
            text += "0x" + String(repeating: "0", count: max(0, digits - hex.count)) + hex + suffix + (index % 8 == 7 ? ",\n" : ",")
        }
        return text
    }
}
