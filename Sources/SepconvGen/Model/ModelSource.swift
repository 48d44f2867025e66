/// A spec that takes its layer from a Keras model file (`from`) or its
/// weights from a Keras 3 weights file (`weights: {h5: ..., group: ...}`),
/// SPEC.md section 5.
///
/// `resolve` rewrites the spec's node tree into an ordinary spec (the model's
/// arguments as the `layer` mapping, its dtype and input shape), which the
/// spec decoder then checks as it checks any spec, every synthesised node
/// positioned at the `from` key; `apply` then gives the decoded spec the
/// model's weights and folds the fused chain.
struct ModelSource {
    /// The rewritten spec tree.
    var root: Node
    /// The model or weights file, as usable from the working directory (for `--depfile`).
    var dependency: String
    /// Where errors about the model point: the `from` (or `weights`) key.
    var mark: Mark
    /// The spec file.
    var file: String
    /// The model file as the spec wrote it, and the layer, for messages.
    var what: String
    /// The model file and the layer (or group), as the emitted files' comments may
    /// print them (`kws.keras, layer sep`): see `printableInCode`.
    var origin: String
    /// What is read from the file.
    private var content: Content

    private enum Content {
        case layer(ImportedLayer, inputGiven: (steps: Int, channels: Int, mark: Mark)?)
        case weightsFile(HDF5File, group: String)
    }

    /// The `layer` keys taken from the model's config (initializers and training-only keys change nothing).
    static let importedKeys = ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                               "depth_multiplier", "activation", "use_bias"]
    static let fromKeys = ["model", "layer", "fuse"]

    /// The model source of the spec `root` (file `file`), or nil when it names no model file.
    /// - Throws: `DiagnosticError` for a bad `from` or `weights` mapping or an unreadable model.
    static func resolve(_ root: Node, file: String, weightsRoot: String?) throws(DiagnosticError) -> ModelSource? {
        guard case .mapping(var top) = root else { return nil }
        var diagnostics = DiagnosticCollector(file: file)
        func fail(_ message: String, _ mark: Mark) -> DiagnosticError {
            diagnostics.error(message, at: mark)
            return DiagnosticError(diagnostics.diagnostics)
        }
        if let index = top.pairs.firstIndex(where: { $0.key.text == "from" }) {
            let key = top.pairs[index].key
            for forbidden in ["layer", "weights", "dtype"] {
                if let pair = top.pairs.first(where: { $0.key.text == forbidden }) {
                    diagnostics.error("'\(forbidden)' cannot be given with 'from': the model holds the layer's arguments, weights and dtype", at: pair.key.mark)
                }
            }
            var reader = NodeReader(diagnostics: diagnostics)
            let from = top.pairs[index].value
            guard let mapping = reader.mapping(from, path: "from", known: fromKeys) else { throw DiagnosticError(reader.diagnostics.diagnostics) }
            let model = mapping["model"].flatMap { reader.string($0, path: "from.model") ?? nil }
            if mapping["model"] == nil, !reader.hintedKeys.contains("from.model") { reader.diagnostics.error("missing required key 'from.model' (the .keras or .h5 model file)", at: mapping.mark) }
            let layerName = mapping["layer"].flatMap { reader.string($0, path: "from.layer", allowNull: true) ?? nil }
            let fuse = mapping["fuse"].map { reader.bool($0, path: "from.fuse") ?? false } ?? false
            diagnostics = reader.diagnostics
            guard let model, !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }
            let (bytes, located) = try read(model, specFile: file, weightsRoot: weightsRoot, kind: "model", at: key.mark, &diagnostics)
            let imported: ImportedLayer
            do {
                imported = try ModelReader(bytes: bytes, name: model).layer(named: layerName, fuse: fuse)
            } catch {
                throw fail(error.message, key.mark)
            }
            var given: (steps: Int, channels: Int, mark: Mark)?
            if let input = top["input"], case .mapping(let shape) = input,
               case .scalar(let steps)? = shape["steps"], case .int(let s) = steps.resolved,
               case .scalar(let channels)? = shape["channels"], case .int(let c) = channels.resolved {
                given = (s, c, input.mark)
            }
            top.pairs.remove(at: index)
            let mark = key.mark
            let layerPairs = importedKeys.compactMap { name in imported.config[name].map { pair(name, node($0, mark)) } }
            top.pairs.append(pair("layer", .mapping(Node.Mapping(pairs: layerPairs, mark: mark))))
            top.pairs.append(pair("dtype", scalar(imported.dtype.rawValue, mark)))
            if top["input"] == nil {
                guard let shape = imported.inputShape else {
                    throw fail("\(model) records no input shape for '\(Identifier.printable(imported.name))'; give 'input' (steps and channels)", mark)
                }
                top.pairs.append(pair("input", .mapping(Node.Mapping(pairs: [
                    pair("steps", scalar(String(shape.steps), mark, plain: true)),
                    pair("channels", scalar(String(shape.channels), mark, plain: true)),
                ], mark: mark))))
            }
            return ModelSource(root: .mapping(top), dependency: located, mark: mark, file: file,
                               what: "'\(Identifier.printable(imported.name))' in \(model)",
                               origin: "\(printableInCode(model, or: "a model file")), layer \(printableInCode(imported.name, or: "(unprintable name)"))",
                               content: .layer(imported, inputGiven: given))
        }
        guard let index = top.pairs.firstIndex(where: { $0.key.text == "weights" }),
              case .mapping(let weights) = top.pairs[index].value, weights["h5"] != nil else { return nil }
        let key = top.pairs[index].key
        var reader = NodeReader(diagnostics: diagnostics)
        _ = reader.mapping(top.pairs[index].value, path: "weights", known: ["h5", "group"])
        let path = weights["h5"].flatMap { reader.string($0, path: "weights.h5") ?? nil }
        let group = weights["group"].flatMap { reader.string($0, path: "weights.group") ?? nil }
        if weights["group"] == nil, !reader.hintedKeys.contains("weights.group") { reader.diagnostics.error("missing required key 'weights.group' (the layer's group in the weights file, e.g. layers/separable_conv1d)", at: weights.mark) }
        diagnostics = reader.diagnostics
        guard let path, let group, !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }
        guard !path.hasSuffix(".json") else {
            throw fail("\(path) is a sharded weights index; sharded weights are not supported: save with model.save_weights(\"m.weights.h5\")", key.mark)
        }
        let (bytes, located) = try read(path, specFile: file, weightsRoot: weightsRoot, kind: "weights", at: key.mark, &diagnostics)
        let weightsFile: HDF5File
        do {
            weightsFile = try HDF5File(bytes: bytes, name: path)
        } catch {
            throw fail(error.message, key.mark)
        }
        top.pairs.remove(at: index)
        let trimmed = group.split(separator: "/").joined(separator: "/")
        return ModelSource(root: .mapping(top), dependency: located, mark: key.mark, file: file, what: "group \(trimmed) of \(path)",
                           origin: "\(printableInCode(path, or: "a weights file")), group \(printableInCode(trimmed, or: "(unprintable name)"))",
                           content: .weightsFile(weightsFile, group: "/" + trimmed))
    }

    /// The bytes of the model or weights file `path` under the path rule, and its path for `--depfile`.
    static func read(_ path: String, specFile: String, weightsRoot: String?, kind: String, at mark: Mark,
                             _ diagnostics: inout DiagnosticCollector) throws(DiagnosticError) -> ([UInt8], String) {
        switch PathRule.locate(path, specFile: specFile, weightsRoot: weightsRoot).flatMap({ file in
            PathRule.read(file, as: path, limit: ModelLimits.maxFileBytes, kind: kind).map { ($0, file.joined) }
        }) {
        case .success(let result):
            return result
        case .failure(let error):
            diagnostics.error("\(kind) file: \(error.message)", at: mark)
            throw DiagnosticError(diagnostics.diagnostics)
        }
    }

    /// The note naming the layers `fuse: true` folds into the layer (shown by `explain` and generation).
    var fusedNote: Diagnostic? {
        guard case .layer(let imported, _) = content, !imported.chain.isEmpty else { return nil }
        let names = imported.chain.layerNames.map { "'\(Identifier.printable($0))'" }.joined(separator: ", ")
        return Diagnostic(.note, "fused into \(what): \(names)", file: file, at: mark)
    }

    /// Where the weights came from and what `fuse` folded, in order, for the
    /// emitted files' header comments and `explain` (`LayerPlan.provenance`):
    /// "from kws.keras, layer sep, then batch_normalization (BatchNormalization,
    /// folded into the pointwise weights and bias), re_lu (ReLU, computed as the
    /// activation relu)". `activation` is the layer's own, before folding, which
    /// decides what folds, as in `FusedChain.lowered`.
    func provenance(activation: Activation) -> String {
        guard case .layer(let imported, _) = content, !imported.chain.isEmpty else { return "from " + origin }
        var fused: [String] = []
        if let batchNorm = imported.chain.batchNorm {
            // Only after a linear activation is it a per-filter scale of the pointwise weights.
            let how = activation == .linear ? "folded into the pointwise weights and bias" : "applied per filter after the activation \(activation.rawValue)"
            fused.append("\(Self.printableInCode(batchNorm.name, or: "(unprintable name)")) (BatchNormalization, \(how))")
        }
        if let (name, layer) = imported.chain.activation {
            // It replaces a linear activation when it is one the emitters know; otherwise it is
            // computed after everything before it, with its arguments (numbers only, so printable).
            let what = if let plain = layer.plain, activation == .linear { "\(Self.className(layer)), computed as the activation \(plain.rawValue)" } else { layer.description }
            fused.append("\(Self.printableInCode(name, or: "(unprintable name)")) (\(what))")
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

    /// `spec`, decoded from `root`, with the model's weights and fused chain: what the
    /// weights and the activation cannot hold becomes its epilogue.
    /// - Throws: `DiagnosticError` when the weights do not fit the arguments or the chain cannot be fused.
    func apply(to spec: LayerSpec) throws(DiagnosticError) -> LayerSpec {
        var spec = spec
        let file = spec.file
        let fail = { (message: String, mark: Mark) in DiagnosticError([Diagnostic(.error, message, file: file, at: mark)]) }
        var weights: LayerWeights
        var epilogue: [EpilogueStep] = []
        switch content {
        case .layer(let imported, let given):
            if let given, let recorded = imported.inputShape, (recorded.steps, recorded.channels) != (given.steps, given.channels) {
                throw fail("'input' is steps \(given.steps), channels \(given.channels) but \(what) takes steps \(recorded.steps), channels \(recorded.channels)", given.mark)
            }
            weights = imported.weights
            try check(weights, spec: spec, fail: fail)
            (weights, epilogue) = try fold(imported.chain, into: weights, spec: &spec, fail: fail)
        case .weightsFile(let file, let group):
            do {
                let tensors = try ModelReader.keras3Variables(count: spec.useBias ? 3 : 2, group: group, in: file,
                                                              expectedName: nil, what: what)
                weights = LayerWeights(depthwiseKernel: tensors[0], pointwiseKernel: tensors[1], bias: spec.useBias ? tensors[2] : nil)
            } catch {
                throw fail(error.message, mark)
            }
            try check(weights, spec: spec, fail: fail)
        }
        spec.useBias = weights.bias != nil
        spec.weights = WeightSources(depthwiseKernel: .inline(weights.depthwiseKernel, mark: mark),
                                     pointwiseKernel: .inline(weights.pointwiseKernel, mark: mark),
                                     bias: weights.bias.map { .inline($0, mark: mark) })
        spec.epilogue = epilogue
        return spec
    }

    private func check(_ weights: LayerWeights, spec: LayerSpec, fail: (String, Mark) -> DiagnosticError) throws(DiagnosticError) {
        let shapes = LayerWeights.shapes(of: spec)
        for (name, tensor, shape) in [("depthwise_kernel", weights.depthwiseKernel, shapes.depthwise),
                                      ("pointwise_kernel", weights.pointwiseKernel, shapes.pointwise),
                                      ("bias", weights.bias ?? Tensor(shape: shapes.bias, repeating: 0), shapes.bias)]
        where tensor.shape != shape {
            throw fail("\(what): \(name) has shape \(tensor.shapeDescription) but the layer's arguments need \(Tensor.describe(shape))", mark)
        }
    }

    /// Folds the chain into the weights and the layer's activation where it can; the rest
    /// becomes the plan's epilogue.
    private func fold(_ chain: FusedChain, into weights: LayerWeights, spec: inout LayerSpec,
                      fail: (String, Mark) -> DiagnosticError) throws(DiagnosticError) -> (LayerWeights, [EpilogueStep]) {
        guard !chain.isEmpty else { return (weights, []) }
        let lowering: FusedLowering
        switch chain.lowered(onto: spec.activation, weights: weights, dtype: spec.dtype) {
        case .success(let result): lowering = result
        case .failure(let error): throw fail("cannot fuse after \(what): \(error.message); use fuse: false", mark)
        }
        spec.activation = lowering.activation
        return (lowering.weights, lowering.steps)
    }

    // MARK: - Nodes

    private static func pair(_ key: String, _ value: Node) -> Node.Mapping.Pair {
        Node.Mapping.Pair(key: Node.Scalar(text: key, isPlain: true, tag: nil, mark: value.mark), value: value)
    }

    private static func scalar(_ text: String, _ mark: Mark, plain: Bool = false) -> Node {
        .scalar(Node.Scalar(text: text, isPlain: plain, tag: nil, mark: mark))
    }

    /// A JSON value as the YAML node that spells it (strings quoted, so they stay strings).
    private static func node(_ value: JSONValue, _ mark: Mark) -> Node {
        switch value {
        case .null: scalar("null", mark, plain: true)
        case .bool(let flag): scalar(flag ? "true" : "false", mark, plain: true)
        case .int(let number): scalar(String(number), mark, plain: true)
        case .double(let number): scalar("\(number)", mark, plain: true)
        case .string(let text): scalar(text, mark)
        case .array(let items): .sequence(Node.Sequence(items: items.map { node($0, mark) }, mark: mark))
        case .object(let members):
            .mapping(Node.Mapping(pairs: members.keys.sorted().map { pair($0, node(members[$0] ?? .null, mark)) }, mark: mark))
        }
    }
}
