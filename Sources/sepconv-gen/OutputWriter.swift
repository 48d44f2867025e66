import Foundation
import SepconvGen

/// Writes output files: only those whose bytes change, each atomically
/// (a temporary file in the same folder, then a rename).
struct OutputWriter {
    /// Why a file could not be written.
    struct WriteError: Error {
        var path: String
        var message: String
    }

    /// The output folder.
    let folder: String

    /// The path of output `name`.
    func path(of name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }

    /// The files of `files` that are missing or differ on disk.
    func staleFiles(_ files: [OutputFile]) -> [OutputFile] {
        files.filter { FileManager.default.contents(atPath: path(of: $0.name)) != Data($0.contents.utf8) }
    }

    /// Creates the folder if needed and writes every file that changed.
    func write(_ files: [OutputFile]) throws(WriteError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: folder, message: "cannot create the output folder: \(Self.reason(error))")
        }
        for file in staleFiles(files) {
            try Self.writeAtomically(file.contents, to: path(of: file.name))
        }
    }

    /// Writes `text` to `path` through a temporary file and a rename.
    static func writeAtomically(_ text: String, to path: String) throws(WriteError) {
        try writeAtomically(bytes: Array(text.utf8), to: path)
    }

    /// Writes `bytes` to `path` through a temporary file and a rename.
    static func writeAtomically(bytes: [UInt8], to path: String) throws(WriteError) {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: path, message: "cannot create its folder: \(reason(error))")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw WriteError(path: path, message: "cannot write: \(reason)")
            }
        } catch let error as WriteError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw WriteError(path: path, message: "cannot write: \(reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}

/// A Make rule: the outputs depend on the spec and weight files.
struct DepfileRule {
    var targets: [String]
    var dependencies: [String]

    /// `out/a.h out/a.c: spec.yaml w.npy`, with spaces and specials escaped as Make reads them.
    var text: String {
        var seen = Set<String>()
        let unique = dependencies.filter { seen.insert($0).inserted }
        return targets.map(Self.escape).joined(separator: " ") + ": " + unique.map(Self.escape).joined(separator: " ") + "\n"
            + unique.map { Self.escape($0) + ":\n" }.joined()
    }

    private static func escape(_ path: String) -> String {
        var result = ""
        for character in path {
            switch character {
            case " ", "#", "\\": result += "\\" + String(character)
            case "$": result += "$$"
            default: result.append(character)
            }
        }
        return result
    }
}
