/// The int8 arithmetic of a layer, planned once (SPEC.md section 7): each
/// operator's per-channel multipliers and shifts, its clamp, and the weight
/// and bias tables in the layout the emitted kernels read, with every input
/// and intermediate zero point folded into the biases.
///
/// Folding: Σ w·(x − zp) = Σ w·x − zp·Σ w. The depthwise stage sums only
/// the taps a step reads (a tap in the padding adds nothing), so each of
/// the plan's step runs gets its own bias table, `bias − zp·Σ_{taps of the
/// run} w`; the pointwise stage reads every channel, so one table.
public struct QuantizedPlan: Hashable, Sendable {
    /// How one operator's int32 sums become int8: per output channel
    /// `MultiplyByQuantizedMultiplier(acc, multiplier, shift)`, then
    /// `+ zeroPoint`, clamped to `clamp` (the fused activation within [−128, 127]).
    public struct Requantization: Hashable, Sendable {
        public var multipliers: [Int32]
        public var shifts: [Int]
        public var zeroPoint: Int
        public var clamp: ClosedRange<Int>
        /// Per channel, `2^(r−1) + zeroPoint·2^r` for the channel's right
        /// shift r = −shift: the constant of the one-step form the kernels
        /// spell (`FixedPoint.requantizeInOneStep`); nil when some channel
        /// does not shift right (r = 0) or its sums could leave that form's
        /// range, and the kernels spell TFLite's steps one by one.
        public var offsets: [Int32]?

        /// The shifts' range, for `explain`.
        public var shiftRange: ClosedRange<Int> { (shifts.min() ?? 0)...(shifts.max() ?? 0) }
        /// The multipliers' range, for `explain`.
        public var multiplierRange: ClosedRange<Int32> { (multipliers.min() ?? 0)...(multipliers.max() ?? 0) }
    }

    /// The numbers from the model, as given.
    public var layer: QuantizedLayer
    /// The layer's input channels, depth multiplier and kernel size.
    public var channels: Int, depthMultiplier: Int, kernelSize: Int
    public var depthwise: Requantization
    public var pointwise: Requantization
    /// Depthwise weights channel-major, `[ch][k]` (ch = c·M + m): a channel's taps are contiguous.
    public var depthwiseWeights: [Int8]
    /// One folded bias table per step run of the plan (`LayerPlan.runs`), C·M values each.
    public var depthwiseBiases: [[Int32]]
    /// Pointwise weights filter-major, `[f][ch]`: a filter's row is contiguous.
    public var pointwiseWeights: [Int8]
    /// The pointwise bias with the intermediate zero point folded in, F values.
    public var pointwiseBias: [Int32]
    /// `pointwiseTile` on the DSP path: 8 where the layer has several step
    /// runs, so that each intermediate pair loaded (`widensIntermediateOnce`)
    /// feeds eight `__smlad` and the eight accumulators and the weight fit the
    /// core's registers; 4 where it has one, as gcc then inlines both stages
    /// into the item's loop, whose pointers take registers the eight would need.
    public var dualPointwiseTile: Int
    /// The largest magnitude any int32 partial sum of either stage can take
    /// for any int8 input: what `refusal` checks against 2^31 − 1.
    public var accumulatorBound: Int

    /// Bytes of the int8 weight tables and the bias tables, at most (a bias
    /// table is int32, or int16 or int8 where its values fit).
    public var weightBytes: Int {
        depthwiseWeights.count + pointwiseWeights.count + 4 * (depthwiseBiases.reduce(0) { $0 + $1.count } + pointwiseBias.count)
    }

    /// Bytes of the `loops` kernel's weight and bias tables as emitted: the
    /// int8 depthwise weights, the folded biases in the narrowest type that
    /// holds them, and the pointwise weights as int8 or (`dsp`, C's path for
    /// DSP cores) as int16 pairs in 32-bit words.
    public func weightTableBytes(dsp: Bool) -> Int {
        // The DSP path widens every weight to 16 bits in a word of two (a channel past the last group: a word).
        let (dw, pw) = dsp ? (4 * depthwisePairs().count, 4 * pointwisePairs().count)
            : (depthwiseWeights.count, pointwiseWeights.count)
        return dw + Self.narrowestBytes(Array(depthwiseBiases.joined())) + pw + Self.narrowestBytes(pointwiseBias)
    }

    /// Bytes of the multiplier (int32), shift (int8) and, in the one-step
    /// form, offset (the narrowest type that holds a stage's) tables.
    public var requantizationBytes: Int {
        let offsets = [depthwise.offsets, pointwise.offsets].compactMap { $0 }
        return 5 * (depthwise.multipliers.count + pointwise.multipliers.count) + offsets.reduce(0) { $0 + Self.narrowestBytes($1) }
    }

    /// Bytes of `values` in the narrowest of int8, int16 and int32 that holds them all.
    static func narrowestBytes(_ values: [Int32]) -> Int {
        let low = values.min() ?? 0, high = values.max() ?? 0
        let size = low >= -128 && high <= 127 ? 1 : low >= -32_768 && high <= 32_767 ? 2 : 4
        return size * values.count
    }

    /// Why `layer` cannot be planned on `geometry`, if it cannot: tables of
    /// the wrong size, a scale that is not positive and finite, a zero point
    /// outside int8, a clamp TFLite could not compute, or sums that could
    /// overflow int32 (before or after the requantization's left shift).
    public static func refusal(_ layer: QuantizedLayer, _ geometry: LayerGeometry) -> String? {
        let (K, CM, F) = (geometry.kernelSize, geometry.depthwiseChannels, geometry.filters)
        let counts = [("depthwise kernel", layer.depthwiseKernel.count, K * CM), ("depthwise scales", layer.depthwiseScales.count, CM),
                      ("depthwise bias", layer.depthwiseBias.count, CM), ("pointwise kernel", layer.pointwiseKernel.count, CM * F),
                      ("pointwise scales", layer.pointwiseScales.count, F), ("pointwise bias", layer.pointwiseBias?.count ?? F, F)]
        for (what, count, expected) in counts where count != expected {
            return "the int8 \(what) has \(count) values; the layer's shape needs \(expected)"
        }
        let tensors = [("input", layer.input), ("intermediate", layer.intermediate), ("output", layer.output)]
        for (what, q) in tensors {
            guard q.scale > 0, q.scale.isFinite else { return "the int8 \(what) scale \(q.scale) is not a positive finite number" }
            guard (-128...127).contains(q.zeroPoint) else { return "the int8 \(what) zero point \(q.zeroPoint) is outside [-128, 127]" }
        }
        for (what, scales) in [("depthwise", layer.depthwiseScales), ("pointwise", layer.pointwiseScales)] {
            if let bad = scales.first(where: { !($0 > 0 && $0.isFinite) }) { return "a \(what) weight scale, \(bad), is not a positive finite number" }
        }
        guard layer.leadingPad == 0 || geometry.padding == .valid else { return "a leading pad goes with 'valid' padding only" }
        guard layer.leadingPad >= 0, layer.leadingPad <= Limits.maxExtent else {
            return "the leading pad of \(layer.leadingPad) steps is outside 0 ... \(Limits.maxExtent)"
        }
        for (what, activation, q) in [("depthwise", layer.depthwiseActivation, layer.intermediate), ("pointwise", layer.pointwiseActivation, layer.output)]
            where FixedPoint.activationRange(activation, scale: q.scale, zeroPoint: q.zeroPoint) == nil {
            return "the \(what) operator's \(activation.rawValue) bounds do not fit int32 at scale \(q.scale)"
        }
        // Every partial sum of a stage of n terms: |bias| + zp·Σw folded in (≤ n·128·128) plus Σ w·x (≤ n·128·128).
        let stages = [(layer.depthwiseBias.map(Int.init), K, layer.depthwiseScales, layer.input, layer.intermediate),
                      ((layer.pointwiseBias ?? []).map(Int.init), CM, layer.pointwiseScales, layer.intermediate, layer.output)]
        for (biases, terms, scales, input, output) in stages {
            let bias = biases.map(\.magnitude).max() ?? 0
            guard terms * 128 * 256 + Int(bias) <= Int(Int32.max) else {
                return "int32 sums of \(terms) int8 products could overflow; sepconv-gen refuses such a layer"
            }
            for scale in scales {
                // TFLite shifts the exact sum (≤ |bias| + n·128·255) left in int32 before multiplying.
                let shift = FixedPoint.quantizeMultiplier(FixedPoint.effectiveScale(input: input.scale, filter: scale, output: output.scale)).shift
                guard shift <= 0 || (shift < 31 && terms * 128 * 255 + Int(bias) <= Int(Int32.max) >> shift) else {
                    return "a requantization shifts its int32 sum left by \(shift) bits, which could overflow; sepconv-gen refuses such a layer"
                }
            }
        }
        return nil
    }

    /// Plans `layer` on `geometry` and its step `runs`; `refusal` must have returned nil.
    public init(_ layer: QuantizedLayer, geometry: LayerGeometry, runs: [StepRun]) {
        let (K, CM, F) = (geometry.kernelSize, geometry.depthwiseChannels, geometry.filters)
        func requantization(_ scales: [Float], _ input: QuantizedLayer.Quantization, _ output: QuantizedLayer.Quantization,
                            _ activation: QuantizedLayer.FusedActivation) -> Requantization {
            let pairs = scales.map { FixedPoint.quantizeMultiplier(FixedPoint.effectiveScale(input: input.scale, filter: $0, output: output.scale)) }
            return Requantization(multipliers: pairs.map(\.multiplier), shifts: pairs.map(\.shift), zeroPoint: output.zeroPoint,
                                  clamp: FixedPoint.activationRange(activation, scale: output.scale, zeroPoint: output.zeroPoint) ?? -128...127,
                                  offsets: nil)
        }
        self.layer = layer
        dualPointwiseTile = runs.count > 1 ? 8 : 4
        (channels, depthMultiplier, kernelSize) = (geometry.inputChannels, geometry.depthMultiplier, K)
        depthwise = requantization(layer.depthwiseScales, layer.input, layer.intermediate, layer.depthwiseActivation)
        pointwise = requantization(layer.pointwiseScales, layer.intermediate, layer.output, layer.pointwiseActivation)
        depthwiseWeights = (0..<CM).flatMap { ch in (0..<K).map { k in layer.depthwiseKernel[k * CM + ch] } }
        pointwiseWeights = (0..<F).flatMap { f in (0..<CM).map { ch in layer.pointwiseKernel[ch * F + f] } }
        let inputZero = layer.input.zeroPoint, middleZero = layer.intermediate.zeroPoint
        depthwiseBiases = runs.map { run in
            (0..<CM).map { ch in
                let taps = (run.firstTap ..< run.firstTap + run.tapCount).reduce(0) { $0 + Int(layer.depthwiseKernel[$1 * CM + ch]) }
                return Int32(Int(layer.depthwiseBias[ch]) - inputZero * taps)
            }
        }
        pointwiseBias = (0..<F).map { f in
            let row = (0..<CM).reduce(0) { $0 + Int(layer.pointwiseKernel[$1 * F + f]) }
            return Int32(Int(layer.pointwiseBias?[f] ?? 0) - middleZero * row)
        }
        let biasBound = (layer.depthwiseBias.map { Int($0).magnitude } + (layer.pointwiseBias ?? []).map { Int($0).magnitude }).max() ?? 0
        accumulatorBound = max(K, CM) * 128 * 256 + Int(biasBound)
        // One routine serves both stages: the one-step form where both fit it.
        if let first = FixedPoint.oneStepOffsets(depthwise, accumulatorBound: accumulatorBound),
           let second = FixedPoint.oneStepOffsets(pointwise, accumulatorBound: accumulatorBound) {
            depthwise.offsets = first
            pointwise.offsets = second
        }
    }

    /// Whether both stages requantize in the one-step form (`Requantization.offsets`).
    public var roundsInOneStep: Bool { depthwise.offsets != nil }

    /// The pointwise weights as the plain `loops` kernel reads them: for
    /// each block of filters (`pointwiseBlocks`), channel by channel, the block's weights.
    public func pointwiseTiles() -> [Int8] {
        let F = pointwiseBias.count, CM = F == 0 ? 0 : pointwiseWeights.count / F
        return pointwiseBlocks(Self.pointwiseTile).flatMap { block in (0..<CM).flatMap { ch in block.map { pointwiseWeights[$0 * CM + ch] } } }
    }

    /// How many filters the `loops` pointwise stage sums at once: each
    /// intermediate value it loads feeds that many accumulators.
    public static let pointwiseTile = 4


    /// The intermediate channels the C path for cores with the DSP
    /// extension widens at once: one 32-bit load of int8 values, two
    /// `__sxtb16` to the int16 pairs (c, c + 2) and (c + 1, c + 3), each fed
    /// to `__smlad` with a pair of weights widened at generation time.
    public static let dualGroup = 4

    /// Whether the DSP path's pointwise stage widens a step's intermediate
    /// to int16 pairs once, into a stack buffer it then reads a word per
    /// pair, rather than once per block of filters (a load, a shift and two
    /// `__sxtb16` per group and block, against two loads from the buffer):
    /// filling the buffer costs about 8 instructions a group on Cortex-M4,
    /// about what 2 saved per group and block repay over 3 to 4 blocks, so
    /// it starts at `widenOnceBlocks` (L takes 8 blocks, M 4, D 16; kws_block1
    /// and S, 2, do not). Widening is exact, so the numbers are the same either way.
    public var widensIntermediateOnce: Bool { pointwiseBlocks(dualPointwiseTile).count >= Self.widenOnceBlocks && channels * depthMultiplier >= Self.dualGroup }

    /// See `widensIntermediateOnce`.
    public static let widenOnceBlocks = 3

    /// How the C path for DSP cores clamps a requantized value: `__ssat` to
    /// int8 does it alone where every stage's clamp is −128 ... 127 (no
    /// activation, or RELU at zero point −128), and is followed by the lower
    /// bound where only the upper bounds are 127; else the plain comparisons.
    public enum Saturation: String, Hashable, Sendable {
        case int8, int8ThenLeast = "int8 then least", clamp
    }

    /// `Saturation` for this layer's two clamps.
    public var saturation: Saturation {
        let clamps = [depthwise.clamp, pointwise.clamp]
        if clamps.allSatisfy({ $0 == -128...127 }) { return .int8 }
        return clamps.allSatisfy { $0.upperBound == 127 } ? .int8ThenLeast : .clamp
    }

    /// The `loops` pointwise weights of the DSP path, as 32-bit words in the
    /// order it reads them: for each block of filters (`dualPointwiseTile`,
    /// the last one the rest), for each group of `dualGroup` channels, for
    /// each filter of the block, the int16 pairs (w[c], w[c + 2]) and
    /// (w[c + 1], w[c + 3]) (the first in the low half); then for each
    /// channel past the last group, the block's weights as words.
    public func pointwisePairs() -> [Int32] {
        let F = pointwiseBias.count, CM = F == 0 ? 0 : pointwiseWeights.count / F
        let groups = CM / Self.dualGroup
        func weight(_ f: Int, _ ch: Int) -> Int32 { Int32(pointwiseWeights[f * CM + ch]) }
        func pair(_ low: Int32, _ high: Int32) -> Int32 { Int32(truncatingIfNeeded: (Int(high) << 16) | (Int(low) & 0xFFFF)) }
        return pointwiseBlocks(dualPointwiseTile).flatMap { block in
            (0..<groups).flatMap { g in
                block.flatMap { f in
                    let c = g * Self.dualGroup
                    return [pair(weight(f, c), weight(f, c + 2)), pair(weight(f, c + 1), weight(f, c + 3))]
                }
            } + (groups * Self.dualGroup ..< CM).flatMap { ch in block.map { weight($0, ch) } }
        }
    }

    /// The depthwise weights of the DSP path, as 32-bit words in the order
    /// it reads them: for each group of `dualGroup` input channels c, each
    /// multiplier m and tap k, the int16 pairs (w[c], w[c + 2]) and
    /// (w[c + 1], w[c + 3]) of channels c·M + m (the first in the low half);
    /// then for each input channel past the last group, each m and k, the weight as a word.
    public func depthwisePairs() -> [Int32] {
        let (C, M, K) = (channels, depthMultiplier, kernelSize)
        let groups = C / Self.dualGroup
        func weight(_ c: Int, _ m: Int, _ k: Int) -> Int32 { Int32(depthwiseWeights[(c * M + m) * K + k]) }
        func pair(_ low: Int32, _ high: Int32) -> Int32 { Int32(truncatingIfNeeded: (Int(high) << 16) | (Int(low) & 0xFFFF)) }
        let paired = (0..<groups).flatMap { g in
            (0..<M).flatMap { m in
                (0..<K).flatMap { k in
                    let c = g * Self.dualGroup
                    return [pair(weight(c, m, k), weight(c + 2, m, k)), pair(weight(c + 1, m, k), weight(c + 3, m, k))]
                }
            }
        }
        return paired + (groups * Self.dualGroup ..< C).flatMap { c in (0..<M).flatMap { m in (0..<K).map { weight(c, m, $0) } } }
    }

    /// The filters the vector paths' pointwise stage sums at once: one
    /// 256-bit AVX2 vector of int32, two NEON ones.
    public static let vectorTile = 8

    /// The targets where C's `loops` kernel takes the int8 vector path (its
    /// pointwise stage on 16-bit multiply-adds of the intermediate's channel
    /// pairs, `vectorPairs`), in the order C tests them, before the DSP
    /// path: every layer, as `Benchmarks/run.sh int8` shows it faster than
    /// the plain loops on each benchmark layer with gcc and clang. x86
    /// without AVX2 (the x86-64 baseline, SSE2) keeps the plain loops.
    public var vectorTargets: [VectorGuard] { [.x86AVX2, .aarch64NEON] }

    /// Bytes of the vector paths' stack buffers beside the intermediate:
    /// the pointwise stage's channel pairs (a 32-bit word per two channels)
    /// and `vectorTile` int32 sums, and the depthwise stage's sums where it
    /// takes whole blocks of input channels.
    public var vectorStackBytes: Int {
        4 * ((channels * depthMultiplier + 1) / 2 + Self.vectorTile + (channels >= Self.vectorTile ? Self.vectorTile : 0))
    }

    /// The vector paths' pointwise weights in the order they read them: for
    /// each block of `vectorTile` filters (the last one padded with zero
    /// weights), for each pair of intermediate channels (2p, 2p + 1) (the
    /// last one padded with a zero weight where the channels are odd), for
    /// each filter of the block, its weights of the two channels.
    public func vectorPairs() -> [Int8] {
        let F = pointwiseBias.count, CM = F == 0 ? 0 : pointwiseWeights.count / F
        func weight(_ f: Int, _ ch: Int) -> Int8 { f < F && ch < CM ? pointwiseWeights[f * CM + ch] : 0 }
        return pointwiseBlocks(Self.vectorTile).flatMap { block in
            (0 ..< (CM + 1) / 2).flatMap { p in
                (block.lowerBound ..< block.lowerBound + Self.vectorTile).flatMap { f in [weight(f, 2 * p), weight(f, 2 * p + 1)] }
            }
        }
    }

    /// The vector paths' depthwise weights, `[m][k][c]`: a tap's weights
    /// of consecutive input channels contiguous, as consecutive channels of the input are.
    public func vectorDepthwiseWeights() -> [Int8] {
        let (C, M, K) = (channels, depthMultiplier, kernelSize)
        return (0..<M).flatMap { m in (0..<K).flatMap { k in (0..<C).map { c in depthwiseWeights[(c * M + m) * K + k] } } }
    }

    /// Whether the vector paths requantize `vectorTile` sums at once (the
    /// one-step form, whose constants are per channel: a depthwise block's
    /// channels are consecutive only where the depth multiplier is 1).
    public var vectorRequantizes: (depthwise: Bool, pointwise: Bool) {
        (roundsInOneStep && depthMultiplier == 1 && channels >= Self.vectorTile, roundsInOneStep && pointwiseBias.count >= Self.vectorTile)
    }

    /// Whether the vector paths requantize any value of each stage one at a
    /// time: channels or filters past the last whole block, or all of a
    /// stage not requantized by vectors.
    public var vectorRequantizesOneByOne: (depthwise: Bool, pointwise: Bool) {
        let (depthwise, pointwise) = vectorRequantizes
        return (!depthwise || channels % Self.vectorTile != 0, !pointwise || pointwiseBias.count % Self.vectorTile != 0)
    }

    /// The pointwise stage's blocks of filters: `tile` each, the last one the rest.
    public func pointwiseBlocks(_ tile: Int) -> [Range<Int>] {
        let F = pointwiseBias.count
        return stride(from: 0, to: F, by: tile).map { $0 ..< min($0 + tile, F) }
    }
}
