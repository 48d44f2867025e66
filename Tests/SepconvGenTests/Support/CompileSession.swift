import Foundation
@testable import SepconvGen

// MARK: - One run

/// The state of one harness run.
final class CompileSession: @unchecked Sendable {
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
    let lock = NSLock()
    var report = CompileHarness.Report()

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

    func locked<T>(_ body: () -> T) -> T {
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
                locked { for build in extraFlags.builds { report.outcomes[build, default: [:]][item.name] = .excluded(reason) } }
            }
        }
        // A variant of the C alone has no Swift build and no Swift outcomes.
        if extraFlags.compilesSwift, let swiftc {
            let chunks = Self.partition(compiledCases, into: 2 * width) { Self.swiftSeconds($0.plan) }
            for (index, chunk) in chunks.enumerated() {
                let seconds = 1.5 + chunk.reduce(0) { $0 + Self.swiftSeconds($1.plan) }
                jobs.append((seconds, { [self] in time("swift: compile and run (wall, summed over jobs)") { buildSwift(swiftc, chunk: index, chunk) } }))
            }
        } else if extraFlags.compilesSwift {
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
}
