import Foundation
import Testing
@testable import SepconvGen

/// `Activation.apply` against Keras 3's own outputs
/// (`Fixtures/activations`, written by `Scripts/activation_fixtures.py`), and
/// the properties of the row-wise activations.
@Suite("Activation math")
struct ActivationMathTests {
    /// Allowed error relative to max(1, |expected|).
    static func tolerance(_ dtype: DType) -> Double {
        dtype == .float32 ? 1e-6 : 1e-12
    }

    /// The rows of `values`, each `length` long.
    static func rows(_ values: [Double], length: Int) -> [ArraySlice<Double>] {
        stride(from: 0, to: values.count, by: max(length, 1)).map { values[$0 ..< $0 + length] }
    }

    @Test("apply matches Keras", arguments: Activation.acceptedNames, DType.allCases)
    func matchesKeras(name: String, dtype: DType) throws {
        let activation = try #require(Activation.named(name))
        let input = try Fixtures.npy("activations/\(name)_\(dtype.rawValue)_in.npy")
        let expected = try Fixtures.npy("activations/\(name)_\(dtype.rawValue)_out.npy")
        let storedType: NPY.ElementType = dtype == .float32 ? .float32 : .float64
        #expect(input.type == storedType)
        #expect(expected.type == storedType)
        try #require(input.tensor.shape.count == 2)
        let (rows, length) = (input.tensor.shape[0], input.tensor.shape[1])
        let outputLength = activation.outputLength(forLastAxis: length)
        try #require(expected.tensor.shape == [rows, outputLength])

        let output = activation.apply(input.tensor.scalars, rows: rows, length: length, dtype: dtype)
        try #require(output.count == rows * outputLength)
        var worst = 0.0
        var worstIndex = 0
        for (index, (got, want)) in zip(output, expected.tensor.scalars).enumerated() {
            if dtype == .float32 {
                #expect(Double(Float(got)) == got, "\(name) float32 output \(index) is not a Float")
            }
            if want.isInfinite || got.isInfinite || want.isNaN || got.isNaN {
                #expect(got == want, "\(name) \(dtype.rawValue) [\(index)]: \(got), Keras \(want)")
                continue
            }
            let error = abs(got - want) / max(1, abs(want))
            if error > worst {
                (worst, worstIndex) = (error, index)
            }
        }
        #expect(worst <= Self.tolerance(dtype),
                "\(name) \(dtype.rawValue): relative error \(worst) at [\(worstIndex)]: \(output[worstIndex]), Keras \(expected.tensor.scalars[worstIndex])")
    }

    @Test("glu halves the last axis", arguments: DType.allCases)
    func gluHalves(dtype: DType) {
        let values = (0..<24).map { Double($0) / 4 - 3 }
        let output = Activation.glu.apply(values, rows: 3, length: 8, dtype: dtype)
        #expect(Activation.glu.outputLength(forLastAxis: 8) == 4)
        #expect(output.count == 12)
        // Row 0 is a = values[0..<4], b = values[4..<8].
        for j in 0..<4 {
            let (a, b) = (values[j], values[4 + j])
            let want = a / (1 + exp(-b))
            #expect(abs(output[j] - want) <= Self.tolerance(dtype) * max(1, abs(want)))
        }
    }

    /// Rows that stress the row-wise activations: large magnitudes, ties, one value.
    static let stressRows: [(length: Int, values: [Double])] = [
        (10, [90, -90, 30, -30, 0, 89.5, 1, -1, 0.5, 90]),
        (10, [-90, -90, -90, -90, -90, -90, -90, -90, -90, -89]),
        (10, Array(repeating: 3, count: 10)),
        (4, [1, 0.8, 0.5, -2]),
        (1, [7.25]),
        (3, [1e30, -1e30, 0]),
    ]

    @Test("softmax rows sum to 1", arguments: DType.allCases)
    func softmaxSumsToOne(dtype: DType) throws {
        let input = try Fixtures.npy("activations/softmax_\(dtype.rawValue)_in.npy").tensor
        var cases = Self.stressRows
        cases.append((input.shape[1], input.scalars))
        for (length, values) in cases {
            let output = Activation.softmax.apply(values, rows: values.count / length, length: length, dtype: dtype)
            for row in Self.rows(output, length: length) {
                #expect(abs(row.reduce(0, +) - 1) <= 10 * Self.tolerance(dtype), "softmax row \(Array(row))")
                #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
            }
            let logs = Activation.logSoftmax.apply(values, rows: values.count / length, length: length, dtype: dtype)
            for row in Self.rows(logs, length: length) {
                #expect(abs(row.map { exp($0) }.reduce(0, +) - 1) <= 10 * Self.tolerance(dtype), "log_softmax row \(Array(row))")
                #expect(row.allSatisfy { $0 <= 0 })
            }
        }
    }

    @Test("sparsemax rows are non-negative and sum to 1", arguments: DType.allCases)
    func sparsemaxIsADistribution(dtype: DType) throws {
        let input = try Fixtures.npy("activations/sparsemax_\(dtype.rawValue)_in.npy").tensor
        var cases = Self.stressRows
        cases.append((input.shape[1], input.scalars))
        for (length, values) in cases {
            let output = Activation.sparsemax.apply(values, rows: values.count / length, length: length, dtype: dtype)
            #expect(output.count == values.count)
            for row in Self.rows(output, length: length) {
                #expect(row.allSatisfy { $0 >= 0 }, "sparsemax row \(Array(row))")
                #expect(abs(row.reduce(0, +) - 1) <= 10 * Self.tolerance(dtype), "sparsemax row \(Array(row))")
            }
        }
    }

    @Test("sparsemax follows the corrected formula of keras-team/keras#23425")
    func sparsemaxIsCorrected() {
        // Keras 3.15 returns [0, 0, 0] here; the support is all three logits,
        // tau = (1 + 0.8 + 0.5 - 1) / 3.
        let output = Activation.sparsemax.apply([1, 0.8, 0.5], rows: 1, length: 3, dtype: .float64)
        let tau = 1.3 / 3
        let want = [1 - tau, 0.8 - tau, 0.5 - tau]
        for (got, expected) in zip(output, want) {
            #expect(abs(got - expected) <= 1e-15)
        }
        // One dominant logit takes everything.
        #expect(Activation.sparsemax.apply([5, 0, 3.5], rows: 1, length: 3, dtype: .float64) == [1, 0, 0])
    }

    @Test("rows of one value")
    func singleValueRows() {
        #expect(Activation.softmax.apply([-4, 90], rows: 2, length: 1, dtype: .float32) == [1, 1])
        #expect(Activation.logSoftmax.apply([-4, 90], rows: 2, length: 1, dtype: .float32) == [0, 0])
        #expect(Activation.sparsemax.apply([-4, 90], rows: 2, length: 1, dtype: .float64) == [1, 1])
    }

    @Test("NaN and empty input do not trap", arguments: Activation.allCases)
    func nanAndEmpty(activation: Activation) {
        let values: [Double] = [.nan, 1, -2, .nan, 0, 3]
        let output = activation.apply(values, rows: 1, length: 6, dtype: .float64)
        #expect(output.count == activation.outputLength(forLastAxis: 6))
        #expect(activation.apply([], rows: 0, length: 6, dtype: .float32).isEmpty)
        #expect(activation.apply([], rows: 4, length: 0, dtype: .float32).isEmpty)
    }

    @Test("float32 results are rounded to Float")
    func float32Rounding() {
        let output = Activation.exponential.apply([1, 90, -120], rows: 1, length: 3, dtype: .float32)
        #expect(output == [Double(Float(M_E)), .infinity, 0])
        // squareplus is computed in Float, as Keras does: the exact value at
        // -90 is 0.0111097..., Keras's float32 gives 0.011108398.
        let squareplus = Activation.squareplus.apply([-90], rows: 1, length: 1, dtype: .float32)
        #expect(squareplus == [Double(Float(0.011108398))])
    }
}

/// The shape of `ActivationCode`; the code itself is compiled and checked
/// against the fixtures by the emitters' tests.
@Suite("Activation code")
struct ActivationCodeTests {
    @Test("helpers name the functions the emitters call", arguments: Activation.allCases, DType.allCases)
    func functionsAreNamed(activation: Activation, dtype: DType) {
        let c = activation.cCode(dtype: dtype, prefix: "kws_block1")
        let swift = activation.swiftCode(dtype: dtype)
        for (code, name) in [(c, "kws_block1_act"), (swift, "act")] {
            switch activation {
            case .linear:
                #expect(code.helpers.isEmpty && code.elementFunction == nil && code.rowFunction == nil)
            case .softmax, .logSoftmax, .sparsemax:
                #expect(code.rowFunction == name && code.elementFunction == nil)
            default:
                #expect(code.elementFunction == name && code.rowFunction == nil)
            }
            if activation != .linear {
                #expect(code.helpers.contains { $0.contains("\(name)(") })
            }
            #expect(code.helpers.allSatisfy { !$0.hasSuffix("\n") && !$0.hasSuffix(" ") })
        }
        #expect(c.helpers.filter { $0.hasPrefix("static ") }.allSatisfy { $0.hasPrefix("static \(dtype == .float32 ? "float" : "double") kws_block1_act(") || $0.hasPrefix("static void kws_block1_act(") })
        // Output is deterministic.
        #expect(activation.cCode(dtype: dtype, prefix: "kws_block1") == c)
        #expect(activation.swiftCode(dtype: dtype) == swift)
    }

    @Test("float32 C uses float functions and literals", arguments: Activation.allCases)
    func floatSpelling(activation: Activation) {
        let text = activation.cCode(dtype: .float32, prefix: "n").helpers
            .filter { !$0.hasPrefix("/*") && !$0.hasPrefix(" *") }.joined(separator: "\n")  // code, not comments
        for function in ["exp(", "expm1(", "log1p(", "log(", "tanh(", "erfc(", "sqrt(", "fabs("] {
            #expect(!text.contains(" " + function) && !text.contains("(" + function) && !text.contains("-" + function),
                    "\(activation) float32 calls the double \(function)")
        }
        #expect(!text.contains("double"))
        let double = activation.cCode(dtype: .float64, prefix: "n").helpers.joined(separator: "\n")
        #expect(!double.contains("float") && !double.contains("expf("))
    }

    /// `callsMath` (what decides `<math.h>` and the `-lm` note) is true exactly
    /// when an activation's C helpers call a function of the C math library.
    @Test(arguments: DType.allCases)
    func callsMathIsWhatTheHelpersCall(_ dtype: DType) {
        let suffix = dtype.format.cSuffix
        let functions = ["exp", "expm1", "log", "log1p", "tanh", "erfc", "sqrt", "fabs"].map { $0 + suffix + "(" }
        let namer = Namer(layer: "n", language: .c, format: dtype.format)
        let helpers = Activation.allCases.map { $0.helper(namer, base: "a") }
            + [ParametricActivation.elu(alpha: 0.5), .relu(maxValue: 6, negativeSlope: 0.1, threshold: 0.5)].map { $0.helper(namer, base: "a") }
        let codes = helpers.map(ActivationCode.init(printing:))
        for code in codes {
            let text = code.helpers.joined(separator: "\n")
            #expect(code.callsMath == functions.contains { text.contains($0) }, "\(text)")
        }
        #expect(codes.contains(where: \.callsMath) && codes.contains { !$0.callsMath })
    }
}
