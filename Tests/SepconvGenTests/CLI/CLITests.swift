import Foundation
import Testing
@testable import SepconvGen

/// The `sepconv-gen` binary as users and build systems call it (SPEC.md §2).
@Suite struct CLITests {
    // MARK: - Helpers

    /// A small valid spec with `.npy` weights, in a scratch folder: `spec.yaml`
    /// (named `tiny`), `dw.npy`, `pw.npy`, `b.npy`.
    @discardableResult
    static func tinySpec(in scratch: ScratchFolder, folder: String = "", name: String = "tiny",
                         activation: String = "relu") throws -> String {
        let prefix = folder.isEmpty ? "" : folder + "/"
        try scratch.write(prefix + "dw.npy", NPY.write(Tensor(shape: [3, 2, 1], scalars: [0.5, -1, 0.25, 2, -0.75, 1.5]), as: .float32))
        try scratch.write(prefix + "pw.npy", NPY.write(Tensor(shape: [1, 2, 3], scalars: [1, 0.5, -2, 0.125, 3, -1]), as: .float32))
        try scratch.write(prefix + "b.npy", NPY.write(Tensor(shape: [3], scalars: [0.1, -0.2, 0.3]), as: .float32))
        return try scratch.write(prefix + "spec.yaml", """
            name: \(name)
            input:
              steps: 8
              channels: 2
            layer:
              filters: 3
              kernel_size: 3
              padding: same
              activation: \(activation)
            weights:
              depthwise_kernel: dw.npy
              pointwise_kernel: pw.npy
              bias: b.npy

            """)
    }

    /// The inode and modification time of `path`.
    static func identity(_ path: String) throws -> (inode: UInt64, modified: Date) {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let inode = try #require((attributes[.systemFileNumber] as? NSNumber)?.uint64Value)
        let modified = try #require(attributes[.modificationDate] as? Date)
        return (inode, modified)
    }

    static func bytes(_ path: String) -> Data? {
        FileManager.default.contents(atPath: path)
    }

    /// Splits a Make rule's word list at unescaped spaces and undoes Make's escapes.
    static func makeWords(_ text: Substring) -> [String] {
        var words: [String] = []
        var current = ""
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            switch character {
            case "\\":
                if let next = characters.popFirst() { current.append(next) }
            case "$":
                if characters.first == "$" { characters.removeFirst() }
                current.append("$")
            case " ", "\t":
                if !current.isEmpty { words.append(current) }
                current = ""
            default:
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `path` made absolute against `directory` and standardised.
    static func absolute(_ path: String, from directory: URL) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)
        return url.standardizedFileURL.resolvingSymlinksInPath().path
    }

    // MARK: - Generating

    @Test func writesHeaderSourceAndSwift() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        #expect(!result.crashed)
        #expect(scratch.contents(of: "out") == ["tiny.c", "tiny.h", "tiny.swift"], "no temporary files may be left behind")
        let header = String(decoding: Self.bytes(scratch.path("out/tiny.h")) ?? Data(), as: UTF8.self)
        #expect(header.contains("#define tiny_INPUT_STEPS"))
        #expect(header.contains("void tiny(const float *input, float *output, size_t batch);"))
        let swift = String(decoding: Self.bytes(scratch.path("out/tiny.swift")) ?? Data(), as: UTF8.self)
        #expect(swift.contains("public enum Tiny"))
    }

    @Test func generateIsTheDefaultSubcommand() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let implicit = try CLIRunner.run([spec, "-o", scratch.path("a")])
        let explicit = try CLIRunner.run(["generate", spec, "-o", scratch.path("b")])
        #expect(implicit.status == 0 && explicit.status == 0, "\(implicit)\n\(explicit)")
        for name in ["tiny.h", "tiny.c", "tiny.swift"] {
            #expect(Self.bytes(scratch.path("a/\(name)")) == Self.bytes(scratch.path("b/\(name)")))
        }
    }

    @Test(arguments: [("c", ["tiny.c", "tiny.h"]), ("swift", ["tiny.swift"]), ("all", ["tiny.c", "tiny.h", "tiny.swift"])])
    func langSelectsTheFiles(_ lang: String, _ expected: [String]) throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--lang", lang])
        #expect(result.status == 0, "\(result)")
        #expect(scratch.contents(of: "out") == expected)
    }

    @Test func unknownLangIsAUsageError() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--lang", "rust"])
        #expect(result.status != 0 && !result.crashed, "\(result)")
        #expect(scratch.contents(of: "out").isEmpty)
    }

    @Test func severalSpecsAtOnce() throws {
        let scratch = try ScratchFolder()
        let first = try Self.tinySpec(in: scratch, folder: "a", name: "layer_a")
        let second = try Self.tinySpec(in: scratch, folder: "b", name: "layer_b")
        let result = try CLIRunner.run([first, second, "-o", scratch.path("out")])
        #expect(result.status == 0, "\(result)")
        #expect(scratch.contents(of: "out") == ["layer_a.c", "layer_a.h", "layer_a.swift", "layer_b.c", "layer_b.h", "layer_b.swift"])
    }

    @Test func twoSpecsWithOneNameCollide() throws {
        let scratch = try ScratchFolder()
        let first = try Self.tinySpec(in: scratch, folder: "a", name: "same")
        let second = try Self.tinySpec(in: scratch, folder: "b", name: "same")
        let result = try CLIRunner.run([first, second, "-o", scratch.path("out")])
        #expect(result.status == 1, "\(result)")
        let error = try #require(result.errors.first, "\(result)")
        #expect(error.file == second && error.line == 1, "the error points at the second spec's name: \(result)")
        #expect(scratch.contents(of: "out").isEmpty)
    }

    @Test func oneBadSpecAmongGoodOnesWritesNothing() throws {
        let scratch = try ScratchFolder()
        let good = try Self.tinySpec(in: scratch, folder: "good", name: "good")
        let bad = try scratch.write("bad.yaml", "name: bad\n")
        let result = try CLIRunner.run([good, bad, "-o", scratch.path("out"), "--depfile", scratch.path("deps.d")])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.allSatisfy { $0.file == bad }, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("deps.d")))
    }

    @Test func outputIsDeterministic() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        for folder in ["one", "two"] {
            let result = try CLIRunner.run([spec, "-o", scratch.path(folder)])
            #expect(result.status == 0, "\(result)")
        }
        for name in ["tiny.h", "tiny.c", "tiny.swift"] {
            let one = try #require(Self.bytes(scratch.path("one/\(name)")))
            #expect(one == Self.bytes(scratch.path("two/\(name)")), "\(name) differs between two runs")
        }
    }

    @Test func unchangedFilesAreNotRewritten() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let first = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(first.status == 0, "\(first)")
        let names = ["tiny.h", "tiny.c", "tiny.swift"]
        let before = try names.map { try Self.identity(scratch.path("out/\($0)")) }
        usleep(50_000)
        let second = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(second.status == 0, "\(second)")
        for (name, old) in zip(names, before) {
            let now = try Self.identity(scratch.path("out/\(name)"))
            #expect(now.inode == old.inode && now.modified == old.modified, "\(name) was rewritten although unchanged")
        }

        // A change in the spec does reach the files, through a new file (rename).
        try Self.tinySpec(in: scratch, activation: "tanh")
        let third = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(third.status == 0, "\(third)")
        let source = String(decoding: Self.bytes(scratch.path("out/tiny.c")) ?? Data(), as: UTF8.self)
        #expect(source.contains("tanh"))
        #expect(try Self.identity(scratch.path("out/tiny.c")).inode != before[1].inode)
        #expect(scratch.contents(of: "out") == names.sorted())
    }

    @Test func missingOutputFolderIsCreatedLikeMkdirP() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let result = try CLIRunner.run([spec, "-o", scratch.path("a/b/c/d")])
        #expect(result.status == 0, "\(result)")
        #expect(scratch.contents(of: "a/b/c/d") == ["tiny.c", "tiny.h", "tiny.swift"])
    }

    @Test func relativeSpecAndOutputPathsWork() throws {
        let scratch = try ScratchFolder()
        try Self.tinySpec(in: scratch, folder: "specs")
        let result = try CLIRunner.run(["specs/spec.yaml", "-o", "gen"], in: scratch.url)
        #expect(result.status == 0, "\(result)")
        #expect(scratch.contents(of: "gen") == ["tiny.c", "tiny.h", "tiny.swift"])
    }

    @Test func outputFolderThatIsAFileIsAClearError() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let file = try scratch.write("occupied", "not a folder\n")
        for output in [file, file + "/sub"] {
            let result = try CLIRunner.run([spec, "-o", output])
            #expect(result.status == 1 && !result.crashed, "\(result)")
            let error = try #require(result.errors.first, "\(result)")
            #expect(error.message.contains("output folder"), "the message says what failed: \(error.message)")
        }
        #expect(Self.bytes(file) == Data("not a folder\n".utf8))
    }

    @Test(.enabled(if: geteuid() != 0, "root ignores file permissions"))
    func readOnlyOutputFolderIsAClearError() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let locked = scratch.path("locked")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        #expect(chmod(locked, 0o555) == 0)
        defer { _ = chmod(locked, 0o755) }
        for output in [locked, locked + "/sub"] {
            let result = try CLIRunner.run([spec, "-o", output])
            #expect(result.status == 1 && !result.crashed, "\(result)")
            #expect(!result.errors.isEmpty, "a positioned error names the folder: \(result)")
            #expect(scratch.contents(of: "locked").isEmpty)
        }
    }

    @Test func outputPathThatIsAFolderFailsCleanly() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        // tiny.c cannot be written: a folder holds its place.
        try FileManager.default.createDirectory(atPath: scratch.path("out/tiny.c/inner"), withIntermediateDirectories: true)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(!result.errors.isEmpty, "\(result)")
        #expect(!scratch.contents(of: "out").contains { $0.hasSuffix(".tmp") }, "no temporary file is left behind: \(scratch.contents(of: "out"))")
    }

    // MARK: - --check

    @Test func checkOnAnEmptyFolderFailsAndWritesNothing() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--check"])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.count == 3, "one error per missing file: \(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")), "--check must not create the folder")
    }

    @Test func checkPassesWhenUpToDateAndTouchesNothing() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        #expect(try CLIRunner.run([spec, "-o", scratch.path("out")]).status == 0)
        let names = ["tiny.h", "tiny.c", "tiny.swift"]
        let before = try names.map { try Self.identity(scratch.path("out/\($0)")) }
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--check"])
        #expect(result.status == 0, "\(result)")
        #expect(result.errorLines.isEmpty)
        for (name, old) in zip(names, before) {
            let now = try Self.identity(scratch.path("out/\(name)"))
            #expect(now.inode == old.inode && now.modified == old.modified, "--check touched \(name)")
        }
    }

    @Test func checkFailsOnAChangedFileAndLeavesIt() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        #expect(try CLIRunner.run([spec, "-o", scratch.path("out")]).status == 0)
        let edited = Data("/* edited by hand */\n".utf8)
        try edited.write(to: URL(fileURLWithPath: scratch.path("out/tiny.c")))
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--check"])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.count == 1 && result.errors.first?.file.hasSuffix("tiny.c") == true, "\(result)")
        #expect(Self.bytes(scratch.path("out/tiny.c")) == edited, "--check must not rewrite the stale file")
    }

    @Test func checkFailsOnAMissingFileAndLeavesItMissing() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        #expect(try CLIRunner.run([spec, "-o", scratch.path("out")]).status == 0)
        try FileManager.default.removeItem(atPath: scratch.path("out/tiny.swift"))
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--check"])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.count == 1 && result.errors.first?.file.hasSuffix("tiny.swift") == true, "\(result)")
        #expect(scratch.contents(of: "out") == ["tiny.c", "tiny.h"])
        // Only the selected languages are checked.
        #expect(try CLIRunner.run([spec, "-o", scratch.path("out"), "--check", "--lang", "c"]).status == 0)
    }

    @Test func checkWithABadSpecFailsWithItsError() throws {
        let scratch = try ScratchFolder()
        let spec = try scratch.write("bad.yaml", "name: bad\ninput: {steps: 0, channels: 1}\nlayer: {filters: 1, kernel_size: 1}\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--check"])
        #expect(result.status == 1, "\(result)")
        #expect(result.errors.first.map { $0.line == 2 } == true, "\(result)")
    }

    // MARK: - --depfile

    @Test func depfileNamesOutputsSpecAndWeights() throws {
        let scratch = try ScratchFolder()
        // A folder with a space and a '#': Make needs them escaped.
        try Self.tinySpec(in: scratch, folder: "my specs#1")
        let result = try CLIRunner.run(["my specs#1/spec.yaml", "-o", "gen", "--depfile", "gen/tiny.d"], in: scratch.url)
        #expect(result.status == 0, "\(result)")
        let text = String(decoding: Self.bytes(scratch.path("gen/tiny.d")) ?? Data(), as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        let rule = try #require(lines.first, "empty depfile")
        // The first ':' that is not escaped separates targets from prerequisites.
        let colon = try #require(rule.range(of: ": "), "no rule in \(text)")
        let targets = Self.makeWords(rule[..<colon.lowerBound]).map { Self.absolute($0, from: scratch.url) }
        let prerequisites = Self.makeWords(rule[colon.upperBound...]).map { Self.absolute($0, from: scratch.url) }
        let out = scratch.url.resolvingSymlinksInPath()
        #expect(Set(targets) == Set(["tiny.h", "tiny.c", "tiny.swift"].map { out.appendingPathComponent("gen/\($0)").path }), "\(text)")
        #expect(Set(prerequisites) == Set(["spec.yaml", "dw.npy", "pw.npy", "b.npy"].map { out.appendingPathComponent("my specs#1/\($0)").path }), "\(text)")
        #expect(prerequisites.count == 4, "each prerequisite once: \(text)")
        #expect(rule.contains("my\\ specs\\#1/spec.yaml"), "spaces and '#' escaped as Make reads them: \(text)")
        // Every prerequisite also gets an empty rule, so Make does not fail when one is deleted.
        #expect(lines.count == 5, "\(text)")
        for line in lines.dropFirst() {
            #expect(line.hasSuffix(":"), "\(line)")
        }
        // The depfile works with make itself, when it is installed.
        if let make = ["/usr/bin/make", "/bin/make"].first(where: FileManager.default.isExecutableFile(atPath:)) {
            let makefile = try scratch.write("Makefile", "all: gen/tiny.c\ngen/tiny.c:\n\t@echo rebuilt\ninclude gen/tiny.d\n")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: make)
            process.arguments = ["-q", "-f", makefile, "all"]
            process.currentDirectoryURL = scratch.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "make -q reads the depfile and finds gen/tiny.c up to date")
        }
    }

    @Test func depfileInAMissingFolderIsCreatedLikeTheOutputFolder() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let depfile = scratch.path("missing/folder/tiny.d")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", depfile])
        #expect(result.status == 0 && !result.crashed, "\(result)")
        let text = try String(contentsOfFile: depfile, encoding: .utf8)
        #expect(text.contains("tiny.c") && text.contains(spec), "\(text)")
    }

    @Test func depfileForInlineWeightsNamesOnlyTheSpec() throws {
        let scratch = try ScratchFolder()
        let spec = try scratch.write("inline.yaml", """
            name: inline_only
            input: {steps: 4, channels: 1}
            layer: {filters: 2, kernel_size: 2, use_bias: false}
            weights:
              depthwise_kernel: [[[0.5]], [[-1.0]]]
              pointwise_kernel: [[[1.0, 2.0]]]

            """)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("inline.d")])
        #expect(result.status == 0, "\(result)")
        let text = String(decoding: Self.bytes(scratch.path("inline.d")) ?? Data(), as: UTF8.self)
        let rule = try #require(text.split(separator: "\n").first)
        let colon = try #require(rule.range(of: ": "))
        #expect(Self.makeWords(rule[colon.upperBound...]) == [spec], "\(text)")
    }

    @Test func noDepfileWhenTheSpecFails() throws {
        let scratch = try ScratchFolder()
        let spec = try scratch.write("bad.yaml", "name: 1bad\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("bad.d")])
        #expect(result.status == 1, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("bad.d")))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    // MARK: - run

    /// Keras cases and example specs that come with input.npy and expected.npy
    /// (cases that draw their weights from initializers are left to KerasFixtureTests).
    static let runCases: [String] = {
        let keras = KerasFixtureTests.cases.filter { name in
            let text = (try? String(contentsOf: Fixtures.url("keras/\(name)/spec.yaml"), encoding: .utf8)) ?? ""
            return text.contains("\nweights:")
        }
        let sample = keras.enumerated().filter { $0.offset % max(1, keras.count / 8) == 0 }.map { "keras/" + $0.element }
        let specs = ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.repository.appendingPathComponent("Specs").path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "Specs/" + $0.dropLast(5) }
        return sample + specs
    }()

    /// (spec, input, expected) for a case of `runCases`.
    static func runFiles(_ name: String) -> (spec: URL, input: URL, expected: URL) {
        if name.hasPrefix("Specs/") {
            let base = Fixtures.repository.appendingPathComponent(name)
            return (base.appendingPathExtension("yaml"), base.appendingPathComponent("input.npy"), base.appendingPathComponent("expected.npy"))
        }
        let folder = Fixtures.url(name)
        return (folder.appendingPathComponent("spec.yaml"), folder.appendingPathComponent("input.npy"), folder.appendingPathComponent("expected.npy"))
    }

    @Test(arguments: runCases)
    func runMatchesKeras(_ name: String) throws {
        let files = Self.runFiles(name)
        let scratch = try ScratchFolder()
        let output = scratch.path("y.npy")
        let result = try CLIRunner.run(["run", files.spec.path, "--input", files.input.path, "--output", output])
        #expect(result.status == 0, "\(result)")
        let data = try #require(Self.bytes(output), "no output written: \(result)")
        let (actual, type) = try NPY.read([UInt8](data))
        let (expected, expectedType) = try NPY.read([UInt8](try Data(contentsOf: files.expected)))
        #expect(type == expectedType, "run writes <f4 for float32 specs and <f8 for float64")
        #expect(actual.shape == expected.shape)
        let scale = max(1, expected.scalars.map(\.magnitude).max() ?? 0)
        let error = zip(actual.scalars, expected.scalars).map { ($0 - $1).magnitude }.max() ?? .infinity
        let tolerance = type == .float32 ? 1e-5 : 1e-12
        #expect(error <= tolerance * scale, "max |run - keras| = \(error)")
    }

    @Test func runRefusesAnInputOfTheWrongShape() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let input = try scratch.write("x.npy", NPY.write(Tensor(shape: [1, 7, 2], repeating: 1), as: .float32))
        let result = try CLIRunner.run(["run", spec, "--input", input, "--output", scratch.path("y.npy")])
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.file == input, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("y.npy")))
    }

    @Test func runRefusesNaNInput() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        var values = [Double](repeating: 1, count: 16)
        values[5] = .nan
        let input = try scratch.write("x.npy", NPY.write(Tensor(shape: [1, 8, 2], scalars: values), as: .float32))
        let result = try CLIRunner.run(["run", spec, "--input", input, "--output", scratch.path("y.npy")])
        #expect(result.status == 1 && !result.crashed, "\(result)")
        #expect(result.errors.first?.message.contains("NaN") == true, "\(result)")
    }

    @Test func runRefusesAMissingOrJunkInput() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let junk = try scratch.write("junk.npy", "this is not numpy")
        for input in [scratch.path("missing.npy"), junk] {
            let result = try CLIRunner.run(["run", spec, "--input", input, "--output", scratch.path("y.npy")])
            #expect(result.status == 1 && !result.crashed, "\(result)")
            #expect(result.errors.first?.file == input, "\(result)")
        }
    }

    @Test func runAcceptsAnEmptyBatch() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let input = try scratch.write("x.npy", NPY.write(Tensor(shape: [0, 8, 2], scalars: []), as: .float64))
        let result = try CLIRunner.run(["run", spec, "--input", input, "--output", scratch.path("y.npy")])
        #expect(result.status == 0, "\(result)")
        let (output, _) = try NPY.read([UInt8](Self.bytes(scratch.path("y.npy")) ?? Data()))
        #expect(output.shape == [0, 8, 3])
    }

    // MARK: - explain

    @Test func explainPrintsTheShapes() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let result = try CLIRunner.run(["explain", spec])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("tiny"))
        #expect(result.stdout.contains("(8, 2)"), "input shape: \(result.stdout)")
        #expect(result.stdout.contains("(8, 3)"), "output shape: \(result.stdout)")
    }

    @Test func explainJSONIsValidAndHoldsTheShapes() throws {
        let scratch = try ScratchFolder()
        let spec = try Self.tinySpec(in: scratch)
        let result = try CLIRunner.run(["explain", spec, "--json"])
        #expect(result.status == 0, "\(result)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let json = try #require(object as? [String: Any], "not a JSON object: \(result.stdout)")
        #expect(json["name"] as? String == "tiny")
        #expect(json["inputShape"] as? [Int] == [8, 2])
        #expect(json["outputShape"] as? [Int] == [8, 3])
        #expect(json["inputSteps"] as? Int == 8)
        #expect(json["outputChannels"] as? Int == 3)
        #expect(json["filters"] as? Int == 3)
    }

    @Test func explainOfABadSpecFails() throws {
        let scratch = try ScratchFolder()
        let spec = try scratch.write("bad.yaml", "name: ok\ninput: {steps: 4, channels: 1}\nlayer: {filters: 1, kernel_size: 9}\n")
        for arguments in [["explain", spec], ["explain", spec, "--json"]] {
            let result = try CLIRunner.run(arguments)
            #expect(result.status == 1 && !result.crashed, "\(result)")
            #expect(result.stdout.isEmpty, "nothing on stdout: \(result)")
            #expect(result.errors.first.map { $0.line == 3 } == true, "\(result)")
        }
    }
}
