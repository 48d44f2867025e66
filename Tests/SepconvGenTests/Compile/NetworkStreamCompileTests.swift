import Foundation
import Testing
@testable import SepconvGen

/// Streaming networks (SPEC.md section 8): every fixture range that streams, emitted with
/// `streaming: true` in C (strict C99) and Swift 6, its items pushed in random splits
/// (0-frame pushes included) and flushed. Each push must return exactly the frames that
/// `t * N_STREAM_STRIDE + N_STREAM_DELAY` says are complete, and the frames must be Keras's output.
@Suite struct NetworkStreamCompileTests {
    struct Streamed {
        var compiled: NetworkCompiler.Compiled, built: NetworkCompileTests.Built
        /// Per item, the frames of each push.
        var pushes: [[Int]]
    }

    static func networks(swift: Bool) throws -> [Streamed] {
        var rng = SplitMix64(seed: 0x5EED_0008)
        // Swift: the .keras ranges, but not kws_cf's (7 s of swiftc; C streams it, and ecg_cf and f64_cf stream channels_first in Swift).
        let swiftRange = { (item: NetworkTests.Case) in item.model.hasSuffix(".keras") && item.model != "kws_cf.keras" }
        return try NetworkTests.cases.filter { $0.streams && NetworkTests.compiles($0) && (!swift || swiftRange($0)) }.enumerated().map { index, item in
            let text = NetworkTests.spec(item.model, first: item.first, last: item.last)
                .replacingOccurrences(of: "name: net", with: "name: s\(index)") + "streaming: true\n"
            let compiled = try NetworkTests.compile(text)
            let plan = compiled.plan
            var input = try Fixtures.npy("networks/\(item.folder)/\(item.range)/input.npy").tensor
            var keras = try Fixtures.npy("networks/\(item.folder)/\(item.range)/output.npy").tensor
            var reference = try NetworkInterpreter.run(plan, input: input)
            // A stream's frames are steps: a channels_first input and output go in and come out transposed.
            if plan.inputFormat == .channelsFirst { input = transposed(input) }
            if plan.steps.count > 1, plan.steps.last?.operation == .transpose { (keras, reference) = (transposed(keras), transposed(reference)) }
            let steps = plan.inputSteps
            let pushes = (0..<input.shape[0]).map { _ in Int8CompileTests.pushes(steps, atMost: 9, rng: &rng) }
            return Streamed(compiled: compiled, built: .init(name: "s\(index)", dtype: compiled.plan.dtype, input: input, keras: keras,
                                                             reference: reference, origin: item.description), pushes: pushes)
        }
    }

    /// Each item's (a, b) matrix as (b, a).
    static func transposed(_ tensor: Tensor) -> Tensor {
        let (batch, rows, columns) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
        let scalars = (0..<batch * rows * columns).map { index in
            let (item, at) = index.quotientAndRemainder(dividingBy: rows * columns)
            return tensor.scalars[item * rows * columns + (at % rows) * columns + at / rows]
        }
        return Tensor(shape: [batch, columns, rows], scalars: scalars)
    }

    /// The counts each push and the flush must return, item after item.
    static func expectedCounts(_ network: Streamed) -> [Int] {
        let plan = network.compiled.plan
        return network.pushes.flatMap { pushes in
            var frames = 0
            var counts = pushes.map { count in
                defer { frames += count }
                return plan.streamCompleted(afterFrames: frames + count) - plan.streamCompleted(afterFrames: frames)
            }
            counts.append(plan.streamTotal(frames: frames) - plan.streamCompleted(afterFrames: frames))
            return counts
        }
    }

    /// Checks the outputs and the counts the program wrote (`<name>.out`, `<name>.counts`).
    static func check(_ networks: [Streamed], in folder: URL, language: String) {
        NetworkCompileTests.check(networks.map(\.built), in: folder, language: "\(language) stream")
        for network in networks {
            let text = (try? String(contentsOf: folder.appendingPathComponent("\(network.built.name).counts"), encoding: .utf8)) ?? ""
            let counts = text.split(separator: "\n").compactMap { Int($0) }
            #expect(counts == expectedCounts(network), "\(language) \(network.built.origin): push counts")
        }
    }

    /// Writes the network's files in `language` and its input, `<name>.in`, into `folder`.
    static func write(_ network: Streamed, _ language: TargetLanguage, to folder: URL) throws {
        for file in try NetworkGenerator.files(for: network.compiled, languages: [language]) {
            try file.contents.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
        }
        try NetworkCompileTests.bytes(network.built.input, network.built.dtype).write(to: folder.appendingPathComponent("\(network.built.name).in"))
    }

    @Test func streamedRangesAreHere() throws {
        let networks = try Self.networks(swift: false)
        #expect(networks.count >= 8)
        // Strides composed over several layers: imu's range to max_pool_same holds two pools and a
        // padding between its SeparableConv1Ds (strides 2 * 2 * 2).
        #expect(networks.contains { $0.compiled.plan.streamStride == 8 && $0.compiled.plan.streamDelay == 31 })
    }

    @Test func emittedCStreamsMatchKerasWithExactPushCounts() throws {
        let cc = try #require(Tools.find("cc"))
        let networks = try Self.networks(swift: false)
        let folder = try NetworkCompileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var main = ["#include <stdio.h>", "#include <stdlib.h>"]
        var body: [String] = []
        for network in networks {
            let built = network.built
            try Self.write(network, .c, to: folder)
            let (type, n, batch) = (built.dtype == .float32 ? "float" : "double", built.name, built.input.shape[0])
            let pushes = network.pushes.map { $0 + [-1] }.flatMap { $0 }.map(String.init).joined(separator: ", ")
            main.append("#include \"\(n).h\"")
            body += ["    {",
                     "        static \(type) x[\(batch) * \(n)_INPUT_SIZE], y[\(batch) * \(n)_OUTPUT_SIZE];",
                     "        static \(n)_stream state;",
                     // Each item's pushes, then -1: its flush.
                     "        static const int pushes[] = {\(pushes)};",
                     "        size_t item, p = 0, used, written;",
                     "        FILE *counts = fopen(\"\(n).counts\", \"w\"), *f = fopen(\"\(n).in\", \"rb\");",
                     "        if (!counts || !f || fread(x, sizeof x, 1, f) != 1) return 1;",
                     "        fclose(f);",
                     "        for (item = 0; item < \(batch); ++item) {",
                     "            const \(type) *frames = x + item * \(n)_INPUT_SIZE;",
                     "            \(type) *output = y + item * \(n)_OUTPUT_SIZE;",
                     "            \(n)_stream_reset(&state);",
                     "            for (used = 0, written = 0; pushes[p] >= 0; ++p) {",
                     "                const size_t got = \(n)_stream_push(&state, frames + used * \(n)_INPUT_CHANNELS, (size_t)pushes[p], output + written * \(n)_OUTPUT_CHANNELS);",
                     "                fprintf(counts, \"%lu\\n\", (unsigned long)got);",
                     "                used += (size_t)pushes[p];",
                     "                written += got;",
                     "            }",
                     "            ++p;",
                     "            fprintf(counts, \"%lu\\n\", (unsigned long)\(n)_stream_flush(&state, output + written * \(n)_OUTPUT_CHANNELS));",
                     "        }",
                     "        fclose(counts);",
                     "        f = fopen(\"\(n).out\", \"wb\");",
                     "        if (!f || fwrite(y, sizeof y, 1, f) != 1) return 1;",
                     "        fclose(f);",
                     "    }"]
        }
        main += ["int main(void)", "{"] + body + ["    return 0;", "}", ""]
        try main.joined(separator: "\n").write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let sources = networks.map { "\($0.built.name).c" } + ["main.c"]
        try NetworkCompileTests.buildAndRun(cc, CompileSession.strictFlags + sources + ["-lm"], in: folder)
        Self.check(networks, in: folder, language: "C")
    }

    @Test func emittedSwiftStreamsMatchKerasWithExactPushCounts() throws {
        let swiftc = try #require(Tools.find("swiftc"))
        let networks = try Self.networks(swift: true)
        let folder = try NetworkCompileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var main = ["import Foundation", ""]
        for network in networks {
            let built = network.built
            try Self.write(network, .swift, to: folder)
            let (type, swiftType, n) = (built.dtype == .float32 ? "Float" : "Double", Identifier.swiftTypeName(built.name), built.name)
            let channels = network.compiled.plan.streamOutputChannels
            let pushes = "[" + network.pushes.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
            main += ["do {",
                     "    let data = try Data(contentsOf: URL(fileURLWithPath: \"\(n).in\"))",
                     "    let x: [\(type)] = data.withUnsafeBytes { Array($0.bindMemory(to: \(type).self)) }",
                     "    let size = \(swiftType).inputSteps * \(swiftType).inputChannels",
                     "    var y: [\(type)] = []",
                     "    var counts: [String] = []",
                     "    var stream = \(swiftType).Stream()",
                     "    for (item, pushes) in \(pushes).enumerated() {",
                     "        var used = item * size",
                     "        for count in pushes {",
                     "            let frames = stream.push(Array(x[used ..< used + count * \(swiftType).inputChannels]))",
                     "            counts.append(String(frames.count / \(channels)))",
                     "            y += frames",
                     "            used += count * \(swiftType).inputChannels",
                     "        }",
                     "        let last = stream.flush()",
                     "        counts.append(String(last.count / \(channels)))",
                     "        y += last",
                     "    }",
                     "    try y.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: \"\(n).out\"))",
                     "    try counts.joined(separator: \"\\n\").write(toFile: \"\(n).counts\", atomically: true, encoding: .utf8)",
                     "} catch { exit(1) }"]
        }
        try main.joined(separator: "\n").write(to: folder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        let sources = networks.map { "\($0.built.name).swift" } + ["main.swift"]
        try NetworkCompileTests.buildAndRun(swiftc, ["-O", "-swift-version", "6"] + sources, in: folder)
        Self.check(networks, in: folder, language: "Swift")
    }
}
