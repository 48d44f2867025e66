/// The `loops` kernel in Swift, the same plan as `CLoops`: a block routine
/// over a tile of output steps, called per tile of each run.
struct SwiftLoops {
    let plan: LayerPlan
    let layout: KernelLayout
    let activation: ActivationCode

    func print(_ printer: inout CodePrinter) {
        let p = plan, type = SwiftEmitter.swiftType(plan.dtype)
        let (C, M, F, CM) = (p.inputChannels, p.depthMultiplier, p.filters, p.depthwiseChannels)
        let T = layout.tile
        SwiftEmitter.array(&printer, name: "depthwise", values: p.weights.depthwiseKernel.scalars, dtype: p.dtype,
                           comment: "depthwise_kernel (\(p.kernelSize), \(C), \(M)): [tap][channel * \(M) + multiplier].")
        printer.line()
        SwiftEmitter.array(&printer, name: "pointwise", values: p.weights.pointwiseKernel.scalars, dtype: p.dtype,
                           comment: "pointwise_kernel (1, \(CM), \(F)): [channel * \(M) + multiplier][filter].")
        if let bias = p.weights.bias {
            printer.line()
            SwiftEmitter.array(&printer, name: "bias", values: bias.scalars, dtype: p.dtype, comment: "bias (\(F),).")
        }
        printer.line()
        printer.line("/// Output steps t ..< t + n (n <= \(T)), whose taps first ..< first + count read the input.")
        printer.line("@inline(__always)")
        let signature = "private static func block(_ x: UnsafePointer<\(type)>, _ y: UnsafeMutablePointer<\(type)>, _ t: Int, _ n: Int, _ first: Int, _ count: Int, "
            + "_ dw: UnsafePointer<\(type)>, _ pw: UnsafePointer<\(type)>, _ b: UnsafePointer<\(type)>?, _ d: UnsafeMutablePointer<\(type)>, _ acc: UnsafeMutablePointer<\(type)>) {"
        printer.block(signature) { body in
            body.block("for r in 0..<n {") { body in
                body.line("let origin = (t + r) * \(p.stride) - \(p.padLeft) + first * \(p.dilation)")
                body.line("let dr = d + r * \(CM)")
                body.line("for j in 0..<\(CM) { dr[j] = 0 }")
                body.block("for k in 0..<count {") { body in
                    body.line("let w = dw + (first + k) * \(CM)")
                    let xk = p.dataFormat == .channelsLast ? "x + (origin + k * \(p.dilation)) * \(C)" : "x + origin + k * \(p.dilation)"
                    let stride = p.dataFormat == .channelsLast ? "" : " * \(p.inputSteps)"
                    body.line("let xk = \(xk)")
                    if M == 1 {
                        body.line("for j in 0..<\(C) { dr[j] += xk[j\(stride)] * w[j] }")
                    } else {
                        body.line("for c in 0..<\(C) { for m in 0..<\(M) { dr[c * \(M) + m] += xk[c\(stride)] * w[c * \(M) + m] } }")
                    }
                }
            }
            body.block("for r in 0..<n {") { body in
                body.line("for f in 0..<\(F) { acc[r * \(F) + f] = b?[f] ?? 0 }")
            }
            body.block("for j in 0..<\(CM) {") { body in
                body.line("let w = pw + j * \(F)")
                body.block("for r in 0..<n {") { body in
                    body.line("let v = d[r * \(CM) + j]")
                    body.line("let ar = acc + r * \(F)")
                    body.line("for f in 0..<\(F) { ar[f] += v * w[f] }")
                }
            }
            store(&body)
        }
        printer.line()
        printer.line("/// One batch item.")
        printer.block("private static func forwardItem(_ x: UnsafePointer<\(type)>, _ y: UnsafeMutablePointer<\(type)>) {") { body in
            body.block("withUnsafeTemporaryAllocation(of: \(type).self, capacity: \(T * (CM + F))) { scratch in") { body in
                body.line("guard let d = scratch.baseAddress else { return }")
                body.line("let acc = d + \(T * CM)")
                let bias = p.useBias ? "bias" : "[\(type)]()"
                body.block("depthwise.withUnsafeBufferPointer { dwBuffer in") { body in
                    body.block("pointwise.withUnsafeBufferPointer { pwBuffer in") { body in
                        body.block("\(bias).withUnsafeBufferPointer { biasBuffer in") { body in
                            body.line("guard let dw = dwBuffer.baseAddress, let pw = pwBuffer.baseAddress else { return }")
                            body.line("let b: UnsafePointer<\(type)>? = \(p.useBias ? "biasBuffer.baseAddress" : "nil")")
                            if !p.useBias { body.line("_ = biasBuffer") }
                            for cover in layout.cover {
                                switch cover {
                                case .repeated(let start, let tiles, let first, let count):
                                    body.line("for i in 0..<\(tiles) { block(x, y, \(start) + i * \(T), \(T), \(first), \(count), dw, pw, b, d, acc) }")
                                case .single(let block):
                                    body.line("block(x, y, \(block.start), \(block.count), \(block.firstTap), \(block.tapCount), dw, pw, b, d, acc)")
                                }
                            }
                        }
                    }
                }
            }
            if p.dataFormat == .channelsFirst, let row = activation.rowFunction {
                body.line("for f in 0..<\(F) { \(row)(y + f * \(p.convolutionSteps), \(p.convolutionSteps)) }")
            }
        }
    }

    private func store(_ body: inout CodePrinter) {
        let p = plan, F = p.filters, steps = p.convolutionSteps
        let sigmoid = activation.elementFunction ?? ""
        switch (p.dataFormat, p.activation) {
        case (.channelsLast, .glu):
            body.line("for r in 0..<n { for f in 0..<\(F / 2) { y[(t + r) * \(F / 2) + f] = acc[r * \(F) + f] * \(sigmoid)(acc[r * \(F) + f + \(F / 2)]) } }")
        case (.channelsLast, _):
            body.line("for r in 0..<n { for f in 0..<\(F) { y[(t + r) * \(F) + f] = \(value("acc[r * \(F) + f]")) } }")
            if let row = activation.rowFunction {
                body.line("for r in 0..<n { \(row)(y + (t + r) * \(F), \(F)) }")
            }
        case (.channelsFirst, .glu):
            let half = steps / 2
            body.block("for r in 0..<n {") { body in
                body.line("let s = t + r")
                body.block("if s < \(half) {") { body in
                    body.line("for f in 0..<\(F) { y[f * \(half) + s] = acc[r * \(F) + f] }")
                }
                body.block("else {") { body in
                    body.line("for f in 0..<\(F) { y[f * \(half) + s - \(half)] *= \(sigmoid)(acc[r * \(F) + f]) }")
                }
            }
        case (.channelsFirst, _):
            body.line("for r in 0..<n { for f in 0..<\(F) { y[f * \(steps) + t + r] = \(value("acc[r * \(F) + f]")) } }")
        }
    }

    private func value(_ expression: String) -> String {
        plan.activation.isRowWise ? expression : (activation.elementFunction.map { "\($0)(\(expression))" } ?? expression)
    }
}
