@testable import SepconvGen
import KerasInitializers

/// A small, fast, seedable generator (SplitMix64): the same seed gives the
/// same layers on every machine and Swift version.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value uniform in `range`, rounded to `dtype`.
    mutating func value(in range: ClosedRange<Double>, _ dtype: DType) -> Double {
        let x = Double.random(in: range, using: &self)
        return dtype == .float32 ? Double(Float(x)) : x
    }
}

/// One random `SeparableConv1D` configuration with its weights and a seeded input.
struct RandomLayer: Sendable {
    /// The spec, named `rNNN` (the unroll mode is appended by the harness).
    var spec: LayerSpec
    var weights: LayerWeights
    /// Batch items in `input`.
    var batch: Int
    /// (batch, steps, channels) or (batch, channels, steps), values representable in the dtype.
    var input: Tensor

    /// The configuration in one line, for failure messages.
    var summary: String {
        let s = spec
        return "\(s.name): \(s.dtype.rawValue) \(s.dataFormat.rawValue) steps \(s.inputSteps) channels \(s.inputChannels) "
            + "filters \(s.filters) kernel_size \(s.kernelSize) strides \(s.strides) dilation_rate \(s.dilationRate) "
            + "depth_multiplier \(s.depthMultiplier) padding \(s.padding.rawValue) use_bias \(s.useBias) "
            + "activation \(s.activation.rawValue) batch \(batch)"
    }
}

/// Seeded random configurations across the whole argument space of the layer.
enum RandomLayers {
    /// The ranges the configurations are drawn from.
    static let steps = 1...40
    static let channels = 1...6
    static let filters = 1...8
    static let kernelSizes = 1...7
    static let strides = 1...4
    static let dilations = 1...4
    static let depthMultipliers = 1...4

    /// Whether the spec rules accept a configuration: 'valid' needs the
    /// receptive field to fit in the input, and glu an even last axis
    /// (filters for channels_last, output steps for channels_first).
    static func isAccepted(_ spec: LayerSpec) -> Bool {
        let receptiveField = (spec.kernelSize - 1) * spec.dilationRate + 1
        let outputSteps: Int
        switch spec.padding {
        case .valid:
            guard receptiveField <= spec.inputSteps else { return false }
            outputSteps = (spec.inputSteps - receptiveField) / spec.strides + 1
        case .same:
            outputSteps = (spec.inputSteps + spec.strides - 1) / spec.strides
        }
        if spec.activation == .glu {
            let lastAxis = spec.dataFormat == .channelsLast ? spec.filters : outputSteps
            return lastAxis % 2 == 0
        }
        return true
    }

    /// `count` accepted configurations from `seed`, plus a few fixed corners
    /// of the space (named `cNN`). Activations are dealt round-robin so each
    /// appears `count / Activation.allCases.count` times or more; a draw the
    /// spec rules reject is redrawn with the same activation, so no
    /// activation is starved by its own constraints.
    static func make(count: Int, seed: UInt64) -> [RandomLayer] {
        var rng = SplitMix64(seed: seed)
        let activations = Activation.allCases.shuffled(using: &rng)
        var layers: [RandomLayer] = []
        for index in 0..<count {
            let activation = activations[index % activations.count]
            var spec: LayerSpec
            repeat {
                spec = draw(&rng, name: "r" + pad(index), activation: activation)
            } while !isAccepted(spec)
            layers.append(complete(spec, batch: 2 + index % 2, rng: &rng))
        }
        return layers + fixed(corners + wideCorners, prefix: "c", rng: &rng)
    }

    /// The fixed layers `specs`, named `prefix` and their index, with their
    /// weights and inputs drawn from `rng`.
    static func fixed(_ specs: [LayerSpec], prefix: String, rng: inout SplitMix64) -> [RandomLayer] {
        specs.enumerated().map { index, corner in
            var spec = corner
            spec.name = prefix + pad(index, width: 2)
            precondition(isAccepted(spec), "corner \(spec.name) is not a valid layer")
            return complete(spec, batch: 2 + index % 2, rng: &rng)
        }
    }

    /// Most multiply-adds (upper bound: output steps × C·M × (K + F)) of a
    /// drawn layer. Every argument still reaches the top of its range (the
    /// coverage test checks it), but not all at once: swiftc -O needs 1.5 to
    /// 3 ms and gcc -O2 up to 1.4 ms per fully unrolled multiply-add, so the
    /// tail of the product distribution would cost minutes of CI. The corners
    /// below put every maximum but the stride in one layer.
    static let maxDrawnMultiplyAdds = 2_500

    /// One draw: every argument over its whole range, but each of steps,
    /// channels, depth_multiplier, filters and kernel_size half the time from
    /// the lower part of its range, so small layers (where borders, padding
    /// and kernels longer than the input interact most) are common and the
    /// layers' sizes stay moderate.
    static func draw(_ rng: inout SplitMix64, name: String, activation: Activation) -> LayerSpec {
        while true {
            func pick(_ low: ClosedRange<Int>, _ all: ClosedRange<Int>) -> Int {
                Int.random(in: Bool.random(using: &rng) ? low : all, using: &rng)
            }
            let spec = make(name: name,
                            dtype: Bool.random(using: &rng) ? .float32 : .float64,
                            steps: pick(1...12, steps),
                            channels: pick(1...3, channels),
                            filters: pick(1...4, filters),
                            kernel: pick(1...4, kernelSizes),
                            strides: Int.random(in: strides, using: &rng),
                            padding: Bool.random(using: &rng) ? .same : .valid,
                            dataFormat: Bool.random(using: &rng) ? .channelsLast : .channelsFirst,
                            dilation: Int.random(in: dilations, using: &rng),
                            depthMultiplier: pick(1...2, depthMultipliers),
                            activation: activation,
                            useBias: Bool.random(using: &rng))
            if multiplyAddBound(spec) <= maxDrawnMultiplyAdds { return spec }
        }
    }

    /// Output steps × C·M × (K + F): the multiply-adds with no padded tap left out.
    static func multiplyAddBound(_ spec: LayerSpec) -> Int {
        let receptiveField = (spec.kernelSize - 1) * spec.dilationRate + 1
        let steps = spec.padding == .same
            ? (spec.inputSteps + spec.strides - 1) / spec.strides
            : max(0, (spec.inputSteps - receptiveField) / spec.strides + 1)
        return steps * spec.inputChannels * spec.depthMultiplier * (spec.kernelSize + spec.filters)
    }

    /// Fixed corners with many filter blocks (the draw's filters stop at 8):
    /// pairs of blocks for the 512-bit kernel, an odd block left over, a
    /// partial last vector, both dtypes and data formats, glu's output tile.
    static let wideCorners: [LayerSpec] = [
        make(name: "c", dtype: .float32, steps: 9, channels: 3, filters: 40, kernel: 3, strides: 1, padding: .same,
             dataFormat: .channelsLast, dilation: 1, depthMultiplier: 1, activation: .relu, useBias: true),
        make(name: "c", dtype: .float32, steps: 20, channels: 2, filters: 70, kernel: 3, strides: 2, padding: .valid,
             dataFormat: .channelsLast, dilation: 2, depthMultiplier: 2, activation: .tanh, useBias: true),
        make(name: "c", dtype: .float64, steps: 11, channels: 2, filters: 20, kernel: 4, strides: 1, padding: .same,
             dataFormat: .channelsFirst, dilation: 3, depthMultiplier: 1, activation: .softmax, useBias: true),
        make(name: "c", dtype: .float32, steps: 7, channels: 1, filters: 96, kernel: 2, strides: 1, padding: .same,
             dataFormat: .channelsLast, dilation: 1, depthMultiplier: 3, activation: .glu, useBias: false),
        make(name: "c", dtype: .float64, steps: 13, channels: 4, filters: 33, kernel: 5, strides: 1, padding: .valid,
             dataFormat: .channelsLast, dilation: 1, depthMultiplier: 1, activation: .elu, useBias: true),
    ]

    /// Fixed corners compiled in `loops` only, by the wide test: the 512-bit
    /// depthwise stage (channels_last, 16 floats or 8 doubles of channels at
    /// a time) with wide, 32-byte and scalar channels in one layer, more than
    /// 8 taps, depth multipliers, strides and dilation; and pointwise weights
    /// past 32 KiB (prefetched) with wide, plain and short filter blocks.
    static let loopsCorners: [LayerSpec] = [
        make(name: "c", dtype: .float32, steps: 18, channels: 27, filters: 1, kernel: 3, strides: 1, padding: .same,
             dataFormat: .channelsLast, dilation: 2, depthMultiplier: 1, activation: .relu, useBias: true),
        make(name: "c", dtype: .float64, steps: 20, channels: 8, filters: 3, kernel: 9, strides: 1, padding: .same,
             dataFormat: .channelsLast, dilation: 1, depthMultiplier: 2, activation: .linear, useBias: false),
        make(name: "c", dtype: .float32, steps: 40, channels: 33, filters: 20, kernel: 4, strides: 2, padding: .valid,
             dataFormat: .channelsLast, dilation: 3, depthMultiplier: 2, activation: .tanh, useBias: true),
        make(name: "c", dtype: .float32, steps: 8, channels: 96, filters: 88, kernel: 3, strides: 1, padding: .same,
             dataFormat: .channelsLast, dilation: 1, depthMultiplier: 1, activation: .relu, useBias: true),
    ]

    /// The 512-bit corners (`wideCorners`, `loopsCorners`) with their
    /// weights and inputs, named `wNN`.
    static func makeWide(seed: UInt64) -> [RandomLayer] {
        var rng = SplitMix64(seed: seed)
        return fixed(wideCorners + loopsCorners, prefix: "w", rng: &rng)
    }

    /// Fixed corners: the largest layer but for strides 4 (14,400
    /// multiply-adds at strides 1 would cost a minute of compiling in `full`),
    /// twice, the second in float64 with the largest dilation and softmax
    /// over steps; one-step inputs under long dilated
    /// kernels, the largest stride with the largest dilation, and the glu
    /// and row-wise activations on the smallest axes they accept.
    static let corners: [LayerSpec] = [
        make(name: "c", dtype: .float32, steps: 40, channels: 6, filters: 8, kernel: 7, strides: 4, padding: .same,
             dataFormat: .channelsLast, dilation: 1, depthMultiplier: 4, activation: .relu, useBias: true),
        make(name: "c", dtype: .float64, steps: 40, channels: 6, filters: 8, kernel: 7, strides: 4, padding: .same,
             dataFormat: .channelsFirst, dilation: 4, depthMultiplier: 4, activation: .softmax, useBias: true),
        make(name: "c", dtype: .float32, steps: 1, channels: 3, filters: 2, kernel: 7, strides: 1, padding: .same,
             dataFormat: .channelsLast, dilation: 4, depthMultiplier: 2, activation: .glu, useBias: false),
        make(name: "c", dtype: .float64, steps: 1, channels: 1, filters: 1, kernel: 7, strides: 4, padding: .same,
             dataFormat: .channelsFirst, dilation: 4, depthMultiplier: 1, activation: .sparsemax, useBias: true),
        make(name: "c", dtype: .float32, steps: 40, channels: 2, filters: 3, kernel: 7, strides: 4, padding: .valid,
             dataFormat: .channelsFirst, dilation: 4, depthMultiplier: 3, activation: .logSoftmax, useBias: true),
        make(name: "c", dtype: .float64, steps: 40, channels: 5, filters: 7, kernel: 7, strides: 4, padding: .same,
             dataFormat: .channelsLast, dilation: 4, depthMultiplier: 1, activation: .elu, useBias: false),
        make(name: "c", dtype: .float32, steps: 4, channels: 2, filters: 3, kernel: 3, strides: 2, padding: .same,
             dataFormat: .channelsFirst, dilation: 1, depthMultiplier: 1, activation: .glu, useBias: true),
        make(name: "c", dtype: .float64, steps: 25, channels: 1, filters: 8, kernel: 7, strides: 3, padding: .valid,
             dataFormat: .channelsLast, dilation: 4, depthMultiplier: 4, activation: .glu, useBias: true),
        make(name: "c", dtype: .float32, steps: 2, channels: 6, filters: 1, kernel: 6, strides: 3, padding: .same,
             dataFormat: .channelsFirst, dilation: 3, depthMultiplier: 4, activation: .softmax, useBias: false),
        make(name: "c", dtype: .float64, steps: 7, channels: 4, filters: 8, kernel: 7, strides: 1, padding: .valid,
             dataFormat: .channelsFirst, dilation: 1, depthMultiplier: 2, activation: .sparsemax, useBias: true),
    ]

    static func make(name: String, dtype: DType, steps: Int, channels: Int, filters: Int, kernel: Int, strides: Int,
                     padding: Padding, dataFormat: DataFormat, dilation: Int, depthMultiplier: Int,
                     activation: Activation, useBias: Bool) -> LayerSpec {
        LayerSpec(file: "", name: name, dtype: dtype, inputSteps: steps, inputChannels: channels, filters: filters,
                  kernelSize: kernel, strides: strides, padding: padding, dataFormat: dataFormat, dilationRate: dilation,
                  depthMultiplier: depthMultiplier, activation: activation, useBias: useBias,
                  depthwiseInitializer: .zeros, pointwiseInitializer: .zeros, biasInitializer: .zeros,
                  seed: 0, weights: nil, marks: [:])
    }

    /// Seeded weights and input for `spec`. Depthwise weights are uniform in
    /// [-1, 1], pointwise ones in ±1/√(C·M) (so pre-activations stay of order
    /// 1 to 10 and `exponential` cannot overflow float32), bias in [-0.5, 0.5],
    /// inputs in [-2, 2] (wide enough to cross every activation's kinks).
    static func complete(_ spec: LayerSpec, batch: Int, rng: inout SplitMix64) -> RandomLayer {
        let shapes = LayerWeights.shapes(of: spec)
        let dtype = spec.dtype
        func tensor(_ shape: [Int], _ range: ClosedRange<Double>) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.value(in: range, dtype) })
        }
        let scale = 1 / Double(spec.inputChannels * spec.depthMultiplier).squareRoot()
        let weights = LayerWeights(depthwiseKernel: tensor(shapes.depthwise, -1...1),
                                   pointwiseKernel: tensor(shapes.pointwise, -scale...scale),
                                   bias: spec.useBias ? tensor(shapes.bias, -0.5...0.5) : nil)
        let perItem = spec.dataFormat == .channelsLast ? [spec.inputSteps, spec.inputChannels] : [spec.inputChannels, spec.inputSteps]
        return RandomLayer(spec: spec, weights: weights, batch: batch, input: tensor([batch] + perItem, -2...2))
    }

    private static func pad(_ index: Int, width: Int = 3) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension LayerSpec {
    /// The spec with `epilogue` after its activation, as `fuse: true` gives one.
    func with(epilogue: [EpilogueStep]) -> LayerSpec {
        var spec = self
        spec.epilogue = epilogue
        return spec
    }
}
