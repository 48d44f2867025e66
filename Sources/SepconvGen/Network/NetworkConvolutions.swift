/// `Conv1D` and `DepthwiseConv1D` in a network, as variants of the
/// SeparableConv1D lowering (the same planner, kernels, tiles, borders,
/// schedule and streaming): the plan's `ConvolutionVariant` says which of the
/// two stages the layer has, and its weights hold that stage's kernel only,
/// so that the kernels do only the layer's own multiply-adds.
///
/// - `Conv1D` (the dense-tap variant): a SeparableConv1D with depth
///   multiplier K whose depthwise kernel would be a one-hot gather of the K
///   taps; the kernels copy each channel's taps into the depthwise tile
///   instead (zero where a tap falls in the padding), and the pointwise
///   kernel holds the layer's kernel, `pointwise[c·K + k][f] =
///   kernel[k][c][f]`. Cost: K C F multiply-adds per output step.
/// - `DepthwiseConv1D` (the depthwise-only variant): the layer's kernel is the
///   depthwise kernel, and there is no pointwise stage (the identity): the
///   depthwise tile goes through the bias, activation and epilogue to the
///   output. Cost: K C M multiply-adds per output step.
///
/// 'causal' padding is a `ZeroPadding1D` of (K − 1) · d steps before a 'valid'
/// convolution, as Keras defines it.
extension NetworkBuilder {
    /// The classes planned here.
    static let convolutionClasses = ["Conv1D", "DepthwiseConv1D"]

    /// The steps of a Conv1D or DepthwiseConv1D reading `input`: the convolution, after a padding step when it is causal;
    /// and `alongSteps`, its activation when that acts along the steps of a channels_first output (softmax over
    /// steps, say): the convolution then computes without it, and the caller applies it in Keras's order.
    func convolution(_ index: Int, layer: ModelGraph.Layer, input: [Int], dtype: DType, what: String,
                     position: Int) throws(ModelError) -> (steps: [NetworkStep], alongSteps: Activation?) {
        // The input is (steps, channels) whatever the data_format: the plan holds channels_first steps-major.
        let config = layer.config
        guard input.count == 2 else {
            throw ModelError("\(what) reads a tensor of shape \(Tensor.describe(input)); it needs (steps, channels)")
        }
        let depthwise = layer.className == "DepthwiseConv1D"
        guard let kernelSize = Self.integer(config["kernel_size"]), (1...Limits.maxExtent).contains(kernelSize),
              let stride = Self.integer(config["strides"] ?? .int(1)), (1...Limits.maxExtent).contains(stride),
              let dilation = Self.integer(config["dilation_rate"] ?? .int(1)), (1...Limits.maxExtent).contains(dilation) else {
            throw ModelError("\(what) has an invalid kernel_size, strides or dilation_rate (each between 1 and \(Limits.maxExtent))")
        }
        guard depthwise || (config["groups"]?.int ?? 1) == 1 else {
            throw ModelError("\(what) has groups \(config["groups"]?.int ?? 0); networks take Conv1D with groups 1")
        }
        let paddingName = config["padding"]?.string?.lowercased() ?? "valid"
        guard ["valid", "same", "causal"].contains(paddingName) else {
            throw ModelError("\(what) has padding '\(Identifier.printable(paddingName))'; networks take valid, same and causal")
        }
        let activationName = config["activation"]?.string ?? config["activation"]?["config"]?.string ?? "linear"
        guard let activation = Activation.named(activationName) else {
            throw ModelError("\(what) has activation '\(Identifier.printable(activationName))', which sepconv-gen does not know")
        }
        // Keras applies a row-wise activation on the last axis, the steps of a channels_first output; held
        // steps-major, the steps are the rows, so the kernel's activation would act along the channels.
        let alongSteps = try dataFormat(index) == .channelsFirst && activation.isRowWise ? activation : nil
        if let alongSteps, streaming {
            throw ModelError("\(what): streaming: true cannot be used with activation '\(alongSteps.rawValue)' and channels_first: "
                             + "it acts along the steps axis, so no output frame is complete before the whole signal is")
        }
        let useBias = config["use_bias"]?.bool ?? true
        let tensors = try reader.read(["kernel"] + (useBias ? ["bias"] : []), of: layer, what: what)
        let (steps, channels) = (input[0], input[1])
        let kernel = tensors[0]
        guard kernel.shape.count == 3, kernel.shape[0] == kernelSize, kernel.shape[1] == channels, kernel.shape[2] >= 1 else {
            throw ModelError("\(what): its kernel has shape \(Tensor.describe(kernel.shape)), which does not fit kernel_size \(kernelSize) over \(channels) channels")
        }
        let outputs = depthwise ? channels * kernel.shape[2] : kernel.shape[2]
        guard !useBias || tensors[1].shape == [outputs] else {
            throw ModelError("\(what): its bias has shape \(Tensor.describe(tensors[1].shape)); it needs (\(outputs))")
        }
        guard tensors.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else { throw ModelError("\(what): a weight holds a NaN or an infinity") }
        // The gather (Conv1D) or the layer's own multiplier (DepthwiseConv1D).
        let multiplier = depthwise ? kernel.shape[2] : kernelSize
        let gathered = channels * multiplier
        guard gathered <= Limits.maxDepthwiseChannels, outputs <= Limits.maxChannels,
              kernel.scalars.count + (useBias ? outputs : 0) <= Limits.maxParameters else {
            throw ModelError("\(what) is too large for sepconv-gen (at most \(Limits.maxParameters) weights)")
        }
        let bias = useBias ? tensors[1] : nil
        let weights = depthwise ? Self.depthwiseOnly(kernel, bias: bias) : Self.denseTaps(kernel, bias: bias)

        var result: [NetworkStep] = []
        var steps1 = steps
        if paddingName == "causal" {
            let left = (kernelSize - 1) * dilation
            steps1 += left
            result.append(NetworkStep(layers: [layer.name], className: layer.className, position: position,
                                      operation: .zeroPad(left: left, right: 0), inputShape: input,
                                      outputShape: [steps1, channels], multiplyAdds: 0, weightBytes: 0))
        }
        let spec = LayerSpec(
            file: specFile, name: "\(name)_l\(position)", dtype: dtype, inputSteps: steps1, inputChannels: channels,
            filters: outputs, kernelSize: kernelSize, strides: stride, padding: paddingName == "same" ? .same : .valid,
            dataFormat: .channelsLast, dilationRate: dilation, depthMultiplier: multiplier, activation: alongSteps == nil ? activation : .linear, useBias: useBias,
            depthwiseInitializer: .zeros, pointwiseInitializer: .zeros, biasInitializer: .zeros, seed: 0, weights: nil, marks: [:],
            streaming: streaming, convolution: depthwise ? .depthwiseOnly : .denseTaps)
        let receptive = (kernelSize - 1) * dilation + 1
        guard paddingName == "same" || steps1 >= receptive else {
            throw ModelError("\(what): its receptive field of \(receptive) steps is longer than its \(steps1) input steps")
        }
        let plan = Planner.plan(spec, weights: weights)
        result.append(NetworkStep(layers: [layer.name], className: layer.className, position: position, operation: .separable(plan),
                                  inputShape: [steps1, channels], outputShape: [plan.outputSteps, plan.outputChannels],
                                  multiplyAdds: plan.multiplyAdds, weightBytes: plan.footprint.weightBytes))
        return (result, alongSteps)
    }

    /// A Conv1D's (K, C, F) kernel as the dense-tap variant's weights: the
    /// pointwise (1, C·K, F) of the gathered taps, and no depthwise kernel (K, C, 0).
    static func denseTaps(_ kernel: Tensor, bias: Tensor?) -> LayerWeights {
        let (K, C, F) = (kernel.shape[0], kernel.shape[1], kernel.shape[2])
        var pointwise = [Double](repeating: 0, count: C * K * F)
        for k in 0..<K {
            for c in 0..<C {
                for f in 0..<F { pointwise[(c * K + k) * F + f] = kernel.scalars[(k * C + c) * F + f] }
            }
        }
        return LayerWeights(depthwiseKernel: Tensor(shape: [K, C, 0], scalars: []),
                            pointwiseKernel: Tensor(shape: [1, C * K, F], scalars: pointwise), bias: bias)
    }

    /// A DepthwiseConv1D's (K, C, M) kernel as the depthwise-only variant's
    /// weights: that depthwise kernel, and no pointwise kernel (1, C·M, 0).
    static func depthwiseOnly(_ kernel: Tensor, bias: Tensor?) -> LayerWeights {
        LayerWeights(depthwiseKernel: kernel, pointwiseKernel: Tensor(shape: [1, kernel.shape[1] * kernel.shape[2], 0], scalars: []), bias: bias)
    }
}
