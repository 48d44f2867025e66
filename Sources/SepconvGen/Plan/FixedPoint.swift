/// TensorFlow Lite's fixed-point requantization, bit for bit: the functions
/// of `tensorflow/lite/kernels/internal/common.h` (double rounding, the
/// default build), `quantization_util.cc` and `kernel_util.cc` that the
/// reference int8 convolutions (TFLite `BUILTIN_REF`, TFLite Micro,
/// CMSIS-NN) call. The planner, the interpreter and the tests use them; the
/// emitted code spells the same steps (`QuantizedLowering`).
public enum FixedPoint {
    /// `QuantizeMultiplier`: `real` ≈ `multiplier` · 2^(shift − 31) with
    /// `multiplier` in [2^30, 2^31) (Q31), from frexp and round-half-away.
    /// A fraction that rounds up to 2^31 is halved and the shift raised; a
    /// shift below −31 gives (0, 0), as TFLite does. `real` must be positive
    /// and finite (the planner checks the scales); 0 gives (0, 0).
    public static func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int) {
        guard real > 0, real.isFinite else { return (0, 0) }
        // frexp: real = q · 2^e with q in [0.5, 1); Swift's significand is in [1, 2).
        let q = real.significand / 2
        var shift = Int(real.exponent) + 1
        var fixed = (q * 2_147_483_648).rounded()   // exact in a double: q has 53 bits
        if fixed == 2_147_483_648 {
            fixed /= 2
            shift += 1
        }
        if shift < -31 { return (0, 0) }
        return (Int32(fixed), shift)
    }

    /// The real multiplier TFLite quantizes for one output channel of a
    /// convolution (`PopulateConvolutionQuantizationParams`): each float
    /// scale widened to double, then input · filter / output.
    public static func effectiveScale(input: Float, filter: Float, output: Float) -> Double {
        Double(input) * Double(filter) / Double(output)
    }

    /// `SaturatingRoundingDoublingHighMul`: the high 32 bits of 2·a·b,
    /// rounded to nearest by a nudge (2^30, or 1 − 2^30 below zero) and a
    /// division that truncates toward zero, so a tie rounds up (−1.5 gives
    /// −1); saturates the one overflowing case, a = b = −2^31.
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == .min && b == .min { return .max }
        let product = Int64(a) * Int64(b)
        let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
        return Int32((product + nudge) / (1 << 31))
    }

    /// `RoundingDivideByPOT`: x / 2^exponent rounded half away from zero
    /// (an arithmetic shift, then 1 where the remainder passes half).
    public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
        let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
    }

    /// `MultiplyByQuantizedMultiplier`: x · multiplier · 2^(shift − 31),
    /// the left shift (shift > 0) applied to x first, in int32 (the planner
    /// makes sure it cannot overflow), then the doubling high multiply, then
    /// the rounding right shift (shift < 0).
    public static func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        let left = max(shift, 0), right = max(-shift, 0)
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x &* (1 << Int32(left)), multiplier), right)
    }

    /// `CalculateActivationRangeQuantized` for an int8 tensor of `scale` and
    /// `zeroPoint`: each bound quantized as zeroPoint + round(f / scale),
    /// divided and rounded (half away from zero) in float, clamped to
    /// [−128, 127]; nil when a bound does not fit an int32 (TFLite refuses it too).
    public static func activationRange(_ activation: QuantizedLayer.FusedActivation, scale: Float, zeroPoint: Int) -> ClosedRange<Int>? {
        func quantize(_ f: Float) -> Int? {
            let q = (f / scale).rounded()
            guard q.isFinite, q >= -2_147_483_648, q < 2_147_483_648 else { return nil }
            return zeroPoint + Int(q)
        }
        let (qmin, qmax) = (-128, 127)
        let bounds: (Float?, Float?) = switch activation {
        case .none: (nil, nil)
        case .relu: (0, nil)
        case .relu6: (0, 6)
        case .reluN1To1: (-1, 1)
        }
        var low = qmin, high = qmax
        if let f = bounds.0 {
            guard let q = quantize(f) else { return nil }
            low = max(qmin, q)
        }
        if let f = bounds.1 {
            guard let q = quantize(f) else { return nil }
            high = min(qmax, q)
        }
        // An empty range clamps every value to `low` then `high` (TFLite's order); keep it as the two bounds say.
        return low <= high ? low...high : high...high
    }

    /// The constants of the one-step form of a stage's requantization (see
    /// `requantizeInOneStep`), or nil when a channel does not shift right
    /// or a sum of magnitude up to `accumulatorBound` could leave its range.
    static func oneStepOffsets(_ stage: QuantizedPlan.Requantization, accumulatorBound: Int) -> [Int32]? {
        var offsets: [Int32] = []
        for (multiplier, shift) in zip(stage.multipliers, stage.shifts) {
            let right = -shift
            guard multiplier > 0, right >= 1, right <= 30 else { return nil }
            let offset = (1 << (right - 1)) + stage.zeroPoint * (1 << right)
            // 2·acc, the high word plus the offset and the sign, and offset·2^32 in the int64 sum stay in range.
            guard 2 * accumulatorBound < 1 << 30, offset.magnitude + UInt(accumulatorBound) + 2 < 1 << 30 else { return nil }
            offsets.append(Int32(offset))
        }
        return offsets
    }

    /// `MultiplyByQuantizedMultiplier(acc, multiplier, −right)` plus `zeroPoint`
    /// as one rounding: the doubling high multiply rounds
    /// ⌊(a·m + 2^30) / 2^31⌋ (TFLite's nudge and truncation give the same
    /// number for m > 0), and the rounding right shift of y by r is
    /// ⌊(y + 2^(r−1) − [y < 0]) / 2^r⌋; floors nest, so with a2 = 2·acc the
    /// result is (⌊(a2·m + 2^31 + offset·2^32) / 2^32⌋ − [a2 < 0]) >> r,
    /// offset = 2^(r−1) + zeroPoint·2^r. [y < 0] is [acc < 0] but for
    /// acc = −1, m = 2^30, where y = 0 and both round to zeroPoint (r ≥ 1).
    /// The emitted kernels spell this; the tests hold it to `multiplyByQuantizedMultiplier`.
    public static func requantizeInOneStep(_ acc: Int32, _ multiplier: Int32, offset: Int32, right: Int) -> Int32 {
        let doubled = Int64(acc) * 2
        let high = (doubled * Int64(multiplier) + (1 << 31) + Int64(offset) * (1 << 32)) >> 32
        return Int32(high + (doubled < 0 ? -1 : 0)) >> Int32(right)
    }
}
