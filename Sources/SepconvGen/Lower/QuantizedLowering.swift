/// A helper of C's int8 vector paths, spelled for each target by `VectorGuard.int8Helper`.
enum Int8VectorHelper: String {
    /// Adds `vectorTile` consecutive input channels' products over a step's taps into `sums`.
    case depthwise8
    /// Adds a block of `vectorTile` filters' products over the whole intermediate into `sums`.
    case dot8
    /// Requantizes `vectorTile` sums in the one-step form (`FixedPoint.requantizeInOneStep`).
    case requantize8
}

/// Lowers an int8 plan (`LayerPlan.quantized`) to the kernel program once,
/// for both languages: the integer tables, the requantization helper and
/// the routines of one batch item. `CPrinter` and `SwiftPrinter` only spell it.
///
/// Per output step the depthwise stage sums `bias_run[ch] + Σ w·x` over the
/// taps of the step's run (the input zero point folded into the run's
/// bias), requantizes into the int8 intermediate; the pointwise stage sums
/// `bias[f] + Σ w·y` (the intermediate zero point folded in) and requantizes
/// into the output. Sums are int32: every partial sum stays within
/// `QuantizedPlan.accumulatorBound` < 2^31, which the planner checks.
struct QuantizedLowering {
    let plan: LayerPlan
    let quantized: QuantizedPlan
    let language: TargetLanguage

    /// Whether the kernel may take paths for the target's vector or DSP
    /// instructions: C selects them with the preprocessor's feature macros
    /// (`__AVX2__`, `__ARM_NEON`, `__ARM_FEATURE_DSP`); Swift's `#if` tells
    /// the architecture, not its features, so Swift keeps the plain loops.
    var selectsTargetPaths: Bool { language == .c }

    /// The lowering of `plan`, which must be an int8 plan, for `language`.
    init?(plan: LayerPlan, language: TargetLanguage) {
        guard let quantized = plan.quantized else { return nil }
        self.plan = plan
        self.quantized = quantized
        self.language = language
    }

    /// The kernel of `strategy` as a module, built once: the tables every
    /// path reads (`loops`), the routines that differ by target (C's vector
    /// paths, then its DSP path, beside the plain one), then the other
    /// routines. Its stack bound is the intermediate step and, on the DSP
    /// and vector paths, their widened pairs and sums.
    func module(_ strategy: UnrollStrategy) -> KernelModule {
        // A layer with no output step reads nothing: its item alone.
        guard plan.convolutionSteps > 0 else { return KernelModule(int8Tables: [], sections: [.routines([fullItem])]) }
        switch strategy {
        case .full: return KernelModule(int8Tables: [], sections: [.routines([requantize(saturating: false), fullItem])])
        case .loops:
            let rounding = roundingTables("dw", quantized.depthwise, per: "channel") + roundingTables("pw", quantized.pointwise, per: "filter")
            let plain = KernelModule.GuardedCode(tables: [depthwiseTable, pointwiseTable] + rounding, routines: [requantize(saturating: false), depthwise, pointwise])
            guard selectsTargetPaths else { return KernelModule(int8Tables: tables + plain.tables, sections: [.routines(plain.routines + [loopsItem])]) }
            // A vector path declares the one-by-one requantization and its tables only where some value of the stage takes it.
            let oneByOne = quantized.vectorRequantizesOneByOne
            let vectorRounding = (oneByOne.depthwise ? roundingTables("dw", quantized.depthwise, per: "channel") : [])
                + (oneByOne.pointwise ? roundingTables("pw", quantized.pointwise, per: "filter") : [])
            let vector = quantized.vectorTargets.map { target in
                KernelModule.TargetPath(
                    target: target,
                    code: KernelModule.GuardedCode(
                        includes: [target == .x86AVX2 ? "<immintrin.h>" : "<arm_neon.h>"], tables: vectorTables + vectorRounding,
                        routines: (oneByOne.depthwise || oneByOne.pointwise ? [requantize(saturating: false)] : []) + [vectorDepthwise, vectorPointwise]),
                    vectorHelpers: vectorHelpers)
            }
            let dsp = KernelModule.TargetPath(target: .armDSP, code: KernelModule.GuardedCode(
                includes: ["<arm_acle.h>", "<string.h>"], tables: [depthwisePairsTable, pointwisePairsTable] + rounding,
                routines: [requantize(saturating: true), dualDepthwise, dualPointwise]))
            return KernelModule(int8Tables: tables, sections: [.guarded(vector + [dsp], fallback: plain), .routines([loopsItem])])
        }
    }

    /// The `loops` kernels' tables every path reads: one folded depthwise
    /// bias table per step run, the pointwise bias, and per channel the
    /// requantization's multiplier (the paths add their weights and `roundingTables`).
    var tables: [Statement] {
        let q = quantized
        let biases = q.depthwiseBiases.joined().map(Int.init)
        return [
            .integerTable("dw_bias", comment: "Depthwise bias per step run and channel, the input zero point folded in over the run's taps.",
                          biases, IntegerType.holding(biases)),
            multiplierTable("dw", q.depthwise, per: "channel"),
            .integerTable("pw_bias", comment: "Pointwise bias per filter, the intermediate zero point folded in.",
                          q.pointwiseBias.map(Int.init), IntegerType.holding(q.pointwiseBias.map(Int.init))),
            multiplierTable("pw", q.pointwise, per: "filter"),
        ]
    }

    /// The plain depthwise stage's weights.
    var depthwiseTable: Statement {
        .integerTable("dw_weights", comment: "Depthwise weights, int8, [channel][tap] (channel = c * \(plan.depthMultiplier) + m).",
                      quantized.depthwiseWeights.map(Int.init), .int8)
    }

    /// The DSP depthwise stage's weights (`QuantizedPlan.depthwisePairs`).
    var depthwisePairsTable: Statement {
        .integerTable("dw_pairs", comment: "Depthwise weights as int16 pairs in 32-bit words, in the order the dual multiply-accumulates read them.",
                      quantized.depthwisePairs().map(Int.init), .int32)
    }

    /// The plain pointwise stage's weights (`QuantizedPlan.pointwiseTiles`).
    var pointwiseTable: Statement {
        .integerTable("pw_weights", comment: "Pointwise weights, int8, [block of \(QuantizedPlan.pointwiseTile) filters][channel][filter of the block].",
                      quantized.pointwiseTiles().map(Int.init), .int8)
    }

    /// The vector paths' weights (`QuantizedPlan.vectorDepthwiseWeights`,
    /// `vectorPairs`) and, for each stage they requantize by vectors, its
    /// offsets and shifts as int32, the lanes' width.
    var vectorTables: [Statement] {
        let q = quantized
        var tables: [Statement] = [
            .integerTable("dw_vector", comment: "Depthwise weights, int8, [m][tap][c].", q.vectorDepthwiseWeights().map(Int.init), .int8),
            .integerTable("pw_vector", comment: "Pointwise weights, int8, [block of \(QuantizedPlan.vectorTile) filters][channel pair][filter of the block][2].",
                          q.vectorPairs().map(Int.init), .int8),
        ]
        for (stage, r, used) in [("dw", q.depthwise, q.vectorRequantizes.depthwise), ("pw", q.pointwise, q.vectorRequantizes.pointwise)] where used {
            tables += [.integerTable("\(stage)_voffset", comment: "Requantization offsets as int32, for the vector loads.", (r.offsets ?? []).map(Int.init), .int32),
                       .integerTable("\(stage)_vshift", comment: "Requantization right shifts as int32, for the vector loads.", r.shifts.map { -$0 }, .int32)]
        }
        return tables
    }

    /// The helpers the vector paths call: the depthwise one only where a
    /// block of input channels fills the vector, `requantize8` where a stage requantizes by vectors.
    var vectorHelpers: [Int8VectorHelper] {
        let q = quantized
        return (q.channels >= QuantizedPlan.vectorTile ? [.depthwise8] : []) + [.dot8]
            + (q.vectorRequantizes.depthwise || q.vectorRequantizes.pointwise ? [.requantize8] : [])
    }

    /// A call of `requantize8` on `sums` for the `vectorTile` channels of `stage` from `first` into `target`.
    private func requantize8(_ stage: String, _ r: QuantizedPlan.Requantization, first: Expr, into target: Expr) -> Statement {
        .call(.symbol("requantize8"), [.name("sums"), .offset(.weights("\(stage)_multiplier"), first), .offset(.weights("\(stage)_voffset"), first),
                                       .offset(.weights("\(stage)_vshift"), first), .int(r.clamp.lowerBound), .int(r.clamp.upperBound), .offset(target, first)])
    }

    /// `loops`, C on the vector targets: the depthwise stage of one step,
    /// `vectorTile` input channels at once for each multiplier m
    /// (`depthwise8`), requantized by `requantize8` where the plan says so,
    /// else one by one; the channels past the last block one by one.
    var vectorDepthwise: Routine {
        let (C, M, K, CM, tile) = (plan.inputChannels, plan.depthMultiplier, plan.kernelSize, plan.depthwiseChannels, QuantizedPlan.vectorTile)
        let (g, m, c, j) = (Expr.name("g"), Expr.name("m"), Expr.name("c"), Expr.name("j"))
        let first = Expr.times(g, .int(tile))
        func channel(_ c: Expr) -> Expr { .sum([.times(c, .int(M)), m]) }
        func bias(_ c: Expr) -> Expr { .convert(.element(.weights("dw_bias"), .sum([.times(.name("run"), .int(CM)), channel(c)])), .int32) }
        let tap = Expr.times(.group(.sum([.times(m, .int(K)), .name("first")])), .int(C))
        let sum = { (i: Int) in Expr.element(.name("sums"), .int(i)) }
        var body: [Statement] = []
        if C >= tile {
            let lanes = (0..<tile).map { Expr.sum([first, .int($0)]) }
            let requantized: [Statement] = quantized.vectorRequantizes.depthwise
                ? [requantize8("dw", quantized.depthwise, first: first, into: .name("mid"))]
                : lanes.indices.map { .assign(.element(.name("mid"), channel(lanes[$0])), .set, requantizeCall(sum($0), "dw", channel(lanes[$0]))) }
            body.append(.loop("g", from: .int(0), to: .int(C / tile), [
                .loop("m", from: .int(0), to: .int(M), lanes.indices.map { .assign(sum($0), .set, bias(lanes[$0])) } + [
                    .call(.symbol("depthwise8"), [.offset(.name("x"), first), .offset(.weights("dw_vector"), .sum([tap, first])), .name("count"),
                                                  .int(plan.dilation * C), .int(C), .name("sums")]),
                ] + requantized),
            ]))
        }
        if C % tile != 0 {
            let weight = Expr.element(.weights("dw_vector"), .sum([tap, .times(j, .int(C)), c]))
            body.append(.loop("c", from: .int(C / tile * tile), to: .int(C), [
                .loop("m", from: .int(0), to: .int(M), [
                    .integer("acc", bias(c), .int32, mutable: true),
                    .loop("j", from: .int(0), to: .name("count"), [
                        .assign(.name("acc"), .add, .times(.convert(weight, .int32), .convert(.element(.name("x"), .sum([.times(j, .int(plan.dilation * C)), c])), .int32))),
                    ]),
                    .assign(.element(.name("mid"), channel(c)), .set, requantizeCall(.name("acc"), "dw", channel(c))),
                ]),
            ]))
        }
        return Routine(
            name: "depthwise",
            comment: [.text("The depthwise stage of one step: `count` taps from `first`, x at the first of them, the bias of step run `run`; \(tile) channels per depthwise8.")],
            parameters: [("x", .input), ("first", .integer), ("count", .integer), ("run", .integer), ("mid", .output)],
            body: C >= tile ? [.scratch([Buffer(name: "sums", count: tile, type: .int32)], body)] : body)
    }

    /// The DSP pointwise stage's weights (`QuantizedPlan.pointwisePairs`).
    var pointwisePairsTable: Statement {
        .integerTable("pw_pairs", comment: "Pointwise weights as int16 pairs in 32-bit words, in the order the dual multiply-accumulates read them.",
                      quantized.pointwisePairs().map(Int.init), .int32)
    }

    /// A stage's multipliers.
    private func multiplierTable(_ stage: String, _ r: QuantizedPlan.Requantization, per what: String) -> Statement {
        .integerTable("\(stage)_multiplier", comment: "Requantization multipliers (Q31), per \(what).", r.multipliers.map(Int.init), .int32)
    }

    /// A stage's shifts, and its offsets in the one-step form (in the narrowest type that holds them: the same one load, fewer bytes).
    private func roundingTables(_ stage: String, _ r: QuantizedPlan.Requantization, per what: String) -> [Statement] {
        guard let offsets = r.offsets else {
            return [.integerTable("\(stage)_shift", comment: "Requantization shifts, per \(what).", r.shifts, .int8)]
        }
        return [.integerTable("\(stage)_offset", comment: "Requantization offsets 2^(r-1) + zero point * 2^r, per \(what).", offsets.map(Int.init),
                              IntegerType.holding(offsets.map(Int.init))),
                .integerTable("\(stage)_shift", comment: "Requantization right shifts r, per \(what).", r.shifts.map { -$0 }, .int8)]
    }

    /// TFLite's `MultiplyByQuantizedMultiplier`, then the zero point and
    /// the clamp (`FixedPoint`): the left shift as a multiplication by a
    /// power of two in int64 (the planner checks that the int32 product
    /// TFLite forms cannot overflow, so it is the same number), the rounding
    /// doubling high multiply, the rounding right shift (an arithmetic
    /// `>>`: C99 leaves a negative operand's shift to the implementation,
    /// every C compiler sepconv-gen targets shifts arithmetically).
    /// The requantization routine; `saturating`: C's DSP path, which clamps with `__ssat` as `QuantizedPlan.saturation` says.
    func requantize(saturating: Bool) -> Routine {
        quantized.roundsInOneStep ? requantizeInOneStep(saturating: saturating ? quantized.saturation : .clamp) : requantizeStepByStep
    }

    /// `FixedPoint.requantizeInOneStep`: one int64 multiply-add, the high
    /// word, the sign, one shift and the clamp (the zero point is in `offset`).
    func requantizeInOneStep(saturating saturation: QuantizedPlan.Saturation) -> Routine {
        let (doubled, high) = (Expr.name("doubled"), Expr.name("high"))
        let product = Expr.times(.convert(doubled, .int64), .convert(.name("multiplier"), .int64))
        // The constant terms summed first: the two words of 2^32 * offset + 2^31 are then offset and 2^31,
        // the multiply-accumulate's (smlal's) starting value, with no add of its own.
        let sum = Expr.sum([product, .group(.sum([.times(.convert(.name("offset"), .int64), .convert(.int(1 << 32), .int64)), .convert(.int(1 << 31), .int64)]))])
        return Routine(
            name: "requantize",
            comment: [.text("acc * multiplier * 2^(-31 - shift) rounded twice as TFLite rounds it, plus the zero point in `offset`, clamped to least ... most.")],
            returns: .integer(.int8),
            parameters: [("acc", .value(.int32)), ("multiplier", .value(.int32)), ("offset", .value(.int32)), ("shift", .value(.int32)),
                         ("least", .value(.int32)), ("most", .value(.int32))],
            body: [
                .integer("doubled", .sum([.name("acc"), .name("acc")]), .int32, mutable: false),
                .comment([.text("The high word of 2^32 * offset + 2 * acc * multiplier + 2^31, less one below zero: both roundings at once (FixedPoint).")]),
                .integer("high", .sum([.convert(.shiftRight(.group(sum), .int(32)), .int32), .shiftRight(doubled, .int(31))]), .int32, mutable: false),
            ] + clamp(.shiftRight(high, .name("shift")), saturation))
    }

    /// `value` clamped to least ... most, returned as int8: with `__ssat` as `saturation` says.
    private func clamp(_ value: Expr, _ saturation: QuantizedPlan.Saturation) -> [Statement] {
        let (scaled, least, most) = (Expr.name("scaled"), Expr.name("least"), Expr.name("most"))
        let saturated = Expr.call(.name("__ssat"), [value, .int(8)])
        switch saturation {
        case .int8:
            return [.unused("least", because: "__ssat clamps to int8"), .unused("most", because: "__ssat clamps to int8"),
                    .result(.convert(saturated, .int8))]
        case .int8ThenLeast:
            return [.unused("most", because: "__ssat clamps to 127"), .integer("scaled", saturated, .int32, mutable: false),
                    .result(.convert(.select(.less(scaled, least), least, scaled), .int8))]
        case .clamp:
            return [.integer("scaled", value, .int32, mutable: false),
                    .result(.convert(.select(.less(scaled, least), least, .group(.select(.less(most, scaled), most, scaled))), .int8))]
        }
    }

    /// TFLite's steps one by one, for a layer whose channels do not all fit the one-step form.
    var requantizeStepByStep: Routine {
        let (acc, multiplier, shift) = (Expr.name("acc"), Expr.name("multiplier"), Expr.name("shift"))
        let (left, right, product, rounded) = (Expr.name("left"), Expr.name("right"), Expr.name("product"), Expr.name("rounded"))
        let (mask, threshold, scaled, least, most) = (Expr.name("mask"), Expr.name("threshold"), Expr.name("scaled"), Expr.name("least"), Expr.name("most"))
        let one64 = Expr.convert(.int(1), .int64)
        let positive = Expr.less(.int(0), shift)
        return Routine(
            name: "requantize",
            comment: [.text("acc * multiplier * 2^(shift - 31) rounded as TFLite rounds it, plus `zero`, clamped to least ... most.")],
            returns: .integer(.int8),
            parameters: [("acc", .value(.int32)), ("multiplier", .value(.int32)), ("shift", .value(.int32)),
                         ("zero", .value(.int32)), ("least", .value(.int32)), ("most", .value(.int32))],
            body: [
                .integer("left", .select(positive, shift, .int(0)), .int32, mutable: false),
                .integer("right", .select(positive, .int(0), .minus(.int(0), shift)), .int32, mutable: false),
                .integer("product", .times(.times(.convert(acc, .int64), .shiftLeft(one64, left)), .convert(multiplier, .int64)), .int64, mutable: false),
                .comment([.text("The high half of 2 * product, rounded to nearest (a tie up).")]),
                .integer("rounded", .convert(.quotient(.sum([product, .group(.select(.less(product, .int(0)), .int(1 - (1 << 30)), .int(1 << 30)))]),
                                                       .shiftLeft(one64, .int(31))), .int32), .int32, mutable: false),
                .comment([.text("Divided by 2^right, rounded half away from zero.")]),
                .integer("mask", .convert(.minus(.shiftLeft(one64, right), .int(1)), .int32), .int32, mutable: false),
                .integer("threshold", .sum([.shiftRight(mask, .int(1)), .group(.select(.less(rounded, .int(0)), .int(1), .int(0)))]), .int32, mutable: false),
                .integer("scaled", .sum([.shiftRight(rounded, right), .group(.select(.less(threshold, .bitAnd(rounded, mask)), .int(1), .int(0))), .name("zero")]),
                         .int32, mutable: false),
                .result(.convert(.select(.less(scaled, least), least, .group(.select(.less(most, scaled), most, scaled))), .int8)),
            ])
    }

    /// The requantization of `acc` for channel `channel` of `stage` (`"dw"`, `"pw"`): its
    /// constants read from the stage's tables at `channel`, or (`full`, a number) literals.
    private func requantizeCall(_ acc: Expr, _ name: String, _ channel: Expr) -> Expr {
        let stage = name == "dw" ? quantized.depthwise : quantized.pointwise
        let clamp = [Expr.int(stage.clamp.lowerBound), .int(stage.clamp.upperBound)]
        let literal: Int? = if case .int(let index) = channel { index } else { nil }
        func constant(_ table: String, _ values: [Int]) -> Expr {
            literal.map { .int(values[$0]) } ?? .element(.weights("\(name)_\(table)"), channel)
        }
        let multiplier = constant("multiplier", stage.multipliers.map(Int.init))
        guard let offsets = stage.offsets, quantized.roundsInOneStep else {
            let shift = literal.map { Expr.int(stage.shifts[$0]) } ?? .convert(.element(.weights("\(name)_shift"), channel), .int32)
            return .call(.symbol("requantize"), [acc, multiplier, shift, .int(stage.zeroPoint)] + clamp)
        }
        let shift = literal.map { Expr.int(-stage.shifts[$0]) } ?? .convert(.element(.weights("\(name)_shift"), channel), .int32)
        // An offset table may be int16 (`requantizationTables`): converted, as Swift does not widen implicitly.
        let offset = literal.map { Expr.int(Int(offsets[$0])) } ?? .convert(.element(.weights("\(name)_offset"), channel), .int32)
        return .call(.symbol("requantize"), [acc, multiplier, offset, shift] + clamp)
    }

    /// `loops`: the depthwise stage of one step, from the input at the step's
    /// first tap that reads it: `count` taps from kernel position `first`,
    /// the bias of step run `run`.
    var depthwise: Routine {
        let (C, M, K) = (plan.inputChannels, plan.depthMultiplier, plan.kernelSize)
        let (ch, acc, j) = (Expr.name("ch"), Expr.name("acc"), Expr.name("j"))
        let weight = Expr.element(.weights("dw_weights"), .sum([.times(ch, .int(K)), .name("first"), j]))
        let input = Expr.element(.name("x"), .sum([.times(j, .int(plan.dilation * C)), .name("c")]))
        return Routine(
            name: "depthwise",
            comment: [.text("The depthwise stage of one step: `count` taps from `first`, x at the first of them, the bias of step run `run`.")],
            parameters: [("x", .input), ("first", .integer), ("count", .integer), ("run", .integer), ("mid", .output)],
            body: [
                .loop("c", from: .int(0), to: .int(C), [
                    .loop("m", from: .int(0), to: .int(M), [
                        .constant("ch", .sum([.times(.name("c"), .int(M)), .name("m")])),
                        .integer("acc", .convert(.element(.weights("dw_bias"), .sum([.times(.name("run"), .int(C * M)), ch])), .int32), .int32, mutable: true),
                        .loop("j", from: .int(0), to: .name("count"), [.assign(acc, .add, .times(.convert(weight, .int32), .convert(input, .int32)))]),
                        .assign(.element(.name("mid"), ch), .set,
                                requantizeCall(acc, "dw", ch)),
                    ]),
                ]),
            ])
    }

    /// `loops`, C on a core with the DSP extension: the depthwise stage of
    /// one step, `dualGroup` input channels a load, widened by `__sxtb16`
    /// to the pairs (c, c + 2) and (c + 1, c + 3), each lane multiplied
    /// into its channel's sum (`__smlabb`, `__smlatt`); the channels past
    /// the last group one by one (`QuantizedPlan.depthwisePairs`).
    var dualDepthwise: Routine {
        let (C, M, K, group) = (plan.inputChannels, plan.depthMultiplier, plan.kernelSize, QuantizedPlan.dualGroup)
        let groups = C / group
        let (g, m, j, word) = (Expr.name("g"), Expr.name("m"), Expr.name("j"), Expr.name("word"))
        let row = Expr.times(j, .int(plan.dilation * C))
        func channel(_ c: Expr) -> Expr { .sum([.times(c, .int(M)), m]) }
        func bias(_ c: Expr) -> Expr { .convert(.element(.weights("dw_bias"), .sum([.times(.name("run"), .int(C * M)), channel(c)])), .int32) }
        let lanes = (0..<group).map { Expr.sum([.times(g, .int(group)), .int($0)]) }
        // Lane i of the group: its pair word (even lanes in the first) and half (__smlabb low, __smlatt high).
        let pairs = (0..<group).map { i in (word: i % 2 == 0 ? "even" : "odd", weight: i % 2 == 0 ? "low" : "high", top: i >= 2) }
        let pairIndex = Expr.sum([.times(.group(.sum([.times(g, .int(M)), m])), .int(2 * K)), .times(.group(.sum([.name("first"), j])), .int(2))])
        var body: [Statement] = []
        if groups > 0 {
            body.append(.loop("g", from: .int(0), to: .int(groups), [
                .loop("m", from: .int(0), to: .int(M),
                      lanes.indices.map { .integer("acc\($0)", bias(lanes[$0]), .int32, mutable: true) }
                      + [.loop("j", from: .int(0), to: .name("count"), [
                          .integer("word", .int(0), .int32, mutable: true),
                          .call(.name("memcpy"), [.address("word"), .offset(.name("x"), .sum([row, .times(g, .int(group))])), .int(4)]),
                          .integer("even", .call(.name("__sxtb16"), [word]), .int32, mutable: false),
                          .integer("odd", .call(.name("__sxtb16"), [.shiftRight(word, .int(8))]), .int32, mutable: false),
                          .integer("low", .element(.weights("dw_pairs"), pairIndex), .int32, mutable: false),
                          .integer("high", .element(.weights("dw_pairs"), .sum([pairIndex, .int(1)])), .int32, mutable: false),
                      ] + pairs.indices.map { i in
                          .assign(.name("acc\(i)"), .set, .call(.name(pairs[i].top ? "__smlatt" : "__smlabb"), [.name(pairs[i].word), .name(pairs[i].weight), .name("acc\(i)")]))
                      })]
                      + lanes.indices.map { .assign(.element(.name("mid"), channel(lanes[$0])), .set, requantizeCall(.name("acc\($0)"), "dw", channel(lanes[$0]))) }),
            ]))
        }
        if C % group != 0 {
            let c = Expr.name("c")
            let tail = Expr.sum([.int(2 * groups * M * K), .times(.group(.sum([.times(.group(.minus(c, .int(groups * group))), .int(M)), m])), .int(K)), .name("first"), j])
            body.append(.loop("c", from: .int(groups * group), to: .int(C), [
                .loop("m", from: .int(0), to: .int(M), [
                    .integer("acc", bias(c), .int32, mutable: true),
                    .loop("j", from: .int(0), to: .name("count"), [
                        .assign(.name("acc"), .add, .times(.element(.weights("dw_pairs"), tail), .convert(.element(.name("x"), .sum([row, c])), .int32))),
                    ]),
                    .assign(.element(.name("mid"), channel(c)), .set, requantizeCall(.name("acc"), "dw", channel(c))),
                ]),
            ]))
        }
        return Routine(
            name: "depthwise",
            comment: [.text("The depthwise stage of one step: `count` taps from `first`, x at the first of them, the bias of step run `run`; two channels per __sxtb16.")],
           
            parameters: [("x", .input), ("first", .integer), ("count", .integer), ("run", .integer), ("mid", .output)],
            body: body)
    }

    /// `loops`: the pointwise stage of one step, from the int8 intermediate:
    /// blocks of `QuantizedPlan.pointwiseTile` filters, each intermediate
    /// value loaded once per block (`pointwiseTiles`).
    var pointwise: Routine {
        let CM = plan.depthwiseChannels
        let (ch, value) = (Expr.name("ch"), Expr.name("value"))
        return pointwiseRoutine(dual: false, tile: QuantizedPlan.pointwiseTile, words: CM) { width, base in
            [.loop("ch", from: .int(0), to: .int(CM),
                   [.integer("value", .convert(.element(.name("mid"), ch), .int32), .int32, mutable: false)]
                   + (0..<width).map { i in
                       .assign(.name("acc\(i)"), .add, .times(.convert(.element(.weights("pw_weights"), .sum([base, .times(ch, .int(width)), .int(i)])), .int32), value))
                   })]
        }
    }

    /// `loops`, C on a core with the DSP extension: the pointwise stage with
    /// two multiply-adds per `__smlad`, the intermediate read four channels
    /// at a time and widened by `__sxtb16` (`QuantizedPlan.pointwisePairs`):
    /// once per step into the stack buffer `pairs` where the plan says so
    /// (`QuantizedPlan.widensIntermediateOnce`), else once per block of filters.
    var dualPointwise: Routine {
        let (CM, group) = (plan.depthwiseChannels, QuantizedPlan.dualGroup)
        let groups = CM / group
        let (g, word) = (Expr.name("g"), Expr.name("word"))
        let once = quantized.widensIntermediateOnce
        let widen: [Statement] = [
            .integer("word", .int(0), .int32, mutable: true),
            .call(.name("memcpy"), [.address("word"), .offset(.name("mid"), .times(g, .int(group))), .int(4)]),
        ]
        let halves = [Expr.call(.name("__sxtb16"), [word]), .call(.name("__sxtb16"), [.shiftRight(word, .int(8))])]
        let pair = { (half: Int) in Expr.element(.name("pairs"), .sum([.times(g, .int(2)), .int(half)])) }
        let scratch = once ? (Buffer(name: "pairs", count: 2 * groups, type: .int32),
                              [Statement.loop("g", from: .int(0), to: .int(groups), widen + halves.indices.map { .assign(pair($0), .set, halves[$0]) })]) : nil
        return pointwiseRoutine(dual: true, tile: quantized.dualPointwiseTile, words: 2 * groups + CM % group, scratch: scratch) { width, base in
            let load: [Statement] = once ? [.integer("even", pair(0), .int32, mutable: false), .integer("odd", pair(1), .int32, mutable: false)]
                : widen + [.integer("even", halves[0], .int32, mutable: false), .integer("odd", halves[1], .int32, mutable: false)]
            let pairs = groups == 0 ? [] : [Statement.loop("g", from: .int(0), to: .int(groups), load + (0..<width).flatMap { i in
                ["even", "odd"].enumerated().map { half, name in
                    Statement.assign(.name("acc\(i)"), .set, .call(.name("__smlad"), [
                        .name(name), .element(.weights("pw_pairs"), .sum([base, .times(g, .int(2 * width)), .int(2 * i + half)])), .name("acc\(i)")]))
                }
            })]
            var rest: [Statement] = []
            for ch in groups * group ..< CM {
                let value = Expr.convert(.element(.name("mid"), .int(ch)), .int32)
                for i in 0..<width {
                    let index = 2 * groups * width + (ch - groups * group) * width + i
                    rest.append(.assign(.name("acc\(i)"), .add, .times(.element(.weights("pw_pairs"), .sum([base, .int(index)])), value)))
                }
            }
            return pairs + rest
        }
    }

    /// `loops`, C on the vector targets (`QuantizedPlan.vectorTargets`): the
    /// pointwise stage of one step, the intermediate as int16 pairs of
    /// channels in 32-bit words (the last one's high half zero where the
    /// channels are odd), each block of `vectorTile` filters summed by the
    /// target's `dot8` helper (`VectorGuard.int8DotHelper`), then requantized
    /// one by one as on the plain path.
    var vectorPointwise: Routine {
        let (CM, F, tile) = (plan.depthwiseChannels, plan.filters, QuantizedPlan.vectorTile)
        let (pairs, p, b) = ((CM + 1) / 2, Expr.name("p"), Expr.name("b"))
        func channel(_ index: Expr) -> Expr { .convert(.element(.name("mid"), index), .int32) }
        func low(_ index: Expr) -> Expr { .bitAnd(channel(index), .int(0xFFFF)) }
        var body: [Statement] = [.loop("p", from: .int(0), to: .int(CM / 2), [
            .assign(.element(.name("pairs"), p), .set, .sum([low(.times(p, .int(2))), .times(channel(.sum([.times(p, .int(2)), .int(1)])), .int(1 << 16))])),
        ])]
        if CM % 2 != 0 { body.append(.assign(.element(.name("pairs"), .int(pairs - 1)), .set, low(.int(CM - 1)))) }
        func block(first: Expr, width: Int) -> [Statement] {
            let filter = { (i: Int) in Expr.sum([first, .int(i)]) }
            let sum = { (i: Int) in Expr.element(.name("sums"), .int(i)) }
            let requantized: [Statement] = width == tile && quantized.vectorRequantizes.pointwise
                ? [requantize8("pw", quantized.pointwise, first: first, into: .name("y"))]
                : (0..<width).map { .assign(.element(.name("y"), filter($0)), .set, requantizeCall(sum($0), "pw", filter($0))) }
            return (0..<tile).map { .assign(sum($0), .set, $0 < width ? .convert(.element(.weights("pw_bias"), filter($0)), .int32) : .int(0)) }
                + [.call(.symbol("dot8"), [.name("pairs"), .offset(.weights("pw_vector"), .times(first, .int(2 * pairs))), .int(pairs), .name("sums")])]
                + requantized
        }
        if F >= tile { body.append(.loop("b", from: .int(0), to: .int(F / tile), block(first: .times(b, .int(tile)), width: tile))) }
        if F % tile != 0 { body.append(.declaring(block(first: .int(F / tile * tile), width: F % tile))) }
        return Routine(
            name: "pointwise",
            comment: [.text("The pointwise stage of one step, from the depthwise stage's int8 values, \(tile) filters per dot8.")],
            parameters: [("mid", .input), ("y", .output)],
            body: [.scratch([Buffer(name: "pairs", count: pairs, type: .int32), Buffer(name: "sums", count: tile, type: .int32)], body)])
    }

    /// The pointwise routine around `sums(width, base)`, the statements that
    /// add a block of `width` (`tile`, the last block the rest) filters into `acc0 ...` from its weights at
    /// `base` (`words` weights per filter): the whole blocks in a loop, then the rest;
    /// after `scratch`'s statements, with its buffer on the stack, where given.
    private func pointwiseRoutine(dual: Bool, tile: Int, words: Int, scratch: (Buffer, [Statement])? = nil, _ sums: (Int, Expr) -> [Statement]) -> Routine {
        let F = plan.filters
        func block(_ width: Int, first: Expr, base: Expr) -> [Statement] {
            let filter = { (i: Int) in Expr.sum([first, .int(i)]) }
            return (0..<width).map { .integer("acc\($0)", .convert(.element(.weights("pw_bias"), filter($0)), .int32), .int32, mutable: true) }
                + sums(width, base)
                + (0..<width).map { .assign(.element(.name("y"), filter($0)), .set, requantizeCall(.name("acc\($0)"), "pw", filter($0))) }
        }
        let b = Expr.name("b")
        var body: [Statement] = []
        if F >= tile {
            body.append(.loop("b", from: .int(0), to: .int(F / tile), block(tile, first: .times(b, .int(tile)), base: .times(b, .int(tile * words)))))
        }
        if F % tile != 0 {
            body.append(.declaring(block(F % tile, first: .int(F / tile * tile), base: .int(F / tile * tile * words))))
        }
        return Routine(
            name: "pointwise",
            comment: [.text(dual ? "The pointwise stage of one step, from the depthwise stage's int8 values, two multiply-adds per __smlad."
                                 : "The pointwise stage of one step, from the depthwise stage's int8 values.")],
           
            parameters: [("mid", .input), ("y", .output)],
            body: scratch.map { [.scratch([$0.0], $0.1 + body)] } ?? body)
    }

    /// Where step `t`'s first reading tap falls in the input, as an offset
    /// from `x` (its runs' taps start at `first`); `t` a name or a number.
    private func origin(_ t: Expr, firstTap: Int) -> Expr {
        let C = plan.inputChannels
        let constant = (firstTap * plan.dilation - plan.padLeft) * C
        let scaled = Expr.times(t, .int(plan.stride * C))
        return constant == 0 ? scaled : constant > 0 ? .sum([scaled, .int(constant)]) : .minus(scaled, .int(-constant))
    }

    /// `loops`: one batch item, a loop per step run (borders peeled, the interior branch-free).
    var loopsItem: Routine {
        let t = Expr.name("t")
        var body: [Statement] = []
        for (index, run) in plan.runs.enumerated() {
            let taps = run.tapCount == 0 ? "no tap reads the input" : "taps \(run.firstTap) .. \(run.firstTap + run.tapCount - 1)"
            body.append(.comment([.text("Steps "), .steps(String(run.steps.lowerBound), String(run.steps.upperBound)), .text(": \(taps).")]))
            // A run that reads no tap passes `x` itself: its offset could point outside the input.
            // The offset is summed before it moves the pointer, which never leaves the input.
            let x: Expr = run.tapCount == 0 ? .name("x") : .offset(.name("x"), .group(origin(t, firstTap: run.firstTap)))
            body.append(.loop("t", from: .int(run.steps.lowerBound), to: .int(run.steps.upperBound), [
                .call(.symbol("depthwise"), [x, .int(run.firstTap), .int(run.tapCount), .int(index), .name("mid")]),
                .call(.symbol("pointwise"), [.name("mid"), .offset(.name("y"), .times(t, .int(plan.filters)))]),
            ]))
        }
        return item(body)
    }

    /// `full`: one batch item in straight-line code, every weight, folded
    /// bias, multiplier and shift a literal; a zero weight adds nothing and is left out.
    var fullItem: Routine {
        let q = quantized
        let (C, M, K, F, CM) = (plan.inputChannels, plan.depthMultiplier, plan.kernelSize, plan.filters, plan.depthwiseChannels)
        let acc = Expr.name("acc")
        var body: [Statement] = [.integer("acc", .int(0), .int32, mutable: true)]
        for (index, run) in plan.runs.enumerated() {
            for t in run.steps {
                body.append(.comment([.text("Step \(t).")]))
                for c in 0..<C {
                    for m in 0..<M {
                        let ch = c * M + m
                        body.append(.assign(acc, .set, .int(Int(q.depthwiseBiases[index][ch]))))
                        for k in run.firstTap ..< run.firstTap + run.tapCount where q.depthwiseWeights[ch * K + k] != 0 {
                            let step = plan.inputStep(forOutput: t, tap: k)
                            body.append(.assign(acc, .add, .times(.int(Int(q.depthwiseWeights[ch * K + k])),
                                                                  .convert(.element(.name("x"), .int(step * C + c)), .int32))))
                        }
                        body.append(.assign(.element(.name("mid"), .int(ch)), .set,
                                            requantizeCall(acc, "dw", .int(ch))))
                    }
                }
                for f in 0..<F {
                    body.append(.assign(acc, .set, .int(Int(q.pointwiseBias[f]))))
                    for ch in 0..<CM where q.pointwiseWeights[f * CM + ch] != 0 {
                        body.append(.assign(acc, .add, .times(.int(Int(q.pointwiseWeights[f * CM + ch])), .convert(.element(.name("mid"), .int(ch)), .int32))))
                    }
                    body.append(.assign(.element(.name("y"), .int(t * F + f)), .set,
                                        requantizeCall(acc, "pw", .int(f))))
                }
            }
        }
        return item(body)
    }

    /// The batch item routine: `body` with the intermediate `mid` on the
    /// stack, or (a layer with no output step) nothing.
    private func item(_ body: [Statement]) -> Routine {
        let steps = plan.convolutionSteps > 0
        return Routine(name: Routine.itemName, comment: [.text("One batch item: x holds \(plan.inputSize) int8 values, y receives \(plan.outputSize).")],
                       parameters: [("x", .input), ("y", .output)],
                       body: steps ? [.scratch([Buffer(name: "mid", count: plan.depthwiseChannels)], body)]
                           : [.unused("x", because: "no output step"), .unused("y", because: "no output step")])
    }
}
