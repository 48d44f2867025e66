import Foundation
import Testing
@testable import SepconvGen

/// Specs `from` Keras model files, against outputs computed by real Keras
/// (`Scripts/make-model-fixtures.sh`): every SeparableConv1D of every fixture
/// model, in every format it was saved in, alone and with its fused chain.
@Suite struct ModelReaderTests {
    /// One SeparableConv1D in one saved model file.
    struct Case: CustomTestStringConvertible, Sendable {
        var folder: String    // the case's output folder (`seq_basic`, `tf2_seq`)
        var model: String     // the model file, relative to Fixtures/models
        var layer: String
        var dtype: String
        var activation: String
        var chain: [String]
        var weights: String?  // the .weights.h5 file, for Keras 3 cases
        var testDescription: String { "\(model) \(layer)" }
    }

    static let cases: [Case] = {
        var result: [Case] = []
        for manifest in ["manifest.json", "manifest_tf2.json"] {
            guard let data = try? Data(contentsOf: Fixtures.url("models/\(manifest)")),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let cases = json["cases"] as? [String: [String: Any]] else { continue }
            for (name, entry) in cases.sorted(by: { $0.key < $1.key }) where entry["rejected"] == nil {
                let layers = entry["layers"] as? [String: [String: Any]] ?? [:]
                for model in entry["models"] as? [String] ?? [] {
                    for (layer, info) in layers.sorted(by: { $0.key < $1.key }) {
                        let chain = (info["chain"] as? [[String: String]] ?? []).compactMap { $0["name"] }
                        result.append(Case(folder: name, model: model, layer: layer, dtype: info["dtype"] as? String ?? "",
                                           activation: info["activation"] as? String ?? "", chain: chain,
                                           weights: entry["weights"] as? String))
                    }
                }
            }
        }
        return result
    }()

    /// A spec beside the fixture models (it need not exist: its folder anchors the path rule).
    static let specFile = Fixtures.url("models/spec.yaml").path

    static func compile(_ yaml: String, weightsRoot: String? = nil) throws(DiagnosticError) -> SpecCompiler.Compiled {
        try SpecCompiler(weightsRoot: weightsRoot).compile(file: specFile, contents: Array(yaml.utf8))
    }

    static func fromSpec(_ test: Case, fuse: Bool, input: String = "") -> String {
        "name: t\n\(input)from:\n  model: \(test.model)\n  layer: \"\(test.layer)\"\n  fuse: \(fuse)\n"
    }

    /// 1e-5 (float32) or 1e-12 (float64) of max(1, max |expected|); tanh: Keras computes it in float32.
    static func expectClose(_ output: Tensor, _ expected: Tensor, dtype: DType, loose: Bool = false,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(output.shape == expected.shape, sourceLocation: sourceLocation)
        let scale = max(1, expected.scalars.map(\.magnitude).max() ?? 0)
        let error = zip(output.scalars, expected.scalars).map { ($0 - $1).magnitude }.max() ?? .infinity
        let tolerance = (dtype == .float32 ? 1e-5 : loose ? 1e-6 : 1e-12) * scale
        #expect(error <= tolerance, "max |out - keras| = \(error), allowed \(tolerance)", sourceLocation: sourceLocation)
    }

    /// The spec's input, or nil when the model records none (tf.keras 2 layers after another layer).
    static func inputLine(_ test: Case) throws -> String {
        let input = try Fixtures.npy("models/\(test.folder)/\(test.layer)/input.npy").tensor
        let format = try ModelReader(bytes: bytes(test.model), name: test.model).layer(named: test.layer, fuse: false).config["data_format"]?.string
        let (steps, channels) = format == "channels_first" ? (input.shape[2], input.shape[1]) : (input.shape[1], input.shape[2])
        return "input: {steps: \(steps), channels: \(channels)}\n"
    }

    static func bytes(_ model: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("models/\(model)")))
    }

    @Test func everyFormatIsCovered() {
        let models = Set(Self.cases.map(\.model))
        #expect(models.contains { $0.hasSuffix(".keras") } && models.contains { $0.hasPrefix("tf2_") } && models.count >= 17)
        #expect(Self.cases.count >= 35)
    }

    @Test(arguments: cases)
    func layerAloneMatchesKeras(_ test: Case) throws {
        let compiled = try Self.compile(Self.fromSpec(test, fuse: false, input: Self.inputLine(test)))
        let input = try Fixtures.npy("models/\(test.folder)/\(test.layer)/input.npy").tensor
        let expected = try Fixtures.npy("models/\(test.folder)/\(test.layer)/output.npy").tensor
        #expect(compiled.plan.dtype.rawValue == test.dtype)
        #expect(compiled.dependencies.contains { $0.hasSuffix(test.model) })
        Self.expectClose(try Interpreter.run(compiled.plan, input: input), expected, dtype: compiled.plan.dtype,
                         loose: test.activation == "tanh")
    }

    /// The chain unfolded (BatchNormalization as Keras defines it) after the interpreter's layer output.
    @Test(arguments: cases.filter { !$0.chain.isEmpty })
    func referenceChainMatchesKeras(_ test: Case) throws {
        let imported = try ModelReader(bytes: Self.bytes(test.model), name: test.model).layer(named: test.layer, fuse: true)
        #expect(imported.chain.layerNames == test.chain)
        let compiled = try Self.compile(Self.fromSpec(test, fuse: false, input: Self.inputLine(test)))
        let input = try Fixtures.npy("models/\(test.folder)/\(test.layer)/input.npy").tensor
        let expected = try Fixtures.npy("models/\(test.folder)/\(test.layer)/fused.npy").tensor
        let layerOutput = try Interpreter.run(compiled.plan, input: input)
        let fused = imported.chain.reference(layerOutput, dataFormat: compiled.plan.dataFormat, dtype: compiled.plan.dtype)
        Self.expectClose(fused, expected, dtype: compiled.plan.dtype, loose: test.activation == "tanh")
    }

    /// fuse: true through the whole pipeline: BatchNormalization folded into the pointwise weights and
    /// bias, or applied after the activation in the plan's epilogue, as the interpreter runs it.
    @Test(arguments: cases.filter { !$0.chain.isEmpty })
    func foldedChainMatchesKeras(_ test: Case) throws {
        let spec = Self.fromSpec(test, fuse: true, input: try Self.inputLine(test))
        let compiled = try Self.compile(spec)
        #expect(compiled.notes.contains { $0.severity == .note && test.chain.allSatisfy($0.message.contains) }, "the fused layers are named")
        let input = try Fixtures.npy("models/\(test.folder)/\(test.layer)/input.npy").tensor
        let expected = try Fixtures.npy("models/\(test.folder)/\(test.layer)/fused.npy").tensor
        Self.expectClose(try Interpreter.run(compiled.plan, input: input), expected, dtype: compiled.plan.dtype,
                         loose: test.activation == "tanh")
    }

    /// The lowering the plan's epilogue will carry: weights and activation folded, then the
    /// steps applied after the interpreter's output, against Keras, for every chain.
    @Test(arguments: cases.filter { !$0.chain.isEmpty })
    func loweredChainMatchesKeras(_ test: Case) throws {
        let imported = try ModelReader(bytes: Self.bytes(test.model), name: test.model).layer(named: test.layer, fuse: true)
        let compiled = try Self.compile(Self.fromSpec(test, fuse: false, input: Self.inputLine(test)))
        let lowering: FusedLowering
        switch imported.chain.lowered(onto: compiled.spec.activation, weights: compiled.plan.weights, dtype: compiled.plan.dtype) {
        case .success(let result):
            lowering = result
        case .failure(let error):
            Issue.record("the chain of \(test.layer) did not lower: \(error.message)")
            return
        }
        var spec = compiled.spec
        spec.activation = lowering.activation
        spec.useBias = lowering.weights.bias != nil
        let plan = Planner.plan(spec, weights: lowering.weights)
        let input = try Fixtures.npy("models/\(test.folder)/\(test.layer)/input.npy").tensor
        var output = try Interpreter.run(plan, input: input)
        let channelsLast = plan.dataFormat == .channelsLast
        for step in lowering.steps {
            let (batch, first, second) = (output.shape[0], output.shape[1], output.shape[2])
            switch step {
            case .affine(let scale, let shift):
                for index in output.scalars.indices {
                    let filter = channelsLast ? index % second : (index / second) % first
                    let value = output.scalars[index] * scale[filter] + shift[filter]
                    output.scalars[index] = plan.dtype == .float32 ? Double(Float(value)) : value
                }
            case .parametric(let function):
                output.scalars = output.scalars.map { plan.dtype == .float32 ? Double(Float(function.apply($0))) : function.apply($0) }
            case .activation(let activation):
                output = Tensor(shape: [batch, first, activation.outputLength(forLastAxis: second)],
                                scalars: activation.apply(output.scalars, rows: batch * first, length: second, dtype: plan.dtype))
            }
        }
        let expected = try Fixtures.npy("models/\(test.folder)/\(test.layer)/fused.npy").tensor
        Self.expectClose(output, expected, dtype: plan.dtype, loose: test.activation == "tanh")
    }

    /// `weights: {h5: ..., group: ...}` with the arguments in the spec, against the layer alone.
    @Test(arguments: cases.filter { $0.model.hasSuffix(".keras") })
    func weightsFileMatchesKeras(_ test: Case) throws {
        let reader = try ModelReader(bytes: Self.bytes(test.model), name: test.model)
        let imported = try reader.layer(named: test.layer, fuse: false)
        let group = try #require(reader.group(of: test.layer))
        var layer = ""
        for key in ["filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias"] {
            guard let value = imported.config[key] else { continue }
            layer += "  \(key): \(Self.yaml(value))\n"
        }
        let yaml = "name: t\ndtype: \(imported.dtype.rawValue)\n\(try Self.inputLine(test))layer:\n\(layer)"
            + "weights:\n  h5: \(try #require(test.weights))\n  group: \(group)\n"
        let compiled = try Self.compile(yaml)
        let input = try Fixtures.npy("models/\(test.folder)/\(test.layer)/input.npy").tensor
        let expected = try Fixtures.npy("models/\(test.folder)/\(test.layer)/output.npy").tensor
        Self.expectClose(try Interpreter.run(compiled.plan, input: input), expected, dtype: compiled.plan.dtype,
                         loose: test.activation == "tanh")
    }

    static func yaml(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): "\(number)"
        case .string(let text): "\"\(text)\""
        case .array(let items): "[" + items.map(yaml).joined(separator: ", ") + "]"
        case .object: "{}"
        }
    }
}

/// The Keras front end on configs a tampered model file could hold: each argument
/// out of the tool's limits or of the wrong kind is refused at the `from` key,
/// naming the layer and the argument, and the whole-layer checks a written spec
/// gets (`LayerChecks`) run on a model's layer too.
@Suite struct KerasSourceTests {
    static let key = Mark(line: 3, column: 1)

    static func imported() throws -> ImportedLayer {
        let test = try #require(ModelReaderTests.cases.first { $0.model.hasSuffix(".keras") && $0.chain.isEmpty })
        return try ModelReader(bytes: ModelReaderTests.bytes(test.model), name: test.model).layer(named: test.layer, fuse: false)
    }

    static func errors(_ layer: ImportedLayer, input: (steps: Int, channels: Int)? = nil, streaming: Bool = false) -> [Diagnostic] {
        do {
            _ = try KerasSource.layer(layer, model: "m.keras", name: "t", input: input, streaming: streaming, file: "s.yaml", at: key, marks: [:])
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }
        }
    }

    @Test(arguments: [
        ("kernel_size", JSONValue.int(0), "kernel_size must be an integer"),
        ("kernel_size", .array([.int(3), .int(3)]), "kernel_size must be an integer"),
        ("filters", .int(1 << 40), "filters must be an integer (or a list of one) from 1 to"),
        ("strides", .string("2"), "strides must be an integer"),
        ("padding", .string("causal"), "padding must be 'valid' or 'same'"),
        ("data_format", .string("channels_middle"), "data_format must be"),
        ("activation", .string("swishy"), "activation 'swishy' is not one sepconv-gen knows"),
        ("use_bias", .string("yes"), "use_bias must be true or false"),
    ])
    func badArgumentsAreRefusedAtFrom(_ key: String, _ value: JSONValue, _ message: String) throws {
        var layer = try Self.imported()
        guard case .object(var members) = layer.config else { Issue.record("the config is not an object"); return }
        members[key] = value
        layer.config = .object(members)
        let errors = Self.errors(layer)
        #expect(errors.count == 1 && errors.allSatisfy { $0.message.contains(message) && $0.mark == Self.key }, "\(errors.map(\.message))")
        #expect(errors.first?.message.hasPrefix("'\(layer.name)' in m.keras: ") == true)
    }

    @Test func wholeLayerChecksRunOnAModelsLayer() throws {
        let layer = try Self.imported()
        #expect(Self.errors(layer).isEmpty)
        let recorded = try #require(layer.inputShape)
        // An input the model does not take; then the recorded one made too short for a 'valid' kernel.
        let other = Self.errors(layer, input: (recorded.steps + 1, recorded.channels))
        #expect(other.count == 1 && other[0].message.contains("'input' is steps \(recorded.steps + 1)"))
        var short = layer
        short.inputShape = (1, recorded.channels)
        if case .object(var members) = short.config {
            members["padding"] = .string("valid")
            members["kernel_size"] = .int(2)
            short.config = .object(members)
        }
        let tooShort = Self.errors(short)
        #expect(tooShort.contains { $0.message.hasPrefix("Computed output size would be zero or negative") && $0.mark == Self.key }, "\(tooShort.map(\.message))")
    }
}
