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
}
