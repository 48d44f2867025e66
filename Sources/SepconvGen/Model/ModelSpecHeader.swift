/// What a spec that takes its layer from a model file (`from:`, SPEC.md
/// sections 5 and 7) says itself: `name`, `input` (optional: the model
/// records the shape), `streaming` and the `from` mapping. Read alike for
/// `.keras`/`.h5` and `.tflite` models; each front end then reads the rest of
/// `from` (`layer`, `fuse`) as its model kind takes them. `layer`, `weights`
/// and `dtype` are refused: the model holds them.
struct ModelSpecHeader {
    /// The layer's C identifier, when valid.
    var name: String?
    /// The `input` the spec gives, when it gives a valid one.
    var input: (steps: Int, channels: Int)?
    var streaming: Bool
    /// The model file as the spec writes it, when given as a string.
    var model: String?
    /// The `from` mapping, when it is one.
    var from: Node.Mapping?
    /// The `from` key's position: every error about the model points there.
    var key: Mark
    /// The positions of `name`, `input` and `streaming`, for `LayerSpec.marks`.
    var marks: [String: Mark] = [:]
    /// Every diagnostic so far; the front end adds its own.
    var reader: NodeReader

    /// The `from` keys.
    static let fromKeys = ["model", "layer", "fuse"]

    /// The header of `root` (the spec file `file`), or nil when `root` has no `from` key.
    static func read(_ root: Node, file: String) -> ModelSpecHeader? {
        guard case .mapping(let top) = root, let fromPair = top.pairs.first(where: { $0.key.text == "from" }) else { return nil }
        var header = ModelSpecHeader(streaming: false, key: fromPair.key.mark, reader: NodeReader(diagnostics: DiagnosticCollector(file: file)))
        header.readKeys(root, fromPair.value)
        return header
    }

    private mutating func readKeys(_ root: Node, _ from: Node) {
        guard let top = reader.mapping(root, path: "spec", known: SpecDecoder.topKeys) else { return }
        for pair in top.pairs where ["layer", "weights", "dtype"].contains(pair.key.text) {
            reader.diagnostics.error("'\(pair.key.text)' cannot be given with 'from': the model holds the layer's arguments, weights and dtype", at: pair.key.mark)
        }
        if let mapping = reader.mapping(from, path: "from", known: Self.fromKeys) {
            self.from = mapping
            if let node = mapping["model"] {
                model = reader.string(node, path: "from.model") ?? nil
            } else if !reader.hintedKeys.contains("from.model") {
                reader.diagnostics.error("missing required key 'from.model' (the .keras, .h5 or .tflite model file)", at: mapping.mark)
            }
        }
        if let node = top["name"] {
            marks["name"] = node.mark
            if let text = reader.string(node, path: "name") ?? nil {
                if let problem = Identifier.problem(with: text) {
                    reader.diagnostics.error("invalid name: \(problem)", at: node.mark)
                } else {
                    name = text
                }
            }
        } else {
            reader.diagnostics.error("missing required key 'name' (the C identifier of the layer)", at: top.mark)
        }
        if let node = top["input"], let input = reader.mapping(node, path: "input", known: SpecDecoder.inputKeys) {
            marks["input"] = node.mark
            let steps = input["steps"].flatMap { reader.integer($0, path: "input.steps", in: 1...Limits.maxExtent) }
            let channels = input["channels"].flatMap { reader.integer($0, path: "input.channels", in: 1...Limits.maxChannels) }
            if let steps, let channels {
                self.input = (steps, channels)
            } else if input["steps"] == nil || input["channels"] == nil {
                reader.diagnostics.error("'input' needs both 'steps' and 'channels' (or leave it out: the model records the shape)", at: node.mark)
            }
        }
        if let node = top["streaming"] {
            marks["streaming"] = node.mark
            streaming = reader.bool(node, path: "streaming") ?? false
        }
    }
}

extension ModelSpecHeader {
    /// The bytes of the model or weights file `path` that the spec `specFile` names, under
    /// the path rule, and its path for `--depfile`; an error at `mark` when it cannot be read.
    static func load(_ path: String, specFile: String, weightsRoot: String?, kind: String, at mark: Mark,
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
}
