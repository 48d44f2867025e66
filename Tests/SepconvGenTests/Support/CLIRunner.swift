import Foundation
import Testing

/// What one run of the `sepconv-gen` binary did.
struct CLIResult: Sendable, CustomStringConvertible {
    /// The exit status, or the signal number when `crashed`.
    var status: Int32
    /// Whether the process died of a signal (a trap, a crash) rather than exiting.
    var crashed: Bool
    /// Whether it was killed for running past its time limit.
    var timedOut: Bool
    /// Wall-clock time, in seconds.
    var seconds: Double
    /// The process's CPU time (user + system), in seconds, sampled from
    /// `/proc` every 2 ms while it ran (10 ms ticks): a lower bound, short by
    /// what it spent after the last sample; nil where there is no `/proc`.
    /// The run's wall-clock timeout still bounds the rest.
    var cpuSeconds: Double?

    /// The bytes the process read through `read(2)` and the like (`rchar` of
    /// `/proc/PID/io`), sampled like `cpuSeconds`: a lower bound; nil where unknown.
    var bytesRead: Int?

    /// The time to hold against a limit: CPU time where it is known, as it
    /// does not grow when other work shares the cores, else wall time.
    var busySeconds: Double { cpuSeconds ?? seconds }
    var stdout: String
    var stderr: String

    /// The stderr lines of the form `FILE:LINE:COLUMN: error: MESSAGE` (SPEC.md §1).
    var errorLines: [String] {
        stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init).filter { CLIResult.isErrorLine($0) }
    }

    /// The positioned errors: (file, line, column, message).
    var errors: [(file: String, line: Int, column: Int, message: String)] {
        errorLines.compactMap(CLIResult.parse)
    }

    /// Whether `line` matches `^[^:]+:\d+:\d+: error: `.
    static func isErrorLine(_ line: String) -> Bool {
        line.firstMatch(of: #/^[^:]+:\d+:\d+: error: /#) != nil
    }

    /// Splits an error line into its parts.
    static func parse(_ line: String) -> (file: String, line: Int, column: Int, message: String)? {
        guard let match = line.firstMatch(of: #/^([^:]+):(\d+):(\d+): error: (.*)$/#),
              let number = Int(match.2), let column = Int(match.3) else { return nil }
        return (String(match.1), number, column, String(match.4))
    }

    var description: String {
        "status \(status)\(crashed ? " (signal)" : "")\(timedOut ? " (timed out)" : ""), \(String(format: "%.2f", seconds)) s"
            + (cpuSeconds.map { String(format: " (%.2f s CPU)", $0) } ?? "") + "\n"
            + "stdout: \(stdout.prefix(2_000))\nstderr: \(stderr.prefix(4_000))"
    }
}

/// Runs the built `sepconv-gen` executable as a subprocess.
///
/// The binary is found, in order: `$SEPCONV_GEN`; `sepconv-gen` in the folder
/// of the running test executable (`CommandLine.arguments[0]`, which on Linux is
/// `.build/<config>/sepconv-genPackageTests.xctest`) or of `Bundle.main`; the
/// same searched up to three folders higher (macOS nests the test binary in
/// `X.xctest/Contents/MacOS`). `swift test` builds every product, the
/// executable included, into that folder.
enum CLIRunner {
    /// The executable, or nil when it cannot be found.
    static let executable: URL? = {
        let manager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["SEPCONV_GEN"], manager.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        var starts: [URL] = []
        if let first = CommandLine.arguments.first {
            let url = URL(fileURLWithPath: first).resolvingSymlinksInPath()
            starts.append(url.deletingLastPathComponent())
        }
        starts.append(Bundle.main.bundleURL)
        starts.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for start in starts {
            var folder = start
            for _ in 0..<4 {
                let candidate = folder.appendingPathComponent("sepconv-gen")
                var isDirectory: ObjCBool = false
                if manager.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                   manager.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        return nil
    }()

    /// The executable, or a recorded test failure explaining where it was looked for.
    static func requireExecutable(sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        try #require(executable, """
            sepconv-gen not found next to the test binary (\(CommandLine.arguments.first ?? "?"), \
            Bundle.main \(Bundle.main.bundleURL.path)); build it (swift build) or set SEPCONV_GEN
            """, sourceLocation: sourceLocation)
    }

    /// Runs `sepconv-gen arguments...` (or `program arguments...`, in
    /// `environment` when given) and waits at most `timeout` seconds (then
    /// kills it). Standard input is empty; output goes through files, so no
    /// pipe can fill up and block the child.
    static func run(_ arguments: [String], in directory: URL? = nil, timeout: Double = 20,
                    program: URL? = nil, environment: [String: String]? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        let executable = try program ?? requireExecutable(sourceLocation: sourceLocation)
        let scratch = try ScratchFolder(prefix: "cli-io")
        let outPath = scratch.url.appendingPathComponent("stdout").path
        let errPath = scratch.url.appendingPathComponent("stderr").path
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        let start = Date()
        try process.run()
        var timedOut = false
        var cpuSeconds = cpuTime(process.processIdentifier)
        var bytesRead = readCount(process.processIdentifier)
        while process.isRunning {
            cpuSeconds = cpuTime(process.processIdentifier) ?? cpuSeconds
            bytesRead = readCount(process.processIdentifier) ?? bytesRead
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                process.terminate()
                let grace = Date()
                while process.isRunning, Date().timeIntervalSince(grace) < 2 { usleep(10_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return CLIResult(status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
                         timedOut: timedOut, seconds: seconds, cpuSeconds: cpuSeconds, bytesRead: bytesRead, stdout: read(outPath), stderr: read(errPath))
    }

    /// Runs another program (`make`, `unshare`, `mount`) to its end; its exit status and standard error.
    static func runProcess(_ path: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }

    /// The bytes the running process `pid` has read (`rchar` in `/proc/PID/io`), or nil.
    private static func readCount(_ pid: Int32) -> Int? {
        guard let io = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8),
              let line = io.split(separator: "\n").first(where: { $0.hasPrefix("rchar:") }) else { return nil }
        return Int(line.dropFirst("rchar:".count).trimmingCharacters(in: .whitespaces))
    }

    /// User + system time of the running process `pid` from `/proc/PID/stat`
    /// (fields 14 and 15, after the parenthesised command name), or nil.
    private static func cpuTime(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so utime (14) and stime (15) are 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A fresh folder under the system's temporary folder, removed (with
/// anything inside, permissions restored first) when released.
final class ScratchFolder: Sendable {
    let url: URL

    init(prefix: String = "sepconv-gen-tests") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        // Folders a test made read-only must be writable again to be removed.
        if let enumerator = FileManager.default.enumerator(atPath: url.path) {
            for case let relative as String in enumerator {
                _ = chmod(url.appendingPathComponent(relative).path, 0o755)
            }
        }
        try? FileManager.default.removeItem(at: url)
    }

    /// `url/relative`.
    func path(_ relative: String) -> String {
        url.appendingPathComponent(relative).path
    }

    /// Writes `bytes` to `relative`, creating folders on the way; returns the path.
    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    /// Writes `text` (UTF-8) to `relative`; returns the path.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }

    /// Copies `source` to `relative`; returns the path.
    @discardableResult
    func copy(_ source: URL, to relative: String) throws -> String {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: target)
        return target.path
    }

    /// The names in `relative` (a folder), sorted; empty when it does not exist.
    func contents(of relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(relative))) ?? []).sorted()
    }
}
