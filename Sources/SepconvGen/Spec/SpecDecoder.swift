import KerasInitializers
/// Turns a spec's YAML node tree into a validated `LayerSpec`, checking
/// every argument as Keras 3 does and reporting every error found.
public struct SpecDecoder {
    /// The spec file's top-level keys.
    static let topKeys = ["name", "dtype", "input", "layer", "weights", "from", "streaming"]
    static let inputKeys = ["steps", "channels"]
    static let weightKeys = ["depthwise_kernel", "pointwise_kernel", "bias"]
    /// The `layer` keys that change the emitted code.
    static let layerKeys = [
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier",
        "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer", "seed",
    ]
    /// The regularizers Keras 3.15 registers (`keras.regularizers.get`).
    static let regularizerNames = ["l1", "l2", "l1l2", "orthogonal_regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer"]
    /// The constraints Keras 3.15 registers (`keras.constraints.get`).
    static let constraintNames = ["max_norm", "min_max_norm", "non_neg", "unit_norm", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"]
    /// The `layer` keys of Keras's `get_config()` that only matter for training or naming.
    static let trainingOnlyKeys = [
        "name", "trainable", "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer",
        "activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint",
    ]
    /// Every key the `layer` mapping accepts.
    static var acceptedLayerKeys: [String] { layerKeys + trainingOnlyKeys + ["dtype"] }

    var reader: NodeReader
    var marks: [String: Mark] = [:]
    /// Every weight the spec's `weights` gives that decoded, by key, complete or not.
    var givenWeights: [String: WeightSource] = [:]
    /// Missing required keys, each with the number of diagnostics before it (see `missing`).
    var missingKeys: [(index: Int, path: String, diagnostic: Diagnostic)] = []

    /// Whether another front end reads the spec's `weights` (a weights file: `WeightsFileSource`).
    let weightsReadElsewhere: Bool

    private init(file: String, weightsReadElsewhere: Bool) {
        reader = NodeReader(diagnostics: DiagnosticCollector(file: file))
        self.weightsReadElsewhere = weightsReadElsewhere
    }

    /// Decodes and validates `root`, the parsed spec file `file`.
    /// - Returns: the spec and the notes found (training-only keys, ignored initializers).
    /// - Throws: `DiagnosticError` holding every error (and note) found.
    public static func decode(_ root: Node, file: String) throws(DiagnosticError) -> (spec: LayerSpec, notes: [Diagnostic]) {
        let decoded = decodeReportingAll(root, file: file)
        guard let spec = decoded.spec, !decoded.diagnostics.contains(where: { $0.severity == .error }) else {
            throw DiagnosticError(decoded.diagnostics)
        }
        return (spec, decoded.diagnostics)
    }

    /// What `decode` finds, without throwing: the spec as far as it decoded
    /// (present whenever the input and the layer's shape did, even with other
    /// errors), every diagnostic, and the weights the spec gives by key (also
    /// when some are missing), so that a caller can still check the given
    /// weight files and report their errors with the spec's. With
    /// `weightsReadElsewhere`, `weights` is left to the front end that reads it.
    static func decodeReportingAll(_ root: Node, file: String, weightsReadElsewhere: Bool = false)
        -> (spec: LayerSpec?, diagnostics: [Diagnostic], givenWeights: [String: WeightSource]) {
        var decoder = SpecDecoder(file: file, weightsReadElsewhere: weightsReadElsewhere)
        let spec = decoder.decodeSpec(root)
        var diagnostics = decoder.reader.diagnostics.diagnostics
        // Last first, so that each index still counts the diagnostics before it.
        for missing in decoder.missingKeys.reversed() where !decoder.reader.hintedKeys.contains(missing.path) {
            diagnostics.insert(missing.diagnostic, at: missing.index)
        }
        return (spec, diagnostics, decoder.givenWeights)
    }

    var diagnostics: DiagnosticCollector {
        get { reader.diagnostics }
        set { reader.diagnostics = newValue }
    }

    /// Reports the required key at `path` as missing, unless an unknown key's hint
    /// names it (`fitlers`: did you mean 'filters'?), which the error would only repeat.
    /// The hint may come from a section read later (`steps` under `layer`), so the
    /// error waits for the end of decoding, keeping its place among the others.
    mutating func missing(_ path: String, _ message: String, at mark: Mark) {
        missingKeys.append((diagnostics.diagnostics.count, path, Diagnostic(.error, message, file: diagnostics.file, at: mark)))
    }

    mutating func value(_ mapping: Node.Mapping, _ key: String, path: String) -> Node? {
        guard let pair = mapping.pairs.first(where: { $0.key.text == key }) else { return nil }
        marks[path] = pair.value.mark
        return pair.value
    }

    // MARK: - The whole spec

    private mutating func decodeSpec(_ root: Node) -> LayerSpec? {
        guard let top = reader.mapping(root, path: "spec", known: Self.topKeys) else { return nil }
        let name = decodeName(top)
        let topDType = value(top, "dtype", path: "dtype").flatMap { decodeDType($0, path: "dtype") }
        let input = decodeInput(top)

        guard let layerNode = value(top, "layer", path: "layer") else {
            missing("layer", "missing required key 'layer' (the SeparableConv1D arguments)", at: top.mark)
            return nil
        }
        guard let layer = decodeLayer(layerNode) else { return nil }

        // The spec's dtype wins; a layer dtype (Keras get_config) must agree with it.
        var dtype = topDType ?? .float32
        if let (layerDType, mark) = layer.dtype {
            if let topDType, topDType != layerDType {
                diagnostics.error("layer.dtype is \(layerDType.rawValue) but the spec's dtype is \(topDType.rawValue)", at: mark)
            } else {
                dtype = layerDType
            }
        }
        let weights = value(top, "weights", path: "weights").flatMap { node in
            NodeReader.isNull(node) || weightsReadElsewhere ? nil : decodeWeights(node, useBias: layer.useBias, shapes: layer.shape.flatMap { shape in input.map { Self.weightShapes(kernel: shape.kernel, channels: $0.channels, depthMultiplier: shape.depthMultiplier, filters: shape.filters) } })
        }
        if weights != nil {
            for (key, initializer) in [("depthwise_initializer", layer.depthwiseInitializer), ("pointwise_initializer", layer.pointwiseInitializer), ("bias_initializer", layer.biasInitializer)]
            where initializer != nil {
                let path = "layer.\(key)"
                diagnostics.note("'\(key)' has no effect: the spec gives the weights", at: marks[path] ?? .start)
            }
        }
        // A spec without a valid name is still returned (its errors say why), so that
        // its weight files can be checked too; it never reaches the planner.
        guard let input, let shape = layer.shape else { return nil }
        let streaming = value(top, "streaming", path: "streaming").flatMap { reader.bool($0, path: "streaming") } ?? false
        let spec = LayerSpec(
            file: diagnostics.file, name: name ?? "", dtype: dtype,
            inputSteps: input.steps, inputChannels: input.channels,
            filters: shape.filters, kernelSize: shape.kernel, strides: shape.strides, padding: layer.padding,
            dataFormat: layer.dataFormat, dilationRate: shape.dilation, depthMultiplier: shape.depthMultiplier,
            activation: layer.activation, useBias: layer.useBias,
            depthwiseInitializer: layer.depthwiseInitializer ?? .glorotUniform,
            pointwiseInitializer: layer.pointwiseInitializer ?? .glorotUniform,
            biasInitializer: layer.biasInitializer ?? .zeros,
            seed: layer.seed, weights: weights, marks: marks, streaming: streaming)
        diagnostics.append(contentsOf: spec.crossArgumentErrors)
        return spec
    }

    private mutating func decodeName(_ top: Node.Mapping) -> String? {
        guard let node = value(top, "name", path: "name") else {
            missing("name", "missing required key 'name' (the C identifier of the layer)", at: top.mark)
            return nil
        }
        guard let text = reader.string(node, path: "name") ?? nil else { return nil }
        if let problem = Identifier.problem(with: text) {
            diagnostics.error("invalid name: \(problem)", at: node.mark)
            return nil
        }
        return text
    }

    private mutating func decodeDType(_ node: Node, path: String) -> DType? {
        guard let text = reader.string(node, path: path) ?? nil else { return nil }
        guard let dtype = DType(rawValue: text) else {
            let hint = SpellingHint.suffix(for: text, in: DType.allCases.map(\.rawValue))
            diagnostics.error("'\(path)' must be float32 or float64, not '\(Identifier.printable(text))'\(hint)", at: node.mark)
            return nil
        }
        return dtype
    }

    private mutating func decodeInput(_ top: Node.Mapping) -> (steps: Int, channels: Int)? {
        guard let node = value(top, "input", path: "input") else {
            missing("input", "missing required key 'input' (steps and channels of one batch item)", at: top.mark)
            return nil
        }
        guard let input = reader.mapping(node, path: "input", known: Self.inputKeys) else { return nil }
        var result: [Int?] = []
        for (key, limit) in [("steps", Limits.maxExtent), ("channels", Limits.maxChannels)] {
            guard let item = value(input, key, path: "input.\(key)") else {
                missing("input.\(key)", "missing required key 'input.\(key)'", at: input.mark)
                result.append(nil)
                continue
            }
            result.append(reader.integer(item, path: "input.\(key)", in: 1...limit))
        }
        guard let steps = result[0], let channels = result[1] else { return nil }
        return (steps, channels)
    }

    // MARK: - The layer

    /// The integer arguments that fix the layer's shape.
    private struct Shape {
        var filters, kernel, strides, dilation, depthMultiplier: Int
    }

    private struct Layer {
        var shape: Shape?
        var padding: Padding = .valid
        var dataFormat: DataFormat = .channelsLast
        var activation: Activation = .linear
        var useBias = true
        var depthwiseInitializer: Initializer?
        var pointwiseInitializer: Initializer?
        var biasInitializer: Initializer?
        var seed = 0
        var dtype: (DType, Mark)?
    }

    private mutating func decodeLayer(_ node: Node) -> Layer? {
        guard let mapping = reader.mapping(node, path: "layer", known: Self.acceptedLayerKeys) else {
            return nil
        }
        var layer = Layer()
        func required(_ key: String, _ what: String) -> Node? {
            guard let node = value(mapping, key, path: "layer.\(key)") else {
                missing("layer.\(key)", "missing required key 'layer.\(key)' (\(what))", at: mapping.mark)
                return nil
            }
            return node
        }
        let extent = 1...Limits.maxExtent
        let positive = "must be a positive integer (Keras requires > 0)"
        let filters = required("filters", "the number of output channels").flatMap {
            reader.integer($0, path: "layer.filters", in: 1...Limits.maxChannels, rangeHint: Self.hint(positive, Limits.maxChannels))
        }
        let kernel = required("kernel_size", "the depthwise window length").flatMap {
            reader.integer($0, path: "layer.kernel_size", in: extent, allowList: true, rangeHint: Self.hint(positive, Limits.maxExtent))
        }
        var optional: [String: Int?] = [:]
        for key in ["strides", "dilation_rate"] {
            optional[key] = value(mapping, key, path: "layer.\(key)").map {
                reader.integer($0, path: "layer.\(key)", in: extent, allowList: true, rangeHint: Self.hint(positive, Limits.maxExtent))
            } ?? 1
        }
        let depthMultiplier = value(mapping, "depth_multiplier", path: "layer.depth_multiplier").map {
            reader.integer($0, path: "layer.depth_multiplier", in: 1...Limits.maxChannels, rangeHint: Self.hint(positive, Limits.maxChannels))
        } ?? 1
        if let filters, let kernel, let strides = optional["strides"] ?? nil,
           let dilation = optional["dilation_rate"] ?? nil, let depthMultiplier {
            layer.shape = Shape(filters: filters, kernel: kernel, strides: strides, dilation: dilation, depthMultiplier: depthMultiplier)
        }

        if let node = value(mapping, "padding", path: "layer.padding"), let text = reader.string(node, path: "layer.padding") ?? nil {
            switch text.lowercased() {
            case "valid": layer.padding = .valid
            case "same": layer.padding = .same
            case "causal":
                diagnostics.error("padding 'causal' is not supported by SeparableConv1D (Keras accepts only 'valid' and 'same')", at: node.mark)
            default:
                diagnostics.error("padding must be 'valid' or 'same' (case-insensitive), not '\(Identifier.printable(text))'", at: node.mark)
            }
        }
        if let node = value(mapping, "data_format", path: "layer.data_format"), let text = reader.string(node, path: "layer.data_format", allowNull: true) {
            if let text {
                if let format = DataFormat(rawValue: text.lowercased()) {
                    layer.dataFormat = format
                } else {
                    let hint = SpellingHint.suffix(for: text, in: ["channels_last", "channels_first"])
                    diagnostics.error("data_format must be 'channels_last' or 'channels_first', not '\(Identifier.printable(text))'\(hint)", at: node.mark)
                }
            }
        }
        if let node = value(mapping, "activation", path: "layer.activation"), let text = activationName(node) {
            if let text {
                if let activation = Activation.named(text) {
                    layer.activation = activation
                } else if text == "threshold" {
                    diagnostics.error("activation 'threshold' cannot be used by name: Keras's threshold needs explicit threshold and default_value arguments", at: node.mark)
                } else {
                    let hint = SpellingHint.suffix(for: text, in: Activation.acceptedNames)
                    let names = Activation.acceptedNames.joined(separator: ", ")
                    diagnostics.error("unknown activation '\(Identifier.printable(text))'\(hint); Keras accepts \(names), or null for none (docs/spec.md)", at: node.mark)
                }
            }
        }
        if let node = value(mapping, "use_bias", path: "layer.use_bias"), let flag = reader.bool(node, path: "layer.use_bias") {
            layer.useBias = flag
        }
        if let node = value(mapping, "seed", path: "layer.seed"), let seed = reader.integer(node, path: "layer.seed", in: 0...Int(UInt32.max)) {
            layer.seed = seed
        }
        for key in ["depthwise_initializer", "pointwise_initializer", "bias_initializer"] {
            guard let node = value(mapping, key, path: "layer.\(key)") else { continue }
            var parser = InitializerParser(reader: reader, path: "layer.\(key)")
            let initializer = parser.parse(node)
            reader = parser.reader
            switch key {
            case "depthwise_initializer": layer.depthwiseInitializer = initializer
            case "pointwise_initializer": layer.pointwiseInitializer = initializer
            default: layer.biasInitializer = initializer
            }
        }
        if let node = value(mapping, "dtype", path: "layer.dtype") {
            layer.dtype = decodePolicy(node).map { ($0, node.mark) }
        }
        for key in Self.trainingOnlyKeys {
            guard let node = value(mapping, key, path: "layer.\(key)") else { continue }
            checkTrainingOnly(key, node)
        }
        return layer
    }

    /// An activation: a name, null, or the mapping Keras serialises a function as
    /// (`{module: keras.activations, class_name: function, config: relu, ...}`).
    private mutating func activationName(_ node: Node) -> String?? {
        guard case .mapping(let mapping) = node else {
            return reader.string(node, path: "layer.activation", allowNull: true)
        }
        guard reader.mapping(node, path: "layer.activation", known: ["module", "class_name", "config", "registered_name"]) != nil,
              let className = mapping["class_name"], let config = mapping["config"] else {
            diagnostics.error("'layer.activation' mapping needs 'class_name: function' and 'config: NAME'", at: node.mark)
            return nil
        }
        guard case .scalar(let kind) = className, kind.text == "function" else {
            diagnostics.error("'layer.activation' must name a built-in activation function (class_name: function)", at: className.mark)
            return nil
        }
        return reader.string(config, path: "layer.activation.config")
    }

    private static func hint(_ requirement: String, _ limit: Int) -> String {
        "\(requirement) and at most \(limit)"
    }

    /// `layer.dtype`: a dtype name or a Keras `DTypePolicy` mapping.
    private mutating func decodePolicy(_ node: Node) -> DType? {
        var nameNode = node
        if case .mapping(let mapping) = node {
            guard let policy = reader.mapping(node, path: "layer.dtype", known: ["module", "class_name", "config", "registered_name"]),
                  let config = policy["config"], let inner = reader.mapping(config, path: "layer.dtype.config", known: ["name"]),
                  let name = inner["name"] else {
                if mapping["config"] == nil { diagnostics.error("'layer.dtype' policy mapping has no 'config'", at: node.mark) }
                return nil
            }
            if let className = policy["class_name"], let text = reader.string(className, path: "layer.dtype.class_name") ?? nil,
               !["DTypePolicy", "FloatDTypePolicy"].contains(text) {
                diagnostics.error("dtype policy '\(Identifier.printable(text))' is not supported; use DTypePolicy float32 or float64", at: className.mark)
                return nil
            }
            nameNode = name
        }
        guard let text = reader.string(nameNode, path: "layer.dtype", allowNull: true) else { return nil }
        guard let text else { return nil }
        guard let dtype = DType(rawValue: text) else {
            diagnostics.error("layer dtype '\(Identifier.printable(text))' is not supported: generated code computes in float32 or float64", at: nameNode.mark)
            return nil
        }
        return dtype
    }

    /// Training-only keys must still be well formed; they are noted as having no effect.
    private mutating func checkTrainingOnly(_ key: String, _ node: Node) {
        switch key {
        case "name":
            guard reader.string(node, path: "layer.name", allowNull: true) != nil else { return }
        case "trainable":
            guard reader.bool(node, path: "layer.trainable") != nil else { return }
        default:
            // Regularizers and constraints: null, a registered name, or a Keras config mapping naming one.
            let names = key.hasSuffix("regularizer") ? Self.regularizerNames : Self.constraintNames
            var nameNode = node
            if case .mapping(let mapping) = node {
                guard reader.mapping(node, path: "layer.\(key)", known: ["module", "class_name", "config", "registered_name"]) != nil else { return }
                guard let className = mapping["class_name"] else {
                    diagnostics.error("'layer.\(key)' config mapping has no 'class_name'", at: node.mark)
                    return
                }
                nameNode = className
            }
            if NodeReader.isNull(nameNode), nameNode == node { return }
            guard let name = reader.string(nameNode, path: "layer.\(key)") ?? nil else { return }
            guard names.contains(name) else {
                let kind = key.hasSuffix("regularizer") ? "regularizer" : "constraint"
                diagnostics.error("unknown \(kind) '\(Identifier.printable(name))'\(SpellingHint.suffix(for: name, in: names))", at: nameNode.mark)
                return
            }
        }
        diagnostics.note("'\(key)' only matters for training; it has no effect on the emitted code", at: node.mark)
    }
}
