import Foundation
import SepconvGen

/// Prints diagnostics to standard error, each with the part of its source
/// line around the column and a caret; at most `maxErrors` errors are
/// printed, then how many more there were.
enum DiagnosticPrinter {
    /// The most errors printed for one run.
    static let maxErrors = 100

    /// Prints `diagnostics` (the first `maxErrors` errors and the notes and
    /// warnings among them), reading from each file only the lines they point at.
    static func print(_ diagnostics: [Diagnostic], showingSource: Bool = true) {
        var shown: [Diagnostic] = []
        var errors = 0
        for diagnostic in diagnostics {
            if diagnostic.severity == .error { errors += 1 }
            if errors <= maxErrors { shown.append(diagnostic) }
        }
        var windows: [String: [Mark: SourceWindow]] = [:]
        if showingSource {
            for (file, marks) in Dictionary(grouping: shown, by: \.file).mapValues({ Set($0.map(\.mark)) }) {
                windows[file] = SourceExcerpts.read(file, marks: marks, limit: Limits.maxSpecBytes)
            }
        }
        var text = ""
        for diagnostic in shown {
            text += diagnostic.rendered(window: windows[diagnostic.file]?[diagnostic.mark]) + "\n"
        }
        if errors > maxErrors {
            text += "sepconv-gen: and \(errors - maxErrors) more errors\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints an error about a file as a whole (no source line: it may not be text), positioned at its start.
    static func error(_ message: String, file: String) {
        print([Diagnostic(.error, message, file: file.isEmpty ? "<empty path>" : file, at: .start)], showingSource: false)
    }
}
