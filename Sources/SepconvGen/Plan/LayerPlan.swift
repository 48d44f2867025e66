/// The IR: one layer with every shape, pad, tap and unroll decision fixed.
///
/// Emitters print it and the interpreter runs it; neither decides anything
/// about the layer's geometry on its own.
public struct LayerPlan: Hashable, Sendable {
    /// The layer's C identifier.
    public var name: String {
        // The window kernels are named after the layer and read its tables: they follow a rename.
        didSet { if stream != nil { stream = StreamGeometry(self) } }
    }
    public var dtype: DType
    /// The element type of the tensors and the emitted code: `dtype`'s, or int8 for a quantized layer.
    public var format: NumericFormat { quantized == nil ? dtype.format : .int8 }
    public var dataFormat: DataFormat
    public var activation: Activation

    /// Input steps (L).
    public var inputSteps: Int
    /// Input channels (C).
    public var inputChannels: Int
    /// Depth multiplier (M).
    public var depthMultiplier: Int
    /// Filters (F).
    public var filters: Int
    /// Kernel size (K).
    public var kernelSize: Int
    public var stride: Int
    public var dilation: Int
    public var padding: Padding
    /// Zeros Keras pads before the first input step.
    public var padLeft: Int
    /// Zeros Keras pads after the last input step.
    public var padRight: Int
    /// Steps of the convolution's output, before the activation.
    public var convolutionSteps: Int

    /// Steps of the layer's output after the activation (glu may halve them for channels_first).
    public var outputSteps: Int
    /// Channels of the layer's output after the activation (glu may halve them for channels_last).
    public var outputChannels: Int

    /// The weights, every value representable in `dtype`.
    public var weights: LayerWeights

    /// Output steps grouped into runs that read the same taps; in order, covering every step.
    public var runs: [StepRun]

    /// How each language's kernel is unrolled.
    public var unroll: UnrollDecision

    /// Steps applied in order after `activation`, fused into the kernel's
    /// store (a folded BatchNormalization, a following activation layer);
    /// empty for a spec that names no model.
    public var epilogue: [EpilogueStep] = []

    /// Where the weights came from when the spec gave none ("drawn from
    /// glorot_uniform ... with seed 0, not trained") or took them from a model
    /// ("from kws.keras, layer sep, then ..." with the fused layers); nil for
    /// weights the spec gives itself.
    public var provenance: String? = nil

    /// The shape arithmetic, the one place receptive field, pads and cost come from.
    public var geometry: LayerGeometry

    /// The `loops` kernels' schedule (tiles, blocks, wide paths, prefetch, routines).
    public var schedule: KernelSchedule

    /// The int8 arithmetic, planned (SPEC.md section 7); nil for a float layer.
    public var quantized: QuantizedPlan? = nil
    /// Why the spec's int8 layer cannot be planned (`QuantizedPlan.refusal`), if it cannot.
    public var quantizationRefusal: String? = nil

    /// The streaming API's geometry, when the spec asks for it (`streaming: true`).
    public var stream: StreamGeometry? = nil
    /// Per language, the layer whose weight tables this plan's `loops` kernel
    /// reads instead of printing its own: a streaming window kernel borrows
    /// the batch kernel's where both are `loops` (the same layer, block
    /// shapes and prefetch padding give the same tables). Empty: its own.
    public var borrowedTables: [TargetLanguage: String] = [:]

    /// Which stages the kernels compute (`geometry`'s, decided by the spec).
    public var convolution: ConvolutionVariant { geometry.convolution }

    /// Depthwise output channels (C × M).
    public var depthwiseChannels: Int { inputChannels * depthMultiplier }

    /// The layer whose weight tables the kernel in `language` reads.
    public func tablesName(_ language: TargetLanguage) -> String { borrowedTables[language] ?? name }
    /// Input steps one output step can see: (K − 1) · d + 1.
    public var receptiveField: Int { geometry.receptiveField }
    /// Values in one batch item's input.
    public var inputSize: Int { inputSteps * inputChannels }
    /// Values in one batch item's output.
    public var outputSize: Int { outputSteps * outputChannels }
    /// Whether a bias is added.
    public var useBias: Bool { weights.bias != nil }

    /// Weights in the layer, bias included.
    public var parameterCount: Int { geometry.parameterCount }

    /// Multiply-adds of the depthwise stage for one batch item (padded taps excluded).
    public var depthwiseMultiplyAdds: Int { geometry.multiplyAdds.depthwise }

    /// Multiply-adds of the pointwise stage for one batch item.
    public var pointwiseMultiplyAdds: Int { geometry.multiplyAdds.pointwise }

    /// All multiply-adds for one batch item.
    public var multiplyAdds: Int { geometry.totalMultiplyAdds }

    /// The input step read by tap `tap` of output step `step` (may fall in the padding).
    public func inputStep(forOutput step: Int, tap: Int) -> Int {
        geometry.inputStep(forOutput: step, tap: tap)
    }
}

/// Consecutive output steps whose taps in the input are the same kernel
/// positions: `firstTap ..< firstTap + tapCount`. Every other tap falls in
/// the padding and does not exist in the emitted code.
public struct StepRun: Hashable, Sendable {
    /// The output steps of the run.
    public var steps: Range<Int>
    /// The first kernel position that reads the input.
    public var firstTap: Int
    /// How many consecutive kernel positions read the input (0 when all fall in the padding).
    public var tapCount: Int
    /// Whether every tap reads the input (the branch-free interior).
    public var isInterior: Bool
}

/// What `--unroll` asked for.
public enum UnrollRequest: String, CaseIterable, Hashable, Sendable {
    case auto, full, loops
}

/// How an emitted kernel is shaped.
public enum UnrollStrategy: String, Hashable, Sendable {
    /// No loop but the batch loop; every weight a literal in the arithmetic.
    case full
    /// Fixed-count loops over output steps, borders peeled, weights in constant arrays.
    case loops
}

/// The target languages.
public enum TargetLanguage: String, CaseIterable, Hashable, Sendable {
    case c, swift
}

/// The unroll strategy of each language's kernel.
public struct UnrollDecision: Hashable, Sendable {
    public var c: UnrollStrategy
    public var swift: UnrollStrategy

    /// The strategy for `language`.
    public subscript(language: TargetLanguage) -> UnrollStrategy {
        language == .c ? c : swift
    }
}
