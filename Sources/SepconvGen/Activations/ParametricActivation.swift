import Foundation

/// An activation layer's function with arguments that no named activation
/// has: Keras's `ReLU(max_value, negative_slope, threshold)` (and so
/// `LeakyReLU(negative_slope)`) and `ELU(alpha)`. Elementwise, fused into
/// the plan's epilogue.
public enum ParametricActivation: Hashable, Sendable {
    /// `keras.activations.relu(x, negative_slope, max_value, threshold)`;
    /// `leaky_relu(x, s)` is `relu(x, negative_slope: s)`.
    case relu(maxValue: Double?, negativeSlope: Double, threshold: Double)
    /// `keras.activations.elu(x, alpha)`: x if x > 0, else alpha · expm1(x).
    case elu(alpha: Double)

    /// The function with its constants rounded to `dtype`, as Keras casts them to the input's dtype.
    func rounded(to dtype: DType) -> ParametricActivation {
        let round = dtype.format.round
        switch self {
        case .relu(let maxValue, let slope, let threshold):
            return .relu(maxValue: maxValue.map(round), negativeSlope: round(slope), threshold: round(threshold))
        case .elu(let alpha):
            return .elu(alpha: round(alpha))
        }
    }

    /// The function on one value, as Keras 3's `ReLU.static_call` and `elu` compute it.
    public func apply(_ x: Double) -> Double {
        switch self {
        case .relu(let maxValue, let slope, let threshold):
            if slope != 0, maxValue == nil, threshold == 0 { return x >= 0 ? x : slope * x }
            var y = threshold != 0 ? (x > threshold ? x : 0) : max(x, 0)
            if let maxValue { y = min(max(y, 0), maxValue) }
            if slope != 0 { y -= slope * max(threshold - x, 0) }
            return y
        case .elu(let alpha):
            return x > 0 ? x : alpha * expm1(x)
        }
    }

    /// The function as Keras's arguments name it: `relu(negative_slope=0.3)`.
    public var description: String {
        switch self {
        case .relu(let maxValue, let slope, let threshold):
            "relu(max_value=\(maxValue.map { "\($0)" } ?? "None"), negative_slope=\(slope), threshold=\(threshold))"
        case .elu(let alpha): "elu(alpha=\(alpha))"
        }
    }
}

/// What an activation helper of the emitted code computes.
enum ActivationFunction: Hashable, Sendable {
    case named(Activation)
    case parametric(ParametricActivation)

    /// The helper `base`, in `namer`'s language, element type and spelling of names; none for linear.
    func helper(_ namer: Namer, base: String) -> ActivationHelper? {
        switch self {
        case .named(let activation): activation.helper(namer, base: base)
        case .parametric(let function): function.helper(namer, base: base)
        }
    }
}
