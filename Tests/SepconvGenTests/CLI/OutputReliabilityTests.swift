import Foundation
import Testing
@testable import SepconvGen

/// What the binary promises about the files it writes (README "Output files"):
/// only regular files are replaced, atomically, all of a run's outputs or
/// none, temporaries that never collide and never stay (issue 13, points 1, 4, 7, 8, 10).
@Suite struct OutputReliabilityTests {
    static let isRoot = geteuid() == 0

    /// The file type bits of `path` (not following a link), or nil.
    static func type(_ path: String) -> mode_t? {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
    }

    /// `run` of the tiny spec with `--output output`.
    static func runTiny(_ scratch: ScratchFolder, output: String) throws -> CLIResult {
        let spec = try CLITests.tinySpec(in: scratch)
        let input = try scratch.write("x.npy", NPY.write(Tensor(shape: [1, 8, 2], repeating: 0.5), as: .float32))
        return try CLIRunner.run(["run", spec, "--input", input, "--output", output], timeout: 10)
    }

    // MARK: - 1. Special files are written through, never replaced

    @Test(.enabled(if: isRoot, "mknod needs root (CI runs as root)"))
    func aCharacterDeviceStaysADevice() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let node = scratch.path("null")
        let made = try CLIRunner.runProcess("/usr/bin/mknod", [node, "c", "1", "3"])
        try #require(made.status == 0, "mknod: \(made.stderr)")
        let result = try Self.runTiny(scratch, output: node)
        #expect(result.status == 0, "\(result)")
        #expect(Self.type(node) == S_IFCHR, "run --output replaced the device node")
        let spec = scratch.path("spec.yaml")
        let generated = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", node])
        #expect(generated.status == 0, "\(generated)")
        #expect(Self.type(node) == S_IFCHR, "--depfile replaced the device node")
        #expect(scratch.contents(of: "").allSatisfy { !$0.contains("tmp") }, "\(scratch.contents(of: ""))")
    }

    @Test func aFIFOIsWrittenThroughToItsReader() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let fifo = scratch.path("pipe")
        try #require(mkfifo(fifo, 0o644) == 0)
        let received = LockedBytes()
        let reader = Thread {
            let descriptor = open(fifo, O_RDONLY)
            guard descriptor >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                guard count > 0 else { break }
                received.append(buffer[0..<count])
            }
            close(descriptor)
            received.finish()
        }
        reader.start()
        let result = try Self.runTiny(scratch, output: fifo)
        #expect(result.status == 0, "\(result)")
        #expect(received.wait(seconds: 10), "the reader got no end of file")
        #expect(Self.type(fifo) == S_IFIFO, "the FIFO was replaced")
        let output = try NPY.read(received.bytes)
        #expect(output.tensor.shape == [1, 8, 3], "the FIFO's reader got the whole .npy")
    }

    @Test func aFIFOWithoutAReaderIsAnErrorNotAHang() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let fifo = scratch.path("pipe")
        try #require(mkfifo(fifo, 0o644) == 0)
        let result = try Self.runTiny(scratch, output: fifo)
        #expect(result.status == 1 && !result.timedOut, "\(result)")
        #expect(result.errors.first?.message.contains("no process is reading") == true, "\(result)")
        #expect(Self.type(fifo) == S_IFIFO)
    }

    @Test func devStdoutIsTheStandardOutput() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let result = try Self.runTiny(scratch, output: "/dev/stdout")
        #expect(result.status == 0, "\(result)")
        #expect(Self.type("/dev/stdout") == S_IFLNK, "/dev/stdout is still a link")
        #expect(result.stdout.contains("NUMPY") && result.stdout.contains("'shape': (1, 8, 3)"), "the .npy went to standard output: \(result)")
    }

    @Test func aLinkToAFileReplacesTheTargetAndKeepsTheLink() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        try scratch.write("real/y.npy", "old")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.npy"), withDestinationPath: "real/y.npy")
        let result = try Self.runTiny(scratch, output: scratch.path("link.npy"))
        #expect(result.status == 0, "\(result)")
        #expect(Self.type(scratch.path("link.npy")) == S_IFLNK, "the link was replaced")
        let written = try NPY.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: scratch.path("real/y.npy")))))
        #expect(written.tensor.shape == [1, 8, 3])
        #expect(scratch.contents(of: "real") == ["y.npy"], "no temporary left beside the target")
    }

    @Test(arguments: ["dangling", "folder", "socket"])
    func unwritableDestinationsAreRefused(_ kind: String) throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let path = scratch.path("dest")
        switch kind {
        case "dangling": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "nowhere/x")
        case "folder": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        default:
            let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            defer { close(socket) }
            try #require(bound == 0, "bind: \(String(cString: strerror(errno)))")
        }
        let before = Self.type(path)
        let result = try Self.runTiny(scratch, output: path)
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.file == path, "\(result)")
        #expect(Self.type(path) == before, "the \(kind) was replaced")
    }

    // MARK: - 4. All or nothing

    @Test func aFolderInPlaceOfOneOutputLeavesNoOtherOutput() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        try FileManager.default.createDirectory(atPath: scratch.path("o/tiny.c"), withIntermediateDirectories: true)
        let result = try CLIRunner.run([spec, "-o", scratch.path("o")])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.first?.file == scratch.path("o/tiny.c"), "\(result)")
        #expect(scratch.contents(of: "o") == ["tiny.c"], "tiny.h or tiny.swift was written: \(scratch.contents(of: "o"))")
    }

    @Test(arguments: ["", "plain-file/tiny.d", "DIR", "out/tiny.c"])
    func aBadDepfileIsFoundBeforeAnyOutputIsWritten(_ depfile: String) throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        try scratch.write("plain-file", "a file, not a folder\n")
        try FileManager.default.createDirectory(atPath: scratch.path("DIR"), withIntermediateDirectories: true)
        let path = depfile.isEmpty ? "" : scratch.path(depfile)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", path])
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(!result.errorLines.isEmpty, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")), "outputs were written: \(scratch.contents(of: "out"))")
    }

    @Test func aTooLongOutputPathMakesNoFolders() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        let before = scratch.contents(of: "")
        let long = String(repeating: "d/", count: 2_050)   // 4,100 characters
        let result = try CLIRunner.run([spec, "-o", long], in: scratch.url)
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("4100 bytes long") == true, "\(result)")
        #expect(scratch.contents(of: "") == before, "folders were made: \(scratch.contents(of: ""))")
    }

    /// A full disk (a 64 KiB tmpfs) part way through: nothing of the run stays,
    /// not the files written before the one that failed, nor the folders it made.
    @Test(.enabled(if: isRoot, "mounting a tmpfs needs root (CI runs as root)"))
    func aFullDiskLeavesNothing() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let mountPoint = scratch.path("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try CLIRunner.runProcess("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint])
        guard mounted.status == 0 else {
            print("aFullDiskLeavesNothing: skipped, cannot mount a tmpfs here: \(mounted.stderr)")
            return
        }
        defer { _ = try? CLIRunner.runProcess("/usr/bin/umount", [mountPoint]) }
        // audio_cf's .h, .c and .swift are 1 KB, 40 KB and 41 KB: the .swift does not fit.
        let spec = Fixtures.repository.appendingPathComponent("Specs/audio_cf.yaml").path
        let result = try CLIRunner.run([spec, "-o", mountPoint + "/new/gen", "--depfile", mountPoint + "/deps/a.d"])
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("No space left") == true, "\(result)")
        #expect(scratch.contents(of: "small") == [], "the failed run left \(scratch.contents(of: "small"))")
    }

    // MARK: - 7. Writers in separate PID namespaces

    /// Eight runs at a time, each in its own PID namespace (so each is pid 1),
    /// into one folder, alternating two versions of the spec: every run
    /// succeeds, and a reader polling the files only ever sees a whole version.
    @Test func writersInSeparatePIDNamespacesNeverCollide() throws {
        let executable = try CLIRunner.requireExecutable()
        let unshare = "/usr/bin/unshare"
        guard Self.isRoot, FileManager.default.isExecutableFile(atPath: unshare),
              (try? CLIRunner.runProcess(unshare, ["--pid", "--fork", "true"]).status) == 0 else {
            print("writersInSeparatePIDNamespacesNeverCollide: skipped, unshare --pid is not available here")
            return
        }
        let scratch = try ScratchFolder(prefix: "reliability")
        let relu = try CLITests.tinySpec(in: scratch, folder: "relu", activation: "relu")
        let tanh = try CLITests.tinySpec(in: scratch, folder: "tanh", activation: "tanh")
        let out = scratch.path("out")
        var found: [String: Set<Data>] = [:]
        for spec in [relu, tanh] {
            let once = try ScratchFolder(prefix: "reliability-once")
            #expect(try CLIRunner.run([spec, "-o", once.path("gen")]).status == 0)
            for name in ["tiny.h", "tiny.c", "tiny.swift"] {
                found[name, default: []].insert(try Data(contentsOf: URL(fileURLWithPath: once.path("gen/" + name))))
            }
        }
        let versions = found
        let seen = LockedBytes()
        let stop = LockedBytes()
        let reader = Thread {
            while !stop.isFinished {
                for name in ["tiny.h", "tiny.c", "tiny.swift"] {
                    guard let data = FileManager.default.contents(atPath: out + "/" + name) else { continue }
                    if versions[name]?.contains(data) != true { seen.append([UInt8](name.utf8) + [0x0A]) }
                }
            }
            seen.finish()
        }
        reader.start()
        var failures: [String] = []
        for round in 0..<5 {
            let processes = try (0..<8).map { index -> (Process, Pipe) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: unshare)
                process.arguments = ["--pid", "--fork", executable.path, (index + round) % 2 == 0 ? relu : tanh, "-o", out]
                let pipe = Pipe()
                process.standardError = pipe
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                return (process, pipe)
            }
            for (process, pipe) in processes {
                let stderr = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                if process.terminationStatus != 0 { failures.append(stderr) }
            }
        }
        stop.finish()
        #expect(seen.wait(seconds: 10))
        #expect(failures.isEmpty, "\(failures.count) of 40 runs failed: \(failures.prefix(3))")
        #expect(seen.bytes.isEmpty, "a reader saw a partial or empty file: \(String(decoding: seen.bytes.prefix(200), as: UTF8.self))")
        #expect(scratch.contents(of: "out") == ["tiny.c", "tiny.h", "tiny.swift"], "temporaries were left: \(scratch.contents(of: "out"))")
    }

    // MARK: - 10. Temporaries a killed run left

    @Test func aLaterRunRemovesTheTemporariesAKilledRunLeft() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        try scratch.write("out/.tiny.c.sepconv-tmp.Ab3xYz", "half a file")
        try scratch.write("out/.tiny.swift.sepconv-tmp.QQQQQQ", "half a file")
        // One a live writer holds (locked) stays, as does a file that only looks alike.
        let live = try scratch.write("out/.tiny.h.sepconv-tmp.LiVe00", "being written")
        try scratch.write("out/.tiny.c.sepconv-tmp.toolong1", "not ours")
        let descriptor = open(live, O_RDONLY)
        #expect(flock(descriptor, LOCK_EX) == 0)
        defer { close(descriptor) }
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        #expect(scratch.contents(of: "out") == [".tiny.c.sepconv-tmp.toolong1", ".tiny.h.sepconv-tmp.LiVe00", "tiny.c", "tiny.h", "tiny.swift"],
                "\(scratch.contents(of: "out"))")
    }

    @Test func killedRunsLeaveNothingALaterRunKeeps() throws {
        let executable = try CLIRunner.requireExecutable()
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = Fixtures.repository.appendingPathComponent("Specs/audio_cf.yaml").path
        for round in 0..<12 {
            try? FileManager.default.removeItem(atPath: scratch.path("out"))
            let process = Process()
            process.executableURL = executable
            process.arguments = [spec, "-o", scratch.path("out"), "--unroll", round % 2 == 0 ? "loops" : "auto"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(20_000 + round * 15_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let again = try CLIRunner.run([spec, "-o", scratch.path("out")])
            #expect(again.status == 0, "\(again)")
            #expect(scratch.contents(of: "out") == ["audio_cf.c", "audio_cf.h", "audio_cf.swift"], "round \(round): \(scratch.contents(of: "out"))")
        }
    }

    // MARK: - 8. Depfiles that GNU make reads

    @Test func depfileNamesEveryPathMakeCanRead() throws {
        let make = try #require(["/usr/bin/make", "/bin/make"].first(where: FileManager.default.isExecutableFile(atPath:)), "make is needed")
        let scratch = try ScratchFolder(prefix: "reliability")
        let folder = "a b:c#d$e%f\\g"
        try CLITests.tinySpec(in: scratch, folder: folder)
        try FileManager.default.moveItem(atPath: scratch.path(folder + "/dw.npy"), toPath: scratch.path(folder + "/d w:1#$%.npy"))
        let specText = try String(contentsOfFile: scratch.path(folder + "/spec.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "depthwise_kernel: dw.npy", with: "depthwise_kernel: 'd w:1#$%.npy'")
        try scratch.write(folder + "/spec.yaml", specText)
        let out = "g%n:o#u t"
        let result = try CLIRunner.run([folder + "/spec.yaml", "-o", out, "--depfile", "deps.d"], in: scratch.url)
        #expect(result.status == 0, "\(result)")
        // Make's own spelling of out/tiny.c: '%' escaped in a target only.
        try scratch.write("Makefile", "all: g%n\\:o\\#u\\ t/tiny.c\ng\\%n\\:o\\#u\\ t/tiny.c:\n\t@echo rebuilt\ninclude deps.d\n")
        func makeQuestion() throws -> Int32 {
            try CLIRunner.runProcess(make, ["-q", "all"], in: scratch.url).status
        }
        let depfile = (try? String(contentsOfFile: scratch.path("deps.d"), encoding: .utf8)) ?? "(none)"
        #expect(try makeQuestion() == 0, "make reads the depfile and finds the outputs up to date: \(depfile)")
        let later = Date().addingTimeInterval(100)
        for dependency in ["spec.yaml", "d w:1#$%.npy"] {
            try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: scratch.path(folder + "/" + dependency))
            #expect(try makeQuestion() == 1, "make sees that '\(dependency)' changed")
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-100)], ofItemAtPath: scratch.path(folder + "/" + dependency))
        }
    }

    @Test(arguments: ["new\nline", "semi;colon", "equals=sign"])
    func depfilePathsMakeCannotReadAreRefused(_ folder: String) throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch, folder: folder)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("deps.d")])
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("cannot be named in the depfile") == true, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
        // Without a depfile the path is fine.
        #expect(try CLIRunner.run([spec, "-o", scratch.path("out")]).status == 0)
    }

    @Test func aWeightPathMakeCannotNameIsRefusedAtItsNode() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        try FileManager.default.moveItem(atPath: scratch.path("dw.npy"), toPath: scratch.path("d;w.npy"))
        let text = try String(contentsOfFile: spec, encoding: .utf8).replacingOccurrences(of: "depthwise_kernel: dw.npy", with: "depthwise_kernel: d;w.npy")
        try scratch.write("spec.yaml", text)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("deps.d")])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.map { "\($0.line):\($0.column)" } == ["11:21"], "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    @Test func aWeightPathWithANULIsAPositionedError() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        try FileManager.default.createDirectory(atPath: scratch.path("w"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: scratch.path("dw.npy"), toPath: scratch.path("w/dw.npy"))
        let text = try String(contentsOfFile: spec, encoding: .utf8)
            .replacingOccurrences(of: "depthwise_kernel: dw.npy", with: "depthwise_kernel: \"w/dw.npy\\u0000junk\"")
        try scratch.write("spec.yaml", text)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("deps.d")])
        #expect(result.status == 1, "\(result)")
        let error = try #require(result.errors.first, "\(result)")
        #expect(error.line == 11 && error.column == 21 && error.message.contains("NUL"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("deps.d")))
    }
}

/// Bytes shared between a test and a thread it started, with a "done" flag.
final class LockedBytes: @unchecked Sendable {
    private let lock = NSCondition()
    private var storage: [UInt8] = []
    private var done = false

    func append(_ bytes: some Sequence<UInt8>) {
        lock.lock()
        storage += bytes
        lock.unlock()
    }

    func finish() {
        lock.lock()
        done = true
        lock.broadcast()
        lock.unlock()
    }

    var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    var bytes: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    /// Waits until `finish()`, at most `seconds`; whether it came.
    func wait(seconds: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while !done, lock.wait(until: deadline) {}
        return done
    }
}
