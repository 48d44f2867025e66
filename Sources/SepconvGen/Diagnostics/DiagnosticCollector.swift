/// Collects every diagnostic a stage finds, so that all errors are reported
/// at once rather than only the first.
public struct DiagnosticCollector: Sendable {
    /// The file the diagnostics are about.
    public let file: String
    /// Every diagnostic so far, in the order found.
    public private(set) var diagnostics: [Diagnostic] = []

    /// Creates an empty collector for `file`.
    public init(file: String) {
        self.file = file
    }

    /// Whether any error has been recorded.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Records an error at `mark`.
    public mutating func error(_ message: String, at mark: Mark) {
        diagnostics.append(Diagnostic(.error, message, file: file, at: mark))
    }

    /// Records a warning at `mark`.
    public mutating func warning(_ message: String, at mark: Mark) {
        diagnostics.append(Diagnostic(.warning, message, file: file, at: mark))
    }

    /// Records a note at `mark`.
    public mutating func note(_ message: String, at mark: Mark) {
        diagnostics.append(Diagnostic(.note, message, file: file, at: mark))
    }

    /// Records diagnostics found elsewhere.
    public mutating func append(contentsOf other: [Diagnostic]) {
        diagnostics.append(contentsOf: other)
    }
}

/// The failure of a stage: every diagnostic it collected, errors among them.
public struct DiagnosticError: Error, Sendable {
    /// Every diagnostic, in the order found.
    public var diagnostics: [Diagnostic]

    /// Creates the failure from the diagnostics found.
    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }
}
