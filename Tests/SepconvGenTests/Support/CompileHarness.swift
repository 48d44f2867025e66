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
        /// Whether the emitted Swift is compiled too: not for a variant of
        /// the C alone, whose Swift another run compiles as it is.
        var compilesSwift = true

        /// The builds a run with these flags goes through.
        var builds: [Build] { compilesSwift ? Build.allCases : [.c, .cSanitized] }
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
        var report = CompileSession(work: work, cases: cases, width: width, extraFlags: extraFlags).run()
        if keep { report.keptFolder = work.path }
        return report
    }
}
