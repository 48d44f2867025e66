/// Builds the kernel program from a plan, once for every language: the
/// `full` kernel, the store of a tile (activation, epilogue, layout), the
/// epilogue's tables and its pass over a whole item. What a language wants
/// done differently is a named option, not separate code.
struct Lowering {
    let plan: LayerPlan
    let options: Options

    /// The deliberate differences between the languages.
    struct Options {
        /// Each output's sum is bound to a local before it is stored (Swift:
        /// its type checker is linear only in short expressions); otherwise
        /// the sum is written into the store (C).
        var bindsSums: Bool
        /// The depthwise routines take the weights as an argument (Swift: a
        /// static array reaches them as a pointer through the call).
        var passesWeights: Bool
        /// A run of one interior tile is a loop of one too (Swift, where a
        /// `declaring` block has no braces: two runs' `let t` would share the
        /// item's scope); otherwise a braced scope (C), no loop to unroll.
        var loopsEveryRun: Bool
        /// The border step accumulates channels_last's channels in vectors,
        /// its taps innermost (Swift: the scratch may alias the input as far
        /// as Swift knows, so a scalar loop adding into `d` neither vectorises
        /// nor keeps its sums in registers); otherwise (C, whose portable path
        /// calls it for every step) it is scalar, its taps outermost.
        var vectorBorder: Bool
        /// The `loops` kernel holds a vector path and a portable C99 path
        /// beside it, chosen where it is compiled (C, by the preprocessor);
        /// otherwise only the vector path (Swift, which has no condition for
        /// a target's float SIMD: its standard-library vectors lower everywhere).
        var choosesPaths: Bool

        /// The options of `language`.
        static func of(_ language: TargetLanguage) -> Options {
            let swift = language == .swift
            return Options(bindsSums: swift, passesWeights: swift, loopsEveryRun: swift, vectorBorder: swift, choosesPaths: !swift)
        }
    }

    init(plan: LayerPlan, language: TargetLanguage) {
        self.plan = plan
        options = .of(language)
    }

    private var F: Int { plan.filters }
    private var steps: Int { plan.convolutionSteps }

    // MARK: Activations and epilogue

    /// The activation helpers the kernel calls: the layer's (`act`) and each
    /// epilogue activation's (`epilogue<i>_act`), linear ones left out.
    var activations: [(name: String, activation: ActivationFunction)] {
        [("act", .named(plan.activation))].filter { $0.1 != .named(.linear) }
            + plan.epilogue.enumerated().compactMap { index, step in step.function.map { ("epilogue\(index)_act", $0) } }
    }

    /// The chain a tile's values go through when the plan has an epilogue:
    /// the layer's activation, then each step, with the helper or tables it uses.
    private var chain: [(step: EpilogueStep, name: String)] {
        [(.activation(plan.activation), "act")] + plan.epilogue.enumerated().map { index, step in
            (step, step.function == nil ? "epilogue\(index)" : "epilogue\(index)_act")
        }
    }

    /// Where channels_first's chain leaves the store for a pass over the whole
    /// item: at the first step along the steps axis.
    private var storedChain: ArraySlice<(step: EpilogueStep, name: String)> {
        let chain = chain
        guard plan.dataFormat == .channelsFirst else { return chain[...] }
        return chain.prefix { !($0.step.activation?.isRowWise ?? false) }
    }

    /// The affine steps' tables.
    var epilogueTables: [Statement] {
        plan.epilogue.enumerated().flatMap { index, step -> [Statement] in
            guard case .affine(let scale, let shift) = step else { return [] }
            return [.table("epilogue\(index)_scale", comment: "epilogue step \(index): scale per filter", scale),
                    .table("epilogue\(index)_shift", comment: "epilogue step \(index): shift per filter", shift)]
        }
    }

    /// One step of the chain on `count` values of row `row` (stride 1), `channel` giving each one's filter.
    private func apply(_ link: (step: EpilogueStep, name: String), at value: (Expr) -> Expr, count: Expr, length: Int,
                       row: Expr, counter: String, channel: (Expr) -> Expr) -> [Statement] {
        let v = Expr.name(counter)
        switch link.step {
        case .activation(.linear):
            return []
        case .activation(.glu):
            let half = length / 2
            return [.loop(counter, from: .int(0), to: .int(half), [
                .assign(value(v), .set, .product(value(v), .call(.symbol(link.name), [value(.sum([v, .int(half)]))]))),
            ])]
        case .activation(let activation) where activation.isRowWise:
            return [.call(.symbol(link.name), [row, .int(length)])]
        case .activation, .parametric:
            return [.loop(counter, from: .int(0), to: count, [.assign(value(v), .set, .call(.symbol(link.name), [value(v)]))])]
        case .affine:
            let f = channel(v)
            return [.loop(counter, from: .int(0), to: count, [
                .assign(value(v), .set, .plus(.product(value(v), .element(.symbol(link.name + "_scale"), f)),
                                           .element(.symbol(link.name + "_shift"), f))),
            ])]
        }
    }

    /// The length of the last axis after each link of `links`, from `length`.
    private func length(after links: some Sequence<(step: EpilogueStep, name: String)>, from length: Int) -> Int {
        links.reduce(length) { $0 / ($1.step.activation == .glu ? 2 : 1) }
    }

    // MARK: The store of a tile

    /// `finish`: a tile's activation, epilogue and store (nil when the tile's
    /// pointwise results are already the output).
    var finish: Routine? {
        if !plan.epilogue.isEmpty { return epilogueFinish }
        let Fp = plan.schedule.paddedFilters
        let (o, y, t, n, r, f) = (Expr.name("o"), Expr.name("y"), Expr.name("t"), Expr.name("n"), Expr.name("r"), Expr.name("f"))
        let act = Expr.symbol("act")
        let tile = { (column: Expr) in Expr.element(o, .sum([.times(r, .int(Fp))] + [column])) }
        let tileParameters: [(name: String, kind: Routine.Kind)] = [("o", .input), ("y", .output), ("t", .integer), ("n", .integer)]
        switch (plan.dataFormat, plan.activation) {
        case (.channelsLast, .glu):
            let half = F / 2
            let gate = Expr.element(o, .sum([.times(r, .int(Fp)), f, .int(half)]))
            return Routine(name: Routine.finishName, comment: [.text("glu of steps "), .steps("t", "t + n"), .text(" from the output tile o[r * \(Fp) + f].")],
                           parameters: tileParameters, body: [
                .loop("r", from: .int(0), to: n, [.loop("f", from: .int(0), to: .int(half), [
                    .assign(.element(y, .sum([.times(.sum([t, r]), .int(half)), f])), .set, .product(tile(f), .call(act, [gate]))),
                ])]),
            ])
        case (.channelsLast, .linear):
            return nil
        case (.channelsLast, let activation) where activation.isRowWise:
            return Routine(name: Routine.finishName, comment: [.text("The activation of n steps' outputs, each a row, in place.")],
                           parameters: [("out", .output), ("n", .integer)], body: [
                .loop("r", from: .int(0), to: n, [.call(act, [.offset(.name("out"), .times(r, .int(F))), .int(F)])]),
            ])
        case (.channelsLast, _):
            let element = Expr.element(.name("out"), .name("i"))
            return Routine(name: Routine.finishName, comment: [.text("The activation of n steps' outputs, in place.")],
                           parameters: [("out", .output), ("n", .integer)], body: [
                .loop("i", from: .int(0), to: .times(n, .int(F)), [.assign(element, .set, .call(act, [element]))]),
            ])
        case (.channelsFirst, .glu):
            let half = steps / 2, (s, h) = (Expr.name("s"), Expr.name("h"))
            let target = Expr.element(y, .sum([.times(f, .int(half)), h]))
            return Routine(name: Routine.finishName, comment: [.text("glu of steps "), .steps("t", "t + n"),
                                                     .text(" from the output tile o[r * \(Fp) + f]: the first half sets, the second gates.")],
                           parameters: tileParameters, body: [
                .loop("r", from: .int(0), to: n, [
                    .constant("s", .sum([t, r])),
                    // One index for both branches: gcc -O3 would otherwise warn of the
                    // out-of-range index in the branch that a late tile never takes.
                    .constant("h", .select(.less(s, .int(half)), s, .minus(s, .int(half)))),
                    .branch(.less(s, .int(half)), [.loop("f", from: .int(0), to: .int(F), [.assign(target, .set, tile(f))])],
                            [.loop("f", from: .int(0), to: .int(F), [.assign(target, .multiply, .call(act, [tile(f)]))])]),
                ]),
            ])
        case (.channelsFirst, let activation):
            let value = activation.isRowWise || activation == .linear ? tile(f) : .call(act, [tile(f)])
            return Routine(name: Routine.finishName, comment: [.text("Steps "), .steps("t", "t + n"),
                                                     .text(" from the output tile o[r * \(Fp) + f] into the (filters, steps) output.")],
                           parameters: tileParameters, body: [
                .loop("f", from: .int(0), to: .int(F), [.loop("r", from: .int(0), to: n, [
                    .assign(.element(y, .sum([.times(f, .int(steps)), t, r])), .set, value),
                ])]),
            ])
        }
    }

    /// `finish` with an epilogue: the chain in place on the output tile, row
    /// by row, then the store (channels_first: the chain up to its first step
    /// along the steps axis, which `epiloguePass` takes from there).
    private var epilogueFinish: Routine {
        let Fp = plan.schedule.paddedFilters
        let (o, y, t, n, r) = (Expr.name("o"), Expr.name("y"), Expr.name("t"), Expr.name("n"), Expr.name("r"))
        let row = Expr.offset(o, .times(r, .int(Fp)))
        let at = { (column: Expr) in Expr.element(o, .sum([.times(r, .int(Fp)), column])) }
        var body: [Statement] = []
        var width = F
        for link in storedChain {
            body += apply(link, at: at, count: .int(width), length: width, row: row, counter: "f", channel: { $0 })
            width = length(after: [link], from: width)
        }
        let f = Expr.name("f")
        let store: Statement = plan.dataFormat == .channelsLast
            ? .loop("f", from: .int(0), to: .int(width), [.assign(.element(y, .sum([.times(.sum([t, r]), .int(width)), f])), .set, at(f))])
            : .loop("f", from: .int(0), to: .int(F), [.assign(.element(y, .sum([.times(f, .int(steps)), t, r])), .set, at(f))])
        return Routine(name: Routine.finishName, comment: [.text("The activation and epilogue of steps "), .steps("t", "t + n"),
                                                 .text(" in the output tile o[r * \(Fp) + f], then their store.")],
                       parameters: [("o", .output), ("y", .output), ("t", .integer), ("n", .integer)],
                       body: [.loop("r", from: .int(0), to: n, body + [store])])
    }

    /// channels_first: the rest of the chain over the whole item, each filter's
    /// row of steps at a time (nil when the store took all of it).
    var epiloguePass: Routine? {
        guard !plan.epilogue.isEmpty, plan.dataFormat == .channelsFirst else { return nil }
        let rest = chain.dropFirst(storedChain.count)
        guard !rest.isEmpty else { return nil }
        let (y, f) = (Expr.name("y"), Expr.name("f"))
        let at = { (step: Expr) in Expr.element(y, .sum([.times(f, .int(steps)), step])) }
        let body = rest.flatMap { link in
            apply(link, at: at, count: .int(steps), length: steps, row: .offset(y, .times(f, .int(steps))), counter: "s", channel: { _ in f })
        }
        return Routine(name: "epilogue", comment: [.text("The epilogue along the steps axis, one filter's row at a time, in place.")],
                       parameters: [("y", .output)], body: [.loop("f", from: .int(0), to: .int(F), body)])
    }

    // MARK: The loops kernel's depthwise stage

    /// `p + terms + constant`, or `p` alone when nothing is added.
    private func advance(_ base: Expr, _ terms: [Expr], _ constant: Int) -> Expr {
        let all = terms + (constant != 0 || terms.isEmpty ? [.int(constant)] : [])
        if all == [.int(0)] { return base }
        return .offset(base, all.count == 1 ? all[0] : .sum(all))
    }

    /// The input element of tap `k` for output step `s`, from the item's start.
    func inputOffset(step s: Expr, tap k: Expr) -> Expr {
        let origin = Expr.sum([.minus(.times(s, .int(plan.stride)), .int(plan.padLeft)), .times(k, .int(plan.dilation))])
        return plan.dataFormat == .channelsLast ? .times(origin, .int(plan.inputChannels)) : origin
    }

    /// `depthwise_step`: the depthwise stage of one (border) step over a
    /// run-time range of taps `first ..< first + count` (see `vectorBorder`).
    var depthwiseStep: Routine {
        guard plan.convolution.hasDepthwiseKernel else { return gatherStep(isBorder: true) }
        let (C, M, CM, W) = (plan.inputChannels, plan.depthMultiplier, plan.depthwiseChannels, plan.schedule.lanes)
        let (x, d, k, c, first) = (Expr.name("x"), Expr.name("d"), Expr.name("k"), Expr.name("c"), Expr.name("first"))
        let weights: Expr = options.passesWeights ? .name("dw") : .weights("depthwise")
        let taps = { (body: [Statement]) in Statement.loop("k", from: first, to: .sum([first, .name("count")]), body) }
        let origin = inputOffset(step: .name("s"), tap: k)
        let channel = { (c: Expr) in Expr.sum((M > 1 ? [.times(.name("m"), .int(C))] : []) + [c]) }
        let input = { (c: Expr) in plan.dataFormat == .channelsLast ? Expr.sum([origin, c]) : .sum([.times(c, .int(self.plan.inputSteps)), origin]) }
        let multipliers: [Header] = M > 1 ? [.loop("m", from: 0, to: M)] : []
        var body: [Statement] = []
        if !options.vectorBorder {
            let column = plan.dataFormat == .channelsLast ? c : .times(c, .int(plan.inputSteps))
            let add = Statement.loop("c", from: .int(0), to: .int(C), [.assign(.element(d, channel(c)), .add, .product(.element(.name("xk"), column), .element(.name("w"), channel(c))))])
            body = [.loop("j", from: .int(0), to: .int(CM), [.assign(.element(d, .name("j")), .set, .int(0))]),
                    taps([.pointer("w", .offset(weights, .times(k, .int(CM)))), .pointer("xk", .offset(x, origin)),
                          M > 1 ? .loop("m", from: .int(0), to: .int(M), [add]) : add])]
        } else {
            let blocks = plan.dataFormat == .channelsLast ? C / W : 0, b = Expr.times(.name("b"), .int(W))
            if blocks > 0 {
                body.append(.nest(multipliers + [.loop("b", from: 0, to: blocks)], [
                    .vectors(["a"], [.zero], wide: false, role: .accumulator(mutated: true)),
                    taps([.multiplyAdd("a", .load(.offset(x, .sum([origin, b])), wide: false), .load(.offset(weights, .sum([.times(k, .int(CM)), channel(b)])), wide: false))]),
                    .store(.offset(d, channel(b)), "a", wide: false),
                ]))
            }
            if blocks * W < C {
                body.append(.nest(multipliers + [.loop("c", from: blocks * W, to: C)], [
                    .variable("a", .int(0), integer: false),
                    taps([.assign(.name("a"), .add, .product(.element(x, input(c)), .element(weights, .sum([.times(k, .int(CM)), channel(c)]))))]),
                    .assign(.element(d, channel(c)), .set, .name("a")),
                ]))
            }
        }
        return Routine(name: "depthwise_step", comment: [.text("Depthwise stage of output step s, reading taps "), .steps("first", "first + count"),
                                                         .text(": d[multiplier * \(C) + channel].")],
                       isBorder: true,
                       parameters: [("x", .input), ("d", .output), ("s", .integer), ("first", .integer), ("count", .integer)]
                        + (options.passesWeights ? [("dw", .input)] : []), body: body)
    }

    /// The vector `depthwise_<rows>`: channels_last vectorised across
    /// channels, the steps unrolled so that their sums are independent chains
    /// of multiply-adds, the 512-bit groups first where the target has them;
    /// channels_first calls the step routine for each step.
    func vectorDepthwise(rows: Int) -> Routine {
        guard plan.convolution.hasDepthwiseKernel else { return gather(rows: rows) }
        let (K, C, M, CM) = (plan.kernelSize, plan.inputChannels, plan.depthMultiplier, plan.depthwiseChannels)
        let (x, d, t, r) = (Expr.name("x"), Expr.name("d"), Expr.name("t"), Expr.name("r"))
        let weights: Expr = options.passesWeights ? .name("dw") : .weights("depthwise")
        var body: [Statement] = []
        if plan.dataFormat == .channelsFirst {
            body = [.loop("r", from: .int(0), to: .int(rows), [.call(.symbol("depthwise_step"),
                [x, .offset(d, .times(r, .int(CM))), .sum([t, r]), .int(0), .int(K)] + (options.passesWeights ? [weights] : []))])]
        } else {
            let groups = { (wide: Bool) in plan.schedule.depthwiseGroups(wide: wide).flatMap { self.depthwiseBlocks($0, rows: rows, weights: weights) } }
            body = plan.schedule.hasWideDepthwise ? [.guarded(groups(true), groups(false))] : groups(false)
            let rest = plan.schedule.scalarChannels
            if !rest.isEmpty {
                let (c, k) = (Expr.name("c"), Expr.name("k"))
                let channel = Expr.sum((M > 1 ? [.times(.name("m"), .int(C))] : []) + [c])
                body.append(.nest([.loop("r", from: 0, to: rows)] + (M > 1 ? [.loop("m", from: 0, to: M)] : []) + [.loop("c", from: rest.lowerBound, to: C)], [
                    .pointer("xr", .offset(x, .sum([inputOffset(step: .sum([t, r]), tap: .int(0)), c]))),
                    .variable("a", .int(0), integer: false),
                    .loop("k", from: .int(0), to: .int(K), [.assign(.name("a"), .add, .product(.element(.name("xr"), .times(k, .int(plan.dilation * C))),
                                                                                                 .element(weights, .sum([.times(k, .int(CM)), channel]))))]),
                    .assign(.element(d, .sum([.times(r, .int(CM)), channel])), .set, .name("a")),
                ]))
            }
        }
        return Routine(name: "depthwise_\(rows)", comment: [.text("Depthwise stage of output steps "), .stepsFrom("t", rows), .text(", every tap reading the input.")],
                       isKernel: true,
                       parameters: [("x", .input), ("d", .output), ("t", .integer)] + (options.passesWeights ? [("dw", .input)] : []), body: body)
    }

    /// One group of channel blocks for `rows` steps: one accumulator per step,
    /// the taps in the outer order so that the steps' chains interleave, the
    /// taps' weight vectors loaded once per block.
    private func depthwiseBlocks(_ group: KernelSchedule.ChannelGroup, rows: Int, weights: Expr) -> [Statement] {
        let (K, C, M, CM, s, dl) = (plan.kernelSize, plan.inputChannels, plan.depthMultiplier, plan.depthwiseChannels, plan.stride, plan.dilation)
        let wide = group.lanes > plan.schedule.lanes
        // The block's first channel `first + b * lanes`, of multiplier `m` in the weights and d.
        let block: [Expr] = group.count > 1 ? [.times(.name("b"), .int(group.lanes))] : []
        let channel: [Expr] = (M > 1 ? [.times(.name("m"), .int(C))] : []) + block
        let xr = Expr.name("xr"), w = Expr.name("w")
        /// Step `r`, tap `k` (nil: the loop's `k`) from the block's first input element.
        let input = { (r: Int, k: Int?) -> Expr in
            k.map { self.advance(xr, [], (r * s + $0 * dl) * C) } ?? self.advance(xr, [.times(.name("k"), .int(dl * C))], r * s * C)
        }
        let accumulators = (0..<rows).map { "a\($0)" }
        var body: [Statement] = [
            .pointer("w", advance(weights, channel, group.first)),
            .pointer("xr", advance(.name("x"), [inputOffset(step: .name("t"), tap: .int(0))] + block, group.first)),
            .vectors(["w0"], [.load(w, wide: wide)], wide: wide, role: .weight),
            .vectors(accumulators, (0..<rows).map { .product(.load(input($0, 0), wide: wide), .name("w0")) }, wide: wide, role: .accumulator(mutated: K > 1)),
        ]
        let accumulate = { (k: Int?) -> [Statement] in
            (0..<rows).map { r in .multiplyAdd("a\(r)", .load(input(r, k), wide: wide), .name("w\(k.map(String.init) ?? "k")")) }
        }
        if plan.schedule.unrollsTaps {
            for k in 1..<max(K, 1) {
                body += [.vectors(["w\(k)"], [.load(.offset(w, .int(k * CM)), wide: wide)], wide: wide, role: .weight)] + accumulate(k)
            }
        } else {
            body.append(.loop("k", from: .int(1), to: .int(K), [.vectors(["wk"], [.load(.offset(w, .times(.name("k"), .int(CM))), wide: wide)], wide: wide, role: .weight)]
                + accumulate(nil)))
        }
        body += (0..<rows).map { r in .store(advance(.name("d"), channel, r * CM + group.first), "a\(r)", wide: wide) }
        // `b` is declared by its loop: the 512-bit and 32-byte branches may not both have one.
        let headers: [Header] = (M > 1 ? [.loop("m", from: 0, to: M)] : []) + [group.count == 1 ? .scope : .counting("b", from: 0, to: group.count)]
        return [.nest(headers, body)]
    }

    // MARK: The loops kernel's item

    /// The `loops` kernel's item: the schedule's tiles in order, each its
    /// depthwise stage, its pointwise stage and its store.
    var loopsItem: Routine { item(portable: false) }

    /// The scalar C99 path's item: `loopsItem`, without the `finish` calls
    /// where the schedule `fusesActivation`, and with its `leadingPartialSteps`.
    var portableItem: Routine { item(portable: true) }

    /// The item of the vector path or (`portable`) of the scalar one.
    private func item(portable: Bool) -> Routine {
        let schedule = plan.schedule, T = schedule.tile, CM = plan.depthwiseChannels
        let finishing = !(portable && schedule.fusesActivation), partial = portable ? schedule.leadingPartialSteps : 0
        let (x, y, d, o) = (Expr.name("x"), Expr.name("y"), Expr.name("d"), Expr.name("o"))
        let weights: [Expr] = options.passesWeights && plan.convolution.hasDepthwiseKernel ? [.weights("depthwise")] : []
        let store = { (t: Expr, n: Int) -> [Statement] in
            if schedule.needsOutputTile { return [.call(.symbol(Routine.finishName), [o, y, t, .int(n)])] }
            return finish == nil || !finishing ? [] : [.call(.symbol(Routine.finishName), [.offset(y, .times(t, .int(self.F))), .int(n)])]
        }
        var tiles: [Statement] = []
        for tile in schedule.tiles {
            switch tile {
            case .interior(let start, let count):
                let t = Expr.name("t")
                let destination = schedule.needsOutputTile ? o : .offset(y, .times(t, .int(F)))
                let statements: [Statement] = [.call(.symbol("depthwise_\(T)"), [x, d, t] + weights),
                                                .call(.symbol("pointwise_\(T)"), [d, destination])] + store(t, T)
                tiles.append(.comment([.text("steps "), .through(start, start + count * T - 1), .text(": interior")]))
                if count == 1 && !options.loopsEveryRun {
                    tiles.append(.declaring([.constant("t", .int(start))] + statements))
                } else {
                    tiles.append(.loop("i", from: .int(0), to: .int(count), [.constant("t", .sum([.int(start), .times(.name("i"), .int(T))]))] + statements))
                }
            case .border(let start, let steps):
                tiles.append(.comment([.text("steps "), .through(start, start + steps.count - 1)]))
                if partial > 0 && start == 0 {
                    // The partial steps one by one, then the interior's routine for the tile steps after them (rows past the tile's end).
                    for (r, taps) in steps.prefix(partial).enumerated() {
                        tiles.append(.call(.symbol("depthwise_step"), [x, .offset(d, .int(r * CM)), .int(start + r), .int(taps.first), .int(taps.count)] + weights))
                    }
                    tiles.append(.call(.symbol("depthwise_\(T)"), [x, .offset(d, .int(partial * CM)), .int(start + partial)] + weights))
                } else if schedule.readsAllTaps(steps) {
                    tiles.append(.call(.symbol("depthwise_\(steps.count)"), [x, d, .int(start)] + weights))
                } else {
                    for (r, taps) in steps.enumerated() {
                        tiles.append(.call(.symbol("depthwise_step"), [x, .offset(d, .int(r * CM)), .int(start + r), .int(taps.first), .int(taps.count)] + weights))
                    }
                }
                tiles.append(.call(.symbol("pointwise_\(steps.count)"), [d, schedule.needsOutputTile ? o : .offset(y, .int(start * F))]))
                tiles += store(.int(start), steps.count)
            }
        }
        let buffers = [Buffer(name: "d", count: (T + partial) * CM)] + (schedule.needsOutputTile ? [Buffer(name: "o", count: T * schedule.paddedFilters)] : [])
        var body: [Statement] = [.scratch(buffers, tiles)]
        if plan.epilogue.isEmpty, plan.dataFormat == .channelsFirst, plan.activation.isRowWise, plan.activation != .glu {
            let f = Expr.name("f")
            body.append(.declaring([.loop("f", from: .int(0), to: .int(F), [.call(.symbol("act"), [.offset(y, .times(f, .int(steps))), .int(steps)])])]))
        }
        if epiloguePass != nil { body.append(.call(.symbol("epilogue"), [y])) }
        return Routine(name: Routine.itemName, comment: [.text("One batch item: tiles of \(T) output steps; border tiles read only their steps' own taps.")],
                       parameters: [("x", .input), ("y", .output)], body: body)
    }

    // MARK: The full kernel

    /// The `full` kernel's item: straight-line code, one scope per output step,
    /// every weight a literal in the arithmetic and every padded tap absent.
    var fullItem: Routine {
        let p = plan, (x, y) = (Expr.name("x"), Expr.name("y"))
        var body: [Statement] = p.runs.allSatisfy({ $0.tapCount == 0 }) ? [.unused("x", because: "every tap falls in the padding")] : []
        for run in p.runs {
            for step in run.steps {
                var block: [Statement] = (0..<p.depthwiseChannels).map { j in
                    let (c, m) = (j / p.depthMultiplier, j % p.depthMultiplier)
                    // The dense-tap variant's gather: multiplier m holds tap m itself.
                    let taps = (run.firstTap ..< run.firstTap + run.tapCount).filter { p.convolution.hasDepthwiseKernel || $0 == m }
                    return .sum("d\(j)", taps.map { k in
                        let index = p.dataFormat == .channelsLast
                            ? p.inputStep(forOutput: step, tap: k) * p.inputChannels + c : c * p.inputSteps + p.inputStep(forOutput: step, tap: k)
                        return p.convolution.hasDepthwiseKernel ? .product(.element(x, .int(index)), .real(p.weights.depthwise(k, c, m))) : .element(x, .int(index))
                    })
                }
                block += outputs(step: step)
                body.append(.scope("output step \(step)", block))
            }
        }
        if p.epilogue.isEmpty, p.dataFormat == .channelsFirst, p.activation.isRowWise, p.activation != .glu {
            body += (0..<F).map { f in .call(.symbol("act"), [.offset(y, .int(f * steps)), .int(steps)]) }
        }
        if epiloguePass != nil { body.append(.call(.symbol("epilogue"), [y])) }
        if !p.epilogue.isEmpty { body = [.scratch([Buffer(name: "o", count: p.schedule.paddedFilters)], body)] }
        return Routine(name: Routine.itemName, comment: [.text("One batch item.")], parameters: [("x", .input), ("y", .output)], body: body)
    }

    /// The terms of filter `f`'s pre-activation output: bias, then the
    /// pointwise sum (the depthwise-only variant: depthwise channel f itself).
    private func preactivation(_ f: Int) -> [Expr] {
        (plan.useBias ? [.real(plan.weights.bias(f))] : [])
            + (plan.convolution.hasPointwiseKernel ? (0..<plan.depthwiseChannels).map { j in .product(.name("d\(j)"), .real(plan.weights.pointwise(j, f))) }
                                                   : [.name("d\(f)")])
    }

    /// Filter `f`'s sum, bound to `name` first where the options say so: (statements, the value).
    private func value(_ f: Int, _ name: String) -> ([Statement], Expr) {
        let terms = preactivation(f)
        if options.bindsSums { return ([.sum(name, terms)], .name(name)) }
        return ([], terms.dropFirst().reduce(terms.first ?? .real(0)) { .plus($0, $1) })
    }

    /// The stores of one output step of the `full` kernel.
    private func outputs(step: Int) -> [Statement] {
        let (y, act) = (Expr.name("y"), Expr.symbol("act"))
        if !plan.epilogue.isEmpty {
            // Through a one-step output tile and the epilogue's `finish`.
            return (0..<F).flatMap { f -> [Statement] in
                let (statements, v) = value(f, "a\(f)")
                return statements + [.assign(.element(.name("o"), .int(f)), .set, v)]
            } + [.call(.symbol(Routine.finishName), [.name("o"), y, .int(step), .int(1)])]
        }
        let activate = { (v: Expr) in plan.activation == .linear || plan.activation.isRowWise ? v : .call(act, [v]) }
        switch (plan.dataFormat, plan.activation) {
        case (.channelsLast, .glu):
            return (0..<F / 2).flatMap { f -> [Statement] in
                let (a, av) = value(f, "a\(f)"), (g, gv) = value(f + F / 2, "g\(f)")
                return a + g + [.assign(.element(y, .int(step * (F / 2) + f)), .set, .product(av, .call(act, [gv])))]
            }
        case (.channelsLast, let activation):
            let stores = (0..<F).flatMap { f -> [Statement] in
                let (statements, v) = value(f, "a\(f)")
                return statements + [.assign(.element(y, .int(step * F + f)), .set, activate(v))]
            }
            return stores + (activation.isRowWise ? [.call(act, [.offset(y, .int(step * F)), .int(F)])] : [])
        case (.channelsFirst, .glu):
            let half = steps / 2
            return (0..<F).flatMap { f -> [Statement] in
                let (statements, v) = value(f, "a\(f)")
                return statements + [step < half ? .assign(.element(y, .int(f * half + step)), .set, v)
                                                 : .assign(.element(y, .int(f * half + step - half)), .multiply, .call(act, [v]))]
            }
        case (.channelsFirst, _):
            return (0..<F).flatMap { f -> [Statement] in
                let (statements, v) = value(f, "a\(f)")
                return statements + [.assign(.element(y, .int(f * steps + step)), .set, activate(v))]
            }
        }
    }
}
