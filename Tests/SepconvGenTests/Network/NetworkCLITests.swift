import Foundation
import Testing
@testable import SepconvGen

/// Network specs through the command line: `run`, `explain --json`, `generate`
/// (with `--depfile`), `import --network`, refusals with nothing written, and
/// every damaged model fixture refused at the `network` key.
@Suite struct NetworkCLITests {
    /// A scratch folder holding `models/<file>` (the fixture) and `spec.yaml` naming it as a network.
    static func setUp(_ model: String, extra: String = "") throws -> (ScratchFolder, String) {
        let scratch = try ScratchFolder()
        _ = try scratch.write("models/\(model)", [UInt8](Data(contentsOf: Fixtures.url("networks/\(model)"))))
        let spec = try scratch.write("spec.yaml", "name: t\nnetwork:\n  model: models/\(model)\n\(extra)")
        return (scratch, spec)
    }

    @Test func runMatchesKeras() throws {
        let (scratch, spec) = try Self.setUp("kws.h5", extra: "  first: conv2\n  last: gap\n")
        let result = try CLIRunner.run(["run", spec, "--input", Fixtures.url("networks/kws/conv2-gap/input.npy").path, "-o", scratch.path("y.npy")])
        #expect(result.status == 0, "\(result)")
        let output = try NPY.read(file: scratch.path("y.npy"), limit: Limits.maxInputBytes, noun: "outputs") { _ throws(NPY.FormatError) in }.0
        let keras = try Fixtures.npy("networks/kws/conv2-gap/output.npy").tensor
        #expect(output.shape == keras.shape)
        let error = zip(output.scalars, keras.scalars).map { ($0 - $1).magnitude }.max() ?? .infinity
        #expect(error <= 1e-5 * max(1, keras.scalars.map(\.magnitude).max() ?? 0))
    }

    /// A channels_first model runs on Keras's layout, and `explain --json` states the layouts.
    @Test func aChannelsFirstNetworkRunsAndExplainsItsLayouts() throws {
        let (scratch, spec) = try Self.setUp("ecg_cf.keras")
        let result = try CLIRunner.run(["run", spec, "--input", Fixtures.url("networks/ecg_cf/start-end/input.npy").path, "-o", scratch.path("y.npy")])
        #expect(result.status == 0, "\(result)")
        let output = try NPY.read(file: scratch.path("y.npy"), limit: Limits.maxInputBytes, noun: "outputs") { _ throws(NPY.FormatError) in }.0
        let keras = try Fixtures.npy("networks/ecg_cf/start-end/output.npy").tensor
        #expect(output.shape == keras.shape)
        #expect((zip(output.scalars, keras.scalars).map { ($0 - $1).magnitude }.max() ?? .infinity) <= 1e-5)
        let explain = try CLIRunner.run(["explain", spec, "--json"])
        let json = try #require(JSONSerialization.jsonObject(with: Data(explain.stdout.utf8)) as? [String: Any])
        #expect(json["inputFormat"] as? String == "channels_first")
        let steps = try #require(json["steps"] as? [[String: Any]])
        #expect(steps.first?["className"] as? String == "Transpose")
        #expect(steps.first?["layout"] as? String == "steps-major")
        #expect(steps.first?["kerasOutputShape"] as? [Int] == [2, 64])
    }

    @Test func explainJSONAndGenerateWithADepfile() throws {
        let (scratch, spec) = try Self.setUp("imu.keras")
        let explain = try CLIRunner.run(["explain", spec, "--json"])
        #expect(explain.status == 0, "\(explain)")
        #expect(explain.stdout.contains("\"workspaceValues\""))
        let generate = try CLIRunner.run(["generate", spec, "-o", scratch.path("out"), "--depfile", scratch.path("out/dep.d")])
        #expect(generate.status == 0, "\(generate)")
        for file in ["t.h", "t.c", "t.swift"] {
            #expect(FileManager.default.fileExists(atPath: scratch.path("out/\(file)")), "\(file)")
        }
        let depfile = try String(contentsOfFile: scratch.path("out/dep.d"), encoding: .utf8)
        #expect(depfile.contains("models/imu.keras"))
    }

    @Test func anUnsupportedLayerWritesNothing() throws {
        let (scratch, spec) = try Self.setUp("reject_unsupported.keras")
        let result = try CLIRunner.run(["generate", spec, "-o", scratch.path("out")])
        #expect(!result.crashed && result.status == 1, "\(result)")
        #expect(result.errors.first?.line == 2 && result.errors.first?.column == 1, "\(result)")
        #expect(result.errors.first?.message.contains("'upsample' (UpSampling1D, position 2)") == true)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    @Test func aNetworkAndALayerNamedAlikeAreRefused() throws {
        let (scratch, spec) = try Self.setUp("kws.keras")
        let layer = try scratch.write("layer.yaml", "name: t\nlayer: {filters: 2, kernel_size: 1}\ninput: {steps: 3, channels: 1}\n")
        let result = try CLIRunner.run(["generate", spec, layer, "-o", scratch.path("out")])
        #expect(!result.crashed && result.status == 1, "\(result)")
        #expect(result.errors.first?.message.contains("of this spec is also the output file 't.h'") == true, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out")))
    }

    @Test func importWritesANetworkSpecThatGenerates() throws {
        let scratch = try ScratchFolder()
        _ = try scratch.write("kws.keras", [UInt8](Data(contentsOf: Fixtures.url("networks/kws.keras"))))
        let imported = try CLIRunner.run(["import", scratch.path("kws.keras"), "--network", "-o", scratch.path("specs")])
        #expect(imported.status == 0, "\(imported)")
        #expect(imported.stdout.contains("network 'kws', 6 steps"))
        let generate = try CLIRunner.run(["generate", scratch.path("specs/kws.yaml"), "-o", scratch.path("out"), "--weights-root", scratch.path("")])
        #expect(generate.status == 0, "\(generate)")
        let refused = try CLIRunner.run(["import", Fixtures.url("networks/reject_fork.keras").path, "--network", "-o", scratch.path("fork")])
        #expect(refused.status == 1 && refused.stderr.contains("a fork"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("fork")))
    }

    static let broken: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.url("models/broken").path)) ?? []
        return names.sorted()
    }()

    /// The section 5 fixtures' damaged model files, read as networks: refused at the `network` key.
    @Test(arguments: broken)
    func damagedModelIsRefusedAtTheNetworkKey(_ file: String) throws {
        do {
            _ = try NetworkCompiler().compile(file: Fixtures.url("models/broken/spec.yaml").path,
                                             contents: Array("name: t\nnetwork:\n  model: \(file)\n".utf8))
            Issue.record("\(file) compiled")
        } catch {
            let first = error.diagnostics.first { $0.severity == .error }
            #expect(first?.mark == Mark(line: 2, column: 1), "\(error.diagnostics)")
        }
    }

    /// `import` names every layer it does not emit, in every mode (SPEC section 8).
    @Test func importNamesEveryLayerItDoesNotEmit() throws {
        let scratch = try ScratchFolder()
        let model = try scratch.write("kws.keras", [UInt8](Data(contentsOf: Fixtures.url("networks/kws.keras"))))
        let plain = try CLIRunner.run(["import", model, "-o", scratch.path("plain")])
        #expect(plain.status == 0, "\(plain)")
        #expect(plain.stdout.contains("not emitted: bn1 (BatchNormalization), relu1 (ReLU), bn2 (BatchNormalization), relu2 (ReLU), "
                                      + "bn3 (BatchNormalization), relu3 (ReLU), gap (GlobalAveragePooling1D), dense (Dense), softmax (Softmax) "
                                      + "(--network writes one spec for the whole model)"), "\(plain.stdout)")
        let fused = try CLIRunner.run(["import", model, "-o", scratch.path("fused"), "--fuse"])
        #expect(fused.stdout.contains("not emitted: gap (GlobalAveragePooling1D), dense (Dense), softmax (Softmax) ("), "\(fused.stdout)")
        let imu = try scratch.write("imu.keras", [UInt8](Data(contentsOf: Fixtures.url("networks/imu.keras"))))
        let network = try CLIRunner.run(["import", imu, "-o", scratch.path("net"), "--network"])
        #expect(network.status == 0 && network.stdout.contains("removed (nothing at inference): drop, sdrop, noise, drop2"), "\(network)")
    }
}
