import Foundation
@testable import SepconvGen

/// The compile harness: the Swift build, in chunks.
extension CompileSession {
    // MARK: Swift

    /// Compiles one chunk of layers and its driver into one executable and runs it.
    func buildSwift(_ swiftc: String, chunk: Int, _ chunkCases: [Case]) {
        let directory = folder(.swift).appendingPathComponent("chunk\(chunk)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var members = chunkCases
        // A file that does not compile is reported and left out; at most a few rounds.
        for _ in 0..<4 {
            guard !members.isEmpty else { return }
            write(directory.appendingPathComponent("driver.swift"), Data(SwiftDriver.text(members).utf8))
            let arguments = ["-O", "-wmo", "-swift-version", "6", "-warnings-as-errors", "-parse-as-library", "-module-name", "EmittedLayers",
                             "-num-threads", "1", "driver.swift"] + extraFlags.swift
                + members.map { source.appendingPathComponent($0.name + ".swift").path } + ["-o", "driver"]
            let result = Tools.run(swiftc, arguments, in: directory)
            if result.status == 0 {
                runUntilDone(.swift, executable: directory.appendingPathComponent("driver").path, members: members, environment: [:])
                return
            }
            let messages = Tools.messagesByFile(result.stderr, extension: "swift")
            let broken = Set(members.map(\.name)).intersection(messages.keys)
            guard !broken.isEmpty else {
                problem("a Swift driver does not build (swiftc \(arguments.prefix(11).joined(separator: " ")) ...):\n" + Tools.tail(result.stderr, lines: 40))
                for item in members { fail(.swift, item.name, "not run: the Swift build failed") }
                return
            }
            for name in broken.sorted() {
                fail(.swift, name, "\(name).swift does not compile (swiftc -O -swift-version 6 -warnings-as-errors):\n"
                     + (messages[name] ?? []).prefix(30).joined(separator: "\n"))
            }
            members.removeAll { broken.contains($0.name) }
        }
        problem("a Swift build still fails after leaving out the files that did not compile")
        for item in members { fail(.swift, item.name, "not run: the Swift build failed") }
    }
}
