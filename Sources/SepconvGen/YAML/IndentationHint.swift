/// Explains libyaml's indentation errors in terms of the spec's own lines.
///
/// libyaml reports a mis-indented key as "mapping values are not allowed in
/// this context" (a key indented further than the one above it, whose value
/// then seems to run on) or "did not find expected key" (a key that lines up
/// with no mapping above it). This names the keys involved and their columns,
/// and moves the caret to the line that is off where the file's usual
/// indentation makes that clear: a first nested key indented unlike every
/// other nested key is reported on its own line, not on the next one.
enum IndentationHint {
    /// libyaml's problem texts this explains.
    static let problems: Set<String> = ["mapping values are not allowed in this context", "did not find expected key"]

    /// One line of the spec, as far as indentation is concerned.
    struct Line {
        /// 1-based line number.
        var number: Int
        /// Leading spaces.
        var indent: Int
        /// The plain key the line starts with (`key:`), if any.
        var key: String?
        /// 1-based column of that key's colon.
        var colonColumn: Int
        /// Whether the line is `key:` with nothing after it but a comment: a nested block follows.
        var opensBlock: Bool
    }

    /// The hint to append to libyaml's message and where to put the caret,
    /// or nil when `problem` is not an indentation problem this recognises.
    static func explain(problem: String, at mark: Mark, source: UnsafeBufferPointer<UInt8>) -> (hint: String, mark: Mark)? {
        guard problems.contains(problem) else { return nil }
        let lines = contentLines(source)
        guard let index = lines.firstIndex(where: { $0.number == mark.line }), let key = lines[index].key else { return nil }
        let line = lines[index]
        if problem.hasPrefix("mapping values"), mark.column > line.colonColumn {
            return ("a value that holds ': ' must be quoted", mark)
        }
        guard index > 0, let aboveKey = lines[index - 1].key, lines[index - 1].indent != line.indent else {
            return ("check the indentation: the keys of one mapping start in the same column", mark)
        }
        let above = lines[index - 1]
        // A first nested key indented unlike the file's other nested keys, with the key after it where they go.
        if index > 1, lines[index - 2].opensBlock, let parent = lines[index - 2].key,
           let step = usualStep(lines, excluding: index - 2),
           line.indent - lines[index - 2].indent == step, above.indent - lines[index - 2].indent != step {
            let offset = above.indent - lines[index - 2].indent
            let indented = offset > 0 ? "is indented by \(offset) under" : "is not indented under"
            let hint = "'\(aboveKey)' \(indented) '\(parent)' (line \(lines[index - 2].number)) "
                + "but '\(key)' below it by \(step), as elsewhere in the file: the keys of one mapping start in the same column"
            return (hint, Mark(line: above.number, column: above.indent + 1))
        }
        let comparison = line.indent > above.indent ? "more" : "less"
        let hint = "'\(key)' is indented \(comparison) than '\(aboveKey)' on line \(above.number): the keys of one mapping start in the same column"
        return (hint, Mark(line: line.number, column: line.indent + 1))
    }

    /// The indentation most nested blocks of the file use, ignoring the block opened at `excluded`.
    static func usualStep(_ lines: [Line], excluding excluded: Int) -> Int? {
        var counts: [Int: Int] = [:]
        for index in lines.indices.dropLast() where index != excluded && lines[index].opensBlock {
            let step = lines[index + 1].indent - lines[index].indent
            if step > 0 { counts[step, default: 0] += 1 }
        }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
    }

    /// The lines that hold more than spaces and comments.
    static func contentLines(_ source: UnsafeBufferPointer<UInt8>) -> [Line] {
        var lines: [Line] = []
        for (offset, raw) in source.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let text = Array(raw)
            let indent = text.prefix { $0 == UInt8(ascii: " ") }.count
            let rest = text[indent...].filter { $0 != UInt8(ascii: "\r") }
            guard let first = rest.first, first != UInt8(ascii: "#") else { continue }
            var line = Line(number: offset + 1, indent: indent, key: nil, colonColumn: 0, opensBlock: false)
            if let colon = keyColon(rest) {
                line.key = String(decoding: rest[..<colon], as: UTF8.self)
                line.colonColumn = indent + colon + 1
                let after = rest[(colon + 1)...].drop { $0 == UInt8(ascii: " ") }
                line.opensBlock = after.first.map { $0 == UInt8(ascii: "#") } ?? true
            }
            lines.append(line)
        }
        return lines
    }

    /// The index of the colon that ends a plain key at the start of `text`
    /// (`name: value` or `name:`), or nil when the line starts otherwise.
    private static func keyColon(_ text: [UInt8]) -> Int? {
        guard let first = text.first, !"-[{\"'&*!|>%@`?".utf8.contains(first) else { return nil }
        for index in text.indices {
            if text[index] == UInt8(ascii: "#"), index > 0, text[index - 1] == UInt8(ascii: " ") { return nil }
            guard text[index] == UInt8(ascii: ":") else { continue }
            let next = index + 1 < text.endIndex ? text[index + 1] : UInt8(ascii: " ")
            if next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") { return index }
        }
        return nil
    }
}
