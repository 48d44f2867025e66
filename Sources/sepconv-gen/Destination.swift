import Foundation
import SepconvGen

/// Why an output could not be written: the path and what went wrong.
struct WriteError: Error {
    var path: String
    var message: String
}

/// Where one output file goes, decided before anything is written.
///
/// Only a regular file (or nothing yet) is ever replaced, through a temporary
/// file and a rename; a link to a regular file replaces its target and keeps
/// the link. A character device, a FIFO and the standard streams
/// (`/dev/stdout`, `/dev/fd/N`) are written through, not replaced. Folders,
/// block devices, sockets and links to nothing are refused.
enum Destination: Hashable {
    /// Replace (or create) the regular file `target`, a link's target when the path was a link.
    case replace(target: String)
    /// Write into the open descriptor `descriptor` (a standard stream).
    case stream(descriptor: Int32)
    /// Open `path` (a character device or FIFO) and write through it.
    case special(path: String)

    /// The longest path the system takes, and the longest name in it.
    static let maxPathBytes = Int(PATH_MAX) - 1
    static let maxNameBytes = Int(NAME_MAX)

    /// Classifies `path` and lists the folders that must be created for it
    /// (outermost first); throws when it cannot be written.
    static func check(_ path: String) throws(WriteError) -> (destination: Destination, missingFolders: [String]) {
        try checkSpelling(path)
        if let descriptor = streamDescriptor(path) { return (.stream(descriptor: descriptor), []) }
        let folder = (path as NSString).deletingLastPathComponent
        let missing: [String]
        do {
            missing = try missingFolders(folder.isEmpty ? "." : folder, for: path)
        } catch {
            throw WriteError(path: path, message: "cannot write: \(error.message)")
        }
        guard missing.isEmpty else { return (.replace(target: path), missing) }
        var status = stat()
        guard lstat(path, &status) == 0 else {
            guard errno == ENOENT else { throw WriteError(path: path, message: "cannot write: \(String(cString: strerror(errno)))") }
            return (.replace(target: path), [])
        }
        if status.st_mode & S_IFMT == S_IFLNK {
            guard let target = realpath(path, nil) else {
                throw WriteError(path: path, message: "cannot write: the link leads to nothing (a missing file or a loop of links)")
            }
            defer { free(target) }
            let resolved = String(cString: target)
            guard stat(resolved, &status) == 0 else { throw WriteError(path: path, message: "cannot write: \(String(cString: strerror(errno)))") }
            return (try kind(status.st_mode, path: path, regular: .replace(target: resolved)), [])
        }
        return (try kind(status.st_mode, path: path, regular: .replace(target: path)), [])
    }

    /// Refuses a path the system cannot take: empty, a NUL byte, too long.
    static func checkSpelling(_ path: String) throws(WriteError) {
        guard !path.isEmpty else { throw WriteError(path: "<empty path>", message: "the path is empty") }
        guard !path.utf8.contains(0) else { throw WriteError(path: Identifier.printable(path), message: "the path holds a NUL byte") }
        guard path.utf8.count <= maxPathBytes else {
            throw WriteError(path: String(path.prefix(60)) + "...", message: "the path is \(path.utf8.count) bytes long; the system takes at most \(maxPathBytes)")
        }
        if let long = path.split(separator: "/").first(where: { $0.utf8.count > maxNameBytes }) {
            throw WriteError(path: path, message: "the name '\(long.prefix(40))...' is \(long.utf8.count) bytes long; the system takes at most \(maxNameBytes)")
        }
    }

    /// Checks that every existing ancestor of `folder` (and `folder` itself) is
    /// a folder; returns the ones missing, outermost first.
    static func missingFolders(_ folder: String, for path: String) throws(WriteError) -> [String] {
        var prefix = folder.hasPrefix("/") ? "/" : ""
        var missing: [String] = []
        for component in folder.split(separator: "/") {
            prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix + component : prefix + "/" + component
            guard missing.isEmpty else {
                missing.append(prefix)
                continue
            }
            var status = stat()
            if stat(prefix, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else {
                    throw WriteError(path: path, message: "'\(Identifier.printable(prefix))' is a file, not a folder")
                }
            } else if errno == ENOENT {
                missing.append(prefix)
            } else {
                throw WriteError(path: path, message: "'\(Identifier.printable(prefix))': \(String(cString: strerror(errno)))")
            }
        }
        return missing
    }

    /// What to do with an existing file of `mode`.
    private static func kind(_ mode: mode_t, path: String, regular: Destination) throws(WriteError) -> Destination {
        switch mode & S_IFMT {
        case S_IFREG: return regular
        case S_IFCHR, S_IFIFO: return .special(path: path)
        default:
            let kind = BoundedFile.kindIfNotRegular(mode) ?? "a special file"
            throw WriteError(path: path, message: "cannot write: this is \(kind); outputs go to regular files, character devices or FIFOs")
        }
    }

    /// The descriptor `path` names when it is a standard stream (`/dev/stdout`,
    /// `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`), which is written as it is open.
    private static func streamDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                return Int32(path.dropFirst(prefix.count))
            }
            return nil
        }
    }
}
