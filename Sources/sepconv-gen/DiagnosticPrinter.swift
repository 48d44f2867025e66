import Foundation
import SepconvGen

/// Prints diagnostics to standard error with the source line and a caret.
enum DiagnosticPrinter {
    /// Prints every diagnostic, reading each file's text once for the caret lines.
    static func print(_ diagnostics: [Diagnostic]) {
        var sources: [String: [Substring]?] = [:]
        var text = ""
        for diagnostic in diagnostics {
            if sources[diagnostic.file] == nil {
                let data = FileManager.default.contents(atPath: diagnostic.file)
                sources[diagnostic.file] = data.flatMap {
                    $0.count <= Limits.maxSpecBytes ? Diagnostic.lines(String(decoding: $0, as: UTF8.self)) : nil
                }
            }
            text += diagnostic.rendered(sourceLines: sources[diagnostic.file] ?? nil) + "\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints an error about a file as a whole, positioned at its start.
    static func error(_ message: String, file: String) {
        print([Diagnostic(.error, message, file: file.isEmpty ? "<empty path>" : file, at: .start)])
    }
}
