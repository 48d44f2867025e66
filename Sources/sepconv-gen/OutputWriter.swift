import Foundation
import SepconvGen

/// Writes one run's outputs all or nothing.
///
/// Every destination is checked before anything is written (see
/// `Destination`); then the folders that are missing are made, every file
/// whose bytes change is written to its own temporary beside it, and only
/// when all of them are complete are they renamed into place, each rename
/// atomic. When anything fails before the renames, the temporaries and the
/// folders this run made are removed and no output has changed. Outputs
/// through a character device, a FIFO or a standard stream are written
/// (not atomically: they cannot be renamed) after the temporaries and before the renames.
struct OutputWriter {
    /// One file to write.
    struct Output {
        var path: String
        var bytes: [UInt8]
    }

    /// Writes `outputs` (each path at most once).
    static func write(_ outputs: [Output]) throws(WriteError) {
        var checked: [(output: Output, destination: Destination)] = []
        var folders: [String] = []
        var targets: Set<Destination> = []
        for output in outputs {
            let (destination, missing) = try Destination.check(output.path)
            guard targets.insert(destination).inserted else {
                throw WriteError(path: output.path, message: "two outputs of this run would write the same file")
            }
            checked.append((output, destination))
            folders += missing.filter { !folders.contains($0) }
        }
        var made: [String] = []
        var temporaries: [(TemporaryFile, target: String)] = []
        do throws(WriteError) {
            for folder in folders {
                if mkdir(folder, 0o777) == 0 {
                    made.append(folder)
                } else if errno != EEXIST || !isFolder(folder) {
                    throw WriteError(path: folder, message: "cannot create the folder: \(String(cString: strerror(errno)))")
                }
            }
            for (output, destination) in checked {
                guard case .replace(let target) = destination else { continue }
                TemporaryFile.sweepStale(of: target)
                guard !unchanged(target, output.bytes) else { continue }
                let temporary = try TemporaryFile(besides: target, mode: mode(for: target))
                try temporary.write(output.bytes, for: output.path)
                temporaries.append((temporary, target))
            }
            for (output, destination) in checked {
                switch destination {
                case .replace: continue
                case .stream(let descriptor): try TemporaryFile.writeAll(output.bytes, to: descriptor, for: output.path)
                case .special(let path): try writeThrough(output.bytes, to: path)
                }
            }
        } catch {
            temporaries.removeAll()
            for folder in made.reversed() { rmdir(folder) }
            throw error
        }
        for (temporary, target) in temporaries {
            try temporary.rename(to: target)
        }
    }

    /// The outputs of `outputs` that are missing or whose bytes differ on disk.
    static func stale(_ outputs: [Output]) -> [Output] {
        outputs.filter { !unchanged($0.path, $0.bytes) }
    }

    /// Whether the regular file `path` already holds exactly `bytes`.
    private static func unchanged(_ path: String, _ bytes: [UInt8]) -> Bool {
        (try? BoundedFile.contents(of: path, limit: bytes.count, noun: "outputs")) == bytes
    }

    private static func isFolder(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }

    /// The permissions a replacement of `target` gets: the old file's, or the
    /// usual `0666` less the umask for a new one.
    private static func mode(for target: String) -> mode_t {
        var status = stat()
        if stat(target, &status) == 0 { return status.st_mode & 0o7777 }
        let mask = umask(0)
        umask(mask)
        return 0o666 & ~mask
    }

    /// Writes `bytes` through the character device or FIFO at `path`
    /// (a FIFO that no process reads is an error, not a hang).
    private static func writeThrough(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let descriptor = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = errno == ENXIO ? "no process is reading this FIFO" : String(cString: strerror(errno))
            throw WriteError(path: path, message: "cannot write: \(reason)")
        }
        defer { close(descriptor) }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        try TemporaryFile.writeAll(bytes, to: descriptor, for: path)
    }
}
