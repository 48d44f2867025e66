/// A spec that gives its layer's arguments and takes the weights from a Keras 3
/// weights file (`weights: {h5: ..., group: ...}`, SPEC.md section 5). The
/// spec decoder decodes the rest of the spec as written (told to leave
/// `weights` to this front end); `apply` then gives the decoded spec the
/// file's weights.
struct WeightsFileSource {
    /// The weights file, as usable from the working directory (for `--depfile`).
    var dependency: String
    /// Where errors about the file point: the `weights` key.
    var mark: Mark
    /// The weights file and the group, for messages.
    var what: String
    /// The weights file and the group, as the emitted files' comments may print them.
    var origin: String
    private var file: HDF5File
    private var group: String

    /// The weights-file source of the spec `root` (file `file`), or nil when its `weights` names no `.h5` file.
    /// - Throws: `DiagnosticError` for a bad `weights` mapping or an unreadable file.
    static func resolve(_ root: Node, file: String, weightsRoot: String?) throws(DiagnosticError) -> WeightsFileSource? {
        guard case .mapping(let top) = root, let pair = top.pairs.first(where: { $0.key.text == "weights" }),
              case .mapping(let weights) = pair.value, weights["h5"] != nil else { return nil }
        var reader = NodeReader(diagnostics: DiagnosticCollector(file: file))
        _ = reader.mapping(pair.value, path: "weights", known: ["h5", "group"])
        let path = weights["h5"].flatMap { reader.string($0, path: "weights.h5") ?? nil }
        let group = weights["group"].flatMap { reader.string($0, path: "weights.group") ?? nil }
        if weights["group"] == nil, !reader.hintedKeys.contains("weights.group") { reader.diagnostics.error("missing required key 'weights.group' (the layer's group in the weights file, e.g. layers/separable_conv1d)", at: weights.mark) }
        var diagnostics = reader.diagnostics
        guard let path, let group, !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }
        let key = pair.key.mark
        guard !path.hasSuffix(".json") else {
            diagnostics.error("\(path) is a sharded weights index; sharded weights are not supported: save with model.save_weights(\"m.weights.h5\")", at: key)
            throw DiagnosticError(diagnostics.diagnostics)
        }
        let (bytes, located) = try ModelSpecHeader.load(path, specFile: file, weightsRoot: weightsRoot, kind: "weights", at: key, &diagnostics)
        let weightsFile: HDF5File
        do {
            weightsFile = try HDF5File(bytes: bytes, name: path)
        } catch {
            diagnostics.error(error.message, at: key)
            throw DiagnosticError(diagnostics.diagnostics)
        }
        let trimmed = group.split(separator: "/").joined(separator: "/")
        return WeightsFileSource(dependency: located, mark: key, what: "group \(trimmed) of \(path)",
                                 origin: "\(KerasSource.printableInCode(path, or: "a weights file")), group \(KerasSource.printableInCode(trimmed, or: "(unprintable name)"))",
                                 file: weightsFile, group: "/" + trimmed)
    }

    /// `spec`, decoded from the spec's own keys, with the file's weights.
    /// - Throws: `DiagnosticError` when the group lacks the weights or they do not fit the arguments.
    func apply(to spec: LayerSpec) throws(DiagnosticError) -> LayerSpec {
        var spec = spec
        let fail = { (message: String) in DiagnosticError([Diagnostic(.error, message, file: spec.file, at: mark)]) }
        let weights: LayerWeights
        do {
            let tensors = try ModelReader.keras3Variables(count: spec.useBias ? 3 : 2, group: group, in: file, expectedName: nil, what: what)
            weights = LayerWeights(depthwiseKernel: tensors[0], pointwiseKernel: tensors[1], bias: spec.useBias ? tensors[2] : nil)
        } catch {
            throw fail(error.message)
        }
        if let mismatch = weights.shapeMismatch(with: spec) { throw fail("\(what): \(mismatch)") }
        spec.weights = WeightSources(depthwiseKernel: .inline(weights.depthwiseKernel, mark: mark),
                                     pointwiseKernel: .inline(weights.pointwiseKernel, mark: mark),
                                     bias: weights.bias.map { .inline($0, mark: mark) })
        return spec
    }
}
