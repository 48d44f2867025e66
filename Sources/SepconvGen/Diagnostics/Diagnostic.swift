/// One message about an input file, positioned at a YAML node.
public struct Diagnostic: Hashable, Sendable, Error {
    /// How serious the message is.
    public enum Severity: String, Hashable, Sendable {
        case error, warning, note
    }

    /// How serious the message is.
    public var severity: Severity
    /// The message, one line, no trailing period needed.
    public var message: String
    /// The file the message is about, as the user named it.
    public var file: String
    /// Where in `file`.
    public var mark: Mark

    /// Creates a diagnostic.
    public init(_ severity: Severity, _ message: String, file: String, at mark: Mark) {
        self.severity = severity
        self.message = message
        self.file = file
        self.mark = mark
    }

    /// `FILE:LINE:COLUMN: SEVERITY: MESSAGE`, the form compilers and editors read.
    public var headline: String {
        "\(file):\(mark.line):\(mark.column): \(severity.rawValue): \(message)"
    }

    /// The headline, then the offending source line with a caret under the
    /// column when `source` holds that line.
    public func rendered(source: String?) -> String {
        rendered(sourceLines: source.map(Self.lines))
    }

    /// As `rendered(source:)`, from the source already split with `lines(_:)`
    /// (split a file once when it has many diagnostics).
    public func rendered(sourceLines: [Substring]?) -> String {
        guard let sourceLines, mark.line >= 1, mark.line <= sourceLines.count else { return headline }
        let line = Array(sourceLines[mark.line - 1].unicodeScalars)
        return rendered(window: SourceWindow(line, firstColumn: 1, reachesLineEnd: true, column: mark.column))
    }

    /// The headline, then `window` (the offending line, or the part of it
    /// around the column) with a caret under the column.
    public func rendered(window: SourceWindow?) -> String {
        guard let window else { return headline }
        return headline + "\n    " + window.text + "\n    " + String(repeating: " ", count: window.caretOffset) + "^"
    }

    /// `source` split into lines, without their line breaks.
    public static func lines(_ source: String) -> [Substring] {
        source.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }
}
