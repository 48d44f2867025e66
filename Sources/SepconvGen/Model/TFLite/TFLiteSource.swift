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

    /// Whether the model is a `.tflite` one (the extension decides, as for `.keras` and `.h5`).
    static func applies(to header: ModelSpecHeader) -> Bool {
        header.model?.lowercased().hasSuffix(".tflite") == true
    }

    /// Decodes the spec whose header is `header`, reading its model.
    /// - Throws: `DiagnosticError` with every error found in the spec, or the model's, at the `from` key.
    static func decode(_ header: ModelSpecHeader, weightsRoot: String?) throws(DiagnosticError) -> TFLiteSource {
        var header = header
        let file = header.reader.diagnostics.file
        let key = header.key
        var selector: TFLiteReader.Selector?
        if let node = header.from?["layer"] { selector = layerSelector(node, &header.reader) }
        if let node = header.from?["fuse"], header.reader.bool(node, path: "from.fuse") == true {
            header.reader.diagnostics.error("'fuse' cannot be used with a .tflite model: the converter has already fused what it could into the operators' activations", at: node.mark)
        }
        var (marks, given, streaming, diagnostics) = (header.marks, header.input, header.streaming, header.reader.diagnostics)
        guard let model = header.model, let name = header.name, !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }

        let (bytes, located) = try ModelSpecHeader.load(model, specFile: file, weightsRoot: weightsRoot, kind: "model", at: key, &diagnostics)
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
        // The streaming state holds the receptive field's frames, as `LayerSpec.crossArgumentErrors` checks for a Keras layer's, with the leading pad's frames.
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
