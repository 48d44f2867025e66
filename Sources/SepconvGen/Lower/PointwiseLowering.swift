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
    /// pointwise routines (the depthwise-only variant: its bias pass).
    var vectorStages: [Routine] {
        plan.schedule.fullTapLengths.map(vectorDepthwise) + plan.schedule.tileLengths.flatMap { rows in
            plan.convolution.hasPointwiseKernel ? pointwise(rows: rows) : [biasPass(rows: rows, portable: false)]
        }
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
                    .constant("col", .times(b, .int(width))), .pointer("pw", .offset(.weights("pointwise"), .times(b, .int(CM * width)))),
                ] + microkernel(rows: rows, columns: s.blockVectors, column: .name("col")))] : []
            }
            let wide: [Statement] = [.loop("b", from: .int(0), to: .int(pairs), [
                .constant("col", .times(b, .int(2 * width))), .pointer("pwA", .offset(.weights("pointwise"), .times(b, .int(2 * CM * width)))),
                .pointer("pwB", .offset(.name("pwA"), .int(CM * width))),
            ] + microkernel(rows: rows, columns: 2, column: .name("col"), wide: true))] + narrow(2 * pairs, s.plainBlockCount)
            var body = pairs > 0 ? [.guarded(wide, narrow(0, s.plainBlockCount))] : narrow(0, s.plainBlockCount)
            for block in s.filterBlocks.dropFirst(s.plainBlockCount) {
                body.append(.nest([.scope], [.pointer("pw", .offset(.weights("pointwise"), .int(CM * block.vector * W)))]
                    + microkernel(rows: rows, columns: block.count, column: .int(block.vector * W), partialLanes: block.partialLanes)))
            }
            return [Routine(name: "pointwise_\(rows)", comment: [.text("Pointwise stage of \(rows) steps: out[r * \(stride) + f] = bias[f] + sum over j of d[r * \(CM) + j] * pointwise[j][f].")],
                            isKernel: true, parameters: stage, body: body)]
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
            blocks.map { .call(.symbol(kernel(s.filterBlocks[$0])), [d, out, .weights("pointwise\($0)"), .int(s.filterBlocks[$0].vector * W), .weights("bias")]) }
        }
        var body = calls(0..<s.filterBlocks.count)
        if pairs > 0 {
            routines.append(Routine(name: "pointwise\(rows)x2w", comment: [.text("Pointwise stage of \(rows) steps, two blocks of \(width) filters from col, one 512-bit vector of each: "
                + "out[r * \(stride) + col + f] = bias[col + f] + sum over j of d[r * \(CM) + j] * (pwA, pwB)[j * \(width) + f].")], isWide: true,
                parameters: stage + [("pwA", .input), ("pwB", .input), ("col", .integer), ("bias", .input)],
                body: microkernel(rows: rows, columns: 2, column: .name("col"), wide: true)))
            let wide = (0..<pairs).map { pair -> Statement in
                .call(.symbol("pointwise\(rows)x2w"), [d, out, .weights("pointwise\(2 * pair)"), .weights("pointwise\(2 * pair + 1)"), .int(s.filterBlocks[2 * pair].vector * W), .weights("bias")])
            }
            body = [.guarded(wide + calls(2 * pairs ..< s.filterBlocks.count), body)]
        }
        return routines + [Routine(name: "pointwise_\(rows)", comment: [.text("Pointwise stage of \(rows) steps, every filter block.")], parameters: stage, body: body)]
    }

    /// One filter block's microkernel from its weights `pw` (wide: a pair's
    /// `pwA`, `pwB`) at output column `column`: accumulators `a<row>_<vector>`
    /// from the bias, the pass over j, the stores (the last vector's first
    /// `partialLanes` lanes only, when it is partial). A short tile
    /// (`KernelSchedule.partialSums`) takes its pass `parts` rows of weights at
    /// a time, row `p` into partial sums `a<row>_<vector>p<p>` that start from
    /// zero, and adds them into the accumulators before the stores; the rows
    /// past the last whole group go into the accumulators.
    private func microkernel(rows: Int, columns: Int, column: Expr, wide: Bool = false, partialLanes: Int = 0) -> [Statement] {
        let s = plan.schedule, CM = plan.depthwiseChannels, j = Expr.name("j")
        let width = wide ? s.blockVectors * s.lanes : s.lanes, stride = s.needsOutputTile ? s.paddedFilters : plan.filters
        let parts = s.parts(rows: rows, vectors: columns), groups = CM / parts
        let bias = { (i: Int) in Expr.load(.offset(self.options.passesWeights ? .name("bias") : .weights("bias"), .sum([column, .int(i * width)])), wide: wide) }
        let sum = { (r: Int, i: Int, p: Int) in "a\(r)_\(i)" + (p > 0 ? "p\(p)" : "") }
        var body: [Statement] = []
        if options.passesWeights {
            body += (0..<columns).map { .vectors(["b\($0)"], [bias($0)], wide: wide, role: .weight) }
        }
        body += (0..<rows).map { r in
            .vectors((0..<columns).map { sum(r, $0, 0) }, (0..<columns).map { options.passesWeights ? .name("b\($0)") : plan.useBias ? bias($0) : .zero },
                     wide: wide, role: .accumulator(mutated: true))
        }
        body += (1..<parts).flatMap { p in
            (0..<rows).map { r in .vectors((0..<columns).map { sum(r, $0, p) }, Array(repeating: .zero, count: columns), wide: wide, role: .accumulator(mutated: true)) }
        }
        // Rows `row ..< row + count` of the weights into the sums of parts 0 ..< count: `row` an index expression.
        let pass = { (row: Expr, count: Int, tag: String) -> [Statement] in
            let ahead = KernelSchedule.prefetchRows * (wide ? width : columns * width)
            var pass: [Statement]
            let weight = { (p: Int, i: Int) in "w\(tag)\(p > 0 ? "p\(p)_" : "")\(i)" }
            if wide {
                let rowOf = { (i: Int, p: Int) in Expr.offset(.name(i == 0 ? "pwA" : "pwB"), .sum([.times(row, .int(width)), .int(p * width)])) }
                pass = (0..<count).flatMap { p in (0..<2).map { .vectors([weight(p, $0)], [.load(rowOf($0, p), wide: true)], wide: true, role: .weight) } }
                if s.prefetchesWeights {
                    pass += (0..<count).flatMap { p in (0..<2).map { .prefetch(.offset(.name($0 == 0 ? "pwA" : "pwB"), .sum([.times(row, .int(width)), .int(p * width + ahead)]))) } }
                }
            } else {
                pass = [.pointer("w\(tag)", .offset(.name("pw"), .times(row, .int(columns * width))))]
                pass += (0..<count).flatMap { p in
                    (0..<columns).map { .vectors([weight(p, $0)], [.load(.offset(.name("w\(tag)"), .int((p * columns + $0) * width)), wide: false)], wide: false, role: .weight) }
                }
                if s.prefetchesWeights { pass += (0..<count).map { p in .prefetch(.offset(.name("w\(tag)"), .int(p * columns * width + ahead))) } }
            }
            for r in 0..<rows {
                for p in 0..<count {
                    let value = "d\(tag)\(r)" + (p > 0 ? "p\(p)" : "")
                    pass.append(.value(value, .element(.name("d"), .sum([.int(r * CM), row, .int(p)]))))
                    pass += (0..<columns).map { .multiplyAdd(sum(r, $0, p), .name(weight(p, $0)), .name(value)) }
                }
            }
            return pass
        }
        if parts == 1 {
            body.append(.loop("j", from: .int(0), to: .int(CM), pass(j, 1, "")))
        } else {
            body.append(.loop("j", from: .int(0), to: .int(groups), pass(Expr.times(j, .int(parts)), parts, "")))
            if CM > groups * parts { body.append(.declaring(pass(Expr.int(groups * parts), CM - groups * parts, "t"))) }
            for p in 1..<parts {
                for r in 0..<rows {
                    body += (0..<columns).map { .assign(.name(sum(r, $0, 0)), .add, .name(sum(r, $0, p))) }
                }
            }
        }
        for r in 0..<rows {
            for i in 0..<columns {
                let target = Expr.offset(.name("out"), .sum([.int(r * stride), column, .int(i * width)]))
                body.append(i == columns - 1 && partialLanes > 0 ? .storePartial(target, "a\(r)_\(i)", lanes: partialLanes) : .store(target, "a\(r)_\(i)", wide: wide))
            }
        }
        return body
    }
}
