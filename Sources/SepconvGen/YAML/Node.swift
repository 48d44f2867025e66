/// A YAML node, in document order, with the position of every node kept.
///
/// Aliases are already expanded (within a bound) and merge keys are not
/// interpreted: the tree is exactly what the document spells.
public indirect enum Node: Hashable, Sendable {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)

    /// A scalar: its text, how it was written, and where.
    public struct Scalar: Hashable, Sendable {
        /// The scalar's text after YAML unescaping.
        public var text: String
        /// Whether the scalar was written without quotes (only plain scalars
        /// resolve to null, booleans and numbers).
        public var isPlain: Bool
        /// An explicit tag such as `!!str`, if the document gave one.
        public var tag: String?
        /// Where the scalar starts.
        public var mark: Mark
    }

    /// A mapping whose keys are plain strings, in document order.
    public struct Mapping: Hashable, Sendable {
        /// The key/value pairs in document order.
        public var pairs: [Pair]
        /// Where the mapping starts.
        public var mark: Mark

        /// One key/value pair.
        public struct Pair: Hashable, Sendable {
            /// The key, as a scalar.
            public var key: Scalar
            /// The value.
            public var value: Node
        }

        /// The value for `key`, if present.
        public subscript(key: String) -> Node? {
            pairs.first { $0.key.text == key }?.value
        }
    }

    /// A sequence, in document order.
    public struct Sequence: Hashable, Sendable {
        /// The items in document order.
        public var items: [Node]
        /// Where the sequence starts.
        public var mark: Mark
    }

    /// Where the node starts.
    public var mark: Mark {
        switch self {
        case .scalar(let s): s.mark
        case .mapping(let m): m.mark
        case .sequence(let s): s.mark
        }
    }

    /// A short name of the node's kind for messages ("a mapping", "a list", "the string 'x'").
    public var kindDescription: String {
        switch self {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar(let s):
            switch s.resolved {
            case .null: "null"
            case .bool: "a boolean"
            case .int: "an integer"
            case .float: "a number"
            case .string: "a string"
            }
        }
    }
}
