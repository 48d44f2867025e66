import Foundation
import Testing
@testable import SepconvGen

/// Network specs (SPEC.md section 8) against models and outputs made by real Keras 3,
/// committed by `Scripts/network_fixtures.py`.
@Suite struct NetworkTests {
    /// One recorded range of one model file.
    struct Case: CustomStringConvertible, Sendable {
        var folder: String, model: String, range: String, first: String?, last: String?, dtype: String
        /// Whether every layer of the range streams (the fixture script says so).
        var streams = false
        var description: String { "\(model) \(range)" }
    }

    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: Fixtures.url("networks/manifest.json")),
              let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [] }
        var result: [Case] = []
        for (folder, entry) in manifest.sorted(by: { $0.key < $1.key }) {
            let models = entry["models"] as? [String] ?? []
            let ranges = entry["ranges"] as? [[String: Any]] ?? []
            for model in models {
                for range in ranges {
                    result.append(Case(folder: folder, model: model, range: range["range"] as? String ?? "",
                                       first: range["first"] as? String, last: range["last"] as? String,
                                       dtype: entry["dtype"] as? String ?? "", streams: range["streams"] as? Bool ?? false))
                }
            }
        }
        return result
    }()

    /// A network spec beside the fixtures (the spec file itself need not exist: model paths are relative to its folder).
    static func compile(_ text: String) throws(DiagnosticError) -> NetworkCompiler.Compiled {
        try NetworkCompiler().compile(file: Fixtures.url("networks/spec.yaml").path, contents: Array(text.utf8))
    }

    static func spec(_ model: String, first: String? = nil, last: String? = nil) -> String {
        "name: net\nnetwork:\n  model: \(model)\n" + (first.map { "  first: \($0)\n" } ?? "") + (last.map { "  last: \($0)\n" } ?? "")
    }

    /// Whether the compile suites build the case: not the `.h5` twin of a channels_first model,
    /// whose plan equals its `.keras` twin's (`h5TwinsPlanAlike`), to keep the compiler runs short.
    static func compiles(_ item: Case) -> Bool {
        !(item.folder.hasSuffix("_cf") && item.model.hasSuffix(".h5"))
    }

    @Test(arguments: cases.filter { !compiles($0) })
    func h5TwinsPlanAlike(_ item: Case) throws {
        let twin = try Self.plan(Case(folder: item.folder, model: "\(item.folder).keras", range: item.range, first: item.first,
                                      last: item.last, dtype: item.dtype))
        // Alike but for where a SeparableConv1D says its weights came from (the model file's name).
        func unsourced(_ plan: NetworkPlan) -> [NetworkStep] {
            plan.steps.map { step in
                var step = step
                if case .separable(var layer) = step.operation {
                    layer.provenance = nil
                    step.operation = .separable(layer)
                }
                return step
            }
        }
        #expect(try unsourced(Self.plan(item)) == unsourced(twin))
    }

    static func plan(_ item: Case) throws -> NetworkPlan {
        try compile(spec(item.model, first: item.first, last: item.last)).plan
    }

    @Test func everyFixtureModelIsHere() {
        #expect(Self.cases.count >= 16)
        #expect(Set(Self.cases.map(\.dtype)) == ["float32", "float64"])
    }

    @Test(arguments: cases)
    func interpreterMatchesKeras(_ item: Case) throws {
        let plan = try Self.plan(item)
        let input = try Fixtures.npy("networks/\(item.folder)/\(item.range)/input.npy").tensor
        let expected = try Fixtures.npy("networks/\(item.folder)/\(item.range)/output.npy").tensor
        let output = try NetworkInterpreter.run(plan, input: input)
        #expect(output.shape == expected.shape)
        let error = zip(output.scalars, expected.scalars).map { ($0 - $1).magnitude }.max() ?? .infinity
        let tolerance = Self.tolerance(plan) * max(1, expected.scalars.map(\.magnitude).max() ?? 0)
        #expect(error <= tolerance, "max |interpreter - keras| = \(error), allowed \(tolerance)")
    }

    /// 1e-5 for float32 (relative to max(1, max|keras|)); 1e-8 for float64, where TensorFlow's
    /// gelu (erf) differs from the C library's by up to 1.2e-9 on these inputs.
    static func tolerance(_ plan: NetworkPlan) -> Double {
        plan.dtype == .float32 ? 1e-5 : 1e-8
    }

    @Test(arguments: cases)
    func workspaceIsSmallerThanTheOutputsAndNeverOverlapsALiveTensor(_ item: Case) throws {
        let plan = try Self.plan(item)
        let workspace = plan.workspace
        if plan.steps.count > 1 {
            #expect(workspace.size < plan.sumOfOutputs)
        }
        #expect(workspace.size >= 1)
        #expect(workspace.outputs.last == .output)
        for (index, step) in plan.steps.enumerated() {
            guard case .workspace(let out) = workspace.outputs[index] else { continue }
            #expect(out + step.outputSize <= workspace.size)
            guard case .workspace(let into) = workspace.input(of: index), !workspace.isInPlace(index) else { continue }
            // A step that does not work in place must not write over the tensor it reads.
            #expect(out + step.outputSize <= into || into + step.inputSize <= out, "step \(index + 1) overlaps its input")
        }
    }

    @Test(arguments: cases)
    func explainTotalsAreTheSumOverTheSteps(_ item: Case) throws {
        let plan = try Self.plan(item)
        let json = try #require(JSONSerialization.jsonObject(with: Data(NetworkExplainer.json(plan).utf8)) as? [String: Any])
        let steps = try #require(json["steps"] as? [[String: Any]])
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(steps.count == plan.steps.count)
        for key in ["multiplyAdds", "weightBytes"] {
            #expect(totals[key] as? Int == steps.compactMap { $0[key] as? Int }.reduce(0, +), "\(key)")
        }
        #expect(totals["workspaceValues"] as? Int == plan.workspace.size)
        #expect(NetworkExplainer.text(plan).contains("workspace \(plan.workspace.size) values"))
    }

    @Test func kwsFusesEachBlockAndListsTheModelAsADependency() throws {
        let compiled = try Self.compile(Self.spec("kws.keras"))
        #expect(compiled.plan.steps.map(\.layers) == [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"], ["conv3", "bn3", "relu3"],
                                                     ["gap"], ["dense"], ["softmax"]])
        #expect(compiled.dependencies.last?.hasSuffix("kws.keras") == true)
    }

    @Test func aRangeEndingBetweenAConvolutionAndItsFollowersKeepsThemStandalone() throws {
        let plan = try Self.compile(Self.spec("imu.keras", first: "max_pool", last: "bn_b")).plan
        #expect(plan.steps.map(\.className) == ["MaxPooling1D", "SeparableConv1D", "BatchNormalization"])
        #expect(plan.removed == ["drop"])
    }

    @Test func dropoutLayersAreRemovedWithANote() throws {
        let compiled = try Self.compile(Self.spec("imu.h5"))
        #expect(compiled.plan.removed == ["drop", "sdrop", "noise", "drop2"])
        #expect(compiled.notes.contains { $0.severity == .note && $0.message.contains("'drop2'") })
    }

    // MARK: - Refusals

    func refusal(_ text: String) throws -> Diagnostic {
        do {
            _ = try Self.compile(text)
        } catch {
            return try #require(error.diagnostics.first { $0.severity == .error })
        }
        Issue.record("compiled")
        throw DiagnosticError([])
    }

    @Test func anUnsupportedLayerIsNamedWithItsClassAndPosition() throws {
        let error = try refusal(Self.spec("reject_unsupported.keras"))
        #expect(error.message.contains("'upsample' (UpSampling1D, position 2)"))
        #expect(error.message.contains("SeparableConv1D, BatchNormalization"))
        #expect((error.mark.line, error.mark.column) == (2, 1))
    }

    @Test func aForkIsRefused() throws {
        let error = try refusal(Self.spec("reject_fork.keras"))
        #expect(error.message.contains("'sep' (SeparableConv1D, position 1) feeds 2 readers"))
        #expect(error.message.contains("fork"))
    }

    @Test func streamingNamesTheFirstLayerThatDoesNotStream() throws {
        let error = try refusal(Self.spec("kws.keras") + "streaming: true\n")
        #expect(error.message.contains("layer 'gap' (GlobalAveragePooling1D, position 10) does not stream"))
        #expect((error.mark.line, error.mark.column) == (4, 12))
        let flatten = try refusal(Self.spec("imu.keras", first: "sep_c") + "streaming: true\n")
        #expect(flatten.message.contains("layer 'flat' (Flatten, position 16) does not stream"))
    }

    /// A causal Conv1D is a left padding of (K - 1) * d steps and a 'valid' convolution: its stream
    /// completes output frame t with input frame t (delay 0), as causal padding promises.
    @Test func aCausalConv1DStreamsWithDelayZero() throws {
        let plan = try Self.compile(Self.spec("ecg.keras", last: "stem") + "streaming: true\n").plan
        #expect(plan.steps.map(\.className) == ["Conv1D", "Conv1D"])
        #expect(plan.steps.first?.operation == .zeroPad(left: 6, right: 0))
        #expect((plan.streamDelay, plan.streamStride) == (0, 1))
        #expect(plan.outputShape == [96, 8])
    }

    /// The composed delay and stride are those of the layers one after the other, and the
    /// counts of frames they give (checked against the emitted code in NetworkCompileTests).
    @Test func streamDelayAndStrideAreComposed() throws {
        let plan = try Self.compile(Self.spec("kws.keras", last: "relu3") + "streaming: true\n").plan
        // conv1, conv2: 'same', kernel 3 (delay 1 each); conv3: 'same', kernel 3, strides 2 (delay 1).
        #expect((plan.streamDelay, plan.streamStride) == (3, 2))
        #expect(plan.streamTotal(frames: 49) == 25)
        for frames in 0...49 {
            let completed = plan.streamCompleted(afterFrames: frames)
            #expect(completed == (frames > 3 ? (frames - 4) / 2 + 1 : 0))
        }
    }

    @Test func rangeErrorsNameTheLayers() throws {
        #expect(try refusal(Self.spec("kws.keras", first: "nope")).message.contains("'nope', which is not a layer of kws.keras"))
        #expect(try refusal(Self.spec("kws.keras", first: "dense", last: "conv2")).message.contains("does not follow"))
        #expect(try refusal(Self.spec("missing.keras")).message.hasPrefix("model file:"))
    }

    @Test func damagedModelsAreRefusedWithoutATrap() throws {
        #expect(try refusal(Self.spec("damaged_huge.keras")).message.contains("(2147483648, 10); each extent must be between 1 and"))
        #expect(try refusal(Self.spec("damaged_cycle.keras", first: "sep_a")).message.contains("'probs' (Activation, position 20) feeds 2 readers"))
    }

    /// A channels_first model is held steps-major from its input on: one transpose at the start, none
    /// between its layers (BatchNormalization over axis 1 fuses as channels_last's does), and none at
    /// the end when the output is no longer a sequence; the header's steps and channels are the input's.
    @Test func channelsFirstTransposesOnceWhereTheLayoutChanges() throws {
        let plan = try Self.compile(Self.spec("kws_cf.keras")).plan
        #expect(plan.steps.map(\.className) == ["Transpose", "SeparableConv1D", "SeparableConv1D", "SeparableConv1D",
                                                "GlobalAveragePooling1D", "Dense", "Softmax"])
        #expect(plan.inputFormat == .channelsFirst)
        #expect((plan.inputShape, plan.inputSteps, plan.inputChannels) == ([10, 49], 49, 10))
        #expect(plan.steps[3].kerasOutputShape == [24, 25] && plan.steps[3].outputShape == [25, 24])
        #expect(NetworkExplainer.text(plan).contains("output (25, 24) steps-major, Keras (24, 25)"))
        let ranged = try Self.compile(Self.spec("kws_cf.keras", last: "relu3")).plan
        #expect(ranged.steps.map(\.className).filter { $0 == "Transpose" }.count == 2)
        #expect(ranged.outputShape == [24, 25])
    }

    /// Formats mixed in one chain: Keras's order for what acts on the last axis of a channels_first
    /// tensor (BatchNormalization(axis=-1), Softmax, Dense), steps-major for Softmax(axis=1) and then
    /// Flatten(channels_first) of a channels_last one (one transpose for both).
    @Test func mixedFormatsTransposeWhereALayerNeedsTheOtherOrder() throws {
        let plan = try Self.compile(Self.spec("mixed_cf.keras")).plan
        #expect(plan.steps.map(\.className) == ["Transpose", "SeparableConv1D", "Transpose", "BatchNormalization", "Softmax", "Dense",
                                                "Conv1D", "Transpose", "Softmax", "Flatten", "Dense"])
    }

    @Test func aStreamRefusesATransposeBetweenLayers() throws {
        let error = try refusal(Self.spec("mixed_cf.keras", last: "bn_steps") + "streaming: true\n")
        #expect(error.message.contains("layer 'bn_steps' (position 2) reads its input in the other data format"), "\(error.message)")
        let plan = try Self.compile(Self.spec("kws_cf.keras", last: "relu3") + "streaming: true\n").plan
        #expect((plan.streamDelay, plan.streamStride, plan.streamTotal(frames: 49), plan.streamOutputChannels) == (3, 2, 25, 24))
    }

    /// A Conv1D is planned as the dense-tap variant and a DepthwiseConv1D as the depthwise-only one: the
    /// plan, explain and the header count the layer's own multiply-adds (K·C·F, K·C·M an output step),
    /// and the emitted C holds only the layer's own kernel, no one-hot gather or identity table.
    @Test func convolutionsArePlannedAsTheirVariant() throws {
        for (model, className, variant) in [("ecg.keras", "Conv1D", ConvolutionVariant.denseTaps),
                                            ("imu_dw.keras", "DepthwiseConv1D", .depthwiseOnly)] {
            let compiled = try Self.compile(Self.spec(model))
            let text = NetworkExplainer.text(compiled.plan)
            let sources = try NetworkGenerator.files(for: compiled, languages: [.c]).map(\.contents).joined()
            var planned = 0
            for step in compiled.plan.steps where step.className == className {
                guard case .separable(let plan) = step.operation else { continue }
                planned += 1
                let (K, C) = (plan.kernelSize, plan.inputChannels)
                #expect(plan.convolution == variant)
                #expect(text.contains("(\(className), position \(step.position), \(variant.rawValue))"))
                #expect(text.contains("\(step.multiplyAdds) multiply-adds") && step.multiplyAdds == plan.multiplyAdds)
                // A dense-tap layer multiplies every tap (a border tap's zeros too); a depthwise-only one only those that read the input.
                if variant == .denseTaps {
                    #expect(plan.geometry.multiplyAddsPerStep == K * C * plan.filters)
                    #expect(plan.multiplyAdds == plan.convolutionSteps * K * C * plan.filters)
                    #expect(!sources.contains("\(plan.name)_depthwise[") && sources.contains("\(plan.name)_pointwise["))
                } else {
                    #expect(plan.geometry.multiplyAddsPerStep == K * C * plan.depthMultiplier)
                    #expect(plan.multiplyAdds == plan.geometry.tapsReadingInput * C * plan.depthMultiplier)
                    #expect(!sources.contains("\(plan.name)_pointwise[") && sources.contains("\(plan.name)_depthwise["))
                }
                #expect(Explainer.text(plan).contains("multiply-adds    \(plan.multiplyAdds) per batch item"))
                #expect(Explainer.json(plan).contains("\"convolution\" : \"\(variant.rawValue)\""))
            }
            #expect(planned >= 2, "\(model): \(planned) \(className) steps")
        }
    }

    /// A channels_first Conv1D or DepthwiseConv1D whose activation acts along its steps (Keras's last axis):
    /// the convolution computes steps-major without it, then a transpose and the activation in Keras's order
    /// (`interpreterMatchesKeras` checks the values of steps_cf); a stream refuses it, naming the layer.
    @Test func aConvolutionsActivationAlongStepsRunsInKerasOrder() throws {
        let plan = try Self.compile(Self.spec("steps_cf.keras")).plan
        #expect(plan.steps.map(\.className) == ["Transpose", "Conv1D", "Transpose", "Conv1D", "Transpose", "DepthwiseConv1D",
                                                "Transpose", "DepthwiseConv1D", "Transpose", "GlobalAveragePooling1D", "Dense"])
        if case .separable(let layer) = plan.steps[1].operation { #expect(layer.activation == .linear) }
        #expect(plan.steps[3].operation == .activation(.named(.softmax)) && plan.steps[3].inputShape == [4, 16])
        #expect(plan.steps[7].operation == .activation(.named(.logSoftmax)) && plan.steps[7].kerasOutputShape == [8, 14])
        let ranged = try Self.compile(Self.spec("steps_cf.keras", last: "conv_soft")).plan
        #expect(ranged.steps.last?.operation == .activation(.named(.softmax)) && ranged.outputShape == [4, 16])
        let error = try refusal(Self.spec("steps_cf.keras", last: "conv_soft") + "streaming: true\n")
        #expect(error.message.contains("layer 'conv_soft' (Conv1D, position 1): streaming: true cannot be used with activation 'softmax' "
                                       + "and channels_first"), "\(error.message)")
    }

    /// A channels_first SeparableConv1D whose softmax acts along its steps keeps its own channels_first
    /// kernel, in Keras's order: no transpose, and the same output as the layer's own spec.
    @Test func aSoftmaxAlongStepsKeepsTheLayersChannelsFirstKernel() throws {
        let file = Fixtures.url("models/spec.yaml").path
        let network = try NetworkCompiler().compile(file: file, contents: Array("name: t\nnetwork:\n  model: channels_first.keras\n".utf8)).plan
        let layer = try SpecCompiler().compile(file: file, contents: Array("name: l\nfrom:\n  model: channels_first.keras\n  fuse: true\n".utf8)).plan
        #expect(network.steps.map(\.className) == ["SeparableConv1D"])
        #expect(network.inputShape == [layer.inputChannels, layer.inputSteps])
        #expect(network.outputShape == [layer.outputChannels, layer.outputSteps])
        let input = Tensor(shape: [1] + network.inputShape, scalars: (0..<network.inputSize).map { sin(Double($0)) })
        #expect(try NetworkInterpreter.run(network, input: input).scalars == Interpreter.forward(layer, item: input.scalars))
    }
}
