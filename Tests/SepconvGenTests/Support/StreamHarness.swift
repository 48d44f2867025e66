import Foundation
@testable import SepconvGen

/// Compiles the streaming API of many layers in a few batched builds (C
/// strict, C under AddressSanitizer and UBSan, Swift), runs a script of
/// resets, pushes and flushes on each, and hands back every push's and
/// flush's return value and output frames for the test to judge.
///
/// A script drives two states of one layer (`a` and `b`) over signals of
/// frames. Each operation's output buffer holds exactly the documented
/// bound ((count + strides − 1) / strides frames for a push,
/// `N_STREAM_MAX_FLUSH` for a flush) and starts as NaN: under the sanitizer a
/// write past the bound aborts, and the frames past the returned count must
/// still be NaN. The Swift driver alternates the buffer and array overloads.
/// The batch kernel runs on the layer's own input beside the script.
enum StreamHarness {
    /// One operation of a script.
    enum Operation: Hashable, Sendable {
        /// Pushes `count` frames of signal `signal` from frame `offset` into `state`
        /// (Swift: through the array overload when `viaArray`).
        case push(state: Int, signal: Int, offset: Int, count: Int, viaArray: Bool)
        case flush(state: Int, viaArray: Bool)
        case reset(state: Int)
    }

    /// One layer and its script.
    struct Case: Sendable {
        /// A plan with `stream` set; its name names the files.
        var plan: LayerPlan
        var origin: String
        /// Signals, each frames × C values, channels last.
        var signals: [[Double]]
        var script: [Operation]
        /// The batch kernel's input (batch items in the layer's layout).
        var batch: Int
        var batchInput: [Double]
        /// Whether the Swift build runs the case, and with `-O` or `-Onone`.
        var swift: SwiftBuild = .optimized

        var name: String { plan.name }
    }

    /// How the Swift build compiles a case: `-Onone` for correctness-only
    /// random layers (swiftc -O costs about a CPU-second per layer file).
    enum SwiftBuild: Sendable {
        case optimized, unoptimized, none
    }

    /// What one build did with one case: per operation the returned count and
    /// the output buffer (bound frames, NaN past what was written); the delay
    /// the emitted code declares; the batch kernel's output.
    struct Run: Sendable {
        var counts: [Int]
        var outputs: [[Double]]
        var delay: Int
        var batchOutput: [Double]
    }

    enum Build: String, CaseIterable, Sendable {
        case c
        case cSanitized = "c-asan"
        case swift
    }

    struct Report: Sendable {
        /// Per build, per case name: the run, or why there is none.
        var runs: [Build: [String: Result<Run, Failure>]] = [:]
        var timings: [(String, Double)] = []
    }

    struct Failure: Error, Sendable {
        var message: String
    }

    /// Output frames the buffer of `operation` holds for `plan`.
    static func capacity(_ operation: Operation, _ geometry: StreamGeometry) -> Int {
        switch operation {
        case .push(_, _, _, let count, _): (count + geometry.stride - 1) / geometry.stride
        case .flush: geometry.maxFlushed
        case .reset: 0
        }
    }

    /// Builds and runs every case in both C builds and in the Swift build its
    /// `swift` says (the `-O` cases in `swiftChunks` compiler calls); the working folder is removed.
    static func run(_ cases: [Case], swiftChunks: Int = 2) -> Report {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sepconv-stream-" + UUID().uuidString)
        let keep = ProcessInfo.processInfo.environment["SEPCONV_STREAM_KEEP"] == "1"
        defer { if !keep { try? FileManager.default.removeItem(at: work) } }
        var report = Report()
        let started = Date()
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            for item in cases {
                for file in Generator.files(for: item.plan, languages: [.c, .swift]) {
                    try Data(file.contents.utf8).write(to: work.appendingPathComponent(file.name))
                }
                try Data(item.signals.flatMap { $0 }.encoded(item.plan.dtype)).write(to: work.appendingPathComponent(item.name + ".signal"))
                try Data(item.batchInput.encoded(item.plan.dtype)).write(to: work.appendingPathComponent(item.name + ".batch"))
                try Data(scriptText(item).utf8).write(to: work.appendingPathComponent(item.name + ".script"))
            }
        } catch {
            for build in Build.allCases { report.runs[build] = failAll(cases, "cannot write the sources: \(error)") }
            return report
        }
        report.timings.append(("write", Date().timeIntervalSince(started)))
        let results = ResultBox()
        var jobs: [@Sendable () -> Void] = [
            { results.timed("c") { results.set(.c, buildC(cases, work, sanitized: false)) } },
            { results.timed("c-asan") { results.set(.cSanitized, buildC(cases, work, sanitized: true)) } },
        ]
        let optimized = cases.filter { $0.swift == .optimized }, unoptimized = cases.filter { $0.swift == .unoptimized }
        let chunkSize = (optimized.count + swiftChunks - 1) / max(swiftChunks, 1)
        for (index, first) in stride(from: 0, to: optimized.count, by: max(chunkSize, 1)).enumerated() {
            let chunk = Array(optimized[first ..< min(first + chunkSize, optimized.count)])
            jobs.append { results.timed("swift -O \(index)") { results.merge(.swift, buildSwift(chunk, work, chunk: "\(index)", optimize: true)) } }
        }
        for (index, first) in stride(from: 0, to: unoptimized.count, by: max((unoptimized.count + 1) / 2, 1)).enumerated() {
            let chunk = Array(unoptimized[first ..< min(first + (unoptimized.count + 1) / 2, unoptimized.count)])
            jobs.append { results.timed("swift -Onone \(index)") { results.merge(.swift, buildSwift(chunk, work, chunk: "onone\(index)", optimize: false)) } }
        }
        let building = Date()
        Tools.parallel(jobs, width: 2)
        report.timings.append(("build and run", Date().timeIntervalSince(building)))
        report.runs = results.runs
        report.timings += results.timings
        if keep { print("stream harness: kept \(work.path)") }
        return report
    }

    /// The script as the drivers read it: one operation a line,
    /// `P state offset count capacity` (frame offset into the concatenated signals),
    /// `p ...` the same through Swift's array overload, `F state capacity`, `f ...`, `R state`.
    static func scriptText(_ item: Case) -> String {
        guard let geometry = item.plan.stream else { return "" }
        let C = item.plan.inputChannels
        let starts = item.signals.reduce(into: [0]) { $0.append(($0.last ?? 0) + $1.count / C) }
        var lines: [String] = []
        for operation in item.script {
            let capacity = capacity(operation, geometry)
            switch operation {
            case .push(let state, let signal, let offset, let count, let viaArray):
                lines.append("\(viaArray ? "p" : "P") \(state) \(starts[signal] + offset) \(count) \(capacity)")
            case .flush(let state, let viaArray):
                lines.append("\(viaArray ? "f" : "F") \(state) 0 0 \(capacity)")
            case .reset(let state):
                lines.append("R \(state) 0 0 0")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func failAll(_ cases: [Case], _ message: String) -> [String: Result<Run, Failure>] {
        Dictionary(uniqueKeysWithValues: cases.map { ($0.name, .failure(Failure(message: message))) })
    }

    // MARK: C

    /// The suite's strict C flags, and the sanitizer build's.
    static let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2"]
    static let sanitizerFlags = ["-std=c99", "-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]

    static func buildC(_ cases: [Case], _ work: URL, sanitized: Bool) -> [String: Result<Run, Failure>] {
        guard let cc = Tools.find("cc") else { return failAll(cases, "no cc on PATH") }
        let build = work.appendingPathComponent(sanitized ? "c-asan" : "c")
        try? FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        let flags = sanitized ? sanitizerFlags + (CompileHarness.isGCC(cc) ? ["-fno-var-tracking"] : []) : strictFlags
        // Many layers per translation unit (every emitted name carries its layer's prefix).
        var objects: [String] = []
        for first in stride(from: 0, to: cases.count, by: 40) {
            let unit = "layers\(first / 40)"
            let includes = cases[first ..< min(first + 40, cases.count)].map { "#include \"\($0.name).c\"\n" }.joined()
            do { try Data(includes.utf8).write(to: build.appendingPathComponent(unit + ".c")) } catch {
                return failAll(cases, "cannot write \(unit).c: \(error)")
            }
            let result = Tools.run(cc, flags + ["-I", work.path, "-c", unit + ".c"], in: build)
            if result.status != 0 { return failAll(cases, "the C does not compile (\(flags.joined(separator: " "))):\n" + Tools.tail(result.stderr, lines: 40)) }
            objects.append(unit + ".o")
        }
        do {
            try Data(cDriver(cases).utf8).write(to: build.appendingPathComponent("driver.c"))
        } catch {
            return failAll(cases, "cannot write the C driver: \(error)")
        }
        let link = Tools.run(cc, flags + ["-I", work.path, "driver.c"] + objects + ["-lm", "-o", "driver"], in: build)
        guard link.status == 0 else { return failAll(cases, "the C driver does not build:\n" + Tools.tail(link.stderr, lines: 40)) }
        let ran = Tools.run(build.appendingPathComponent("driver").path, [work.path, "c"], in: build,
                            environment: ["ASAN_OPTIONS": "detect_leaks=0", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"])
        return collect(cases, work, label: "c", ran: ran)
    }

    static func cDriver(_ cases: [Case]) -> String {
        var lines = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", "#include <math.h>"]
        lines += cases.map { "#include \"\($0.name).h\"" }
        for item in cases {
            let n = item.name, t = item.plan.format.spelling(.c)
            lines += [
                "static void \(n)_w_reset(void *s) { \(n)_stream_reset((\(n)_stream *)s); }",
                "static size_t \(n)_w_push(void *s, const void *f, size_t c, void *o) { return \(n)_stream_push((\(n)_stream *)s, (const \(t) *)f, c, (\(t) *)o); }",
                "static size_t \(n)_w_flush(void *s, void *o) { return \(n)_stream_flush((\(n)_stream *)s, (\(t) *)o); }",
                "static void \(n)_w_batch(const void *x, void *y, size_t b) { \(n)((const \(t) *)x, (\(t) *)y, b); }",
            ]
        }
        lines += [
            "struct entry { const char *name; size_t width, channels, out_channels, state, batch, in_size, out_size; long delay;",
            "    void (*reset)(void *); size_t (*push)(void *, const void *, size_t, void *); size_t (*flush)(void *, void *);",
            "    void (*run)(const void *, void *, size_t); };",
            "static const struct entry entries[] = {",
        ]
        for item in cases {
            let n = item.name, p = item.plan
            lines.append("    { \"\(n)\", \(p.dtype == .float32 ? 4 : 8), \(p.inputChannels), \(p.stream?.outputChannels ?? 0), sizeof(\(n)_stream), "
                         + "\(item.batch), \(p.inputSize), \(p.outputSize), \(n)_STREAM_DELAY, \(n)_w_reset, \(n)_w_push, \(n)_w_flush, \(n)_w_batch },")
        }
        lines += [
            "};",
            "static void *slurp(const char *path, size_t *size) {",
            "    FILE *f = fopen(path, \"rb\"); void *data; long n;",
            "    if (!f) { fprintf(stderr, \"cannot open %s\\n\", path); exit(2); }",
            "    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);",
            "    data = malloc(n > 0 ? (size_t)n : 1); if (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) exit(2);",
            "    fclose(f); *size = (size_t)n; return data;",
            "}",
            "static void fill_nan(unsigned char *p, size_t values, size_t width) {",
            "    size_t i; for (i = 0; i < values; ++i) { if (width == 4) { float v = nanf(\"\"); memcpy(p + i * 4, &v, 4); } else { double v = nan(\"\"); memcpy(p + i * 8, &v, 8); } }",
            "}",
            "int main(int argc, char **argv) {",
            "    size_t e; char path[4096];",
            "    if (argc < 3) return 2;",
            "    for (e = 0; e < sizeof entries / sizeof entries[0]; ++e) {",
            "        const struct entry *x = &entries[e]; size_t size, signal_size; FILE *script, *counts, *out;",
            "        unsigned char *signal, *batch_in, *batch_out; void *states[2]; char op; long state, offset, count, capacity;",
            "        snprintf(path, sizeof path, \"%s/%s.signal\", argv[1], x->name); signal = slurp(path, &signal_size);",
            "        snprintf(path, sizeof path, \"%s/%s.batch\", argv[1], x->name); batch_in = slurp(path, &size);",
            "        batch_out = malloc(x->batch * x->out_size * x->width); x->run(batch_in, batch_out, x->batch);",
            "        snprintf(path, sizeof path, \"%s/%s.%s.batchout\", argv[1], x->name, argv[2]); out = fopen(path, \"wb\");",
            "        fwrite(batch_out, x->width, x->batch * x->out_size, out); fclose(out);",
            "        states[0] = malloc(x->state); states[1] = malloc(x->state); x->reset(states[0]); x->reset(states[1]);",
            "        snprintf(path, sizeof path, \"%s/%s.script\", argv[1], x->name); script = fopen(path, \"r\");",
            "        snprintf(path, sizeof path, \"%s/%s.%s.counts\", argv[1], x->name, argv[2]); counts = fopen(path, \"w\");",
            "        snprintf(path, sizeof path, \"%s/%s.%s.out\", argv[1], x->name, argv[2]); out = fopen(path, \"wb\");",
            "        if (!script || !counts || !out) return 2;",
            "        fprintf(counts, \"delay %ld\\n\", x->delay);",
            "        while (fscanf(script, \" %c %ld %ld %ld %ld\", &op, &state, &offset, &count, &capacity) == 5) {",
            "            size_t values = (size_t)capacity * x->out_channels, written = 0;",
            "            unsigned char *buffer = malloc(values > 0 ? values * x->width : 1);",
            "            fill_nan(buffer, values, x->width);",
            "            if (op == 'R') x->reset(states[state]);",
            "            else if (op == 'F' || op == 'f') written = x->flush(states[state], values > 0 ? buffer : NULL);",
            "            else {",
            "                /* The frames in a buffer of their own size, so that a read past them aborts under the sanitizer. */",
            "                unsigned char *frames = malloc(count > 0 ? (size_t)count * x->channels * x->width : 1);",
            "                memcpy(frames, signal + (size_t)offset * x->channels * x->width, (size_t)count * x->channels * x->width);",
            "                written = x->push(states[state], count > 0 ? frames : NULL, (size_t)count, values > 0 ? buffer : NULL);",
            "                free(frames);",
            "            }",
            "            fprintf(counts, \"%zu\\n\", written);",
            "            fwrite(buffer, x->width, values, out);",
            "            free(buffer);",
            "        }",
            "        fclose(script); fclose(counts); fclose(out);",
            "        free(states[0]); free(states[1]); free(signal); free(batch_in); free(batch_out);",
            "    }",
            "    return 0;",
            "}",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Swift

    static func buildSwift(_ cases: [Case], _ work: URL, chunk: String, optimize: Bool) -> [String: Result<Run, Failure>] {
        guard let swiftc = Tools.find("swiftc") else { return failAll(cases, "no swiftc on PATH") }
        let build = work.appendingPathComponent("swift\(chunk)")
        try? FileManager.default.createDirectory(at: build, withIntermediateDirectories: true)
        do {
            try Data(swiftDriver(cases).utf8).write(to: build.appendingPathComponent("main.swift"))
        } catch {
            return failAll(cases, "cannot write the Swift driver: \(error)")
        }
        let sources = cases.map { work.appendingPathComponent($0.name + ".swift").path } + ["main.swift"]
        let compiled = Tools.run(swiftc, [optimize ? "-O" : "-Onone", "-wmo", "-swift-version", "6", "-warnings-as-errors", "-module-name", "StreamDriver"] + sources + ["-o", "driver"], in: build)
        guard compiled.status == 0 else { return failAll(cases, "the Swift does not compile:\n" + Tools.tail(compiled.stderr, lines: 40)) }
        let ran = Tools.run(build.appendingPathComponent("driver").path, [work.path, "swift"], in: build)
        return collect(cases, work, label: "swift", ran: ran)
    }

    static func swiftDriver(_ cases: [Case]) -> String {
        var lines = [
            "import Foundation",
            "protocol StreamUnderTest {",
            "    associatedtype Scalar: BinaryFloatingPoint",
            "    static var delay: Int { get }",
            "    init()",
            "    mutating func reset()",
            "    mutating func push(_ frames: UnsafeBufferPointer<Scalar>, into output: UnsafeMutableBufferPointer<Scalar>) -> Int",
            "    mutating func flush(into output: UnsafeMutableBufferPointer<Scalar>) -> Int",
            "    mutating func push(_ frames: [Scalar]) -> [Scalar]",
            "    mutating func flush() -> [Scalar]",
            "}",
            "func load<T: BinaryFloatingPoint>(_ path: String, as: T.Type) -> [T] {",
            "    guard let data = FileManager.default.contents(atPath: path) else { fatalError(\"cannot read \\(path)\") }",
            "    return data.withUnsafeBytes { raw in T.self == Float.self",
            "        ? raw.bindMemory(to: Float.self).map { T($0) } : raw.bindMemory(to: Double.self).map { T($0) } }",
            "}",
            "func bytes<T: BinaryFloatingPoint>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }",
            "func check<S: StreamUnderTest>(_ type: S.Type, _ dir: String, _ name: String, channels: Int, outChannels: Int, batch: Int,",
            "                               forward: ([S.Scalar], Int) -> [S.Scalar]) {",
            "    let signal = load(\"\\(dir)/\\(name).signal\", as: S.Scalar.self)",
            "    let batchOut = forward(load(\"\\(dir)/\\(name).batch\", as: S.Scalar.self), batch)",
            "    _ = FileManager.default.createFile(atPath: \"\\(dir)/\\(name).swift.batchout\", contents: bytes(batchOut))",
            "    guard let script = try? String(contentsOfFile: \"\\(dir)/\\(name).script\", encoding: .utf8) else { fatalError(\"no script\") }",
            "    var states = [S(), S()]",
            "    var counts = \"delay \\(S.delay)\\n\"",
            "    var out: [S.Scalar] = []",
            "    for line in script.split(separator: \"\\n\") {",
            "        let f = line.split(separator: \" \"), op = f[0]",
            "        let (state, offset, count, capacity) = (Int(f[1])!, Int(f[2])!, Int(f[3])!, Int(f[4])!)",
            "        var buffer = [S.Scalar](repeating: .nan, count: capacity * outChannels)",
            "        var written = 0",
            "        let frames = Array(signal[offset * channels ..< (offset + count) * channels])",
            "        switch op {",
            "        case \"R\": states[state].reset()",
            "        case \"F\": written = buffer.withUnsafeMutableBufferPointer { states[state].flush(into: $0) }",
            "        case \"f\": let got = states[state].flush(); written = got.count / outChannels; buffer.replaceSubrange(0 ..< got.count, with: got)",
            "        case \"P\": written = frames.withUnsafeBufferPointer { x in buffer.withUnsafeMutableBufferPointer { states[state].push(x, into: $0) } }",
            "        default: let got = states[state].push(frames); written = got.count / outChannels; buffer.replaceSubrange(0 ..< got.count, with: got)",
            "        }",
            "        counts += \"\\(written)\\n\"",
            "        out += buffer",
            "    }",
            "    _ = FileManager.default.createFile(atPath: \"\\(dir)/\\(name).swift.counts\", contents: Data(counts.utf8))",
            "    _ = FileManager.default.createFile(atPath: \"\\(dir)/\\(name).swift.out\", contents: bytes(out))",
            "}",
        ]
        for item in cases {
            lines.append("extension \(Identifier.swiftTypeName(item.name)).Stream: StreamUnderTest {}")
        }
        lines.append("let dir = CommandLine.arguments[1]")
        for item in cases {
            let type = Identifier.swiftTypeName(item.name)
            lines.append("check(\(type).Stream.self, dir, \"\(item.name)\", channels: \(item.plan.inputChannels), "
                         + "outChannels: \(item.plan.stream?.outputChannels ?? 0), batch: \(item.batch)) { \(type).forward($0, batch: $1) }")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Results

    /// Reads what a driver wrote for each case.
    static func collect(_ cases: [Case], _ work: URL, label: String, ran: Tools.Result) -> [String: Result<Run, Failure>] {
        var result: [String: Result<Run, Failure>] = [:]
        for item in cases {
            let file = { (suffix: String) in work.appendingPathComponent("\(item.name).\(label).\(suffix)") }
            guard let geometry = item.plan.stream,
                  let countText = try? String(contentsOf: file("counts"), encoding: .utf8),
                  let outData = try? Data(contentsOf: file("out")), let batchData = try? Data(contentsOf: file("batchout")) else {
                result[item.name] = .failure(Failure(message: "no output: the \(label) driver stopped (status \(ran.status)):\n" + Tools.tail(ran.stderr + ran.stdout, lines: 30)))
                continue
            }
            var countLines = countText.split(separator: "\n")
            let delay = countLines.isEmpty ? -1 : Int(countLines.removeFirst().dropFirst("delay ".count)) ?? -1
            let counts = countLines.compactMap { Int($0) }
            let values = decode(outData, item.plan.dtype)
            var outputs: [[Double]] = []
            var position = 0
            for operation in item.script {
                let size = capacity(operation, geometry) * geometry.outputChannels
                outputs.append(position + size <= values.count ? Array(values[position ..< position + size]) : [])
                position += size
            }
            guard counts.count == item.script.count, position == values.count else {
                result[item.name] = .failure(Failure(message: "\(label): \(counts.count) counts and \(values.count) values for \(item.script.count) operations "
                                                     + "(the driver stopped?):\n" + Tools.tail(ran.stderr, lines: 30)))
                continue
            }
            result[item.name] = .success(Run(counts: counts, outputs: outputs, delay: delay, batchOutput: decode(batchData, item.plan.dtype)))
        }
        return result
    }
}

/// The builds' results, gathered from the worker threads.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var runs: [StreamHarness.Build: [String: Result<StreamHarness.Run, StreamHarness.Failure>]] = [:]
    private(set) var timings: [(String, Double)] = []

    /// Runs `body` and records how long it took as `label`.
    func timed(_ label: String, _ body: () -> Void) {
        let started = Date()
        body()
        lock.lock()
        defer { lock.unlock() }
        timings.append((label, Date().timeIntervalSince(started)))
    }

    func set(_ build: StreamHarness.Build, _ results: [String: Result<StreamHarness.Run, StreamHarness.Failure>]) {
        lock.lock()
        defer { lock.unlock() }
        runs[build] = results
    }

    func merge(_ build: StreamHarness.Build, _ results: [String: Result<StreamHarness.Run, StreamHarness.Failure>]) {
        lock.lock()
        defer { lock.unlock() }
        runs[build, default: [:]].merge(results) { $1 }
    }
}

extension Array where Element == Double {
    /// The values as `dtype` bytes in this machine's order (the drivers run here).
    func encoded(_ dtype: DType) -> Data {
        dtype == .float32 ? map(Float.init).withUnsafeBytes { Data($0) } : withUnsafeBytes { Data($0) }
    }
}

extension StreamHarness {
    /// `dtype` values from bytes in this machine's order.
    static func decode(_ data: Data, _ dtype: DType) -> [Double] {
        data.withUnsafeBytes { raw in
            dtype == .float32 ? raw.bindMemory(to: Float.self).map(Double.init) : Array(raw.bindMemory(to: Double.self))
        }
    }
}
