import Foundation

/// Canonical paths for the rule that weight files stay inside the spec's
/// folder (or `--weights-root`): links are followed and `..` resolved first.
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
}
