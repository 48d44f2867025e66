import Foundation
@testable import SepconvGen

/// Compiles the emitted C and Swift of many layers in a few batched builds,
/// runs them on seeded inputs and compares their outputs with the interpreter
/// (and, for Keras fixtures, with Keras's own outputs).
///
/// Builds, all in one temporary folder that is removed at the end:
/// - `c`: every `N.c` with `cc -std=c99 -Wall -Wextra -Werror -pedantic -O2`
///   (one object per file, several files per compiler call, calls in
///   parallel), linked with `-lm` into one driver that calls every layer;
/// - `c-asan`: the same sources at `-O1 -g -fsanitize=address,undefined
///   -fno-sanitize-recover=all`, input and output buffers of exactly the
///   size the layer needs, so any out-of-bounds access aborts (prefetches
///   included: they become reads there);
/// - `swift`: the `N.swift` files in a few chunks, each chunk and a driver
///   one `swiftc -O -wmo -swift-version 6 -warnings-as-errors` executable;
/// - a C++11 translation unit that includes two headers (one twice) and is
///   linked with their C objects, proving `extern "C"` and the include guard.
///
/// Outputs start as NaN, so a value the layer never writes fails the
/// comparison. A layer whose file does not compile is reported with the
/// compiler's messages and left out of its build; a layer that crashes its
/// driver is reported and the driver restarted after it.
///
/// An `auto` case is not compiled a second time when its emitted files are
/// byte for byte those of the `full` or `loops` case it resolved to (per
/// language), the name aside: it then shares that case's outcome. Swift
/// spends about 1.5 ms per fully unrolled multiply-add, so compiling the
/// same text twice would cost minutes. Nothing is skipped silently: every
/// case ends with an outcome in every build.
enum CompileHarness {
    /// One layer to compile and compare.
    struct Case: Sendable {
        /// The plan; its name is unique among the cases and names the files.
        var plan: LayerPlan
        /// The unroll mode asked for.
        var mode: UnrollRequest
        /// The same layer in every mode shares a group (`r017`, `k_act_glu`).
        var group: String
        /// Where the case comes from, for messages (a fixture name or a random configuration).
        var origin: String
        /// Whether it is one of the random configurations.
        var isRandom: Bool
        var batch: Int
        /// The input, flattened, in the layer's layout.
        var input: [Double]
        /// The interpreter's output, flattened.
        var reference: [Double]
        /// Keras's output, for fixtures.
        var keras: [Double]?
        /// The allowed max |out − keras| relative to max(1, max |keras|).
        var kerasTolerance: Double? = nil
        /// Why the case is not built at all (a fixture's `full` kernel past the
        /// suite's compile budget), or nil. Reported and counted, never silent.
        var exclusion: String? = nil

        var name: String { plan.name }
    }

    /// The builds every case goes through.
    enum Build: String, CaseIterable, Sendable {
        case c
        case cSanitized = "c-asan"
        case swift
    }

    /// What happened to one case in one build.
    enum Outcome: Sendable {
        /// It ran: the largest error against the interpreter and what was allowed,
        /// and the same against Keras for fixtures.
        case compared(error: Double, allowed: Double, keras: (error: Double, allowed: Double)?)
        /// It did not compile, crashed, or gave a wrong shape or no output.
        case failed(String)
        /// Deliberately not built (`Case.exclusion`), with the reason.
        case excluded(String)

        var passed: Bool {
            if case .compared(let error, let allowed, let keras) = self {
                return error <= allowed && (keras.map { $0.error <= $0.allowed } ?? true)
            }
            return false
        }
    }

    /// Everything the harness found.
    struct Report: Sendable {
        /// Per build, per case name.
        var outcomes: [Build: [String: Outcome]] = [:]
        /// Problems with a whole build or tool (missing compiler, driver that does not build).
        var buildProblems: [String] = []
        /// The C++ check's problem, or nil when the header compiled and linked from C++.
        var cppProblem: String?
        /// Writable (mutable) global symbols found in the C objects, as `nm` prints them.
        var mutableGlobals: [String] = []
        /// Seconds per phase, in order (jobs that ran in parallel are summed).
        var timings: [(String, Double)] = []
        /// CPU seconds (user + system) the tools used per phase, all parallel jobs summed.
        var cpu: [(String, Double)] = []
        /// The working folder, when `SEPCONV_CMP_KEEP=1` kept it for inspection.
        var keptFolder: String?
        /// How many auto cases were checked to emit the same code as a full or loops case, instead of compiling it again.
        var autoAliases = 0
    }

    /// The allowed max |out − ref|: 1e-5 · max(1, max|ref|) for float32,
    /// 1e-12 · max(1, max|ref|) for float64.
    static func tolerance(_ dtype: DType, reference: [Double]) -> Double {
        let scale = max(1, reference.lazy.map(\.magnitude).max() ?? 0)
        return (dtype == .float32 ? 1e-5 : 1e-12) * scale
    }

    /// Flags added to every compiler call of one kind, for a target's variant
    /// of the emitted code (e.g. `-march=native`, `-D SEPCONV_GEN_AVX512`).
    struct ExtraFlags: Sendable {
        var c: [String] = []
        var swift: [String] = []
        /// The C compiler instead of `cc` (`$CC`).
        var cCompiler: String?
    }

    /// Whether the C compiler at `path` is gcc (clang does not know `-fno-var-tracking`).
    static func isGCC(_ path: String) -> Bool {
        let version = Tools.run(path, ["--version"], in: FileManager.default.temporaryDirectory)
        return version.stdout.contains("Free Software Foundation") && !version.stdout.contains("clang")
    }

    /// Whether `cc -march=native` targets AVX-512 here (the emitted C's 512-bit path).
    static let nativeHasAVX512: Bool = {
        guard let cc = Tools.find("cc") else { return false }
        let probe = Tools.run(cc, ["-march=native", "-dM", "-E", "-x", "c", "/dev/null"], in: FileManager.default.temporaryDirectory)
        return probe.status == 0 && probe.stdout.contains("__AVX512F__")
    }()

    /// Runs every build on every case; removes its working folder before
    /// returning unless the environment has `SEPCONV_CMP_KEEP=1`.
    static func run(_ cases: [Case], width: Int = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount)),
                    extraFlags: ExtraFlags = ExtraFlags()) -> Report {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-cmp-" + UUID().uuidString)
        let keep = ProcessInfo.processInfo.environment["SEPCONV_CMP_KEEP"] == "1"
        defer {
            if !keep { try? FileManager.default.removeItem(at: work) }
        }
        var report = Session(work: work, cases: cases, width: width, extraFlags: extraFlags).run()
        if keep { report.keptFolder = work.path }
        return report
    }
}

// MARK: - One run

/// The state of one harness run.
private final class Session: @unchecked Sendable {
    typealias Build = CompileHarness.Build
    typealias Outcome = CompileHarness.Outcome
    typealias Case = CompileHarness.Case

    let work: URL
    let cases: [Case]
    let width: Int
    let extraFlags: CompileHarness.ExtraFlags
    /// Whether the C compiler is gcc.
    let isGCC: Bool
    let source: URL, data: URL
    /// The cases compiled: every full and loops case, and auto cases without a twin.
    let compiledCases: [Case]
    /// Auto cases whose code is the same as a full or loops case's, per language.
    let aliases: [(auto: Case, c: Case, swift: Case)]
    private let lock = NSLock()
    private var report = CompileHarness.Report()

    init(work: URL, cases: [Case], width: Int, extraFlags: CompileHarness.ExtraFlags) {
        self.work = work
        self.cases = cases
        self.width = width
        self.extraFlags = extraFlags
        isGCC = (extraFlags.cCompiler ?? Tools.find("cc")).map(CompileHarness.isGCC) ?? false
        source = work.appendingPathComponent("src")
        data = work.appendingPathComponent("data")
        var byGroupAndMode: [String: Case] = [:]
        for item in cases where item.mode != .auto && item.exclusion == nil {
            byGroupAndMode[item.group + "/" + item.mode.rawValue] = item
        }
        var aliases: [(auto: Case, c: Case, swift: Case)] = []
        var compiled: [Case] = []
        for item in cases where item.exclusion == nil {
            if item.mode == .auto,
               let c = byGroupAndMode[item.group + "/" + item.plan.unroll.c.rawValue],
               let swift = byGroupAndMode[item.group + "/" + item.plan.unroll.swift.rawValue] {
                aliases.append((item, c, swift))
            } else {
                compiled.append(item)
            }
        }
        self.aliases = aliases
        compiledCases = compiled
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    func fail(_ build: Build, _ name: String, _ message: String) {
        locked {
            if case .failed(let earlier)? = report.outcomes[build]?[name] {
                report.outcomes[build, default: [:]][name] = .failed(earlier + "\n" + message)
            } else {
                report.outcomes[build, default: [:]][name] = .failed(message)
            }
        }
    }

    func problem(_ message: String) {
        locked { report.buildProblems.append(message) }
    }

    /// Runs `body`, adding its wall-clock seconds to `phase`'s total.
    func time<T>(_ phase: String, _ body: () -> T) -> T {
        let start = Date()
        let result = body()
        let seconds = Date().timeIntervalSince(start)
        locked {
            if let index = report.timings.firstIndex(where: { $0.0 == phase }) {
                report.timings[index].1 += seconds
            } else {
                report.timings.append((phase, seconds))
            }
        }
        return result
    }

    func run() -> CompileHarness.Report {
        do {
            for folder in [source, data] + Build.allCases.map(folder) {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
        } catch {
            problem("cannot create the working folder \(work.path): \(error)")
            return report
        }
        time("generate sources and inputs") { writeSources() }
        let cc = extraFlags.cCompiler ?? Tools.find("cc"), cxx = Tools.find("c++"), swiftc = Tools.find("swiftc")
        // Phase 1: every compilation, the longest first, `width` at a time.
        var jobs: [(seconds: Double, job: @Sendable () -> Void)] = []
        for item in cases {
            if let reason = item.exclusion {
                locked { for build in Build.allCases { report.outcomes[build, default: [:]][item.name] = .excluded(reason) } }
            }
        }
        if let swiftc {
            let chunks = Self.partition(compiledCases, into: 2 * width) { Self.swiftSeconds($0.plan) }
            for (index, chunk) in chunks.enumerated() {
                let seconds = 1.5 + chunk.reduce(0) { $0 + Self.swiftSeconds($1.plan) }
                jobs.append((seconds, { [self] in time("swift: compile and run (wall, summed over jobs)") { buildSwift(swiftc, chunk: index, chunk) } }))
            }
        } else {
            problem("swiftc not found on PATH (set SWIFTC to its path): the emitted Swift was not compiled")
            for item in compiledCases { fail(.swift, item.name, "not compiled: swiftc not found") }
        }
        if let cc {
            for build in [Build.c, .cSanitized] {
                for batch in Self.partition(compiledCases, into: 4 * width, cost: { Self.cSeconds($0.plan) }) {
                    let seconds = batch.reduce(0) { $0 + Self.cSeconds($1.plan) }
                    jobs.append((seconds, { [self] in time("\(build.rawValue): compile (wall, summed over jobs)") { compileObjects(cc, build, batch.map(\.name)) } }))
                }
            }
        } else {
            problem("cc not found on PATH (set CC to its path): the emitted C was not compiled")
            for item in compiledCases { for build in [Build.c, .cSanitized] { fail(build, item.name, "not compiled: cc not found") } }
        }
        var cpu = Tools.childCPUSeconds()
        func cpuPhase(_ name: String) {
            let now = Tools.childCPUSeconds()
            locked { report.cpu.append((name, now - cpu)) }
            cpu = now
        }
        time("phase 1: all compilations, \(width) at a time (wall)") {
            Tools.parallel(jobs.sorted { $0.seconds > $1.seconds }.map(\.job), width: width)
        }
        cpuPhase("phase 1 (compile everything, run the Swift drivers)")
        // Phase 2: link the C drivers and the C++ check, then run the C drivers.
        if let cc {
            time("phase 2: link and run the C drivers, C++ check (wall)") {
                var links: [@Sendable () -> Void] = [Build.c, .cSanitized].map { build in { [self] in linkC(cc, build) } }
                links.append { [self] in checkCpp(cxx) }
                links.append { [self] in checkGlobals() }
                Tools.parallel(links, width: width)
                let runs: [@Sendable () -> Void] = [Build.c, .cSanitized].map { build in { [self] in runDriver(build) } }
                Tools.parallel(runs, width: width)
            }
            cpuPhase("phase 2 (link and run the C drivers, C++ check)")
        }
        time("compare") {
            compareAll()
            resolveAliases()
        }
        return report
    }

    /// Seconds swiftc -O is expected to spend on a layer's file (measured:
    /// about 1.5 ms per fully unrolled multiply-add, 0.2 s a loops file).
    static func swiftSeconds(_ plan: LayerPlan) -> Double {
        plan.unroll.swift == .full ? 0.1 + 0.0015 * Double(plan.multiplyAdds) : 0.2
    }

    /// Seconds cc is expected to spend on a layer's file.
    static func cSeconds(_ plan: LayerPlan) -> Double {
        plan.unroll.c == .full ? 0.03 + 0.0002 * Double(plan.multiplyAdds) : 0.05
    }

    /// Splits `items` into at most `count` groups of about equal cost, biggest first.
    static func partition(_ items: [Case], into count: Int, cost: (Case) -> Double) -> [[Case]] {
        var bins = [(cost: Double, items: [Case])](repeating: (0, []), count: max(1, count))
        for item in items.sorted(by: { cost($0) > cost($1) }) {
            let index = bins.indices.min { bins[$0].cost < bins[$1].cost }!
            bins[index].cost += cost(item)
            bins[index].items.append(item)
        }
        return bins.map(\.items).filter { !$0.isEmpty }
    }

    // MARK: Sources

    func folder(_ build: Build) -> URL {
        work.appendingPathComponent(build.rawValue)
    }

    func writeSources() {
        DispatchQueue.concurrentPerform(iterations: compiledCases.count) { index in
            let item = compiledCases[index]
            for file in Generator.files(for: item.plan, languages: [.c, .swift]) {
                write(source.appendingPathComponent(file.name), Data(file.contents.utf8))
            }
            write(data.appendingPathComponent(item.name + ".in"), Self.encode(item.input, item.plan.dtype))
        }
    }

    func write(_ url: URL, _ bytes: Data) {
        do {
            try bytes.write(to: url)
        } catch {
            problem("cannot write \(url.path): \(error)")
        }
    }

    static func encode(_ values: [Double], _ dtype: DType) -> Data {
        var data = Data(capacity: values.count * (dtype == .float32 ? 4 : 8))
        for value in values {
            switch dtype {
            case .float32: withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
            case .float64: withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    static func decode(_ data: Data, _ dtype: DType) -> [Double] {
        let bytes = [UInt8](data)
        let width = dtype == .float32 ? 4 : 8
        return stride(from: 0, to: bytes.count - width + 1, by: width).map { offset in
            let bits = (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
            return dtype == .float32 ? Double(Float(bitPattern: UInt32(bits))) : Double(bitPattern: bits)
        }
    }

    // MARK: C

    static let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]
    /// The sanitizer build also makes every `__builtin_prefetch` a read, which
    /// AddressSanitizer checks: a prefetch is never instrumented, so one that
    /// ran past its array would go unseen.
    static let sanitizerFlags = ["-std=c99", "-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                 "-D__builtin_prefetch(p)=((void)*(const volatile char *)(p))"]
    /// gcc's variable tracking (location lists for -g) takes 60% of the
    /// sanitizer build on straight-line kernels and gives the sanitizer's
    /// reports nothing (they need line tables, which stay).
    static let gccSanitizerExtras = ["-fno-var-tracking"]

    func flags(_ build: Build) -> [String] {
        (build == .c ? Self.strictFlags : Self.sanitizerFlags + (isGCC ? Self.gccSanitizerExtras : [])) + extraFlags.c
    }

    /// Compiles `names`' C files to objects in the build's folder, one compiler call.
    func compileObjects(_ cc: String, _ build: Build, _ names: [String]) {
        let directory = folder(build)
        let result = Tools.run(cc, flags(build) + ["-I", source.path, "-c"] + names.map { source.appendingPathComponent($0 + ".c").path },
                               in: directory)
        let messages = Tools.messagesByFile(result.stderr)
        for name in names where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name + ".o").path) {
            let text = (messages[name] ?? []).prefix(30).joined(separator: "\n")
            fail(build, name, "\(name).c does not compile (\(([cc] + flags(build)).joined(separator: " "))):\n"
                 + (text.isEmpty ? Tools.tail(result.stderr) : text))
        }
    }

    /// The cases whose object exists in `build`.
    func compiled(_ build: Build) -> [Case] {
        compiledCases.filter { FileManager.default.fileExists(atPath: folder(build).appendingPathComponent($0.name + ".o").path) }
    }

    func linkC(_ cc: String, _ build: Build) {
        let directory = folder(build)
        let members = compiled(build)
        let driver = directory.appendingPathComponent("driver.c")
        write(driver, Data(CDriver.text(members).utf8))
        let result = Tools.run(cc, flags(build) + ["-I", source.path, "driver.c"] + members.map { $0.name + ".o" } + ["-lm", "-o", "driver"],
                               in: directory)
        if result.status != 0 {
            problem("the \(build.rawValue) driver does not build:\n" + Tools.tail(result.stderr))
            for item in members { fail(build, item.name, "not run: the \(build.rawValue) driver does not build") }
        }
    }

    func runDriver(_ build: Build) {
        let directory = folder(build)
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("driver").path) else { return }
        runUntilDone(build, executable: directory.appendingPathComponent("driver").path, members: compiled(build),
                     environment: ["ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:halt_on_error=1", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"])
    }

    /// Runs a driver from entry 0; when it dies, blames the entry it had begun
    /// and starts again after it.
    func runUntilDone(_ build: Build, executable: String, members: [Case], environment: [String: String]) {
        var next = 0
        while next < members.count {
            let result = Tools.run(executable, [data.path, build.rawValue, String(next)], in: folder(build), environment: environment)
            var begun: Int?
            for line in result.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 2)
                guard parts.count >= 2, let index = Int(parts[1]), members.indices.contains(index) else { continue }
                switch parts[0] {
                case "begin": begun = index
                case "done": begun = nil
                case "shape": fail(build, members[index].name, "the emitted shape constants disagree with the plan: \(parts.dropFirst(2).joined())")
                case "io": fail(build, members[index].name, "the driver could not read the input or write the output")
                case "array": fail(build, members[index].name, "forward(_:batch:) (array) and forward(_:into:batch:) (buffer) disagree")
                default: break
                }
            }
            if result.status == 0 { return }
            guard let culprit = begun else {
                problem("the \(build.rawValue) driver \(executable) failed outside any layer (status \(result.status)):\n" + Tools.tail(result.stderr))
                for item in members[next...] { fail(build, item.name, "not run: the driver failed") }
                return
            }
            fail(build, members[culprit].name, "crashed the \(build.rawValue) driver (status \(result.status)):\n" + Tools.tail(result.stderr, lines: 40))
            next = culprit + 1
        }
    }

    func checkCpp(_ cxx: String?) {
        guard let cxx else {
            locked { report.cppProblem = "c++ not found on PATH: the headers' C++ compatibility was not checked" }
            return
        }
        // One float32 and one float64 layer whose C compiled.
        let members = compiled(.c)
        guard let single = members.first(where: { $0.plan.dtype == .float32 }),
              let double = members.first(where: { $0.plan.dtype == .float64 }) else {
            locked { report.cppProblem = "no compiled float32 and float64 layers to include from C++" }
            return
        }
        let directory = work.appendingPathComponent("cpp")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (a, b) = (single.name, double.name)
        let text = """
            // Includes generated headers from C++ (one twice, for the include guard) and calls them.
            #include "\(a).h"
            #include "\(a).h"
            #include "\(b).h"
            #include <vector>

            int main()
            {
                std::vector<float> x(\(a)_INPUT_SIZE, 0.5f), y(\(a)_OUTPUT_SIZE);
                \(a)(x.data(), y.data(), 1);
                std::vector<double> u(\(b)_INPUT_SIZE, 0.5), v(\(b)_OUTPUT_SIZE);
                \(b)(u.data(), v.data(), 1);
                return y[0] == y[0] && v[0] == v[0] ? 0 : 1;
            }

            """
        write(directory.appendingPathComponent("check.cpp"), Data(text.utf8))
        let compile = Tools.run(cxx, ["-std=c++11", "-Wall", "-Wextra", "-Werror", "-I", source.path, "-c", "check.cpp", "-o", "check.o"], in: directory)
        guard compile.status == 0 else {
            locked { report.cppProblem = "c++ -std=c++11 -Wall -Wextra -Werror -c does not compile a file including \(a).h and \(b).h:\n" + Tools.tail(compile.stderr) }
            return
        }
        let objects = [a, b].map { folder(.c).appendingPathComponent($0 + ".o").path }
        let link = Tools.run(cxx, ["check.o"] + objects + ["-lm", "-o", "check"], in: directory)
        guard link.status == 0 else {
            locked { report.cppProblem = "a C++ caller does not link with the C objects of \(a) and \(b) (extern \"C\"?):\n" + Tools.tail(link.stderr) }
            return
        }
        let run = Tools.run(directory.appendingPathComponent("check").path, [], in: directory)
        if run.status != 0 {
            locked { report.cppProblem = "the C++ caller of \(a) and \(b) exited with status \(run.status) (NaN output?)\n" + Tools.tail(run.stderr) }
        }
    }

    /// Symbols in writable data sections (`nm` types d, b, g, s, c, D, B, G, S, C, V).
    func checkGlobals() {
        let objects = compiled(.c).map { $0.name + ".o" }
        guard !objects.isEmpty, let nm = Tools.find("nm") else { return }
        let result = Tools.run(nm, ["-A"] + objects, in: folder(.c))
        let writable: Set<Character> = ["d", "b", "g", "s", "c", "D", "B", "G", "S", "C", "V"]
        let found = result.stdout.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let type = fields[fields.count - 2].first, fields[fields.count - 2].count == 1, writable.contains(type) else { return nil }
            return String(line)
        }
        locked { report.mutableGlobals = found }
    }

    // MARK: Swift

    /// Compiles one chunk of layers and its driver into one executable and runs it.
    func buildSwift(_ swiftc: String, chunk: Int, _ chunkCases: [Case]) {
        let directory = folder(.swift).appendingPathComponent("chunk\(chunk)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var members = chunkCases
        // A file that does not compile is reported and left out; at most a few rounds.
        for _ in 0..<4 {
            guard !members.isEmpty else { return }
            write(directory.appendingPathComponent("driver.swift"), Data(SwiftDriver.text(members).utf8))
            let arguments = ["-O", "-wmo", "-swift-version", "6", "-warnings-as-errors", "-parse-as-library", "-module-name", "EmittedLayers",
                             "-num-threads", "1", "driver.swift"] + extraFlags.swift
                + members.map { source.appendingPathComponent($0.name + ".swift").path } + ["-o", "driver"]
            let result = Tools.run(swiftc, arguments, in: directory)
            if result.status == 0 {
                runUntilDone(.swift, executable: directory.appendingPathComponent("driver").path, members: members, environment: [:])
                return
            }
            let messages = Tools.messagesByFile(result.stderr, extension: "swift")
            let broken = Set(members.map(\.name)).intersection(messages.keys)
            guard !broken.isEmpty else {
                problem("a Swift driver does not build (swiftc \(arguments.prefix(11).joined(separator: " ")) ...):\n" + Tools.tail(result.stderr, lines: 40))
                for item in members { fail(.swift, item.name, "not run: the Swift build failed") }
                return
            }
            for name in broken.sorted() {
                fail(.swift, name, "\(name).swift does not compile (swiftc -O -swift-version 6 -warnings-as-errors):\n"
                     + (messages[name] ?? []).prefix(30).joined(separator: "\n"))
            }
            members.removeAll { broken.contains($0.name) }
        }
        problem("a Swift build still fails after leaving out the files that did not compile")
        for item in members { fail(.swift, item.name, "not run: the Swift build failed") }
    }

    // MARK: Comparing

    func compareAll() {
        for build in Build.allCases {
            for item in compiledCases where locked({ report.outcomes[build]?[item.name] }) == nil {
                let url = folder(build).appendingPathComponent("\(item.name).\(build.rawValue).out")
                guard let bytes = try? Data(contentsOf: url) else {
                    fail(build, item.name, "no output was written")
                    continue
                }
                let output = Self.decode(bytes, item.plan.dtype)
                let outcome = Self.compare(output, item)
                locked { report.outcomes[build, default: [:]][item.name] = outcome }
            }
        }
    }

    /// An auto case takes its twin's outcome in each language when its
    /// emitted files are byte for byte the twin's, the name aside: the same
    /// text compiled under another identifier. Anything else is a failure.
    func resolveAliases() {
        locked { report.autoAliases = aliases.count }
        for (auto, c, swift) in aliases {
            for (language, twin) in [(TargetLanguage.c, c), (.swift, swift)] {
                var renamed = twin.plan
                renamed.name = auto.plan.name
                let builds: [Build] = language == .c ? [.c, .cSanitized] : [.swift]
                guard Generator.files(for: auto.plan, languages: [language]) == Generator.files(for: renamed, languages: [language]) else {
                    for build in builds {
                        fail(build, auto.name, "auto resolved \(language.rawValue) to \(twin.mode.rawValue) but emits other \(language.rawValue) code than \(twin.name)")
                    }
                    continue
                }
                guard auto.input == twin.input, auto.reference == twin.reference, auto.keras == twin.keras else {
                    for build in builds { fail(build, auto.name, "auto's inputs or references differ from \(twin.name)'s") }
                    continue
                }
                for build in builds {
                    switch locked({ report.outcomes[build]?[twin.name] }) {
                    case .compared(let error, let allowed, let keras)?:
                        locked { report.outcomes[build, default: [:]][auto.name] = .compared(error: error, allowed: allowed, keras: keras) }
                    case .failed(let message)?:
                        fail(build, auto.name, "same code as \(twin.name), which failed: \(message)")
                    case .excluded(let reason)?:
                        locked { report.outcomes[build, default: [:]][auto.name] = .excluded("same code as \(twin.name): \(reason)") }
                    case nil:
                        fail(build, auto.name, "same code as \(twin.name), which has no outcome")
                    }
                }
            }
        }
    }

    static func compare(_ output: [Double], _ item: Case) -> Outcome {
        guard output.count == item.reference.count else {
            return .failed("the output has \(output.count) values; the interpreter gives \(item.reference.count)")
        }
        if let keras = item.keras, keras.count != output.count {
            return .failed("Keras's expected output has \(keras.count) values; the compiled layer gives \(output.count)")
        }
        func maxError(_ expected: [Double]) -> Double {
            zip(output, expected).reduce(0) { worst, pair in
                let error = (pair.0 - pair.1).magnitude
                return error.isNaN || error > worst ? (error.isNaN ? .infinity : error) : worst
            }
        }
        let keras = item.keras.map { expected in
            (error: maxError(expected),
             allowed: item.kerasTolerance.map { $0 * max(1, expected.lazy.map(\.magnitude).max() ?? 0) }
                ?? CompileHarness.tolerance(item.plan.dtype, reference: expected))
        }
        return .compared(error: maxError(item.reference), allowed: CompileHarness.tolerance(item.plan.dtype, reference: item.reference),
                         keras: keras)
    }
}

// MARK: - Drivers

/// The C driver: calls every layer on its input file, writes its output file.
private enum CDriver {
    static func text(_ members: [CompileHarness.Case]) -> String {
        var lines = [
            "/* Generated by EmitterCompileTests: runs every compiled layer on its input file. */",
            "#include <math.h>", "#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>",
        ]
        lines += members.map { "#include \"\($0.name).h\"" }
        lines += [
            "",
            "typedef void (*layer_f)(const float *, float *, size_t);",
            "typedef void (*layer_d)(const double *, double *, size_t);",
            "",
            "struct entry {",
            "    const char *name;",
            "    layer_f f;",
            "    layer_d d;",
            "    size_t batch, input_size, output_size, expected_input_size, expected_output_size;",
            "    int shape_ok;",
            "    const char *shape;",
            "};",
            "",
            "static const struct entry entries[] = {",
        ]
        for item in members {
            let p = item.plan, n = item.name
            let function = p.dtype == .float32 ? "\(n), 0" : "0, \(n)"
            let shape = "\(n)_INPUT_STEPS == \(p.inputSteps) && \(n)_INPUT_CHANNELS == \(p.inputChannels) && "
                + "\(n)_OUTPUT_STEPS == \(p.outputSteps) && \(n)_OUTPUT_CHANNELS == \(p.outputChannels)"
            let expected = "expected (\(p.inputSteps), \(p.inputChannels)) -> (\(p.outputSteps), \(p.outputChannels)) steps x channels"
            lines.append("    { \"\(n)\", \(function), \(item.batch), \(n)_INPUT_SIZE, \(n)_OUTPUT_SIZE, \(p.inputSize), \(p.outputSize), (\(shape)), \"\(expected)\" },")
        }
        lines += [
            "    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }",
            "};",
            "",
            "static int run(const char *dir, const char *tag, size_t index)",
            "{",
            "    const struct entry *e = &entries[index];",
            "    char path[4096];",
            "    const size_t width = e->f ? sizeof(float) : sizeof(double);",
            "    const size_t n_in = e->batch * e->input_size, n_out = e->batch * e->output_size;",
            "    void *input, *output;",
            "    FILE *file;",
            "    size_t i;",
            "    if (!e->shape_ok || e->input_size != e->expected_input_size || e->output_size != e->expected_output_size) {",
            "        printf(\"shape %lu %s\\n\", (unsigned long)index, e->shape);",
            "        return 0;",
            "    }",
            "    /* Exactly the sizes the layer needs, so the sanitizer sees any overrun. */",
            "    input = malloc(n_in * width);",
            "    output = malloc(n_out * width);",
            "    if (!input || !output) {",
            "        return 1;",
            "    }",
            "    sprintf(path, \"%.3000s/%s.in\", dir, e->name);",
            "    file = fopen(path, \"rb\");",
            "    if (!file || fread(input, width, n_in, file) != n_in) {",
            "        printf(\"io %lu\\n\", (unsigned long)index);",
            "        if (file) fclose(file);",
            "        free(input);",
            "        free(output);",
            "        return 0;",
            "    }",
            "    fclose(file);",
            "    /* NaN everywhere first: a value the layer never writes shows up. */",
            "    if (e->f) {",
            "        float *y = (float *)output;",
            "        for (i = 0; i < n_out; ++i) y[i] = NAN;",
            "        e->f((const float *)input, y, e->batch);",
            "    } else {",
            "        double *y = (double *)output;",
            "        for (i = 0; i < n_out; ++i) y[i] = NAN;",
            "        e->d((const double *)input, y, e->batch);",
            "    }",
            "    sprintf(path, \"%.3000s/../%s/%s.%s.out\", dir, tag, e->name, tag);",
            "    file = fopen(path, \"wb\");",
            "    if (!file || fwrite(output, width, n_out, file) != n_out) {",
            "        printf(\"io %lu\\n\", (unsigned long)index);",
            "    }",
            "    if (file) fclose(file);",
            "    free(input);",
            "    free(output);",
            "    return 0;",
            "}",
            "",
            "int main(int argc, char **argv)",
            "{",
            "    size_t i;",
            "    if (argc < 4) {",
            "        fprintf(stderr, \"usage: driver DATA_DIR TAG FIRST_INDEX\\n\");",
            "        return 2;",
            "    }",
            "    for (i = (size_t)strtoul(argv[3], 0, 10); entries[i].name; ++i) {",
            "        printf(\"begin %lu\\n\", (unsigned long)i);",
            "        fflush(stdout);",
            "        if (run(argv[1], argv[2], i)) return 1;",
            "        printf(\"done %lu\\n\", (unsigned long)i);",
            "        fflush(stdout);",
            "    }",
            "    return 0;",
            "}",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}

/// The Swift driver: the same protocol as the C one, through both `forward`s.
private enum SwiftDriver {
    static func text(_ members: [CompileHarness.Case]) -> String {
        var lines = [
            "// Generated by EmitterCompileTests: runs every compiled layer on its input file.",
            "#if canImport(Glibc)", "import Glibc", "#elseif canImport(Musl)", "import Musl", "#elseif canImport(Darwin)", "import Darwin", "#endif",
            "",
            "func say(_ text: String) {",
            "    var line = text + \"\\n\"",
            "    line.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }",
            "}",
            "",
            "func check<T: BinaryFloatingPoint>(_ dir: String, _ index: Int, _ name: String, _ batch: Int, _ inputSize: Int, _ outputSize: Int,",
            "                                   _ shapeOK: Bool, _ shape: String,",
            "                                   _ forward: (UnsafeBufferPointer<T>, UnsafeMutableBufferPointer<T>, Int) -> Void,",
            "                                   _ forwardArray: ([T], Int) -> [T]) {",
            "    say(\"begin \\(index)\")",
            "    defer { say(\"done \\(index)\") }",
            "    guard shapeOK else {",
            "        say(\"shape \\(index) \\(shape)\")",
            "        return",
            "    }",
            "    let count = batch * inputSize",
            "    var input = [T](repeating: 0, count: count)",
            "    guard let source = fopen(dir + \"/\" + name + \".in\", \"rb\") else {",
            "        say(\"io \\(index)\")",
            "        return",
            "    }",
            "    let read = input.withUnsafeMutableBytes { fread($0.baseAddress, MemoryLayout<T>.stride, count, source) }",
            "    fclose(source)",
            "    guard read == count else {",
            "        say(\"io \\(index)\")",
            "        return",
            "    }",
            "    var output = [T](repeating: .nan, count: batch * outputSize)",
            "    input.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { y in forward(x, y, batch) } }",
            "    let again = forwardArray(input, batch)",
            "    if again.count != output.count || zip(again, output).contains(where: { $0 != $1 && !($0.isNaN && $1.isNaN) }) {",
            "        say(\"array \\(index)\")",
            "    }",
            "    guard let target = fopen(dir + \"/../swift/\" + name + \".swift.out\", \"wb\") else {",
            "        say(\"io \\(index)\")",
            "        return",
            "    }",
            "    let written = output.withUnsafeBytes { fwrite($0.baseAddress, MemoryLayout<T>.stride, output.count, target) }",
            "    fclose(target)",
            "    if written != output.count { say(\"io \\(index)\") }",
            "}",
            "",
        ]
        // Calls in groups of 50 so no function grows huge.
        let groups = stride(from: 0, to: members.count, by: 50).map { $0 ..< min($0 + 50, members.count) }
        for (number, group) in groups.enumerated() {
            lines.append("func group\(number)(_ dir: String, _ first: Int) {")
            for index in group {
                let item = members[index], p = item.plan
                let type = Identifier.swiftTypeName(item.name)
                let shape = "\(type).inputSteps == \(p.inputSteps) && \(type).inputChannels == \(p.inputChannels) && "
                    + "\(type).outputSteps == \(p.outputSteps) && \(type).outputChannels == \(p.outputChannels)"
                let expected = "expected (\(p.inputSteps), \(p.inputChannels)) -> (\(p.outputSteps), \(p.outputChannels)) steps x channels"
                lines.append("    if first <= \(index) { check(dir, \(index), \"\(item.name)\", \(item.batch), \(p.inputSize), \(p.outputSize), "
                             + "\(shape), \"\(expected)\", \(type).forward(_:into:batch:), \(type).forward(_:batch:)) }")
            }
            lines.append("}")
            lines.append("")
        }
        lines += [
            "@main",
            "enum Driver {",
            "    static func main() {",
            "        let arguments = CommandLine.arguments",
            "        guard arguments.count >= 4, let first = Int(arguments[3]) else {",
            "            say(\"usage: driver DATA_DIR TAG FIRST_INDEX\")",
            "            exit(2)",
            "        }",
        ]
        lines += groups.indices.map { "        group\($0)(arguments[1], first)" }
        lines += ["    }", "}", ""]
        return lines.joined(separator: "\n")
    }
}

// MARK: - Processes

/// Running tools.
enum Tools {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The tool's path: `$CC`/`$CXX`/`$SWIFTC` when set, else the first match on PATH.
    static func find(_ tool: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let override = ["cc": "CC", "c++": "CXX", "swiftc": "SWIFTC"][tool].flatMap { environment[$0] }
        if let override, !override.isEmpty, !override.contains(" ") {
            return override.hasPrefix("/") ? override : find(override)
        }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = String(folder) + "/" + tool
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `executable`, its output captured through files (no pipe to drain).
    static func run(_ executable: String, _ arguments: [String], in directory: URL, environment: [String: String] = [:]) -> Result {
        let id = UUID().uuidString
        let out = directory.appendingPathComponent(".\(id).stdout"), err = directory.appendingPathComponent(".\(id).stderr")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        do {
            let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
            defer {
                try? outHandle.close()
                try? errHandle.close()
            }
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        } catch {
            return Result(status: -1, stdout: "", stderr: "cannot run \(executable): \(error)")
        }
        let text = { (url: URL) in (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        return Result(status: process.terminationStatus, stdout: text(out), stderr: text(err))
    }

    /// CPU seconds (user + system) of every child process that has ended and been waited for.
    static func childCPUSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        _ = getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        #else
        _ = getrusage(RUSAGE_CHILDREN, &usage)
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Runs `jobs` on `width` threads.
    static func parallel(_ jobs: [@Sendable () -> Void], width: Int) {
        let queue = JobQueue(jobs)
        DispatchQueue.concurrentPerform(iterations: max(1, min(width, jobs.count))) { _ in
            while let job = queue.next() { job() }
        }
    }

    /// The last `lines` lines of `text`.
    static func tail(_ text: String, lines: Int = 25) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Compiler messages grouped by the layer file they are about
    /// (`.../NAME.c:12:3: error: ...` or `NAME.h`, `NAME.swift`), each line
    /// attributed to the last file named before it.
    static func messagesByFile(_ text: String, extension ext: String = "c") -> [String: [String]] {
        var result: [String: [String]] = [:]
        var current: String?
        let suffixes = ext == "c" ? [".c:", ".h:", ".c\"", ".h\""] : [".swift:"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            for word in line.split(separator: " ") {
                guard let suffix = suffixes.first(where: { word.contains($0) }), let range = word.range(of: suffix) else { continue }
                let path = word[..<range.lowerBound]
                let name = path.split(separator: "/").last.map(String.init) ?? ""
                if !name.isEmpty { current = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"'‘’`")) }
                break
            }
            if let current { result[current, default: []].append(String(line)) }
        }
        return result
    }
}

/// Hands out jobs to the worker threads.
private final class JobQueue: @unchecked Sendable {
    private var jobs: [@Sendable () -> Void]
    private var index = 0
    private let lock = NSLock()

    init(_ jobs: [@Sendable () -> Void]) {
        self.jobs = jobs
    }

    func next() -> (@Sendable () -> Void)? {
        lock.lock()
        defer { lock.unlock() }
        guard index < jobs.count else { return nil }
        index += 1
        return jobs[index - 1]
    }
}
