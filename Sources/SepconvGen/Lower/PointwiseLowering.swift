/// The loops kernel's pointwise stage, lowered once: per tile length, a
/// register-blocked microkernel for each filter block (`rows` × its vectors
/// of accumulators, one pass over the depthwise channels) and, where pairs of
/// plain blocks take 512-bit vectors, the wide one under the target's guard.
/// C (one packed weight array) loops over the plain blocks inside one
/// routine; Swift (`passesWeights`: an array per block) gives each block
/// shape a routine taking its block's weights and calls them from a stage.
extension Lowering {
    /// The loops kernel's vector stages, in print order: the depthwise
    /// routines of the tiles that read every tap, then each tile length's
    /// pointwise routines.
    var vectorStages: [Routine] {
        plan.schedule.fullTapLengths.map(vectorDepthwise) + plan.schedule.tileLengths.flatMap(pointwise)
    }

    /// The routines of the pointwise stage of `rows` steps, in print order.
    func pointwise(rows: Int) -> [Routine] {
        let s = plan.schedule, CM = plan.depthwiseChannels, W = s.lanes, width = s.blockVectors * W
        let stride = s.needsOutputTile ? s.paddedFilters : plan.filters
        let (d, out, b) = (Expr.name("d"), Expr.name("out"), Expr.name("b"))
        let pairs = s.hasWidePairs ? s.plainBlockCount / 2 : 0
        let stage: [(name: String, kind: Routine.Kind)] = [("d", .input), ("out", .output)]
        guard options.passesWeights else {
            let narrow = { (from: Int, to: Int) -> [Statement] in
                to > from ? [.loop("b", from: .int(from), to: .int(to), [
                    .constant("col", .times(b, .int(width))), .pointer("pw", .offset(.symbol("pointwise"), .times(b, .int(CM * width)))),
                ] + microkernel(rows: rows, columns: s.blockVectors, column: .name("col")))] : []
            }
            let wide: [Statement] = [.loop("b", from: .int(0), to: .int(pairs), [
                .constant("col", .times(b, .int(2 * width))), .pointer("pwA", .offset(.symbol("pointwise"), .times(b, .int(2 * CM * width)))),
                .pointer("pwB", .offset(.name("pwA"), .int(CM * width))),
            ] + microkernel(rows: rows, columns: 2, column: .name("col"), wide: true))] + narrow(2 * pairs, s.plainBlockCount)
            var body = pairs > 0 ? [.guarded(wide, narrow(0, s.plainBlockCount))] : narrow(0, s.plainBlockCount)
            for block in s.filterBlocks.dropFirst(s.plainBlockCount) {
                body.append(.nest([.scope], [.pointer("pw", .offset(.symbol("pointwise"), .int(CM * block.vector * W)))]
                    + microkernel(rows: rows, columns: block.count, column: .int(block.vector * W), partialLanes: block.partialLanes)))
            }
            return [Routine(name: "pointwise_\(rows)", comment: [.text("Pointwise stage of \(rows) steps: out[r * \(stride) + f] = bias[f] + sum over j of d[r * \(CM) + j] * pointwise[j][f].")],
                            isKernel: true, counterOrder: ["j", "b"], parameters: stage, body: body)]
        }
        let kernel = { (block: KernelSchedule.FilterBlock) in "pointwise\(rows)x\(block.count)" + (block.partialLanes > 0 ? "p\(block.partialLanes)" : "") }
        var routines: [Routine] = []
        for block in s.filterBlocks where !routines.contains(where: { $0.name == kernel(block) }) {
            let width = block.count * W
            routines.append(Routine(name: kernel(block), comment: [.text("Pointwise stage of \(rows) steps, filters col ..< col + \(width): "
                + "out[r * \(stride) + col + f] = bias[col + f] + sum over j of d[r * \(CM) + j] * pw[j * \(width) + f].")],
                parameters: stage + [("pw", .input), ("col", .integer), ("bias", .input)],
                body: microkernel(rows: rows, columns: block.count, column: .name("col"), partialLanes: block.partialLanes)))
        }
        let calls = { (blocks: Range<Int>) -> [Statement] in
            blocks.map { .call(.symbol(kernel(s.filterBlocks[$0])), [d, out, .symbol("pointwise\($0)"), .int(s.filterBlocks[$0].vector * W), .symbol("bias")]) }
        }
        var body = calls(0..<s.filterBlocks.count)
        if pairs > 0 {
            routines.append(Routine(name: "pointwise\(rows)x2w", comment: [.text("Pointwise stage of \(rows) steps, two blocks of \(width) filters from col, one 512-bit vector of each: "
                + "out[r * \(stride) + col + f] = bias[col + f] + sum over j of d[r * \(CM) + j] * (pwA, pwB)[j * \(width) + f].")], isWide: true,
                parameters: stage + [("pwA", .input), ("pwB", .input), ("col", .integer), ("bias", .input)],
                body: microkernel(rows: rows, columns: 2, column: .name("col"), wide: true)))
            let wide = (0..<pairs).map { pair -> Statement in
                .call(.symbol("pointwise\(rows)x2w"), [d, out, .symbol("pointwise\(2 * pair)"), .symbol("pointwise\(2 * pair + 1)"), .int(s.filterBlocks[2 * pair].vector * W), .symbol("bias")])
            }
            body = [.guarded(wide + calls(2 * pairs ..< s.filterBlocks.count), body)]
        }
        return routines + [Routine(name: "pointwise_\(rows)", comment: [.text("Pointwise stage of \(rows) steps, every filter block.")], parameters: stage, body: body)]
    }

    /// One filter block's microkernel from its weights `pw` (wide: a pair's
    /// `pwA`, `pwB`) at output column `column`: accumulators `a<row>_<vector>`
    /// from the bias, the pass over j, the stores (the last vector's first
    /// `partialLanes` lanes only, when it is partial).
    private func microkernel(rows: Int, columns: Int, column: Expr, wide: Bool = false, partialLanes: Int = 0) -> [Statement] {
        let s = plan.schedule, CM = plan.depthwiseChannels, j = Expr.name("j")
        let width = wide ? s.blockVectors * s.lanes : s.lanes, stride = s.needsOutputTile ? s.paddedFilters : plan.filters
        let bias = { (i: Int) in Expr.load(.offset(self.options.passesWeights ? .name("bias") : .symbol("bias"), .sum([column, .int(i * width)])), wide: wide) }
        let accumulators = { (r: Int) in (0..<columns).map { "a\(r)_\($0)" } }
        var body: [Statement] = []
        if options.passesWeights {
            body += (0..<columns).map { .vectors(["b\($0)"], [bias($0)], wide: wide, role: .weight) }
        }
        body += (0..<rows).map { r in
            .vectors(accumulators(r), (0..<columns).map { options.passesWeights ? .name("b\($0)") : plan.useBias ? bias($0) : .zero },
                     wide: wide, role: .accumulator(mutated: true))
        }
        var pass: [Statement]
        let ahead = KernelSchedule.prefetchRows * (wide ? width : columns * width)
        if wide {
            let rowOf = { (i: Int) in Expr.offset(.name(i == 0 ? "pwA" : "pwB"), .times(j, .int(width))) }
            pass = (0..<2).map { .vectors(["w\($0)"], [.load(rowOf($0), wide: true)], wide: true, role: .weight) }
            if s.prefetchesWeights {
                pass += (0..<2).map { .prefetch(.offset(.name($0 == 0 ? "pwA" : "pwB"), .sum([.times(j, .int(width)), .int(ahead)]))) }
            }
        } else {
            pass = [.pointer("w", .offset(.name("pw"), .times(j, .int(columns * width))))]
                + (0..<columns).map { .vectors(["w\($0)"], [.load(.offset(.name("w"), .int($0 * width)), wide: false)], wide: false, role: .weight) }
            if s.prefetchesWeights { pass.append(.prefetch(.offset(.name("w"), .int(ahead)))) }
        }
        for r in 0..<rows {
            pass.append(.value("d\(r)", .element(.name("d"), .sum([.int(r * CM), j]))))
            pass += (0..<columns).map { .multiplyAdd("a\(r)_\($0)", .name("w\($0)"), .name("d\(r)")) }
        }
        body.append(.loop("j", from: .int(0), to: .int(CM), pass))
        for r in 0..<rows {
            for i in 0..<columns {
                let target = Expr.offset(.name("out"), .sum([.int(r * stride), column, .int(i * width)]))
                body.append(i == columns - 1 && partialLanes > 0 ? .storePartial(target, "a\(r)_\(i)", lanes: partialLanes) : .store(target, "a\(r)_\(i)", wide: wide))
            }
        }
        return body
    }
}
