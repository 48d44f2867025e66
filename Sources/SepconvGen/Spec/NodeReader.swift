/// Typed reads of YAML nodes that record a positioned error for every value
/// of the wrong kind, so a decoder can keep going and report everything.
struct NodeReader {
    var diagnostics: DiagnosticCollector
    /// The keys an unknown key's hint named (`layer.filters` for `fitlers`, `input.steps`
    /// for a `steps` under `layer`), as paths: a missing-key error for one of them would
    /// only repeat the hint, so the decoder leaves it out.
    var hintedKeys: Set<String> = []

    /// How many unknown keys of one mapping get a "did you mean" hint.
    static let maxHints = 200

    /// Reads `node` as a mapping whose keys must all be in `known`; reports each unknown key with a hint.
    mutating func mapping(_ node: Node, path: String, known: [String]) -> Node.Mapping? {
        guard case .mapping(let mapping) = node else {
            diagnostics.error("'\(path)' must be a mapping, not \(node.kindDescription)", at: node.mark)
            return nil
        }
        var unknown = 0
        for pair in mapping.pairs where !known.contains(pair.key.text) {
            let key = Identifier.printable(pair.key.text)
            unknown += 1
            // Past the errors anyone reads, no hint is worked out (10^5 unknown keys must stay cheap).
            var hint = ""
            if unknown <= Self.maxHints {
                if let placement = KeyPlacement.hint(for: pair.key.text, in: path) {
                    hint = " (\(placement.text))"
                    hintedKeys.insert(placement.path)
                } else if let meant = SpellingHint.closest(to: pair.key.text, in: known) {
                    hint = " (did you mean '\(meant)'?)"
                    hintedKeys.insert(path == "spec" ? meant : "\(path).\(meant)")
                }
            }
            diagnostics.error("unknown key '\(key)'\(path == "spec" ? "" : " in '\(path)'")\(hint)", at: pair.key.mark)
        }
        return mapping
    }

    /// Reads an integer in `range`; a one-element list is accepted when `allowList` (Keras tuples of one).
    mutating func integer(_ node: Node, path: String, in range: ClosedRange<Int>, allowList: Bool = false,
                          rangeHint: String? = nil) -> Int? {
        var node = node
        if allowList, case .sequence(let sequence) = node {
            guard sequence.items.count == 1 else {
                diagnostics.error("'\(path)' must be an integer or a list of exactly one integer; this list has \(sequence.items.count) elements", at: sequence.mark)
                return nil
            }
            node = sequence.items[0]
        }
        guard case .scalar(let scalar) = node, case .int(let value) = scalar.resolved else {
            let expected = allowList ? "an integer or a one-element list" : "an integer"
            diagnostics.error(Self.ambiguous(node, path: path) ?? "'\(path)' must be \(expected), not \(node.kindDescription)\(Self.quoted(node))", at: node.mark)
            return nil
        }
        guard range.contains(value) else {
            let requirement = rangeHint ?? (range.upperBound == .max ? "must be >= \(range.lowerBound)" : "must be between \(range.lowerBound) and \(range.upperBound)")
            diagnostics.error("'\(path)' \(requirement); got \(value)", at: node.mark)
            return nil
        }
        return value
    }

    /// Reads a finite number (integer or float).
    mutating func number(_ node: Node, path: String) -> Double? {
        if case .scalar(let scalar) = node {
            switch scalar.resolved {
            case .int(let value): return Double(value)
            case .float(let value) where value.isFinite: return value
            case .float:
                diagnostics.error("'\(path)' must be a finite number, not \(scalar.text)", at: node.mark)
                return nil
            default: break
            }
        }
        diagnostics.error(Self.ambiguous(node, path: path) ?? "'\(path)' must be a number, not \(node.kindDescription)\(Self.quoted(node))", at: node.mark)
        return nil
    }

    /// "'path': 010 is not read as a number: why", for a scalar YAML versions read as different numbers.
    static func ambiguous(_ node: Node, path: String) -> String? {
        guard case .scalar(let scalar) = node, let why = scalar.numberAmbiguity else { return nil }
        return "'\(path)': \(Identifier.printable(scalar.text)) is not read as a number: \(why)"
    }

    /// Reads a boolean.
    mutating func bool(_ node: Node, path: String) -> Bool? {
        guard case .scalar(let scalar) = node, case .bool(let value) = scalar.resolved else {
            diagnostics.error("'\(path)' must be true or false, not \(node.kindDescription)\(Self.quoted(node))", at: node.mark)
            return nil
        }
        return value
    }

    /// Reads a string (plain or quoted); null is reported unless `allowNull`, in which case it reads as nil.
    mutating func string(_ node: Node, path: String, allowNull: Bool = false) -> String?? {
        guard case .scalar(let scalar) = node else {
            diagnostics.error("'\(path)' must be a string, not \(node.kindDescription)", at: node.mark)
            return nil
        }
        switch scalar.resolved {
        case .null where allowNull: return .some(nil)
        case .string(let text): return .some(text)
        default:
            diagnostics.error("'\(path)' must be a string, not \(node.kindDescription)\(Self.quoted(node))", at: node.mark)
            return nil
        }
    }

    /// Whether `node` is a plain `null`.
    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, case .null = scalar.resolved { return true }
        return false
    }

    /// ` ('text')` for a scalar, to show what was written.
    static func quoted(_ node: Node) -> String {
        guard case .scalar(let scalar) = node, !scalar.text.isEmpty else { return "" }
        let text = Identifier.printable(scalar.text)
        return " ('\(text.count > 40 ? text.prefix(40) + "..." : text)')"
    }
}
