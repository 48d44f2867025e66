import Foundation
@testable import SepconvGen

/// The compile harness: every output against the interpreter and Keras.
extension CompileSession {
    // MARK: Comparing

    func compareAll() {
        for build in extraFlags.builds {
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
