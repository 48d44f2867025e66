import Foundation
@testable import SepconvGen

// MARK: - Processes

/// Running tools.
enum Tools {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The tool's path: `$CC`/`$CXX`/`$SWIFTC` when set, else the first match on PATH.
    static func find(_ tool: String) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let override = ["cc": "CC", "c++": "CXX", "swiftc": "SWIFTC"][tool].flatMap { environment[$0] }
        if let override, !override.isEmpty, !override.contains(" ") {
            return override.hasPrefix("/") ? override : find(override)
        }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = String(folder) + "/" + tool
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `executable`, its output captured through files (no pipe to drain).
    static func run(_ executable: String, _ arguments: [String], in directory: URL, environment: [String: String] = [:]) -> Result {
        let id = UUID().uuidString
        let out = directory.appendingPathComponent(".\(id).stdout"), err = directory.appendingPathComponent(".\(id).stderr")
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        do {
            let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
            defer {
                try? outHandle.close()
                try? errHandle.close()
            }
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        } catch {
            return Result(status: -1, stdout: "", stderr: "cannot run \(executable): \(error)")
        }
        let text = { (url: URL) in (try? Data(contentsOf: url)).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        return Result(status: process.terminationStatus, stdout: text(out), stderr: text(err))
    }

    /// CPU seconds (user + system) of every child process that has ended and been waited for.
    static func childCPUSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        _ = getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        #else
        _ = getrusage(RUSAGE_CHILDREN, &usage)
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Runs `jobs` on `width` threads.
    static func parallel(_ jobs: [@Sendable () -> Void], width: Int) {
        let queue = JobQueue(jobs)
        DispatchQueue.concurrentPerform(iterations: max(1, min(width, jobs.count))) { _ in
            while let job = queue.next() { job() }
        }
    }

    /// The last `lines` lines of `text`.
    static func tail(_ text: String, lines: Int = 25) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Compiler messages grouped by the layer file they are about
    /// (`.../NAME.c:12:3: error: ...` or `NAME.h`, `NAME.swift`), each line
    /// attributed to the last file named before it.
    static func messagesByFile(_ text: String, extension ext: String = "c") -> [String: [String]] {
        var result: [String: [String]] = [:]
        var current: String?
        let suffixes = ext == "c" ? [".c:", ".h:", ".c\"", ".h\""] : [".swift:"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            for word in line.split(separator: " ") {
                guard let suffix = suffixes.first(where: { word.contains($0) }), let range = word.range(of: suffix) else { continue }
                let path = word[..<range.lowerBound]
                let name = path.split(separator: "/").last.map(String.init) ?? ""
                if !name.isEmpty { current = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"'‘’`")) }
                break
            }
            if let current { result[current, default: []].append(String(line)) }
        }
        return result
    }
}

/// Hands out jobs to the worker threads.
private final class JobQueue: @unchecked Sendable {
    private var jobs: [@Sendable () -> Void]
    private var index = 0
    private let lock = NSLock()

    init(_ jobs: [@Sendable () -> Void]) {
        self.jobs = jobs
    }

    func next() -> (@Sendable () -> Void)? {
        lock.lock()
        defer { lock.unlock() }
        guard index < jobs.count else { return nil }
        index += 1
        return jobs[index - 1]
    }
}
