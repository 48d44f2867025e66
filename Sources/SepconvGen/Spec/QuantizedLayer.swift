/// The integer arithmetic of one int8 `SeparableConv1D`, as a TensorFlow Lite
/// model holds it (SPEC.md section 7): the two operators' int8 weights with one
/// scale per output channel, their int32 biases, the scale and zero point of
/// the input, of the int8 tensor between the operators and of the output, and
/// each operator's fused activation.
///
/// The layer's shape (steps, channels, filters, kernel size, strides, padding,
/// dilation, depth multiplier) stays on `LayerSpec`; this value carries only
/// what the float layer does not have.
public struct QuantizedLayer: Hashable, Sendable {
    /// How a tensor's int8 values map to reals: `scale · (q − zeroPoint)`.
    public struct Quantization: Hashable, Sendable {
        public var scale: Float
        public var zeroPoint: Int

        public init(scale: Float, zeroPoint: Int) {
            self.scale = scale
            self.zeroPoint = zeroPoint
        }
    }

    /// An activation TFLite fuses into an operator: a clamp of its quantized output.
    public enum FusedActivation: String, Hashable, Sendable, CaseIterable {
        case none
        case relu
        case relu6
        case reluN1To1 = "relu_n1_to_1"
    }

    /// The layer's int8 input.
    public var input: Quantization
    /// The depthwise operator's int8 output, the pointwise operator's input.
    public var intermediate: Quantization
    /// The layer's int8 output.
    public var output: Quantization

    /// Depthwise weights in Keras's order (K, C, M), row-major: tap `k` of
    /// depthwise channel `c·M + m` is element `k·C·M + c·M + m`.
    public var depthwiseKernel: [Int8]
    /// One scale per depthwise channel (C·M); the weights are symmetric (zero point 0).
    public var depthwiseScales: [Float]
    /// The depthwise operator's int32 bias per depthwise channel (zeros when the model has none).
    public var depthwiseBias: [Int32]
    /// Pointwise weights in Keras's order (1, C·M, F), row-major: row `c·M + m`, column `f`.
    public var pointwiseKernel: [Int8]
    /// One scale per filter (F); symmetric.
    public var pointwiseScales: [Float]
    /// The pointwise operator's int32 bias per filter; nil when the model has none.
    public var pointwiseBias: [Int32]?
    /// The activation fused into the depthwise operator (clamps the intermediate tensor).
    public var depthwiseActivation: FusedActivation
    /// The activation fused into the pointwise operator (clamps the output).
    public var pointwiseActivation: FusedActivation
    /// Steps of the input zero point a `PAD` operator puts before the signal
    /// (tf.keras 2's `'causal'` padding, (K − 1)·d); the spec's padding is then
    /// `valid`. A tap there adds nothing, as a tap in 'same' padding.
    public var leadingPad: Int
    /// Where the layer came from, for headers and `explain`: the model file
    /// and the operators of the chain, e.g. `kws_int8.tflite: operators 1-4
    /// (RESHAPE, DEPTHWISE_CONV_2D, CONV_2D, RESHAPE)`.
    public var provenance: String

    public init(input: Quantization, intermediate: Quantization, output: Quantization,
                depthwiseKernel: [Int8], depthwiseScales: [Float], depthwiseBias: [Int32],
                pointwiseKernel: [Int8], pointwiseScales: [Float], pointwiseBias: [Int32]?,
                depthwiseActivation: FusedActivation, pointwiseActivation: FusedActivation,
                leadingPad: Int = 0, provenance: String) {
        self.input = input
        self.intermediate = intermediate
        self.output = output
        self.depthwiseKernel = depthwiseKernel
        self.depthwiseScales = depthwiseScales
        self.depthwiseBias = depthwiseBias
        self.pointwiseKernel = pointwiseKernel
        self.pointwiseScales = pointwiseScales
        self.pointwiseBias = pointwiseBias
        self.depthwiseActivation = depthwiseActivation
        self.pointwiseActivation = pointwiseActivation
        self.leadingPad = leadingPad
        self.provenance = provenance
    }
}
