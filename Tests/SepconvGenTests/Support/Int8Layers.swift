@testable import SepconvGen

/// Random int8 layers as a TFLite model would hold them: random geometry,
/// int8 weights, per-channel scales, zero points, int32 biases and fused
/// activations, each one the planner accepts.
enum Int8Layers {
    /// One random layer's spec (its `quantization` set) and a seeded int8 input.
    struct Layer: Sendable {
        var spec: LayerSpec
        var batch: Int
        /// batch × steps × channels int8 values.
        var input: [Int]

        /// The layer planned with `unroll`, named `name`.
        func plan(_ unroll: UnrollRequest, name: String) -> LayerPlan {
            var spec = self.spec
            spec.name = name
            return Int8Layers.plan(spec, unroll)
        }
    }

    /// `spec` planned with `unroll` (the weights come from its quantization, which must be set).
    static func plan(_ spec: LayerSpec, _ unroll: UnrollRequest) -> LayerPlan {
        // Placeholder weights: the planner puts the quantization's in their place (when it can plan it).
        let shapes = LayerWeights.shapes(of: spec)
        let weights = LayerWeights(depthwiseKernel: Tensor(shape: shapes.depthwise, repeating: 0), pointwiseKernel: Tensor(shape: shapes.pointwise, repeating: 0),
                                   bias: spec.useBias ? Tensor(shape: shapes.bias, repeating: 0) : nil)
        return Planner.plan(spec, weights: weights, unroll: unroll)
    }

    /// A geometry as plain numbers.
    struct Geometry {
        var steps, channels, filters, kernel, strides, dilation, multiplier: Int
        var padding: Padding
        var useBias: Bool
        var streaming = false
    }

    /// The spec of `geometry` named `name`, without its quantization.
    static func spec(_ g: Geometry, name: String) -> LayerSpec {
        var spec = LayerSpec(file: "", name: name, dtype: .float32, inputSteps: g.steps, inputChannels: g.channels, filters: g.filters,
                             kernelSize: g.kernel, strides: g.strides, padding: g.padding, dataFormat: .channelsLast,
                             dilationRate: g.dilation, depthMultiplier: g.multiplier, activation: .linear, useBias: g.useBias,
                             depthwiseInitializer: .zeros, pointwiseInitializer: .zeros, biasInitializer: .zeros,
                             seed: 0, weights: nil, marks: [:])
        spec.streaming = g.streaming
        return spec
    }

    /// Random int8 arithmetic for `spec`'s shape: scales around what a
    /// converter picks for such a layer (so values cross the clamps but not
    /// always), zero points anywhere in int8.
    static func draw(_ spec: LayerSpec, rng: inout SplitMix64, leadingPad: Int = 0,
                     activations: (QuantizedLayer.FusedActivation, QuantizedLayer.FusedActivation)? = nil) -> QuantizedLayer {
        let (K, CM, F) = (spec.kernelSize, spec.inputChannels * spec.depthMultiplier, spec.filters)
        func int8s(_ count: Int) -> [Int8] { (0..<count).map { _ in Int8.random(in: -127...127, using: &rng) } }
        func scale(_ range: ClosedRange<Double>) -> Float { Float(Double.random(in: range, using: &rng)) }
        func zero() -> Int { Int.random(in: -128...127, using: &rng) }
        let input = QuantizedLayer.Quantization(scale: scale(0.005...0.05), zeroPoint: zero())
        let dwScales = (0..<CM).map { _ in scale(0.002...0.02) }
        // The intermediate's range spans about what sqrt(K) taps of typical products reach.
        let middle = QuantizedLayer.Quantization(scale: input.scale * 1.27 * Float(Double(K).squareRoot()) * scale(0.2...3), zeroPoint: zero())
        let pwScales = (0..<F).map { _ in scale(0.002...0.02) }
        let output = QuantizedLayer.Quantization(scale: middle.scale * 1.27 * Float(Double(CM).squareRoot()) * scale(0.2...3), zeroPoint: zero())
        let all = QuantizedLayer.FusedActivation.allCases
        return QuantizedLayer(
            input: input, intermediate: middle, output: output,
            depthwiseKernel: int8s(K * CM), depthwiseScales: dwScales,
            depthwiseBias: (0..<CM).map { _ in Int32.random(in: -3000...3000, using: &rng) },
            pointwiseKernel: int8s(CM * F), pointwiseScales: pwScales,
            pointwiseBias: spec.useBias ? (0..<F).map { _ in Int32.random(in: -20000...20000, using: &rng) } : nil,
            depthwiseActivation: activations?.0 ?? all.randomElement(using: &rng) ?? .none,
            pointwiseActivation: activations?.1 ?? all.randomElement(using: &rng) ?? .none,
            leadingPad: leadingPad, provenance: "random int8 test layer")
    }

    /// `count` random layers (kernel 1-9, strides 1-3, dilation 1-3, 'same'
    /// and 'valid', a leading pad on some 'valid' ones, depth multiplier
    /// 1-3, bias on and off, every fused activation), batch 1 or 3; 1-5
    /// input channels and 1-7 filters unless `channels` and `filters` say otherwise.
    static func make(count: Int, seed: UInt64, streaming: Bool = false, channels: ClosedRange<Int> = 1...5, filters: ClosedRange<Int> = 1...7,
                     prefix: String = "q") -> [Layer] {
        var rng = SplitMix64(seed: seed)
        var layers: [Layer] = []
        let all = QuantizedLayer.FusedActivation.allCases
        while layers.count < count {
            let index = layers.count
            let g = Geometry(steps: Int.random(in: 1...24, using: &rng), channels: Int.random(in: channels, using: &rng),
                             filters: Int.random(in: filters, using: &rng), kernel: index % 9 + 1, strides: Int.random(in: 1...3, using: &rng),
                             dilation: Int.random(in: 1...3, using: &rng), multiplier: Int.random(in: 1...3, using: &rng),
                             padding: Bool.random(using: &rng) ? .same : .valid, useBias: index % 4 != 3, streaming: streaming)
            var spec = spec(g, name: "\(prefix)\(index)")
            let leadingPad = g.padding == .valid && index % 3 == 0 ? (g.kernel - 1) * g.dilation : 0
            // Every pair of fused activations appears across the layers.
            let activations = (all[index % all.count], all[(index / all.count) % all.count])
            spec.quantization = draw(spec, rng: &rng, leadingPad: leadingPad, activations: activations)
            let plan = Int8Layers.plan(spec, .loops)
            guard plan.quantizationRefusal == nil, plan.convolutionSteps > 0 || index % 7 == 0 else { continue }
            let batch = index % 2 == 0 ? 1 : 3
            layers.append(Layer(spec: spec, batch: batch,
                                input: (0..<batch * g.steps * g.channels).map { _ in Int.random(in: -128...127, using: &rng) }))
        }
        return layers
    }

    /// The interpreter's output for `plan` on `input` (batch-major int8 values).
    static func reference(_ plan: LayerPlan, _ input: [Int], batch: Int) throws -> [Int] {
        let tensor = Tensor(shape: [batch, plan.inputSteps, plan.inputChannels], scalars: input.map(Double.init))
        return try Interpreter.run(plan, input: tensor).scalars.map { Int($0) }
    }
}
