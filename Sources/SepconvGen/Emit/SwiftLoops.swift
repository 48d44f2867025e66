/// The `loops` kernel in Swift, the same plan as `CLoops` (see `KernelLayout`):
/// per tile of output steps, the depthwise stage into stack scratch, then a
/// register-blocked pointwise microkernel over standard-library SIMD vectors
/// (`SIMD8<Float>`, `SIMD4<Double>`), then the activation and store. Swift
/// has no condition for target features, so the 512-bit paths (C's
/// `__AVX512F__`: the depthwise stage 16 floats at a time, the pointwise
/// kernel for pairs of filter blocks) are chosen by `-D SEPCONV_GEN_AVX512`.
///
/// Multiply-adds go through `madd`: Swift does not contract `a + b * c`, and
/// `addingProduct` becomes a call of `fmaf` per lane on targets without FMA
/// (x86-64 without `-target-cpu`), so it is fused only on arm64 or when the
/// build says `-D SEPCONV_GEN_FMA` (with e.g. `-target-cpu native`): about
/// 20% faster there (AVX-512 implies FMA, so the 512-bit kernel always fuses).
/// The scratch comes from `withUnsafeTemporaryAllocation`, on the stack at
/// these sizes. Weight arrays reach the kernels as pointers through Swift's
/// array-to-pointer argument conversion.
struct SwiftLoops {
    let plan: LayerPlan
    let layout: KernelLayout
    let lowering: Lowering

    private var type: String { SwiftEmitter.swiftType(plan.dtype) }
    private var vector: String { plan.dtype == .float32 ? "SIMD\(W)<Float>" : "SIMD\(W)<Double>" }
    private var C: Int { plan.inputChannels }
    private var M: Int { plan.depthMultiplier }
    private var F: Int { plan.filters }
    private var CM: Int { plan.depthwiseChannels }
    private var W: Int { layout.lanes }
    private var Fp: Int { layout.paddedFilters }
    private var outStride: Int { layout.needsOutputTile ? Fp : F }
    /// The 512-bit vector of the wide kernel: two blocks' rows at a time.
    private var wideVector: String { plan.dtype == .float32 ? "SIMD\(2 * W)<Float>" : "SIMD\(2 * W)<Double>" }
    private var pointer: String { "UnsafePointer<\(type)>" }
    private var mutablePointer: String { "UnsafeMutablePointer<\(type)>" }

    func print(_ printer: inout CodePrinter) {
        let p = plan
        let program = ProgramPrinter(spelling: SwiftSpelling(namer: Namer(layer: p.name, language: .swift, dtype: p.dtype)))
        program.print(lowering.epilogueTables, into: &printer)
        if !lowering.epilogueTables.isEmpty { printer.line() }
        SwiftEmitter.array(&printer, name: "depthwise", values: layout.depthwiseRows, dtype: p.dtype,
                           comment: "depthwise_kernel (\(p.kernelSize), \(C), \(M)): [tap][multiplier * \(C) + channel].")
        printer.line()
        // One array per filter block: a literal of more than a few thousand
        // elements makes swiftc -O superlinearly slow (16384 floats: 12 s;
        // 16 × 1024: 3.4 s, on a loaded machine).
        for (index, values) in layout.pointwiseBlocks.enumerated() {
            let block = layout.filterBlocks[index], first = block.vector * W, width = block.count * W
            SwiftEmitter.array(&printer, name: "pointwise\(index)", values: values, dtype: p.dtype,
                               comment: "pointwise_kernel (1, \(CM), \(F)), filters \(first) ..< \(first + width): "
                                + "[multiplier * \(C) + channel][filter - \(first)], filters past \(F) zero.")
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
        if layout.usesWideVectors {
            printer.line("#if SEPCONV_GEN_AVX512")
            printer.line("@inline(__always)")
            printer.block("private static func loadWide(_ p: \(pointer)) -> \(wideVector) {") { body in
                body.line("UnsafeRawPointer(p).loadUnaligned(as: \(wideVector).self)")
            }
            let operands = (layout.hasWidePairs ? [type] : []) + (layout.hasWideDepthwise ? [wideVector] : [])
            for operand in operands {
                printer.line("@inline(__always)")
                printer.block("private static func madd(_ a: \(wideVector), _ b: \(wideVector), _ c: \(operand)) -> \(wideVector) {") { body in
                    body.line("a.addingProduct(b, c)")
                }
            }
            printer.line("#endif")
            printer.line()
        }
        let fullLengths = layout.fullTapLengths
        if layout.hasPartialSteps || (!fullLengths.isEmpty && plan.dataFormat == .channelsFirst) {
            depthwiseStep(&printer)
            printer.line()
        }
        for rows in fullLengths {
            program.print(lowering.vectorDepthwise(rows: rows), into: &printer)
            printer.line()
        }
        for rows in layout.tileLengths {
            pointwise(&printer, rows: rows)
        }
        for routine in [lowering.finish, lowering.epiloguePass].compactMap({ $0 }) {
            program.print(routine, into: &printer)
            printer.line()
        }
        program.print(lowering.loopsItem, into: &printer)
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

    /// The microkernels for `rows` steps, one per distinct block shape, the
    /// wide one where pairs of plain blocks can take it, and the stage that
    /// calls them for every block.
    private func pointwise(_ printer: inout CodePrinter, rows: Int) {
        var printed: Set<String> = []
        for (index, kernel) in kernels.enumerated() {
            let name = kernelName(rows: rows, block: index)
            guard printed.insert(name).inserted else { continue }
            let width = kernel.vectors * W
            printer.line("/// Pointwise stage of \(rows) steps, filters col ..< col + \(width): "
                + "out[r * \(outStride) + col + f] = bias[col + f] + sum over j of d[r * \(CM) + j] * pw[j * \(width) + f].")
            printer.block("private static func \(name)(_ d: \(pointer), _ out: \(mutablePointer), _ pw: \(pointer), _ col: Int, _ bias: \(pointer)) {") { body in
                microkernel(&body, rows: rows, vectors: kernel.vectors, partialLanes: kernel.partial)
            }
            printer.line()
        }
        if layout.hasWidePairs {
            let width = layout.blockVectors * W
            printer.line("#if SEPCONV_GEN_AVX512")
            printer.line("/// Pointwise stage of \(rows) steps, two blocks of \(width) filters from col, one 512-bit vector of each: "
                + "out[r * \(outStride) + col + f] = bias[col + f] + sum over j of d[r * \(CM) + j] * (pwA, pwB)[j * \(width) + f].")
            printer.block("private static func \(wideKernelName(rows: rows))(_ d: \(pointer), _ out: \(mutablePointer), _ pwA: \(pointer), _ pwB: \(pointer), _ col: Int, _ bias: \(pointer)) {") { body in
                wideMicrokernel(&body, rows: rows)
            }
            printer.line("#endif")
            printer.line()
        }
        printer.line("/// Pointwise stage of \(rows) steps, every filter block.")
        printer.block("private static func pointwiseStage\(rows)(_ d: \(pointer), _ out: \(mutablePointer)) {") { body in
            let calls = { (body: inout CodePrinter, blocks: Range<Int>) in
                for index in blocks {
                    body.line("\(kernelName(rows: rows, block: index))(d, out, pointwise\(index), \(layout.filterBlocks[index].vector * W), bias)")
                }
            }
            guard layout.hasWidePairs else {
                calls(&body, 0..<layout.filterBlocks.count)
                return
            }
            let pairs = layout.plainBlocks.count / 2
            body.line("#if SEPCONV_GEN_AVX512")
            for pair in 0..<pairs {
                let a = 2 * pair
                body.line("\(wideKernelName(rows: rows))(d, out, pointwise\(a), pointwise\(a + 1), \(layout.filterBlocks[a].vector * W), bias)")
            }
            calls(&body, 2 * pairs ..< layout.filterBlocks.count)
            body.line("#else")
            calls(&body, 0..<layout.filterBlocks.count)
            body.line("#endif")
        }
        printer.line()
    }

    private func wideKernelName(rows: Int) -> String {
        "pointwise\(rows)x2w"
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
            body.line("let row = pw + j &* \(vectors * W)")
            for i in 0..<vectors {
                body.line("let w\(i) = load(row\(i == 0 ? "" : " + \(i * W)"))")
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

    /// Two plain blocks at once: `rows` × 2 accumulators of 512 bits.
    private func wideMicrokernel(_ body: inout CodePrinter, rows: Int) {
        let width = layout.blockVectors * W
        body.line("let b0 = loadWide(bias + col)")
        body.line("let b1 = loadWide(bias + (col &+ \(width)))")
        for r in 0..<rows {
            body.line("var a\(r)_0 = b0")
            body.line("var a\(r)_1 = b1")
        }
        body.block("for j in 0..<\(CM) {") { body in
            body.line("let w0 = loadWide(pwA + j &* \(width))")
            body.line("let w1 = loadWide(pwB + j &* \(width))")
            for r in 0..<rows {
                body.line("let d\(r) = d[\(r * CM) &+ j]")
                body.line("a\(r)_0 = madd(a\(r)_0, w0, d\(r))")
                body.line("a\(r)_1 = madd(a\(r)_1, w1, d\(r))")
            }
        }
        for r in 0..<rows {
            for i in 0..<2 {
                body.line("UnsafeMutableRawPointer(out + (\(r * outStride) &+ col &+ \(i * width))).storeBytes(of: a\(r)_\(i), as: \(wideVector).self)")
            }
        }
    }
}
