import Foundation
@testable import SepconvGen

/// TFLite's reference int8 kernels (`reference_integer_ops::DepthwiseConvPerChannel`
/// and `ConvPerChannel`, double-rounding `MultiplyByQuantizedMultiplier`),
/// written from their published definitions, run on what the `.tflite` reader
/// found. A test oracle for the reader only: when it reproduces the outputs
/// TFLite itself computed (the fixtures' expected files), every weight, scale,
/// zero point, bias, pad and activation was read and reordered right.
enum TFLiteReference {
    /// `QuantizeMultiplier`: a Q31 significand and a power-of-two exponent.
    static func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int) {
        guard real != 0 else { return (0, 0) }
        let fraction = frexp(real)
        var significand = Int64((fraction.0 * Double(1 << 31)).rounded())
        var shift = fraction.1
        if significand == 1 << 31 {
            significand /= 2
            shift += 1
        }
        if shift < -31 { return (0, 0) }
        return (Int32(significand), shift)
    }

    /// `MultiplyByQuantizedMultiplier`: a saturating rounding doubling high multiply, then a rounding right shift.
    static func multiply(_ value: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        let left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift
        let a = Int64(value) << left
        let product = a * Int64(multiplier)
        let high: Int32
        if a == Int64(Int32.min) && multiplier == Int32.min {
            high = Int32.max
        } else {
            let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
            high = Int32(truncatingIfNeeded: (product + nudge) / (1 << 31))
        }
        let mask = Int32((Int64(1) << right) - 1)
        let remainder = high & mask
        let threshold = (mask >> 1) + (high < 0 ? 1 : 0)
        return (high >> Int32(right)) + (remainder > threshold ? 1 : 0)
    }

    /// The clamp of a fused activation on an int8 tensor (`CalculateActivationRangeQuantized`).
    static func range(_ activation: QuantizedLayer.FusedActivation, _ quantization: QuantizedLayer.Quantization) -> ClosedRange<Int32> {
        func quantize(_ real: Float) -> Int32 { Int32(quantization.zeroPoint) + Int32((real / quantization.scale).rounded(.toNearestOrAwayFromZero)) }
        switch activation {
        case .none: return -128...127
        case .relu: return max(-128, quantize(0))...127
        case .relu6: return max(-128, quantize(0))...min(127, quantize(6))
        case .reluN1To1: return max(-128, quantize(-1))...min(127, quantize(1))
        }
    }

    /// One batch item (steps × channels, channels last) through the layer.
    static func run(_ spec: TFLiteReader.Layer, input: ArraySlice<Int8>) -> [Int8] {
        let layer = spec.quantization
        let channels = spec.inputChannels, multiplier = spec.depthMultiplier, mid = channels * multiplier, filters = spec.filters
        let steps = spec.inputSteps + layer.leadingPad
        let geometry = LayerGeometry(inputSteps: steps, inputChannels: channels, filters: filters, kernelSize: spec.kernelSize,
                                     stride: spec.strides, dilation: spec.dilation, depthMultiplier: multiplier,
                                     padding: spec.padding, useBias: spec.useBias)
        let depthwise = (0..<mid).map { quantizeMultiplier(Double(layer.input.scale) * Double(layer.depthwiseScales[$0]) / Double(layer.intermediate.scale)) }
        let pointwise = (0..<filters).map { quantizeMultiplier(Double(layer.intermediate.scale) * Double(layer.pointwiseScales[$0]) / Double(layer.output.scale)) }
        let midRange = range(layer.depthwiseActivation, layer.intermediate), outRange = range(layer.pointwiseActivation, layer.output)
        var output: [Int8] = []
        for step in 0..<geometry.convolutionSteps {
            var intermediate = [Int32](repeating: 0, count: mid)
            for channel in 0..<mid {
                var acc = layer.depthwiseBias[channel]
                for tap in 0..<spec.kernelSize {
                    // The leading pad holds the input zero point: its taps add nothing, like those in 'same' padding.
                    let position = geometry.inputStep(forOutput: step, tap: tap) - layer.leadingPad
                    guard position >= 0, position < spec.inputSteps else { continue }
                    let x = Int32(input[input.startIndex + position * channels + channel / multiplier]) - Int32(layer.input.zeroPoint)
                    acc += Int32(layer.depthwiseKernel[tap * mid + channel]) * x
                }
                let value = multiply(acc, depthwise[channel].multiplier, depthwise[channel].shift) + Int32(layer.intermediate.zeroPoint)
                intermediate[channel] = min(max(value, midRange.lowerBound), midRange.upperBound)
            }
            for filter in 0..<filters {
                var acc = layer.pointwiseBias?[filter] ?? 0
                for channel in 0..<mid {
                    acc += Int32(layer.pointwiseKernel[channel * filters + filter]) * (intermediate[channel] - Int32(layer.intermediate.zeroPoint))
                }
                let value = multiply(acc, pointwise[filter].multiplier, pointwise[filter].shift) + Int32(layer.output.zeroPoint)
                output.append(Int8(min(max(value, outRange.lowerBound), outRange.upperBound)))
            }
        }
        return output
    }
}
