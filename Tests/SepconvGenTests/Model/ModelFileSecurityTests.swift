import Foundation
import Testing
@testable import SepconvGen

/// Issue 19: model files and output paths as an attacker would give them. The
/// crafted files come from Scripts/hostile_model_fixtures.py (Fixtures/hostile).
@Suite struct ModelFileSecurityTests {
    static func hostile(_ name: String) -> URL { Fixtures.url("hostile/\(name)") }

    /// A spec taking seq_basic's first layer's weights from `weights` (copied beside it, with
    /// the secret files a link in it may name).
    static func weightsSpec(_ weights: String) throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        try scratch.copy(hostile(weights), to: "w.weights.h5")
        for secret in ["secret.h5", "secret.txt"] { try scratch.copy(hostile(secret), to: secret) }
        let spec = try scratch.write("spec.yaml", """
            name: t
            input: {steps: 12, channels: 4}
            layer: {filters: 5, kernel_size: 3}
            weights: {h5: w.weights.h5, group: layers/separable_conv1d}

            """)
        return (scratch, spec)
    }

    /// A spec taking its layer `from` the hostile model `model` (copied beside it, with the secrets).
    static func fromSpec(_ model: String, layer: String = "separable_conv1d") throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        try scratch.copy(hostile(model), to: "models/\(model)")
        for secret in ["secret.h5", "secret.txt"] { try scratch.copy(hostile(secret), to: secret) }
        let spec = try scratch.write("spec.yaml", "name: t\nfrom:\n  model: models/\(model)\n  layer: \(layer)\n")
        return (scratch, spec)
    }

    // MARK: - 1. No read outside the file

    /// An external link, external raw storage or a virtual dataset in a weights file: refused at
    /// the `weights` key, though the file it names lies beside the spec and in the working folder.
    @Test(arguments: [("external_link.weights.h5", "external link"), ("external_storage.weights.h5", "external storage"),
                      ("virtual.weights.h5", "virtual dataset")])
    func weightsThatPointOutsideAreRefused(_ file: String, _ words: String) throws {
        let (scratch, spec) = try Self.weightsSpec(file)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("out/d.d")], in: scratch.url)
        ModelCLITests.expectRefused(result, scratch: scratch, line: 4, containing: words)
    }

    /// The same inside a `.keras` archive's model.weights.h5: refused at `from`.
    @Test(arguments: ["external_link.keras", "external_storage.keras"])
    func archivesThatPointOutsideAreRefused(_ file: String) throws {
        let (scratch, spec) = try Self.fromSpec(file)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")], in: scratch.url)
        ModelCLITests.expectRefused(result, scratch: scratch, containing: "external")
        let imported = try CLIRunner.run(["import", scratch.path("models/\(file)"), "-o", scratch.path("out")], in: scratch.url)
        #expect(imported.status == 1 && !imported.crashed && imported.stderr.contains("external"), "\(imported)")
    }

    /// Soft and hard links within the file are followed: the weights read as the plain file's.
    @Test func linksWithinTheFileAreFollowed() throws {
        let (scratch, spec) = try Self.weightsSpec("links_within.weights.h5")
        _ = try scratch.copy(Fixtures.url("models/seq_basic.weights.h5"), to: "plain/w.weights.h5")
        let plain = try scratch.write("plain/spec.yaml", try String(contentsOfFile: spec, encoding: .utf8))
        let linked = try CLIRunner.run([spec, "-o", scratch.path("a"), "--lang", "c"])
        let direct = try CLIRunner.run([plain, "-o", scratch.path("b"), "--lang", "c"])
        #expect(linked.status == 0 && direct.status == 0, "\(linked)\n\(direct)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path("a/t.c"))) == Data(contentsOf: URL(fileURLWithPath: scratch.path("b/t.c"))))
    }

    /// A soft-link loop and a group that holds itself end, with an error.
    @Test(arguments: ["soft_link_loop.weights.h5", "hard_link_cycle.weights.h5"])
    func linkLoopsEnd(_ file: String) throws {
        let (scratch, spec) = try Self.weightsSpec(file)
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")], timeout: 20), scratch: scratch, line: 4)
    }

    // MARK: - 2. A crash in libhdf5 is a diagnostic

    /// Issue 19's one-byte mutation of seq_basic.h5 kills libhdf5 (SIGSEGV): the tool reports it.
    @Test func libhdf5CrashIsAnError() throws {
        let (scratch, spec) = try Self.fromSpec("heap_size_crash.h5")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, containing: "libhdf5 crashed")
        let imported = try CLIRunner.run(["import", scratch.path("models/heap_size_crash.h5"), "-o", scratch.path("out")])
        #expect(imported.status == 1 && !imported.crashed && imported.errors.first?.message.contains("libhdf5 crashed") == true, "\(imported)")
    }

    static let crashers: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.url("hostile/crashers").path)) ?? []
        return names.sorted()
    }()

    /// Every input that ever crashed or hung libhdf5 (kept from the mutation campaigns): exit 0 or 1, never a signal.
    @Test(arguments: crashers)
    func crasherCorpusNeverKillsTheTool(_ name: String) throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Fixtures.url("hostile/crashers/\(name)"), to: name)
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("out")], timeout: 30)
        #expect(!result.crashed && !result.timedOut && (result.status == 0 || result.errors.count >= 1 && result.status == 1), "\(result)")
        #expect(result.seconds < 10, "\(result)")
    }

    @Test func thereIsACrasherCorpus() {
        #expect(Self.crashers.count >= 5)
    }

    // MARK: - 3. Import of a thousand long names

    /// 1,000 layers named `"a" * 63 + i`: distinct valid names, at once (it looped forever).
    @Test func thousandLongNamesGetDistinctNames() {
        let layers = (0..<1000).map { String(repeating: "a", count: 63) + String($0) }
        let start = Date()
        let names = ModelImport.uniqueNames(layers)
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(Set(names).count == 1000)
        #expect(names.allSatisfy { Identifier.problem(with: $0) == nil })
    }

    // MARK: - 4. Variable-length strings

    /// 300 strings all pointing at one 8 MiB heap string: an error within the child's memory, quickly.
    @Test func vlenBombIsRefusedQuickly() throws {
        let (scratch, spec) = try Self.fromSpec("vlen_bomb.keras")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        ModelCLITests.expectRefused(result, scratch: scratch, containing: "attribute 'name'")
        #expect(result.busySeconds < 3, "\(result)")
    }

    // MARK: - 5, 6. Outputs

    static func kwsCopy() throws -> ScratchFolder {
        let scratch = try ScratchFolder()
        try scratch.copy(Fixtures.repository.appendingPathComponent("Specs/kws_block1.yaml"), to: "kws_block1.yaml")
        try scratch.copy(Fixtures.repository.appendingPathComponent("Specs/kws_block1"), to: "kws_block1")
        return scratch
    }

    /// `--depfile` naming a folder the outputs go into: refused before anything is written.
    @Test(arguments: ["out", "out/kws_block1.h/d.d"])
    func depfileThatIsAnOutputFolderIsRefused(_ depfile: String) throws {
        let scratch = try Self.kwsCopy()
        let result = try CLIRunner.run(["kws_block1.yaml", "-o", "out", "--depfile", depfile], in: scratch.url)
        #expect(result.status == 1 && result.errors.first?.message.contains("also a folder") == true, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    /// An output that is one of the run's inputs (the spec, a weight file, the run's input) is refused; the input is unchanged.
    @Test(arguments: [["kws_block1.yaml", "-o", "out", "--depfile", "kws_block1.yaml"],
                      ["kws_block1.yaml", "-o", "out", "--depfile", "kws_block1/bias.npy"],
                      ["kws_block1.yaml", "-o", "out", "--depfile", "./kws_block1/../kws_block1.yaml"],
                      ["run", "kws_block1.yaml", "--input", "kws_block1/input.npy", "-o", "kws_block1.yaml"],
                      ["run", "kws_block1.yaml", "--input", "kws_block1/input.npy", "-o", "kws_block1/input.npy"]])
    func outputOverAnInputIsRefused(_ arguments: [String]) throws {
        let scratch = try Self.kwsCopy()
        let target = arguments[arguments.count - 1]
        let before = try Data(contentsOf: URL(fileURLWithPath: scratch.path(target)))
        let result = try CLIRunner.run(arguments, in: scratch.url)
        #expect(result.status == 1 && result.errors.first?.message.contains("the run's own inputs") == true, "\(result)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.path(target))) == before)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    /// `--check` compares the depfile too.
    @Test func checkSeesAStaleDepfile() throws {
        let scratch = try Self.kwsCopy()
        let arguments = ["kws_block1.yaml", "-o", "out", "--depfile", "out/d.d"]
        #expect(try CLIRunner.run(arguments, in: scratch.url).status == 0)
        #expect(try CLIRunner.run(arguments + ["--check"], in: scratch.url).status == 0)
        try Data("stale\n".utf8).write(to: URL(fileURLWithPath: scratch.path("out/d.d")))
        let stale = try CLIRunner.run(arguments + ["--check"], in: scratch.url)
        #expect(stale.status == 1 && stale.errors.first?.file.hasSuffix("d.d") == true, "\(stale)")
    }

    // MARK: - 7. Names

    /// Names the C library, POSIX or the streaming Swift declare are refused, with a way out.
    @Test(arguments: ["abs", "exit", "free", "malloc", "printf", "fwrite", "toupper", "puts", "j0", "y1", "gamma", "index",
                      "bzero", "EOF", "INT_MAX", "SIZE_MAX", "FLT_MAX", "stdin", "int8_t", "stream", "stream_frame", "stream_tile"])
    func libraryNamesAreRefused(_ name: String) throws {
        #expect(Identifier.problem(with: name) != nil)
        let scratch = try ScratchFolder()
        let spec = try scratch.write("spec.yaml", "name: \(name)\ninput: {steps: 4, channels: 2}\nlayer: {filters: 2, kernel_size: 2}\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 1 && result.errors.first?.line == 1 && result.errors.first?.column == 7, "\(result)")
    }

    /// Import makes such a layer name valid.
    @Test func importRenamesLibraryNames() {
        #expect(ModelImport.validName("printf") == "layer_printf")
        #expect(ModelImport.validName("EOF") == "layer_EOF")
    }

    // MARK: - 8. Import layer by layer

    /// Two nested Sequentials each holding `sep`: both imported, each by its path, and generated.
    @Test func sameNameInTwoNestedModelsImportsBoth() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Self.hostile("same_name_twice.keras"), to: "m.keras")
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("specs")])
        #expect(result.status == 0, "\(result)")
        for (file, path) in [("outer_sep", "outer/sep"), ("inner_sep", "inner/sep")] {
            let text = try String(contentsOfFile: scratch.path("specs/\(file).yaml"), encoding: .utf8)
            #expect(text.contains("layer: \"\(path)\""))
            let generated = try CLIRunner.run([scratch.path("specs/\(file).yaml"), "-o", scratch.path("out"), "--weights-root", scratch.path(".")])
            #expect(generated.status == 0, "\(generated)")
        }
        let (other, spec) = try Self.fromSpec("same_name_twice.keras", layer: "sep")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", other.path("out")]), scratch: other, containing: "outer/sep, inner/sep")
    }

    /// A mixed_float16 layer beside a float64 one: the float64 one is written, the other is an error.
    @Test func oneBadLayerDoesNotStopTheOthers() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Self.hostile("mixed_and_float64.keras"), to: "m.keras")
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("specs")])
        #expect(result.status == 1 && result.errors.count == 1 && result.errors.first?.message.contains("'half'") == true, "\(result)")
        #expect(FileManager.default.fileExists(atPath: scratch.path("specs/full.yaml")))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("specs/half.yaml")))
    }

    // MARK: - 9. Many specs in one run

    /// 120 specs (360 files held open until the renames) under a soft limit of 200 descriptors.
    @Test func manySpecsFitTheDescriptorLimit() throws {
        let scratch = try ScratchFolder()
        var specs: [String] = []
        for index in 0..<120 {
            specs.append(try scratch.write("s\(index).yaml", "name: s\(index)\ninput: {steps: 4, channels: 2}\nlayer: {filters: 2, kernel_size: 2}\n"))
        }
        let executable = try CLIRunner.requireExecutable()
        let script = "ulimit -S -n 200 && exec \"$0\" \"$@\""
        let result = try CLIRunner.run(["-c", script, executable.path] + specs + ["-o", scratch.path("out")],
                                       timeout: 120, program: URL(fileURLWithPath: "/bin/sh"))
        #expect(result.status == 0, "\(result)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("out")).count == 360)
    }

    // MARK: - 10. Smaller points

    /// A layer name with an ANSI escape and a newline reaches the terminal as '?'.
    @Test func importShowsNamesPrintable() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Self.hostile("escape_name.keras"), to: "m.keras")
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("specs")])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("\u{1B}") && !result.stderr.contains("\u{1B}"))
        #expect(result.stdout.contains("layer 'sep?[31mred?line'"), "\(result)")
    }

    /// A config nested 600 deep is reported as too deep, not as "not a Keras model config".
    @Test func deepConfigIsNamedTooDeep() throws {
        let (scratch, spec) = try Self.fromSpec("deep_config.keras")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, containing: "levels deep; at most 200 are read")
    }

    /// A BatchNormalization whose fold overflows float32 is named as the cause.
    @Test func batchNormFoldOverflowNamesTheFold() {
        var chain = FusedChain()
        chain.batchNorm = FusedChain.BatchNorm(name: "bn", gamma: [1e38], beta: nil, movingMean: [0], movingVariance: [0], epsilon: 1e-3)
        let weights = LayerWeights(depthwiseKernel: Tensor(shape: [1, 1, 1], scalars: [1]),
                                   pointwiseKernel: Tensor(shape: [1, 1, 1], scalars: [1e10]), bias: nil)
        for activation in [Activation.linear, .relu] {
            guard case .failure(let error) = chain.lowered(onto: activation, weights: weights, dtype: .float32) else {
                Issue.record("the fold overflowed silently")
                continue
            }
            #expect(error.message.contains("BatchNormalization 'bn' overflows float32"), "\(error.message)")
        }
    }

    /// A 10 MB plain scalar of digits is refused as a string at once (it took 11 s per 5 MB).
    @Test func hugeScalarIsQuick() throws {
        let scratch = try ScratchFolder()
        let spec = try scratch.write("spec.yaml", "name: t\ninput: {steps: 4, channels: 2}\nlayer: {filters: 2, kernel_size: 2}\nseed: 1." + String(repeating: "1", count: 10_000_000) + "\n")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        #expect(result.status == 1 && result.errors.first?.line == 4, "\(result)")
        #expect(result.busySeconds < 4, "\(result)")
    }

    /// A model_config attribute stored as UTF-8 (not ASCII) is read.
    @Test func utf8ModelConfigIsRead() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Self.hostile("utf8_config.h5"), to: "m.h5")
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("specs")])
        #expect(result.status == 0, "\(result)")
    }
}
