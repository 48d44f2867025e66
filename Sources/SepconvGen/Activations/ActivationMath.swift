#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

extension Activation {
    /// Applies the activation to `rows` rows of `length` values (C order),
    /// returning rows × `outputLength(forLastAxis: length)` values, computed
    /// as Keras 3 computes it in `dtype`.
    ///
    /// This is the reference the generated code is tested against, so it is
    /// written as plainly as Keras's own definitions. Every activation is
    /// computed in `Double`; for `.float32` each result is then rounded to
    /// `Float` (and widened back), which is within a few units in the last
    /// place of Keras's float32 arithmetic. The one exception is `squareplus`,
    /// which Keras computes as `(x + sqrt(x² + 4)) / 2` in the layer's own
    /// precision, losing digits to cancellation for large negative `x`
    /// (float32 at x = -90 is off by 1.3e-6 from the exact value); it is
    /// computed here the same way, in `Float` for `.float32`.
    ///
    /// softmax, log_softmax and sparsemax act on each row; glu splits each row
    /// into halves `a` (first) and `b` (second) and gives `a * sigmoid(b)`
    /// (Keras refuses an odd length; here the last value of an odd row is
    /// ignored). sparsemax follows the corrected formula of keras-team/keras#23425.
    /// - Precondition: `values.count == rows * length`, both non-negative.
    public func apply(_ values: [Double], rows: Int, length: Int, dtype: DType) -> [Double] {
        precondition(rows >= 0 && length >= 0 && values.count == rows * length,
                     "apply: \(values.count) values are not \(rows) rows of \(length)")
        let outputLength = outputLength(forLastAxis: length)
        var output: [Double] = []
        output.reserveCapacity(rows * outputLength)
        for rowIndex in 0..<rows {
            let row = Array(values[rowIndex * length ..< (rowIndex + 1) * length])
            let result: [Double]
            switch self {
            case .softmax:
                result = KerasMath.softmax(row)
            case .logSoftmax:
                result = KerasMath.logSoftmax(row)
            case .sparsemax:
                result = KerasMath.sparsemax(row)
            case .glu:
                result = (0..<outputLength).map { row[$0] * KerasMath.sigmoid(row[outputLength + $0]) }
            case .squareplus:
                switch dtype {
                case .float32: result = row.map { Double(KerasMath.squareplus(Float($0))) }
                case .float64: result = row.map { KerasMath.squareplus($0) }
                }
            default:
                result = row.map(elementwise)
            }
            switch dtype {
            case .float32: output += result.map { Double(Float($0)) }
            case .float64: output += result
            }
        }
        return output
    }

    /// One element of an elementwise activation, in `Double`, as Keras defines it
    /// (keras/src/activations/activations.py, keras/src/backend/jax/nn.py, jax.nn).
    private func elementwise(_ x: Double) -> Double {
        switch self {
        case .linear: x
        case .relu: max(x, 0)
        case .relu6: min(max(x, 0), 6)
        case .leakyRelu: x >= 0 ? x : 0.2 * x
        case .elu: x > 0 ? x : expm1(x)
        case .celu: max(x, 0) + expm1(min(x, 0))
        case .selu: KerasMath.seluScale * (x > 0 ? x : KerasMath.seluAlpha * expm1(x))
        case .gelu: 0.5 * x * erfc(-x * (0.5).squareRoot())
        case .silu: x * KerasMath.sigmoid(x)
        case .mish: x * KerasMath.tanh(KerasMath.softplus(x))
        case .sigmoid: KerasMath.sigmoid(x)
        case .hardSigmoid: KerasMath.hardSigmoid(x)
        case .hardSilu: x * KerasMath.hardSigmoid(x)
        case .logSigmoid: -KerasMath.softplus(-x)
        case .sparseSigmoid: 0.5 * min(max(x + 1, 0), 2)
        case .tanh: KerasMath.tanh(x)
        case .hardTanh: x > 1 ? 1 : (x < -1 ? -1 : x)
        case .tanhShrink: x - KerasMath.tanh(x)
        case .softplus: KerasMath.softplus(x)
        case .softsign: x / (abs(x) + 1)
        case .squareplus: KerasMath.squareplus(x)
        case .sparsePlus: x <= -1 ? 0 : (x >= 1 ? x : (x + 1) * (x + 1) / 4)
        case .softShrink: x > 0.5 ? x - 0.5 : (x < -0.5 ? x + 0.5 : 0)
        case .hardShrink: abs(x) > 0.5 ? x : 0
        case .exponential: exp(x)
        case .softmax, .logSoftmax, .sparsemax, .glu:
            // Row-wise; `apply` handles them before coming here.
            x
        }
    }
}

/// The scalar and row functions Keras's activations are built from.
private enum KerasMath {
    /// SELU's constants (jax.nn.selu).
    static let seluAlpha = 1.6732632423543772848170429916717
    static let seluScale = 1.0507009873554804934193349852946

    /// 1 / (1 + e^-x), without overflow for either sign of x.
    static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }

    /// log(1 + e^x) as jnp.logaddexp(x, 0) computes it: max(x, 0) + log1p(e^-|x|).
    static func softplus(_ x: Double) -> Double {
        max(x, 0) + log1p(exp(-abs(x)))
    }

    /// relu6(x + 3) / 6.
    static func hardSigmoid(_ x: Double) -> Double {
        min(max(x + 3, 0), 6) / 6
    }

    /// The C library's tanh (a name `Activation.tanh` would otherwise shadow).
    static func tanh(_ x: Double) -> Double {
        tanhOfDouble(x)
    }

    /// (x + sqrt(x² + 4)) / 2, operation by operation as Keras does it, in `T`.
    static func squareplus<T: BinaryFloatingPoint>(_ x: T) -> T {
        (x + (x * x + 4).squareRoot()) / 2
    }

    /// exp(x - max) / sum(exp(x - max)).
    static func softmax(_ row: [Double]) -> [Double] {
        guard let maximum = row.max() else { return [] }
        let exponentials = row.map { exp($0 - maximum) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }

    /// (x - max) - log(sum(exp(x - max))).
    static func logSoftmax(_ row: [Double]) -> [Double] {
        guard let maximum = row.max() else { return [] }
        let shifted = row.map { $0 - maximum }
        let logSum = log(shifted.map { exp($0) }.reduce(0, +))
        return shifted.map { $0 - logSum }
    }

    /// Sparsemax (Martins & Astudillo, 2016) with the corrected threshold of
    /// keras-team/keras#23425: with the logits sorted in decreasing order
    /// z(1) >= z(2) >= ..., the support size k is the largest j with
    /// 1 + j z(j) > z(1) + ... + z(j), tau = (z(1) + ... + z(k) - 1) / k, and
    /// the output is max(z - tau, 0). (Keras 3.15 sums the cumulative sums
    /// instead of the logits, which is wrong whenever k >= 2.)
    ///
    /// Sparsemax is unchanged by adding a constant to every logit, so the row
    /// maximum is subtracted first: otherwise `1 + z` rounds to `z` for large
    /// logits and the support comes out empty.
    static func sparsemax(_ row: [Double]) -> [Double] {
        guard let maximum = row.max() else { return [] }
        let shifted = row.map { $0 - maximum }
        let sorted = shifted.sorted(by: >)
        var cumulativeSums: [Double] = []
        var k = 0
        for (index, z) in sorted.enumerated() {
            cumulativeSums.append((cumulativeSums.last ?? 0) + z)
            if 1 + Double(index + 1) * z > cumulativeSums[index] {
                k += 1
            }
        }
        guard k > 0 else {
            // Only rows with NaN get here (the largest logit is always in the support).
            return row.map { _ in .nan }
        }
        let tau = (cumulativeSums[k - 1] - 1) / Double(k)
        return shifted.map { max($0 - tau, 0) }
    }
}

/// The C library's tanh, at file scope where no enum case named `tanh` hides it.
private func tanhOfDouble(_ x: Double) -> Double {
    tanh(x)
}
