/// The `loops` kernel in C: a block routine over a tile of output steps with
/// constant trip counts, called once per tile of each run; border runs are
/// peeled into their own calls, and padded taps are never visited.
struct CLoops {
    let plan: LayerPlan
    let layout: KernelLayout
    let activation: ActivationCode

    var text: String {
        var printer = CodePrinter()
        let p = plan, name = plan.name, type = CEmitter.cType(plan.dtype)
        let (C, M, F, CM) = (p.inputChannels, p.depthMultiplier, p.filters, p.depthwiseChannels)
        CEmitter.array(&printer, name: "\(name)_depthwise", dims: [p.kernelSize, CM], values: p.weights.depthwiseKernel.scalars,
                       dtype: p.dtype, comment: "depthwise_kernel (\(p.kernelSize), \(C), \(M)) as [tap][channel * \(M) + multiplier]")
        printer.line()
        CEmitter.array(&printer, name: "\(name)_pointwise", dims: [CM, F], values: p.weights.pointwiseKernel.scalars,
                       dtype: p.dtype, comment: "pointwise_kernel (1, \(CM), \(F)) as [channel * \(M) + multiplier][filter]")
        if let bias = p.weights.bias {
            printer.line()
            CEmitter.array(&printer, name: "\(name)_bias", dims: [F], values: bias.scalars, dtype: p.dtype, comment: "bias (\(F),)")
        }
        printer.line()
        if !activation.helpers.isEmpty {
            printer.lines(activation.helpers)
            printer.line()
        }
        printer.lines(["#if defined(__GNUC__)", "#define \(name)_INLINE static inline __attribute__((always_inline))",
                       "#else", "#define \(name)_INLINE static inline", "#endif", ""])
        let T = layout.tile
        printer.line("/* Output steps t .. t + n - 1 (n <= \(T)), whose taps first .. first + count - 1 read the input. */")
        printer.function("\(name)_INLINE void \(name)_block(const \(type) *restrict x, \(type) *restrict y, const int t, const int n, const int first, const int count)") { body in
            body.line("\(type) d[\(T)][\(CM)];")
            body.line("\(type) acc[\(T)][\(F)];")
            body.line("int r, j, k, f;")
            body.block("for (r = 0; r < n; ++r) {") { body in
                body.line("const int origin = (t + r) * \(p.stride) - \(p.padLeft) + first * \(p.dilation);")
                body.line("for (j = 0; j < \(CM); ++j) d[r][j] = 0;")
                body.block("for (k = 0; k < count; ++k) {") { body in
                    body.line("const \(type) *w = \(name)_depthwise[first + k];")
                    if p.dataFormat == .channelsLast {
                        body.line("const \(type) *xk = x + (origin + k * \(p.dilation)) * \(C);")
                        if M == 1 {
                            body.line("for (j = 0; j < \(C); ++j) d[r][j] += xk[j] * w[j];")
                        } else {
                            body.line("int c, m;")
                            body.line("for (c = 0; c < \(C); ++c) for (m = 0; m < \(M); ++m) d[r][c * \(M) + m] += xk[c] * w[c * \(M) + m];")
                        }
                    } else {
                        body.line("const \(type) *xk = x + origin + k * \(p.dilation);")
                        if M == 1 {
                            body.line("for (j = 0; j < \(C); ++j) d[r][j] += xk[j * \(p.inputSteps)] * w[j];")
                        } else {
                            body.line("int c, m;")
                            body.line("for (c = 0; c < \(C); ++c) for (m = 0; m < \(M); ++m) d[r][c * \(M) + m] += xk[c * \(p.inputSteps)] * w[c * \(M) + m];")
                        }
                    }
                }
            }
            let initial = p.useBias ? "\(name)_bias[f]" : "0"
            body.line("for (r = 0; r < n; ++r) for (f = 0; f < \(F); ++f) acc[r][f] = \(initial);")
            body.block("for (j = 0; j < \(CM); ++j) {") { body in
                body.line("const \(type) *w = \(name)_pointwise[j];")
                body.block("for (r = 0; r < n; ++r) {") { body in
                    body.line("const \(type) v = d[r][j];")
                    body.line("for (f = 0; f < \(F); ++f) acc[r][f] += v * w[f];")
                }
            }
            store(&body)
        }
        printer.line()
        printer.function("static void \(name)_item(const \(type) *restrict x, \(type) *restrict y)") { body in
            if layout.cover.contains(where: { if case .repeated = $0 { true } else { false } }) {
                body.line("int i;")
            }
            for cover in layout.cover {
                switch cover {
                case .repeated(let start, let tiles, let first, let count):
                    body.line("for (i = 0; i < \(tiles); ++i) \(name)_block(x, y, \(start) + i * \(T), \(T), \(first), \(count));")
                case .single(let block):
                    body.line("\(name)_block(x, y, \(block.start), \(block.count), \(block.firstTap), \(block.tapCount));")
                }
            }
            if p.dataFormat == .channelsFirst, let row = activation.rowFunction {
                body.line("{")
                body.line("    int f;")
                body.line("    for (f = 0; f < \(F); ++f) \(row)(y + f * \(p.convolutionSteps), \(p.convolutionSteps));")
                body.line("}")
            }
        }
        return printer.text
    }

    /// Stores the tile's accumulators into the output, applying the activation.
    private func store(_ body: inout CodePrinter) {
        let p = plan, F = p.filters, steps = p.convolutionSteps
        switch (p.dataFormat, p.activation) {
        case (.channelsLast, .glu):
            let half = F / 2
            body.line("for (r = 0; r < n; ++r) for (f = 0; f < \(half); ++f) y[(t + r) * \(half) + f] = acc[r][f] * \(activation.elementFunction ?? "")(acc[r][f + \(half)]);")
        case (.channelsLast, _):
            body.line("for (r = 0; r < n; ++r) for (f = 0; f < \(F); ++f) y[(t + r) * \(F) + f] = \(value("acc[r][f]"));")
            if let row = activation.rowFunction {
                body.line("for (r = 0; r < n; ++r) \(row)(y + (t + r) * \(F), \(F));")
            }
        case (.channelsFirst, .glu):
            let half = steps / 2
            body.block("for (r = 0; r < n; ++r) {") { body in
                body.line("const int s = t + r;")
                body.block("if (s < \(half)) {") { body in
                    body.line("for (f = 0; f < \(F); ++f) y[f * \(half) + s] = acc[r][f];")
                }
                body.block("else {") { body in
                    body.line("for (f = 0; f < \(F); ++f) y[f * \(half) + s - \(half)] *= \(activation.elementFunction ?? "")(acc[r][f]);")
                }
            }
        case (.channelsFirst, _):
            body.line("for (r = 0; r < n; ++r) for (f = 0; f < \(F); ++f) y[f * \(steps) + t + r] = \(value("acc[r][f]"));")
        }
    }

    private func value(_ expression: String) -> String {
        plan.activation.isRowWise ? expression : CEmitter.activate(expression, activation)
    }
}
