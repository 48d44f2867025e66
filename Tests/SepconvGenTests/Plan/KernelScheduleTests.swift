import Testing
@testable import SepconvGen

/// The `loops` kernels' schedule, decided by the Planner: tile cover, the
/// tiles that read every tap, block shapes, wide paths, prefetch and guards.
@Suite struct KernelScheduleTests {
    private func plan(steps: Int = 20, channels: Int = 4, filters: Int = 8, kernel: Int = 3, strides: Int = 1, dilation: Int = 1,
                      padding: Padding = .same, dataFormat: DataFormat = .channelsLast, dtype: DType = .float32,
                      activation: Activation = .relu) -> LayerPlan {
        let spec = RandomLayers.make(name: "t", dtype: dtype, steps: steps, channels: channels, filters: filters, kernel: kernel,
                                     strides: strides, padding: padding, dataFormat: dataFormat, dilation: dilation,
                                     depthMultiplier: 1, activation: activation, useBias: true)
        var rng = SplitMix64(seed: 1)
        return Planner.plan(spec, weights: RandomLayers.complete(spec, batch: 1, rng: &rng).weights, unroll: .loops)
    }

    /// The tiles cover every output step once, in order; interior tiles lie
    /// in interior runs; a border tile's steps read exactly their runs' taps.
    @Test func tilesCoverTheStepsWithTheRunsTaps() {
        for L in [1, 5, 13, 40] { for K in 1...6 { for s in 1...3 { for d in 1...3 { for padding in [Padding.same, .valid] {
            guard padding == .same || (K - 1) * d + 1 <= L else { continue }
            let p = plan(steps: L, kernel: K, strides: s, dilation: d, padding: padding)
            let schedule = p.schedule
            var next = 0
            for tile in schedule.tiles {
                switch tile {
                case .interior(let start, let count):
                    #expect(start == next)
                    next = start + count * schedule.tile
                    #expect(p.runs.contains { $0.isInterior && $0.steps.contains(start) && $0.steps.contains(next - 1) })
                case .border(let start, let steps):
                    #expect(start == next && steps.count <= schedule.tile)
                    for (r, taps) in steps.enumerated() {
                        let run = p.runs.first { $0.steps.contains(start + r) }
                        #expect(run.map { ($0.firstTap, $0.tapCount) } ?? (-1, -1) == (taps.first, taps.count))
                    }
                    next = start + steps.count
                }
            }
            #expect(next == p.convolutionSteps, "L=\(L) K=\(K) s=\(s) d=\(d) \(padding)")
        } } } } }
    }

    /// Interior tiles and border tiles whose steps read every tap take a
    /// depthwise routine of their length; the others take the per-step routine.
    @Test func fullTapTilesHaveTheirOwnRoutine() {
        let p = plan(steps: 20, kernel: 3)   // tile 8: steps 0 ..< 8 border (step 0 reads taps 1, 2), 8 ..< 16 interior, 16 ..< 20 border
        let s = p.schedule
        #expect(s.tile == 8 && s.tileLengths == [8, 4])
        #expect(s.tiles.count == 3)
        #expect(s.fullTapLengths == [8])
        #expect(s.hasPartialSteps)
        #expect(s.routines == [.depthwiseStep, .depthwise(rows: 8), .pointwise(rows: 8), .pointwise(rows: 4), .finish, .item])
        let valid = plan(steps: 20, kernel: 3, padding: .valid).schedule
        #expect(!valid.hasPartialSteps && valid.fullTapLengths == [8, 2])
    }

    /// A tile too short for `minimumChains` accumulators splits its pass over
    /// C·M into interleaved partial sums; full tiles, and passes too short to
    /// split, keep one sum per accumulator.
    @Test func shortTilesTakePartialSums() {
        // 16 filters: blocks of 2 vectors; 49 steps: tiles of 6 and a last tile of 1.
        let s = plan(steps: 49, channels: 10, filters: 16).schedule
        #expect(s.tileLengths == [6, 1])
        #expect(s.partialSums == [.init(rows: 1, vectors: 2, parts: 4)])
        #expect(s.parts(rows: 6, vectors: 2) == 1 && s.parts(rows: 1, vectors: 2) == 4)
        // 8 filters: one vector a block, tiles of 8 and a last tile of 4: 4 accumulators want 2 parts.
        let narrow = plan(steps: 20, channels: 4, filters: 8).schedule
        #expect(narrow.partialSums == [.init(rows: 4, vectors: 1, parts: 2)])
        // C·M 3: at most 3 / 2 = 1 part, no split.
        #expect(plan(steps: 49, channels: 3, filters: 16).schedule.partialSums.isEmpty)
        // The lowering follows it: the 1-step microkernel has partial sums, the 6-step one none.
        let program = Lowering(plan: plan(steps: 49, channels: 10, filters: 16), language: .c).pointwise(rows: 1)
        #expect(String(describing: program).contains("a0_0p3"))
        #expect(!String(describing: Lowering(plan: plan(steps: 49, channels: 10, filters: 16), language: .c).pointwise(rows: 6)).contains("p1"))
    }

    /// Filter blocks of two vectors, the last one partial where the results go
    /// straight to the output; pairs of plain blocks take the 512-bit kernel.
    @Test func filterBlocksAndWidePaths() {
        let partial = plan(filters: 13).schedule
        #expect(partial.lanes == 8 && partial.filterVectors == 2 && partial.paddedFilters == 16)
        #expect(partial.filterBlocks == [.init(vector: 0, count: 2, partialLanes: 5)])
        #expect(partial.plainBlockCount == 0 && !partial.hasWidePairs)
        // Through the output tile (channels_first) no vector is partial.
        let tiled = plan(filters: 13, dataFormat: .channelsFirst).schedule
        #expect(tiled.needsOutputTile && tiled.filterBlocks[0].partialLanes == 0 && tiled.plainBlockCount == 1)
        let wide = plan(channels: 40, filters: 72).schedule
        #expect(wide.filterBlocks.map(\.count) == [2, 2, 2, 2, 1] && wide.plainBlockCount == 4 && wide.hasWidePairs)
        #expect(wide.tile == 6 && wide.blockVectors == 2)
        #expect(wide.hasWideDepthwise && wide.depthwiseGroups(wide: true).map(\.count) == [2, 1])
        #expect(wide.depthwiseGroups(wide: false) == [.init(lanes: 8, first: 0, count: 5)])
        #expect(!plan(channels: 40, filters: 72, dataFormat: .channelsFirst).schedule.hasWideDepthwise)
        let double = plan(filters: 13, dtype: .float64).schedule
        #expect(double.lanes == 4 && double.filterVectors == 4 && double.filterBlocks.count == 2)
    }

    /// Prefetch past 32 KiB of pointwise weights; taps unrolled up to K = 8;
    /// the depthwise buffer keeps the tile within its stack budget.
    @Test func prefetchTapUnrollingAndStack() {
        #expect(plan(channels: 128, filters: 128).schedule.prefetchesWeights)
        #expect(!plan(channels: 32, filters: 32).schedule.prefetchesWeights)
        #expect(plan(kernel: 8).schedule.unrollsTaps && !plan(kernel: 9).schedule.unrollsTaps)
        let big = plan(steps: 40, channels: 512, filters: 16).schedule
        #expect(big.tile == 1 && big.stackBytes == 512 * 4)
    }

    /// The scalar path's register tiles: 6 steps x 4 filters for the full
    /// tile, a full register tile's filters for the layer's last short tile,
    /// as many filters as 30 registers hold for a layer of one short tile;
    /// filter blocks split into groups all as wide where a divisor allows.
    @Test func scalarRegisterTilesFitThirtyTwoRegisters() {
        let kws = plan(steps: 49, channels: 10, filters: 16).schedule
        #expect(kws.scalarPointwise.map(\.rows) == [6, 1])
        #expect(kws.scalarPointwise.map { $0.registerTiles.map { [$0.steps, $0.filters] } } == [[[6, 4]], [[1, 4]]])
        let short = plan(steps: 2, channels: 10, filters: 16).schedule
        #expect(short.scalarPointwise.map { $0.registerTiles.map { [$0.steps, $0.filters] } } == [[[2, 10]]])
        let eight = plan(steps: 40, filters: 8).schedule
        #expect(eight.tile == 8 && eight.scalarPointwise[0].registerTiles.map { [$0.steps, $0.filters] } == [[4, 6], [4, 6]])
        for tile in [kws, short, eight].flatMap(\.scalarPointwise).flatMap(\.registerTiles) {
            #expect(tile.steps * tile.filters + tile.filters + 2 <= 32 && tile.steps <= KernelSchedule.scalarRows)
        }
        #expect(KernelSchedule.balanced(7, most: 6) == [4, 3] && KernelSchedule.balanced(16, most: 15) == [8, 8])
        #expect(KernelSchedule.scalarGroups(16, most: 4) == [4, 4, 4, 4] && KernelSchedule.scalarGroups(16, most: 7) == [4, 4, 4, 4])
        #expect(KernelSchedule.scalarGroups(12, most: 10) == [6, 6] && KernelSchedule.scalarGroups(13, most: 4) == [4, 3, 3, 3])
    }

    /// The plan decides what the scalar path fuses and how it loads: relu
    /// applied as it stores only channels_last with nothing after it; a
    /// register tile's weights loaded together for float32 with two vectors
    /// of filters or more.
    @Test func scalarPathFusesReluAndLoadsWeightsTogether() {
        #expect(plan(filters: 16).schedule.fusesActivation && plan(filters: 16).schedule.loadsWeightsTogether)
        #expect(!plan(activation: .relu6).schedule.fusesActivation && !plan(dataFormat: .channelsFirst).schedule.fusesActivation)
        #expect(!plan(filters: 8).schedule.loadsWeightsTogether && !plan(filters: 16, dtype: .float64).schedule.loadsWeightsTogether)
    }

    /// With weights loaded together and at least 16 depthwise channels in
    /// fours, the full tile's register tiles are 2 steps x 8 filters loading
    /// 4 channels' values at once; the last, shorter tile and layers of
    /// fewer channels keep the tiles of one load a value.
    @Test func registerTilesLoadChannelsTogether() {
        let m = plan(steps: 49, channels: 32, filters: 32).schedule
        #expect(m.scalarPointwise.map { $0.registerTiles.map { [$0.steps, $0.filters] } } == [[[2, 8], [2, 8], [2, 8]], [[1, 4]]])
        #expect(m.scalarPointwise.map(\.channelsPerLoad) == [KernelSchedule.channelsPerLoad, 1])
        for layer in [plan(steps: 49, channels: 8, filters: 32), plan(steps: 49, channels: 18, filters: 32), plan(steps: 49, channels: 32, filters: 8)] {
            #expect(layer.schedule.scalarPointwise.allSatisfy { $0.channelsPerLoad == 1 })
        }
        let tile = KernelSchedule.loadedTile
        #expect(tile.steps * tile.filters + tile.filters + tile.steps * KernelSchedule.channelsPerLoad <= 32)
    }

    /// The scalar item computes the first tile's partial steps one by one and
    /// the tile steps after them with the interior's routine, into a buffer
    /// as many rows longer, only where those steps lie in the interior and
    /// the kernel has that routine and the scalar path has an item of its
    /// own (relu fused).
    @Test func leadingPartialStepsTakeTheInteriorRoutine() {
        let s = plan(steps: 32, channels: 8, filters: 16).schedule
        #expect(s.leadingPartialSteps == 1 && s.stackBytes == (s.tile + 1) * 8 * 4)
        #expect(plan(steps: 98, channels: 8, filters: 16, kernel: 5).schedule.leadingPartialSteps == 2)
        #expect(plan(steps: 32, channels: 8, filters: 16, activation: .relu6).schedule.leadingPartialSteps == 0)
        #expect(plan(steps: 32, channels: 8, filters: 16, padding: .valid).schedule.leadingPartialSteps == 0)
        // Steps 1 ..< 7 read every tap, but no tile takes the interior's routine (there is none).
        #expect(plan(steps: 8, channels: 8, filters: 16).schedule.leadingPartialSteps == 0)
        #expect(plan(steps: 13, channels: 8, filters: 16).schedule.leadingPartialSteps == 1)
        #expect(plan(steps: 12, channels: 8, filters: 16).schedule.leadingPartialSteps == 0)
    }

    /// The C vector path is guarded by float SIMD, not by GCC alone.
    @Test func vectorGuardNamesTheSIMDTargets() {
        let condition = plan().schedule.vectorGuard.cCondition
        #expect(condition.hasPrefix("defined(__GNUC__) && !defined(SEPCONV_GEN_PORTABLE) && ("))
        for macro in ["__SSE2__", "__ARM_NEON", "__riscv_vector", "__ALTIVEC__"] {
            #expect(condition.contains("defined(\(macro))"))
        }
    }

    /// The geometry's closed-form count of taps that read the input equals the runs' count.
    @Test func geometryCountsTheTapsOfTheRuns() {
        for L in [1, 4, 9, 23] { for K in 1...7 { for s in 1...4 { for d in 1...3 { for padding in [Padding.same, .valid] {
            let g = LayerGeometry(inputSteps: L, inputChannels: 2, filters: 3, kernelSize: K, stride: s, dilation: d,
                                  depthMultiplier: 1, padding: padding, useBias: false)
            guard g.convolutionSteps > 0 else { continue }
            #expect(g.tapsReadingInput == g.runs.reduce(0) { $0 + $1.steps.count * $1.tapCount }, "L=\(L) K=\(K) s=\(s) d=\(d)")
            #expect(g.parameterCount == K * 2 + 2 * 3)
        } } } } }
    }

    /// `--unroll full` past the cap is refused by the Planner, not by the CLI.
    @Test func plannerRefusesFullUnrollPastTheCap() {
        let p = plan(steps: 2_000, channels: 16, filters: 16)
        #expect(Planner.refusal(of: .full, for: p)?.contains("straight-line code is limited to") == true)
        #expect(Planner.refusal(of: .loops, for: p) == nil && Planner.refusal(of: .auto, for: p) == nil)
    }
}
