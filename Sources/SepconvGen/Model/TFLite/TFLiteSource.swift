/// A spec that takes an int8 SeparableConv1D from a TensorFlow Lite model
/// (`from: {model: m.tflite, layer: ...}`, SPEC.md section 7). The `LayerSpec`
/// is built directly from what the reader found, its `quantization` set; every
/// error about the model points at the `from` key.
struct TFLiteSource {
    /// The spec, with `quantization` set, and its weights inline as the real values the int8 ones stand for.
    var spec: LayerSpec
    /// Those weights, for the plan.
    var weights: LayerWeights
    /// Notes found on the way.
    var notes: [Diagnostic]
    /// The model file, as usable from the working directory (for `--depfile`).
    var dependency: String

    /// Whether `root` takes its layer from a `.tflite` model (the extension decides, as for `.keras` and `.h5`).
    static func applies(to root: Node) -> Bool {
        guard case .mapping(let top) = root, case .mapping(let from)? = top["from"],
              case .scalar(let model)? = from["model"] else { return false }
        return model.text.lowercased().hasSuffix(".tflite")
    }

    /// Decodes the spec `root` of the file `file`, reading its model.
    /// - Throws: `DiagnosticError` with every error found in the spec, or the model's, at the `from` key.
    static func decode(_ root: Node, file: String, weightsRoot: String?) throws(DiagnosticError) -> TFLiteSource {
        var reader = NodeReader(diagnostics: DiagnosticCollector(file: file))
        var marks: [String: Mark] = [:]
        guard let top = reader.mapping(root, path: "spec", known: SpecDecoder.topKeys),
              let fromPair = top.pairs.first(where: { $0.key.text == "from" }) else {
            throw DiagnosticError(reader.diagnostics.diagnostics)
        }
        let key = fromPair.key.mark
        for pair in top.pairs where ["layer", "weights", "dtype"].contains(pair.key.text) {
            reader.diagnostics.error("'\(pair.key.text)' cannot be given with 'from': the model holds the layer's arguments, weights and dtype", at: pair.key.mark)
        }
        var model: String?, selector: TFLiteReader.Selector?
        if let from = reader.mapping(fromPair.value, path: "from", known: ModelSource.fromKeys) {
            model = from["model"].flatMap { reader.string($0, path: "from.model") ?? nil }
            if let node = from["layer"] { selector = layerSelector(node, &reader) }
            if let node = from["fuse"], reader.bool(node, path: "from.fuse") == true {
                reader.diagnostics.error("'fuse' cannot be used with a .tflite model: the converter has already fused what it could into the operators' activations", at: node.mark)
            }
        }
        let name = top["name"].flatMap { node -> String? in
            marks["name"] = node.mark
            guard let text = reader.string(node, path: "name") ?? nil else { return nil }
            if let problem = Identifier.problem(with: text) {
                reader.diagnostics.error("invalid name: \(problem)", at: node.mark)
                return nil
            }
            return text
        }
        if top["name"] == nil { reader.diagnostics.error("missing required key 'name' (the C identifier of the layer)", at: top.mark) }
        var given: (steps: Int, channels: Int)?
        if let node = top["input"], let input = reader.mapping(node, path: "input", known: SpecDecoder.inputKeys) {
            marks["input"] = node.mark
            let steps = input["steps"].flatMap { reader.integer($0, path: "input.steps", in: 1...Limits.maxExtent) }
            let channels = input["channels"].flatMap { reader.integer($0, path: "input.channels", in: 1...Limits.maxChannels) }
            if let steps, let channels { given = (steps, channels) } else if input["steps"] == nil || input["channels"] == nil {
                reader.diagnostics.error("'input' needs both 'steps' and 'channels' (or leave it out: the model records the shape)", at: node.mark)
            }
        }
        let streaming = top["streaming"].flatMap { node -> Bool? in
            marks["streaming"] = node.mark
            return reader.bool(node, path: "streaming")
        } ?? false
        var diagnostics = reader.diagnostics
        guard let model, let name, !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }

        let (bytes, located) = try ModelSource.read(model, specFile: file, weightsRoot: weightsRoot, kind: "model", at: key, &diagnostics)
        let layer: TFLiteReader.Layer
        do {
            layer = try TFLiteReader(bytes: bytes, name: model).layer(selector)
        } catch {
            diagnostics.error(error.message, at: key)
            throw DiagnosticError(diagnostics.diagnostics)
        }
        if let given, (given.steps, given.channels) != (layer.inputSteps, layer.inputChannels) {
            diagnostics.error("'input' is steps \(given.steps), channels \(given.channels) but chain \(layer.index) of \(model) takes steps \(layer.inputSteps), channels \(layer.inputChannels)", at: marks["input"] ?? key)
        }
        // The streaming state holds the receptive field's frames, as SpecDecoder+Streaming checks for a written spec.
        let stateValues = ((layer.kernelSize - 1) * layer.dilation + 1 + layer.quantization.leadingPad) * layer.inputChannels
        if streaming, stateValues > Limits.maxActivationValues {
            diagnostics.error("streaming: true needs a state of \(stateValues) values (the receptive field's frames); at most \(Limits.maxActivationValues) are supported", at: marks["streaming"] ?? key)
        }
        guard !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }
        // Messages about the layer's arguments point at `from`: the model gave them.
        marks["from"] = key
        marks["layer"] = key
        var spec = LayerSpec(
            file: file, name: name, dtype: .float32, inputSteps: layer.inputSteps, inputChannels: layer.inputChannels,
            filters: layer.filters, kernelSize: layer.kernelSize, strides: layer.strides, padding: layer.padding,
            dataFormat: .channelsLast, dilationRate: layer.dilation, depthMultiplier: layer.depthMultiplier,
            activation: .linear, useBias: layer.useBias, depthwiseInitializer: .glorotUniform,
            pointwiseInitializer: .glorotUniform, biasInitializer: .zeros, seed: 0, weights: nil, marks: marks,
            streaming: streaming, quantization: layer.quantization)
        let weights = dequantizedWeights(of: spec, layer.quantization)
        spec.weights = WeightSources(depthwiseKernel: .inline(weights.depthwiseKernel, mark: key),
                                     pointwiseKernel: .inline(weights.pointwiseKernel, mark: key),
                                     bias: weights.bias.map { .inline($0, mark: key) })
        let note = Diagnostic(.note, "int8 layer from \(layer.quantization.provenance)", file: file, at: key)
        return TFLiteSource(spec: spec, weights: weights, notes: diagnostics.diagnostics + [note], dependency: located)
    }

    /// `from.layer`: an integer (the chain's index), a name, or null (the only chain).
    private static func layerSelector(_ node: Node, _ reader: inout NodeReader) -> TFLiteReader.Selector? {
        if case .scalar(let scalar) = node, case .int = scalar.resolved {
            return reader.integer(node, path: "from.layer", in: 0...TFLiteModel.maxItems).map { .index($0) }
        }
        guard let text = reader.string(node, path: "from.layer", allowNull: true) else { return nil }
        return text.map { .name($0) }
    }

    /// The real-valued weights the int8 layer stands for (`scale · q`; the depthwise bias folded into the
    /// pointwise one through the pointwise weights), for a plan that takes the layer's weights as floats.
    private static func dequantizedWeights(of spec: LayerSpec, _ layer: QuantizedLayer) -> LayerWeights {
        let channels = spec.inputChannels * spec.depthMultiplier, filters = spec.filters
        let depthwise = layer.depthwiseKernel.indices.map { Double(layer.depthwiseKernel[$0]) * Double(layer.depthwiseScales[$0 % channels]) }
        let pointwise = layer.pointwiseKernel.indices.map { Double(layer.pointwiseKernel[$0]) * Double(layer.pointwiseScales[$0 % filters]) }
        let depthwiseBias = (0..<channels).map { Double(layer.depthwiseBias[$0]) * Double(layer.input.scale) * Double(layer.depthwiseScales[$0]) }
        let bias = (0..<filters).map { filter in
            (0..<channels).reduce(Double(layer.pointwiseBias?[filter] ?? 0) * Double(layer.intermediate.scale) * Double(layer.pointwiseScales[filter])) {
                $0 + pointwise[$1 * filters + filter] * depthwiseBias[$1]
            }
        }
        return LayerWeights(depthwiseKernel: Tensor(shape: [spec.kernelSize, spec.inputChannels, spec.depthMultiplier], scalars: depthwise),
                            pointwiseKernel: Tensor(shape: [1, channels, filters], scalars: pointwise),
                            bias: spec.useBias ? Tensor(shape: [filters], scalars: bias) : nil)
    }
}
