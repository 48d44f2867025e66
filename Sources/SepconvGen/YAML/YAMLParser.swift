import CYAML

/// Parses one YAML document into a `Node` tree with libyaml.
///
/// The class owns the libyaml parser and the bytes it reads; it is used once
/// through `YAMLParser.parse(_:file:)`. Several documents, duplicate keys,
/// non-scalar keys, unknown aliases, nesting deeper than `maxDepth` and alias
/// expansion past `maxAliasNodes` are errors.
public final class YAMLParser {
    /// The deepest nesting a spec may have.
    public static let maxDepth = 32
    /// How many nodes aliases may add to the tree, in all.
    public static let maxAliasNodes = 10_000

    private var parser = yaml_parser_t()
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let file: String

    private init(bytes source: [UInt8], file: String) {
        bytes = .allocate(capacity: max(source.count, 1))
        _ = bytes.initialize(from: source)
        self.file = file
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, bytes.baseAddress, source.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        bytes.deallocate()
    }

    /// Parses `text` (the contents of `file`) into its single document's root node.
    /// - Throws: `DiagnosticError` with one positioned error.
    public static func parse(_ text: [UInt8], file: String) throws(DiagnosticError) -> Node {
        let reader = YAMLParser(bytes: text, file: file)
        return try reader.document()
    }

    /// One open collection while events are read.
    private enum Frame {
        case mapping(Node.Mapping, pendingKey: Node.Scalar?, anchor: String?, seen: [String: Mark])
        case sequence(Node.Sequence, anchor: String?)
    }

    private func fail(_ message: String, at mark: Mark) -> DiagnosticError {
        DiagnosticError([Diagnostic(.error, message, file: file, at: mark)])
    }

    private func nextEvent() throws(DiagnosticError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
            let context = parser.context.map { String(cString: $0) + ": " } ?? ""
            let mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            throw fail("YAML syntax error: \(context)\(problem)", at: mark)
        }
        return event
    }

    private func document() throws(DiagnosticError) -> Node {
        var anchors: [String: (node: Node, size: Int)] = [:]
        var aliasNodes = 0
        var stack: [Frame] = []
        var root: Node?
        var documents = 0

        while true {
            var event = try nextEvent()
            defer { yaml_event_delete(&event) }
            let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)

            var finished: (node: Node, anchor: String?)?
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT, YAML_NO_EVENT:
                continue
            case YAML_STREAM_END_EVENT:
                guard let root else { throw fail("the spec is empty: expected a mapping with 'name', 'input' and 'layer'", at: mark) }
                return root
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw fail("a spec holds exactly one YAML document; found a second one here", at: mark)
                }
                continue
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = Self.string(scalar.value, length: scalar.length)
                let tag = scalar.tag.map { String(cString: $0) }
                let node = Node.Scalar(text: text, isPlain: scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == nil,
                                       tag: tag, mark: mark)
                finished = (.scalar(node), scalar.anchor.map { String(cString: $0) })
            case YAML_ALIAS_EVENT:
                let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                guard let target = anchors[name] else {
                    throw fail("unknown alias '*\(name)': no anchor '&\(name)' comes before it", at: mark)
                }
                aliasNodes += target.size
                if aliasNodes > Self.maxAliasNodes {
                    throw fail("aliases expand to more than \(Self.maxAliasNodes) nodes; write the values out instead", at: mark)
                }
                finished = (target.node, nil)
            case YAML_SEQUENCE_START_EVENT:
                guard stack.count < Self.maxDepth else {
                    throw fail("the spec is nested more than \(Self.maxDepth) levels deep", at: mark)
                }
                let anchor = event.data.sequence_start.anchor.map { String(cString: $0) }
                stack.append(.sequence(Node.Sequence(items: [], mark: mark), anchor: anchor))
                continue
            case YAML_MAPPING_START_EVENT:
                guard stack.count < Self.maxDepth else {
                    throw fail("the spec is nested more than \(Self.maxDepth) levels deep", at: mark)
                }
                let anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
                stack.append(.mapping(Node.Mapping(pairs: [], mark: mark), pendingKey: nil, anchor: anchor, seen: [:]))
                continue
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                switch stack.popLast() {
                case .sequence(let sequence, let anchor)?:
                    finished = (.sequence(sequence), anchor)
                case .mapping(let mapping, _, let anchor, _)?:
                    finished = (.mapping(mapping), anchor)
                case nil:
                    throw fail("YAML syntax error: unbalanced collection end", at: mark)
                }
            default:
                throw fail("YAML syntax error: unexpected event", at: mark)
            }

            guard let (node, anchor) = finished else { continue }
            if let anchor {
                anchors[anchor] = (node, Self.size(of: node))
            }
            guard let top = stack.popLast() else {
                root = node
                continue
            }
            switch top {
            case .sequence(var sequence, let anchor):
                sequence.items.append(node)
                stack.append(.sequence(sequence, anchor: anchor))
            case .mapping(var mapping, let pendingKey, let anchor, var seen):
                if let key = pendingKey {
                    mapping.pairs.append(.init(key: key, value: node))
                    stack.append(.mapping(mapping, pendingKey: nil, anchor: anchor, seen: seen))
                } else {
                    guard case .scalar(let key) = node else {
                        throw fail("mapping keys must be plain names, not \(node.kindDescription)", at: node.mark)
                    }
                    if let first = seen[key.text] {
                        throw fail("duplicate key '\(key.text)' (first given at line \(first.line), column \(first.column))", at: key.mark)
                    }
                    seen[key.text] = key.mark
                    stack.append(.mapping(mapping, pendingKey: key, anchor: anchor, seen: seen))
                }
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    private static func size(of node: Node) -> Int {
        switch node {
        case .scalar: 1
        case .sequence(let s): s.items.reduce(1) { $0 + size(of: $1) }
        case .mapping(let m): m.pairs.reduce(1) { $0 + 1 + size(of: $1.value) }
        }
    }
}
