import Foundation
import Testing
@testable import SepconvGen

/// The emitted int8 C and Swift of every SeparableConv1D chain in the
/// `.tflite` fixtures (Keras 3 and tf.keras 2 models converted by TensorFlow
/// 2.21), `loops` in C and Swift, batch and streaming (item 0 pushed in random
/// splits) from one file, and, where small, `full` in C (straight-line Swift costs the
/// optimizer minutes; `Int8CompileTests` compiles `full` Swift on random
/// layers): every output value EQUALS TensorFlow Lite's reference kernels'
/// (`BUILTIN_REF`).
@Suite(.serialized) struct TFLiteFixtureCompileTests {
    static func cases(_ language: TargetLanguage) throws -> [Int8CompileTests.Case] {
        var cases: [Int8CompileTests.Case] = []
        var rng = SplitMix64(seed: 20)
        for (number, fixture) in TFLiteFixtures.chains.enumerated() {
            let (batch, input, expected) = try TFLiteNumbersTests.data(fixture)
            // The loops file serves the batch function and the stream API: one case checks both.
            var loops = try TFLiteNumbersTests.plan(fixture, .loops)
            loops.name = "q\(number)_loops"
            cases.append(Int8CompileTests.Case(plan: loops, batch: batch, input: input, expected: expected,
                                               pushes: Int8CompileTests.pushes(loops.inputSteps, atMost: 5, rng: &rng)))
            var full = try TFLiteNumbersTests.plan(fixture, .full)
            if language == .c && full.multiplyAdds <= 600 {
                full.name = "q\(number)_full"
                cases.append(Int8CompileTests.Case(plan: full, batch: batch, input: input, expected: expected))
            }
        }
        return cases
    }

    @Test(arguments: TargetLanguage.allCases)
    func emittedCodeEqualsTFLite(language: TargetLanguage) throws {
        let cases = try Self.cases(language)
        #expect(cases.filter { $0.pushes != nil }.count == TFLiteFixtures.chains.count)
        try Int8CompileTests.check(cases, in: language, against: "TFLite's BUILTIN_REF output")
    }

    /// The C path for cores with the DSP extension on a Cortex-M4 (`qemu-system-arm -M mps2-an386`).
    @Test func dspPathOnCortexM4EqualsTFLite() throws {
        let target = CrossHarness.Target.cortexM4F
        guard CrossTargetCompileTests.available(target.missingTools, "int8 fixtures on \(target.name)") else { return }
        try Int8CompileTests.check(try Self.cases(.c), in: .c, against: "TFLite's BUILTIN_REF output", on: (target, true))
    }
}
