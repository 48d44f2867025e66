import Foundation
import Testing
@testable import SepconvGen

/// Model files through the command line: damaged files get a positioned
/// error at the spec's `from` key, exit 1 and no output; the spec rules of
/// SPEC.md section 5; and `import`. The emitted code of fused layers is
/// `FusedLayerCompileTests`'.
@Suite struct ModelCLITests {
    /// A scratch folder holding `models/<file>` (the fixture) and `spec.yaml` naming it.
    static func setUp(_ model: String, bytes: [UInt8]? = nil, spec extra: String = "", layer: String? = nil) throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        let data = try bytes ?? [UInt8](Data(contentsOf: Fixtures.url("models/\(model)")))
        let name = (model as NSString).lastPathComponent
        _ = try scratch.write("models/\(name)", data)
        let layerLine = layer.map { "  layer: \($0)\n" } ?? ""
        let spec = try scratch.write("spec.yaml", "name: t\nfrom:\n  model: models/\(name)\n\(layerLine)\(extra)")
        return (scratch, spec)
    }

    /// Exit 1, every error positioned in the spec, the first at `line`:`column`, nothing written.
    static func expectRefused(_ result: CLIResult, scratch: ScratchFolder, line: Int = 2, column: Int = 1, containing text: String? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!result.crashed && result.status == 1, "\(result)", sourceLocation: sourceLocation)
        let first = result.errors.first
        #expect(first?.line == line && first?.column == column, "\(result)", sourceLocation: sourceLocation)
        if let text { #expect(first?.message.contains(text) == true, "\(result)", sourceLocation: sourceLocation) }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")), "nothing may be written", sourceLocation: sourceLocation)
    }

    static let broken: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.url("models/broken").path)) ?? []
        return names.sorted()
    }()

    @Test(arguments: broken)
    func damagedModelIsRefusedAtFrom(_ file: String) throws {
        let (scratch, spec) = try Self.setUp("broken/\(file)", layer: "separable_conv1d")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--depfile", scratch.path("out/dep.d")])
        Self.expectRefused(result, scratch: scratch, containing: "models/\(file)")
    }

    @Test func brokenFixturesCoverEachFailure() {
        #expect(Self.broken.count >= 10)
    }

    /// Cut anywhere, the archive and the HDF5 model are refused, never crash.
    @Test(arguments: ["seq_basic.keras", "seq_basic.h5"])
    func truncatedModelIsRefused(_ model: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("models/\(model)")))
        for fraction in [0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99] {
            let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
            let (scratch, spec) = try Self.setUp(model, bytes: cut, layer: "separable_conv1d")
            Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch)
        }
    }

    /// Flipped bytes at 16 positions spread over the file: either the file still reads (the byte
    /// was not used) or it is refused at `from`; never a crash.
    @Test(arguments: ["seq_basic.keras", "seq_basic.h5"])
    func flippedBytesNeverCrash(_ model: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("models/\(model)")))
        var refused = 0
        for step in 0..<16 {
            var flipped = bytes
            let position = (step * 7919 + step * step * 104_729) % bytes.count
            flipped[position] ^= 0xFF
            let (scratch, spec) = try Self.setUp(model, bytes: flipped, layer: "separable_conv1d")
            let result = try CLIRunner.run([spec, "-o", scratch.path("out")])
            #expect(!result.crashed && !result.timedOut, "byte \(position): \(result)")
            if result.status != 0 {
                refused += 1
                Self.expectRefused(result, scratch: scratch)
            }
        }
        print("\(model): \(refused) of 16 flipped bytes refused, the rest unused by the layer")
    }

    /// A Keras 3 weights file where a model belongs.
    @Test func weightsFileAsModelIsRefused() throws {
        let (scratch, spec) = try Self.setUp("seq_basic.weights.h5", layer: "separable_conv1d")
        Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, containing: "weights file")
    }

    // MARK: - Spec rules

    @Test(arguments: [("layer", "layer:\n  filters: 2\n"), ("weights", "weights:\n  bias: b.npy\n"), ("dtype", "dtype: float32\n")])
    func keysTheModelHoldsAreRefused(_ key: String, _ text: String) throws {
        let (scratch, spec) = try Self.setUp("seq_basic.keras", spec: "", layer: "separable_conv1d")
        let yaml = String(decoding: try Data(contentsOf: URL(fileURLWithPath: spec)), as: UTF8.self) + text
        _ = try scratch.write("spec.yaml", yaml)
        let line = yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix(key) }.map { $0 + 1 } ?? 0
        Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, line: line, containing: "'\(key)' cannot be given with 'from'")
    }

    @Test func inputMustMatchTheModel() throws {
        let (scratch, _) = try Self.setUp("seq_basic.keras")
        let spec = try scratch.write("spec.yaml", "name: t\ninput: {steps: 13, channels: 4}\nfrom:\n  model: models/seq_basic.keras\n  layer: separable_conv1d\n")
        Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, line: 2, column: 8, containing: "steps 12, channels 4")
        _ = try scratch.write("spec.yaml", "name: t\ninput: {steps: 12, channels: 4}\nfrom:\n  model: models/seq_basic.keras\n  layer: separable_conv1d\n")
        #expect(try CLIRunner.run([spec, "-o", scratch.path("out")]).status == 0)
    }

    @Test func unknownAndAmbiguousLayersListTheCandidates() throws {
        let (scratch, spec) = try Self.setUp("seq_basic.keras", layer: "sep2")
        Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch,
                           containing: "no SeparableConv1D named 'sep2' in models/seq_basic.keras (it has: separable_conv1d, separable_conv1d_1)")
        let (other, unnamed) = try Self.setUp("seq_basic.keras")
        Self.expectRefused(try CLIRunner.run([unnamed, "-o", other.path("out")]), scratch: other, containing: "has 2 SeparableConv1D layers")
        let (single, onlyOne) = try Self.setUp("channels_first.keras")
        #expect(try CLIRunner.run([onlyOne, "-o", single.path("out")]).status == 0)
    }

    @Test func misspelledFromKeyGetsAHint() throws {
        let (scratch, spec) = try Self.setUp("seq_basic.keras", spec: "  fuze: true\n", layer: "separable_conv1d")
        Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, line: 5, column: 3, containing: "did you mean 'fuse'")
    }

    @Test func mixedPrecisionPoliciesAreNamed() throws {
        for (layer, policy) in [("half", "mixed_float16"), ("brain", "mixed_bfloat16")] {
            let (scratch, spec) = try Self.setUp("mixed_policy.keras", layer: layer)
            Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, containing: "'\(policy)'")
        }
    }

    @Test func modelOutsideTheSpecFolderNeedsWeightsRoot() throws {
        let scratch = try ScratchFolder()
        _ = try scratch.write("models/m.keras", [UInt8](Data(contentsOf: Fixtures.url("models/seq_basic.keras"))))
        let spec = try scratch.write("specs/spec.yaml", "name: t\nfrom:\n  model: ../models/m.keras\n  layer: separable_conv1d\n")
        Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, containing: "--weights-root")
        let result = try CLIRunner.run([spec, "-o", scratch.path("out"), "--weights-root", scratch.path("models"), "--depfile", scratch.path("dep.d")])
        #expect(result.status == 0, "\(result)")
        let depfile = String(decoding: try Data(contentsOf: URL(fileURLWithPath: scratch.path("dep.d"))), as: UTF8.self)
        #expect(depfile.contains("m.keras"), "the model is a dependency: \(depfile)")
    }

    @Test func shardedWeightsAreRefused() throws {
        let scratch = try ScratchFolder()
        _ = try scratch.write("m.weights.json", "{\"weight_map\": {}}")
        let spec = try scratch.write("spec.yaml", "name: t\ninput: {steps: 8, channels: 2}\nlayer: {filters: 2, kernel_size: 2}\nweights:\n  h5: m.weights.json\n  group: layers/separable_conv1d\n")
        Self.expectRefused(try CLIRunner.run([spec, "-o", scratch.path("out")]), scratch: scratch, line: 4, containing: "sharded")
    }

    // MARK: - import

    @Test func importWritesSpecsThatGenerate() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.write("custom_names.keras", [UInt8](Data(contentsOf: Fixtures.url("models/custom_names.keras"))))
        let result = try CLIRunner.run(["import", model, "-o", scratch.path(".")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("layer 'conv-1'") && result.stdout.contains("spec named 'conv_1'"), "\(result.stdout)")
        #expect(!result.stdout.contains("--weights-root"))
        let specs = ["conv_1.yaml", "layer_while.yaml", "layer_2nd.yaml"].map { scratch.path($0) }
        let generated = try CLIRunner.run(specs + ["-o", scratch.path("out")])
        #expect(generated.status == 0, "\(generated)")
        #expect(scratch.contents(of: "out").count == 9)
    }

    @Test func importIntoAnotherFolderSaysWeightsRootIsNeeded() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.write("models/seq_bn_relu.keras", [UInt8](Data(contentsOf: Fixtures.url("models/seq_bn_relu.keras"))))
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("specs"), "--fuse"])
        #expect(result.status == 0 && result.stdout.contains("--weights-root"), "\(result)")
        #expect(result.stdout.contains("fuses batch_normalization_1, activation"), "\(result.stdout)")
        let spec = String(decoding: try Data(contentsOf: URL(fileURLWithPath: scratch.path("specs/sep_plain.yaml"))), as: UTF8.self)
        #expect(spec.contains("model: \"../models/seq_bn_relu.keras\"") && spec.contains("fuse: true"), "\(spec)")
        let generated = try CLIRunner.run([scratch.path("specs/sep_plain.yaml"), "-o", scratch.path("out"), "--weights-root", scratch.path("models")])
        #expect(generated.status == 0, "\(generated)")
    }

    @Test func importOfADamagedModelWritesNothing() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.write("m.keras", [UInt8](Data(contentsOf: Fixtures.url("models/broken/truncated.keras"))))
        let result = try CLIRunner.run(["import", model, "-o", scratch.path("out")])
        #expect(result.status == 1 && !result.crashed && result.errors.first?.file == model, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    @Test func validNames() {
        #expect(ModelImport.validName("conv-1") == "conv_1")
        #expect(ModelImport.validName("2nd") == "layer_2nd")
        #expect(ModelImport.validName("while") == "layer_while")
        #expect(ModelImport.validName("séparable") == "s_parable")
        for name in ["", "__x", "_X", "int", String(repeating: "a", count: 100), "ü"] {
            #expect(Identifier.problem(with: ModelImport.validName(name)) == nil, "\(name)")
        }
    }
}
