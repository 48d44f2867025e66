/// The `loops` kernel in Swift, the same plan as `CLoops` (see `KernelLayout`):
/// per tile of output steps, the depthwise stage into stack scratch, then a
/// register-blocked pointwise microkernel over standard-library SIMD vectors
/// (`SIMD8<Float>`, `SIMD4<Double>`), then the activation and store.
///
/// Multiply-adds go through `madd`: Swift does not contract `a + b * c`, and
/// `addingProduct` becomes a call of `fmaf` per lane on targets without FMA
/// (x86-64 without `-target-cpu`), so it is fused only on arm64 or when the
/// build says `-D SEPCONV_GEN_FMA` (with e.g. `-target-cpu native`): about
/// 20% faster there. The scratch comes
/// from `withUnsafeTemporaryAllocation`, on the stack at these sizes.
struct SwiftLoops {
    let plan: LayerPlan
    let layout: KernelLayout
    let activation: ActivationCode

    private var type: String { SwiftEmitter.swiftType(plan.dtype) }
    private var vector: String { plan.dtype == .float32 ? "SIMD\(W)<Float>" : "SIMD\(W)<Double>" }
    private var C: Int { plan.inputChannels }
    private var M: Int { plan.depthMultiplier }
    private var F: Int { plan.filters }
    private var CM: Int { plan.depthwiseChannels }
    private var W: Int { layout.lanes }
    private var Fp: Int { layout.paddedFilters }
    private var outStride: Int { layout.needsOutputTile ? Fp : F }
    private var pointer: String { "UnsafePointer<\(type)>" }
    private var mutablePointer: String { "UnsafeMutablePointer<\(type)>" }

    func print(_ printer: inout CodePrinter) {
        let p = plan
        SwiftEmitter.array(&printer, name: "depthwise", values: layout.depthwiseRows, dtype: p.dtype,
                           comment: "depthwise_kernel (\(p.kernelSize), \(C), \(M)): [tap][multiplier * \(C) + channel].")
        printer.line()
        // One array per vector of filters: a literal of more than a few thousand
        // elements makes swiftc -O superlinearly slow (16384 floats: 12 s;
        // 16 × 1024: 3.4 s, on a loaded machine).
        for (index, values) in layout.pointwiseVectors.enumerated() {
            SwiftEmitter.array(&printer, name: "pointwise\(index)", values: values, dtype: p.dtype,
                               comment: "pointwise_kernel (1, \(CM), \(F)), filters \(index * W) ..< \((index + 1) * W): "
                                + "[multiplier * \(C) + channel][filter - \(index * W)], filters past \(F) zero.")
            printer.line()
        }
        SwiftEmitter.array(&printer, name: "bias", values: layout.paddedBias, dtype: p.dtype,
                           comment: p.useBias ? "bias (\(F),), padded with zeros to \(Fp)." : "no bias: zeros, \(Fp).")
        printer.line()
        printer.line("@inline(__always)")
        printer.block("private static func load(_ p: \(pointer)) -> \(vector) {") { body in
            body.line("UnsafeRawPointer(p).loadUnaligned(as: \(vector).self)")
        }
        printer.line()
        printer.line("/// a + b * c: fused on arm64, or where `-D SEPCONV_GEN_FMA` says the target has FMA")
        printer.line("/// (with `-target-cpu`); elsewhere a multiply and an add, as `addingProduct` would call `fma` per lane.")
        for operand in [type, vector] {
            printer.line("@inline(__always)")
            printer.block("private static func madd(_ a: \(vector), _ b: \(vector), _ c: \(operand)) -> \(vector) {") { body in
                body.line("#if SEPCONV_GEN_FMA || arch(arm64)")
                body.line("a.addingProduct(b, c)")
                body.line("#else")
                body.line("a + b * c")
                body.line("#endif")
            }
        }
        printer.line()
        printer.line("@inline(__always)")
        printer.block("private static func store(_ p: \(mutablePointer), _ v: \(vector), _ n: Int) {") { body in
            body.block("if n == \(W) {") { body in
                body.line("UnsafeMutableRawPointer(p).storeBytes(of: v, as: \(vector).self)")
            }
            body.block("else {") { body in
                body.line("for l in 0..<n { p[l] = v[l] }")
            }
        }
        printer.line()
        let tiles = layout.tiles
        let hasInterior = tiles.contains { if case .interior = $0 { true } else { false } }
        let hasBorder = tiles.contains { if case .border = $0 { true } else { false } }
        if hasBorder || (hasInterior && plan.dataFormat == .channelsFirst) {
            depthwiseStep(&printer)
            printer.line()
        }
        if hasInterior {
            depthwiseAll(&printer)
            printer.line()
        }
        for rows in layout.tileLengths {
            pointwise(&printer, rows: rows)
        }
        if finish(&printer) { printer.line() }
        item(&printer)
    }

    private func inputOffset(step s: String, tap k: String) -> String {
        let origin = "\(s) &* \(plan.stride) &- \(plan.padLeft) &+ \(k) &* \(plan.dilation)"
        return plan.dataFormat == .channelsLast ? "(\(origin)) &* \(C)" : origin
    }

    /// The depthwise stage of one (border) step over a run-time range of taps. With
    /// channels last it accumulates `W`-lane blocks of channels in registers: the
    /// scratch may alias the input as far as Swift knows, so a scalar loop that adds
    /// into `d` neither vectorises nor keeps its sums in registers.
    private func depthwiseStep(_ printer: inout CodePrinter) {
        printer.line("/// Depthwise stage of output step s, taps first ..< first + count: d[multiplier * \(C) + channel].")
        printer.block("private static func depthwiseStep(_ x: \(pointer), _ d: \(mutablePointer), _ s: Int, _ first: Int, _ count: Int, _ dw: \(pointer)) {") { body in
            let mOpen = M > 1 ? "for m in 0..<\(M) { " : "", mClose = M > 1 ? " }" : ""
            let mOffset = M > 1 ? "m &* \(C) &+ " : ""
            guard plan.dataFormat == .channelsLast else {
                let xk = "x[c &* \(plan.inputSteps) &+ \(inputOffset(step: "s", tap: "k"))]"
                body.block("\(mOpen)for c in 0..<\(C) {", closing: "}\(mClose)") { body in
                    body.line("var a: \(type) = 0")
                    body.line("for k in first..<(first &+ count) { a += \(xk) * dw[k &* \(CM) &+ \(mOffset)c] }")
                    body.line("d[\(mOffset)c] = a")
                }
                return
            }
            let blocks = C / W, rest = C % W
            let xk = inputOffset(step: "s", tap: "k")
            if blocks > 0 {
                body.block("\(mOpen)for b in 0..<\(blocks) {", closing: "}\(mClose)") { body in
                    body.line("var a = \(vector)()")
                    body.block("for k in first..<(first &+ count) {") { body in
                        body.line("a = madd(a, load(x + (\(xk) &+ b &* \(W))), load(dw + (k &* \(CM) &+ \(mOffset)b &* \(W))))")
                    }
                    body.line("store(d + (\(mOffset)b &* \(W)), a, \(W))")
                }
            }
            if rest > 0 {
                body.block("\(mOpen)for c in \(blocks * W)..<\(C) {", closing: "}\(mClose)") { body in
                    body.line("var a: \(type) = 0")
                    body.line("for k in first..<(first &+ count) { a += x[\(xk) &+ c] * dw[k &* \(CM) &+ \(mOffset)c] }")
                    body.line("d[\(mOffset)c] = a")
                }
            }
        }
    }

    private func depthwiseAll(_ printer: inout CodePrinter) {
        let K = plan.kernelSize
        printer.line("/// Depthwise stage of output steps t ..< t + n, every tap reading the input.")
        printer.block("private static func depthwiseAll(_ x: \(pointer), _ d: \(mutablePointer), _ t: Int, _ n: Int, _ dw: \(pointer)) {") { body in
            guard plan.dataFormat == .channelsLast else {
                body.line("for r in 0..<n { depthwiseStep(x, d + r &* \(CM), t &+ r, 0, \(K), dw) }")
                return
            }
            let blocks = C / W, rest = C % W
            let heldTaps = K <= 8
            let mOffset = M > 1 ? "m &* \(C) &+ " : ""
            if blocks > 0 {
                let open = M > 1 ? "for m in 0..<\(M) { for b in 0..<\(blocks) {" : "for b in 0..<\(blocks) {"
                let close = M > 1 ? "} }" : "}"
                body.block(open, closing: close) { body in
                    body.line("let w = dw + (\(mOffset)b &* \(W))")
                    if heldTaps {
                        for k in 0..<K { body.line("let w\(k) = load(w + \(k * CM))") }
                    }
                    body.block("for r in 0..<n {") { body in
                        body.line("let xr = x + (\(inputOffset(step: "(t &+ r)", tap: "0")) &+ b &* \(W))")
                        if heldTaps {
                            body.line("\(K > 1 ? "var" : "let") a = load(xr) * w0")
                            for k in 1..<max(K, 1) { body.line("a = madd(a, load(xr + \(k * plan.dilation * C)), w\(k))") }
                        } else {
                            body.line("var a = load(xr) * load(w)")
                            body.line("for k in 1..<\(K) { a = madd(a, load(xr + k &* \(plan.dilation * C)), load(w + k &* \(CM))) }")
                        }
                        body.line("store(d + (r &* \(CM) &+ \(mOffset)b &* \(W)), a, \(W))")
                    }
                }
            }
            if rest > 0 {
                let open = M > 1 ? "for r in 0..<n { for m in 0..<\(M) { for c in \(blocks * W)..<\(C) {" : "for r in 0..<n { for c in \(blocks * W)..<\(C) {"
                let close = M > 1 ? "} } }" : "} }"
                body.block(open, closing: close) { body in
                    body.line("let xr = x + (\(inputOffset(step: "(t &+ r)", tap: "0")) &+ c)")
                    body.line("var a: \(type) = 0")
                    body.line("for k in 0..<\(K) { a += xr[k &* \(plan.dilation * C)] * dw[k &* \(CM) &+ \(mOffset)c] }")
                    body.line("d[r &* \(CM) &+ \(mOffset)c] = a")
                }
            }
        }
    }

    /// The microkernel variants: (vectors, partial lanes of the last vector or 0) for each block.
    private var kernels: [(vectors: Int, partial: Int)] {
        let partial = layout.needsOutputTile ? 0 : F % W
        let last = layout.filterVectors - 1
        return layout.filterBlocks.map { ($0.count, $0.vector + $0.count - 1 == last ? partial : 0) }
    }

    private func kernelName(rows: Int, block: Int) -> String {
        let kernel = kernels[block]
        return "pointwise\(rows)x\(kernel.vectors)" + (kernel.partial > 0 ? "p\(kernel.partial)" : "")
    }

    /// The microkernels for `rows` steps, one per distinct block shape.
    private func pointwise(_ printer: inout CodePrinter, rows: Int) {
        var printed: Set<String> = []
        for (index, kernel) in kernels.enumerated() {
            let name = kernelName(rows: rows, block: index)
            guard printed.insert(name).inserted else { continue }
            printer.line("/// Pointwise stage of \(rows) steps, filters col ..< col + \(kernel.vectors * W): "
                + "out[r * \(outStride) + col + f] = bias[col + f] + sum over j of d[r * \(CM) + j] * pw<f / \(W)>[j * \(W) + f % \(W)].")
            let weights = (0..<kernel.vectors).map { "_ pw\($0): \(pointer)" }.joined(separator: ", ")
            printer.block("private static func \(name)(_ d: \(pointer), _ out: \(mutablePointer), \(weights), _ col: Int, _ bias: \(pointer)) {") { body in
                microkernel(&body, rows: rows, vectors: kernel.vectors, partialLanes: kernel.partial)
            }
            printer.line()
        }
    }

    private func microkernel(_ body: inout CodePrinter, rows: Int, vectors: Int, partialLanes: Int) {
        for i in 0..<vectors {
            body.line("let b\(i) = load(bias + (col &+ \(i * W)))")
        }
        for r in 0..<rows {
            for i in 0..<vectors {
                body.line("var a\(r)_\(i) = b\(i)")
            }
        }
        body.block("for j in 0..<\(CM) {") { body in
            body.line("let row = j &* \(W)")
            for i in 0..<vectors {
                body.line("let w\(i) = load(pw\(i) + row)")
            }
            for r in 0..<rows {
                body.line("let d\(r) = d[\(r * CM) &+ j]")
                for i in 0..<vectors {
                    body.line("a\(r)_\(i) = madd(a\(r)_\(i), w\(i), d\(r))")
                }
            }
        }
        for r in 0..<rows {
            for i in 0..<vectors {
                let lanes = (i == vectors - 1 && partialLanes > 0) ? partialLanes : W
                body.line("store(out + (\(r * outStride) &+ col &+ \(i * W)), a\(r)_\(i), \(lanes))")
            }
        }
    }

    /// The pointwise calls of one tile of `rows` steps into `destination`. The
    /// weight arrays are passed as pointers by Swift's array-to-pointer argument
    /// conversion, valid for the call.
    private func pointwiseCalls(_ body: inout CodePrinter, rows: Int, destination: String) {
        for (index, block) in layout.filterBlocks.enumerated() {
            let pointers = (block.vector ..< block.vector + block.count).map { "pointwise\($0)" }.joined(separator: ", ")
            body.line("\(kernelName(rows: rows, block: index))(d, \(destination), \(pointers), \(block.vector * W), bias)")
        }
    }

    /// Prints `finish` when the layer needs one; returns whether it did.
    private func finish(_ printer: inout CodePrinter) -> Bool {
        let p = plan, steps = p.convolutionSteps
        let sigmoid = activation.elementFunction ?? ""
        switch (p.dataFormat, p.activation) {
        case (.channelsLast, .glu):
            let half = F / 2
            printer.line("/// glu of steps t ..< t + n from the output tile o[r * \(Fp) + f].")
            printer.block("private static func finish(_ o: \(pointer), _ y: \(mutablePointer), _ t: Int, _ n: Int) {") { body in
                body.line("for r in 0..<n { for f in 0..<\(half) { y[(t &+ r) &* \(half) &+ f] = o[r &* \(Fp) &+ f] * \(sigmoid)(o[r &* \(Fp) &+ f &+ \(half)]) } }")
            }
        case (.channelsLast, _):
            if let element = activation.elementFunction {
                printer.line("/// The activation of n steps' outputs, in place.")
                printer.block("private static func finish(_ out: \(mutablePointer), _ n: Int) {") { body in
                    body.line("for i in 0..<(n &* \(F)) { out[i] = \(element)(out[i]) }")
                }
            } else if let row = activation.rowFunction {
                printer.line("/// The activation of n steps' outputs, each a row, in place.")
                printer.block("private static func finish(_ out: \(mutablePointer), _ n: Int) {") { body in
                    body.line("for r in 0..<n { \(row)(out + r &* \(F), \(F)) }")
                }
            } else {
                return false
            }
        case (.channelsFirst, .glu):
            let half = steps / 2
            printer.line("/// glu of steps t ..< t + n from the output tile o[r * \(Fp) + f]: the first half sets, the second gates.")
            printer.block("private static func finish(_ o: \(pointer), _ y: \(mutablePointer), _ t: Int, _ n: Int) {") { body in
                body.block("for r in 0..<n {") { body in
                    body.line("let s = t &+ r")
                    body.block("if s < \(half) {") { body in
                        body.line("for f in 0..<\(F) { y[f &* \(half) &+ s] = o[r &* \(Fp) &+ f] }")
                    }
                    body.block("else {") { body in
                        body.line("for f in 0..<\(F) { y[f &* \(half) &+ s &- \(half)] *= \(sigmoid)(o[r &* \(Fp) &+ f]) }")
                    }
                }
            }
        case (.channelsFirst, _):
            let raw = "o[r &* \(Fp) &+ f]"
            let value = p.activation.isRowWise ? raw : (activation.elementFunction.map { "\($0)(\(raw))" } ?? raw)
            printer.line("/// Steps t ..< t + n from the output tile o[r * \(Fp) + f] into the (filters, steps) output.")
            printer.block("private static func finish(_ o: \(pointer), _ y: \(mutablePointer), _ t: Int, _ n: Int) {") { body in
                body.line("for f in 0..<\(F) { for r in 0..<n { y[f &* \(steps) &+ t &+ r] = \(value) } }")
            }
        }
        return true
    }

    private func finishCall(t: String, n: Int) -> String? {
        if layout.needsOutputTile { return "finish(o, y, \(t), \(n))" }
        let hasFinish = activation.elementFunction != nil || activation.rowFunction != nil
        return hasFinish ? "finish(y + \(t) &* \(F), \(n))" : nil
    }

    private func item(_ printer: inout CodePrinter) {
        let p = plan, T = layout.tile
        let scratch = T * CM + (layout.needsOutputTile ? T * Fp : 0)
        printer.line("/// One batch item: tiles of \(T) output steps; border tiles read only their steps' own taps.")
        printer.block("private static func forwardItem(_ x: \(pointer), _ y: \(mutablePointer)) {") { body in
            body.block("withUnsafeTemporaryAllocation(of: \(type).self, capacity: \(scratch)) { scratch in") { body in
                body.line("guard let d = scratch.baseAddress else { return }")
                if layout.needsOutputTile { body.line("let o = d + \(T * CM)") }
                tiles(&body)
            }
            if p.dataFormat == .channelsFirst, let row = activation.rowFunction {
                body.line("for f in 0..<\(F) { \(row)(y + f &* \(p.convolutionSteps), \(p.convolutionSteps)) }")
            }
        }
    }

    private func tiles(_ body: inout CodePrinter) {
        let T = layout.tile
        let hasInterior = layout.tiles.contains { if case .interior = $0 { true } else { false } }
        var usesDepthwise = false
        for tile in layout.tiles {
            switch tile {
            case .interior(let start, let count):
                usesDepthwise = true
                let destination = layout.needsOutputTile ? "o" : "y + t &* \(F)"
                body.line("// steps \(start) ... \(start + count * T - 1): interior")
                body.block("for i in 0..<\(count) {") { body in
                    body.line("let t = \(start) &+ i &* \(T)")
                    body.line("depthwiseAll(x, d, t, \(T), depthwise)")
                    pointwiseCalls(&body, rows: T, destination: destination)
                    if let finish = finishCall(t: "t", n: T) { body.line(finish) }
                }
            case .border(let start, let steps):
                usesDepthwise = true
                body.line("// steps \(start) ... \(start + steps.count - 1)")
                if hasInterior && steps.allSatisfy({ $0.first == 0 && $0.count == plan.kernelSize }) {
                    body.line("depthwiseAll(x, d, \(start), \(steps.count), depthwise)")
                } else {
                    for (r, taps) in steps.enumerated() {
                        body.line("depthwiseStep(x, d + \(r * CM), \(start + r), \(taps.first), \(taps.count), depthwise)")
                    }
                }
                let destination = layout.needsOutputTile ? "o" : "y + \(start * F)"
                pointwiseCalls(&body, rows: steps.count, destination: destination)
                if let finish = finishCall(t: String(start), n: steps.count) { body.line(finish) }
            }
        }
        if !usesDepthwise { body.line("_ = d") }
    }
}
