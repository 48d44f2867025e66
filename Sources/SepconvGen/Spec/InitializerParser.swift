import KerasInitializers
/// Reads an initializer as Keras's `initializers.get` does: a registered
/// name (`glorot_uniform`, `GlorotUniform`, `uniform`, ...) or a Keras
/// config mapping (`{class_name: ..., config: {...}}`).
struct InitializerParser {
    var reader: NodeReader
    let path: String
    /// Where the initializer was given, for errors about it as a whole.
    private var configMark = Mark.start

    init(reader: NodeReader, path: String) {
        self.reader = reader
        self.path = path
    }

    /// What each registered name means, with the argument names its config takes.
    private enum Kind: String, CaseIterable {
        case zeros, ones, constant, randomUniform, randomNormal, truncatedNormal, varianceScaling
        case glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, orthogonal, identity, stft

        /// The names Keras 3.15 registers for this initializer.
        var names: [String] {
            switch self {
            case .zeros: ["zeros", "zero", "Zeros"]
            case .ones: ["ones", "one", "Ones"]
            case .constant: ["constant", "Constant"]
            case .randomUniform: ["random_uniform", "uniform", "RandomUniform"]
            case .randomNormal: ["random_normal", "normal", "RandomNormal"]
            case .truncatedNormal: ["truncated_normal", "TruncatedNormal"]
            case .varianceScaling: ["variance_scaling", "VarianceScaling"]
            case .glorotUniform: ["glorot_uniform", "GlorotUniform"]
            case .glorotNormal: ["glorot_normal", "GlorotNormal"]
            case .heUniform: ["he_uniform", "HeUniform"]
            case .heNormal: ["he_normal", "HeNormal"]
            case .lecunUniform: ["lecun_uniform", "LecunUniform"]
            case .lecunNormal: ["lecun_normal", "LecunNormal"]
            case .orthogonal: ["orthogonal", "Orthogonal", "OrthogonalInitializer"]
            case .identity: ["identity", "Identity", "IdentityInitializer"]
            case .stft: ["stft", "STFT", "STFTInitializer"]
            }
        }

        /// The config keys Keras's constructor takes.
        var arguments: [String] {
            switch self {
            case .zeros, .ones: []
            case .constant: ["value"]
            case .randomUniform: ["minval", "maxval", "seed"]
            case .randomNormal, .truncatedNormal: ["mean", "stddev", "seed"]
            case .varianceScaling: ["scale", "mode", "distribution", "seed", "input_axes", "output_axes"]
            case .glorotUniform, .glorotNormal, .heUniform, .heNormal, .lecunUniform, .lecunNormal: ["seed", "input_axes", "output_axes"]
            case .orthogonal: ["gain", "seed"]
            case .identity: ["gain"]
            case .stft: ["side", "window", "scaling", "periodic"]
            }
        }

        static func named(_ name: String) -> Kind? {
            allCases.first { $0.names.contains(name) }
        }
    }

    /// The initializer `node` names, or nil (with an error recorded) when Keras would not accept it.
    /// A null means Keras's default for a weight, `glorot_uniform`.
    mutating func parse(_ node: Node) -> Initializer? {
        if NodeReader.isNull(node) { return .glorotUniform }
        var config: Node.Mapping?
        let nameNode: Node
        if case .mapping = node {
            guard let mapping = reader.mapping(node, path: path, known: ["module", "class_name", "config", "registered_name"]) else { return nil }
            guard let className = mapping["class_name"] else {
                reader.diagnostics.error("'\(path)' config mapping has no 'class_name'", at: node.mark)
                return nil
            }
            nameNode = className
            if let configNode = mapping["config"], !NodeReader.isNull(configNode) {
                guard case .mapping(let inner) = configNode else {
                    reader.diagnostics.error("'\(path).config' must be a mapping, not \(configNode.kindDescription)", at: configNode.mark)
                    return nil
                }
                config = inner
            }
        } else {
            nameNode = node
        }
        guard let name = reader.string(nameNode, path: path) ?? nil else { return nil }
        guard let kind = Kind.named(name) else {
            let hint = SpellingHint.suffix(for: name, in: Kind.allCases.flatMap(\.names))
            reader.diagnostics.error("unknown initializer '\(Identifier.printable(name))'\(hint)", at: nameNode.mark)
            return nil
        }
        let arguments = config.flatMap { inner in
            reader.mapping(.mapping(inner), path: "\(path).config", known: kind.arguments)
        }
        configMark = node.mark
        return build(kind, arguments)
    }

    private mutating func number(_ config: Node.Mapping?, _ key: String, default value: Double) -> Double? {
        guard let node = config?[key] else { return value }
        return reader.number(node, path: "\(path).config.\(key)")
    }

    private mutating func seed(_ config: Node.Mapping?) -> Int?? {
        guard let node = config?["seed"], !NodeReader.isNull(node) else { return .some(nil) }
        guard let seed = reader.integer(node, path: "\(path).config.seed", in: 0...Int(UInt32.max)) else { return nil }
        return .some(seed)
    }

    private mutating func axes(_ config: Node.Mapping?, _ key: String) -> [Int]?? {
        guard let node = config?[key], !NodeReader.isNull(node) else { return .some(nil) }
        if case .sequence(let sequence) = node {
            var axes: [Int] = []
            for item in sequence.items {
                guard let axis = reader.integer(item, path: "\(path).config.\(key)", in: -3...2) else { return nil }
                axes.append(axis)
            }
            return .some(axes)
        }
        guard let axis = reader.integer(node, path: "\(path).config.\(key)", in: -3...2) else { return nil }
        return .some([axis])
    }

    private mutating func choice<T: RawRepresentable<String>>(_ config: Node.Mapping?, _ key: String, default value: T, _ type: T.Type, allowed: [String]) -> T? {
        guard let node = config?[key] else { return value }
        guard let text = reader.string(node, path: "\(path).config.\(key)") ?? nil else { return nil }
        guard let result = T(rawValue: text) else {
            let list = allowed.map { "'\($0)'" }.joined(separator: ", ")
            reader.diagnostics.error("'\(path).config.\(key)' must be one of \(list), not '\(Identifier.printable(text))'", at: node.mark)
            return nil
        }
        return result
    }

    private mutating func build(_ kind: Kind, _ config: Node.Mapping?) -> Initializer? {
        switch kind {
        case .zeros: return .zeros
        case .ones: return .ones
        case .constant:
            // Keras builds Constant from a config only: by name it fails (`KeyError: 'value'`).
            guard let config, config["value"] != nil else {
                reader.diagnostics.error("'\(path)': Keras cannot build the constant initializer without a value; give {class_name: Constant, config: {value: ...}}", at: configMark)
                return nil
            }
            return number(config, "value", default: 0).map { .constant(value: $0) }
        case .randomUniform:
            guard let low = number(config, "minval", default: -0.05), let high = number(config, "maxval", default: 0.05),
                  let seed = seed(config) else { return nil }
            return .randomUniform(minval: low, maxval: high, seed: seed)
        case .randomNormal, .truncatedNormal:
            guard let mean = number(config, "mean", default: 0), let stddev = number(config, "stddev", default: 0.05),
                  let seed = seed(config) else { return nil }
            return kind == .randomNormal ? .randomNormal(mean: mean, stddev: stddev, seed: seed)
                : .truncatedNormal(mean: mean, stddev: stddev, seed: seed)
        case .varianceScaling:
            guard let scale = number(config, "scale", default: 1),
                  let mode = choice(config, "mode", default: Initializer.VarianceScaling.Mode.fanIn, Initializer.VarianceScaling.Mode.self,
                                    allowed: ["fan_in", "fan_out", "fan_avg"]),
                  let distribution = choice(config, "distribution", default: Initializer.VarianceScaling.Distribution.truncatedNormal,
                                            Initializer.VarianceScaling.Distribution.self,
                                            allowed: ["truncated_normal", "untruncated_normal", "uniform"]),
                  let seed = seed(config), let inputAxes = axes(config, "input_axes"), let outputAxes = axes(config, "output_axes")
            else { return nil }
            guard scale > 0 else {
                reader.diagnostics.error("'\(path).config.scale' must be positive (Keras requires scale > 0); got \(scale)", at: config?["scale"]?.mark ?? .start)
                return nil
            }
            return .varianceScaling(.init(scale: scale, mode: mode, distribution: distribution, seed: seed,
                                          inputAxes: inputAxes, outputAxes: outputAxes))
        case .glorotUniform, .glorotNormal, .heUniform, .heNormal, .lecunUniform, .lecunNormal:
            guard let seed = seed(config), let inputAxes = axes(config, "input_axes"), let outputAxes = axes(config, "output_axes") else { return nil }
            let (scale, mode, distribution): (Double, Initializer.VarianceScaling.Mode, Initializer.VarianceScaling.Distribution) = switch kind {
            case .glorotUniform: (1, .fanAvg, .uniform)
            case .glorotNormal: (1, .fanAvg, .truncatedNormal)
            case .heUniform: (2, .fanIn, .uniform)
            case .heNormal: (2, .fanIn, .truncatedNormal)
            case .lecunUniform: (1, .fanIn, .uniform)
            default: (1, .fanIn, .truncatedNormal)
            }
            return .varianceScaling(.init(scale: scale, mode: mode, distribution: distribution, seed: seed,
                                          inputAxes: inputAxes, outputAxes: outputAxes))
        case .orthogonal:
            guard let gain = number(config, "gain", default: 1), let seed = seed(config) else { return nil }
            return .orthogonal(gain: gain, seed: seed)
        case .identity:
            return number(config, "gain", default: 1).map { .identity(gain: $0) }
        case .stft:
            guard let side = choice(config, "side", default: Initializer.STFT.Side.real, Initializer.STFT.Side.self, allowed: ["real", "imag"]) else { return nil }
            var window: String? = "hann"
            if let node = config?["window"] {
                guard let text = reader.string(node, path: "\(path).config.window", allowNull: true) else { return nil }
                window = text
            }
            var scaling: Initializer.STFT.Scaling? = .density
            if let node = config?["scaling"] {
                guard let text = reader.string(node, path: "\(path).config.scaling", allowNull: true) else { return nil }
                if let text {
                    guard let value = Initializer.STFT.Scaling(rawValue: text) else {
                        reader.diagnostics.error("'\(path).config.scaling' must be 'density', 'spectrum' or null", at: node.mark)
                        return nil
                    }
                    scaling = value
                } else {
                    scaling = nil
                }
            }
            var periodic = false
            if let node = config?["periodic"] {
                guard let flag = reader.bool(node, path: "\(path).config.periodic") else { return nil }
                periodic = flag
            }
            return .stft(.init(side: side, window: window, scaling: scaling, periodic: periodic))
        }
    }
}

extension Initializer {
    /// Keras's default kernel initializer.
    public static let glorotUniform = Initializer.varianceScaling(.init(scale: 1, mode: .fanAvg, distribution: .uniform, seed: nil))
}
