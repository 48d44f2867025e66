extension Initializer {
    /// The initializer as a spec names it: `glorot_uniform`, `he_normal`,
    /// `zeros`, or a call with the arguments that differ from a preset
    /// (`random_normal(mean=0.0, stddev=0.05)`, `constant(value=0.5)`), its
    /// own seed included when its config gives one. For messages and comments.
    public var specName: String {
        switch self {
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .constant(let value): return "constant(value=\(value))"
        case .randomUniform(let low, let high, let seed):
            return Self.call("random_uniform", ["minval=\(low)", "maxval=\(high)"], seed)
        case .randomNormal(let mean, let stddev, let seed):
            return Self.call("random_normal", ["mean=\(mean)", "stddev=\(stddev)"], seed)
        case .truncatedNormal(let mean, let stddev, let seed):
            return Self.call("truncated_normal", ["mean=\(mean)", "stddev=\(stddev)"], seed)
        case .varianceScaling(let arguments):
            var axes: [String] = []
            if let input = arguments.inputAxes { axes.append("input_axes=\(input)") }
            if let output = arguments.outputAxes { axes.append("output_axes=\(output)") }
            if let preset = Self.preset(of: arguments) {
                return axes.isEmpty && arguments.seed == nil ? preset : Self.call(preset, axes, arguments.seed)
            }
            let settings = ["scale=\(arguments.scale)", "mode=\(arguments.mode.rawValue)", "distribution=\(arguments.distribution.rawValue)"]
            return Self.call("variance_scaling", settings + axes, arguments.seed)
        case .orthogonal(let gain, let seed): return Self.call("orthogonal", ["gain=\(gain)"], seed)
        case .identity(let gain): return "identity(gain=\(gain))"
        case .stft(let arguments):
            let window = arguments.window ?? "none"
            let scaling = arguments.scaling?.rawValue ?? "none"
            return "stft(side=\(arguments.side.rawValue), window=\(window), scaling=\(scaling), periodic=\(arguments.periodic))"
        }
    }

    /// Whether the initializer draws random numbers and gives no seed of its
    /// own, so that the spec's `seed` decides its values.
    public var usesSpecSeed: Bool {
        switch self {
        case .randomUniform(_, _, let seed), .randomNormal(_, _, let seed), .truncatedNormal(_, _, let seed), .orthogonal(_, let seed):
            seed == nil
        case .varianceScaling(let arguments): arguments.seed == nil
        case .zeros, .ones, .constant, .identity, .stft: false
        }
    }

    /// The Keras name of the initializer's kind, a variance-scaling preset
    /// by its own name (`glorot_uniform`), without arguments: for a summary.
    public var kindName: String {
        if case .varianceScaling(let arguments) = self, let preset = Self.preset(of: arguments) { return preset }
        return kerasName
    }

    /// The name of the preset `arguments` are, if they are one.
    private static func preset(of arguments: VarianceScaling) -> String? {
        presets.first { $0.scale == arguments.scale && $0.mode == arguments.mode && $0.distribution == arguments.distribution }?.name
    }

    /// The presets of `VarianceScaling` that Keras registers under their own names.
    private static let presets: [(name: String, scale: Double, mode: VarianceScaling.Mode, distribution: VarianceScaling.Distribution)] = [
        ("glorot_uniform", 1, .fanAvg, .uniform), ("glorot_normal", 1, .fanAvg, .truncatedNormal),
        ("he_uniform", 2, .fanIn, .uniform), ("he_normal", 2, .fanIn, .truncatedNormal),
        ("lecun_uniform", 1, .fanIn, .uniform), ("lecun_normal", 1, .fanIn, .truncatedNormal),
    ]

    /// `name(arguments..., seed=N)`, or `name` alone when there is nothing to show.
    private static func call(_ name: String, _ arguments: [String], _ seed: Int?) -> String {
        let all = arguments + (seed.map { ["seed=\($0)"] } ?? [])
        return all.isEmpty ? name : "\(name)(\(all.joined(separator: ", ")))"
    }
}
