import Foundation
import Testing
@testable import SepconvGen

/// Specs `from` a `.tflite` model (SPEC.md section 7) up to the `LayerSpec`:
/// the spec's keys, chain selection, errors positioned at the `from` key
/// (exit 1, nothing written), `--depfile`, and `import`.
@Suite struct TFLiteSpecTests {
    /// A scratch folder holding `models/<file>` (the fixture) and `spec.yaml` naming it.
    static func setUp(_ model: String, layer: String? = nil, extra: String = "") throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        try scratch.copy(Fixtures.url("tflite/\(model)"), to: "models/\(model)")
        let layerLine = layer.map { "  layer: \($0)\n" } ?? ""
        let spec = try scratch.write("spec.yaml", "name: t\nfrom:\n  model: models/\(model)\n\(layerLine)\(extra)")
        return (scratch, spec)
    }

    /// Every chain, selected by index, compiles to the `LayerSpec` the reader describes, its `quantization` set.
    @Test(arguments: TFLiteFixtures.chains)
    func specCarriesTheQuantizedLayer(_ fixture: TFLiteFixtures.ChainCase) throws {
        let (scratch, spec) = try Self.setUp(fixture.model.file, layer: String(fixture.chain.index), extra: "streaming: true\n")
        let compiled = try SpecCompiler().compile(file: spec)
        let layer = try TFLiteFixtures.reader(fixture.model.file).layer(.index(fixture.chain.index))
        let result = compiled.spec
        var expected = layer.quantization
        expected.provenance = "models/" + expected.provenance   // the model as the spec names it
        #expect(result.quantization == expected)
        let shape: [Int] = [result.inputSteps, result.inputChannels, result.filters, result.kernelSize, result.strides, result.dilationRate, result.depthMultiplier]
        #expect(shape == [fixture.chain.steps, fixture.chain.channels, fixture.chain.filters, fixture.chain.kernel_size, fixture.chain.strides,
                    fixture.chain.dilation_rate, fixture.chain.depth_multiplier])
        #expect(result.padding == layer.padding && result.useBias == fixture.chain.chainAddsBias)
        #expect(result.activation == .linear && result.dataFormat == .channelsLast && result.streaming)
        #expect(result.mark("layer") == result.mark("from") && result.mark("from").line == 2)
        #expect(compiled.dependencies == [spec, scratch.path("models/\(fixture.model.file)")])
    }

    @Test func layerByNameAndGivenInputThatAgrees() throws {
        let (scratch, spec) = try Self.setUp("tf2_multi2_dense.tflite", layer: "sep_b", extra: "input: {steps: 16, channels: 6}\n")
        let compiled = try SpecCompiler().compile(file: spec)
        #expect(compiled.dependencies.last == scratch.path("models/tf2_multi2_dense.tflite"))
        #expect(compiled.spec.quantization?.provenance.contains("tf2_multi2_dense.tflite: operators") == true)
        #expect(compiled.spec.inputChannels == 6 && compiled.spec.filters == 8)
    }

    // MARK: - Errors at the spec's keys

    @Test func unknownNameListsTheChains() throws {
        let (scratch, spec) = try Self.setUp("k3_multi3.tflite", layer: "sep_z")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("out/d.d")])
        ModelCLITests.expectRefused(result, scratch: scratch,
                                    containing: "no SeparableConv1D chain named 'sep_z' in models/k3_multi3.tflite (it has: 0 sep_a, 1 sep_b, 2 sep_c)")
    }

    @Test func ambiguousNameListsTheChains() throws {
        let (scratch, spec) = try Self.setUp("k3_dup_names.tflite", layer: "sep")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch,
                                    containing: "'sep' is ambiguous in models/k3_dup_names.tflite: it matches chains 0 sep, 1 sep")
    }

    @Test func missingLayerWithSeveralChainsAndIndexOutOfRange() throws {
        let (scratch, spec) = try Self.setUp("k3_multi3.tflite")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, containing: "has 3 SeparableConv1D chains")
        let (other, indexed) = try Self.setUp("k3_multi3.tflite", layer: "3")
        ModelCLITests.expectRefused(try CLIRunner.run([indexed, "-o", other.path("out")]), scratch: other, containing: "no SeparableConv1D chain 3")
    }

    @Test func fuseIsRefusedAtItsKey() throws {
        let (scratch, spec) = try Self.setUp("k3_k1_valid.tflite", extra: "  fuse: true\n")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, line: 4, column: 9,
                                    containing: "'fuse' cannot be used with a .tflite model")
    }

    @Test func inputThatDisagreesIsRefusedAtInput() throws {
        let (scratch, spec) = try Self.setUp("k3_k1_valid.tflite", extra: "input: {steps: 9, channels: 3}\n")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, line: 4, column: 8,
                                    containing: "'input' is steps 9, channels 3 but chain 0 of models/k3_k1_valid.tflite takes steps 8, channels 3")
    }

    @Test func layerWeightsAndDTypeCannotBeGivenWithFrom() throws {
        let (scratch, spec) = try Self.setUp("k3_k1_valid.tflite", extra: "dtype: float32\n")
        ModelCLITests.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, line: 4, column: 1,
                                    containing: "'dtype' cannot be given with 'from'")
    }

    /// The refusal fixtures, as a spec names them: an error at `from` naming the model and the reason.
    @Test(arguments: ["neg_float32.tflite": "float", "neg_hybrid.tflite": "float", "neg_int16_act.tflite": "int16",
                      "neg_uint8_input.tflite": "uint8", "neg_truncated.tflite": "not a valid TFLite model"].sorted(by: <))
    func refusedModelIsAnErrorAtFrom(_ entry: (key: String, value: String)) throws {
        let (scratch, spec) = try Self.setUp(entry.key)
        let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
        ModelCLITests.expectRefused(result, scratch: scratch, containing: "models/\(entry.key)")
        #expect(result.errors.first?.message.contains(entry.value) == true, "\(result)")
    }

    @Test func modelOutsideTheSpecFolderNeedsWeightsRoot() throws {
        let scratch = try ScratchFolder()
        try scratch.copy(Fixtures.url("tflite/k3_k1_valid.tflite"), to: "models/m.tflite")
        let spec = try scratch.write("specs/s.yaml", "name: t\nfrom:\n  model: ../models/m.tflite\n")
        ModelCLITests.expectRefused(try CLIRunner.run(["explain", spec]), scratch: scratch, containing: "uses '..'")
        let explained = try CLIRunner.run(["explain", spec, "--weights-root", scratch.path("models")])
        #expect(explained.status == 0 && explained.stdout.contains("input            (8, 3)"), "\(explained)")
    }

    // MARK: - import

    @Test func importWritesOneSpecPerChainAndNamesTheRest() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Fixtures.url("tflite/tf2_multi2_dense.tflite"), to: "m.tflite")
        let result = try CLIRunner.run(["import", model, "-o", scratch.path(".")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("layer 'sep_a', input (16, 3), 6 filters, kernel 3"), "\(result.stdout)")
        #expect(result.stdout.contains("not emitted: operator 7 FULLY_CONNECTED\n"), "\(result.stdout)")
        for name in ["sep_a", "sep_b"] {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: scratch.path("\(name).yaml"))), as: UTF8.self)
            #expect(text == "name: \(name)\nfrom:\n  model: \"m.tflite\"\n  layer: \"\(name)\"\n")
            let explained = try CLIRunner.run(["explain", scratch.path("\(name).yaml")])
            #expect(explained.status == 0, "\(explained)")
        }
    }

    /// Two chains whose layers share a name are selected by index, the second spec renamed.
    @Test func importSelectsByIndexWhereTheNameIsAmbiguous() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Fixtures.url("tflite/k3_dup_names.tflite"), to: "models/m.tflite")
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("specs")])
        #expect(result.status == 0 && result.stdout.contains("spec named 'sep_2'") && result.stdout.contains("--weights-root"), "\(result)")
        let second = String(decoding: try Data(contentsOf: URL(fileURLWithPath: scratch.path("specs/sep_2.yaml"))), as: UTF8.self)
        #expect(second == "name: sep_2\nfrom:\n  model: \"../models/m.tflite\"\n  layer: 1\n")
    }

    @Test func importRefusesFuseAndUnusableModels() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.copy(Fixtures.url("tflite/k3_k1_valid.tflite"), to: "m.tflite")
        let fused = try CLIRunner.run(["import", model, "-o", scratch.path("out"), "--fuse"])
        #expect(fused.status == 1 && fused.errors.first?.message.contains("--fuse cannot be used with a .tflite model") == true, "\(fused)")
        let float = try scratch.copy(Fixtures.url("tflite/neg_float32.tflite"), to: "f.tflite")
        let refused = try CLIRunner.run(["import", float, "-o", scratch.path("out")])
        #expect(refused.status == 1 && refused.errors.first?.message.contains("float") == true, "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }
}
