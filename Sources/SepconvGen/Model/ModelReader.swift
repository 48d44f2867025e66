/// Finds SeparableConv1D layers in a Keras model file and reads each one's
/// arguments, input shape, weights and, when asked, the chain `fuse: true` folds.
public struct ModelReader {
    let file: KerasModelFile
    let graph: ModelGraph

    /// Reads the model `bytes` of the file named `name` (as the user wrote it, for messages).
    /// - Throws: `ModelError` when it is not a readable Keras model.
    public init(bytes: [UInt8], name: String) throws(ModelError) {
        guard bytes.count <= ModelLimits.maxFileBytes else {
            throw ModelError("\(name) is \(bytes.count) bytes; model files over \(ModelLimits.maxFileBytes) bytes are refused")
        }
        file = try KerasModelFile(bytes: bytes, name: name)
        graph = try ModelGraph(model: file.config, file: name)
    }

    /// The names of the model's SeparableConv1D layers, in the model's order.
    public var separableLayers: [String] {
        graph.layers.filter { $0.className == "SeparableConv1D" }.map(\.name)
    }

    /// How `from.layer` names each SeparableConv1D, in the model's order: its name, or, when
    /// nested models hold two of that name, its path through them (`outer/sep`).
    public var separableLayerPaths: [String] {
        let layers = graph.layers.filter { $0.className == "SeparableConv1D" }
        let counts = Dictionary(layers.map { ($0.name, 1) }, uniquingKeysWith: +)
        return layers.map { counts[$0.name] == 1 ? $0.name : $0.location }
    }

    /// Where Keras 3 keeps the variables of the layer named `name` in this model's weights
    /// (`layers/separable_conv1d_1`): what `weights: {h5: ..., group: ...}` names in its `.weights.h5`.
    public func group(of name: String) -> String? {
        graph.layers.first { $0.name == name }?.keras3Path
    }

    /// The SeparableConv1D named `name` (the only one when nil), with its fused chain when `fuse`.
    /// `name` is a layer's name or its path through the nested models holding it (`outer/sep`),
    /// which tells apart layers of one name in different nested models.
    /// - Throws: `ModelError` naming the model and the layer.
    public func layer(named name: String?, fuse: Bool) throws(ModelError) -> ImportedLayer {
        let candidates = graph.layers.indices.filter { graph.layers[$0].className == "SeparableConv1D" }
        let listing = "(it has: \(candidates.isEmpty ? "none" : separableLayerPaths.map(Identifier.printable).joined(separator: ", ")))"
        let index: Int
        if let name {
            var matches = candidates.filter { graph.layers[$0].name == name }
            if matches.isEmpty { matches = candidates.filter { graph.layers[$0].location == name } }
            guard let first = matches.first else {
                throw ModelError("no SeparableConv1D named '\(Identifier.printable(name))' in \(file.name) \(listing)")
            }
            guard matches.count == 1 else {
                let places = matches.map { Identifier.printable(graph.layers[$0].location) }.joined(separator: ", ")
                throw ModelError("\(file.name) has \(matches.count) SeparableConv1D layers named '\(Identifier.printable(name))'; name one by its path: \(places)")
            }
            index = first
        } else {
            guard candidates.count == 1 else {
                throw ModelError("\(file.name) has \(candidates.count) SeparableConv1D layers; name one with 'layer' \(listing)")
            }
            index = candidates[0]
        }
        return try read(index, fuse: fuse)
    }

    private func read(_ index: Int, fuse: Bool) throws(ModelError) -> ImportedLayer {
        let layer = graph.layers[index]
        let what = "SeparableConv1D '\(Identifier.printable(layer.name))' in \(file.name)"
        let dtype = try Self.dtype(of: layer, what: what)
        let config = layer.config
        let useBias = config["use_bias"]?.bool ?? true
        let variables = try read(["depthwise_kernel", "pointwise_kernel"] + (useBias ? ["bias"] : []), of: layer, what: what)
        let weights = LayerWeights(depthwiseKernel: variables[0], pointwiseKernel: variables[1], bias: useBias ? variables[2] : nil)
        let dataFormat = config["data_format"]?.string == "channels_first" ? DataFormat.channelsFirst : .channelsLast
        let chain = fuse ? try fusedChain(after: index, dataFormat: dataFormat, filters: weights.pointwiseKernel.shape.last ?? 0) : FusedChain()
        return ImportedLayer(name: layer.name, location: layer.location, config: config,
                             inputShape: inputShape(of: layer, dataFormat: dataFormat), dtype: dtype,
                             weights: weights, chain: chain)
    }

    /// The layer's dtype policy, which must compute in float32 or float64.
    static func dtype(of layer: ModelGraph.Layer, what: String) throws(ModelError) -> DType {
        let policy = layer.config["dtype"]
        let name = policy?.string ?? policy?["config"]?["name"]?.string ?? "float32"
        guard let dtype = DType(rawValue: name) else {
            let detail = name.contains("float16") || name.contains("bfloat16")
                ? " (a mixed or half-precision policy)" : ""
            throw ModelError("\(what) has dtype policy '\(Identifier.printable(name))'\(detail); only float32 and float64 can be generated")
        }
        return dtype
    }

    /// (steps, channels) from `build_config` or the tensor the config says it reads, else from the InputLayer feeding the layer (tf.keras 2).
    private func inputShape(of layer: ModelGraph.Layer, dataFormat: DataFormat) -> (steps: Int, channels: Int)? {
        var shape = (layer.buildInputShape ?? layer.inboundShape)?.array
        if shape == nil, let input = layer.inputLayer.map({ graph.layers[$0].config }) {
            shape = (input["batch_shape"] ?? input["batch_input_shape"])?.array
        }
        guard let shape, shape.count == 3, let a = shape[1].int, let b = shape[2].int else { return nil }
        return dataFormat == .channelsLast ? (a, b) : (b, a)
    }

    // MARK: - Weights

    /// The layer's variables `names`, in that order, wherever the file's layout keeps them.
    func read(_ names: [String], of layer: ModelGraph.Layer, what: String) throws(ModelError) -> [Tensor] {
        switch file.layout {
        case .keras3:
            return try Self.keras3Variables(count: names.count, group: "/" + layer.keras3Path, in: file.weights,
                                            expectedName: layer.name, what: what)
        case .legacy:
            let group = "/model_weights/\(layer.legacyGroup)"
            guard let weightNames = try file.weights.strings("weight_names", of: group) else {
                throw ModelError("\(what): the file has no weight_names for \(group)")
            }
            var tensors: [Tensor] = []
            for name in names {
                let matches = weightNames.filter { weight in
                    let parts = weight.split(separator: "/")
                    let last = parts.last.map { $0.hasSuffix(":0") ? $0.dropLast(2) : $0 }
                    return parts.count >= 2 && last == Substring(name) && parts[parts.count - 2] == Substring(layer.name)
                }
                guard matches.count == 1, let match = matches.first else {
                    throw ModelError(matches.isEmpty ? "\(what): the file holds no weight '\(name)' for it"
                                                     : "\(what): the file holds \(matches.count) weights '\(name)' for it")
                }
                tensors.append(try file.weights.tensor("\(group)/\(match)"))
            }
            return tensors
        }
    }

    /// Variables `0 ..< count` of a Keras 3 layer group (`<group>/vars/<i>`), checked against the
    /// group's recorded layer name when there is one.
    static func keras3Variables(count: Int, group: String, in weights: HDF5File, expectedName: String?,
                                what: String) throws(ModelError) -> [Tensor] {
        let vars = group + "/vars"
        guard weights.kind(vars) == .group, let children = weights.children(vars) else {
            throw ModelError("\(what): \(weights.name) has no group \(vars)")
        }
        if let expectedName, let recorded = try weights.strings("name", of: vars)?.first, recorded != expectedName {
            throw ModelError("\(what): \(weights.name) keeps layer '\(Identifier.printable(recorded))' at \(group), not this layer (the weights do not match the config)")
        }
        guard children.count == count else {
            throw ModelError("\(what): \(vars) in \(weights.name) holds \(children.count) variables, the layer has \(count)")
        }
        var tensors: [Tensor] = []
        for index in 0..<count {
            tensors.append(try weights.tensor("\(vars)/\(index)"))
        }
        return tensors
    }

    // MARK: - The fused chain

    /// The chain directly after layer `index`: each layer the only consumer of the one
    /// before, fed by nothing else and called once; a BatchNormalization over the channel
    /// axis first, then an activation layer (on the last axis for Softmax).
    private func fusedChain(after index: Int, dataFormat: DataFormat, filters: Int) throws(ModelError) -> FusedChain {
        var chain = FusedChain()
        var current = index
        func next() -> Int? {
            let layer = graph.layers[current]
            guard !layer.isModelOutput, layer.consumers.count == 1, let following = layer.consumers.first else { return nil }
            let candidate = graph.layers[following]
            guard candidate.producers == [current], candidate.calls <= 1 else { return nil }
            return following
        }
        if let following = next(), graph.layers[following].className == "BatchNormalization",
           let batchNorm = try batchNorm(graph.layers[following], dataFormat: dataFormat, filters: filters) {
            chain.batchNorm = batchNorm
            current = following
        }
        if let following = next(), let activation = Self.activationLayer(graph.layers[following]) {
            chain.activation = (graph.layers[following].name, activation)
        }
        return chain
    }

    /// The BatchNormalization's parameters, or nil when it does not normalise over the channel axis.
    func batchNorm(_ layer: ModelGraph.Layer, dataFormat: DataFormat, filters: Int) throws(ModelError) -> FusedChain.BatchNorm? {
        let config = layer.config
        let axisValue = config["axis"]
        guard let axis = axisValue?.int ?? (axisValue?.array?.count == 1 ? axisValue?.array?[0].int : nil) else { return nil }
        let channelAxes = dataFormat == .channelsLast ? [-1, 2] : [1, -2]
        guard channelAxes.contains(axis) else { return nil }
        let scale = config["scale"]?.bool ?? true
        let center = config["center"]?.bool ?? true
        let names = (scale ? ["gamma"] : []) + (center ? ["beta"] : []) + ["moving_mean", "moving_variance"]
        let what = "BatchNormalization '\(Identifier.printable(layer.name))' in \(file.name)"
        let tensors = try read(names, of: layer, what: what)
        for (name, tensor) in zip(names, tensors) {
            guard tensor.shape == [filters] else {
                throw ModelError("\(what): \(name) has shape \(tensor.shapeDescription), the layer before it has \(filters) filters")
            }
            guard tensor.scalars.allSatisfy(\.isFinite) else { throw ModelError("\(what): \(name) holds a NaN or an infinity") }
        }
        let epsilon = config["epsilon"]?.double ?? 1e-3
        let variables = Dictionary(uniqueKeysWithValues: zip(names, tensors.map(\.scalars)))
        guard let mean = variables["moving_mean"], let variance = variables["moving_variance"],
              zip(variance, [Double](repeating: epsilon, count: variance.count)).allSatisfy({ $0 + $1 > 0 }) else {
            throw ModelError("\(what): moving_variance + epsilon must be positive")
        }
        return FusedChain.BatchNorm(name: layer.name, gamma: variables["gamma"], beta: variables["beta"],
                                    movingMean: mean, movingVariance: variance, epsilon: epsilon)
    }

    /// What an activation layer computes, or nil for any other layer (or a Softmax not on the last axis).
    static func activationLayer(_ layer: ModelGraph.Layer) -> FusedChain.ActivationLayer? {
        let config = layer.config
        switch layer.className {
        case "Activation":
            let value = config["activation"]
            guard let name = value?.string ?? value?["config"]?.string, let activation = Activation.named(name) else { return nil }
            return .named(activation)
        case "ReLU":
            let maxValue = config["max_value"]?.double
            return .relu(maxValue: maxValue, negativeSlope: config["negative_slope"]?.double ?? 0,
                         threshold: config["threshold"]?.double ?? 0)
        case "LeakyReLU":
            return .leakyRelu(negativeSlope: (config["negative_slope"] ?? config["alpha"])?.double ?? 0.3)
        case "ELU":
            return .elu(alpha: config["alpha"]?.double ?? 1)
        case "Softmax":
            let axis = config["axis"]
            let value = axis?.int ?? axis?.array?.first?.int ?? -1
            guard value == -1 || value == 2, axis?.array.map({ $0.count == 1 }) ?? true else { return nil }
            return .softmax
        default:
            return nil
        }
    }
}

/// A SeparableConv1D read from a Keras model file.
public struct ImportedLayer: Sendable {
    /// The layer's `name` in the model.
    public var name: String
    /// The models it sits in and its name (`block/inner_sep`).
    public var location: String
    /// The layer's Keras config (`get_config()`).
    public var config: JSONValue
    /// The input shape the model records for the layer, if any.
    public var inputShape: (steps: Int, channels: Int)?
    /// The dtype its policy computes in.
    public var dtype: DType
    /// Its weights, in Keras's shapes (not yet checked against the arguments).
    public var weights: LayerWeights
    /// The layers `fuse: true` folds (empty unless asked for).
    public var chain: FusedChain
}
