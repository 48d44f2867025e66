/// Prints source lines with scoped indentation.
struct CodePrinter {
    private(set) var lines: [String] = []
    private var depth = 0
    /// The text of one indentation level.
    let indentUnit: String

    init(indentUnit: String = "    ", depth: Int = 0) {
        self.indentUnit = indentUnit
        self.depth = depth
    }

    /// Prints one line at the current indentation (an empty line stays empty).
    mutating func line(_ text: String = "") {
        lines.append(text.isEmpty ? "" : String(repeating: indentUnit, count: depth) + text)
    }

    /// Prints a line at the left margin whatever the indentation: a C
    /// preprocessor directive or a Swift `#if` inside a body.
    mutating func directive(_ text: String) {
        lines.append(text)
    }

    /// Prints `lines` each at the current indentation.
    mutating func lines(_ texts: [String]) {
        for text in texts { line(text) }
    }

    /// Prints `opening`, the body one level deeper, then `closing`.
    mutating func block(_ opening: String, closing: String = "}", _ body: (inout CodePrinter) -> Void) {
        line(opening)
        depth += 1
        body(&self)
        depth -= 1
        line(closing)
    }

    /// Prints a C function: `signature` on its own line, then the braced body.
    mutating func function(_ signature: String, _ body: (inout CodePrinter) -> Void) {
        line(signature)
        block("{", body)
    }

    /// The printed text, each line ending in a newline.
    var text: String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
