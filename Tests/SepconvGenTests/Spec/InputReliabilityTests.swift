import Foundation
import Testing
@testable import SepconvGen

/// Limits checked before work, YAML 1.1 numbers, derived-name collisions,
/// bounded diagnostics, and the values the tool warns about (issue 13,
/// points 2, 3, 5, 6, 9 and the two "also seen"; issue 14's printer and `run` points).
@Suite struct InputReliabilityTests {
    /// A sparse file of `size` bytes that starts with `head`.
    @discardableResult
    static func sparse(_ path: String, head: [UInt8], size: Int) throws -> String {
        #expect(FileManager.default.createFile(atPath: path, contents: Data(head)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        return path
    }

    /// At most this much may be read by a run that must not read a big file.
    static let smallRead = 8 << 20

    // MARK: - 2 and 3. Sizes checked before reading

    @Test func aHugeSpecIsRefusedWithoutReadingIt() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try Self.sparse(scratch.path("s.yaml"), head: Array("name: tiny\n".utf8), size: 1 << 30)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")], timeout: 20)
        #expect(result.status == 1 && !result.crashed && !result.timedOut, "\(result)")
        #expect(result.errors.first?.message.contains("bytes are refused") == true, "\(result)")
        #expect((result.bytesRead ?? 0) < Self.smallRead, "read \(result.bytesRead ?? -1) bytes of a 1 GiB spec")
        #expect(result.busySeconds < 2, "\(result)")
    }

    @Test func aHugeInputIsRefusedWithoutReadingIt() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        let input = try Self.sparse(scratch.path("x.npy"), head: NPY.write(Tensor(shape: [1, 8, 2], repeating: 1), as: .float32), size: 1 << 30)
        let result = try CLIRunner.run(["run", spec, "--input", input, "-o", scratch.path("y.npy")], timeout: 20)
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("inputs over \(Limits.maxInputBytes) bytes are refused") == true, "\(result)")
        #expect((result.bytesRead ?? 0) < Self.smallRead, "read \(result.bytesRead ?? -1) bytes")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("y.npy")))
    }

    /// A valid input followed by 200 MB of junk (under the size limit): the
    /// header and the file's size disagree, so the data is never read.
    @Test func anInputWithATailOfJunkIsRefusedWithoutReadingIt() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        let input = try Self.sparse(scratch.path("x.npy"), head: NPY.write(Tensor(shape: [1, 8, 2], repeating: 1), as: .float32), size: 200 << 20)
        let result = try CLIRunner.run(["run", spec, "--input", input, "-o", scratch.path("y.npy")], timeout: 20)
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("the .npy data holds") == true, "\(result)")
        #expect((result.bytesRead ?? 0) < Self.smallRead, "read \(result.bytesRead ?? -1) bytes")
    }

    /// 200 MB of data whose header's shape the layer does not take: refused from the header.
    @Test func anInputOfTheWrongShapeIsRefusedFromItsHeader() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        let batch = (200 << 20) / (8 * 3 * 4)
        // The header of an empty (0, 8, 3) array, its shape made (batch, 8, 3) within the same padded length.
        var text = String(decoding: NPY.write(Tensor(shape: [0, 8, 3], scalars: []), as: .float32).dropFirst(10), as: UTF8.self)
        text = text.replacingOccurrences(of: "(0, 8, 3)", with: "(\(batch), 8, 3)")
        let extra = "\(batch)".count - 1
        text = String(text.dropLast(extra + 1)) + "\n"
        let empty = NPY.write(Tensor(shape: [0, 8, 3], scalars: []), as: .float32)
        let header = Array(empty.prefix(10)) + Array(text.utf8)
        #expect(header.count == empty.count)
        let input = try Self.sparse(scratch.path("x.npy"), head: header, size: header.count + batch * 8 * 3 * 4)
        let result = try CLIRunner.run(["run", spec, "--input", input, "-o", scratch.path("y.npy")], timeout: 20)
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("the layer takes") == true, "\(result)")
        #expect((result.bytesRead ?? 0) < Self.smallRead, "read \(result.bytesRead ?? -1) bytes")
    }

    @Test func aWeightFileWithATailOfJunkIsRefusedWithoutReadingIt() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        try Self.sparse(scratch.path("dw.npy"), head: NPY.write(Tensor(shape: [3, 2, 1], repeating: 1), as: .float32), size: 60 << 20)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")], timeout: 20)
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first.map { $0.line == 11 && $0.message.contains("the .npy data holds") } == true, "\(result)")
        #expect((result.bytesRead ?? 0) < Self.smallRead, "read \(result.bytesRead ?? -1) bytes")
    }

    @Test func runSaysWhichInputIsMissingAndTakesDashO() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        let missing = scratch.path("missing.npy")
        let result = try CLIRunner.run(["run", spec, "--input", missing, "-o", scratch.path("y.npy")])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.first.map { $0.file == missing && $0.message.contains("no such file") } == true, "\(result)")
        let input = try scratch.write("x.npy", NPY.write(Tensor(shape: [2, 8, 2], repeating: 0.25), as: .float32))
        let written = try CLIRunner.run(["run", spec, "--input", input, "-o", scratch.path("y.npy")])
        #expect(written.status == 0, "\(written)")
        #expect(try NPY.read([UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.path("y.npy"))))).tensor.shape == [2, 8, 3])
    }

    // MARK: - The diagnostic printer

    /// A one-line JSON spec with an error far along the line: a window
    /// around the column, the caret under the offending key.
    @Test func aLongLineIsShownAsAWindowWithTheCaretInPlace() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let padding = (0..<40).map { "\"name_\($0)\": \"x\"" }.joined(separator: ", ")
        let json = "{\"name\": \"tiny\", \"input\": {\"steps\": 8, \"channels\": 2}, \"layer\": {\"filters\": 3, \"kernel_size\": 3, "
            + "\"activation\": \"relu\", \"bogus_key\": 1}, \"weights\": null, \"zz\": {" + padding + "}, \"late_key\": 1}"
        let spec = try scratch.write("spec.json", json + "\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 1, "\(result)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.contains("unknown key 'bogus_key'") }, "\(result)")
        let error = try #require(CLIResult.parse(lines[index]))
        let shown = lines[index + 1], caret = lines[index + 2]
        #expect(json.count > 500 && shown.count < 120, "a window, not the whole line: \(shown.count) characters")
        let caretAt = try #require(caret.firstIndex(of: "^")).utf16Offset(in: caret)
        #expect(Array(shown)[caretAt...].starts(with: "\"bogus_key\""), "the caret is under the key: \n\(shown)\n\(caret)")
        #expect(Array(json)[(error.column - 1)...].starts(with: "\"bogus_key\""), "the column is the key's")
        // An error near the end of the line, past 500 characters: the caret is not clamped.
        let last = try #require(lines.firstIndex { $0.contains("unknown key 'late_key'") }, "\(result)")
        #expect(try #require(CLIResult.parse(lines[last])).column > 600)
        let lastCaret = try #require(lines[last + 2].firstIndex(of: "^")).utf16Offset(in: lines[last + 2])
        #expect(Array(lines[last + 1])[lastCaret...].starts(with: "\"late_key\""), "\n\(lines[last + 1])\n\(lines[last + 2])")
    }

    @Test func anNPYErrorDoesNotEchoTheBinaryHeader() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        var bytes = NPY.write(Tensor(shape: [1, 8, 2], repeating: 1), as: .float32)
        bytes.append(0)   // one byte too many
        let input = try scratch.write("x.npy", bytes)
        let result = try CLIRunner.run(["run", spec, "--input", input, "-o", scratch.path("y.npy")])
        #expect(result.status == 1, "\(result)")
        #expect(!result.stderr.contains("NUMPY"), "the binary header was printed: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "the headline only: \(result.stderr)")
    }

    @Test func sourceWindowsReadOnlyWhatTheyShow() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let line = String(repeating: "a", count: 300) + "X" + String(repeating: "b", count: 300)
        let path = try scratch.write("f.yaml", "short: 1\n" + line + "\r\nlast")
        let windows = SourceExcerpts.read(path, marks: [Mark(line: 1, column: 3), Mark(line: 2, column: 301), Mark(line: 3, column: 5), Mark(line: 9, column: 1)], limit: 1 << 20)
        #expect(windows[Mark(line: 1, column: 3)] == SourceWindow(Array("short: 1".unicodeScalars), firstColumn: 1, reachesLineEnd: true, column: 3))
        let middle = try #require(windows[Mark(line: 2, column: 301)])
        #expect(middle.text.hasPrefix("...") && middle.text.hasSuffix("...") && middle.text.count <= SourceWindow.width + 6, "\(middle.text)")
        #expect(Array(middle.text)[middle.caretOffset] == "X", "\(middle)")
        #expect(windows[Mark(line: 3, column: 5)]?.text == "last" && windows[Mark(line: 3, column: 5)]?.caretOffset == 4)
        #expect(windows[Mark(line: 9, column: 1)] == nil, "no line 9")
        #expect(SourceExcerpts.read("/dev/zero", marks: [Mark.start], limit: 1 << 20).isEmpty, "not a regular file")
    }

    // MARK: - 5. YAML 1.1 integers

    static func decode(_ yaml: String) -> Result<LayerSpec, DiagnosticError> {
        Result { () throws(DiagnosticError) in try SpecDecoder.decode(YAMLParser.parse(Array(yaml.utf8), file: "s.yaml"), file: "s.yaml").spec }
    }

    static func spec(filters: String) -> String {
        "name: t\ninput: {steps: 8, channels: 2}\nlayer: {filters: \(filters), kernel_size: 3}\n"
    }

    @Test(arguments: [("010", "010 is not read as a number: YAML 1.1 (this spec's YAML, and PyYAML's) reads '010' as octal (010 is 8)"), ("-010", "octal"), ("08", "as a string"), ("0o10", "YAML 1.2 reads '0o10' as an octal"),
                      ("1:30", "base-60"), ("00", "leading zero")])
    func ambiguousIntegersAreRefusedSayingWhy(_ text: String, _ reason: String) throws {
        guard case .failure(let error) = Self.decode(Self.spec(filters: text)) else {
            Issue.record("filters: \(text) was accepted")
            return
        }
        let first = try #require(error.diagnostics.first)
        #expect(first.mark == Mark(line: 3, column: 18) && first.message.contains(reason), "\(first.headline)")
    }

    @Test(arguments: [("0x10", 16), ("0b11", 3), ("1_000", 1000), ("+12", 12), ("0", 0)])
    func integersYAML11AndJSONAgreeOnAreRead(_ text: String, _ value: Int) throws {
        let yaml = "name: t\ninput: {steps: \(text), channels: 2}\nlayer: {filters: 2, kernel_size: 1, padding: same}\n"
        switch Self.decode(yaml) {
        case .success(let spec): #expect(spec.inputSteps == value)
        case .failure(let error):
            #expect(value < 1 && error.diagnostics.first?.message.contains("got \(value)") == true, "\(error.diagnostics.map(\.headline))")
        }
    }

    @Test func anAmbiguousInlineWeightSaysWhy() throws {
        let yaml = "name: t\ninput: {steps: 4, channels: 1}\nlayer: {filters: 1, kernel_size: 2, use_bias: false}\n"
            + "weights: {depthwise_kernel: [[[010]], [[1]]], pointwise_kernel: [[[1]]]}\n"
        guard case .failure(let error) = Self.decode(yaml) else {
            Issue.record("an inline 010 was accepted")
            return
        }
        #expect(error.diagnostics.first?.message.contains("leading zero") == true, "\(error.diagnostics.map(\.headline))")
    }

    // MARK: - 6. Derived names that collide

    @Test(arguments: [(["kws_block1", "kws_block_1", "kws__block1"], "all", "Swift type 'KwsBlock1'"),
                      (["kws_block1", "Kws_Block1"], "swift", "Swift type 'KwsBlock1'"),
                      (["kws_block1", "KWS_BLOCK1"], "c", "include guard 'SEPCONV_GEN_KWS_BLOCK1_H'"),
                      (["a", "a_INPUT_STEPS"], "c", "C name 'a_INPUT_STEPS'")])
    func namesThatCollideInOneFolderAreAPositionedError(_ names: [String], _ lang: String, _ clash: String) throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let specs = try names.enumerated().map { try CLITests.tinySpec(in: scratch, folder: "s\($0.offset)", name: $0.element) }
        let result = try CLIRunner.run(specs + ["-o", scratch.path("out"), "--lang", lang])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.count == names.count - 1, "each later spec is refused: \(result)")
        for (spec, error) in zip(specs.dropFirst(), result.errors) {
            #expect(error.file == spec && error.line == 1 && error.column == 7, "at the later spec's name: \(result)")
            #expect(error.message.contains(clash) && error.message.contains(specs[0]), "names the clash and the other spec: \(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
        // Each alone is fine.
        #expect(try CLIRunner.run([specs[1], "-o", scratch.path("alone"), "--lang", lang]).status == 0)
    }

    // MARK: - 9. Bounded work before the shape check, bounded errors

    @Test func aHugeInlineListIsRefusedBeforeItIsRead() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let count = 3_000_000
        let yaml = "name: t\ninput: {steps: 4, channels: 1}\nlayer: {filters: 2, kernel_size: 2, use_bias: false}\nweights:\n"
            + "  depthwise_kernel: [" + Array(repeating: "0", count: count).joined(separator: ",") + "]\n  pointwise_kernel: [[[1.0, 2.0]]]\n"
        let spec = try scratch.write("big.yaml", yaml)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")], timeout: 30)
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("values; no layer needs that many") == true, "\(result)")
        #expect(result.busySeconds < 4, "\(result)")
    }

    @Test func anInlineListIsCheckedAgainstTheLayerBeforeItsValues() throws {
        // 200,000 values where the layer takes 2: refused from the list's length, before a value is read (the 'x' is never reached).
        let yaml = "name: t\ninput: {steps: 4, channels: 1}\nlayer: {filters: 2, kernel_size: 2, use_bias: false}\nweights:\n"
            + "  depthwise_kernel: [" + Array(repeating: "0", count: 200_000).joined(separator: ",") + ", x]\n  pointwise_kernel: [[[1.0, 2.0]]]\n"
        guard case .failure(let error) = Self.decode(yaml) else {
            Issue.record("accepted")
            return
        }
        #expect(error.diagnostics.map(\.message) == ["depthwise_kernel has shape (200001,) but the layer needs (2, 1, 1)"])
    }

    @Test func errorsPrintedAreCapped() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let keys = (0..<50_000).map { "  unknown\($0): 1" }.joined(separator: "\n")
        let spec = try scratch.write("spec.yaml", "name: tiny\ninput: {steps: 8, channels: 2}\nlayer:\n  filters: 1\n  kernel_size: 1\n" + keys + "\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")], timeout: 30)
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.count == 100, "\(result.errors.count) errors printed")
        #expect(result.stderr.hasSuffix("sepconv-gen: and 49900 more errors\n"), "\(result.stderr.suffix(200))")
        #expect(result.stderr.utf8.count < 100_000)
    }

    // MARK: - Values that read as 0, outputs that overflow

    @Test func aWeightBelowTheSmallestFloat64IsAWarning() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try scratch.write("tiny.yaml", "name: t\ndtype: float64\ninput: {steps: 4, channels: 1}\n"
            + "layer: {filters: 1, kernel_size: 2, use_bias: false}\nweights:\n  depthwise_kernel: [[[1e-400]], [[1.0]]]\n  pointwise_kernel: [[[1.0]]]\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("\(spec):6:24: warning: 'weights.depthwise_kernel' holds 1e-400, which is below the smallest float64 and reads as 0"), "\(result)")
    }

    @Test func aFloat32WeightThatFlushesToZeroIsAWarning() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        try scratch.write("dw.npy", NPY.write(Tensor(shape: [3, 2, 1], scalars: [1e-50, 1, 1, 1, 1, 1]), as: .float64))
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains(":11:21: warning: depthwise_kernel holds 1e-50 at flat index 0, below the smallest float32"), "\(result)")
    }

    @Test func runWarnsWhenFiniteInputsOverflow() throws {
        let scratch = try ScratchFolder(prefix: "reliability")
        let spec = try CLITests.tinySpec(in: scratch)
        let input = try scratch.write("x.npy", NPY.write(Tensor(shape: [1, 8, 2], repeating: 3e38), as: .float32))
        let result = try CLIRunner.run(["run", spec, "--input", input, "-o", scratch.path("y.npy")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("\(input):1:1: warning: the output holds"), "\(result)")
        #expect(result.stderr.contains("overflowed float32"), "\(result)")
        let output = try NPY.read([UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.path("y.npy")))))
        #expect(output.tensor.scalars.contains { !$0.isFinite }, "the output is written as computed")
    }
}
