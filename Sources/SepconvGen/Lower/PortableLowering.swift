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
    /// the pointwise stage and one entry per tile length.
    var portableRoutines: [Routine] {
        let schedule = plan.schedule
        return (schedule.hasPartialSteps ? [portableStep] : [])
            + schedule.fullTapLengths.map(portableDepthwise(rows:))
            + [portablePointwise] + schedule.tileLengths.map(portablePointwise(rows:))
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
    /// channel's sum in a local over the taps and stored once.
    private var portableStep: Routine {
        let (CM, s, k) = (plan.depthwiseChannels, Expr.name("s"), Expr.name("k"))
        let (headers, channel) = channelLoops
        let position = Expr.sum([.minus(.times(s, .int(plan.stride)), .int(plan.padLeft)), .times(k, .int(plan.dilation))])
        let tap = Expr.product(.element(.name("x"), inputIndex(position: position, channel: .name("c"))),
                               .element(.weights("depthwise"), .sum([.times(k, .int(CM)), channel])))
        return Routine(name: "depthwise_step", comment: [.text("Depthwise stage of output step s, reading taps first .. first + count - 1: d[multiplier * \(plan.inputChannels) + channel].")],
                       isKernel: true, counterOrder: ["m", "c", "k"],
                       parameters: [("x", .input), ("d", .output), ("s", .integer), ("first", .integer), ("count", .integer)], body: [
            .nest(headers, [
                .variable("a", .int(0), integer: false),
                .loop("k", from: .name("first"), to: .sum([.name("first"), .name("count")]), [.assign(.name("a"), "+=", tap)]),
                .assign(.element(.name("d"), channel), "=", .name("a")),
            ]),
        ])
    }

    /// `depthwise_<rows>`: steps `t ..< t + rows`, which read every tap; per
    /// channel its K weights in locals (up to `maxUnrolledTaps`, else a loop
    /// over the taps), then each step's sum written once.
    private func portableDepthwise(rows: Int) -> Routine {
        let (K, CM, sx) = (plan.kernelSize, plan.depthwiseChannels, stepStride)
        let (headers, channel) = channelLoops
        let (r, k, w, xc) = (Expr.name("r"), Expr.name("k"), Expr.name("w"), Expr.name("xc"))
        let origin = Expr.minus(.times(.name("t"), .int(plan.stride)), .int(plan.padLeft))
        /// Tap `k` of step `r`, from the channel's first input element (nil: the loop's `k`).
        let input = { (k: Int?) -> Expr in
            let step = Expr.times(r, .int(plan.stride * sx))
            guard let k else { return .element(xc, .sum([step, .times(.name("k"), .int(plan.dilation * sx))])) }
            return .element(xc, k == 0 ? step : .sum([step, .int(k * plan.dilation * sx)]))
        }
        let target = Expr.element(.name("d"), .sum([.times(r, .int(CM)), channel]))
        var body: [Statement] = [
            .pointer("w", .offset(.weights("depthwise"), channel)),
            .pointer("xc", .offset(.name("x"), inputIndex(position: origin, channel: .name("c")))),
        ]
        if plan.schedule.unrollsTaps {
            body += (0..<K).map { k in .sum("w\(k)", [.element(w, .int(k * CM))]) }
            let terms = (0..<K).map { k in Expr.product(input(k), .name("w\(k)")) }
            let sum = terms.dropFirst().reduce(terms[0]) { .plus($0, $1) }
            body.append(.loop("r", from: .int(0), to: .int(rows), [.assign(target, "=", sum)]))
        } else {
            body.append(.loop("r", from: .int(0), to: .int(rows), [
                .variable("a", .int(0), integer: false),
                .loop("k", from: .int(0), to: .int(K), [.assign(.name("a"), "+=", .product(input(nil), .element(w, .times(k, .int(CM)))))]),
                .assign(target, "=", .name("a")),
            ]))
        }
        return Routine(name: "depthwise_\(rows)", comment: [.text("Depthwise stage of output steps "), .stepsFrom("t", rows), .text(", every tap reading the input.")],
                       isKernel: true, counterOrder: ["m", "c", "r", "k"],
                       parameters: [("x", .input), ("d", .output), ("t", .integer)], body: [.nest(headers, body)])
    }

    // MARK: Pointwise

    /// The pointwise stage's row length in its destination: the output tile's
    /// padded rows, or the output's F.
    private var pointwiseColumns: Int {
        plan.schedule.needsOutputTile ? plan.schedule.paddedFilters : plan.filters
    }

    /// `pointwise_n`: n steps, each in groups of `portableFilterGroup`
    /// filters whose sums are locals started from the bias, one pass over
    /// the depthwise channels, each sum stored once.
    private var portablePointwise: Routine {
        let schedule = plan.schedule, CM = plan.depthwiseChannels, G = KernelSchedule.portableFilterGroup
        let N = pointwiseColumns, W = schedule.lanes
        let (b, h) = (Expr.name("b"), Expr.name("h"))
        var body: [Statement] = []
        // Plain blocks: one loop over the blocks and the groups in each.
        let width = schedule.blockVectors * W, perBlock = max(width / G, 1), groupWidth = min(G, width)
        if schedule.plainBlockCount > 0 {
            let headers: [Header] = (schedule.plainBlockCount > 1 ? [.loop("b", from: 0, to: schedule.plainBlockCount)] : [])
                + (perBlock > 1 ? [.loop("h", from: 0, to: perBlock)] : [])
            let block: [Expr] = schedule.plainBlockCount > 1 ? [b] : [], group: [Expr] = perBlock > 1 ? [.times(h, .int(groupWidth))] : []
            body.append(.nest(headers.isEmpty ? [.scope] : headers,
                              filterGroup(weights: block.map { .times($0, .int(CM * width)) } + group,
                                          column: block.map { .times($0, .int(width)) } + group, width: width, count: groupWidth)))
        }
        // The other blocks (the last one: one vector, or partial lanes): their groups one by one.
        for block in schedule.filterBlocks.dropFirst(schedule.plainBlockCount) {
            let blockWidth = block.count * W, first = block.vector * W, columns = min(blockWidth, N - first)
            for start in stride(from: 0, to: columns, by: G) {
                body.append(.nest([.scope], filterGroup(weights: [.int(CM * first + start)], column: [.int(first + start)],
                                                        width: blockWidth, count: min(G, columns - start))))
            }
        }
        // One group alone needs no scope of its own.
        if body.count == 1, case .nest([.scope], let group) = body[0] { body = group }
        return Routine(name: "pointwise_n", comment: [.text("Pointwise stage of n steps: out[r * \(N) + f] = bias[f] + sum over j of d[r * \(CM) + j] * pointwise[j][f], \(G) filters at a time.")],
                       isKernel: true, counterOrder: ["r", "b", "h", "j"],
                       parameters: [("d", .input), ("out", .output), ("n", .integer)],
                       body: [.loop("r", from: .int(0), to: .name("n"), body)])
    }

    /// One group of `count` filters of step `r`'s row from the column whose
    /// index is the sum of `column`: the weights' rows `width` apart from the
    /// element of the packed weights whose index is the sum of `weights`.
    private func filterGroup(weights: [Expr], column: [Expr], width: Int, count: Int) -> [Statement] {
        let (CM, N) = (plan.depthwiseChannels, pointwiseColumns)
        let (r, j, w) = (Expr.name("r"), Expr.name("j"), Expr.name("w"))
        let at = { (i: Int) -> Expr in Self.folded(column + [.int(i)]) }
        let initial = { (i: Int) -> Expr in self.plan.useBias ? .element(.weights("bias"), at(i)) : .int(0) }
        let row = Self.folded(weights)
        return [.pointer("w", row == .int(0) ? .weights("pointwise") : .offset(.weights("pointwise"), row))]
            + (0..<count).map { i in .variable("a\(i)", initial(i), integer: false) }
            + [.loop("j", from: .int(0), to: .int(CM), [.sum("v", [.element(.name("d"), .sum([.times(r, .int(CM)), j]))])]
                + (0..<count).map { i in .assign(.name("a\(i)"), "+=", .product(.name("v"), .element(w, Self.folded([.times(j, .int(width)), .int(i)])))) })]
            + (0..<count).map { i in .assign(.element(.name("out"), Self.folded([.times(r, .int(N))] + column + [.int(i)])), "=", .name("a\(i)")) }
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

    /// `pointwise_<rows>`: the pointwise stage of one tile length.
    private func portablePointwise(rows: Int) -> Routine {
        Routine(name: "pointwise_\(rows)", comment: [.text("Pointwise stage of " + (rows == 1 ? "1 step." : "\(rows) steps."))],
                parameters: [("d", .input), ("out", .output)],
                body: [.call(.symbol("pointwise_n"), [.name("d"), .name("out"), .int(rows)])])
    }
}
