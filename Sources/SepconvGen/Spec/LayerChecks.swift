/// The checks that need the whole layer (its arguments, input and streaming
/// together), run once on every `LayerSpec` whichever front end built it: a
/// written spec's, a Keras model's. Each refusal is positioned at the mark
/// of the argument it names, which a model's spec sets to its `from` key.
extension LayerSpec {
    /// Every cross-argument error of the layer, in order: its geometry, its
    /// epilogue (the layers fused after it), then streaming.
    var crossArgumentErrors: [Diagnostic] {
        geometryErrors + epilogueErrors + streamingErrors
    }

    private func error(_ message: String, at path: String) -> Diagnostic {
        Diagnostic(.error, message, file: file, at: mark(path))
    }

    /// An output of at least one step, the tool's limits, and glu's even axis.
    private var geometryErrors: [Diagnostic] {
        let geometry = LayerGeometry(inputSteps: inputSteps, inputChannels: inputChannels, filters: filters,
                                     kernelSize: kernelSize, stride: strides, dilation: dilationRate,
                                     depthMultiplier: depthMultiplier, padding: padding, useBias: useBias)
        guard geometry.convolutionSteps > 0 else {
            let detail = "kernel_size \(kernelSize) with dilation_rate \(dilationRate) spans \(geometry.receptiveField) steps but the input has \(inputSteps)"
            return [error("Computed output size would be zero or negative: 'valid' padding, \(detail)", at: "layer.kernel_size")]
        }
        var errors: [Diagnostic] = []
        let outputSteps = geometry.convolutionSteps, depthwiseChannels = geometry.depthwiseChannels
        let parameters = geometry.parameterCount
        if depthwiseChannels > Limits.maxDepthwiseChannels {
            errors.append(error("channels × depth_multiplier is \(depthwiseChannels); at most \(Limits.maxDepthwiseChannels) are supported", at: "layer.depth_multiplier"))
        } else if parameters > Limits.maxParameters {
            errors.append(error("the layer has \(parameters) weights; at most \(Limits.maxParameters) are supported", at: "layer"))
        } else if geometry.totalMultiplyAdds > Limits.maxMultiplyAdds {
            errors.append(error("the layer needs \(geometry.totalMultiplyAdds) multiply-adds per batch item; at most \(Limits.maxMultiplyAdds) are supported", at: "layer"))
        }
        if inputSteps * inputChannels > Limits.maxActivationValues || outputSteps * filters > Limits.maxActivationValues {
            // A written spec's `input` key, else (a model's shape) its layer.
            errors.append(Diagnostic(.error, "a batch item's input or output exceeds \(Limits.maxActivationValues) values", file: file,
                                     at: marks["input"] ?? mark("layer")))
        }
        if activation == .glu {
            let lastAxis = dataFormat == .channelsLast ? filters : outputSteps
            let what = dataFormat == .channelsLast ? "filters" : "output steps (channels_first)"
            if lastAxis % 2 != 0 {
                errors.append(error("glu splits the output's last axis in two halves, but it has \(lastAxis) \(what), an odd number", at: "layer.activation"))
            }
        }
        return errors
    }

    /// An epilogue the kernels can fuse: no glu along the steps axis
    /// (channels_first) anywhere in a chain with one, and each affine step's
    /// scale and shift one per channel at that point.
    private var epilogueErrors: [Diagnostic] {
        guard !epilogue.isEmpty else { return [] }
        if dataFormat == .channelsFirst, ([activation] + epilogue.compactMap(\.activation)).contains(.glu) {
            return [error("glu along the steps axis (channels_first) cannot be fused with the layers that follow it", at: "layer")]
        }
        var channels = filters
        for step in [EpilogueStep.activation(activation)] + epilogue {
            switch step {
            case .activation(let activation):
                if dataFormat == .channelsLast { channels = activation.outputLength(forLastAxis: channels) }
            case .parametric:
                continue
            case .affine(let scale, let shift):
                guard scale.count == channels, shift.count == channels else {
                    return [error("a fused affine step has \(scale.count) scales and \(shift.count) shifts for \(channels) channels", at: "layer")]
                }
            }
        }
        return []
    }

    /// Streaming computes each output frame from the frames it has seen, so it
    /// is refused where the layer's activation or one fused after it acts
    /// along the steps axis (`Activation.actsAlongSteps`: each output needs
    /// every step), and where the state (the receptive field's frames) would
    /// pass the activation limit.
    private var streamingErrors: [Diagnostic] {
        guard streaming else { return [] }
        var errors: [Diagnostic] = []
        let why = "it acts along the steps axis, so no output frame is complete before the whole signal is"
        if activation.actsAlongSteps(dataFormat) {
            errors.append(error("streaming: true cannot be used with activation '\(activation.rawValue)' and channels_first: " + why, at: "streaming"))
        } else if let following = epilogue.compactMap(\.activation).first(where: { $0.actsAlongSteps(dataFormat) }) {
            errors.append(error("streaming: true cannot be used with a following activation '\(following.rawValue)' and channels_first: " + why,
                                at: "streaming"))
        }
        let stateValues = ((kernelSize - 1) * dilationRate + 1) * inputChannels
        if stateValues > Limits.maxActivationValues {
            errors.append(error("streaming: true needs a state of \(stateValues) values (the receptive field's frames); "
                                + "at most \(Limits.maxActivationValues) are supported", at: "streaming"))
        }
        return errors
    }
}
