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

    /// Writes `outputs` (each path at most once), none of which may be one of `inputs`
    /// (the run's spec, weight, model and input files).
    static func write(_ outputs: [Output], inputs: [String]) throws(WriteError) {
        var checked: [(output: Output, destination: Destination)] = []
        var folders: [String] = []
        var targets: Set<Destination> = []
        let read = Set(inputs.compactMap(FileIdentity.init))
        for output in outputs {
            let (destination, missing) = try Destination.check(output.path)
            guard targets.insert(destination).inserted else {
                throw WriteError(path: output.path, message: "two outputs of this run would write the same file")
            }
            if let identity = FileIdentity(output.path), read.contains(identity) {
                throw WriteError(path: output.path, message: "this is one of the run's own inputs (a spec, weight, model or input file); it is not overwritten")
            }
            checked.append((output, destination))
            folders += missing.filter { !folders.contains($0) }
        }
        // A folder this run must make cannot also be one of its files (`--depfile out` with
        // `-o out`, or `--depfile out/N.h/d.d`): found now, before anything is written.
        let newFolders = Set(folders.map(Self.absolute))
        for (output, destination) in checked {
            if case .replace(let target) = destination, newFolders.contains(Self.absolute(target)) {
                throw WriteError(path: output.path, message: "this output is also a folder other outputs of this run go into")
            }
        }
        try Self.reserveDescriptors(for: checked.count)
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
        // Interrupts wait until every rename is done, so a run stopped by SIGINT or SIGTERM leaves
        // the old set of outputs or the new one, never a mix (a pending signal then ends the run).
        var interrupts = sigset_t(), previous = sigset_t()
        sigemptyset(&interrupts)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&interrupts, signal) }
        pthread_sigmask(SIG_BLOCK, &interrupts, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        for (temporary, target) in temporaries {
            try temporary.rename(to: target)
        }
    }

    /// `path` made absolute and without `.`, `..` or repeated slashes (links are not followed:
    /// the folders compared do not exist yet).
    private static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Every temporary stays open (and locked) until all are renamed, so a run needs a
    /// descriptor per output: the soft limit is raised to the hard one, and a run that
    /// still needs more is refused before anything is written.
    private static func reserveDescriptors(for count: Int) throws(WriteError) {
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return }
        // The descriptors the tool itself holds (standard streams, libraries) and those it opens to compare outputs.
        let needed = rlim_t(count + 64)
        if limit.rlim_cur < needed, limit.rlim_cur < limit.rlim_max {
            var raised = limit
            #if canImport(Darwin)
            raised.rlim_cur = min(limit.rlim_max, rlim_t(OPEN_MAX))
            #else
            raised.rlim_cur = limit.rlim_max
            #endif
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur >= needed else {
            throw WriteError(path: "sepconv-gen", message: "this run writes \(count) files, each held open until all are complete; the open-file limit (ulimit -n) is \(limit.rlim_cur): raise it or split the run")
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

/// A file's device and inode: two paths name the same file when these agree
/// (through links, `..` or hard links alike).
private struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    /// The identity of the existing file `path` (links followed), or nil when there is none.
    init?(_ path: String) {
        var status = stat()
        guard !path.isEmpty, stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
