import Testing
@testable import SepconvGen

/// Plans with fused epilogues (`LayerPlan.epilogue`), as a Keras model's
/// following layers give them: the interpreter applies the steps in order,
/// and the emitted C and Swift, in `full` and `loops`, must agree with it.
@Suite struct EpilogueCompileTests {
    /// One layer and its epilogue; the affine tables are seeded per channel.
    struct Layer: Sendable {
        var name: String
        var dataFormat: DataFormat
        var activation: Activation
        var epilogue: @Sendable (_ channels: Int, _ rng: inout SplitMix64) -> [EpilogueStep]
        var filters = 12
        var dtype = DType.float32
    }

    static func affine(_ channels: Int, _ rng: inout SplitMix64) -> EpilogueStep {
        .affine(scale: (0..<channels).map { _ in rng.value(in: 0.5...1.5, .float64) },
                shift: (0..<channels).map { _ in rng.value(in: -0.5...0.5, .float64) })
    }

    static let layers: [Layer] = [
        Layer(name: "e_relu_affine_softmax", dataFormat: .channelsLast, activation: .relu) { c, rng in
            [affine(c, &rng), .activation(.softmax)]
        },
        Layer(name: "e_linear_affine_elu", dataFormat: .channelsLast, activation: .linear) { c, rng in
            [affine(c, &rng), .activation(.elu)]
        },
        Layer(name: "e_cf_relu_affine_softmax", dataFormat: .channelsFirst, activation: .relu) { c, rng in
            [affine(c, &rng), .activation(.softmax)]
        },
        Layer(name: "e_cf_linear_affine_elu", dataFormat: .channelsFirst, activation: .linear, epilogue: { c, rng in
            [affine(c, &rng), .activation(.elu)]
        }, dtype: .float64),
        Layer(name: "e_glu_affine_sigmoid", dataFormat: .channelsLast, activation: .glu) { c, rng in
            [affine(c, &rng), .activation(.sigmoid)]
        },
        Layer(name: "e_tanh_affine_glu", dataFormat: .channelsLast, activation: .tanh, epilogue: { c, rng in
            [affine(c, &rng), .activation(.glu), .activation(.leakyRelu)]
        }, filters: 20),
    ]

    /// The output shape goes through every step: glu halves the last axis.
    @Test func plannerCarriesTheShapeThroughTheEpilogue() throws {
        var rng = SplitMix64(seed: 3)
        let spec = RandomLayers.make(name: "s", dtype: .float32, steps: 10, channels: 3, filters: 8, kernel: 3, strides: 1, padding: .same,
                                     dataFormat: .channelsLast, dilation: 1, depthMultiplier: 1, activation: .glu, useBias: true)
        let layer = RandomLayers.complete(spec, batch: 1, rng: &rng)
        let plan = Planner.plan(spec.with(epilogue: [.activation(.glu)]), weights: layer.weights)
        #expect(plan.outputChannels == 2 && plan.outputSteps == 10)
        #expect(plan.schedule.needsOutputTile)
        #expect(try Interpreter.run(plan, input: layer.input).shape == [1, 10, 2])
        #expect(spec.with(epilogue: [.activation(.glu)]).crossArgumentErrors.isEmpty)
        let wrong = spec.with(epilogue: [.affine(scale: [1], shift: [0])]).crossArgumentErrors
        #expect(wrong.count == 1 && wrong.allSatisfy { $0.message.contains("1 scales") })
        var first = spec
        first.dataFormat = .channelsFirst
        first.activation = .relu
        let stepsGlu = first.with(epilogue: [.activation(.glu)]).crossArgumentErrors
        #expect(stepsGlu.count == 1 && stepsGlu.allSatisfy { $0.message.contains("glu") })
    }

    /// The interpreter applies the steps in order: an affine step after relu
    /// is exactly y · scale + shift of the plain layer's output.
    @Test func interpreterAppliesTheStepsInOrder() throws {
        var rng = SplitMix64(seed: 5)
        let spec = RandomLayers.make(name: "i", dtype: .float64, steps: 6, channels: 2, filters: 3, kernel: 3, strides: 1, padding: .same,
                                     dataFormat: .channelsFirst, dilation: 1, depthMultiplier: 1, activation: .relu, useBias: true)
        let layer = RandomLayers.complete(spec, batch: 2, rng: &rng)
        let plain = try Interpreter.run(Planner.plan(spec, weights: layer.weights), input: layer.input)
        let scale = [2.0, -1.0, 0.5], shift = [1.0, 0.0, -3.0]
        let fused = try Interpreter.run(Planner.plan(spec.with(epilogue: [.affine(scale: scale, shift: shift)]), weights: layer.weights), input: layer.input)
        for (index, value) in plain.scalars.enumerated() {
            let filter = index / 6 % 3
            #expect(fused.scalars[index] == value * scale[filter] + shift[filter])
        }
    }

    @Test func emittedEpiloguesMatchTheInterpreter() async throws {
        var rng = SplitMix64(seed: 0xE916)
        var cases: [CompileHarness.Case] = []
        for layer in Self.layers {
            let spec = RandomLayers.make(name: layer.name, dtype: layer.dtype, steps: 17, channels: 5, filters: layer.filters, kernel: 3,
                                         strides: 1, padding: .same, dataFormat: layer.dataFormat, dilation: 1, depthMultiplier: 1,
                                         activation: layer.activation, useBias: true)
            let random = RandomLayers.complete(spec, batch: 3, rng: &rng)
            let channels = layer.dataFormat == .channelsLast ? layer.activation.outputLength(forLastAxis: layer.filters) : layer.filters
            let epilogue = layer.epilogue(channels, &rng)
            for mode in [UnrollRequest.full, .loops] {
                #expect(spec.with(epilogue: epilogue).crossArgumentErrors.isEmpty, "\(layer.name)")
                var plan = Planner.plan(spec.with(epilogue: epilogue), weights: random.weights, unroll: mode)
                #expect(Planner.refusal(of: mode, for: plan) == nil, "\(layer.name)")
                plan.name = "\(layer.name)_\(mode.rawValue)"
                cases.append(CompileHarness.Case(plan: plan, mode: mode, group: layer.name, origin: "epilogue \(layer.name)", isRandom: false,
                                                 batch: random.batch, input: random.input.scalars,
                                                 reference: try Interpreter.run(plan, input: random.input).scalars, keras: nil))
            }
        }
        let all = cases
        let report = await EmitterCompileTests.inBackground { CompileHarness.run(all, width: 2) }
        #expect(report.buildProblems.isEmpty, "\(report.buildProblems)")
        for build in CompileHarness.Build.allCases {
            for item in cases {
                let outcome = report.outcomes[build]?[item.name]
                #expect(outcome?.passed == true, "\(build.rawValue) \(item.name): \(String(describing: outcome))")
            }
        }
    }
}
