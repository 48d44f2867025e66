import Foundation
import Testing
@testable import SepconvGen

/// The emitted C and Swift of every fixture layer with its chain fused
/// (`fuse: true`), compiled and run against Keras.
@Suite struct FusedLayerCompileTests {
    /// Every fixture layer with its chain fused (parametric activation layers included), emitted in C and Swift and run against Keras.
    @Test func emittedFusedLayersMatchKeras() async throws {
        var cases: [CompileHarness.Case] = []
        for test in ModelReaderTests.cases where test.model.hasSuffix(".keras") || test.model.hasPrefix("tf2_") {
            let spec = ModelReaderTests.fromSpec(test, fuse: true, input: try ModelReaderTests.inputLine(test))
            var compiled = try ModelReaderTests.compile(spec)
            compiled.plan.name = "m\(cases.count)"
            let input = try Fixtures.npy("models/\(test.folder)/\(test.layer)/input.npy").tensor
            let keras = try Fixtures.npy("models/\(test.folder)/\(test.layer)/fused.npy").tensor
            cases.append(CompileHarness.Case(plan: compiled.plan, mode: .auto, group: compiled.plan.name, origin: test.testDescription,
                                             isRandom: false, batch: input.shape[0], input: input.scalars,
                                             reference: try Interpreter.run(compiled.plan, input: input).scalars, keras: keras.scalars,
                                             kerasTolerance: test.activation == "tanh" && compiled.plan.dtype == .float64 ? 1e-6 : nil))
        }
        #expect(cases.count >= 12)
        let report = CompileHarness.run(cases, width: 2)
        #expect(report.buildProblems.isEmpty, "\(report.buildProblems)")
        for build in CompileHarness.Build.allCases {
            for item in cases {
                let outcome = report.outcomes[build]?[item.name]
                #expect(outcome?.passed == true, "\(build.rawValue) \(item.origin): \(String(describing: outcome))")
            }
        }
    }
}
