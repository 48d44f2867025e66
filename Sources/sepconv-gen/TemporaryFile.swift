import Foundation

/// A temporary file beside an output, named `.NAME.sepconv-tmp.XXXXXX`,
/// created with `mkstemp` (a fresh name, `O_EXCL`: no two writers can share
/// one, whatever their process ids) and held under an exclusive `flock`
/// until it is renamed or removed.
///
/// The lock is what tells a live writer's temporary from one a killed run
/// left: the kernel drops it when its process dies, so any later run that
/// finds a temporary of its own output unlocked removes it (`sweepStale`).
///
/// A class because it owns a file descriptor (closed when released).
final class TemporaryFile {
    /// The temporary's path.
    let path: String
    private let descriptor: Int32
    private var renamed = false

    /// The name prefix shared by every temporary of `target`; long names are
    /// cut so the temporary's own name stays within the system's limit.
    static func prefix(of target: String) -> String {
        let name = (target as NSString).lastPathComponent
        return "." + String(decoding: name.utf8.prefix(200), as: UTF8.self) + ".sepconv-tmp."
    }

    /// Creates and locks a temporary beside `target`, with permissions `mode`.
    init(besides target: String, mode: mode_t) throws(WriteError) {
        let folder = (target as NSString).deletingLastPathComponent
        let template = (folder.isEmpty ? "" : folder + "/") + Self.prefix(of: target) + "XXXXXX"
        while true {
            var bytes = Array(template.utf8CString)
            let descriptor = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return -1 }
                return mkstemp(base)
            }
            guard descriptor >= 0 else {
                throw WriteError(path: target, message: "cannot create a temporary file beside it: \(String(cString: strerror(errno)))")
            }
            let path = String(decoding: bytes.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // Locked before use; a sweeper that unlinked it in the instant
            // before the lock leaves a name that is no longer this file: start again.
            flock(descriptor, LOCK_EX)
            var mine = stat(), named = stat()
            if fstat(descriptor, &mine) == 0, stat(path, &named) == 0, mine.st_ino == named.st_ino, mine.st_dev == named.st_dev {
                fchmod(descriptor, mode)
                self.path = path
                self.descriptor = descriptor
                return
            }
            close(descriptor)
        }
    }

    deinit {
        if !renamed { unlink(path) }
        close(descriptor)
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8], for target: String) throws(WriteError) {
        try Self.writeAll(bytes, to: descriptor, for: target)
    }

    /// Renames the temporary over `target` (atomic: a reader sees the old file or the new one).
    func rename(to target: String) throws(WriteError) {
        guard systemRename(path, target) == 0 else {
            throw WriteError(path: target, message: "cannot write: \(String(cString: strerror(errno)))")
        }
        renamed = true
    }

    /// Writes all of `bytes` to `descriptor`, retrying short writes.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, for target: String) throws(WriteError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return systemWrite(descriptor, base + written, bytes.count - written)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw WriteError(path: target, message: "cannot write: \(String(cString: strerror(count < 0 ? errno : EIO)))")
            }
            written += count
        }
    }

    /// Removes the temporaries of `target` that no live process holds (left by a killed run).
    static func sweepStale(of target: String) {
        let folder = (target as NSString).deletingLastPathComponent
        let prefix = prefix(of: target)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder) else { return }
        for name in names where name.hasPrefix(prefix) && name.utf8.count == prefix.utf8.count + 6 {
            let path = (folder.isEmpty ? "" : folder + "/") + name
            let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            var held = stat(), named = stat()
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0, fstat(descriptor, &held) == 0, held.st_mode & S_IFMT == S_IFREG,
                  lstat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev else { continue }
            unlink(path)
        }
    }
}

/// `rename(2)` and `write(2)`, named apart from `TemporaryFile`'s own methods.
private func systemRename(_ from: String, _ to: String) -> Int32 {
    rename(from, to)
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
