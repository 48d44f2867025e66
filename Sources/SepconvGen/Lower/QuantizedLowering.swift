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

    /// The lowering of `plan`, which must be an int8 plan.
    init?(plan: LayerPlan) {
        guard let quantized = plan.quantized else { return nil }
        self.plan = plan
        self.quantized = quantized
    }

    /// Everything the kernel prints, in order: the tables (`loops`), then the routines.
    func program(_ strategy: UnrollStrategy) -> (tables: [Statement], routines: [Routine]) {
        // A layer with no output step reads nothing: its item alone.
        guard plan.convolutionSteps > 0 else { return ([], [fullItem]) }
        switch strategy {
        case .full: return ([], [requantize, fullItem])
        case .loops: return (tables, [requantize, depthwise, pointwise, loopsItem])
        }
    }

    /// The `loops` kernels' tables: weights in the order the loops read them,
    /// one folded depthwise bias table per step run, multipliers and shifts.
    var tables: [Statement] {
        let q = quantized
        let (dw, pw) = (q.depthwise, q.pointwise)
        let biases = q.depthwiseBiases.joined().map(Int.init)
        return [
            .integerTable("dw_weights", comment: "Depthwise weights, int8, [channel][tap] (channel = c * \(plan.depthMultiplier) + m).",
                          q.depthwiseWeights.map(Int.init), .int8),
            .integerTable("dw_bias", comment: "Depthwise bias per step run and channel, the input zero point folded in over the run's taps.",
                          biases, IntegerType.holding(biases)),
            .integerTable("dw_multiplier", comment: "Depthwise requantization multipliers (Q31), per channel.", dw.multipliers.map(Int.init), .int32),
            .integerTable("dw_shift", comment: "Depthwise requantization shifts, per channel.", dw.shifts, .int8),
            .integerTable("pw_weights", comment: "Pointwise weights, int8, [filter][channel].", q.pointwiseWeights.map(Int.init), .int8),
            .integerTable("pw_bias", comment: "Pointwise bias per filter, the intermediate zero point folded in.",
                          q.pointwiseBias.map(Int.init), IntegerType.holding(q.pointwiseBias.map(Int.init))),
            .integerTable("pw_multiplier", comment: "Pointwise requantization multipliers (Q31), per filter.", pw.multipliers.map(Int.init), .int32),
            .integerTable("pw_shift", comment: "Pointwise requantization shifts, per filter.", pw.shifts, .int8),
        ]
    }

    /// TFLite's `MultiplyByQuantizedMultiplier`, then the zero point and
    /// the clamp (`FixedPoint`): the left shift as a multiplication by a
    /// power of two in int64 (the planner checks that the int32 product
    /// TFLite forms cannot overflow, so it is the same number), the rounding
    /// doubling high multiply, the rounding right shift (an arithmetic
    /// `>>`: C99 leaves a negative operand's shift to the implementation,
    /// every C compiler sepconv-gen targets shifts arithmetically).
    var requantize: Routine {
        let (acc, multiplier, shift) = (Expr.name("acc"), Expr.name("multiplier"), Expr.name("shift"))
        let (left, right, product, rounded) = (Expr.name("left"), Expr.name("right"), Expr.name("product"), Expr.name("rounded"))
        let (mask, threshold, scaled, least, most) = (Expr.name("mask"), Expr.name("threshold"), Expr.name("scaled"), Expr.name("least"), Expr.name("most"))
        let one64 = Expr.convert(.int(1), .int64)
        let positive = Expr.less(.int(0), shift)
        return Routine(
            name: "requantize",
            comment: [.text("acc * multiplier * 2^(shift - 31) rounded as TFLite rounds it, plus `zero`, clamped to least ... most.")],
            returns: .int8,
            parameters: [("acc", .value(.int32)), ("multiplier", .value(.int32)), ("shift", .value(.int32)),
                         ("zero", .value(.int32)), ("least", .value(.int32)), ("most", .value(.int32))],
            body: [
                .integer("left", .select(positive, shift, .int(0)), .int32, mutable: false),
                .integer("right", .select(positive, .int(0), .minus(.int(0), shift)), .int32, mutable: false),
                .integer("product", .times(.times(.convert(acc, .int64), .shiftLeft(one64, left)), .convert(multiplier, .int64)), .int64, mutable: false),
                .comment([.text("The high half of 2 * product, rounded to nearest (a tie up).")]),
                .integer("rounded", .convert(.quotient(.sum([product, .group(.select(.less(product, .int(0)), .int(1 - (1 << 30)), .int(1 << 30)))]),
                                                       .shiftLeft(one64, .int(31))), .int32, narrowing: true), .int32, mutable: false),
                .comment([.text("Divided by 2^right, rounded half away from zero.")]),
                .integer("mask", .convert(.minus(.shiftLeft(one64, right), .int(1)), .int32, narrowing: true), .int32, mutable: false),
                .integer("threshold", .sum([.shiftRight(mask, .int(1)), .group(.select(.less(rounded, .int(0)), .int(1), .int(0)))]), .int32, mutable: false),
                .integer("scaled", .sum([.shiftRight(rounded, right), .group(.select(.less(threshold, .bitAnd(rounded, mask)), .int(1), .int(0))), .name("zero")]),
                         .int32, mutable: false),
                .result(.convert(.select(.less(scaled, least), least, .group(.select(.less(most, scaled), most, scaled))), .int8, narrowing: true)),
            ])
    }

    /// The arguments of a requantization after `acc`: multiplier, shift, zero point, clamp.
    private func requantizeCall(_ acc: Expr, _ stage: QuantizedPlan.Requantization, multiplier: Expr, shift: Expr) -> Expr {
        .call(.symbol("requantize"), [acc, multiplier, shift, .int(stage.zeroPoint), .int(stage.clamp.lowerBound), .int(stage.clamp.upperBound)])
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
                        .loop("j", from: .int(0), to: .name("count"), [.assign(acc, "+=", .times(.convert(weight, .int32), .convert(input, .int32)))]),
                        .assign(.element(.name("mid"), ch), "=",
                                requantizeCall(acc, quantized.depthwise, multiplier: .element(.weights("dw_multiplier"), ch),
                                               shift: .convert(.element(.weights("dw_shift"), ch), .int32))),
                    ]),
                ]),
            ])
    }

    /// `loops`: the pointwise stage of one step, from the int8 intermediate.
    var pointwise: Routine {
        let CM = plan.depthwiseChannels
        let (f, ch, acc) = (Expr.name("f"), Expr.name("ch"), Expr.name("acc"))
        let weight = Expr.element(.weights("pw_weights"), .sum([.times(f, .int(CM)), ch]))
        return Routine(
            name: "pointwise",
            comment: [.text("The pointwise stage of one step, from the depthwise stage's int8 values.")],
            parameters: [("mid", .input), ("y", .output)],
            body: [
                .loop("f", from: .int(0), to: .int(plan.filters), [
                    .integer("acc", .convert(.element(.weights("pw_bias"), f), .int32), .int32, mutable: true),
                    .loop("ch", from: .int(0), to: .int(CM), [
                        .assign(acc, "+=", .times(.convert(weight, .int32), .convert(.element(.name("mid"), ch), .int32))),
                    ]),
                    .assign(.element(.name("y"), f), "=",
                            requantizeCall(acc, quantized.pointwise, multiplier: .element(.weights("pw_multiplier"), f),
                                           shift: .convert(.element(.weights("pw_shift"), f), .int32))),
                ]),
            ])
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
                        body.append(.assign(acc, "=", .int(Int(q.depthwiseBiases[index][ch]))))
                        for k in run.firstTap ..< run.firstTap + run.tapCount where q.depthwiseWeights[ch * K + k] != 0 {
                            let step = plan.inputStep(forOutput: t, tap: k)
                            body.append(.assign(acc, "+=", .times(.int(Int(q.depthwiseWeights[ch * K + k])),
                                                                  .convert(.element(.name("x"), .int(step * C + c)), .int32))))
                        }
                        body.append(.assign(.element(.name("mid"), .int(ch)), "=",
                                            requantizeCall(acc, q.depthwise, multiplier: .int(Int(q.depthwise.multipliers[ch])), shift: .int(q.depthwise.shifts[ch]))))
                    }
                }
                for f in 0..<F {
                    body.append(.assign(acc, "=", .int(Int(q.pointwiseBias[f]))))
                    for ch in 0..<CM where q.pointwiseWeights[f * CM + ch] != 0 {
                        body.append(.assign(acc, "+=", .times(.int(Int(q.pointwiseWeights[f * CM + ch])), .convert(.element(.name("mid"), .int(ch)), .int32))))
                    }
                    body.append(.assign(.element(.name("y"), .int(t * F + f)), "=",
                                        requantizeCall(acc, q.pointwise, multiplier: .int(Int(q.pointwise.multipliers[f])), shift: .int(q.pointwise.shifts[f]))))
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
