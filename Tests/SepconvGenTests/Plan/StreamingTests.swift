import Foundation
import Testing
@testable import SepconvGen

/// The streaming API (`streaming: true`, SPEC section 6): the spec key and
/// its refusals, the delay against the interpreter and `explain`; the
/// emitted code is `StreamingCompileTests`'.
@Suite struct StreamingTests {
    static let seed: UInt64 = 0x57EA_0000_2026_0011

    /// Whether a layer can stream: its activation does not act along the steps axis.
    static func streamable(_ activation: Activation, _ dataFormat: DataFormat) -> Bool {
        !(activation.isRowWise && dataFormat == .channelsFirst)
    }

    /// The delay by SPEC's rule, worked out here from the layer's arguments:
    /// the last tap of output frame t is padded frame t·s + (K − 1)·d, real frame that minus the left pad.
    static func delay(_ plan: LayerPlan) -> Int {
        (plan.kernelSize - 1) * plan.dilation - (plan.padding == .same ? plan.padLeft : 0)
    }

    static func completed(_ plan: LayerPlan, frames: Int) -> Int {
        frames > delay(plan) ? (frames - 1 - delay(plan)) / plan.stride + 1 : 0
    }

    // MARK: Spec and explain

    func decode(_ yaml: String) -> Result<LayerSpec, DiagnosticError> {
        Result { () throws(DiagnosticError) in
            try SpecDecoder.decode(try YAMLParser.parse(Array(yaml.utf8), file: "s.yaml"), file: "s.yaml").spec
        }
    }

    static func yaml(activation: String, dataFormat: String, streaming: String) -> String {
        """
        name: s
        input: {steps: 8, channels: 2}
        layer: {filters: 4, kernel_size: 3, padding: same, data_format: \(dataFormat), activation: \(activation)}
        streaming: \(streaming)

        """
    }

    @Test func streamingKeyIsReadAndDefaultsToFalse() throws {
        #expect(try decode(Self.yaml(activation: "relu", dataFormat: "channels_first", streaming: "true")).get().streaming)
        #expect(try decode(Self.yaml(activation: "softmax", dataFormat: "channels_last", streaming: "true")).get().streaming)
        #expect(try decode(Self.yaml(activation: "softmax", dataFormat: "channels_first", streaming: "false")).get().streaming == false)
        let absent = "name: s\ninput: {steps: 8, channels: 2}\nlayer: {filters: 4, kernel_size: 3}\n"
        #expect(try decode(absent).get().streaming == false)
    }

    @Test(arguments: ["softmax", "log_softmax", "sparsemax", "glu"])
    func activationAlongStepsCannotStream(_ activation: String) {
        guard case .failure(let error) = decode(Self.yaml(activation: activation, dataFormat: "channels_first", streaming: "true")) else {
            Issue.record("\(activation) with channels_first was accepted for streaming")
            return
        }
        let headline = error.diagnostics.first { $0.severity == .error }?.headline ?? ""
        // The error points at the value of `streaming` (line 4, column 12).
        #expect(headline.hasPrefix("s.yaml:4:12: error: streaming: true cannot be used with activation '\(activation)'"), "\(headline)")
    }

    @Test func streamingMustBeABoolean() {
        guard case .failure(let error) = decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "3")) else {
            Issue.record("streaming: 3 was accepted")
            return
        }
        #expect(error.diagnostics.contains { $0.headline.hasPrefix("s.yaml:4:12: error: 'streaming' must be true or false") })
    }

    @Test(arguments: [Activation.softmax, .logSoftmax, .sparsemax, .glu])
    func epilogueActivationAlongStepsCannotStream(_ activation: Activation) throws {
        let spec = try decode(Self.yaml(activation: "relu", dataFormat: "channels_first", streaming: "true")).get()
        let refusals = spec.with(epilogue: [.activation(activation)]).crossArgumentErrors.map(\.headline)
        // At the value of `streaming` (line 4, column 12), as the layer's own activation's refusal; glu
        // along the steps cannot be fused at all, which is refused beside it.
        #expect(refusals.contains {
            $0.hasPrefix("s.yaml:4:12: error: streaming: true cannot be used with a following activation '\(activation.rawValue)'")
        }, "\(refusals)")
        #expect(refusals.count == (activation == .glu ? 2 : 1), "\(refusals)")
        // Elementwise, or along the filters (channels_last), it streams.
        #expect(spec.with(epilogue: [.activation(.relu)]).crossArgumentErrors.isEmpty)
        let last = try decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "true")).get()
        #expect(last.with(epilogue: [.activation(activation)]).crossArgumentErrors.isEmpty)
    }

    @Test func explainShowsDelayStateAndCost() throws {
        let spec = try decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "true")).get()
        let weights = try WeightLoader().load(spec).weights
        let plan = Planner.plan(spec, weights: weights)
        // K 3, d 1, 'same' on 8 steps: 1 left; a ring of 2 · 3 − 1 frames × 2 channels × 4 bytes + the start and the count, LP64: 40 + 16.
        let text = Explainer.text(plan)
        #expect(text.contains("streaming        delay 1 frames"), "\(text)")
        #expect(text.contains("state 56 bytes (a ring of 5 frames x 2 channels x 4 bytes for a window of 3, + its start and a count, LP64), 14 multiply-adds per output frame"), "\(text)")
        let json = Explainer.json(plan)
        #expect(json.contains("\"delay\" : 1") && json.contains("\"stateBytes\" : 56") && json.contains("\"multiplyAddsPerFrame\" : 14"), "\(json)")
        var plain = spec
        plain.streaming = false
        #expect(!Explainer.text(Planner.plan(plain, weights: weights)).contains("streaming"))
        #expect(!Explainer.json(Planner.plan(plain, weights: weights)).contains("streaming"))
    }

    @Test func withoutStreamingNothingIsEmitted() throws {
        let spec = try decode(Self.yaml(activation: "relu", dataFormat: "channels_last", streaming: "false")).get()
        let plan = Planner.plan(spec, weights: try WeightLoader().load(spec).weights)
        let files = Generator.files(for: plan, languages: [.c, .swift]).map(\.contents).joined()
        #expect(!files.contains("stream") && !files.contains("Stream"))
    }

    /// A streaming plan's window kernels are planned with it, and follow a rename
    /// (their functions are named after the layer and read its tables).
    @Test func windowKernelsFollowTheLayersName() throws {
        let layer = try #require(RandomLayers.make(count: 40, seed: Self.seed ^ 11).first { Self.streamable($0.spec.activation, $0.spec.dataFormat) })
        var spec = layer.spec
        spec.streaming = true
        var plan = Planner.plan(spec, weights: layer.weights, unroll: .loops)
        plan.name = "renamed"
        let geometry = try #require(plan.stream)
        #expect(geometry.frameKernel.name == "renamed_stream_frame")
        #expect(geometry.frameKernel.inputSteps == geometry.windowFrames)
        if let tile = geometry.tileKernel {
            #expect(tile.name == "renamed_stream_tile")
            #expect(tile.convolutionSteps == geometry.tileOutputs)
        }
        for window in [geometry.frameKernel] + [geometry.tileKernel].compactMap({ $0 }) {
            for language in TargetLanguage.allCases where window.unroll[language] == .loops {
                #expect(window.borrowedTables[language] == "renamed")
            }
        }
    }

    /// The window kernels read the batch kernel's weight tables where both
    /// are `loops` (the tables are printed once): the tables they would have
    /// printed are the batch kernel's, for random layers of every shape.
    @Test func windowKernelsBorrowTheBatchTables() {
        var borrowed = 0
        for layer in RandomLayers.make(count: 60, seed: Self.seed ^ 7) where Self.streamable(layer.spec.activation, layer.spec.dataFormat) {
            var spec = layer.spec
            spec.streaming = true
            let plan = Planner.plan(spec, weights: layer.weights, unroll: .loops)
            guard let geometry = plan.stream else { continue }
            for window in [geometry.frameKernel] + [geometry.tileKernel].compactMap({ $0 }) {
                for language in TargetLanguage.allCases {
                    if window.unroll[language] == .loops {
                        #expect(window.borrowedTables[language] == plan.name, "\(spec.name) \(language)")
                        #expect(KernelLayout(plan: window).weightTables(language) == KernelLayout(plan: plan).weightTables(language), "\(spec.name) \(language)")
                        borrowed += 1
                    } else {
                        #expect(window.borrowedTables[language] == nil)
                    }
                }
            }
            // C: each table defined once, by the batch kernel.
            let source = Generator.files(for: plan, languages: [.c]).map(\.contents).joined()
            #expect(source.components(separatedBy: "static const \(plan.dtype == .float32 ? "float" : "double") \(plan.name)_pointwise[").count == 2, "\(spec.name)")
            #expect(!source.contains("_stream_frame_pointwise["), "\(spec.name)")
        }
        #expect(borrowed > 100)
    }

    /// The counts the emitted code computes, evaluated after a reset and
    /// every count of frames pushed, against the delay rule: the output
    /// frames a push completes (`StreamLowering.completed`, Swift's
    /// preconditions) and those a flush then writes (`pending`); and
    /// `maxFlushed` (`N_STREAM_MAX_FLUSH`), the most of the latter.
    @Test func loweredCountsFollowTheDelayRule() throws {
        var checked = 0
        for layer in RandomLayers.make(count: 60, seed: Self.seed ^ 13) where Self.streamable(layer.spec.activation, layer.spec.dataFormat) {
            var spec = layer.spec
            spec.streaming = true
            let plan = Planner.plan(spec, weights: layer.weights, unroll: .loops)
            let geometry = try #require(plan.stream)
            let lowering = StreamLowering(geometry)
            var most = 0
            for frames in 0 ... 2 * (geometry.windowFrames + geometry.stride) {
                let completed = Self.completed(plan, frames: frames)
                let flushed = plan.padding == .same ? (frames + plan.stride - 1) / plan.stride - completed : 0
                // The frames the window holds from the next output's first tap (negative: to skip).
                let filled = geometry.padLeft + frames - completed * geometry.stride
                #expect(lowering.completed(.int(geometry.padLeft), .int(frames)).integerValue == completed, "\(layer.summary): \(frames) frames")
                #expect(lowering.pending(.int(filled)).integerValue == flushed, "\(layer.summary): \(frames) frames")
                most = max(most, flushed)
                checked += 1
            }
            #expect(geometry.maxFlushed == most, "\(layer.summary)")
        }
        #expect(checked > 500)
    }

    /// The delay rule against the interpreter: for random linear layers, the
    /// last input frame that changes output frame t is t·s + delay whenever
    /// that frame exists, and the last frame otherwise (the flush's outputs).
    @Test func delayIsTheLastFrameEachOutputReads() throws {
        var rng = SplitMix64(seed: Self.seed ^ 1)
        var checked = 0
        for index in 0..<60 {
            var spec: LayerSpec
            repeat {
                spec = RandomLayers.draw(&rng, name: "d\(index)", activation: .linear)
                spec.dataFormat = .channelsLast
            } while !RandomLayers.isAccepted(spec)
            let layer = RandomLayers.complete(spec, batch: 1, rng: &rng)
            let plan = Planner.plan(spec, weights: layer.weights)
            let base = try Interpreter.run(plan, input: layer.input).scalars
            let (L, C, F) = (plan.inputSteps, plan.inputChannels, plan.outputChannels)
            var last = [Int](repeating: -1, count: plan.outputSteps)
            for frame in 0..<L {
                var input = layer.input
                for c in 0..<C { input.scalars[frame * C + c] += 1 }
                let changed = try Interpreter.run(plan, input: input).scalars
                for t in 0..<plan.outputSteps where (0..<F).contains(where: { abs(changed[t * F + $0] - base[t * F + $0]) > 1e-9 }) {
                    last[t] = frame
                }
            }
            for t in 0..<plan.outputSteps where last[t] >= 0 {
                let due = t * plan.stride + Self.delay(plan)
                #expect(due < L ? last[t] == due : last[t] <= L - 1, "\(layer.summary): output \(t) last reads frame \(last[t]), delay rule says \(due)")
                checked += 1
            }
        }
        #expect(checked > 300)
    }
}
