import Foundation

/// A regular file opened for reading with its size checked first, so that no
/// read takes more than a limit: a FIFO, a device or a folder is refused
/// before anything is read, and a file that grows while read is cut at the limit.
///
/// A class because it owns a file descriptor (closed when released).
public final class BoundedFile {
    /// Why a file cannot be read, in words ("no such file", "this is a FIFO, not a regular file").
    public struct Failure: Error, Hashable, Sendable {
        /// What is wrong, without the path.
        public var message: String
    }

    private let descriptor: Int32
    /// The size the file had when opened, at most the limit.
    public let size: Int
    private let limit: Int

    /// Opens `path` for reading when it is a regular file of at most `limit`
    /// bytes; `noun` names such files in the refusal ("specs over N bytes are refused").
    public init(_ path: String, limit: Int, noun: String) throws(Failure) {
        guard !path.isEmpty else { throw Failure(message: "the path is empty") }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            throw Failure(message: errno == ENOENT ? "no such file" : "cannot open it: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(message: "cannot read it: \(reason)")
        }
        if let kind = Self.kindIfNotRegular(status.st_mode) {
            close(descriptor)
            throw Failure(message: kind == "a folder" ? "this is a folder, not a file" : "this is \(kind), not a regular file")
        }
        guard Int(status.st_size) <= limit else {
            close(descriptor)
            throw Failure(message: "it is \(status.st_size) bytes; \(noun) over \(limit) bytes are refused")
        }
        self.descriptor = descriptor
        self.size = Int(status.st_size)
        self.limit = limit
    }

    deinit {
        close(descriptor)
    }

    /// What kind of file `mode` describes when it is not a regular file ("a FIFO"), else nil.
    public static func kindIfNotRegular(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    /// Reads up to `count` bytes from the current offset (fewer only at the end of the file).
    public func read(count: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return systemRead(descriptor, base + filled, count - filled)
            }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw Failure(message: "cannot read it: \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            filled += got
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    /// Reads the whole file; refuses it when it has grown past the limit since it was opened.
    public func readAll(noun: String) throws(Failure) -> [UInt8] {
        var bytes = try read(count: size)
        while true {
            let more = try read(count: 1 << 16)
            guard !more.isEmpty else { return bytes }
            bytes += more
            guard bytes.count <= limit else { throw Failure(message: "it grew past \(limit) bytes while read; \(noun) over that are refused") }
        }
    }

    /// The bytes of the regular file `path`, refused past `limit` bytes without reading it.
    public static func contents(of path: String, limit: Int, noun: String) throws(Failure) -> [UInt8] {
        try BoundedFile(path, limit: limit, noun: noun).readAll(noun: noun)
    }
}

/// `read(2)`, named apart from `BoundedFile.read(count:)`.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
