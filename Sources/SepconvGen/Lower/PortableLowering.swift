/// The C kernel's portable C99 path (the `#else` of the schedule's
/// `VectorGuard`: a core without float SIMD, such as a Cortex-M, any
/// compiler without GNU vector extensions, or `-DSEPCONV_GEN_PORTABLE`),
/// lowered as kernel-program routines. Scalar code shaped for a core with
/// a scalar FPU and 16 to 32 registers: each sum a local, every weight of
/// a tap or filter group loaded once where it is used many times, each
/// result stored once.
extension Lowering {
    /// The portable path's routines, in the order they are printed: the
    /// per-step routine where a border step reads part of the taps, the
    /// depthwise routine of each length of tile whose steps read every tap,
    /// the pointwise stage of each tile length; a `ConvolutionVariant`'s
    /// gather or bias pass in place of a stage it has no kernel for.
    var portableRoutines: [Routine] {
        let schedule = plan.schedule, variant = plan.convolution
        return (schedule.hasPartialSteps ? [variant.hasDepthwiseKernel ? portableStep : gatherStep(isBorder: false)] : [])
            + schedule.fullTapLengths.map(variant.hasDepthwiseKernel ? portableDepthwise(rows:) : gather(rows:))
            + schedule.tileLengths.map { variant.hasPointwiseKernel ? portablePointwise(rows: $0) : biasPass(rows: $0, portable: true) }
    }

    // MARK: Depthwise

    /// Elements between consecutive input steps (C for channels_last, 1 for channels_first).
    private var stepStride: Int { plan.dataFormat == .channelsLast ? plan.inputChannels : 1 }

    /// The input element of channel `c` at input step `position` (an expression), from the item's start.
    private func inputIndex(position: Expr, channel c: Expr) -> Expr {
        plan.dataFormat == .channelsLast ? .sum([.times(position, .int(plan.inputChannels)), c])
                                         : .sum([.times(c, .int(plan.inputSteps)), position])
    }

    /// The loops over the depthwise channels `m * C + c` (`m` only when M > 1) and that channel.
    private var channelLoops: (headers: [Header], channel: Expr) {
        let (C, M) = (plan.inputChannels, plan.depthMultiplier)
        let headers: [Header] = (M > 1 ? [.loop("m", from: 0, to: M)] : []) + [.loop("c", from: 0, to: C)]
        return (headers, M > 1 ? .sum([.times(.name("m"), .int(C)), .name("c")]) : .name("c"))
    }

    /// `depthwise_step`: one output step, taps `first ..< first + count`, each
    /// channel's sum written once. Each count the border steps have (a few:
    /// they differ only where a window reaches past the input) has its taps
    /// unrolled, so a border step costs about what an interior one does.
    private var portableStep: Routine {
        let (CM, sx) = (plan.depthwiseChannels, stepStride)
        let (headers, channel) = channelLoops
        let origin = Expr.sum([.minus(.times(.name("s"), .int(plan.stride)), .int(plan.padLeft)), .times(.name("first"), .int(plan.dilation))])
        let counts = Set(plan.schedule.tiles.flatMap { tile -> [Int] in
            guard case .border(_, let steps) = tile, !plan.schedule.readsAllTaps(steps) else { return [] }
            return steps.map(\.count)
        }).sorted()
        let taps = { (count: Int) -> [Statement] in
            let terms = (0..<count).map { k in
                Expr.product(.element(.name("xc"), .int(k * plan.dilation * sx)), .element(.name("w"), .int(k * CM)))
            }
            // A step whose window lies wholly in the padding reads no tap: the
            // loop over `count` taps (none) writes its 0s, and reads every
            // parameter and table even where no border step reads the input.
            guard let head = terms.first else {
                let k = Expr.name("k"), position = Expr.sum([.minus(.times(.name("s"), .int(plan.stride)), .int(plan.padLeft)), .times(k, .int(plan.dilation))])
                let tap = Expr.product(.element(.name("x"), self.inputIndex(position: position, channel: .name("c"))),
                                       .element(.weights("depthwise"), .sum([.times(k, .int(CM)), channel])))
                return [.nest(headers, [
                    .variable("a", .int(0), integer: false),
                    .loop("k", from: .name("first"), to: .sum([.name("first"), .name("count")]), [.assign(.name("a"), .add, tap)]),
                    .assign(.element(.name("d"), channel), .set, .name("a")),
                ])]
            }
            return [.nest(headers, [
                .pointer("xc", .offset(.name("x"), self.inputIndex(position: origin, channel: .name("c")))),
                .pointer("w", .offset(.weights("depthwise"), .sum([.times(.name("first"), .int(CM)), channel]))),
                .assign(.element(.name("d"), channel), .set, terms.dropFirst().reduce(head) { .plus($0, $1) }),
            ])]
        }
        // The counts in order: `count < n + 1` picks the smallest, the largest takes what is left.
        let last = counts.last ?? plan.kernelSize
        let body = counts.dropLast().reversed().reduce(taps(last)) { rest, count in
            [.branch(.less(.name("count"), .int(count + 1)), taps(count), rest)]
        } + (counts.count > 1 || last == 0 ? [] : [.unused("count", because: "every border step of this layer reads \(last) taps")])
        return Routine(name: "depthwise_step", comment: [.text("Depthwise stage of output step s, reading taps first .. first + count - 1: d[multiplier * \(plan.inputChannels) + channel].")],
                       isKernel: true,
                       parameters: [("x", .input), ("d", .output), ("s", .integer), ("first", .integer), ("count", .integer)], body: body)
    }

    /// `depthwise_<rows>`: steps `t ..< t + rows`, which read every tap; per
    /// channel its K weights in locals while the steps slide along the input
    /// (up to `maxUnrolledTaps`, else a loop over the steps and taps), each
    /// step's sum written once.
    private func portableDepthwise(rows: Int) -> Routine {
        let (K, CM, sx) = (plan.kernelSize, plan.depthwiseChannels, stepStride)
        let (headers, channel) = channelLoops
        let (r, k, w, xc) = (Expr.name("r"), Expr.name("k"), Expr.name("w"), Expr.name("xc"))
        let origin = Expr.minus(.times(.name("t"), .int(plan.stride)), .int(plan.padLeft))
        var body: [Statement] = [
            .pointer("w", .offset(.weights("depthwise"), channel)),
            .pointer("xc", .offset(.name("x"), inputIndex(position: origin, channel: .name("c")))),
        ]
        if plan.schedule.unrollsTaps {
            // Steps unrolled: each input element the tile's steps read is loaded
            // once, into a local, where the first step reads it (1 + 2/K
            // instructions per multiply-add at stride 1), the sum as before.
            body += (0..<K).map { k in .sum("w\(k)", [.element(w, .int(k * CM))]) }
            var loaded = Set<Int>()
            for step in 0..<rows {
                let positions = (0..<K).map { step * plan.stride + $0 * plan.dilation }
                for position in positions where loaded.insert(position).inserted {
                    body.append(.value("x\(position)", .element(xc, .int(position * sx))))
                }
                let terms = zip(positions, 0..<K).map { Expr.product(.name("x\($0)"), .name("w\($1)")) }
                let sum = terms.dropFirst().reduce(terms[0]) { .plus($0, $1) }
                body.append(.assign(.element(.name("d"), Self.folded([channel, .int(step * CM)])), .set, sum))
            }
        } else {
            // Tap k of step r, from the channel's first input element.
            let input = Expr.element(xc, .sum([.times(r, .int(plan.stride * sx)), .times(k, .int(plan.dilation * sx))]))
            body.append(.loop("r", from: .int(0), to: .int(rows), [
                .variable("a", .int(0), integer: false),
                .loop("k", from: .int(0), to: .int(K), [.assign(.name("a"), .add, .product(input, .element(w, .times(k, .int(CM)))))]),
                .assign(.element(.name("d"), .sum([.times(r, .int(CM)), channel])), .set, .name("a")),
            ]))
        }
        return Routine(name: "depthwise_\(rows)", comment: [.text("Depthwise stage of output steps "), .stepsFrom("t", rows), .text(", every tap reading the input.")],
                       isKernel: true,
                       parameters: [("x", .input), ("d", .output), ("t", .integer)], body: [.nest(headers, body)])
    }

    // MARK: Pointwise

    /// The pointwise stage's row length in its destination: the output tile's
    /// padded rows, or the output's F.
    private var pointwiseColumns: Int {
        plan.schedule.needsOutputTile ? plan.schedule.paddedFilters : plan.filters
    }

    /// `pointwise_<rows>`: the schedule's register tiles of the tile (its
    /// `scalarPointwise`) one after the other; in each, the filter blocks'
    /// columns in the schedule's `scalarGroups` for the register tile.
    private func portablePointwise(rows: Int) -> Routine {
        let schedule = plan.schedule, W = schedule.lanes, N = pointwiseColumns, CM = plan.depthwiseChannels
        let (b, h) = (Expr.name("b"), Expr.name("h"))
        let pointwise = schedule.scalarPointwise.first { $0.rows == rows }
        let tiles = pointwise?.registerTiles ?? [.init(steps: rows, filters: 1)]
        let loads = (pointwise?.channelsPerLoad ?? 1) > 1
        // Where the depthwise values are loaded together, equal register tiles in a row share one loop over `r`.
        let runs: [(tile: KernelSchedule.ScalarPointwise.RegisterTile, count: Int)] = loads
            ? tiles.reduce(into: []) { runs, tile in
                if let last = runs.last, last.tile == tile { runs[runs.count - 1].count += 1 } else { runs.append((tile, 1)) }
            }
            : tiles.map { ($0, 1) }
        var body: [Statement] = [], first = 0
        for (tile, repeats) in runs {
            let steps = first ..< first + tile.steps
            let rowLoop: [Header] = repeats > 1 ? [.loop("r", from: 0, to: repeats)] : []
            let base: Expr = repeats > 1 ? Self.folded([.times(.name("r"), .int(tile.steps)), .int(first)]) : .int(first)
            first += tile.steps * repeats
            let group = { (weights: [Expr], column: [Expr], width: Int, count: Int) -> [Statement] in
                loads ? self.loadedGroup(steps: tile.steps, first: base, weights: weights, column: column, width: width, count: count)
                      : self.filterGroup(steps: steps, weights: weights, column: column, width: width, count: count)
            }
            // The plain blocks share one loop; each other block (the last one:
            // one vector, or partial lanes) is on its own.
            let plain = schedule.plainBlockCount > 0 ? [(schedule.plainBlocks[0], schedule.plainBlockCount)] : []
            for (block, count) in plain + schedule.filterBlocks.dropFirst(schedule.plainBlockCount).map({ ($0, 1) }) {
                let blockWidth = block.count * W, column = block.vector * W
                let groups = filterGroups(tile, block)
                let blocks: [Header] = count > 1 ? [.loop("b", from: 0, to: count)] : []
                let weights: [Expr] = count > 1 ? [.times(b, .int(CM * blockWidth))] : [.int(CM * column)]
                let columns: [Expr] = count > 1 ? [.times(b, .int(blockWidth))] : [.int(column)]
                if Set(groups).count == 1 && groups.count > 1 {
                    // Groups all as wide: one loop over them.
                    let offset = Expr.times(h, .int(groups[0]))
                    body.append(.nest(rowLoop + blocks + [.loop("h", from: 0, to: groups.count)],
                                      group(weights + [offset], columns + [offset], blockWidth, groups[0])))
                } else {
                    var start = 0
                    for width in groups {
                        let headers = rowLoop + blocks
                        body.append(.nest(headers.isEmpty ? [.scope] : headers, group(weights + [.int(start)], columns + [.int(start)], blockWidth, width)))
                        start += width
                    }
                }
            }
        }
        // One group alone needs no scope of its own.
        if body.count == 1, case .nest([.scope], let group) = body[0] { body = group }
        let shape = tiles.map { "\($0.steps) x \($0.filters)" }.joined(separator: ", ")
        return Routine(name: "pointwise_\(rows)",
                       comment: [.text("Pointwise stage of \(rows) step\(rows == 1 ? "" : "s"): out[r * \(N) + f] = bias[f] + sum over j of d[r * \(plan.depthwiseChannels)"
                                       + " + j] * pointwise[j][f], in register tiles of steps x filters (at most) \(shape).")],
                       isKernel: true,
                       parameters: [("d", .input), ("out", .output)], body: body)
    }

    /// The widths of the groups a register tile takes a filter block's columns in.
    private func filterGroups(_ tile: KernelSchedule.ScalarPointwise.RegisterTile, _ block: KernelSchedule.FilterBlock) -> [Int] {
        let W = plan.schedule.lanes
        return KernelSchedule.scalarGroups(min(block.count * W, pointwiseColumns - block.vector * W), most: tile.filters)
    }

    /// The widths of the filter groups whose weights the scalar path loads
    /// together (`KernelSchedule.loadsWeightsTogether`): each has its macro
    /// (`LOAD_WEIGHTS_<count>`), which declares the group's weights `w0`, `w1`, ...
    var portableWeightLoads: [Int] {
        let schedule = plan.schedule
        guard schedule.loadsWeightsTogether else { return [] }
        let counts = schedule.scalarPointwise.flatMap(\.registerTiles).flatMap { tile in schedule.filterBlocks.flatMap { filterGroups(tile, $0) } }
        return Set(counts.filter { $0 > 1 }).sorted()
    }

    /// One group of `count` filters of the tile's `steps` from the column
    /// whose index is the sum of `column`: the weights' rows `width` apart
    /// from the element of the packed weights whose index is the sum of
    /// `weights`. Per depthwise channel its `count` weights are loaded once
    /// (together, where the schedule says so), then each step's depthwise
    /// value, used `count` times.
    private func filterGroup(steps: Range<Int>, weights: [Expr], column: [Expr], width: Int, count: Int) -> [Statement] {
        let (CM, N) = (plan.depthwiseChannels, pointwiseColumns)
        let (j, w) = (Expr.name("j"), Expr.name("w"))
        let at = { (i: Int) -> Expr in Self.folded(column + [.int(i)]) }
        let initial = { (i: Int) -> Expr in self.plan.useBias ? .element(.weights("bias"), at(i)) : .int(0) }
        let sum = { (r: Int, i: Int) in "a\(r - steps.lowerBound)_\(i)" }
        let row = Self.folded(weights)
        let loads: [Statement] = plan.schedule.loadsWeightsTogether && count > 1
            ? [.call(.symbol("LOAD_WEIGHTS_\(count)"), [.offset(w, .times(j, .int(width)))])]
            : (0..<count).map { i in .value("w\(i)", .element(w, Self.folded([.times(j, .int(width)), .int(i)]))) }
        let pass: [Statement] = loads
            + steps.flatMap { r -> [Statement] in
                let v = "v\(r - steps.lowerBound)"
                return [.value(v, .element(.name("d"), Self.folded([j, .int(r * CM)])))]
                    + (0..<count).map { i in .assign(.name(sum(r, i)), .add, .product(.name(v), .name("w\(i)"))) }
            }
        return [.pointer("w", row == .int(0) ? .weights("pointwise") : .offset(.weights("pointwise"), row))]
            + steps.flatMap { r in (0..<count).map { i in Statement.variable(sum(r, i), initial(i), integer: false) } }
            + [.loop("j", from: .int(0), to: .int(CM), pass)]
            + steps.flatMap { r in
                (0..<count).map { i in
                    let value = Expr.name(sum(r, i))
                    return Statement.assign(.element(.name("out"), Self.folded([.int(r * N)] + column + [.int(i)])), .set,
                                            plan.schedule.fusesActivation ? .call(.symbol("act"), [value]) : value)
                }
            }
    }

    /// One group of `count` filters of `steps` steps from the step `first`
    /// (an expression), as `filterGroup` but with the depthwise values
    /// loaded together: per `channelsPerLoad` channels each step's values in
    /// one load (`LOAD_DEPTHWISE_<step>`, which advances the step's pointer),
    /// then per channel its `count` weights in one (`LOAD_WEIGHTS_<count>`).
    private func loadedGroup(steps: Int, first: Expr, weights: [Expr], column: [Expr], width: Int, count: Int) -> [Statement] {
        let (CM, N, U) = (plan.depthwiseChannels, pointwiseColumns, KernelSchedule.channelsPerLoad)
        let (j, w) = (Expr.name("j"), Expr.name("w"))
        let initial = { (i: Int) -> Expr in self.plan.useBias ? .element(.weights("bias"), Self.folded(column + [.int(i)])) : .int(0) }
        let row = Self.folded(weights)
        // Step r of the tile times `factor`, a constant where the step is one.
        let scaled = { (r: Int, factor: Int) -> Expr in
            let step = Self.folded([first, .int(r)])
            if case .int(let value) = step { return .int(value * factor) }
            return .times(step, .int(factor))
        }
        let pass: [Statement] = (0..<steps).map { r in .call(.symbol("LOAD_DEPTHWISE_\(r)"), [.name("p\(r)")]) }
            + (0..<U).map { u in
                let at = Self.folded([.times(j, .int(U * width)), .int(u * width)])
                let load: Statement = count > 1 ? .call(.symbol("LOAD_WEIGHTS_\(count)"), [.offset(w, at)]) : .value("w0", .element(w, at))
                return .nest([.scope], [load]
                      + (0..<steps).flatMap { r in (0..<count).map { i in Statement.assign(.name("a\(r)_\(i)"), .add, .product(.name("v\(r)_\(u)"), .name("w\(i)"))) } })
            }
        return [.pointer("w", row == .int(0) ? .weights("pointwise") : .offset(.weights("pointwise"), row))]
            + (0..<steps).map { r in .pointer("p\(r)", scaled(r, CM) == .int(0) ? .name("d") : .offset(.name("d"), scaled(r, CM))) }
            + (0..<steps).flatMap { r in (0..<count).map { i in Statement.variable("a\(r)_\(i)", initial(i), integer: false) } }
            + [.loop("j", from: .int(0), to: .int(CM / U), pass)]
            + (0..<steps).flatMap { r in
                (0..<count).map { i in
                    let value = Expr.name("a\(r)_\(i)")
                    return Statement.assign(.element(.name("out"), Self.folded([scaled(r, N)] + column + [.int(i)])), .set,
                                            plan.schedule.fusesActivation ? .call(.symbol("act"), [value]) : value)
                }
            }
    }

    /// The steps of the tallest register tile that loads depthwise values
    /// together (0: none): the scalar path has a `LOAD_DEPTHWISE_<step>`
    /// macro for each step below it.
    var portableDepthwiseLoads: Int {
        plan.schedule.scalarPointwise.filter { $0.channelsPerLoad > 1 }.flatMap(\.registerTiles).map(\.steps).max() ?? 0
    }

    /// The sum of `terms` with their integer constants added into one, last (left out when 0 and not alone).
    private static func folded(_ terms: [Expr]) -> Expr {
        var constant = 0
        let others = terms.filter { term in
            guard case .int(let value) = term else { return true }
            constant += value
            return false
        }
        let all = others + (constant != 0 || others.isEmpty ? [.int(constant)] : [])
        return all.count == 1 ? all[0] : .sum(all)
    }
}
