/// Reads one chain as an int8 layer, checking what SPEC.md section 7 requires:
/// int8 input, intermediate and output tensors with one scale and zero point
/// each, int8 symmetric weights with one scale per output channel, int32
/// biases, and a geometry that is a 1-D separable convolution with 'valid' or
/// 'same' padding (or tf.keras 2's 'causal': a left pad, then 'valid').
struct TFLiteLayerReader {
    let model: TFLiteModel
    let chain: TFLiteChain
    let file: String

    private var what: String { "SeparableConv1D chain \(chain.index) of \(file)" }

    private func fail(_ reason: String) -> ModelError {
        ModelError("\(what) cannot be generated: \(reason)")
    }

    func read(name: String?) throws(ModelError) -> TFLiteReader.Layer {
        let depthwise = model.operators[chain.depthwise], conv = model.operators[chain.conv]
        guard depthwise.inputs.count >= 2, depthwise.inputs[1] >= 0, conv.inputs.count >= 2,
              case .convolution(let depthwiseOptions) = depthwise.options,
              case .convolution(let convOptions) = conv.options else {
            throw fail("its DEPTHWISE_CONV_2D or CONV_2D operator lacks its filter or options")
        }
        try checkTypes(depthwise: depthwise, conv: conv)

        // The 4-D input of the depthwise step, before any space-to-batch: [N, H, W, C].
        let spatialInput = chain.spaceToBatch.flatMap { model.operators[$0].inputs.first } ?? depthwise.inputs[0]
        let inputShape = model.tensors[spatialInput].shape
        let depthwiseFilter = model.tensors[depthwise.inputs[1]].shape
        guard inputShape.count == 4, depthwiseFilter.count == 4, depthwiseFilter[0] == 1,
              inputShape.allSatisfy({ $0 >= 1 }), depthwiseFilter.allSatisfy({ $0 >= 1 }) else {
            throw fail("the depthwise input \(inputShape) and filter \(depthwiseFilter) are not 4-D NHWC and [1, H, W, C·M]")
        }
        // The 1-D layer runs as 2-D with one spatial axis of size 1, either way round.
        let axis: Int
        if inputShape[1] == 1 && depthwiseFilter[1] == 1 {
            axis = 2
        } else if inputShape[2] == 1 && depthwiseFilter[2] == 1 {
            axis = 1
        } else {
            throw fail("its depthwise filter is \(depthwiseFilter[1])x\(depthwiseFilter[2]) on an input of \(inputShape[1])x\(inputShape[2]): a 2-D convolution, not a SeparableConv1D")
        }
        let channels = inputShape[3], depthwiseChannels = depthwiseFilter[3]
        guard depthwiseChannels % channels == 0 else {
            throw fail("its depthwise filter has \(depthwiseChannels) channels, not a multiple of the input's \(channels)")
        }
        let kernel = depthwiseFilter[axis]
        let convFilter = model.tensors[conv.inputs[1]].shape
        guard convFilter.count == 4, convFilter[1] == 1, convFilter[2] == 1, convFilter[3] == depthwiseChannels, convFilter[0] >= 1 else {
            throw fail("its CONV_2D filter is \(convFilter), not [filters, 1, 1, \(depthwiseChannels)]: the pointwise step is not a 1x1 convolution of every depthwise channel")
        }
        let filters = convFilter[0]
        // The limits a written spec meets (Spec/Limits.swift); kernel, stride and dilation are checked below.
        guard inputShape[axis] <= Limits.maxExtent, kernel <= Limits.maxExtent, channels <= Limits.maxChannels,
              filters <= Limits.maxChannels, depthwiseChannels <= Limits.maxDepthwiseChannels else {
            throw fail("its \(inputShape[axis]) steps, \(channels) channels, kernel \(kernel), \(depthwiseChannels) depthwise channels or \(filters) filters pass this tool's limits (docs/limits.md)")
        }
        guard (axis == 2 ? convOptions.strideW : convOptions.strideH) == 1 else {
            throw fail("its pointwise CONV_2D has strides \(convOptions.strideH)x\(convOptions.strideW); a SeparableConv1D's are 1")
        }
        let convOutput = model.tensors[conv.outputs[0]].shape
        guard convOutput.count == 4, convOutput[axis] >= 1, convOutput[3] == filters else {
            throw fail("its pointwise output \(convOutput) is not [N, H, W, \(filters)]")
        }
        let geometry = try classify(try sampling(depthwiseOptions, axis: axis, length: inputShape[axis], kernel: kernel),
                                    kernel: kernel, outputSteps: convOutput[axis])
        // A dynamic steps axis (shape_signature -1) has a placeholder length in `shape`.
        if let signature = model.tensors[chain.input].shapeSignature, signature.dropFirst().contains(-1) {
            throw fail("its input has a dynamic dimension (shape_signature \(signature)); convert the model with a fixed number of steps")
        }
        // The remaining limits a written spec meets (SpecDecoder's checkGeometry).
        let layer = LayerGeometry(inputSteps: geometry.steps + geometry.leadingPad, inputChannels: channels, filters: filters, kernelSize: kernel,
                                  stride: geometry.stride, dilation: geometry.dilation, depthMultiplier: depthwiseChannels / channels,
                                  padding: geometry.padding, useBias: true)
        guard layer.parameterCount <= Limits.maxParameters, layer.totalMultiplyAdds <= Limits.maxMultiplyAdds,
              layer.inputSteps * channels <= Limits.maxActivationValues, layer.convolutionSteps * filters <= Limits.maxActivationValues else {
            throw fail("it has \(layer.parameterCount) weights, \(layer.totalMultiplyAdds) multiply-adds per batch item, or an input or output over \(Limits.maxActivationValues) values, past this tool's limits (docs/limits.md)")
        }
        let quantization = try quantized(depthwise: depthwise, conv: conv, channels: depthwiseChannels, filters: filters,
                                         activations: (depthwiseOptions.activation, convOptions.activation), leadingPad: geometry.leadingPad)
        return TFLiteReader.Layer(index: chain.index, name: name, inputSteps: geometry.steps, inputChannels: channels, filters: filters,
                                  kernelSize: kernel, strides: geometry.stride, dilation: geometry.dilation,
                                  depthMultiplier: depthwiseChannels / channels, padding: geometry.padding,
                                  useBias: quantization.pointwiseBias != nil, quantization: quantization)
    }

    // MARK: - Geometry

    /// Which input steps the chain reads: output step `t`, tap `k` reads input step
    /// `t · stride + k · dilation − left` (a step outside the input adds nothing), and `steps` is the input's length.
    private struct Sampling {
        var steps: Int
        var left: Int
        var stride: Int
        var dilation: Int
    }

    /// The layer's arguments, once the sampling is known to be Keras's.
    private struct Geometry {
        var steps: Int
        var padding: Padding
        var stride: Int
        var dilation: Int
        var leadingPad = 0
    }

    /// Composes the chain's stages along the steps axis: the PADs, then the depthwise operator (or
    /// space-to-batch, a 'valid' depthwise operator and batch-to-space for a dilated layer with a
    /// dynamic batch), then the STRIDED_SLICE. `length` is the steps of the depthwise stage's input.
    private func sampling(_ options: TFLiteModel.Convolution, axis: Int, length: Int, kernel: Int) throws(ModelError) -> Sampling {
        var before = 0, after = 0
        for pad in chain.pads {
            // tf.keras 2 pads the 3-D tensor (steps on axis 1) before the reshape, Keras 3 the 4-D one after it.
            guard let (padAxis, left, right) = TFLiteChain.padOfOneAxis(pad, in: model),
                  padAxis == (model.tensors[model.operators[pad].inputs[0]].shape.count == 3 ? 1 : axis) else {
                throw fail("its PAD operator pads an axis other than the steps")
            }
            (before, after) = (before + left, after + right)
        }
        let steps = length - before - after
        guard steps >= 1 else { throw fail("its PAD operators pad more steps than the input has") }
        var stage: (left: Int, stride: Int, dilation: Int)
        if chain.spaceToBatch != nil {
            stage = try spaceToBatch(options, axis: axis, length: length, kernel: kernel)
        } else {
            let stride = axis == 2 ? options.strideW : options.strideH, dilation = axis == 2 ? options.dilationW : options.dilationH
            guard (1...Limits.maxExtent).contains(stride), (1...Limits.maxExtent).contains(dilation), (0...1).contains(options.padding) else {
                throw fail("its depthwise options have stride \(stride), dilation \(dilation) and padding code \(options.padding)")
            }
            // TFLite's SAME pads as Keras's 'same' does.
            let left = options.padding == 1 ? 0 : LayerGeometry(inputSteps: length, inputChannels: 1, filters: 1, kernelSize: kernel, stride: stride,
                                                                dilation: dilation, depthMultiplier: 1, padding: .same, useBias: false).padLeft
            stage = (left, stride, dilation)
        }
        if let slice = chain.slice {
            let (begin, step) = try sliceOnSteps(slice, axis: axis)
            stage = (stage.left - begin * stage.stride, stage.stride * step, stage.dilation)
        }
        guard stage.stride <= Limits.maxExtent else { throw fail("its stride \(stage.stride) passes this tool's limit of \(Limits.maxExtent)") }
        return Sampling(steps: steps, left: before + stage.left, stride: stage.stride, dilation: stage.dilation)
    }

    /// Keras's 'valid' or 'same', or tf.keras 2's 'causal' ('valid' after a left pad), when `sampling` is one of them.
    private func classify(_ sampling: Sampling, kernel: Int, outputSteps: Int) throws(ModelError) -> Geometry {
        func keras(_ padding: Padding, steps: Int) -> LayerGeometry {
            LayerGeometry(inputSteps: steps, inputChannels: 1, filters: 1, kernelSize: kernel, stride: sampling.stride,
                          dilation: sampling.dilation, depthMultiplier: 1, padding: padding, useBias: false)
        }
        let (steps, left) = (sampling.steps, sampling.left)
        let valid = keras(.valid, steps: steps), same = keras(.same, steps: steps)
        if left == 0, outputSteps == valid.convolutionSteps {
            return Geometry(steps: steps, padding: .valid, stride: sampling.stride, dilation: sampling.dilation)
        }
        if left == same.padLeft, outputSteps == same.convolutionSteps {
            return Geometry(steps: steps, padding: .same, stride: sampling.stride, dilation: sampling.dilation)
        }
        if left > 0, outputSteps == keras(.valid, steps: steps + left).convolutionSteps {
            return Geometry(steps: steps, padding: .valid, stride: sampling.stride, dilation: sampling.dilation, leadingPad: left)
        }
        throw fail("it reads \(steps) steps with a left pad of \(left), stride \(sampling.stride) and dilation \(sampling.dilation) into \(outputSteps) output steps, which is neither 'valid', 'same' nor 'causal' padding")
    }

    /// The left pad, stride 1 and dilation of space-to-batch, a 'valid' depthwise operator and batch-to-space:
    /// the block shape is the dilation, the paddings pad and the crops take steps off the output.
    private func spaceToBatch(_ options: TFLiteModel.Convolution, axis: Int, length: Int, kernel: Int) throws(ModelError) -> (left: Int, stride: Int, dilation: Int) {
        guard let spaceToBatch = chain.spaceToBatch, let batchToSpace = chain.batchToSpace,
              options.padding == 1, options.dilationW == 1, options.dilationH == 1, options.strideW == 1, options.strideH == 1 else {
            throw fail("its depthwise operator between SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND is not a 'valid' convolution with strides 1 and dilation 1")
        }
        let s2b = model.operators[spaceToBatch].inputs, b2s = model.operators[batchToSpace].inputs
        guard s2b.count == 3, b2s.count == 3, s2b[1] >= 0, s2b[2] >= 0, b2s[1] >= 0, b2s[2] >= 0,
              let block = TFLiteChain.constantInts(s2b[1], in: model), let pads = TFLiteChain.constantInts(s2b[2], in: model),
              let block2 = TFLiteChain.constantInts(b2s[1], in: model), let crops = TFLiteChain.constantInts(b2s[2], in: model),
              block == block2, (1...2).contains(block.count), pads.count == 2 * block.count, crops.count == 2 * block.count,
              (pads + crops).allSatisfy({ $0 >= 0 }) else {
            throw fail("its SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND do not have matching constant block shapes, paddings and crops")
        }
        // The block's dimensions are the input's dimensions 1, 2 in order; only the steps axis may be blocked, padded or cropped.
        let slot = axis - 1
        for other in block.indices where other != slot {
            guard block[other] == 1, pads[2 * other] == 0, pads[2 * other + 1] == 0, crops[2 * other] == 0, crops[2 * other + 1] == 0 else {
                throw fail("its SPACE_TO_BATCH_ND acts on an axis other than the steps")
            }
        }
        guard slot < block.count, (1...Limits.maxExtent).contains(block[slot]),
              (length + pads[2 * slot] + pads[2 * slot + 1]) % block[slot] == 0 else {
            throw fail("its SPACE_TO_BATCH_ND block shape \(block) and paddings \(pads) do not tile the steps axis")
        }
        return (pads[2 * slot] - crops[2 * slot], 1, block[slot])
    }

    /// The begin and stride of a STRIDED_SLICE that only takes every n-th step of the steps axis.
    private func sliceOnSteps(_ op: Int, axis: Int) throws(ModelError) -> (begin: Int, stride: Int) {
        let inputs = model.operators[op].inputs
        guard inputs.count == 4, inputs.allSatisfy({ $0 >= 0 }), case .stridedSlice(let beginMask, _, let masks, let offset) = model.operators[op].options,
              masks.allSatisfy({ $0 == 0 }), !offset,
              let begin = TFLiteChain.constantInts(inputs[1], in: model), let strides = TFLiteChain.constantInts(inputs[3], in: model),
              begin.count == 4, strides.count == 4 else {
            throw fail("its STRIDED_SLICE is not a constant 4-D slice without ellipsis, new-axis or shrink masks")
        }
        let shapeIn = model.tensors[inputs[0]].shape, shapeOut = model.tensors[model.operators[op].outputs[0]].shape
        let first = beginMask & (1 << axis) != 0 ? 0 : begin[axis]
        guard shapeIn.count == 4, shapeOut.count == 4, (0..<4).allSatisfy({ $0 == axis || $0 == 0 || (shapeIn[$0] == shapeOut[$0] && strides[$0] == 1) }),
              (1...Limits.maxExtent).contains(strides[axis]), (0..<max(shapeIn[axis], 1)).contains(first) else {
            throw fail("its STRIDED_SLICE takes more than every n-th step of the steps axis")
        }
        return (first, strides[axis])
    }

    // MARK: - Types and numbers

    /// Refuses a chain that is not full-integer int8, naming what it is.
    private func checkTypes(depthwise: TFLiteModel.Operator, conv: TFLiteModel.Operator) throws(ModelError) {
        let weights = model.tensors[depthwise.inputs[1]]
        let activations = [chain.input, depthwise.outputs[0], conv.outputs[0], chain.output].map { model.tensors[$0] }
        if let float = activations.first(where: { $0.type == TFLiteModel.TensorType.float32.rawValue }) {
            let hybrid = weights.type == TFLiteModel.TensorType.int8.rawValue
            throw fail(hybrid ? "it is hybrid (float32 activations such as '\(Identifier.printable(float.name))' with int8 weights); convert with full-integer quantization (a representative dataset, TFLITE_BUILTINS_INT8)"
                       : "it is float (tensor '\(Identifier.printable(float.name))' is \(float.typeName)); only full-integer int8 models can be generated")
        }
        for tensor in activations + [weights, model.tensors[conv.inputs[1]]] where tensor.type != TFLiteModel.TensorType.int8.rawValue {
            let scheme: String
            switch TFLiteModel.TensorType(rawValue: tensor.type) {
            case .int16?: scheme = " (the 16x8 scheme, int16 activations)"
            case .uint8?: scheme = " (uint8 quantization)"
            default: scheme = ""
            }
            throw fail("tensor '\(Identifier.printable(tensor.name))' is \(tensor.typeName)\(scheme); only int8 is supported")
        }
        // A uint8 model (inference_input_type=tf.uint8) requantizes to int8 around an int8 chain: code generated
        // for the chain would take int8 where the model takes uint8.
        for op in model.operators where op.code == TFLiteModel.Code.quantize && (op.outputs.contains(chain.input) || op.inputs.contains(chain.output)) {
            if let uint8 = (op.inputs + op.outputs).first(where: { $0 >= 0 && model.tensors[$0].type == TFLiteModel.TensorType.uint8.rawValue }) {
                throw fail("the model is uint8 (tensor '\(Identifier.printable(model.tensors[uint8].name))' is uint8, requantized to int8 by a QUANTIZE operator); convert with inference_input_type and inference_output_type tf.int8")
            }
        }
    }

    /// The scale and zero point of an int8 activation tensor.
    private func activation(_ index: Int, _ role: String) throws(ModelError) -> QuantizedLayer.Quantization {
        let tensor = model.tensors[index]
        guard let parameters = tensor.quantization, parameters.scale.count == 1, parameters.zeroPoint.count == 1,
              let scale = parameters.scale.first, let zeroPoint = parameters.zeroPoint.first else {
            throw fail("its \(role) tensor '\(Identifier.printable(tensor.name))' has no single scale and zero point")
        }
        guard scale.isFinite, scale > 0 else { throw fail("its \(role) tensor has scale \(scale); scales must be positive and finite") }
        guard (-128...127).contains(zeroPoint) else { throw fail("its \(role) tensor has zero point \(zeroPoint), outside int8") }
        return QuantizedLayer.Quantization(scale: scale, zeroPoint: Int(zeroPoint))
    }

    /// An int8 filter's values and its per-channel scales along `dimension` (`count` channels; symmetric).
    private func filter(_ index: Int, _ role: String, dimension: Int, count: Int) throws(ModelError) -> ([Int8], [Float]) {
        let tensor = model.tensors[index], data = model.data(of: index)
        guard let elements = TFLiteModel.elementCount(tensor.shape, limit: Limits.maxParameters), data.count == elements else {
            throw fail("its \(role) filter \(tensor.shape) has \(data.count) bytes of data, not one int8 per element (is it a constant?)")
        }
        guard let parameters = tensor.quantization, parameters.scale.count == count || parameters.scale.count == 1 else {
            throw fail("its \(role) filter has \(tensor.quantization?.scale.count ?? 0) scales; one per output channel (\(count)) is needed")
        }
        if parameters.scale.count > 1 && parameters.quantizedDimension != dimension {
            throw fail("its \(role) filter is quantized along dimension \(parameters.quantizedDimension), not \(dimension)")
        }
        guard parameters.zeroPoint.allSatisfy({ $0 == 0 }) else {
            throw fail("its \(role) filter has a nonzero zero point; int8 weights must be symmetric")
        }
        guard parameters.scale.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw fail("its \(role) filter has a scale that is not positive and finite")
        }
        let scales = parameters.scale.count == 1 ? Array(repeating: parameters.scale[0], count: count) : parameters.scale
        return (data.map { Int8(bitPattern: $0) }, scales)
    }

    /// An int32 bias of `count` values, or nil when the operator has none or only zeros (the converter
    /// gives a layer with `use_bias=False` a zero bias; no bias and a zero one compute the same).
    private func bias(_ op: TFLiteModel.Operator, _ role: String, count: Int) throws(ModelError) -> [Int32]? {
        guard op.inputs.count >= 3, op.inputs[2] >= 0 else { return nil }
        let tensor = model.tensors[op.inputs[2]], data = model.data(of: op.inputs[2])
        guard tensor.type == TFLiteModel.TensorType.int32.rawValue else {
            throw fail("its \(role) bias is \(tensor.typeName); int8 layers have int32 biases")
        }
        guard tensor.shape == [count], data.count == 4 * count else {
            throw fail("its \(role) bias \(tensor.shape) with \(data.count) bytes is not \(count) constant int32 values")
        }
        let values = stride(from: data.startIndex, to: data.endIndex, by: 4).map { start in
            Int32(bitPattern: UInt32(data[start]) | UInt32(data[start + 1]) << 8 | UInt32(data[start + 2]) << 16 | UInt32(data[start + 3]) << 24)
        }
        return values.contains { $0 != 0 } ? values : nil
    }

    private func fused(_ code: Int, _ role: String) throws(ModelError) -> QuantizedLayer.FusedActivation {
        switch code {
        case 0: return .none
        case 1: return .relu
        case 2: return .reluN1To1
        case 3: return .relu6
        default: throw fail("its \(role) operator fuses activation \(code == 4 ? "TANH" : code == 5 ? "SIGN_BIT" : "code \(code)"); only NONE, RELU, RELU6 and RELU_N1_TO_1 are supported")
        }
    }

    private func quantized(depthwise: TFLiteModel.Operator, conv: TFLiteModel.Operator, channels: Int, filters: Int,
                           activations: (Int, Int), leadingPad: Int) throws(ModelError) -> QuantizedLayer {
        let input = try activation(chain.input, "input")
        let intermediate = try activation(depthwise.outputs[0], "depthwise output")
        if try activation(conv.inputs[0], "pointwise input") != intermediate {
            throw fail("the operators between the depthwise and pointwise operators change the quantization of the depthwise output")
        }
        let output = try activation(chain.output, "output")
        if try activation(conv.outputs[0], "pointwise output") != output {
            throw fail("the RESHAPE after the pointwise operator changes its quantization")
        }
        // Every operator but the two convolutions moves int8 values without requantizing them.
        let moves = chain.pads.map { ($0, "PAD", input) } + [(chain.expand, "reshape", input), (chain.spaceToBatch, "SPACE_TO_BATCH_ND", input),
                                                             (chain.slice, "STRIDED_SLICE", intermediate)].compactMap { op, role, quantization in op.map { ($0, role, quantization) } }
        for (op, role, expected) in moves {
            guard let out = model.operators[op].outputs.first, try activation(out, role + " output") == expected else {
                throw fail("its \(role) operator changes the quantization of the values it moves")
            }
        }
        let (depthwiseKernel, depthwiseScales) = try filter(depthwise.inputs[1], "depthwise", dimension: 3, count: channels)
        let (convKernel, pointwiseScales) = try filter(conv.inputs[1], "pointwise", dimension: 0, count: filters)
        // TFLite's [F, 1, 1, C·M] to Keras's (1, C·M, F).
        var pointwiseKernel = [Int8](repeating: 0, count: convKernel.count)
        for filter in 0..<filters {
            for channel in 0..<channels { pointwiseKernel[channel * filters + filter] = convKernel[filter * channels + channel] }
        }
        let operators = chain.operators
        let span = operators.last.map { $0 - (operators.first ?? $0) + 1 } == operators.count
            ? "\(operators.first ?? 0)-\(operators.last ?? 0)" : operators.map(String.init).joined(separator: ", ")
        let provenance = "\(file): operators \(span) (\(operators.map { model.operators[$0].kind }.joined(separator: ", ")))"
        // [1, 1, K, C·M] and [1, K, 1, C·M] both hold tap k of channel c·M + m at k·C·M + c·M + m, Keras's (K, C, M) order.
        return QuantizedLayer(input: input, intermediate: intermediate, output: output,
                              depthwiseKernel: depthwiseKernel, depthwiseScales: depthwiseScales,
                              depthwiseBias: try bias(depthwise, "depthwise", count: channels) ?? Array(repeating: 0, count: channels),
                              pointwiseKernel: pointwiseKernel, pointwiseScales: pointwiseScales,
                              pointwiseBias: try bias(conv, "pointwise", count: filters),
                              depthwiseActivation: try fused(activations.0, "depthwise"),
                              pointwiseActivation: try fused(activations.1, "pointwise"),
                              leadingPad: leadingPad, provenance: provenance)
    }
}
