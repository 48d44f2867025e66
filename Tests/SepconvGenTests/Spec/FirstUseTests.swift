import Foundation
import Testing
@testable import SepconvGen
import KerasInitializers

/// What a new user meets first: `--version`, the notes on choices made for
/// them, and the hints on the commonest mistakes (issue 14).
@Suite struct FirstUseTests {
    static let spec = """
        name: first
        input:
          steps: 8
          channels: 2
        layer:
          filters: 2
          kernel_size: 3

        """

    private func diagnostics(_ text: String) -> [Diagnostic] {
        do {
            return try SpecCompiler().compile(file: "spec.yaml", contents: Array(text.utf8)).notes
        } catch {
            return error.diagnostics
        }
    }

    private func errors(_ text: String) -> [Diagnostic] {
        diagnostics(text).filter { $0.severity == .error }
    }

    // MARK: - --version

    @Test func versionFlagPrintsTheToolVersion() throws {
        #expect(ToolVersion.current.firstMatch(of: #/^\d+\.\d+\.\d+$/#) != nil)
        for arguments in [["--version"], ["explain", "--version"]] {
            let result = try CLIRunner.run(arguments)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == ToolVersion.current + "\n", "\(result)")
        }
    }

    // MARK: - Weights drawn from initializers

    @Test func specWithoutWeightsSaysWhichInitializersAndSeedDrawThem() {
        let notes = diagnostics(Self.spec + "  seed: 7\n").filter { $0.severity == .note }
        let note = notes.first { $0.message.contains("no 'weights'") }
        #expect(note?.message.contains("depthwise_kernel from glorot_uniform, pointwise_kernel from glorot_uniform, bias from zeros") == true, "\(notes)")
        #expect(note?.message.contains("with seed 7") == true && note?.message.contains("not trained") == true, "\(notes)")
        #expect(note?.mark == Mark(line: 6, column: 3))
    }

    @Test func noteNamesConfiguredInitializersAndLeavesOutAnUnusedSeed() {
        let text = Self.spec + """
              use_bias: false
              depthwise_initializer: ones
              pointwise_initializer: {class_name: RandomNormal, config: {stddev: 1.0, seed: 4}}

            """
        let note = diagnostics(text).first { $0.message.contains("no 'weights'") }
        #expect(note?.message.contains("depthwise_kernel from ones, pointwise_kernel from random_normal(mean=0.0, stddev=1.0, seed=4))") == true, "\(String(describing: note))")
        #expect(note?.message.contains("bias") == false && note?.message.contains("with seed") == false)
    }

    @Test func specWithWeightsHasNoDrawnWeightsNote() {
        let text = Self.spec + """
            weights:
              depthwise_kernel: [[[1], [2]], [[3], [4]], [[5], [6]]]
              pointwise_kernel: [[[1, 2], [3, 4]]]
              bias: [0, 1]

            """
        #expect(!diagnostics(text).contains { $0.message.contains("no 'weights'") })
    }

    @Test func initializerNamesFollowKerasPresets() {
        #expect(Initializer.glorotUniform.specName == "glorot_uniform")
        #expect(Initializer.varianceScaling(.init(scale: 2, mode: .fanIn, distribution: .truncatedNormal, seed: 3)).specName == "he_normal(seed=3)")
        #expect(Initializer.varianceScaling(.init(scale: 0.5, mode: .fanOut, distribution: .uniform, seed: nil)).specName
            == "variance_scaling(scale=0.5, mode=fan_out, distribution=uniform)")
        #expect(Initializer.glorotUniform.usesSpecSeed && !Initializer.zeros.usesSpecSeed)
        #expect(!Initializer.orthogonal(gain: 1, seed: 5).usesSpecSeed)
    }

    // MARK: - Keys in the wrong place

    @Test func layerKeyAtTheTopLevelSaysItBelongsUnderLayer() {
        let found = errors(Self.spec + "data_format: channels_first\n")
        #expect(found.map(\.message) == ["unknown key 'data_format' (it belongs under 'layer:')"])
        #expect(found.first?.mark == Mark(line: 8, column: 1))
    }

    @Test func topLevelAndInputKeysUnderLayerSayWhereTheyBelong() {
        let messages = errors(Self.spec + "  weights: {}\n  steps: 3\n").map(\.message)
        #expect(messages.contains("unknown key 'weights' in 'layer' (it belongs at the top level of the spec)"), "\(messages)")
        #expect(messages.contains("unknown key 'steps' in 'layer' (it belongs under 'input:')"), "\(messages)")
    }

    @Test func misspeltKeysStillGetSpellingHints() {
        let messages = errors(Self.spec + "  fitlers: 3\nnmae: x\n").map(\.message)
        #expect(messages.contains("unknown key 'fitlers' in 'layer' (did you mean 'filters'?)"), "\(messages)")
        #expect(messages.contains("unknown key 'nmae' (did you mean 'name'?)"), "\(messages)")
    }

    // MARK: - Activations

    @Test func unknownActivationListsEveryValidName() {
        let message = errors(Self.spec + "  activation: foo\n").first?.message ?? ""
        #expect(message.hasPrefix("unknown activation 'foo'; Keras accepts "), "\(message)")
        for name in Activation.acceptedNames {
            #expect(message.contains(" \(name),"), "'\(name)' missing from: \(message)")
        }
        let typo = errors(Self.spec + "  activation: sigmod\n").first?.message ?? ""
        #expect(typo.hasPrefix("unknown activation 'sigmod' (did you mean 'sigmoid'?); Keras accepts "), "\(typo)")
    }

    // MARK: - Indentation

    @Test func dedentedFirstKeyIsReportedOnItsOwnLine() {
        let found = errors("name: x\ninput:\n steps: 8\n  channels: 2\nlayer:\n  filters: 2\n  kernel_size: 3\n")
        #expect(found.count == 1)
        #expect(found.first?.mark == Mark(line: 3, column: 2), "\(found)")
        #expect(found.first?.message.contains("'steps' is indented by 1 under 'input' (line 2) but 'channels' below it by 2") == true, "\(found)")
    }

    @Test func overIndentedKeyIsReportedWithTheKeyAboveIt() {
        let found = errors("name: x\ninput:\n  steps: 8\n   channels: 2\nlayer:\n  filters: 2\n")
        #expect(found.first?.mark == Mark(line: 4, column: 4), "\(found)")
        #expect(found.first?.message.hasPrefix("YAML syntax error: mapping values are not allowed in this context ('channels' is indented more than 'steps' on line 3") == true, "\(found)")
    }

    @Test func dedentedLaterKeyIsReportedOnItsOwnLine() {
        let found = errors("name: x\ninput:\n  steps: 8\n channels: 2\nlayer:\n  filters: 2\n")
        #expect(found.first?.mark == Mark(line: 4, column: 2), "\(found)")
        #expect(found.first?.message.contains("'channels' is indented less than 'steps' on line 3") == true, "\(found)")
    }

    @Test func colonInAValueAsksForQuotes() {
        let found = errors("name: x\nlayer:\n  activation: a: b\n")
        #expect(found.first?.mark == Mark(line: 3, column: 16), "\(found)")
        #expect(found.first?.message.hasSuffix("(a value that holds ': ' must be quoted)") == true, "\(found)")
    }

    // MARK: - explain

    @Test func tapPictureNeverElidesASingleRow() throws {
        func picture(steps: Int) throws -> [String] {
            let text = Self.spec.replacingOccurrences(of: "steps: 8", with: "steps: \(steps)")
            return Explainer.picture(try SpecCompiler().compile(file: "spec.yaml", contents: Array(text.utf8)).plan)
        }
        let full = try picture(steps: Explainer.maxPictureRows + 3)   // valid padding: maxPictureRows + 1 rows
        #expect(!full.contains { $0.hasSuffix("...") })
        #expect(full.count == Explainer.maxPictureRows + 2)
        let elided = try picture(steps: Explainer.maxPictureRows + 4)
        #expect(elided.contains { $0.hasSuffix("...") })
        #expect(elided.count == Explainer.maxPictureRows + 2)
    }

    // MARK: - Hints that say only what helps (issue 23)

    @Test func swappedLettersSuggestTheNameTheyCameFrom() {
        // Levenshtein puts 'rleu' at 2 from both 'relu' and 'elu'; the swap is one edit.
        #expect(SpellingHint.editDistance("rleu", "relu") == 1)
        #expect(SpellingHint.editDistance("rleu", "elu") == 2)
        #expect(SpellingHint.editDistance("ab", "ba") == 1 && SpellingHint.editDistance("abc", "ca") == 3)
        #expect(SpellingHint.editDistance("kitten", "sitting") == 3)
        #expect(SpellingHint.closest(to: "rleu", in: Activation.acceptedNames) == "relu")
        #expect(SpellingHint.closest(to: "sigmiod", in: Activation.acceptedNames) == "sigmoid")
        let message = errors(Self.spec + "  activation: rleu\n").first?.message ?? ""
        #expect(message.hasPrefix("unknown activation 'rleu' (did you mean 'relu'?)"), "\(message)")
        let key = errors(Self.spec + "  paddnig: same\n").map(\.message)
        #expect(key == ["unknown key 'paddnig' in 'layer' (did you mean 'padding'?)"], "\(key)")
    }

    @Test func aKeyTypoIsNotFollowedByAMissingKeyErrorForTheKeyItMeant() {
        let text = "nmae: x\ninput:\n  stesp: 8\n  channels: 2\nlayer:\n  fitlers: 2\n  kernel_size: 3\n"
        #expect(errors(text).map(\.message) == [
            "unknown key 'nmae' (did you mean 'name'?)",
            "unknown key 'stesp' in 'input' (did you mean 'steps'?)",
            "unknown key 'fitlers' in 'layer' (did you mean 'filters'?)",
        ])
        // A key in the wrong section: the hint says where it belongs, which is all the missing key would say.
        #expect(errors("name: x\ninput:\n  channels: 2\nlayer:\n  steps: 8\n  filters: 2\n  kernel_size: 3\n").map(\.message)
            == ["unknown key 'steps' in 'layer' (it belongs under 'input:')"])
        let weights = errors(Self.spec + "weights:\n  depthwise_kernel: [[[1], [2]], [[3], [4]], [[5], [6]]]\n  pointwise_kernel: [[[1, 2], [3, 4]]]\n  bais: [0, 1]\n")
        #expect(weights.map(\.message) == ["unknown key 'bais' in 'weights' (did you mean 'bias'?)"])
        // The same in a `from` mapping, which is read before the spec is decoded.
        #expect(errors("name: x\nfrom:\n  modle: m.keras\n").map(\.message) == ["unknown key 'modle' in 'from' (did you mean 'model'?)"])
        // A missing key that no hint named is still reported, beside an unrelated typo.
        let unrelated = errors("name: x\ninput:\n  steps: 8\n  chanels: 2\nlayer:\n  kernel_size: 3\n").map(\.message)
        #expect(unrelated == ["unknown key 'chanels' in 'input' (did you mean 'channels'?)",
                              "missing required key 'layer.filters' (the number of output channels)"], "\(unrelated)")
    }

    @Test func aBadWeightFileIsReportedWithAMissingWeight() throws {
        let scratch = try ScratchFolder(prefix: "first-use")
        try scratch.write("dw.npy", NPY.write(Tensor(shape: [3, 2, 1], scalars: [1, 2, 3, 4, 5, 6]), as: .float32))
        // The same bytes as a C-order file but for the flag (its header keeps its length).
        var fortran = NPY.write(Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 4]), as: .float32)
        let flag = try #require(fortran.firstRange(of: Array("'fortran_order': False".utf8)))
        fortran.replaceSubrange(flag, with: Array("'fortran_order': True ".utf8))
        try scratch.write("pw.npy", fortran)
        let spec = try scratch.write("spec.yaml", Self.spec + "weights:\n  depthwise_kernel: dw.npy\n  pointwise_kernel: pw.npy\n")
        let found: [Diagnostic]
        do {
            _ = try SpecCompiler().compile(file: spec)
            found = []
        } catch {
            found = error.diagnostics.filter { $0.severity == .error }
        }
        #expect(found.count == 2, "\(found)")
        #expect(found.first?.message.hasPrefix("missing 'weights.bias'") == true, "\(found)")
        #expect(found.last?.message.contains("pointwise_kernel: 'pw.npy': the .npy array is in Fortran order") == true, "\(found)")
        #expect(found.last?.mark == Mark(line: 10, column: 21), "\(found)")
        // With other errors in the spec (no name, a bad padding) the file is still read.
        let other = try scratch.write("other.yaml", Self.spec.replacingOccurrences(of: "name: first\n", with: "")
            + "  padding: sane\nweights:\n  depthwise_kernel: dw.npy\n  pointwise_kernel: pw.npy\n  bias: [0, 1]\n")
        do {
            _ = try SpecCompiler().compile(file: other)
            Issue.record("compiled")
        } catch {
            let messages = error.diagnostics.filter { $0.severity == .error }.map(\.message)
            #expect(messages.count == 3 && messages.last?.contains("Fortran order") == true, "\(messages)")
        }
    }

    // MARK: - Where a model's weights came from (issue 23)

    /// `from` specs of the fixture model whose `sep_bn` is followed by a BatchNormalization
    /// and a ReLU with arguments, and whose `sep_plain` by a BatchNormalization and `Activation('tanh')`.
    private func compiledFromModel(layer: String, fuse: Bool = true, modelName: String = "seq_bn_relu.keras") throws -> SpecCompiler.Compiled {
        let scratch = try ScratchFolder(prefix: "first-use-model")
        try scratch.copy(Fixtures.url("models/seq_bn_relu.keras"), to: modelName)
        let quoted = modelName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let spec = try scratch.write("spec.yaml", "name: block\nfrom:\n  model: \"\(quoted)\"\n  layer: \(layer)\n  fuse: \(fuse)\n")
        return try SpecCompiler().compile(file: spec)
    }

    @Test func headerAndExplainNameTheModelAndTheFusedLayers() throws {
        let compiled = try compiledFromModel(layer: "sep_bn")
        let expected = "from seq_bn_relu.keras, layer sep_bn, then batch_normalization (BatchNormalization, folded into the pointwise weights and bias), "
            + "re_lu (ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2))"
        #expect(compiled.plan.provenance == expected)
        let files = Generator.files(for: compiled.plan, languages: [.c, .swift])
        for name in ["block.h", "block.c"] {
            #expect(files.first { $0.name == name }?.contents.contains(" * Weights " + expected + ".\n") == true, "\(name)")
        }
        #expect(files.first { $0.name == "block.swift" }?.contents.contains("// Weights " + expected + ".\n") == true)
        #expect(Explainer.text(compiled.plan).contains("\n  weights          " + expected + "\n"))

        let plain = try compiledFromModel(layer: "sep_plain")
        #expect(plain.plan.activation == .tanh)
        #expect(plain.plan.provenance == "from seq_bn_relu.keras, layer sep_plain, then batch_normalization_1 (BatchNormalization, "
            + "folded into the pointwise weights and bias), activation (Activation, computed as the activation tanh)")
        let unfused = try compiledFromModel(layer: "sep_plain", fuse: false)
        #expect(unfused.plan.provenance == "from seq_bn_relu.keras, layer sep_plain")
    }

    @Test func aModelNameThatCouldBreakTheCommentIsNotPrinted() throws {
        let hostile = "QZXJ50 */ ??/ x.keras"
        let compiled = try compiledFromModel(layer: "sep_bn", modelName: hostile)
        #expect(compiled.plan.provenance?.hasPrefix("from a model file, layer sep_bn, then ") == true, "\(compiled.plan.provenance ?? "")")
        for file in Generator.files(for: compiled.plan, languages: [.c, .swift]) {
            #expect(!file.contents.contains("QZXJ50"), "\(file.name)")
        }
        #expect(KerasSource.printableInCode("models/kws-2.keras", or: "-") == "models/kws-2.keras")
        for text in ["a*/b", "a\nb", "a??/", "", "é.keras", String(repeating: "a", count: 101)] {
            #expect(KerasSource.printableInCode(text, or: "-") == "-", "\(text)")
        }
    }
}
