import Foundation
import Testing
@testable import SepconvGen

/// Hostile and broken specs and weight files, through the real binary: each
/// must end with exit status 1, a `FILE:LINE:COLUMN: error: ` line on stderr,
/// no output written, no crash and no hang (SPEC.md §1-2).
@Suite struct HostileInputTests {
    // MARK: - The base spec and its mutations

    /// Every key a spec can hold, one per line, valid as given; weights in dw.npy, pw.npy, b.npy.
    static let baseLines: [(path: String, text: String)] = [
        ("name", "name: tiny"),
        ("dtype", "dtype: float32"),
        ("input", "input:"),
        ("input.steps", "  steps: 8"),
        ("input.channels", "  channels: 2"),
        ("layer", "layer:"),
        ("layer.filters", "  filters: 3"),
        ("layer.kernel_size", "  kernel_size: 3"),
        ("layer.strides", "  strides: 1"),
        ("layer.padding", "  padding: same"),
        ("layer.data_format", "  data_format: channels_last"),
        ("layer.dilation_rate", "  dilation_rate: 1"),
        ("layer.depth_multiplier", "  depth_multiplier: 1"),
        ("layer.activation", "  activation: relu"),
        ("layer.use_bias", "  use_bias: true"),
        ("layer.depthwise_initializer", "  depthwise_initializer: glorot_uniform"),
        ("layer.pointwise_initializer", "  pointwise_initializer: glorot_uniform"),
        ("layer.bias_initializer", "  bias_initializer: zeros"),
        ("layer.seed", "  seed: 0"),
        ("layer.name", "  name: keras_name"),
        ("layer.trainable", "  trainable: true"),
        ("layer.dtype", "  dtype: float32"),
        ("layer.depthwise_regularizer", "  depthwise_regularizer: null"),
        ("layer.pointwise_regularizer", "  pointwise_regularizer: null"),
        ("layer.bias_regularizer", "  bias_regularizer: null"),
        ("layer.activity_regularizer", "  activity_regularizer: null"),
        ("layer.depthwise_constraint", "  depthwise_constraint: null"),
        ("layer.pointwise_constraint", "  pointwise_constraint: null"),
        ("layer.bias_constraint", "  bias_constraint: null"),
        ("weights", "weights:"),
        ("weights.depthwise_kernel", "  depthwise_kernel: dw.npy"),
        ("weights.pointwise_kernel", "  pointwise_kernel: pw.npy"),
        ("weights.bias", "  bias: b.npy"),
    ]

    /// The base spec with `path`'s value replaced by `value` (a section loses
    /// its children), and the 1-based line and column where `value` starts.
    static func spec(replacing path: String, with value: String) -> (text: String, line: Int, column: Int) {
        var lines: [String] = []
        var position = (line: 0, column: 0)
        for (entryPath, text) in baseLines {
            if entryPath.hasPrefix(path + ".") { continue }
            if entryPath == path {
                let indent = text.prefix { $0 == " " }.count
                let key = path.split(separator: ".").last.map(String.init) ?? path
                lines.append(String(repeating: " ", count: indent) + key + ": " + value)
                position = (lines.count, indent + key.count + 3)
            } else {
                lines.append(text)
            }
        }
        return (lines.joined(separator: "\n") + "\n", position.line, position.column)
    }

    /// The base spec without the keys in `removed` (and their children).
    static func spec(removing removed: Set<String>) -> String {
        baseLines.filter { entry in !removed.contains { entry.path == $0 || entry.path.hasPrefix($0 + ".") } }
            .map(\.text).joined(separator: "\n") + "\n"
    }

    /// The base spec's text.
    static var baseSpec: String { spec(removing: []) }

    /// Valid weights for the base spec: (kernel 3, channels 2, multiplier 1), (1, 2, 3), (3,).
    static let baseWeights: [String: [UInt8]] = [
        "dw.npy": NPY.write(Tensor(shape: [3, 2, 1], scalars: [0.5, -1, 0.25, 2, -0.75, 1.5]), as: .float32),
        "pw.npy": NPY.write(Tensor(shape: [1, 2, 3], scalars: [1, 0.5, -2, 0.125, 3, -1]), as: .float32),
        "b.npy": NPY.write(Tensor(shape: [3], scalars: [0.1, -0.2, 0.3]), as: .float32),
    ]

    /// An `.npy` file built by hand, for the kinds `NPY.write` will not make.
    static func npy(descr: String = "<f4", fortran: Bool = false, shape: String, values: [Double] = [],
                    payload: [UInt8]? = nil, major: UInt8 = 1, extraKeys: String = "") -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), \(extraKeys)'shape': \(shape), }"
        let prefix = major == 1 ? 10 : 12
        header += String(repeating: " ", count: (64 - (prefix + header.utf8.count + 1) % 64) % 64) + "\n"
        let length = header.utf8.count
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
        bytes += major == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)] : [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0]
        bytes += Array(header.utf8)
        if let payload { return bytes + payload }
        for value in values {
            switch descr {
            case "<f4": withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { bytes += $0 }
            case ">f4": withUnsafeBytes(of: Float(value).bitPattern.bigEndian) { bytes += $0 }
            case "<f8": withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            case ">f8": withUnsafeBytes(of: value.bitPattern.bigEndian) { bytes += $0 }
            case "<i4": withUnsafeBytes(of: Int32(value).littleEndian) { bytes += $0 }
            default: bytes += [UInt8](repeating: 0, count: 4)
            }
        }
        return bytes
    }

    // MARK: - The checks

    /// Writes `spec` as `spec.yaml` (with `files`, the base weights unless
    /// replaced) into a scratch folder, runs `sepconv-gen [prefix] spec.yaml -o out [extra]`,
    /// and checks the run was refused cleanly; `line`/`column`, when given,
    /// must be where an error points; `message`, a part of one error's text.
    @discardableResult
    static func expectRejected(_ spec: [UInt8], files: [String: [UInt8]?] = [:], extra: [String] = [],
                               line: Int? = nil, columns: ClosedRange<Int>? = nil, message: String? = nil,
                               within seconds: Double? = nil, setUp: (ScratchFolder) throws -> Void = { _ in },
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        let scratch = try ScratchFolder(prefix: "hostile")
        let specPath = try scratch.write("spec/spec.yaml", spec)
        var weights = baseWeights.mapValues { Optional($0) }
        weights.merge(files) { $1 }
        for (name, bytes) in weights {
            if let bytes { try scratch.write("spec/" + name, bytes) }
        }
        try setUp(scratch)
        let result = try CLIRunner.run([specPath, "-o", scratch.path("out")] + extra, timeout: 20, sourceLocation: sourceLocation)
        checkRefusal(result, scratch: scratch, file: specPath, line: line, columns: columns, message: message,
                     within: seconds, sourceLocation: sourceLocation)
        return result
    }

    @discardableResult
    static func expectRejected(_ spec: String, files: [String: [UInt8]?] = [:], extra: [String] = [],
                               line: Int? = nil, columns: ClosedRange<Int>? = nil, message: String? = nil,
                               within seconds: Double? = nil, setUp: (ScratchFolder) throws -> Void = { _ in },
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        try expectRejected(Array(spec.utf8), files: files, extra: extra, line: line, columns: columns, message: message,
                           within: seconds, setUp: setUp, sourceLocation: sourceLocation)
    }

    /// The common part of every refusal: status 1, no crash or hang, a positioned error, nothing written.
    static func checkRefusal(_ result: CLIResult, scratch: ScratchFolder, file: String?, line: Int?, columns: ClosedRange<Int>?,
                             message: String?, within seconds: Double?, sourceLocation: SourceLocation) {
        #expect(!result.timedOut, "hung (killed after 20 s)", sourceLocation: sourceLocation)
        #expect(!result.crashed, "crashed: \(result)", sourceLocation: sourceLocation)
        #expect(result.status == 1, "exit status: \(result)", sourceLocation: sourceLocation)
        #expect(!result.errorLines.isEmpty, "no FILE:LINE:COLUMN: error: line: \(result)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Program crashed"), "\(result)", sourceLocation: sourceLocation)
        #expect(scratch.contents(of: "out").isEmpty, "files were written: \(scratch.contents(of: "out"))", sourceLocation: sourceLocation)
        if let file {
            #expect(result.errors.contains { $0.file == file }, "no error names \(file): \(result)", sourceLocation: sourceLocation)
        }
        if let line {
            let hit = result.errors.contains { $0.line == line && (columns?.contains($0.column) ?? true) }
            #expect(hit, "no error at line \(line)\(columns.map { ", column \($0)" } ?? ""): \(result)", sourceLocation: sourceLocation)
        }
        if let message {
            #expect(result.errors.contains { $0.message.localizedCaseInsensitiveContains(message) },
                    "no error says '\(message)': \(result)", sourceLocation: sourceLocation)
        }
        if let seconds {
            #expect(result.busySeconds < seconds, "took more than \(seconds) s: \(result)", sourceLocation: sourceLocation)
        }
    }

    /// Deterministic junk.
    struct Junk: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
            var generator = Junk(state: seed)
            var bytes = [UInt8]()
            bytes.reserveCapacity(count)
            while bytes.count < count {
                withUnsafeBytes(of: generator.next()) { bytes += $0.prefix(count - bytes.count) }
            }
            return bytes
        }
    }

    // MARK: - Controls

    @Test func theBaseSpecIsAccepted() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let spec = try scratch.write("spec/spec.yaml", Self.baseSpec)
        for (name, bytes) in Self.baseWeights { try scratch.write("spec/" + name, bytes) }
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        #expect(result.errorLines.isEmpty)
        #expect(scratch.contents(of: "out") == ["tiny.c", "tiny.h", "tiny.swift"])
    }

    @Test func mutationsLandWhereExpected() {
        let mutated = Self.spec(replacing: "layer.filters", with: "XYZ")
        let line = mutated.text.split(separator: "\n", omittingEmptySubsequences: false)[mutated.line - 1]
        #expect(line == "  filters: XYZ")
        #expect(Array(line)[mutated.column - 1] == "X")
        #expect(!Self.spec(replacing: "input", with: "8").text.contains("steps"))
    }

    // MARK: - YAML itself

    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var bytes: [UInt8]
        var line: Int?
        var columns: ClosedRange<Int>?
        var message: String?
        var seconds: Double?
        var testDescription: String { label }

        init(_ label: String, _ text: String, line: Int? = nil, columns: ClosedRange<Int>? = nil, message: String? = nil, seconds: Double? = nil) {
            self.init(label, Array(text.utf8), line: line, columns: columns, message: message, seconds: seconds)
        }

        init(_ label: String, _ bytes: [UInt8], line: Int? = nil, columns: ClosedRange<Int>? = nil, message: String? = nil, seconds: Double? = nil) {
            self.label = label
            self.bytes = bytes
            self.line = line
            self.columns = columns
            self.message = message
            self.seconds = seconds
        }
    }

    static let billionLaughs: String = {
        var lines = ["a: &a [" + Array(repeating: "\"lol\"", count: 9).joined(separator: ", ") + "]"]
        let names = Array("abcdefghij").map(String.init)
        for index in 1..<names.count {
            lines.append("\(names[index]): &\(names[index]) [" + Array(repeating: "*\(names[index - 1])", count: 9).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    static let quadraticBlowup: String = {
        "a: &a [" + Array(repeating: "x", count: 2_000).joined(separator: ",") + "]\nb: [" + Array(repeating: "*a", count: 2_000).joined(separator: ",") + "]\n"
    }()

    static let yamlCases: [Case] = [
        Case("unclosed flow sequence", "name: [tiny\ninput: {steps: 8}\n", message: "YAML syntax error"),
        Case("unterminated double quote", "name: \"tiny\ninput: 3\n", message: "YAML syntax error"),
        Case("unterminated single quote", "name: 'tiny\n", message: "YAML syntax error"),
        Case("bad indentation", "name: tiny\ninput:\n    steps: 8\n  channels: 2\n", line: 4, message: "YAML syntax error"),
        Case("colons only", ": : :\n", message: ""),
        Case("mapping key is a mapping", "{a: 1}: x\n", line: 1, message: "mapping keys"),
        Case("mapping key is a list", "? [a, b]\n: x\n", line: 1, message: "mapping keys"),
        Case("unknown alias", "name: *nowhere\n", line: 1, columns: 7...7, message: "alias"),
        Case("unknown tag directive", "%TAG ! tag:x\n%TAG ! tag:y\n---\nname: tiny\n", message: "YAML syntax error"),
        Case("tab indentation", "name: tiny\ninput:\n\tsteps: 8\n\tchannels: 2\n", line: 3, message: "YAML syntax error"),
        Case("tab before a nested key", "name: tiny\ninput:\n  steps: 8\n \tchannels: 2\n", line: 4),
        Case("duplicate top-level key", baseSpec + "name: again\n", line: 34, columns: 1...1, message: "duplicate key 'name'"),
        Case("duplicate nested key", spec(replacing: "input.channels", with: "2\n  steps: 9").text, line: 6, columns: 3...3, message: "duplicate key 'steps'"),
        Case("duplicate key in a flow mapping", spec(replacing: "input", with: "{steps: 8, channels: 2, steps: 8}").text, line: 3, columns: 32...32, message: "duplicate key"),
        Case("duplicate key after quoting", "name: tiny\n\"name\": other\n", line: 2, message: "duplicate key"),
        Case("two documents", "---\n" + baseSpec + "---\nname: other\n", line: 35, columns: 1...1, message: "document"),
        Case("document end then another", baseSpec + "...\nname: other\n", line: 35, message: "document"),
        Case("two empty documents", "---\n---\n", line: 2, message: "document"),
        Case("billion laughs", billionLaughs, message: "alias", seconds: 2),
        Case("quadratic alias blowup", quadraticBlowup, line: 2, message: "alias", seconds: 2),
        Case("alias of the whole layer, repeated", baseSpec.replacingOccurrences(of: "layer:\n", with: "layer: &l\n") + "x: *l\n", message: "unknown key 'x'"),
        Case("10^5 nested flow sequences", "name: " + String(repeating: "[", count: 100_000), line: 1, message: "nested", seconds: 2),
        Case("10^5 nested flow mappings", String(repeating: "{a: ", count: 100_000), line: 1, message: "nested", seconds: 2),
        Case("10^5 nested block sequences", String(repeating: "- ", count: 100_000) + "x\n", line: 1, message: "nested", seconds: 2),
        Case("deep block mappings", (0..<1_000).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " x\n", message: "nested", seconds: 2),
        Case("empty file", "", line: 1, columns: 1...1, message: "empty"),
        // Reported at the end of the stream (2:1), a line past the text.
        Case("only a comment", "# nothing here\n", message: "empty"),
        Case("only blank lines", "\n\n   \n", message: "empty"),
        Case("only a document marker", "---\n", message: "mapping"),
        Case("null document", "~\n", line: 1, columns: 1...1, message: "mapping"),
        Case("a number", "42\n", line: 1, columns: 1...1, message: "mapping"),
        Case("a list", "- name: tiny\n", line: 1, columns: 1...1, message: "mapping"),
        Case("a long string", String(repeating: "x", count: 100_000), line: 1, message: "mapping"),
        Case("NUL byte in a value", Array("name: ti".utf8) + [0] + Array("ny\n".utf8), line: 1, message: "YAML syntax error"),
        Case("NUL byte first", [0] + Array(baseSpec.utf8), line: 1, columns: 1...1, message: "YAML syntax error"),
        Case("invalid UTF-8", Array("name: ".utf8) + [0xFF, 0xFE, 0x80] + Array("\n".utf8), line: 1, message: "YAML syntax error"),
        Case("overlong UTF-8", Array("name: ".utf8) + [0xC0, 0xAF] + Array("\n".utf8), line: 1),
        Case("UTF-16 surrogate as UTF-8", Array("name: ".utf8) + [0xED, 0xA0, 0x80] + Array("\n".utf8), line: 1),
        Case("control character", "name: tiny\u{7}\n", line: 1),
        Case("binary junk 4 KB", Junk.bytes(4_096, seed: 1)),
        Case("binary junk starting like YAML", Array("name: tiny\n".utf8) + Junk.bytes(4_096, seed: 2)),
        Case("5 MB of random junk", Junk.bytes(5 << 20, seed: 3), seconds: 10),
        Case("5 MB of printable junk", Junk.bytes(5 << 20, seed: 4).map { 0x20 + $0 % 0x5F }, seconds: 10),
        // libyaml allows simple keys of at most 1024 characters.
        Case("1 MB key", String(repeating: "k", count: 1 << 20) + ": 1\n", line: 1, message: "YAML syntax error"),
        Case("1000-character unknown key", String(repeating: "k", count: 1_000) + ": 1\n", line: 1, columns: 1...1, message: "unknown key"),
        Case("1 MB string value", "name: \"" + String(repeating: "n", count: 1 << 20) + "\"\n", line: 1, columns: 7...7, message: "name"),
    ]

    @Test(arguments: yamlCases)
    func brokenYAML(_ yaml: Case) throws {
        try Self.expectRejected(yaml.bytes, line: yaml.line, columns: yaml.columns,
                                message: yaml.message.flatMap { $0.isEmpty ? nil : $0 }, within: yaml.seconds)
    }

    /// libyaml reports reader errors (control characters, bad UTF-8) through
    /// `problem_offset`, not `problem_mark`: the error must still point at the byte.
    @Test(arguments: [
        Case("control character", Array("name: tiny\ninput: {steps: 8, channels: 2}\nlayer: {filters: 1, kernel_size: ".utf8) + [1] + Array("}\n".utf8),
             line: 3, columns: 34...34),
        Case("NUL byte", Array("name: tiny\n\n  # ok\nx: ab".utf8) + [0] + Array("\n".utf8), line: 4, columns: 6...6),
        Case("invalid UTF-8", Array("name: tiny\nx: \"".utf8) + [0xC3, 0x28] + Array("\"\n".utf8), line: 2, columns: 5...5),
    ])
    func readerErrorsPointAtTheByte(_ yaml: Case) throws {
        let result = try Self.expectRejected(yaml.bytes, message: "YAML syntax error")
        #expect(result.errors.contains { $0.line == yaml.line && yaml.columns?.contains($0.column) == true }, "\(result)")
    }

    /// Text from the spec or a weight file must not reach the terminal raw:
    /// an escape sequence in a message could rewrite what the user sees.
    @Test func messagesCarryNoControlCharacters() throws {
        let duplicate = try Self.expectRejected("\"\\e[2J\\e[31mkey\": 1\n\"\\e[2J\\e[31mkey\": 2\n", line: 2, message: "duplicate key")
        let npy = try Self.expectRejected(Self.baseSpec, files: ["dw.npy": Self.npy(descr: "\u{1B}[2J<f4", shape: "(3, 2, 1)",
                                                                                    payload: [UInt8](repeating: 0, count: 24))],
                                          line: 31, message: "dtype")
        let header = try Self.expectRejected(Self.baseSpec, files: ["dw.npy": Self.npy(shape: "(3, 2, 1)", values: [1, 2, 3, 4, 5, 6],
                                                                                       extraKeys: "'\u{1B}[2J': 1, ")],
                                             line: 31, message: "malformed")
        for result in [duplicate, npy, header] {
            #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B }, "\(result)")
        }
    }

    /// A spec may be 64 MB, so one list or mapping may hold millions of
    /// items: reading them must take time linear in their number.
    @Test(arguments: [
        Case("flat list of 40,000 items", "name: tiny\nx: [" + Array(repeating: "1", count: 40_000).joined(separator: ",") + "]\n"),
        Case("block list of 40,000 items", "name: tiny\nx:\n" + String(repeating: "- 1\n", count: 40_000)),
        Case("mapping of 40,000 keys", "name: tiny\nx: {" + (0..<40_000).map { "k\($0): 1" }.joined(separator: ", ") + "}\n"),
    ])
    func longCollectionsAreReadInLinearTime(_ yaml: Case) throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let spec = try scratch.write("spec.yaml", yaml.bytes)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")], timeout: 5)
        #expect(!result.timedOut && result.busySeconds < 2, "\(result)")
        if !result.timedOut {
            Self.checkRefusal(result, scratch: scratch, file: spec, line: 2, columns: 1...1, message: "unknown key",
                              within: nil, sourceLocation: #_sourceLocation)
        }
    }

    /// Thousands of errors (here unknown keys) must be reported in time linear
    /// in their number: each caret line must not re-split the whole file.
    @Test func manyErrorsAreReportedInLinearTime() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let keys = (0..<2_000).map { "  unknown\($0): 1" }.joined(separator: "\n")
        let spec = try scratch.write("spec.yaml", "name: tiny\ninput: {steps: 8, channels: 2}\nlayer:\n  filters: 1\n  kernel_size: 1\n" + keys + "\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")], timeout: 5)
        #expect(!result.timedOut && result.busySeconds < 2, "\(result)")
        if !result.timedOut {
            Self.checkRefusal(result, scratch: scratch, file: spec, line: 6, columns: 3...3, message: "unknown key",
                              within: nil, sourceLocation: #_sourceLocation)
            #expect(result.errors.count == 100, "the first 100 errors are printed")
            #expect(result.stderr.contains("and 1900 more errors"), "then how many more: \(result.stderr.suffix(200))")
        }
    }

    @Test func specOverTheSizeLimitIsRefusedWithoutReadingIt() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let path = scratch.path("huge.yaml")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("name: tiny\n".utf8)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(Limits.maxSpecBytes + 1))   // sparse: no time, no disk
        try handle.close()
        let result = try CLIRunner.run([path, "-o", scratch.path("out")])
        Self.checkRefusal(result, scratch: scratch, file: path, line: 1, columns: 1...1, message: "bytes",
                          within: 2, sourceLocation: #_sourceLocation)
    }

    @Test func missingSpecFolderSpecAndDirectory() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        try FileManager.default.createDirectory(atPath: scratch.path("folder.yaml"), withIntermediateDirectories: true)
        for path in [scratch.path("missing.yaml"), scratch.path("folder.yaml")] {
            let result = try CLIRunner.run([path, "-o", scratch.path("out")])
            Self.checkRefusal(result, scratch: scratch, file: path, line: 1, columns: 1...1, message: nil,
                              within: nil, sourceLocation: #_sourceLocation)
        }
    }

    @Test func emptySpecPath() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let result = try CLIRunner.run(["", "-o", scratch.path("out")])
        #expect(result.status == 1 && !result.crashed && !result.timedOut, "\(result)")
        #expect(scratch.contents(of: "out").isEmpty)
        #expect(!result.errorLines.isEmpty, "\(result)")
    }

    @Test func specThatIsAFIFODoesNotHang() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let path = scratch.path("fifo.yaml")
        try #require(mkfifo(path, 0o644) == 0)
        let result = try CLIRunner.run([path, "-o", scratch.path("out")], timeout: 10)
        Self.checkRefusal(result, scratch: scratch, file: path, line: nil, columns: nil, message: nil, within: nil,
                          sourceLocation: #_sourceLocation)
    }

    @Test func specThatIsAnEndlessDeviceDoesNotHang() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let result = try CLIRunner.run(["/dev/zero", "-o", scratch.path("out")], timeout: 10)
        Self.checkRefusal(result, scratch: scratch, file: "/dev/zero", line: nil, columns: nil, message: nil, within: nil,
                          sourceLocation: #_sourceLocation)
    }

    // MARK: - Wrong types for every key

    struct Mutation: Sendable, CustomTestStringConvertible {
        var path: String
        var value: String
        var message: String?
        var testDescription: String { "\(path): \(value.prefix(60))" }
    }

    static func mutations(_ paths: [String], _ values: [String], message: String? = nil) -> [Mutation] {
        paths.flatMap { path in values.map { Mutation(path: path, value: $0, message: message) } }
    }

    static let notIntegers = ["eight", "\"8\"", "'8'", "8.0", "8.5", "1e3", "true", "no", "null", "~", "{value: 8}", ".inf", "-.inf",
                              ".nan", "!!str 8", "0x", "--8", "8 8", "[]", "[[8]]", "[\"3\"]", "[true]", "[8, 8]"]
    static let notStrings = ["1", "1.5", "true", "[same]", "{same: 1}", "-1"]
    static let notBools = ["\"true\"", "'false'", "1", "0", "1.0", "null", "[true]", "{a: 1}", "t", "truth"]

    static let wrongTypes: [Mutation] =
        mutations(["input.steps", "input.channels", "layer.filters", "layer.depth_multiplier"], notIntegers + ["[8]"])
        + mutations(["layer.kernel_size", "layer.strides", "layer.dilation_rate"], notIntegers)
        + mutations(["layer.seed"], ["-1", "1.5", "\"0\"", "true", "[0]", "{a: 1}", "4294967296", "zero"])
        + mutations(["name"], notStrings + ["null", "\"\""])
        + mutations(["dtype"], notStrings + ["null", "float16", "bfloat16", "int8", "float", "Float32", "\"float32 \"", "mixed_float16"])
        + mutations(["layer.padding"], notStrings + ["null", "\"\"", "causal", "full", "same valid", "\"same\\0\"", "vaild"])
        + mutations(["layer.data_format"], notStrings + ["\"\"", "channels_middle", "NCW", "channels-last"])
        + mutations(["layer.activation"], notStrings + ["\"\"", "ReLU", "relu7", "threshold", "\"relu \"", "keras.activations.relu",
                                                        "{class_name: ReLU}", "lambda x: x"])
        + mutations(["layer.use_bias", "layer.trainable"], notBools)
        + mutations(["layer.depthwise_initializer", "layer.pointwise_initializer", "layer.bias_initializer"], [
            "1", "1.5", "true", "[glorot_uniform]", "bogus_init", "{config: {}}", "{class_name: 1}",
            "{class_name: GlorotUniform, config: 5}", "{class_name: GlorotUniform, config: {seed: x}}",
            "{class_name: GlorotUniform, config: {bogus: 1}}",
            "{class_name: GlorotUniform, extra: 1}", "{class_name: RandomNormal, config: {stddev: .nan}}",
            "{class_name: VarianceScaling, config: {scale: -1}}", "{class_name: VarianceScaling, config: {mode: sideways}}",
            "{class_name: Constant, config: {value: [1, 2]}}", "{class_name: Constant, config: {value: .inf}}",
        ])
        + mutations(["layer.name"], ["1", "[a]", "{a: 1}", "true"])
        + mutations(["layer.dtype"], ["1", "[float32]", "float16", "mixed_float16", "float64", "{class_name: DTypePolicy}",
                                      "{class_name: Bogus, config: {name: float32}}", "{class_name: DTypePolicy, config: {name: 5}}",
                                      "{class_name: DTypePolicy, config: 5}", "{class_name: DTypePolicy, config: {name: float32, x: 1}}"])
        + mutations(["layer.depthwise_regularizer", "layer.pointwise_regularizer", "layer.bias_regularizer",
                     "layer.activity_regularizer", "layer.depthwise_constraint", "layer.pointwise_constraint",
                     "layer.bias_constraint"], ["[l2]", "[]"])
        + mutations(["input"], ["8", "[8, 2]", "null", "{steps: 8}", "{steps: 8, channels: 2, batch: 1}", "{}", "steps"])
        + mutations(["layer"], ["3", "[filters]", "null", "{}", "SeparableConv1D"])
        + mutations(["weights"], ["dw.npy", "[1, 2]", "5", "{}", "true", "{depthwise_kernel: dw.npy}"])
        + mutations(["weights.depthwise_kernel", "weights.pointwise_kernel", "weights.bias"],
                    ["5", "1.5", "true", "null", "\"\"", "{a: 1}", "[]", "[[[1]]]", "[[[.nan, 1]]]", "[1, [2]]", "[[[\"a\"]]]",
                     "[[[1e39]]]", "[[[.inf]]]"])

    @Test(arguments: wrongTypes)
    func wrongValue(_ mutation: Mutation) throws {
        let (text, line, column) = Self.spec(replacing: mutation.path, with: mutation.value)
        try Self.expectRejected(text, line: line, columns: column...(column + max(mutation.value.count - 1, 0)), message: mutation.message)
    }

    /// Keras's `regularizers.get` and `constraints.get` refuse numbers, booleans
    /// ("Could not interpret regularizer identifier") and unknown names; so must the spec.
    @Test(arguments: mutations(["layer.depthwise_regularizer", "layer.bias_constraint", "layer.activity_regularizer"],
                               ["5", "true", "1.5", "no_such_regularizer"]))
    func regularizerOfTheWrongKind(_ mutation: Mutation) throws {
        let (text, line, column) = Self.spec(replacing: mutation.path, with: mutation.value)
        try Self.expectRejected(text, line: line, columns: column...column)
    }

    struct Missing: Sendable, CustomTestStringConvertible {
        var path: String
        var line: Int
        var testDescription: String { path }
    }

    /// A missing required key is reported at the mapping that lacks it.
    @Test(arguments: [Missing(path: "name", line: 1), Missing(path: "input", line: 1), Missing(path: "layer", line: 1),
                      Missing(path: "input.steps", line: 4), Missing(path: "input.channels", line: 4),
                      Missing(path: "layer.filters", line: 7), Missing(path: "layer.kernel_size", line: 7),
                      Missing(path: "weights.depthwise_kernel", line: 31), Missing(path: "weights.pointwise_kernel", line: 31),
                      Missing(path: "weights.bias", line: 31)])
    func missingRequiredKey(_ missing: Missing) throws {
        let key = missing.path.split(separator: ".").last.map(String.init) ?? missing.path
        try Self.expectRejected(Self.spec(removing: [missing.path]), line: missing.line, message: key)
    }

    @Test(arguments: [("spec", "nmae: x", "did you mean 'name'"), ("input", "  stpes: 8", "did you mean 'steps'"),
                      ("layer", "  fliters: 3", "did you mean 'filters'"), ("weights", "  bais: b.npy", "did you mean 'bias'"),
                      ("layer", "  kernel_regularizer: null", "unknown key"), ("layer", "  groups: 1", "unknown key")])
    func unknownKey(_ section: String, _ line: String, _ message: String) throws {
        var lines = Self.baseSpec.split(separator: "\n").map(String.init)
        let after = section == "spec" ? lines.count - 1 : (lines.firstIndex(of: section + ":") ?? 0)
        lines.insert(line, at: after + 1)
        try Self.expectRejected(lines.joined(separator: "\n") + "\n", line: after + 2,
                                columns: (line.prefix { $0 == " " }.count + 1)...(line.prefix { $0 == " " }.count + 1), message: message)
    }

    @Test func everyErrorIsReportedAtOnce() throws {
        var text = Self.spec(replacing: "input.steps", with: "zero").text
        text = text.replacingOccurrences(of: "  filters: 3", with: "  filters: -3")
        text = text.replacingOccurrences(of: "  padding: same", with: "  padding: sideways")
        let result = try Self.expectRejected(text)
        let lines = Set(result.errors.map(\.line))
        #expect(lines.isSuperset(of: [4, 7, 10]), "steps, filters and padding each get an error: \(result)")
    }

    // MARK: - Sizes

    static let sizeCases: [Mutation] =
        mutations(["input.steps", "input.channels", "layer.filters", "layer.kernel_size", "layer.strides", "layer.dilation_rate",
                   "layer.depth_multiplier"], ["0", "-1", "1000000000000", "-1000000000000", "9223372036854775807",
                                               "9223372036854775808", "-9223372036854775808", "100000000000000000000000000000",
                                               "0x7fffffffffffffff", "[1000000000000]", "[0]"])

    @Test(arguments: sizeCases)
    func absurdSize(_ mutation: Mutation) throws {
        let (text, line, column) = Self.spec(replacing: mutation.path, with: mutation.value)
        try Self.expectRejected(text, line: line, columns: column...(column + mutation.value.count - 1), within: 2)
    }

    @Test func stepsOfTenToTheTwelveAreRefusedAtOnce() throws {
        // Without weights: nothing may be sized from steps before it is checked.
        let text = Self.spec(removing: ["weights"]).replacingOccurrences(of: "steps: 8", with: "steps: 1000000000000")
        try Self.expectRejected(text, line: 4, columns: 10...10, within: 2)
    }

    /// Each value is allowed alone; together they exceed a limit on the layer.
    @Test(arguments: [
        ["input.steps": "1048576", "input.channels": "65536"],                     // 2^36 input values
        ["input.channels": "65536", "layer.depth_multiplier": "2"],                // depthwise channels
        ["input.channels": "65536", "layer.filters": "65536"],                     // 2^32 weights
        ["input.channels": "64", "layer.kernel_size": "1048576", "layer.padding": "same"],   // 2^26 weights
        ["input.steps": "1048576", "input.channels": "64", "layer.filters": "1024"],          // 7·10^10 multiply-adds
        ["input.steps": "1048576", "layer.filters": "65536", "input.channels": "1"],         // 2^36 output values
        ["input.steps": "4", "layer.kernel_size": "1048576", "layer.dilation_rate": "1048576", "layer.padding": "same"],
        ["input.steps": "1", "layer.kernel_size": "3", "layer.padding": "valid"],            // window longer than input
        ["input.steps": "8", "layer.kernel_size": "3", "layer.dilation_rate": "4", "layer.padding": "valid"],
    ])
    func sizesTooLargeTogether(_ values: [String: String]) throws {
        var lines = Self.spec(removing: ["weights"]).split(separator: "\n").map(String.init)
        for (path, value) in values {
            let index = try #require(Self.baseLines.firstIndex { $0.path == path })
            let key = path.split(separator: ".").last.map(String.init) ?? path
            lines[index] = "  \(key): \(value)"
        }
        try Self.expectRejected(lines.joined(separator: "\n") + "\n", within: 2)
    }

    /// `--unroll full` on a layer far past the unroll budget (10^9
    /// multiply-adds) must not try to print a statement for each: it is
    /// refused, or falls back, within seconds.
    @Test func forcedFullUnrollOfAHugeLayerEndsQuickly() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        try scratch.write("dw.npy", NPY.write(Tensor(shape: [3, 64, 1], repeating: 0.5), as: .float32))
        try scratch.write("pw.npy", NPY.write(Tensor(shape: [1, 64, 256], repeating: 0.25), as: .float32))
        let spec = try scratch.write("spec.yaml", """
            name: huge
            input: {steps: 65536, channels: 64}
            layer: {filters: 256, kernel_size: 3, padding: same, use_bias: false}
            weights: {depthwise_kernel: dw.npy, pointwise_kernel: pw.npy}

            """)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--unroll", "full", "--lang", "c"], timeout: 5)
        if !result.timedOut {
            #expect(!result.crashed, "\(result)")
        }
        #expect(!result.timedOut, "\(result)")
        #expect(result.status == 1 || result.status == 0, "\(result)")
        if result.status == 1 {
            #expect(!result.errorLines.isEmpty && scratch.contents(of: "out").isEmpty, "\(result)")
        }
    }

    /// `explain` draws the taps of each output step; for 10^6 steps it must stay short.
    @Test func explainOfAHugeLayerEndsQuickly() throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        try scratch.write("dw.npy", NPY.write(Tensor(shape: [3, 1, 1], repeating: 0.5), as: .float32))
        try scratch.write("pw.npy", NPY.write(Tensor(shape: [1, 1, 1], repeating: 0.25), as: .float32))
        let spec = try scratch.write("spec.yaml", """
            name: long_layer
            input: {steps: 1048576, channels: 1}
            layer: {filters: 1, kernel_size: 3, padding: same, use_bias: false}
            weights: {depthwise_kernel: dw.npy, pointwise_kernel: pw.npy}

            """)
        for arguments in [["explain", spec], ["explain", spec, "--json"]] {
            let result = try CLIRunner.run(arguments, timeout: 20)
            #expect(result.status == 0 && !result.timedOut && !result.crashed, "\(result)")
            #expect(result.stdout.utf8.count < 1 << 20, "\(arguments) printed \(result.stdout.utf8.count) bytes")
        }
    }

    // MARK: - Names

    static let badNames: [String] = [
        "int", "for", "void", "float", "double", "return", "struct", "class", "namespace", "template", "func", "protocol",
        "self", "Self", "let", "var", "main", "size_t", "memcpy", "expf", "NULL", "1abc", "9", "\"a b\"", "\"a*/b\"",
        "\"*/\"", "\"a\\\"b\"", "\"it's\"", "'a''b'", "\"a\\nb\"", "\"a\\tb\"", "\"a\\0b\"", "\"tiny\\u202e\"", "\"é\"",
        "\"ａ\"", "\"a-b\"", "\"a.b\"", "\"a/b\"", "\"../../evil\"", "\"/tmp/evil\"", "\"a\\\\b\"", "\"a#b\"", "\"a$b\"",
        "\"\"", "''", "\"_\"", "\"__\"", "\"__x\"", "\"_Abc\"", "swift", "int_", "float_", "_int", "array", "optional",
        "\"\(String(repeating: "a", count: 64))\"", String(repeating: "b", count: 200), String(repeating: "c", count: 100_000),
    ]

    @Test(arguments: badNames)
    func badName(_ name: String) throws {
        let (text, line, column) = Self.spec(replacing: "name", with: name)
        try Self.expectRejected(text, line: line, columns: column...column)
    }

    @Test(arguments: [String(repeating: "n", count: 63), "a", "_private", "x1_2_3", "Tiny", "tiny__block"])
    func goodName(_ name: String) throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let spec = try scratch.write("spec/spec.yaml", Self.spec(replacing: "name", with: name).text)
        for (file, bytes) in Self.baseWeights { try scratch.write("spec/" + file, bytes) }
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        #expect(scratch.contents(of: "out") == ["\(name).c", "\(name).h", "\(name).swift"])
    }

    // MARK: - Weight files

    struct WeightCase: Sendable, CustomTestStringConvertible {
        var label: String
        var file: String
        var bytes: [UInt8]?
        var message: String?
        var testDescription: String { label }
    }

    /// (file, line in the spec, first column of its value).
    static let weightLines = ["dw.npy": (31, 21), "pw.npy": (32, 21), "b.npy": (33, 9)]

    static let badWeightFiles: [WeightCase] = {
        let dw: [Double] = [0.5, -1, 0.25, 2, -0.75, 1.5]
        let valid = npy(shape: "(3, 2, 1)", values: dw)
        return [
            WeightCase(label: "missing", file: "dw.npy", bytes: nil, message: "depthwise_kernel"),
            WeightCase(label: "empty file", file: "dw.npy", bytes: [], message: "depthwise_kernel"),
            WeightCase(label: "magic only", file: "dw.npy", bytes: Array(valid.prefix(6)), message: "depthwise_kernel"),
            WeightCase(label: "truncated header", file: "dw.npy", bytes: Array(valid.prefix(40)), message: "truncated"),
            WeightCase(label: "truncated data", file: "dw.npy", bytes: Array(valid.dropLast(3)), message: "bytes"),
            WeightCase(label: "extra data", file: "dw.npy", bytes: valid + [0, 0, 0, 0], message: "bytes"),
            WeightCase(label: "not npy", file: "dw.npy", bytes: Array("depthwise weights\n".utf8), message: "magic"),
            WeightCase(label: "wrong shape", file: "dw.npy", bytes: npy(shape: "(2, 3, 1)", values: dw), message: "shape"),
            WeightCase(label: "two dimensions", file: "dw.npy", bytes: npy(shape: "(3, 2)", values: dw), message: "shape"),
            WeightCase(label: "four dimensions", file: "dw.npy", bytes: npy(shape: "(3, 2, 1, 1)", values: dw), message: "shape"),
            WeightCase(label: "pointwise transposed", file: "pw.npy", bytes: npy(shape: "(1, 3, 2)", values: dw), message: "pointwise_kernel"),
            WeightCase(label: "bias too long", file: "b.npy", bytes: npy(shape: "(4,)", values: [1, 2, 3, 4]), message: "bias"),
            WeightCase(label: "bias scalar", file: "b.npy", bytes: npy(shape: "()", values: [1]), message: "bias"),
            WeightCase(label: "int32", file: "dw.npy", bytes: npy(descr: "<i4", shape: "(3, 2, 1)", values: [1, 2, 3, 4, 5, 6]), message: "<i4"),
            WeightCase(label: "float16", file: "dw.npy", bytes: npy(descr: "<f2", shape: "(3, 2, 1)", payload: [UInt8](repeating: 0, count: 12)), message: "<f2"),
            WeightCase(label: "object", file: "dw.npy", bytes: npy(descr: "|O", shape: "(3, 2, 1)", payload: [UInt8](repeating: 0, count: 48)), message: "dtype"),
            WeightCase(label: "big-endian float32", file: "dw.npy", bytes: npy(descr: ">f4", shape: "(3, 2, 1)", values: dw), message: "big-endian"),
            WeightCase(label: "big-endian float64", file: "pw.npy", bytes: npy(descr: ">f8", shape: "(1, 2, 3)", values: dw), message: "big-endian"),
            WeightCase(label: "Fortran order", file: "dw.npy", bytes: npy(fortran: true, shape: "(3, 2, 1)", values: dw), message: "Fortran"),
            WeightCase(label: "NaN", file: "dw.npy", bytes: npy(shape: "(3, 2, 1)", values: [0, 1, .nan, 3, 4, 5]), message: "NaN"),
            WeightCase(label: "infinity", file: "pw.npy", bytes: npy(shape: "(1, 2, 3)", values: [0, 1, 2, .infinity, 4, 5]), message: "infinity"),
            WeightCase(label: "minus infinity", file: "b.npy", bytes: npy(shape: "(3,)", values: [0, -.infinity, 2]), message: "infinity"),
            WeightCase(label: "float64 overflowing float32", file: "b.npy", bytes: npy(descr: "<f8", shape: "(3,)", values: [0, 1e39, 2]), message: "float32"),
            WeightCase(label: "NaN as float64", file: "b.npy", bytes: npy(descr: "<f8", shape: "(3,)", values: [.nan, 1, 2]), message: "NaN"),
            WeightCase(label: "negative dimension", file: "dw.npy", bytes: npy(shape: "(-3, 2, 1)", values: dw), message: "malformed"),
            WeightCase(label: "huge shape", file: "dw.npy", bytes: npy(shape: "(999999999999, 999999999999, 1)", values: dw), message: "too large"),
            WeightCase(label: "overflowing shape", file: "dw.npy", bytes: npy(shape: "(99999999999, 99999999999, 99999999999)", values: dw), message: "dw.npy"),
            WeightCase(label: "zero-size shape", file: "dw.npy", bytes: npy(shape: "(0, 2, 1)"), message: "shape"),
            WeightCase(label: "unterminated header", file: "dw.npy", bytes: npy(shape: "(3, 2, 1", values: dw), message: "malformed"),
            WeightCase(label: "unknown version", file: "dw.npy", bytes: npy(shape: "(3, 2, 1)", values: dw, major: 4), message: "version"),
            WeightCase(label: "header length past the end", file: "dw.npy",
                       bytes: [0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0x7F] + Array("{'descr'".utf8), message: "truncated"),
            WeightCase(label: "non-ASCII header", file: "dw.npy",
                       bytes: npy(descr: "<f4\u{e9}", shape: "(3, 2, 1)", values: dw), message: "header"),
            WeightCase(label: "header with an extra key", file: "dw.npy",
                       bytes: npy(shape: "(3, 2, 1)", values: dw, extraKeys: "'x': 1, "), message: "'x'"),
            WeightCase(label: "header with a duplicate key", file: "dw.npy",
                       bytes: npy(shape: "(3, 2, 1)", values: dw, extraKeys: "'descr': '<f4', "), message: "duplicate"),
            WeightCase(label: "13-digit dimension", file: "dw.npy", bytes: npy(shape: "(1000000000000, 2, 1)", values: dw), message: "dw.npy"),
            WeightCase(label: "random junk", file: "dw.npy", bytes: Junk.bytes(1_000, seed: 9), message: "dw.npy"),
            WeightCase(label: "junk after a valid header", file: "dw.npy", bytes: Array(valid.dropLast(24)) + Junk.bytes(1_000, seed: 10), message: "bytes"),
        ]
    }()

    @Test(arguments: badWeightFiles)
    func badWeightFile(_ weight: WeightCase) throws {
        let position = try #require(Self.weightLines[weight.file])
        try Self.expectRejected(Self.baseSpec, files: [weight.file: weight.bytes], line: position.0,
                                columns: position.1...position.1, message: weight.message)
    }

    @Test func biasGivenWithUseBiasFalse() throws {
        try Self.expectRejected(Self.spec(replacing: "layer.use_bias", with: "false").text, line: 33, columns: 9...9, message: "use_bias")
    }

    @Test func weightFileThatIsAFolder() throws {
        try Self.expectRejected(Self.baseSpec, files: ["dw.npy": nil], line: 31, columns: 21...21, message: "not a file") { scratch in
            try FileManager.default.createDirectory(atPath: scratch.path("spec/dw.npy"), withIntermediateDirectories: true)
        }
    }

    @Test func weightFileThatIsAFIFODoesNotHang() throws {
        try Self.expectRejected(Self.baseSpec, files: ["dw.npy": nil], line: 31, columns: 21...21) { scratch in
            try #require(mkfifo(scratch.path("spec/dw.npy"), 0o644) == 0)
        }
    }

    @Test func weightFileOverTheSizeLimit() throws {
        try Self.expectRejected(Self.baseSpec, files: ["dw.npy": nil], line: 31, columns: 21...21, message: "bytes", within: 2) { scratch in
            let path = scratch.path("spec/dw.npy")
            #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.npy(shape: "(3, 2, 1)", values: [1, 2, 3, 4, 5, 6]))))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: UInt64(Limits.maxWeightFileBytes + 1))
            try handle.close()
        }
    }

    @Test func weightSymlinkLoop() throws {
        try Self.expectRejected(Self.baseSpec, files: ["dw.npy": nil], line: 31, columns: 21...21) { scratch in
            try FileManager.default.createSymbolicLink(atPath: scratch.path("spec/dw.npy"), withDestinationPath: "dw.npy")
        }
    }

    // MARK: - Paths that leave the spec's folder

    /// A valid dw.npy outside the spec's folder, in `outside/`.
    static func placeOutside(_ scratch: ScratchFolder) throws {
        try scratch.write("outside/dw.npy", baseWeights["dw.npy"] ?? [])
    }

    @Test func absoluteWeightPath() throws {
        try Self.expectRejected(Self.baseSpec.replacingOccurrences(of: "depthwise_kernel: dw.npy", with: "depthwise_kernel: ABSOLUTE"),
                                             line: 31, columns: 21...21, message: "absolute") { scratch in
            try Self.placeOutside(scratch)
            let outsidePath = scratch.path("outside/dw.npy")
            let spec = scratch.path("spec/spec.yaml")
            let text = try String(contentsOfFile: spec, encoding: .utf8).replacingOccurrences(of: "ABSOLUTE", with: "\"\(outsidePath)\"")
            try text.write(toFile: spec, atomically: true, encoding: .utf8)
        }
    }

    @Test func absoluteSystemPath() throws {
        try Self.expectRejected(Self.spec(replacing: "weights.depthwise_kernel", with: "/etc/passwd").text, line: 31, columns: 21...21)
    }

    @Test(arguments: ["../outside/dw.npy", "./../outside/dw.npy", "sub/../../outside/dw.npy", "..", "../../../../../../etc/passwd"])
    func dotDotWeightPath(_ path: String) throws {
        try Self.expectRejected(Self.spec(replacing: "weights.depthwise_kernel", with: "\"\(path)\"").text, line: 31, columns: 21...21) { scratch in
            try Self.placeOutside(scratch)
            try FileManager.default.createDirectory(atPath: scratch.path("spec/sub"), withIntermediateDirectories: true)
        }
    }

    @Test func symlinkFileOutOfTheSpecFolder() throws {
        try Self.expectRejected(Self.baseSpec, files: ["dw.npy": nil], line: 31, columns: 21...21, message: "link") { scratch in
            try Self.placeOutside(scratch)
            try FileManager.default.createSymbolicLink(atPath: scratch.path("spec/dw.npy"), withDestinationPath: "../outside/dw.npy")
        }
    }

    @Test func symlinkFolderOutOfTheSpecFolder() throws {
        try Self.expectRejected(Self.spec(replacing: "weights.depthwise_kernel", with: "linked/dw.npy").text, line: 31, columns: 21...21) { scratch in
            try Self.placeOutside(scratch)
            try FileManager.default.createSymbolicLink(atPath: scratch.path("spec/linked"), withDestinationPath: scratch.path("outside"))
        }
    }

    @Test func symlinkToADevice() throws {
        try Self.expectRejected(Self.baseSpec, files: ["dw.npy": nil], line: 31, columns: 21...21) { scratch in
            try FileManager.default.createSymbolicLink(atPath: scratch.path("spec/dw.npy"), withDestinationPath: "/dev/zero")
        }
    }

    /// The same paths are accepted once `--weights-root` names a folder that holds them.
    @Test(arguments: ["../outside/dw.npy", "ABSOLUTE", "linked-file", "linked-folder/dw.npy"])
    func weightsRootAllowsPathsInsideIt(_ kind: String) throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        try Self.placeOutside(scratch)
        for (name, bytes) in Self.baseWeights where name != "dw.npy" { try scratch.write("spec/" + name, bytes) }
        var path = kind
        switch kind {
        case "ABSOLUTE": path = scratch.path("outside/dw.npy")
        case "linked-file":
            path = "dw.npy"
            try FileManager.default.createSymbolicLink(atPath: scratch.path("spec/dw.npy"), withDestinationPath: "../outside/dw.npy")
        case "linked-folder/dw.npy":
            try FileManager.default.createSymbolicLink(atPath: scratch.path("spec/linked-folder"), withDestinationPath: scratch.path("outside"))
        default: break
        }
        let spec = try scratch.write("spec/spec.yaml", Self.spec(replacing: "weights.depthwise_kernel", with: "\"\(path)\"").text)
        let refused = try CLIRunner.run([spec, "-o", scratch.path("refused")])
        #expect(refused.status == 1, "without --weights-root: \(refused)")
        let accepted = try CLIRunner.run([spec, "-o", scratch.path("out"), "--weights-root", scratch.path("outside")])
        #expect(accepted.status == 0, "with --weights-root: \(accepted)")
        #expect(scratch.contents(of: "out") == ["tiny.c", "tiny.h", "tiny.swift"])
        // A root that does not hold the file does not help.
        let elsewhere = scratch.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let stillRefused = try CLIRunner.run([spec, "-o", scratch.path("refused"), "--weights-root", elsewhere])
        #expect(stillRefused.status == 1, "with an unrelated --weights-root: \(stillRefused)")
        #expect(scratch.contents(of: "refused").isEmpty)
    }

    @Test func weightsRootDoesNotOpenItsSiblings() throws {
        // A root of /x/out must not admit /x/outside (a prefix match on the text would).
        try Self.expectRejected(Self.spec(replacing: "weights.depthwise_kernel", with: "\"../outside/dw.npy\"").text,
                                extra: ["--weights-root", NSTemporaryDirectory() + "/nonexistent-root"], line: 31) { scratch in
            try Self.placeOutside(scratch)
        }
        let scratch = try ScratchFolder(prefix: "hostile")
        try Self.placeOutside(scratch)
        try FileManager.default.createDirectory(atPath: scratch.path("out"), withIntermediateDirectories: true)
        for (name, bytes) in Self.baseWeights where name != "dw.npy" { try scratch.write("spec/" + name, bytes) }
        let spec = try scratch.write("spec/spec.yaml", Self.spec(replacing: "weights.depthwise_kernel", with: "\"../outside/dw.npy\"").text)
        let result = try CLIRunner.run([spec, "-o", scratch.path("gen"), "--weights-root", scratch.path("out")])
        #expect(result.status == 1, "\(result)")
    }

    // MARK: - The other commands refuse the same way

    @Test(arguments: ["explain", "explain-json", "run"])
    func otherCommandsRefuseHostileSpecs(_ command: String) throws {
        let specs = [Self.spec(replacing: "input.steps", with: "1000000000000").text, "name: " + String(repeating: "[", count: 100_000),
                     Self.billionLaughs, Self.spec(replacing: "name", with: "\"a*/b\"").text]
        for text in specs {
            let scratch = try ScratchFolder(prefix: "hostile")
            let spec = try scratch.write("spec/spec.yaml", text)
            for (name, bytes) in Self.baseWeights { try scratch.write("spec/" + name, bytes) }
            let input = try scratch.write("x.npy", NPY.write(Tensor(shape: [1, 8, 2], repeating: 1), as: .float32))
            let arguments: [String] = switch command {
            case "explain": ["explain", spec]
            case "explain-json": ["explain", spec, "--json"]
            default: ["run", spec, "--input", input, "--output", scratch.path("out/y.npy")]
            }
            let result = try CLIRunner.run(arguments)
            Self.checkRefusal(result, scratch: scratch, file: spec, line: nil, columns: nil, message: nil, within: 5,
                              sourceLocation: #_sourceLocation)
            #expect(result.stdout.isEmpty, "\(result)")
        }
    }

    // MARK: - The Keras rejects

    /// The specs Keras itself refuses (`Fixtures/keras-rejects`).
    static let kerasRejects: [String] = {
        let folder = Fixtures.url("keras-rejects")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func thereAreKerasRejects() {
        #expect(Self.kerasRejects.count >= 10, "Fixtures/keras-rejects holds \(Self.kerasRejects.count) specs")
    }

    @Test(arguments: kerasRejects)
    func kerasRejectIsRejected(_ name: String) throws {
        let scratch = try ScratchFolder(prefix: "hostile")
        let spec = Fixtures.url("keras-rejects/\(name)").path
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        Self.checkRefusal(result, scratch: scratch, file: spec, line: nil, columns: nil, message: nil, within: 5,
                          sourceLocation: #_sourceLocation)
    }
}
