import Foundation

/// Canonical paths for the rule that weight and model files stay inside the
/// spec's folder (or `--weights-root`): links are followed and `..` resolved first.
enum PathRule {
    /// The absolute path with every link and `.`/`..` resolved, or nil when it does not exist.
    static func canonical(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether canonical `path` is `folder` itself or lies below it.
    static func contains(_ folder: String, _ path: String) -> Bool {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix)
    }

    /// A file a spec names, located under the rule.
    struct Located {
        /// The canonical path.
        var resolved: String
        /// The path as usable from the working directory, in the spec's own style (for `--depfile`).
        var joined: String
    }

    /// Locates `path`, written in the spec `specFile`, under the rule of SPEC.md §1.
    /// - Returns: the file, or why it may not be read ("cannot read 'x': no such file").
    static func locate(_ path: String, specFile: String, weightsRoot: String?) -> Result<Located, PathError> {
        // Relative to the spec as the user named it, so a depfile keeps the user's own style of path.
        let named = (specFile as NSString).deletingLastPathComponent
        let specFolder = named.isEmpty ? "." : named
        let joined = path.hasPrefix("/") ? path : named.isEmpty ? path : (named as NSString).appendingPathComponent(path)
        guard let resolved = canonical(joined) else {
            return .failure(PathError("cannot read '\(Identifier.printable(path))': no such file"))
        }
        let insideSpecFolder = !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
            && canonical(specFolder).map { contains($0, resolved) } == true
        let insideRoot = weightsRoot.flatMap(canonical).map { contains($0, resolved) } == true
        guard insideSpecFolder || insideRoot else {
            let reason = path.hasPrefix("/") ? "is absolute" : path.split(separator: "/").contains("..") ? "uses '..'" : "leads (through a link) out of the spec's folder"
            return .failure(PathError("the path '\(Identifier.printable(path))' \(reason); weight files must stay in the spec's folder unless --weights-root names a folder that contains them"))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return .failure(PathError("'\(Identifier.printable(path))' is not a file"))
        }
        return .success(Located(resolved: resolved, joined: joined))
    }

    /// The bytes of a located file, refused over `limit` bytes before it is read.
    static func read(_ file: Located, as written: String, limit: Int, kind: String) -> Result<[UInt8], PathError> {
        do {
            return .success(try BoundedFile.contents(of: file.resolved, limit: limit, noun: "\(kind) files"))
        } catch {
            return .failure(PathError("'\(Identifier.printable(written))': \(error.message)"))
        }
    }

    /// Why a file may not be read.
    struct PathError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
