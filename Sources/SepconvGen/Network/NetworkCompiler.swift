/// The front of the pipeline for network specs (SPEC.md section 8):
/// `name`, `network: {model, first, last}`, `streaming`.
public struct NetworkCompiler: Sendable {
    /// Where model files may live besides the spec's own folder.
    public var weightsRoot: String?

    /// The top-level keys of a network spec.
    static let topKeys = ["name", "network", "streaming"]
    static let networkKeys = ["model", "first", "last"]

    /// Creates a compiler with the command line's options.
    public init(weightsRoot: String? = nil) {
        self.weightsRoot = weightsRoot
    }

    /// A network spec taken to its plan.
    public struct Compiled: Sendable {
        public var plan: NetworkPlan
        /// Notes found on the way (the layers removed at inference).
        public var notes: [Diagnostic]
        /// The spec file and the model file, for `--depfile`.
        public var dependencies: [String]
        /// The spec file and its `network` key, where errors about the network point.
        public var file: String
        public var mark: Mark
    }

    /// Whether the spec `root` has a top-level `network` key (then it is a network spec).
    public static func isNetwork(_ root: Node) -> Bool {
        guard case .mapping(let top) = root else { return false }
        return top["network"] != nil
    }

    /// Compiles the parsed spec `root` of `file` when it is a network spec; nil when it is not.
    /// - Throws: `DiagnosticError`, errors about the model positioned at the `network` key.
    public func compileIfNetwork(file: String, root: Node) throws(DiagnosticError) -> Compiled? {
        guard Self.isNetwork(root) else { return nil }
        return try compile(file: file, root: root)
    }

    /// Compiles `contents`, the text of the network spec at `file`.
    public func compile(file: String, contents: [UInt8]) throws(DiagnosticError) -> Compiled {
        try compile(file: file, root: YAMLParser.parse(contents, file: file))
    }

    /// Compiles `root`, the parsed network spec at `file`.
    public func compile(file: String, root: Node) throws(DiagnosticError) -> Compiled {
        var reader = NodeReader(diagnostics: DiagnosticCollector(file: file))
        guard let top = reader.mapping(root, path: "spec", known: Self.topKeys), let networkNode = top["network"],
              let networkKey = top.pairs.first(where: { $0.key.text == "network" })?.key else {
            throw DiagnosticError(reader.diagnostics.diagnostics)
        }
        let mark = networkKey.mark
        var name: String?
        if let node = top["name"] {
            name = reader.string(node, path: "name") ?? nil
            if let given = name, let problem = Identifier.problem(with: given) {
                reader.diagnostics.error("'name' \(problem)", at: node.mark)
            }
        } else {
            reader.diagnostics.error("missing required key 'name' (the C identifier of the network's function)", at: top.mark)
        }
        let streamingNode = top["streaming"]
        let streaming = streamingNode.flatMap { reader.bool($0, path: "streaming") } ?? false
        let mapping = reader.mapping(networkNode, path: "network", known: Self.networkKeys)
        let model = mapping?["model"].flatMap { reader.string($0, path: "network.model") ?? nil }
        if let mapping, mapping["model"] == nil {
            reader.diagnostics.error("missing required key 'network.model' (the .keras or .h5 model file)", at: mapping.mark)
        }
        let first = mapping?["first"].flatMap { reader.string($0, path: "network.first", allowNull: true) ?? nil }
        let last = mapping?["last"].flatMap { reader.string($0, path: "network.last", allowNull: true) ?? nil }
        var diagnostics = reader.diagnostics
        guard let name, let model, !diagnostics.hasErrors else { throw DiagnosticError(diagnostics.diagnostics) }

        let located: String
        let bytes: [UInt8]
        switch PathRule.locate(model, specFile: file, weightsRoot: weightsRoot).flatMap({ path in
            PathRule.read(path, as: model, limit: ModelLimits.maxFileBytes, kind: "model").map { ($0, path.joined) }
        }) {
        case .success(let result): (bytes, located) = result
        case .failure(let error):
            diagnostics.error("model file: \(error.message)", at: mark)
            throw DiagnosticError(diagnostics.diagnostics)
        }
        let plan: NetworkPlan
        do {
            let modelReader = try ModelReader(bytes: bytes, name: model)
            plan = try NetworkBuilder(reader: modelReader, model: model, specFile: file, name: name, streaming: streaming)
                .plan(first: first, last: last)
        } catch {
            diagnostics.error(error.message, at: mark)
            throw DiagnosticError(diagnostics.diagnostics)
        }
        if streaming, let refusal = plan.streamRefusal {
            diagnostics.error(refusal, at: streamingNode?.mark ?? mark)
            throw DiagnosticError(diagnostics.diagnostics)
        }
        if !plan.removed.isEmpty {
            let names = plan.removed.map { "'\(Identifier.printable($0))'" }.joined(separator: ", ")
            diagnostics.note("removed from the network (nothing at inference): \(names)", at: mark)
        }
        return Compiled(plan: plan, notes: diagnostics.diagnostics, dependencies: [file, located], file: file, mark: mark)
    }
}
