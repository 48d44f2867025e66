/// The reference implementation: a plain, generic SeparableConv1D over a
/// `LayerPlan`, computed in `Double` and rounded to the layer's dtype, or,
/// for an int8 layer, in exact integers as TFLite's reference kernels compute it.
///
/// It deliberately ignores the plan's step runs, schedule and unroll
/// decisions and tests every tap against the input's bounds (the geometry's
/// `inputStep` alone), so it cross-checks them. The epilogue follows the
/// activation, step by step, each rounded to the dtype. A `ConvolutionVariant`
/// computes the stages it has: a Conv1D's gather of the taps, a
/// DepthwiseConv1D's depthwise values as its output channels.
public enum Interpreter {
    /// Why an input tensor does not fit the layer.
    public struct ShapeError: Error, Hashable, Sendable {
        public var message: String
    }

    /// Runs the layer on `input`, of shape (batch, steps, channels) for
    /// channels_last or (batch, channels, steps) for channels_first.
    /// - Returns: the output, (batch, steps, channels) or (batch, channels, steps) as the layer lays it out.
    public static func run(_ plan: LayerPlan, input: Tensor) throws(ShapeError) -> Tensor {
        let perItem = plan.dataFormat == .channelsLast ? [plan.inputSteps, plan.inputChannels] : [plan.inputChannels, plan.inputSteps]
        guard input.shape.count == 3, Array(input.shape.dropFirst()) == perItem else {
            let layout = plan.dataFormat == .channelsLast ? "(batch, steps, channels)" : "(batch, channels, steps)"
            throw ShapeError(message: "the input has shape \(input.shapeDescription) but the layer takes \(layout) = (batch, \(perItem[0]), \(perItem[1]))")
        }
        if plan.quantized != nil, let bad = input.scalars.firstIndex(where: { !(-128...127).contains($0) || $0.rounded() != $0 }) {
            throw ShapeError(message: "the int8 layer's input holds \(input.scalars[bad]) at flat index \(bad), not an int8 value")
        }
        let batch = input.shape[0]
        var output: [Double] = []
        output.reserveCapacity(batch * plan.outputSize)
        for item in 0..<batch {
            let x = Array(input.scalars[item * plan.inputSize ..< (item + 1) * plan.inputSize])
            if let quantized = plan.quantized {
                output += forward(plan, quantized.layer, item: x.map { Int($0) }).map(Double.init)
            } else {
                output += forward(plan, item: x)
            }
        }
        let perOutput = plan.dataFormat == .channelsLast ? [plan.outputSteps, plan.outputChannels] : [plan.outputChannels, plan.outputSteps]
        return Tensor(shape: [batch] + perOutput, scalars: output)
    }

    /// One batch item, in the layer's layout.
    static func forward(_ plan: LayerPlan, item x: [Double]) -> [Double] {
        let (L, C, M, F, K) = (plan.inputSteps, plan.inputChannels, plan.depthMultiplier, plan.filters, plan.kernelSize)
        let channelsLast = plan.dataFormat == .channelsLast
        let weights = plan.weights
        let round = plan.dtype.format.round
        func input(_ step: Int, _ channel: Int) -> Double {
            round(channelsLast ? x[step * C + channel] : x[channel * L + step])
        }

        let steps = plan.convolutionSteps
        // Pre-activation output, in the layer's layout.
        var y = [Double](repeating: 0, count: steps * F)
        var mixed = [Double](repeating: 0, count: C * M)
        for t in 0..<steps {
            for c in 0..<C {
                for m in 0..<M {
                    var sum = 0.0
                    for k in 0..<K {
                        let p = plan.inputStep(forOutput: t, tap: k)
                        if p >= 0 && p < L {
                            // The dense-tap variant's gather: multiplier m is tap m.
                            if !plan.convolution.hasDepthwiseKernel {
                                if k == m { sum = input(p, c) }
                            } else {
                                sum += input(p, c) * weights.depthwise(k, c, m)
                            }
                        }
                    }
                    mixed[c * M + m] = round(sum)
                }
            }
            for f in 0..<F {
                var sum = weights.bias(f)
                if plan.convolution.hasPointwiseKernel {
                    for j in 0..<(C * M) {
                        sum += mixed[j] * weights.pointwise(j, f)
                    }
                } else {
                    sum += mixed[f]
                }
                y[channelsLast ? t * F + f : f * steps + t] = round(sum)
            }
        }
        // Rows of the last axis: steps of filters (channels_last) or filters of steps (channels_first).
        let rows = channelsLast ? steps : F
        var length = channelsLast ? F : steps
        for step in [EpilogueStep.activation(plan.activation)] + plan.epilogue {
            switch step {
            case .activation(let activation):
                y = activation.apply(y, rows: rows, length: length, dtype: plan.dtype)
                length = activation.outputLength(forLastAxis: length)
            case .parametric(let function):
                y = y.map { round(function.apply($0)) }
            case .affine(let scale, let shift):
                for index in y.indices {
                    let f = channelsLast ? index % length : index / length
                    y[index] = round(y[index] * scale[f] + shift[f])
                }
            }
        }
        return y
    }

    /// One batch item of an int8 layer (channels_last), straight from
    /// TFLite's reference kernels: each sum over the taps inside the input
    /// of w · (x − zero point), plus the bias, requantized per channel,
    /// offset by the output zero point and clamped. It reads the model's
    /// numbers (`QuantizedLayer`), not the plan's folded tables, so the
    /// emitted code's folding is checked against it.
    static func forward(_ plan: LayerPlan, _ layer: QuantizedLayer, item x: [Int]) -> [Int] {
        let (L, C, M, F, K) = (plan.inputSteps, plan.inputChannels, plan.depthMultiplier, plan.filters, plan.kernelSize)
        let CM = C * M
        func requantize(_ acc: Int, _ scale: Float, _ from: QuantizedLayer.Quantization, _ to: QuantizedLayer.Quantization,
                        _ activation: QuantizedLayer.FusedActivation) -> Int {
            let (multiplier, shift) = FixedPoint.quantizeMultiplier(FixedPoint.effectiveScale(input: from.scale, filter: scale, output: to.scale))
            let scaled = Int(FixedPoint.multiplyByQuantizedMultiplier(Int32(acc), multiplier, shift)) + to.zeroPoint
            let range = FixedPoint.activationRange(activation, scale: to.scale, zeroPoint: to.zeroPoint) ?? -128...127
            return min(max(scaled, range.lowerBound), range.upperBound)
        }
        var y: [Int] = []
        y.reserveCapacity(plan.convolutionSteps * F)
        var middle = [Int](repeating: 0, count: CM)
        for t in 0..<plan.convolutionSteps {
            for c in 0..<C {
                for m in 0..<M {
                    let ch = c * M + m
                    var acc = Int(layer.depthwiseBias[ch])
                    for k in 0..<K {
                        let p = plan.inputStep(forOutput: t, tap: k)
                        guard p >= 0 && p < L else { continue }
                        acc += Int(layer.depthwiseKernel[k * CM + ch]) * (x[p * C + c] - layer.input.zeroPoint)
                    }
                    middle[ch] = requantize(acc, layer.depthwiseScales[ch], layer.input, layer.intermediate, layer.depthwiseActivation)
                }
            }
            for f in 0..<F {
                var acc = Int(layer.pointwiseBias?[f] ?? 0)
                for ch in 0..<CM {
                    acc += Int(layer.pointwiseKernel[ch * F + f]) * (middle[ch] - layer.intermediate.zeroPoint)
                }
                y.append(requantize(acc, layer.pointwiseScales[f], layer.intermediate, layer.output, layer.pointwiseActivation))
            }
        }
        return y
    }
}
