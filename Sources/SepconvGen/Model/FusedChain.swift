#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// The layers `fuse: true` folds into a SeparableConv1D: at most one
/// `BatchNormalization` over the channel axis, then at most one activation
/// layer, as Keras 3 configured and trained them.
public struct FusedChain: Hashable, Sendable {
    /// A `BatchNormalization` in inference mode: its moving statistics and
    /// the arguments that change its arithmetic.
    public struct BatchNorm: Hashable, Sendable {
        public var name: String
        /// Per channel; nil when `scale: false`.
        public var gamma: [Double]?
        /// Per channel; nil when `center: false`.
        public var beta: [Double]?
        public var movingMean: [Double]
        public var movingVariance: [Double]
        public var epsilon: Double

        /// The per-channel affine map `x * scale + shift` the layer computes,
        /// as Keras's JAX backend does (`inv = rsqrt(variance + epsilon) * gamma`,
        /// `shift = beta - mean * inv`), rounded to `dtype` when it is float32.
        public func affine(_ dtype: DType) -> (scale: [Double], shift: [Double]) {
            let round = dtype.format.round
            var scale: [Double] = []
            var shift: [Double] = []
            for channel in movingMean.indices {
                let inverse = round(round(1 / sqrt(round(movingVariance[channel] + epsilon))) * (gamma?[channel] ?? 1))
                scale.append(inverse)
                shift.append(round(round(-movingMean[channel] * inverse) + (beta?[channel] ?? 0)))
            }
            return (scale, shift)
        }
    }

    /// An activation layer and its arguments.
    public enum ActivationLayer: Hashable, Sendable {
        /// `Activation(name)`.
        case named(Activation)
        /// `ReLU(max_value, negative_slope, threshold)`.
        case relu(maxValue: Double?, negativeSlope: Double, threshold: Double)
        /// `LeakyReLU(negative_slope)` (tf.keras 2: `alpha`).
        case leakyRelu(negativeSlope: Double)
        /// `ELU(alpha)`.
        case elu(alpha: Double)
        /// `Softmax(axis=-1)`.
        case softmax

        /// The same function as one of the activations the emitters know, when its arguments are
        /// that activation's defaults (compared in float32: tf.keras 2 stores `alpha=0.2` as 0.2f).
        public var plain: Activation? {
            let same = { (a: Double, b: Double) in Float(a) == Float(b) }
            switch self {
            case .named(let activation): return activation
            case .relu(nil, let slope, let threshold) where slope == 0 && threshold == 0: return .relu
            case .relu(let maxValue?, let slope, let threshold) where same(maxValue, 6) && slope == 0 && threshold == 0: return .relu6
            case .leakyRelu(let slope) where same(slope, 0.2): return .leakyRelu
            case .elu(let alpha) where same(alpha, 1): return .elu
            case .softmax: return .softmax
            case .relu, .leakyRelu, .elu: return nil
            }
        }

        /// The layer's arguments as Keras prints them, for messages.
        public var description: String {
            switch self {
            case .named(let activation): "Activation('\(activation.rawValue)')"
            case .relu(let maxValue, let slope, let threshold):
                "ReLU(max_value=\(maxValue.map { "\($0)" } ?? "None"), negative_slope=\(slope), threshold=\(threshold))"
            case .leakyRelu(let slope): "LeakyReLU(negative_slope=\(slope))"
            case .elu(let alpha): "ELU(alpha=\(alpha))"
            case .softmax: "Softmax(axis=-1)"
            }
        }

        /// The function with the layer's arguments (nil for `Activation` and `Softmax`).
        public var parametric: ParametricActivation? {
            switch self {
            case .relu(let maxValue, let slope, let threshold): .relu(maxValue: maxValue, negativeSlope: slope, threshold: threshold)
            case .leakyRelu(let slope): .relu(maxValue: nil, negativeSlope: slope, threshold: 0)
            case .elu(let alpha): .elu(alpha: alpha)
            case .named, .softmax: nil
            }
        }

        /// The layer on one value, as Keras 3's `ReLU.static_call`, `leaky_relu` and `elu` compute it.
        func elementwise(_ x: Double) -> Double {
            parametric?.apply(x) ?? x
        }
    }

    public var batchNorm: BatchNorm?
    /// The activation layer's name and what it computes.
    public var activation: (name: String, layer: ActivationLayer)?

    /// Creates a chain.
    public init(batchNorm: BatchNorm? = nil, activation: (name: String, layer: ActivationLayer)? = nil) {
        self.batchNorm = batchNorm
        self.activation = activation
    }

    /// The fused layers' names, in order.
    public var layerNames: [String] {
        [batchNorm?.name, activation?.name].compactMap(\.self)
    }

    /// Whether nothing is fused.
    public var isEmpty: Bool { batchNorm == nil && activation == nil }

    public static func == (lhs: FusedChain, rhs: FusedChain) -> Bool {
        lhs.batchNorm == rhs.batchNorm && lhs.activation?.name == rhs.activation?.name && lhs.activation?.layer == rhs.activation?.layer
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(batchNorm)
        hasher.combine(activation?.name)
        hasher.combine(activation?.layer)
    }

    /// The chain applied, unfolded, to a layer's output `output` ((batch, steps, filters) or
    /// (batch, filters, steps) as `dataFormat` says): BatchNormalization as Keras defines it,
    /// `(x - mean) / sqrt(variance + epsilon) * gamma + beta` per filter, then the activation
    /// layer along the last axis; each step rounded to `dtype`. The reference fused code is tested against.
    public func reference(_ output: Tensor, dataFormat: DataFormat, dtype: DType) -> Tensor {
        let round = dtype.format.round
        guard output.shape.count == 3 else { return output }
        let (batch, first, second) = (output.shape[0], output.shape[1], output.shape[2])
        var values = output.scalars
        if let batchNorm {
            for index in values.indices {
                let filter = dataFormat == .channelsLast ? index % second : (index / second) % first
                let normalized = (values[index] - batchNorm.movingMean[filter]) / sqrt(batchNorm.movingVariance[filter] + batchNorm.epsilon)
                values[index] = round(normalized * (batchNorm.gamma?[filter] ?? 1) + (batchNorm.beta?[filter] ?? 0))
            }
        }
        guard let layer = activation?.layer else { return Tensor(shape: output.shape, scalars: values) }
        switch layer {
        case .named(let function):
            let result = function.apply(values, rows: batch * first, length: second, dtype: dtype)
            return Tensor(shape: [batch, first, function.outputLength(forLastAxis: second)], scalars: result)
        case .softmax:
            return Tensor(shape: output.shape, scalars: Activation.softmax.apply(values, rows: batch * first, length: second, dtype: dtype))
        case .relu, .leakyRelu, .elu:
            return Tensor(shape: output.shape, scalars: values.map { round(layer.elementwise($0)) })
        }
    }
}
