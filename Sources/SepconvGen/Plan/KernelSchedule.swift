/// Everything the `loops` kernels are shaped by, decided once by the Planner
/// and stored on the plan: emitters only print it, and `explain` shows it.
///
/// The kernel computes the output in tiles of `tile` steps. For each tile it
/// first runs the depthwise stage for those steps into a small stack buffer
/// `d[tile][C·M]` (vectorised across channels), then the pointwise stage as a
/// register-blocked microkernel: `tile` steps × `blockVectors` vectors of
/// `lanes` filters held in named accumulators, one pass over the C·M
/// depthwise channels, each pass one vector load of a pointwise row per
/// accumulator column and one broadcast per step. Tiles that lie in the
/// interior run are a loop whose taps are all constant; border tiles are
/// emitted one by one, each step with only the taps that read the input (a
/// border tile whose steps read every tap takes the interior's depthwise
/// routine of its length).
public struct KernelSchedule: Hashable, Sendable {
    /// Bytes of one vector: 32 (8 floats, 4 doubles). One AVX register, two
    /// SSE/NEON registers; on AVX-512 hardware that double-pumps 512-bit
    /// operations (AMD Zen 4) as fast as 64-byte vectors, and it keeps the
    /// 12 accumulators within AVX2's 16 registers.
    public static let vectorBytes = 32
    /// Largest depthwise buffer, in bytes: keeps the whole kernel's stack under
    /// 4 KiB for C·M up to 128 floats at the full tile.
    public static let depthwiseBufferBudget = 3_072
    /// Rows of the pointwise weights a prefetch runs ahead.
    public static let prefetchRows = 8
    /// Pointwise weights past this many bytes live in L2 and are prefetched.
    public static let prefetchThresholdBytes = 32 * 1024
    /// Most taps the vector depthwise stage unrolls; longer kernels loop over taps.
    /// The portable C99 depthwise stage holds as many weights of a channel in locals.
    public static let maxUnrolledTaps = 8
    /// Most output steps one register tile of the scalar C99 pointwise stage
    /// holds: 6 steps × 4 filters is 24 accumulators, and per depthwise
    /// channel 4 weights and 6 depthwise values loaded once for 24
    /// multiply-adds (5 × 5 loads as few but fits no tile length of 6).
    public static let scalarRows = 6
    /// Single-precision registers a scalar register tile's accumulators and
    /// weights may fill: a Cortex-M4F's 32, less one for the step's depthwise
    /// value and one the compiler keeps free (more spills on gcc 12).
    public static let scalarRegisters = 30
    /// Depthwise channels whose values a register tile loads at once where
    /// it loads its weights together: each step's 4 consecutive values in one
    /// `vldm`, then per channel its weights in one more.
    public static let channelsPerLoad = 4
    /// Fewest depthwise channels (C·M) for which the register tiles load
    /// channels together: with fewer, their pass is too short to repay the
    /// smaller tiles' extra bias loads and stores (case S, 8 channels: 2.45
    /// instructions a multiply-add in place of 2.34).
    public static let minimumLoadedChannels = 16
    /// The register tile where the depthwise values are loaded together: 2
    /// steps x 8 filters, whose 16 sums, 8 weights and 2 x 4 depthwise values
    /// fill the 32 single-precision registers. Per 4 channels 2 + 4 loads (and
    /// 4 address adds) for 64 multiply-adds: 76 instructions, 1.19 a
    /// multiply-add against 1.42 for 6 x 4 with one load a value.
    public static let loadedTile = (steps: 2, filters: 8)
    /// Independent chains of multiply-adds a pointwise microkernel keeps in
    /// flight at the least: two FMA units, four cycles of latency each.
    public static let minimumChains = 8
    /// Most interleaved partial sums a short tile's microkernel splits its pass into.
    public static let maxPartialSums = 4

    /// Bytes of one element.
    public let elementBytes: Int
    /// Elements in one vector.
    public let lanes: Int
    /// Vectors that hold one output step's filters.
    public let filterVectors: Int
    /// Filters rounded up to whole vectors: the row length of the pointwise weights.
    public let paddedFilters: Int
    /// Accumulator vectors per step in the microkernel: 2 (1 when one vector holds every filter).
    public let blockVectors: Int
    /// Output steps per tile: 6 steps × 2 vectors (12 accumulators) or 8 × 1,
    /// measured fastest with gcc 12 and clang 21 on Zen 4 among 3–8 × 1–4;
    /// fewer when the depthwise buffer `tile · C·M` would pass its budget;
    /// never more than the output has.
    public let tile: Int
    /// Whether the pointwise results go through a stack tile `o[tile][paddedFilters]`
    /// before they are stored (channels_first's transposed store, glu's pairs of
    /// halves, an epilogue).
    public let needsOutputTile: Bool
    /// Bytes of the kernel's stack buffers (the depthwise tile, with
    /// `leadingPartialSteps` rows more on the scalar path, and the output
    /// tile when there is one). The frame is this plus spills and saved
    /// registers (measured with -fstack-usage: under 200 bytes more).
    public let stackBytes: Int
    /// Steps at the start of the first tile that read part of the taps where
    /// the `tile` steps after them read every tap, the kernel has the
    /// interior's depthwise routine and the scalar path has an item of its
    /// own (`fusesActivation`): that item computes those steps one
    /// by one and the `tile` steps after them with the interior's depthwise
    /// routine, into a depthwise buffer this many rows longer, in place of
    /// one step at a time for all of the tile (case S: 2.28 instructions a
    /// multiply-add in place of 2.34). The next tile computes the last of
    /// them again. 0: none.
    public let leadingPartialSteps: Int
    /// The microkernels whose tiles are too short for `minimumChains` accumulators
    /// (`rows` × `vectors` of them: a 1-step tile, the streaming frame kernel)
    /// and so split their pass over C·M into `parts` interleaved partial sums,
    /// added at the end. Every other microkernel has one sum per accumulator.
    public let partialSums: [PartialSums]
    /// The columns of the filter blocks, in order.
    public let filterBlocks: [FilterBlock]
    /// How many filter blocks, from the first, are plain (full width, no
    /// partial vector): they share one loop in the microkernel.
    public let plainBlockCount: Int
    /// Whether pairs of plain blocks (32 floats, 16 doubles) are taken at once
    /// in two 512-bit vectors where the target has them (`__AVX512F__` in C,
    /// `-D SEPCONV_GEN_AVX512` in Swift): 12 accumulators of 64 bytes, the
    /// register tile that reaches a core's peak when it executes 512-bit FMAs
    /// at full width; where 512-bit operations are split in two (Zen 4) it is
    /// as fast as the 32-byte kernel. Never without a pointwise kernel (`ConvolutionVariant`).
    public let hasWidePairs: Bool
    /// Whether the vectorised depthwise stage (channels_last, tiles whose steps
    /// read every tap) takes whole 512-bit vectors of channels where the target
    /// has them; the channels past them take a 32-byte vector and scalars.
    /// Never for the dense-tap variant, whose depthwise stage is a gather.
    public let hasWideDepthwise: Bool
    /// Bytes of the packed pointwise weights that every tile reads once (0: none).
    public let pointwiseBytes: Int
    /// Whether the C microkernels prefetch the weights' rows ahead: past 32 KiB
    /// they live in L2, and gcc's schedule stalls on them (case X of the
    /// benchmark: 11% faster with gcc 12, the same with clang 21).
    public let prefetchesWeights: Bool
    /// Whether the vector depthwise stage unrolls its taps (K <= `maxUnrolledTaps`).
    public let unrollsTaps: Bool
    /// The tiles that cover every output step in order: tiles of `tile` steps
    /// from step 0 (the last one shorter), consecutive interior tiles grouped.
    public let tiles: [Tile]
    /// The lengths of the tiles whose steps all read every tap, longest first:
    /// each has a depthwise routine with its steps unrolled.
    public let fullTapLengths: [Int]
    /// Whether some border step reads only part of the taps (through the
    /// per-step depthwise routine).
    public let hasPartialSteps: Bool
    /// The distinct tile lengths, longest first (the full tile and the last, shorter one).
    public let tileLengths: [Int]
    /// Where the C kernel takes its vector-extension path (else portable C99).
    public let vectorGuard: VectorGuard
    /// Where the vector path takes its 512-bit routines (`usesWideVectors`), if it has them.
    public var wideGuard: VectorGuard? { usesWideVectors ? .avx512 : nil }
    /// The targets whose own routines the portable path takes where they
    /// build it: Helium's intrinsic stages (float32 only: MVE has no float64
    /// lanes), an M-profile FPU's multiple loads into fixed registers (where
    /// the scalar path loads a register tile's weights together).
    public let portableGuards: [VectorGuard]
    /// The scalar C99 path's pointwise register tiles (the path of a core
    /// without float SIMD: a Cortex-M), per tile length.
    public let scalarPointwise: [ScalarPointwise]
    /// Whether the scalar path (and Helium's pointwise stage) applies the
    /// activation as the pointwise stage stores, so that no finish reads the
    /// output once more (on a Cortex-M4F 4 instructions a value fused, 8 in
    /// the pass): channels_last relu with nothing after it. Only relu: every
    /// store has its own copy of the activation, and relu's (14 bytes) is the
    /// one that keeps a `loops` kernel within 2 KiB.
    public let fusesActivation: Bool
    /// Whether the scalar path loads a register tile's weights of one
    /// depthwise channel (consecutive in the packed weights) with one
    /// multiple load where the C compiler targets an Arm M-profile FPU
    /// (`vldm`, which gcc 12 never forms by itself): float32, whose weights
    /// fill single-precision registers, with two vectors of filters or more.
    /// One instruction in place of one a weight: 34 in place of 37 per
    /// channel of a 6 x 4 register tile. (With one vector of filters a
    /// register tile's groups loop runs twice, and gcc, counting the load as
    /// one instruction, peels it: 50% more pointwise code for a few percent.)
    /// Never without a pointwise kernel.
    public let loadsWeightsTogether: Bool
    /// The routines of the kernel, in the order they are emitted.
    public let routines: [Routine]

    /// One routine of the `loops` kernel.
    public enum Routine: Hashable, Sendable {
        /// The depthwise stage of one step over a run-time range of taps (border
        /// steps that read part of the taps; each step of the vector path's
        /// channels_first tiles).
        case depthwiseStep
        /// The depthwise stage of `rows` steps that read every tap, steps unrolled.
        case depthwise(rows: Int)
        /// The pointwise microkernel of `rows` steps over every filter block.
        case pointwise(rows: Int)
        /// The activation, epilogue and store of a tile.
        case finish
        /// One batch item: every tile in order.
        case item

        /// The routine's name in `explain`.
        public var name: String {
            switch self {
            case .depthwiseStep: "depthwise_step"
            case .depthwise(let rows): "depthwise_\(rows)"
            case .pointwise(let rows): "pointwise_\(rows)"
            case .finish: "finish"
            case .item: "item"
            }
        }
    }

    /// One column of filter blocks: `count` vectors from vector `vector`; the
    /// last vector of the last block stores only `partialLanes` lanes when
    /// F is not a whole number of vectors and the results go straight to the output.
    public struct FilterBlock: Hashable, Sendable {
        public var vector: Int
        public var count: Int
        public var partialLanes: Int
    }

    /// `count` blocks of `lanes` channels from channel `first` (of each multiplier).
    public struct ChannelGroup: Hashable, Sendable {
        public var lanes: Int
        public var first: Int
        public var count: Int
    }

    /// One tile of output steps.
    public enum Tile: Hashable, Sendable {
        /// `count` tiles of `tile` steps from `start`, every step reading all taps.
        case interior(start: Int, count: Int)
        /// Steps `start ..< start + steps.count`, each step reading the taps given for it.
        case border(start: Int, steps: [StepTaps])
    }

    /// The taps one step of a border tile reads: `first ..< first + count`.
    public struct StepTaps: Hashable, Sendable {
        public var first: Int
        public var count: Int
    }

    /// The schedule of a layer: its geometry and step runs, dtype, data
    /// format and activation, whether its store goes through an output tile
    /// and whether a tile is finished (activated, stored) after its pointwise stage.
    public init(geometry plan: LayerGeometry, runs: [StepRun], dtype: DType, dataFormat: DataFormat, activation: Activation,
                needsOutputTile: Bool, finishes: Bool) {
        let F = plan.filters, CM = plan.depthwiseChannels
        elementBytes = dtype.format.bytes
        lanes = Self.vectorBytes / elementBytes
        filterVectors = (F + lanes - 1) / lanes
        paddedFilters = filterVectors * lanes
        blockVectors = filterVectors >= 2 ? 2 : 1
        let byBudget = Self.depthwiseBufferBudget / max(CM * elementBytes, 1)
        tile = max(1, min(blockVectors == 2 ? 6 : 8, byBudget, plan.convolutionSteps))
        self.needsOutputTile = needsOutputTile
        let partial = needsOutputTile ? 0 : F % lanes
        filterBlocks = stride(from: 0, to: filterVectors, by: blockVectors).map { [filterVectors, blockVectors] first in
            let count = min(blockVectors, filterVectors - first)
            let isLast = first + count == filterVectors
            return FilterBlock(vector: first, count: count, partialLanes: isLast && partial > 0 ? partial : 0)
        }
        plainBlockCount = filterBlocks.filter { [blockVectors] in $0.count == blockVectors && $0.partialLanes == 0 }.count
        hasWidePairs = blockVectors == 2 && plainBlockCount >= 2 && plan.convolution.hasPointwiseKernel
        pointwiseBytes = plan.convolution.hasPointwiseKernel ? CM * paddedFilters * elementBytes : 0
        prefetchesWeights = pointwiseBytes > Self.prefetchThresholdBytes
        unrollsTaps = plan.kernelSize <= Self.maxUnrolledTaps
        tiles = Self.coveringTiles(runs, steps: plan.convolutionSteps, tile: tile)
        let readsAll = { (steps: [StepTaps]) in steps.allSatisfy { $0.first == 0 && $0.count == plan.kernelSize } }
        fullTapLengths = Set(tiles.compactMap { [tile] in
            switch $0 {
            case .interior: tile
            case .border(_, let steps): readsAll(steps) ? steps.count : nil
            }
        }).sorted(by: >)
        hasPartialSteps = tiles.contains { if case .border(_, let steps) = $0 { !readsAll(steps) } else { false } }
        let rest = plan.convolutionSteps % tile
        tileLengths = rest == 0 ? [tile] : [tile, rest]
        let shapes = Set(filterBlocks.map(\.count) + (hasWidePairs ? [2] : []))
        partialSums = tileLengths.flatMap { rows in
            shapes.sorted().map { vectors in
                let wanted = (Self.minimumChains + rows * vectors - 1) / (rows * vectors)
                return PartialSums(rows: rows, vectors: vectors, parts: max(1, min(Self.maxPartialSums, wanted, CM / 2)))
            }
        }.filter { $0.parts > 1 }
        hasWideDepthwise = dataFormat == .channelsLast && plan.inputChannels >= 2 * lanes && !fullTapLengths.isEmpty && plan.convolution.hasDepthwiseKernel
        vectorGuard = .floatSIMD
        let full = tileLengths[0]
        fusesActivation = !needsOutputTile && dataFormat == .channelsLast && activation == .relu
        leadingPartialSteps = fusesActivation && fullTapLengths.contains(tile)
            ? Self.leadingPartialSteps(tiles.first, runs: runs, tile: tile, taps: plan.kernelSize) : 0
        stackBytes = ((tile + leadingPartialSteps) * CM + (needsOutputTile ? tile * paddedFilters : 0)) * elementBytes
        loadsWeightsTogether = dtype.format.hasMProfileHardware && filterVectors >= 2 && plan.convolution.hasPointwiseKernel
        let loadsChannels = loadsWeightsTogether && CM % Self.channelsPerLoad == 0 && CM >= Self.minimumLoadedChannels
        portableGuards = (dtype.format.hasMProfileHardware ? [.mveFloat] : []) + (loadsWeightsTogether ? [.mProfileFPU] : [])
        scalarPointwise = tileLengths.map { ScalarPointwise(rows: $0, isFullTile: $0 == full, loadsChannels: loadsChannels) }
        // The vector path's channels_first depthwise routines call the step routine; the dense-tap gather does not.
        let stepsFullTiles = dataFormat == .channelsFirst && !fullTapLengths.isEmpty && plan.convolution.hasDepthwiseKernel
        routines = (hasPartialSteps || stepsFullTiles ? [.depthwiseStep] : [])
            + fullTapLengths.map { .depthwise(rows: $0) } + tileLengths.map { .pointwise(rows: $0) }
            + (finishes ? [.finish] : []) + [.item]
        kernelSize = plan.kernelSize
        inputChannels = plan.inputChannels
    }

    /// The scalar pointwise stage of one tile length: its steps split into
    /// register tiles of at most `scalarRows` steps, each with as many filters
    /// as fit `scalarRegisters` beside its accumulators. A register tile
    /// keeps `steps × filters` sums in registers over one pass of the
    /// depthwise channels, each channel's `filters` weights and `steps`
    /// depthwise values loaded once.
    public struct ScalarPointwise: Hashable, Sendable, Encodable {
        /// One register tile: `steps` steps × at most `filters` filters.
        public struct RegisterTile: Hashable, Sendable, Encodable {
            public var steps: Int
            public var filters: Int
        }

        /// The tile length.
        public var rows: Int
        /// The register tiles in step order (their steps add up to `rows`).
        public var registerTiles: [RegisterTile]
        /// Depthwise channels whose values each step loads at once: 1, or
        /// `channelsPerLoad` where the weights and values are loaded together.
        public var channelsPerLoad: Int

        /// The register tiles of a tile of `rows` steps. For the full tile
        /// where `loadsChannels`, `loadedTile`s (the last one shorter when
        /// `rows` is odd). Else as few as `scalarRows` allows, their lengths
        /// as even as can be; the last, shorter tile of a layer (`isFullTile`
        /// false: a step or two of many) keeps to the filters of a full
        /// register tile, whose code is half the size of as many filters as
        /// its registers would hold (and a third of a `loadedTile`'s: with
        /// both tiles loading channels together, L's and D's kernels pass 2 KiB).
        public init(rows: Int, isFullTile: Bool, loadsChannels: Bool) {
            self.rows = rows
            if loadsChannels && isFullTile {
                let tile = KernelSchedule.loadedTile
                registerTiles = KernelSchedule.balanced(rows, most: tile.steps).map { RegisterTile(steps: $0, filters: tile.filters) }
                channelsPerLoad = KernelSchedule.channelsPerLoad
                return
            }
            let fullTileFilters = KernelSchedule.scalarRegisters / (KernelSchedule.scalarRows + 1)
            registerTiles = KernelSchedule.balanced(rows, most: KernelSchedule.scalarRows).map { steps in
                let filters = max(1, KernelSchedule.scalarRegisters / (steps + 1))
                return RegisterTile(steps: steps, filters: isFullTile ? filters : min(filters, fullTileFilters))
            }
            channelsPerLoad = 1
        }
    }

    /// `total` split into as few parts of at most `most` as can be, the
    /// larger first, differing by at most one (a filter block's columns into
    /// register tiles' groups, a tile's steps into register tiles).
    public static func balanced(_ total: Int, most: Int) -> [Int] {
        let parts = (total + most - 1) / most, base = total / max(parts, 1), larger = total % max(parts, 1)
        return (0..<parts).map { $0 < larger ? base + 1 : base }
    }

    /// A filter block's `columns` in groups of at most `most`: all as wide
    /// (one loop over them, one copy of the code) when a divisor of
    /// `columns` of at least half of `most` allows, else `balanced`.
    public static func scalarGroups(_ columns: Int, most: Int) -> [Int] {
        let uniform = (max(1, (most + 1) / 2)...max(1, most)).reversed().first { columns % $0 == 0 }
        return uniform.map { [Int](repeating: $0, count: columns / $0) } ?? balanced(columns, most: most)
    }

    /// Interleaved partial sums of a microkernel for `rows` steps × `vectors` accumulator vectors.
    public struct PartialSums: Hashable, Sendable, Encodable {
        public var rows: Int
        public var vectors: Int
        public var parts: Int
    }

    /// The partial sums of the microkernel for `rows` steps × `vectors` accumulator vectors (1: none).
    public func parts(rows: Int, vectors: Int) -> Int {
        partialSums.first { $0.rows == rows && $0.vectors == vectors }?.parts ?? 1
    }

    /// K, for `readsAllTaps`.
    private let kernelSize: Int
    /// C, for the channel groups.
    private let inputChannels: Int

    /// Whether the kernel has a 512-bit path at all.
    public var usesWideVectors: Bool { hasWidePairs || hasWideDepthwise }

    /// The plain filter blocks (consecutive from the first).
    public var plainBlocks: ArraySlice<FilterBlock> { filterBlocks.prefix(plainBlockCount) }

    /// Whether every step of a border tile reads every tap: such a tile takes
    /// the vectorised depthwise routine of its length, like interior tiles.
    public func readsAllTaps(_ steps: [StepTaps]) -> Bool {
        steps.allSatisfy { $0.first == 0 && $0.count == kernelSize }
    }

    /// The vectorised depthwise stage's groups of channel blocks, with 32-byte
    /// vectors or, `wide`, 512-bit ones first. The channels past them
    /// (`scalarChannels`) are done one at a time.
    public func depthwiseGroups(wide: Bool) -> [ChannelGroup] {
        let C = inputChannels
        let wideCount = wide ? C / (2 * lanes) : 0
        let narrowFirst = wideCount * 2 * lanes, narrowCount = (C - narrowFirst) / lanes
        return [ChannelGroup(lanes: 2 * lanes, first: 0, count: wideCount),
                ChannelGroup(lanes: lanes, first: narrowFirst, count: narrowCount)].filter { $0.count > 0 }
    }

    /// The first channel the depthwise stage takes one at a time (C when none).
    public var scalarChannels: Range<Int> { inputChannels / lanes * lanes ..< inputChannels }

    /// `leadingPartialSteps` for a layer whose tiles start with `first`:
    /// the partial steps of a full-length border tile that starts with them
    /// and ends with steps that read every tap, when the `tile` steps after
    /// them lie in an interior run.
    private static func leadingPartialSteps(_ first: Tile?, runs: [StepRun], tile T: Int, taps K: Int) -> Int {
        guard case .border(0, let steps) = first, steps.count == T else { return 0 }
        let partial = steps.prefix { $0.first != 0 || $0.count != K }.count
        let rest = partial ..< partial + T
        guard partial > 0, partial < T, steps.dropFirst(partial).allSatisfy({ $0.first == 0 && $0.count == K }),
              runs.contains(where: { $0.isInterior && $0.steps.lowerBound <= rest.lowerBound && rest.upperBound <= $0.steps.upperBound })
        else { return 0 }
        return partial
    }

    /// The tiles of `tiles`, worked out from the plan's runs.
    private static func coveringTiles(_ allRuns: [StepRun], steps: Int, tile T: Int) -> [Tile] {
        var result: [Tile] = []
        var start = 0
        while start < steps {
            let end = min(start + T, steps)
            let runs = allRuns.filter { $0.steps.overlaps(start..<end) }
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
}

/// A target feature a path of the emitted C is compiled under (elsewhere
/// the C takes the other path, with the same numbers); the C printer spells
/// it as a preprocessor condition (`VectorGuard.cCondition`).
public enum VectorGuard: String, Hashable, Sendable {
    /// GCC or Clang, not asked for the portable path, on a target with float
    /// SIMD the vector extensions lower to (SSE2, NEON, RISC-V V, AltiVec/VSX,
    /// WebAssembly SIMD, MSA): elsewhere (Cortex-M, plain RV32) vector
    /// extensions become element-by-element code slower than the C99 loops.
    case floatSIMD
    /// Arm's DSP extension with its 32-bit SIMD instructions (Cortex-M4, M7,
    /// M33 with DSP): the int8 path of dual 16-bit multiply-accumulates.
    case armDSP
    /// x86 with AVX2: the int8 pointwise stage on `_mm256_madd_epi16`.
    case x86AVX2
    /// AArch64 with NEON: the int8 pointwise stage on `vmlal_s16`.
    case aarch64NEON
    /// x86 with AVX-512F: the float vector path's 512-bit depthwise and pointwise-pair routines.
    case avx512
    /// Armv8.1-M with MVE float lanes (Cortex-M55, M85), not asked for the
    /// portable path: the float32 portable path's Helium stages.
    case mveFloat
    /// An Arm M-profile core with a single-precision FPU, under GCC or Clang:
    /// the scalar path's multiple loads (`vldm`) into fixed registers.
    case mProfileFPU
}
