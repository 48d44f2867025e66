import Foundation
import Testing
@testable import SepconvGen

/// The int8 numbers of every SeparableConv1D chain in the `.tflite` fixtures,
/// through the whole front end (`from: {model: ..., layer: INDEX}`) and the
/// planner: the interpreter's output EQUALS TensorFlow Lite's reference
/// kernels' (`BUILTIN_REF`, recorded by Scripts/tflite_fixtures.py), value for
/// value, on every batch row. `TFLiteFixtureCompileTests` holds the emitted code to the same.
@Suite struct TFLiteNumbersTests {
    /// The plan of one fixture chain, planned `unroll`, with streaming on.
    static func plan(_ fixture: TFLiteFixtures.ChainCase, _ unroll: UnrollRequest) throws -> LayerPlan {
        let (scratch, spec) = try TFLiteSpecTests.setUp(fixture.model.file, layer: String(fixture.chain.index), extra: "streaming: true\n")
        return try withExtendedLifetime(scratch) { try SpecCompiler(unroll: unroll).compile(file: spec).plan }
    }

    /// A fixture chain's input and TFLite's output, as integers.
    static func data(_ fixture: TFLiteFixtures.ChainCase) throws -> (batch: Int, input: [Int], expected: [Int]) {
        let input = try TFLiteFixtures.int8(fixture.chain.input_file), expected = try TFLiteFixtures.int8(fixture.chain.expected_file)
        return (input.shape.first ?? 0, input.values.map(Int.init), expected.values.map(Int.init))
    }

    @Test(arguments: TFLiteFixtures.chains)
    func interpreterEqualsTFLite(_ fixture: TFLiteFixtures.ChainCase) throws {
        let plan = try Self.plan(fixture, .loops)
        #expect(plan.format.kind == .int8)
        let (batch, input, expected) = try Self.data(fixture)
        #expect(batch >= 1 && expected.count == batch * plan.outputSize)
        #expect(try Int8Layers.reference(plan, input, batch: batch) == expected)
    }
}
