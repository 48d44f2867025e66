/// The shape arithmetic of one SeparableConv1D, in one place: receptive
/// field, output steps, Keras's pads, parameters and multiply-adds. The
/// decoder's limits, the Planner, `explain` and the interpreter's cross-check
/// all read it from here.
public struct LayerGeometry: Hashable, Sendable {
    /// Input steps (L).
    public var inputSteps: Int
    /// Input channels (C).
    public var inputChannels: Int
    /// Filters (F).
    public var filters: Int
    /// Kernel size (K).
    public var kernelSize: Int
    public var stride: Int
    public var dilation: Int
    /// Depth multiplier (M).
    public var depthMultiplier: Int
    public var padding: Padding
    public var useBias: Bool
    /// Which stages the kernels compute: their parameters and multiply-adds are those stages' only.
    public var convolution: ConvolutionVariant

    /// Input steps one output step can see: (K − 1) · d + 1.
    public let receptiveField: Int
    /// Steps of the convolution's output (0 when 'valid' leaves none).
    public let convolutionSteps: Int
    /// Zeros Keras pads before the first input step.
    public let padLeft: Int
    /// Zeros Keras pads after the last input step.
    public let padRight: Int

    /// Works out Keras's arithmetic: 'valid' gives (L − field) / s + 1 steps
    /// and no pad; 'same' gives ceil(L / s) steps and a total pad of
    /// max((out − 1)·s + field − L, 0), the odd one on the right.
    /// A `leadingPad` (an int8 layer's `PAD` operator, tf.keras 2's 'causal')
    /// adds that many steps before the signal of a 'valid' layer: they are
    /// its left pad, and a tap there reads nothing.
    public init(inputSteps: Int, inputChannels: Int, filters: Int, kernelSize: Int, stride: Int, dilation: Int,
                depthMultiplier: Int, padding: Padding, useBias: Bool, leadingPad: Int = 0, convolution: ConvolutionVariant = .separable) {
        self.inputSteps = inputSteps
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.dilation = dilation
        self.depthMultiplier = depthMultiplier
        self.padding = padding
        self.useBias = useBias
        self.convolution = convolution
        receptiveField = (kernelSize - 1) * dilation + 1
        switch padding {
        case .valid:
            let padded = inputSteps + leadingPad
            convolutionSteps = padded >= receptiveField ? (padded - receptiveField) / stride + 1 : 0
            (padLeft, padRight) = (leadingPad, 0)
        case .same:
            convolutionSteps = (inputSteps + stride - 1) / stride
            let total = max((convolutionSteps - 1) * stride + receptiveField - inputSteps, 0)
            (padLeft, padRight) = (total / 2, total - total / 2)
        }
    }

    /// The geometry of `spec`'s layer.
    public init(_ spec: LayerSpec) {
        self.init(inputSteps: spec.inputSteps, inputChannels: spec.inputChannels, filters: spec.filters,
                  kernelSize: spec.kernelSize, stride: spec.strides, dilation: spec.dilationRate,
                  depthMultiplier: spec.depthMultiplier, padding: spec.padding, useBias: spec.useBias,
                  leadingPad: spec.quantization?.leadingPad ?? 0, convolution: spec.convolution)
    }

    /// Depthwise output channels (C × M).
    public var depthwiseChannels: Int { inputChannels * depthMultiplier }

    /// Weights of the depthwise kernel, the pointwise kernel and the bias
    /// (0 for a kernel the `convolution` variant does not multiply by).
    public var parameters: (depthwise: Int, pointwise: Int, bias: Int) {
        (convolution.hasDepthwiseKernel ? kernelSize * depthwiseChannels : 0,
         convolution.hasPointwiseKernel ? depthwiseChannels * filters : 0, useBias ? filters : 0)
    }

    /// Weights in the layer, bias included.
    public var parameterCount: Int { parameters.depthwise + parameters.pointwise + parameters.bias }

    /// The input step read by tap `tap` of output step `step` (may fall in the padding).
    public func inputStep(forOutput step: Int, tap: Int) -> Int {
        step * stride - padLeft + tap * dilation
    }

    /// (output step, tap) pairs whose tap reads the input, not the padding;
    /// counted per tap in O(K), so it is cheap for any layer the limits allow.
    public var tapsReadingInput: Int {
        guard convolutionSteps > 0 else { return 0 }
        var total = 0
        for k in 0..<kernelSize {
            // Steps t with 0 <= t·s − padLeft + k·d <= L − 1.
            let low = padLeft - k * dilation, high = low + inputSteps - 1
            let first = max(0, low <= 0 ? 0 : (low + stride - 1) / stride)
            let last = min(convolutionSteps - 1, high < 0 ? -1 : high / stride)
            total += max(0, last - first + 1)
        }
        return total
    }

    /// The multiply-adds of one batch item: taps that fall in the padding do
    /// not exist in the emitted code, so they are not counted (the dense-tap
    /// variant's gather copies, and its pointwise stage multiplies a border
    /// tap's zeros too). This is the one definition: the limits, the unroll
    /// budget and `explain` use it.
    public var multiplyAdds: (depthwise: Int, pointwise: Int) {
        (convolution.hasDepthwiseKernel ? tapsReadingInput * depthwiseChannels : 0,
         convolution.hasPointwiseKernel ? convolutionSteps * depthwiseChannels * filters : 0)
    }

    /// The multiply-adds of one output step whose taps all read the input:
    /// K·C·M + C·M·F, K·C·F for a Conv1D (dense-tap), K·C·M for a DepthwiseConv1D (depthwise-only).
    public var multiplyAddsPerStep: Int {
        (convolution.hasDepthwiseKernel ? kernelSize : 0) * depthwiseChannels + (convolution.hasPointwiseKernel ? depthwiseChannels * filters : 0)
    }

    /// All multiply-adds of one batch item.
    public var totalMultiplyAdds: Int { multiplyAdds.depthwise + multiplyAdds.pointwise }

    /// Output steps grouped into runs that read the same taps; in order, covering every step.
    public var runs: [StepRun] {
        var runs: [StepRun] = []
        var step = 0
        while step < convolutionSteps {
            let (first, count) = taps(step: step)
            // The tap range changes only where a tap crosses an edge: find the run's end by bisection.
            var low = step + 1, high = convolutionSteps
            while low < high {
                let middle = (low + high) / 2
                if taps(step: middle) == (first, count) { low = middle + 1 } else { high = middle }
            }
            runs.append(StepRun(steps: step..<low, firstTap: count == 0 ? 0 : first, tapCount: count, isInterior: count == kernelSize))
            step = low
        }
        return runs
    }

    /// The kernel positions of output `step` that read the input: `first ..< first + count`.
    func taps(step: Int) -> (first: Int, count: Int) {
        let origin = step * stride - padLeft
        // first: smallest k with origin + k·d >= 0; last: largest k with origin + k·d <= L − 1.
        let first = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation
        let limit = inputSteps - 1 - origin
        let last = limit < 0 ? -1 : min(kernelSize - 1, limit / dilation)
        // (first, last) never repeats once it changes, so an empty window keeps its own `first`.
        return (first, max(0, last - first + 1))
    }
}
