import Foundation
import Testing
@testable import SepconvGen

/// The interpreter against outputs computed by real Keras 3 (JAX backend),
/// committed by `Scripts/make-fixtures.sh`.
@Suite struct KerasFixtureTests {
    /// Every case folder under `Fixtures/keras`.
    static let cases: [String] = {
        let folder = Fixtures.url("keras")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).appendingPathComponent("spec.yaml").path) }.sorted()
    }()

    @Test func thereAreEnoughCases() {
        #expect(Self.cases.count >= 40)
    }

    @Test(arguments: cases)
    func interpreterMatchesKeras(_ name: String) throws {
        let compiled = try SpecCompiler().compile(file: Fixtures.url("keras/\(name)/spec.yaml").path)
        let input = try Fixtures.npy("keras/\(name)/input.npy").tensor
        let expected = try Fixtures.npy("keras/\(name)/expected.npy")
        let output = try Interpreter.run(compiled.plan, input: input)
        #expect(output.shape == expected.tensor.shape)
        let scale = max(1, expected.tensor.scalars.map(\.magnitude).max() ?? 0)
        let error = zip(output.scalars, expected.tensor.scalars).map { ($0 - $1).magnitude }.max() ?? .infinity
        let tolerance = Self.tolerance(compiled.plan)
        #expect(error <= tolerance * scale, "max |out - keras| = \(error), allowed \(tolerance * scale)")
    }

    /// 1e-5 for float32 (relative to max(1, max|keras|)); 1e-12 for float64, except
    /// tanh, which Keras 3 computes in float32 even for a float64 layer
    /// (`ops.tanh` promotes float64 to float32 on the JAX backend).
    static func tolerance(_ plan: LayerPlan) -> Double {
        plan.dtype == .float32 ? 1e-5 : plan.activation == .tanh ? 1e-6 : 1e-12
    }
}
