/// A spec that takes a float SeparableConv1D from a Keras model file
/// (`from: {model: m.keras, layer: ..., fuse: ...}`, SPEC.md section 5). The
/// `LayerSpec` is built directly from the layer's config, recorded shape and
/// weights, with what `fuse` folds applied; every error about the model
/// points at the `from` key. Networks build their SeparableConv1D steps the
/// same way (`layer`).
struct KerasSource {
    /// The spec, its weights inline and its epilogue set.
    var spec: LayerSpec
    /// Where the weights came from and what `fuse` folded, for `LayerPlan.provenance`.
    var provenance: String
    /// Notes found on the way (what `fuse` folded).
    var notes: [Diagnostic]
    /// The model file, as usable from the working directory (for `--depfile`).
    var dependency: String

    /// Decodes the spec whose header is `header`, reading its model.
    /// - Throws: `DiagnosticError` with every error found in the spec, or the model's, at the `from` key.
    static func decode(_ header: ModelSpecHeader, weightsRoot: String?) throws(DiagnosticError) -> KerasSource {
        var reader = header.reader
        let layerName = header.from?["layer"].flatMap { reader.string($0, path: "from.layer", allowNull: true) ?? nil }
        let fuse = header.from?["fuse"].map { reader.bool($0, path: "from.fuse") ?? false } ?? false
        var diagnostics = reader.diagnostics
        guard let model = header.model, let name = header.name, !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }
        let (bytes, located) = try ModelSpecHeader.load(model, specFile: diagnostics.file, weightsRoot: weightsRoot, kind: "model",
                                                    at: header.key, &diagnostics)
        let imported: ImportedLayer
        do {
            imported = try ModelReader(bytes: bytes, name: model).layer(named: layerName, fuse: fuse)
        } catch {
            diagnostics.error(error.message, at: header.key)
            throw DiagnosticError(diagnostics.diagnostics)
        }
        var source = try layer(imported, model: model, name: name, input: header.input, streaming: header.streaming,
                               file: diagnostics.file, at: header.key, marks: header.marks)
        source.dependency = located
        return source
    }

    /// The spec of `imported`, a SeparableConv1D of the model file `model`, named `name`, on `input`
    /// (the shape the model records when nil), its fused chain folded; `key` is where errors point,
    /// and `marks` the positions of the spec's own keys.
    /// - Throws: `DiagnosticError` for arguments out of the tool's limits, an input that differs from the
    ///   recorded one, weights that do not fit the arguments, or a chain that cannot be fused.
    static func layer(_ imported: ImportedLayer, model: String, name: String, input given: (steps: Int, channels: Int)?,
                      streaming: Bool, file: String, at key: Mark, marks: [String: Mark]) throws(DiagnosticError) -> KerasSource {
        let what = "'\(Identifier.printable(imported.name))' in \(model)"
        let fail = { (message: String, mark: Mark) in DiagnosticError([Diagnostic(.error, message, file: file, at: mark)]) }
        let input: (steps: Int, channels: Int)
        switch (given, imported.inputShape) {
        case (let given?, let recorded?) where (given.steps, given.channels) != (recorded.steps, recorded.channels):
            throw fail("'input' is steps \(given.steps), channels \(given.channels) but \(what) takes steps \(recorded.steps), channels \(recorded.channels)",
                       marks["input"] ?? key)
        case (let shape?, _), (nil, let shape?):
            input = shape
        case (nil, nil):
            throw fail("\(model) records no input shape for '\(Identifier.printable(imported.name))'; give 'input' (steps and channels)", key)
        }
        let arguments: SeparableArguments
        do {
            arguments = try SeparableArguments(config: imported.config, what: what)
        } catch {
            throw fail(error.message, key)
        }
        // Messages about the layer's arguments point at `from`: the model gave them.
        var marks = marks
        marks["from"] = key
        marks["layer"] = key
        var spec = LayerSpec(
            file: file, name: name, dtype: imported.dtype, inputSteps: input.steps, inputChannels: input.channels,
            filters: arguments.filters, kernelSize: arguments.kernelSize, strides: arguments.strides, padding: arguments.padding,
            dataFormat: arguments.dataFormat, dilationRate: arguments.dilationRate, depthMultiplier: arguments.depthMultiplier,
            activation: arguments.activation, useBias: arguments.useBias, depthwiseInitializer: .glorotUniform,
            pointwiseInitializer: .glorotUniform, biasInitializer: .zeros, seed: 0, weights: nil, marks: marks, streaming: streaming)
        if let mismatch = imported.weights.shapeMismatch(with: spec) { throw fail("\(what): \(mismatch)", key) }
        let origin = "\(printableInCode(model, or: "a model file")), layer \(printableInCode(imported.name, or: "(unprintable name)"))"
        // Described before the chain folds: what folds depends on the layer's own activation.
        let provenance = Self.provenance(imported.chain, origin: origin, activation: spec.activation)
        var weights = imported.weights
        var notes: [Diagnostic] = []
        if !imported.chain.isEmpty {
            switch imported.chain.lowered(onto: spec.activation, weights: weights, dtype: spec.dtype) {
            case .success(let lowering):
                (weights, spec.activation, spec.epilogue) = (lowering.weights, lowering.activation, lowering.steps)
            case .failure(let error):
                throw fail("cannot fuse after \(what): \(error.message); use fuse: false", key)
            }
            let names = imported.chain.layerNames.map { "'\(Identifier.printable($0))'" }.joined(separator: ", ")
            notes.append(Diagnostic(.note, "fused into \(what): \(names)", file: file, at: key))
        }
        // The layer as it is planned, its chain folded in: the folded activation and the epilogue are checked too.
        let errors = spec.crossArgumentErrors
        guard errors.isEmpty else { throw DiagnosticError(errors) }
        spec.useBias = weights.bias != nil
        spec.weights = WeightSources(depthwiseKernel: .inline(weights.depthwiseKernel, mark: key),
                                     pointwiseKernel: .inline(weights.pointwiseKernel, mark: key),
                                     bias: weights.bias.map { .inline($0, mark: key) })
        return KerasSource(spec: spec, provenance: provenance, notes: notes, dependency: model)
    }

    /// Where the weights came from and what `fuse` folded, in order, for the
    /// emitted files' header comments and `explain` (`LayerPlan.provenance`):
    /// "from kws.keras, layer sep, then batch_normalization (BatchNormalization,
    /// folded into the pointwise weights and bias), re_lu (ReLU, computed as the
    /// activation relu)". `activation` is the layer's own, before folding, which
    /// decides what folds, as in `FusedChain.lowered`.
    static func provenance(_ chain: FusedChain, origin: String, activation: Activation) -> String {
        guard !chain.isEmpty else { return "from " + origin }
        var fused: [String] = []
        if let batchNorm = chain.batchNorm {
            // Only after a linear activation is it a per-filter scale of the pointwise weights.
            let how = activation == .linear ? "folded into the pointwise weights and bias" : "applied per filter after the activation \(activation.rawValue)"
            fused.append("\(printableInCode(batchNorm.name, or: "(unprintable name)")) (BatchNormalization, \(how))")
        }
        if let (name, layer) = chain.activation {
            // It replaces a linear activation when it is one the emitters know; otherwise it is
            // computed after everything before it, with its arguments (numbers only, so printable).
            let what = if let plain = layer.plain, activation == .linear { "\(className(layer)), computed as the activation \(plain.rawValue)" } else { layer.description }
            fused.append("\(printableInCode(name, or: "(unprintable name)")) (\(what))")
        }
        return "from \(origin), then \(fused.joined(separator: ", "))"
    }

    /// The Keras class of an activation layer.
    private static func className(_ layer: FusedChain.ActivationLayer) -> String {
        switch layer {
        case .named: "Activation"
        case .relu: "ReLU"
        case .leakyRelu: "LeakyReLU"
        case .elu: "ELU"
        case .softmax: "Softmax"
        }
    }

    /// `text` when it is a plain file or layer name (ASCII letters, digits, `_`, `.`,
    /// `-`, `/`, at most 100 characters), else `standIn`. Such a name cannot end a C
    /// comment, start a line or form a trigraph, so it may appear in the emitted
    /// files' comments; any other text of a spec or model never reaches them (InjectionTests).
    static func printableInCode(_ text: String, or standIn: String) -> String {
        let plain = !text.isEmpty && text.count <= 100 && text.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-/".unicodeScalars.contains($0))
        }
        return plain ? text : standIn
    }
}
