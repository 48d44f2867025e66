/// Why an initializer cannot fill a weight, in Keras's terms.
public struct InitializerError: Error, Hashable, Sendable {
    /// What is wrong, in words.
    public var message: String

    /// Creates an error with `message`.
    public init(message: String) {
        self.message = message
    }
}

extension Initializer {
    /// The values Keras 3 (JAX backend) gives a weight of `shape` in float32
    /// (`singlePrecision`) or float64; random initializers use their own seed, else `defaultSeed`.
    ///
    /// Matches Keras 3.15 on jax 0.10 (CPU, `jax_threefry_partitionable` on,
    /// and for float64 `jax_enable_x64` on): an integer seed S becomes the
    /// raw key [S, 0], and the draws are those of `jax.random.uniform`,
    /// `normal` and `truncated_normal`: bit for bit in float32, and in
    /// float64 but for an ulp where the C library's logarithm rounds
    /// differently. Orthogonal factors are computed in double precision, so
    /// they differ from Keras's LAPACK QR by its rounding (float32: ~1e-7).
    ///
    /// - Returns: the values in C order, each exactly representable in the precision
    ///   (float32 values are `Float`s widened).
    /// - Throws: `InitializerError` where Keras raises for this shape or
    ///   seed, and where Keras would silently fill the weight with NaN or
    ///   infinity.
    public func sample(shape: [Int], singlePrecision: Bool, defaultSeed: Int, limit: Int) throws(InitializerError) -> [Double] {
        let count = try InitializerSampler.elementCount(shape, limit: limit)
        let values = try InitializerSampler(shape: shape, count: count, single: singlePrecision,
                                            defaultSeed: defaultSeed).values(for: self)
        if let bad = values.first(where: { !$0.isFinite }) {
            throw InitializerError(message: "\(kerasName) would fill a \(singlePrecision ? "float32" : "float64") weight of shape \(describe(shape)) "
                + "with \(bad.isNaN ? "NaN" : "infinite") values; choose arguments that keep the values finite")
        }
        return values
    }

    /// The Keras name of the initializer, for messages.
    public var kerasName: String {
        switch self {
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .constant: return "constant"
        case .randomUniform: return "random_uniform"
        case .randomNormal: return "random_normal"
        case .truncatedNormal: return "truncated_normal"
        case .varianceScaling: return "variance_scaling"
        case .orthogonal: return "orthogonal"
        case .identity: return "identity"
        case .stft: return "stft"
        }
    }
}

/// One weight being filled.
private struct InitializerSampler {
    var shape: [Int]
    var count: Int
    /// float32 (else float64).
    var single: Bool
    var defaultSeed: Int

    /// The number of values in `shape`, at most `limit`.
    static func elementCount(_ shape: [Int], limit: Int) throws(InitializerError) -> Int {
        var count = 1
        for extent in shape {
            guard extent >= 0 else {
                throw InitializerError(message: "shape \(describe(shape)) has a negative extent")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw InitializerError(message: "shape \(describe(shape)) is too large") }
            count = product
        }
        guard count <= limit else {
            throw InitializerError(message: "shape \(describe(shape)) holds \(count) values; "
                + "at most \(limit) weights are initialized")
        }
        return count
    }

    /// `value` rounded to the weight's precision.
    func round(_ value: Double) -> Double {
        single ? Double(Float(value)) : value
    }

    func values(for initializer: Initializer) throws(InitializerError) -> [Double] {
        switch initializer {
        case .zeros:
            return [Double](repeating: 0, count: count)
        case .ones:
            return [Double](repeating: 1, count: count)
        case .constant(let value):
            // ops.cast(value, dtype) * ops.ones(shape, dtype)
            return [Double](repeating: round(value), count: count)
        case .randomUniform(let minval, let maxval, let seed):
            return uniform(minval: minval, maxval: maxval, key: try key(seed))
        case .randomNormal(let mean, let stddev, let seed):
            return normal(mean: mean, stddev: stddev, truncated: false, key: try key(seed))
        case .truncatedNormal(let mean, let stddev, let seed):
            return normal(mean: mean, stddev: stddev, truncated: true, key: try key(seed))
        case .varianceScaling(let arguments):
            return try varianceScaling(arguments)
        case .orthogonal(let gain, let seed):
            return try orthogonal(gain: gain, seed: seed)
        case .identity(let gain):
            guard shape.count == 2 else {
                throw InitializerError(message: "identity: Keras's Identity initializer can only be used for 2D matrices; "
                    + "received shape=\(describe(shape)) of rank \(shape.count)")
            }
            // gain * ops.eye(rows, columns)
            let g = round(gain)
            return (0..<count).map { index in
                round(g * (index / shape[1] == index % shape[1] ? 1 : 0))
            }
        case .stft(let arguments):
            return try stft(arguments)
        }
    }

    // MARK: Seeds

    /// The raw JAX key Keras's `draw_seed` makes from an integer seed.
    func key(_ seed: Int?) throws(InitializerError) -> Threefry {
        let seed = seed ?? defaultSeed
        guard let value = UInt32(exactly: seed) else {
            throw InitializerError(message: "seed \(seed) is out of range: Keras's JAX backend makes the key "
                + "[seed, 0] as uint32 and raises 'Python integer \(seed) out of bounds for uint32'; "
                + "use a seed from 0 to 4294967295")
        }
        return Threefry(seed: value)
    }

    // MARK: Distributions

    /// `keras.random.uniform`: `jax.random.uniform` with the bounds cast to the dtype.
    func uniform(minval: Double, maxval: Double, key: Threefry) -> [Double] {
        if single {
            return JAXSampling.uniform(key, count: count, minval: Float(minval), maxval: Float(maxval)).map(Double.init)
        }
        return JAXSampling.uniform(key, count: count, minval: minval, maxval: maxval)
    }

    /// `keras.random.normal` / `truncated_normal`: a standard draw, then
    /// `sample * stddev + mean` as two separate operations in the dtype.
    func normal(mean: Double, stddev: Double, truncated: Bool, key: Threefry) -> [Double] {
        if single {
            let draws = truncated ? JAXSampling.truncatedNormalFloat(key, count: count)
                : JAXSampling.normalFloat(key, count: count)
            let scale = Float(stddev)
            let shift = Float(mean)
            return draws.map { sample in
                let scaled = sample * scale
                return Double(scaled + shift)
            }
        }
        let draws = truncated ? JAXSampling.truncatedNormalDouble(key, count: count)
            : JAXSampling.normalDouble(key, count: count)
        return draws.map { sample in
            let scaled = sample * stddev
            return scaled + mean
        }
    }

    // MARK: VarianceScaling

    func varianceScaling(_ arguments: Initializer.VarianceScaling) throws(InitializerError) -> [Double] {
        guard arguments.scale > 0 else {
            throw InitializerError(message: "variance_scaling: argument `scale` must be positive float; received scale=\(arguments.scale)")
        }
        let (fanIn, fanOut) = try fans(inputAxes: arguments.inputAxes, outputAxes: arguments.outputAxes)
        var scale = arguments.scale
        switch arguments.mode {
        case .fanIn: scale /= max(1.0, Double(fanIn))
        case .fanOut: scale /= max(1.0, Double(fanOut))
        case .fanAvg: scale /= max(1.0, (Double(fanIn) + Double(fanOut)) / 2.0)
        }
        let key = try key(arguments.seed)
        switch arguments.distribution {
        case .truncatedNormal:
            return normal(mean: 0, stddev: scale.squareRoot() / 0.87962566103423978, truncated: true, key: key)
        case .untruncatedNormal:
            return normal(mean: 0, stddev: scale.squareRoot(), truncated: false, key: key)
        case .uniform:
            let limit = (3.0 * scale).squareRoot()
            return uniform(minval: -limit, maxval: limit, key: key)
        }
    }

    /// Keras 3.15's `compute_fans`: explicit axes only when both lists are
    /// given, else by rank (a kernel's last two axes are input and output
    /// depth, the others its receptive field).
    func fans(inputAxes: [Int]?, outputAxes: [Int]?) throws(InitializerError) -> (Int, Int) {
        if let inputAxes, let outputAxes {
            return (try product(of: inputAxes, named: "input_axes"), try product(of: outputAxes, named: "output_axes"))
        }
        switch shape.count {
        case 0:
            return (1, 1)
        case 1:
            return (shape[0], shape[0])
        case 2:
            return (shape[0], shape[1])
        default:
            let receptive = try product(of: Array(0..<(shape.count - 2)), named: "receptive field")
            let fanIn = shape[shape.count - 2].multipliedReportingOverflow(by: receptive)
            let fanOut = shape[shape.count - 1].multipliedReportingOverflow(by: receptive)
            guard !fanIn.overflow, !fanOut.overflow else {
                throw InitializerError(message: "variance_scaling: the fans of shape \(describe(shape)) are too large")
            }
            return (fanIn.partialValue, fanOut.partialValue)
        }
    }

    private func product(of axes: [Int], named name: String) throws(InitializerError) -> Int {
        var result = 1
        for axis in axes {
            // Python indexing: negative axes count from the end.
            let index = axis < 0 ? shape.count + axis : axis
            guard index >= 0, index < shape.count else {
                throw InitializerError(message: "variance_scaling: \(name) names axis \(axis), but the weight's shape "
                    + "\(describe(shape)) has rank \(shape.count) (Keras raises 'tuple index out of range')")
            }
            let (next, overflow) = result.multipliedReportingOverflow(by: shape[index])
            guard !overflow else { throw InitializerError(message: "variance_scaling: the \(name) fan is too large") }
            result = next
        }
        return result
    }

    // MARK: Orthogonal

    func orthogonal(gain: Double, seed: Int?) throws(InitializerError) -> [Double] {
        guard shape.count >= 2 else {
            throw InitializerError(message: "orthogonal: the tensor to initialize must be at least two-dimensional; "
                + "received shape=\(describe(shape)) of rank \(shape.count)")
        }
        let key = try key(seed)
        if count == 0 { return [] }
        // Both divide `count`, which is not zero.
        let columns = shape[shape.count - 1]
        let rows = count / columns
        let tall = max(rows, columns)
        let wide = min(rows, columns)
        // random.normal((tall, wide)) in the dtype, then QR in double.
        let draws = single ? JAXSampling.normalFloat(key, count: count).map(Double.init)
            : JAXSampling.normalDouble(key, count: count)
        let q = HouseholderQR.orthonormalFactor(draws, rows: tall, columns: wide)
        let g = round(gain)
        var values = [Double]()
        values.reserveCapacity(count)
        for row in 0..<rows {
            for column in 0..<columns {
                // Fewer rows than columns: Keras transposes the (columns × rows) factor.
                let entry = rows < columns ? q[column * wide + row] : q[row * wide + column]
                values.append(round(g * round(entry)))
            }
        }
        return values
    }

    // MARK: STFT

    func stft(_ arguments: Initializer.STFT) throws(InitializerError) -> [Double] {
        if let window = arguments.window, let problem = SciPyWindow.problem(with: window) {
            throw InitializerError(message: "stft: \(problem) (Keras checks the window with scipy.signal.get_window)")
        }
        guard shape.count == 3 else {
            throw InitializerError(message: "stft: Keras's STFT initializer unpacks the shape as (frame_length, input_channels, "
                + "fft_length) and needs exactly 3 axes; received shape=\(describe(shape)) of rank \(shape.count)")
        }
        guard shape[1] == 1 else {
            throw InitializerError(message: "stft: Keras's STFT initializer always makes a kernel of shape "
                + "(\(shape[0]), 1, \(shape[2])), which does not fit shape \(describe(shape)); its second axis must be 1")
        }
        guard shape[0] >= 1 || arguments.window == nil else {
            throw InitializerError(message: "stft: frame_length (the first axis) is 0; scipy.signal.get_window needs a positive length")
        }
        guard shape[2] >= 2 else {
            throw InitializerError(message: "stft: with fft_length \(shape[2]) (the last axis) Keras divides by (fft_length - 1) * 2 = 0 "
                + "and fills the kernel with NaN; the last axis must be at least 2")
        }
        guard let values = STFTKernel.values(arguments, frames: shape[0], bins: shape[2], single: single) else {
            throw InitializerError(message: "stft: unknown window")
        }
        return values
    }
}

/// A shape as Python writes a tuple: `(3,)`, `(3, 1, 4)`.
func describe(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
