/// Choices both emitters make the same way for a plan: the register tile of
/// the `loops` kernel, the order weights are laid out in, the tiles that
/// cover the output steps, the stack bound, and the header comments.
///
/// The `loops` kernel computes the output in tiles of `tile` steps. For each
/// tile it first runs the depthwise stage for those steps into a small stack
/// buffer `d[tile][C·M]` (vectorised across channels), then the pointwise
/// stage as a register-blocked microkernel: `tile` steps × `blockVectors`
/// vectors of `lanes` filters held in named accumulators, one pass over the
/// C·M depthwise channels, each pass one vector load of a pointwise row per
/// accumulator column and one broadcast per step. Tiles that lie in the
/// interior run are a loop whose taps are all constant; border tiles are
/// emitted one by one, each step with only the taps that read the input
/// (a border tile whose steps read every tap, the last and shorter one,
/// takes the interior's depthwise routine of its length).
struct KernelLayout {
    let plan: LayerPlan

    /// The tiles that cover every output step in order: tiles of `tile` steps
    /// from step 0 (the last one shorter), consecutive interior tiles grouped.
    /// Worked out once: both emitters and most questions below go through them.
    private(set) var tiles: [Tile] = []

    init(plan: LayerPlan) {
        self.plan = plan
        tiles = coveringTiles()
    }

    /// Bytes of one element.
    var elementBytes: Int { plan.dtype == .float32 ? 4 : 8 }

    /// Bytes of one vector: 32 (8 floats, 4 doubles). One AVX register, two
    /// SSE/NEON registers; on AVX-512 hardware that double-pumps 512-bit
    /// operations (AMD Zen 4) as fast as 64-byte vectors, and it keeps the
    /// 12 accumulators within AVX2's 16 registers.
    static let vectorBytes = 32

    /// Elements in one vector.
    var lanes: Int { KernelLayout.vectorBytes / elementBytes }

    /// Vectors that hold one output step's filters.
    var filterVectors: Int { (plan.filters + lanes - 1) / lanes }

    /// Filters rounded up to whole vectors: the row length of the pointwise weights.
    var paddedFilters: Int { filterVectors * lanes }

    /// Accumulator vectors per step in the microkernel: 2 (1 when one vector holds every filter).
    var blockVectors: Int { filterVectors >= 2 ? 2 : 1 }

    /// Largest depthwise buffer, in bytes: keeps the whole kernel's stack under 4 KiB
    /// for C·M up to 128 floats at the full tile.
    static let depthwiseBufferBudget = 3_072

    /// Output steps per tile: 6 steps × 2 vectors (12 accumulators) or 8 × 1,
    /// measured fastest with gcc 12 and clang 21 on Zen 4 among 3–8 × 1–4; fewer
    /// when the depthwise buffer `tile · C·M` would pass its budget; never more
    /// than the output has.
    var tile: Int {
        let preferred = blockVectors == 2 ? 6 : 8
        let byBudget = KernelLayout.depthwiseBufferBudget / max(plan.depthwiseChannels * elementBytes, 1)
        return max(1, min(preferred, byBudget, plan.convolutionSteps))
    }

    /// Whether the pointwise results go through a stack tile `o[tile][paddedFilters]`
    /// before they are stored (channels_first's transposed store, glu's pairs of halves).
    var needsOutputTile: Bool {
        plan.dataFormat == .channelsFirst || plan.activation == .glu
    }

    /// Bytes of the `loops` kernel's stack buffers (the depthwise tile, and the
    /// output tile when there is one). The kernel's frame is this plus spills and
    /// saved registers (measured with -fstack-usage: under 200 bytes more).
    var stackBytes: Int {
        (tile * plan.depthwiseChannels + (needsOutputTile ? tile * paddedFilters : 0)) * elementBytes
    }

    /// The columns of the filter blocks: each `(first vector, vectors)`.
    var filterBlocks: [(vector: Int, count: Int)] {
        stride(from: 0, to: filterVectors, by: blockVectors).map { ($0, min(blockVectors, filterVectors - $0)) }
    }

    /// The filter blocks of full width with no partial vector: consecutive from
    /// the first, they share one loop in the microkernel.
    var plainBlocks: [(vector: Int, count: Int)] {
        let partial = needsOutputTile ? 0 : plan.filters % lanes
        return filterBlocks.filter { $0.count == blockVectors && !(partial > 0 && $0.vector + $0.count == filterVectors) }
    }

    /// Whether the kernel has a pair of plain blocks (32 floats, 16 doubles) to
    /// take at once in two 512-bit vectors where the target has them
    /// (`__AVX512F__` in C, `-D SEPCONV_GEN_AVX512` in Swift): 12 accumulators of
    /// 64 bytes, the register tile that reaches a core's peak when it executes
    /// 512-bit FMAs at full width; where 512-bit operations are split in two
    /// (Zen 4) it is as fast as the 32-byte kernel.
    var hasWidePairs: Bool { blockVectors == 2 && plainBlocks.count >= 2 }

    /// Whether the vectorised depthwise stage (channels_last, tiles whose
    /// steps read every tap) has whole 512-bit vectors of channels (16
    /// floats, 8 doubles) to take at once where the target has them; the
    /// channels past the last one take a 32-byte vector and scalars as elsewhere.
    var hasWideDepthwise: Bool {
        plan.dataFormat == .channelsLast && plan.inputChannels >= 2 * lanes && !fullTapLengths.isEmpty
    }

    /// Bytes of the packed pointwise weights that every tile reads once.
    var pointwiseBytes: Int { plan.depthwiseChannels * paddedFilters * elementBytes }

    /// Whether the C microkernels prefetch the weights' rows ahead: when the
    /// pointwise weights are past 32 KiB they live in L2, and gcc's schedule
    /// stalls on them (case X of the benchmark: 11% faster with gcc 12, the
    /// same with clang 21, whose unrolled loop loads them earlier).
    var prefetchesWeights: Bool { pointwiseBytes > 32 * 1024 }

    /// Rows of the pointwise weights the prefetch runs ahead.
    static let prefetchRows = 8

    /// The vectorised depthwise stage's groups of channel blocks (of each
    /// multiplier), with 32-byte vectors or, `wide`, 512-bit ones first: each
    /// `count` blocks of `lanes` channels from channel `first`. The channels
    /// past them are done one at a time.
    func depthwiseGroups(wide: Bool) -> [(lanes: Int, first: Int, count: Int)] {
        let C = plan.inputChannels
        let wideCount = wide ? C / (2 * lanes) : 0
        let narrowFirst = wideCount * 2 * lanes, narrowCount = (C - narrowFirst) / lanes
        return [(2 * lanes, 0, wideCount), (lanes, narrowFirst, narrowCount)].filter { $0.count > 0 }
    }

    /// `base` advanced by the symbolic `terms` and `constant`, as printed
    /// code: `base + t1 + t2 + 3` in C, `base + (t1 &+ t2 &+ 3)` in Swift;
    /// `base` alone when there is nothing to add.
    static func advance(_ base: String, by terms: [String], _ constant: Int, _ language: TargetLanguage) -> String {
        let all = terms + (constant != 0 || terms.isEmpty ? [String(constant)] : [])
        if all == ["0"] { return base }
        switch language {
        case .c: return base + " + " + all.joined(separator: " + ")
        case .swift: return base + " + " + (all.count == 1 ? all[0] : "(" + all.joined(separator: " &+ ") + ")")
        }
    }

    /// Whether the kernel has a 512-bit path at all.
    var usesWideVectors: Bool { hasWidePairs || hasWideDepthwise }

    /// The depthwise kernel as `[tap][m * C + c]`: channels of one multiplier
    /// contiguous, so the depthwise stage reads each input row with vector loads.
    var depthwiseRows: [Double] {
        let p = plan, (C, M, K) = (p.inputChannels, p.depthMultiplier, p.kernelSize)
        var values = [Double](repeating: 0, count: K * C * M)
        for k in 0..<K {
            for c in 0..<C {
                for m in 0..<M {
                    values[k * C * M + m * C + c] = p.weights.depthwiseKernel.scalars[(k * C + c) * M + m]
                }
            }
        }
        return values
    }

    /// The pointwise kernel packed per filter block (`filterBlocks`): block `b` is
    /// `[m * C + c][width]`, `width` its vectors' lanes, filters past F zero, so
    /// each step of the microkernel reads one contiguous row of the block
    /// (64 bytes for two float vectors: one cache line).
    var pointwiseBlocks: [[Double]] {
        let p = plan, (C, M, F) = (p.inputChannels, p.depthMultiplier, p.filters)
        return filterBlocks.map { block in
            let width = block.count * lanes, first = block.vector * lanes
            var values = [Double](repeating: 0, count: C * M * width)
            for c in 0..<C {
                for m in 0..<M {
                    for i in 0..<width where first + i < F {
                        values[(m * C + c) * width + i] = p.weights.pointwiseKernel.scalars[(c * M + m) * F + first + i]
                    }
                }
            }
            return values
        }
    }

    /// The bias padded with zeros to whole vectors (zeros when there is no bias).
    var paddedBias: [Double] {
        (plan.weights.bias?.scalars ?? []) + [Double](repeating: 0, count: paddedFilters - (plan.weights.bias?.scalars.count ?? 0))
    }

    /// One tile of output steps.
    enum Tile: Hashable {
        /// `count` tiles of `tile` steps from `start`, every step reading all taps.
        case interior(start: Int, count: Int)
        /// Steps `start ..< start + steps.count`, each step reading the taps
        /// `first ..< first + count` given for it.
        case border(start: Int, steps: [StepTaps])
    }

    /// The taps one step of a border tile reads.
    struct StepTaps: Hashable {
        var first: Int
        var count: Int
    }

    /// The tiles of `tiles`, worked out from the plan's runs.
    private func coveringTiles() -> [Tile] {
        let steps = plan.convolutionSteps, T = tile
        var result: [Tile] = []
        var start = 0
        while start < steps {
            let end = min(start + T, steps)
            let runs = plan.runs.filter { $0.steps.overlaps(start..<end) }
            if end - start == T, runs.count == 1, runs[0].isInterior {
                if case .interior(let first, let count) = result.last, first + count * T == start {
                    result[result.count - 1] = .interior(start: first, count: count + 1)
                } else {
                    result.append(.interior(start: start, count: 1))
                }
            } else {
                // The runs are in step order and cover every step once.
                let taps = runs.flatMap { run in
                    run.steps.clamped(to: start..<end).map { _ in StepTaps(first: run.firstTap, count: run.tapCount) }
                }
                result.append(.border(start: start, steps: taps))
            }
            start = end
        }
        return result
    }

    /// Whether every step of a border tile reads every tap: such a tile takes
    /// the vectorised depthwise routine of its length, like interior tiles.
    func readsAllTaps(_ steps: [StepTaps]) -> Bool {
        steps.allSatisfy { $0.first == 0 && $0.count == plan.kernelSize }
    }

    /// The lengths of the tiles whose steps all read every tap (interior
    /// tiles, and border tiles that `readsAllTaps`), longest first: each has a
    /// depthwise routine with its steps unrolled.
    var fullTapLengths: [Int] {
        Set(tiles.compactMap { tile -> Int? in
            switch tile {
            case .interior: self.tile
            case .border(_, let steps): readsAllTaps(steps) ? steps.count : nil
            }
        }).sorted(by: >)
    }

    /// Whether some border step reads only part of the taps (through the
    /// per-step depthwise routine).
    var hasPartialSteps: Bool {
        tiles.contains { tile in
            if case .border(_, let steps) = tile { !readsAllTaps(steps) } else { false }
        }
    }

    /// The distinct tile lengths, longest first (the full tile and the last, shorter one).
    var tileLengths: [Int] {
        let rest = plan.convolutionSteps % tile
        return rest == 0 ? [tile] : [tile, rest]
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
        let wide = language == .c ? "where the target has AVX-512" : "with -D SEPCONV_GEN_AVX512"
        switch plan.unroll[language] {
        case .full:
            return "fully unrolled, \(plan.multiplyAdds) multiply-adds per item, weights as literals."
        case .loops:
            return "tiles of \(tile) output steps x \(blockVectors * lanes) filters in registers (\(lanes)-lane vectors"
                + (hasWidePairs ? "; x \(4 * lanes) in \(2 * lanes)-lane vectors \(wide)" : "")
                + "), depthwise fused per tile" + (hasWideDepthwise ? " (\(2 * lanes)-lane vectors \(wide))" : "")
                + ", borders peeled, \(plan.multiplyAdds) multiply-adds per item."
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
