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
    /// How many nodes a document may spell: every weight inline, and room for the rest.
    public static let maxNodes = Limits.maxParameters + 100_000

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

    /// One open collection while events are read, mutated in place on the
    /// stack so that appending an item never copies the items before it.
    private struct Frame {
        var mark: Mark
        var anchor: String?
        var isMapping: Bool
        var items: [Node] = []
        var pairs: [Node.Mapping.Pair] = []
        var pendingKey: Node.Scalar?
        var seen: [String: Mark] = [:]

        var node: Node {
            isMapping ? .mapping(Node.Mapping(pairs: pairs, mark: mark)) : .sequence(Node.Sequence(items: items, mark: mark))
        }
    }

    private func fail(_ message: String, at mark: Mark) -> DiagnosticError {
        DiagnosticError([Diagnostic(.error, message, file: file, at: mark)])
    }

    private func nextEvent() throws(DiagnosticError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
            let context = parser.context.map { String(cString: $0) + ": " } ?? ""
            // Reader errors (bad encoding, control characters) come with a byte offset, not a mark.
            let mark = parser.error == YAML_READER_ERROR
                ? Self.mark(ofByte: Self.characterStart(parser.problem_offset, in: UnsafeBufferPointer(bytes)), in: UnsafeBufferPointer(bytes))
                : Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            let tab = Self.byte(at: mark, in: UnsafeBufferPointer(bytes)) == UInt8(ascii: "\t")
            if !tab, let (hint, place) = IndentationHint.explain(problem: problem, at: mark, source: UnsafeBufferPointer(bytes)) {
                throw fail("YAML syntax error: \(context)\(problem) (\(hint))", at: place)
            }
            throw fail("YAML syntax error: \(context)\(problem)\(tab ? " (a tab: YAML indents with spaces only)" : "")", at: mark)
        }
        return event
    }

    private func document() throws(DiagnosticError) -> Node {
        var anchors: [String: (node: Node, size: Int)] = [:]
        var aliasNodes = 0
        var nodes = 0
        var stack: [Frame] = []
        var root: Node?
        var documents = 0

        while true {
            var event = try nextEvent()
            defer { yaml_event_delete(&event) }
            let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)

            var finished: (node: Node, anchor: String?)?
            if event.type == YAML_SCALAR_EVENT || event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT {
                nodes += 1
                if nodes > Self.maxNodes {
                    throw fail("the spec holds more than \(Self.maxNodes) values; no layer needs that many (at most \(Limits.maxParameters) weights)", at: mark)
                }
            }
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
                    throw fail("unknown alias '*\(Identifier.printable(name))': no anchor of that name comes before it", at: mark)
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
                stack.append(Frame(mark: mark, anchor: anchor, isMapping: false))
                continue
            case YAML_MAPPING_START_EVENT:
                guard stack.count < Self.maxDepth else {
                    throw fail("the spec is nested more than \(Self.maxDepth) levels deep", at: mark)
                }
                let anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
                stack.append(Frame(mark: mark, anchor: anchor, isMapping: true))
                continue
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else {
                    throw fail("YAML syntax error: unbalanced collection end", at: mark)
                }
                finished = (frame.node, frame.anchor)
            default:
                throw fail("YAML syntax error: unexpected event", at: mark)
            }

            guard let (node, anchor) = finished else { continue }
            if let anchor {
                anchors[anchor] = (node, Self.size(of: node))
            }
            guard !stack.isEmpty else {
                root = node
                continue
            }
            let top = stack.count - 1
            if !stack[top].isMapping {
                stack[top].items.append(node)
            } else if let key = stack[top].pendingKey {
                stack[top].pairs.append(.init(key: key, value: node))
                stack[top].pendingKey = nil
            } else {
                guard case .scalar(let key) = node else {
                    throw fail("mapping keys must be plain names, not \(node.kindDescription)", at: node.mark)
                }
                if let first = stack[top].seen[key.text] {
                    throw fail("duplicate key '\(Identifier.printable(key.text))' (first given at line \(first.line), column \(first.column))", at: key.mark)
                }
                stack[top].seen[key.text] = key.mark
                stack[top].pendingKey = key
            }
        }
    }

    /// The byte at `mark` when it is an ASCII character on that line, for hints.
    private static func byte(at mark: Mark, in bytes: UnsafeBufferPointer<UInt8>) -> UInt8? {
        var line = 1
        var index = 0
        while line < mark.line, index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
        let target = index + mark.column - 1
        guard line == mark.line, target < bytes.count, !bytes[index..<target].contains(UInt8(ascii: "\n")) else { return nil }
        return bytes[target]
    }

    /// The first byte of the UTF-8 sequence that byte `offset` ends or continues
    /// (libyaml reports a bad trailing octet at the octet, not at its character).
    private static func characterStart(_ offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var start = min(offset, bytes.count)
        while start > 0, start > offset - 3, bytes[start - 1] & 0xC0 == 0x80 { start -= 1 }
        if start > 0, start > offset - 4, bytes[start - 1] >= 0xC0, offset - (start - 1) < 4 { return start - 1 }
        return offset
    }

    /// The line and column of byte `offset` (columns count characters, as libyaml's do).
    private static func mark(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Mark {
        var line = 1, column = 1
        for byte in bytes.prefix(min(offset, bytes.count)) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return Mark(line: line, column: column)
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
