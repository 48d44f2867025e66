/// Which stages of the SeparableConv1D lowering a layer has: the planner,
/// tiles, borders, schedule and streaming are the same for every variant,
/// only the stages' arithmetic differs.
///
/// A network's `Conv1D` and `DepthwiseConv1D` are planned as a
/// SeparableConv1D of one stage (`NetworkBuilder.convolution`): the plan's
/// weights hold that stage's kernel, an empty tensor in place of the other,
/// which the kernels, the interpreter and the counts leave out, so that they
/// do only the layer's own multiply-adds.
public enum ConvolutionVariant: String, Hashable, Sendable, Encodable {
    /// Both stages: a depthwise kernel, then a pointwise kernel (SeparableConv1D).
    case separable
    /// The depthwise stage only (`DepthwiseConv1D`): the depthwise tile's
    /// values go through the bias, activation and epilogue to the output
    /// (the pointwise kernel would be the identity).
    case depthwiseOnly = "depthwise-only"
    /// A gather, then the pointwise stage (`Conv1D`): the "depthwise" stage
    /// copies each channel's K taps into the depthwise tile (depth
    /// multiplier K, multiplier k holding tap k; zero where a border tap
    /// falls outside the input), and the pointwise stage, over those K · C
    /// rows, holds the layer's kernel (the depthwise kernel would be a
    /// one-hot gather).
    case denseTaps = "dense-tap"

    /// Whether the kernels multiply by a depthwise kernel.
    public var hasDepthwiseKernel: Bool { self != .denseTaps }
    /// Whether the kernels multiply by a pointwise kernel.
    public var hasPointwiseKernel: Bool { self != .depthwiseOnly }
}
