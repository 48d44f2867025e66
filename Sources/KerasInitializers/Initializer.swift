/// A Keras 3 weight initializer, as named or configured in a spec.
///
/// Only used when the spec gives no weights. Random initializers draw from
/// `seed` (their own config's seed when it gives one, else the spec's).
public enum Initializer: Hashable, Sendable {
    case zeros
    case ones
    case constant(value: Double)
    case randomUniform(minval: Double, maxval: Double, seed: Int?)
    case randomNormal(mean: Double, stddev: Double, seed: Int?)
    case truncatedNormal(mean: Double, stddev: Double, seed: Int?)
    case varianceScaling(VarianceScaling)
    case orthogonal(gain: Double, seed: Int?)
    case identity(gain: Double)
    case stft(STFT)

    /// The arguments of `keras.initializers.VarianceScaling` (Glorot, He and
    /// LeCun initializers are presets of it).
    public struct VarianceScaling: Hashable, Sendable {
        /// How fans are combined.
        public enum Mode: String, Hashable, Sendable { case fanIn = "fan_in", fanOut = "fan_out", fanAvg = "fan_avg" }
        /// The distribution drawn from.
        public enum Distribution: String, Hashable, Sendable {
            case truncatedNormal = "truncated_normal", untruncatedNormal = "untruncated_normal", uniform
        }
        public var scale: Double
        public var mode: Mode
        public var distribution: Distribution
        public var seed: Int?
        /// Axes counted as input fan (Keras 3.15 `input_axes`), or nil for Keras's default.
        public var inputAxes: [Int]?
        /// Axes counted as output fan (Keras 3.15 `output_axes`), or nil for Keras's default.
        public var outputAxes: [Int]?

        /// Creates the arguments.
        public init(scale: Double, mode: Mode, distribution: Distribution, seed: Int?,
                    inputAxes: [Int]? = nil, outputAxes: [Int]? = nil) {
            self.scale = scale
            self.mode = mode
            self.distribution = distribution
            self.seed = seed
            self.inputAxes = inputAxes
            self.outputAxes = outputAxes
        }
    }

    /// The arguments of `keras.initializers.STFT`.
    public struct STFT: Hashable, Sendable {
        public enum Side: String, Hashable, Sendable { case real, imag }
        public enum Scaling: String, Hashable, Sendable { case density, spectrum }
        public var side: Side
        /// A window name (`hann`, `hamming`, ...) or nil for none.
        public var window: String?
        public var scaling: Scaling?
        public var periodic: Bool

        /// Creates the arguments.
        public init(side: Side, window: String?, scaling: Scaling?, periodic: Bool) {
            self.side = side
            self.window = window
            self.scaling = scaling
            self.periodic = periodic
        }
    }
}
