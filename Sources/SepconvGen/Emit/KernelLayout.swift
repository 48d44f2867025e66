/// Choices both emitters make the same way for a plan: the step tile, the
/// calls that cover each run of output steps, and the header comments.
struct KernelLayout {
    let plan: LayerPlan

    /// Output steps computed together in `loops` mode: enough to reuse each
    /// pointwise row several times, few enough that the tile's depthwise
    /// values and accumulators stay small (about 2 KiB of stack).
    var tile: Int {
        let bytes = plan.dtype == .float32 ? 4 : 8
        let perStep = (plan.depthwiseChannels + plan.filters) * bytes
        return max(1, min(4, 2048 / max(perStep, 1)))
    }

    /// Bytes of locals the `loops` kernel's block keeps (the tile's buffers).
    var stackBytes: Int {
        tile * (plan.depthwiseChannels + plan.filters) * (plan.dtype == .float32 ? 4 : 8)
    }

    /// One call of the block routine: output steps `start ..< start + count`.
    struct Block: Hashable {
        var start: Int
        var count: Int
        var firstTap: Int
        var tapCount: Int
    }

    /// Covers each run with full tiles and one shorter tile for the rest.
    /// Returns loops as (first start, number of tiles, stride) plus single blocks.
    enum Cover: Hashable {
        /// `tiles` blocks of `tile` steps from `start`.
        case repeated(start: Int, tiles: Int, firstTap: Int, tapCount: Int)
        /// One block.
        case single(Block)
    }

    /// How the kernel covers every output step, in order.
    var cover: [Cover] {
        var result: [Cover] = []
        for run in plan.runs {
            let length = run.steps.count
            let tiles = length / tile
            if tiles > 1 {
                result.append(.repeated(start: run.steps.lowerBound, tiles: tiles, firstTap: run.firstTap, tapCount: run.tapCount))
            } else if tiles == 1 {
                result.append(.single(Block(start: run.steps.lowerBound, count: tile, firstTap: run.firstTap, tapCount: run.tapCount)))
            }
            let rest = length - tiles * tile
            if rest > 0 {
                result.append(.single(Block(start: run.steps.upperBound - rest, count: rest, firstTap: run.firstTap, tapCount: run.tapCount)))
            }
        }
        return result
    }

    /// One line describing the layer, for the files' header comments.
    var summary: String {
        let p = plan
        let input = p.dataFormat == .channelsLast ? "(\(p.inputSteps), \(p.inputChannels))" : "(\(p.inputChannels), \(p.inputSteps))"
        let output = p.dataFormat == .channelsLast ? "(\(p.outputSteps), \(p.outputChannels))" : "(\(p.outputChannels), \(p.outputSteps))"
        return "\(p.dtype.rawValue) \(p.dataFormat.rawValue): input \(input) -> output \(output); kernel_size \(p.kernelSize), "
            + "strides \(p.stride), dilation_rate \(p.dilation), padding \(p.padding.rawValue) (\(p.padLeft) left, \(p.padRight) right), "
            + "depth_multiplier \(p.depthMultiplier), filters \(p.filters), \(p.useBias ? "bias" : "no bias"), activation \(p.activation.rawValue)."
    }

    /// The plan line of the header comments.
    func planDescription(_ language: TargetLanguage) -> String {
        switch plan.unroll[language] {
        case .full:
            "fully unrolled, \(plan.multiplyAdds) multiply-adds per item, weights as literals."
        case .loops:
            "loops over \(plan.runs.count) runs of output steps in tiles of \(tile), borders peeled, \(plan.multiplyAdds) multiply-adds per item."
        }
    }

    /// The layout of the buffers in words.
    var layoutDescription: String {
        plan.dataFormat == .channelsLast ? "each item (steps, channels) (channels_last)" : "each item (channels, steps) (channels_first)"
    }

    /// Flat index of input step `step`, channel `channel` in one item.
    func inputIndex(step: Int, channel: Int) -> Int {
        plan.dataFormat == .channelsLast ? step * plan.inputChannels + channel : channel * plan.inputSteps + step
    }
}
