/// The stages of the `ConvolutionVariant`s that are not SeparableConv1D's,
/// with the routine names and parameters of the stages they stand in for, so
/// that the item, its tiles and borders, and every path (vector, 512-bit,
/// portable, Helium, Swift, the stream's window kernels) are the same:
/// the dense-tap variant's gather in place of the depthwise routines, the
/// depthwise-only variant's bias pass in place of the pointwise stage.
extension Lowering {
    /// `e · factor`, or `e` when the factor is 1.
    private func scaled(_ e: Expr, _ factor: Int) -> Expr {
        factor == 1 ? e : .times(e, .int(factor))
    }

    /// The element of channel `c`, tap `k` (nil: the one `xr` reads) of the
    /// step `r` steps (nil: none) after the one whose tap the pointer `xr`
    /// reads at channel 0.
    private func tapElement(_ r: Expr?, tap k: Expr?, channel c: Expr) -> Expr {
        let (stepStride, channelStride) = plan.dataFormat == .channelsLast ? (plan.inputChannels, 1) : (1, plan.inputSteps)
        let terms = [r.map { scaled($0, plan.stride * stepStride) }, k.map { scaled($0, plan.dilation * stepStride) }].compactMap { $0 }
        return .element(.name("xr"), terms.isEmpty ? scaled(c, channelStride) : .sum(terms + [scaled(c, channelStride)]))
    }

    /// The dense-tap `depthwise_step`: taps `first ..< first + count` of step
    /// s copied to d[tap * C + channel], the other taps' rows zero (they fall
    /// in the padding). `isBorder`: the vector path's, kept out of line.
    func gatherStep(isBorder: Bool) -> Routine {
        let (C, CM) = (plan.inputChannels, plan.depthwiseChannels)
        let (d, k, c, first) = (Expr.name("d"), Expr.name("k"), Expr.name("c"), Expr.name("first"))
        let body: [Statement] = [
            .loop("j", from: .int(0), to: .int(CM), [.assign(.element(d, .name("j")), .set, .int(0))]),
            // The pointer per tap: a tap in the padding would place it outside the input.
            .loop("k", from: first, to: .sum([first, .name("count")]), [
                .pointer("xr", .offset(.name("x"), inputOffset(step: .name("s"), tap: k))),
                .loop("c", from: .int(0), to: .int(C), [.assign(.element(d, .sum([scaled(k, C), c])), .set, tapElement(nil, tap: nil, channel: c))]),
            ]),
        ]
        return Routine(name: "depthwise_step", comment: [.text("Gather of output step s: taps "), .steps("first", "first + count"),
                                                         .text(" to d[tap * \(C) + channel], the other taps zero.")],
                       isKernel: !isBorder, isBorder: isBorder,
                       parameters: [("x", .input), ("d", .output), ("s", .integer), ("first", .integer), ("count", .integer)], body: body)
    }

    /// The dense-tap `depthwise_<rows>`: every tap of steps `t ..< t + rows` copied to d[r * K·C + tap * C + channel].
    func gather(rows: Int) -> Routine {
        let (C, K, CM) = (plan.inputChannels, plan.kernelSize, plan.depthwiseChannels)
        let (r, k, c) = (Expr.name("r"), Expr.name("k"), Expr.name("c"))
        let copy = Statement.assign(.element(.name("d"), .sum([scaled(r, CM), scaled(k, C), c])), .set, tapElement(r, tap: k, channel: c))
        return Routine(name: "depthwise_\(rows)", comment: [.text("Gather of output steps "), .stepsFrom("t", rows),
                                                           .text(", every tap reading the input: d[r * \(CM) + tap * \(C) + channel].")],
                       isKernel: true, parameters: [("x", .input), ("d", .output), ("t", .integer)],
                       body: [.pointer("xr", .offset(.name("x"), inputOffset(step: .name("t"), tap: .int(0)))),
                              .nest([.loop("r", from: 0, to: rows), .loop("k", from: 0, to: K), .loop("c", from: 0, to: C)], [copy])])
    }

    /// The depthwise-only `pointwise_<rows>`: each depthwise value plus its
    /// bias stored as output channel c · M + m (Keras's order; the depthwise
    /// tile holds m · C + c), through the activation where the portable path
    /// applies it as it stores (`fusesActivation`).
    func biasPass(rows: Int, portable: Bool) -> Routine {
        let (C, M, CM) = (plan.inputChannels, plan.depthMultiplier, plan.depthwiseChannels)
        let stride = plan.schedule.needsOutputTile ? plan.schedule.paddedFilters : plan.filters
        let (r, c) = (Expr.name("r"), Expr.name("c"))
        let channel: Expr = M > 1 ? .sum([.times(c, .int(M)), .name("m")]) : c
        let value = Expr.element(.name("d"), .sum([.times(r, .int(CM))] + (M > 1 ? [.times(.name("m"), .int(C))] : []) + [c]))
        let biased = plan.useBias ? Expr.plus(.element(.weights("bias"), channel), value) : value
        let store = Statement.assign(.element(.name("out"), .sum([.times(r, .int(stride)), channel])), .set,
                                     portable && plan.schedule.fusesActivation ? .call(.symbol("act"), [biased]) : biased)
        let headers: [Header] = [.loop("r", from: 0, to: rows)] + (M > 1 ? [.loop("m", from: 0, to: M)] : []) + [.loop("c", from: 0, to: C)]
        return Routine(name: "pointwise_\(rows)", comment: [.text("Output of \(rows) step\(rows == 1 ? "" : "s") (no pointwise kernel): "
                                                                 + "out[r * \(stride) + channel * \(M) + multiplier] = bias + d[r * \(CM) + multiplier * \(C) + channel].")],
                       isKernel: true, parameters: [("d", .input), ("out", .output)], body: [.nest(headers, [store])])
    }
}
