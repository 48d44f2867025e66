/// The `loops` kernel in C (see `KernelLayout` for the tiling): per tile of
/// output steps, the depthwise stage into a stack buffer, then a
/// register-blocked pointwise microkernel, then the activation and store.
///
/// The fast path uses GCC/Clang vector extensions (`vector_size(32)`, lowered
/// to the target's SIMD) with the accumulators as named locals; it sits behind
/// the schedule's `VectorGuard`: GCC or Clang on a target with float SIMD.
/// Any other compiler or target (a Cortex-M, where vector extensions become
/// element-by-element code), or `-DSEPCONV_GEN_PORTABLE`, gets plain C99
/// loops with the same tiles (`Lowering.portableRoutines`): sums in locals,
/// weights loaded once per channel or filter group, each result stored once.
/// Where the target has AVX-512 (`__AVX512F__`), the depthwise stage takes
/// 512-bit vectors of channels (`KernelLayout.hasWideDepthwise`) and pairs of
/// plain filter blocks a 512-bit microkernel (`KernelLayout.hasWidePairs`);
/// clang is told to keep such vectors whole (`min_vector_width`). Weights
/// past L1 are prefetched a few rows ahead (`KernelLayout.prefetchesWeights`).
/// gcc in ISO mode (`-std=c99`) does not contract `a * b + c` into fused
/// multiply-adds; the vector kernels and the portable ones ask it to
/// (`optimize("fp-contract=fast")`), as clang and gcc's GNU modes do by default.
struct CLoops {
    let plan: LayerPlan
    let layout: KernelLayout
    let lowering: Lowering
    /// The activation helpers, each a group of lines.
    let helpers: [[String]]

    private var name: String { plan.name }
    private var type: String { CEmitter.cType(plan.dtype) }
    private var C: Int { plan.inputChannels }
    private var M: Int { plan.depthMultiplier }
    private var F: Int { plan.filters }
    private var CM: Int { plan.depthwiseChannels }
    private var W: Int { layout.lanes }
    private var Fp: Int { layout.paddedFilters }
    /// The row stride of the pointwise stage's destination.
    private var outStride: Int { layout.needsOutputTile ? Fp : F }

    var text: String {
        var printer = CodePrinter()
        let p = plan
        printer.lines([
            "#if \(layout.vectorGuard.condition)",
            "#define \(name)_VECTOR 1",
            "#define \(name)_ALIGNED __attribute__((aligned(\(KernelLayout.vectorBytes))))",
            "#if defined(__clang__)",
            "/* clang splits 512-bit vectors in two on cores tuned for 256-bit ones unless the function asks for them. */",
            "#if __has_attribute(min_vector_width)",
            "#define \(name)_KERNEL static __attribute__((min_vector_width(512)))",
            "#else",
            "#define \(name)_KERNEL static",
            "#endif",
            "#else",
            "#define \(name)_KERNEL static __attribute__((optimize(\"fp-contract=fast\")))",
            "#endif",
            "/* Border steps: kept out of line, so their inlined copies do not grow the item's frame. */",
            "#define \(name)_BORDER static __attribute__((noinline))",
            "#else",
            "#define \(name)_ALIGNED",
            "#if defined(__GNUC__) && !defined(__clang__)",
            "/* gcc in ISO mode does not contract a * b + c into fused multiply-adds unless asked. */",
            "#define \(name)_KERNEL static __attribute__((optimize(\"fp-contract=fast\")))",
            "#else",
            "#define \(name)_KERNEL static",
            "#endif",
            "#endif",
            "",
        ])
        array(&printer, name: "\(name)_depthwise", values: layout.depthwiseRows, dtype: p.dtype,
              comment: "depthwise_kernel (\(p.kernelSize), \(C), \(M)) as [tap * \(CM) + multiplier * \(C) + channel]", attributes: "\(name)_ALIGNED")
        printer.line()
        // The prefetches of the last rows point past them: zero rows keep them inside the array.
        let prefetchPad = layout.prefetchesWeights ? KernelLayout.prefetchRows * layout.blockVectors * W : 0
        array(&printer, name: "\(name)_pointwise",
              values: layout.pointwiseBlocks.flatMap { $0 } + [Double](repeating: 0, count: prefetchPad), dtype: p.dtype,
              comment: "pointwise_kernel (1, \(CM), \(F)) packed in blocks of \(layout.blockVectors * W) filters: "
                + "[block][multiplier * \(C) + channel][filter in block], filters past \(F) zero"
                + (prefetchPad > 0 ? "; then \(KernelLayout.prefetchRows) zero rows for the prefetches that run ahead" : ""),
              attributes: "\(name)_ALIGNED")
        if p.useBias {
            printer.line()
            array(&printer, name: "\(name)_bias", values: layout.paddedBias, dtype: p.dtype,
                  comment: "bias (\(F),), padded with zeros to \(Fp)", attributes: "\(name)_ALIGNED")
        }
        printer.line()
        let program = ProgramPrinter(spelling: CSpelling(namer: Namer(layer: name, language: .c, dtype: p.dtype)))
        program.print(lowering.epilogueTables, into: &printer)
        if !lowering.epilogueTables.isEmpty { printer.line() }
        for helper in helpers {
            printer.lines(helper)
            printer.line()
        }
        // Every routine is printed only where something calls it (-Wunused-function).
        let fullLengths = layout.fullTapLengths
        printer.line("#if defined(\(name)_VECTOR)")
        printer.line()
        if layout.hasPartialSteps || (!fullLengths.isEmpty && plan.dataFormat == .channelsFirst) {
            depthwiseStep(&printer)
            printer.line()
        }
        printer.lines([
            "#include <string.h>",
            "",
            "typedef \(type) \(name)_vec __attribute__((vector_size(\(KernelLayout.vectorBytes))));",
            "/* The same vector at any element's alignment, allowed to alias the element type: unaligned loads and stores. */",
            "typedef \(type) \(name)_unaligned __attribute__((vector_size(\(KernelLayout.vectorBytes)), aligned(\(layout.elementBytes)), may_alias));",
            "#define \(name)_LOAD(p) (*(const \(name)_unaligned *)(p))",
            "#define \(name)_STORE(p, v) (*(\(name)_unaligned *)(p) = (v))",
            "",
        ])
        if layout.usesWideVectors {
            let bytes = KernelLayout.vectorBytes * 2
            let uses = [layout.hasWideDepthwise ? "the depthwise stage takes \(2 * W) channels at a time" : nil,
                        layout.hasWidePairs ? "the pointwise stage takes two filter blocks at a time, one vector of each" : nil]
            printer.lines([
                "#if defined(__AVX512F__)",
                "/* 512-bit registers: " + uses.compactMap { $0 }.joined(separator: "; ") + ". */",
                "#define \(name)_WIDE 1",
                "typedef \(type) \(name)_wide __attribute__((vector_size(\(bytes))));",
                "typedef \(type) \(name)_wide_unaligned __attribute__((vector_size(\(bytes)), aligned(\(layout.elementBytes)), may_alias));",
                "#define \(name)_WLOAD(p) (*(const \(name)_wide_unaligned *)(p))",
                "#define \(name)_WSTORE(p, v) (*(\(name)_wide_unaligned *)(p) = (v))",
                "#endif",
                "",
            ])
        }
        for rows in fullLengths {
            program.print(lowering.vectorDepthwise(rows: rows), into: &printer)
            printer.line()
        }
        for rows in layout.tileLengths {
            vectorPointwise(&printer, rows: rows)
            printer.line()
        }
        printer.line("#else")
        printer.line()
        for routine in lowering.portableRoutines {
            program.print(routine, into: &printer)
            printer.line()
        }
        printer.line("#endif")
        printer.line()
        for routine in [lowering.finish, lowering.epiloguePass].compactMap({ $0 }) {
            program.print(routine, into: &printer)
            printer.line()
        }
        program.print(lowering.loopsItem, into: &printer)
        return printer.text
    }

    // MARK: Depthwise

    /// The input element of tap `k` for output step `s`, channel `c` (expressions).
    private func inputOffset(step s: String, tap k: String) -> String {
        let origin = "\(s) * \(plan.stride) - \(plan.padLeft) + \(k) * \(plan.dilation)"
        return plan.dataFormat == .channelsLast ? "(\(origin)) * \(C)" : origin
    }

    /// `depthwise_step`: one output step, taps `first ..< first + count`, scalar loops.
    private func depthwiseStep(_ printer: inout CodePrinter) {
        let channelStride = plan.dataFormat == .channelsLast ? "" : " * \(plan.inputSteps)"
        printer.line("/* Depthwise stage of output step s, reading taps first .. first + count - 1: d[multiplier * \(C) + channel]. */")
        printer.function("\(name)_BORDER void \(name)_depthwise_step(const \(type) *restrict x, \(type) *restrict d, const int s, const int first, const int count)") { body in
            body.line("int j, k, c;")
            body.line("for (j = 0; j < \(CM); ++j) d[j] = 0;")
            body.block("for (k = first; k < first + count; ++k) {") { body in
                body.line("const \(type) *w = \(name)_depthwise + k * \(CM);")
                body.line("const \(type) *xk = x + \(inputOffset(step: "s", tap: "k"));")
                if M == 1 {
                    body.line("for (c = 0; c < \(C); ++c) d[c] += xk[c\(channelStride)] * w[c];")
                } else {
                    body.line("int m;")
                    body.line("for (m = 0; m < \(M); ++m) for (c = 0; c < \(C); ++c) d[m * \(C) + c] += xk[c\(channelStride)] * w[m * \(C) + c];")
                }
            }
        }
    }

    // MARK: Pointwise

    /// The vector microkernel for `rows` steps: `rows` × (1 or 2) accumulators
    /// per filter block, one pass over the depthwise channels.
    private func vectorPointwise(_ printer: inout CodePrinter, rows: Int) {
        let partial = layout.needsOutputTile ? 0 : F % W
        let lastVector = layout.filterVectors - 1
        let plain = layout.plainBlocks
        let special = layout.filterBlocks.filter { block in !plain.contains { $0.vector == block.vector } }
        printer.line("/* Pointwise stage of \(rows) steps: out[r * \(outStride) + f] = bias[f] + sum over j of d[r * \(CM) + j] * pointwise[j][f]. */")
        printer.function("\(name)_KERNEL void \(name)_pointwise_\(rows)(const \(type) *restrict d, \(type) *restrict out)") { body in
            body.line("int j;")
            // Plain blocks are consecutive from vector 0; with 512-bit registers pairs of them take the wide kernel.
            let width = layout.blockVectors * W
            let narrow = { (body: inout CodePrinter) in
                body.line("const int col = b * \(width);")
                body.line("const \(type) *pw = \(name)_pointwise + b * \(CM * width);")
                microkernel(&body, rows: rows, column: "col", vectors: layout.blockVectors, partialLanes: 0)
            }
            if layout.hasWidePairs {
                body.line("int b = 0;")
                body.directive("#if defined(\(name)_WIDE)")
                body.block("for (; b + 1 < \(plain.count); b += 2) {") { body in
                    body.line("const int col = b * \(width);")
                    body.line("const \(type) *pw = \(name)_pointwise + b * \(CM * width);")
                    wideMicrokernel(&body, rows: rows, column: "col")
                }
                body.directive("#endif")
                body.block("for (; b < \(plain.count); ++b) {", narrow)
            } else if !plain.isEmpty {
                body.line("int b;")
                body.block("for (b = 0; b < \(plain.count); ++b) {", narrow)
            }
            for block in special {
                body.block("{") { body in
                    let lanes = block.vector + block.count - 1 == lastVector ? partial : 0
                    body.line("const \(type) *pw = \(name)_pointwise + \(CM * block.vector * W);")
                    microkernel(&body, rows: rows, column: String(block.vector * W), vectors: block.count, partialLanes: lanes)
                }
            }
        }
    }

    /// One filter block: accumulators `a<row>_<vector>`, the pass over j, the stores.
    private func microkernel(_ body: inout CodePrinter, rows: Int, column: String, vectors: Int, partialLanes: Int) {
        let v = "\(name)_vec"
        for r in 0..<rows {
            let initial = (0..<vectors).map { i in
                plan.useBias ? "a\(r)_\(i) = \(name)_LOAD(\(name)_bias + \(column) + \(i * W))" : "a\(r)_\(i) = {0}"
            }
            body.line("\(v) " + initial.joined(separator: ", ") + ";")
        }
        body.block("for (j = 0; j < \(CM); ++j) {") { body in
            body.line("const \(type) *w = pw + j * \(vectors * W);")
            for i in 0..<vectors {
                body.line("const \(v) w\(i) = \(name)_LOAD(w + \(i * W));")
            }
            if layout.prefetchesWeights {
                body.line("__builtin_prefetch(w + \(KernelLayout.prefetchRows * vectors * W));")
            }
            for r in 0..<rows {
                body.line("const \(type) d\(r) = d[\(r * CM) + j];")
                for i in 0..<vectors {
                    body.line("a\(r)_\(i) += w\(i) * d\(r);")
                }
            }
        }
        for r in 0..<rows {
            for i in 0..<vectors {
                let target = "out + \(r * outStride) + \(column) + \(i * W)"
                if i == vectors - 1 && partialLanes > 0 {
                    body.line("memcpy(\(target), &a\(r)_\(i), \(partialLanes) * sizeof(\(type)));")
                } else {
                    body.line("\(name)_STORE(\(target), a\(r)_\(i));")
                }
            }
        }
    }

    /// Two plain filter blocks at once in 512-bit vectors, one vector of a block's
    /// row each: `rows` × 2 accumulators, the blocks' rows read from their own
    /// places in the packed weights.
    private func wideMicrokernel(_ body: inout CodePrinter, rows: Int, column: String) {
        let v = "\(name)_wide", width = layout.blockVectors * W
        for r in 0..<rows {
            let initial = (0..<2).map { i in
                plan.useBias ? "a\(r)_\(i) = \(name)_WLOAD(\(name)_bias + \(column) + \(i * width))" : "a\(r)_\(i) = {0}"
            }
            body.line("\(v) " + initial.joined(separator: ", ") + ";")
        }
        body.block("for (j = 0; j < \(CM); ++j) {") { body in
            body.line("const \(v) w0 = \(name)_WLOAD(pw + j * \(width));")
            body.line("const \(v) w1 = \(name)_WLOAD(pw + \(CM * width) + j * \(width));")
            if layout.prefetchesWeights {
                let ahead = KernelLayout.prefetchRows * width
                body.line("__builtin_prefetch(pw + j * \(width) + \(ahead));")
                body.line("__builtin_prefetch(pw + \(CM * width) + j * \(width) + \(ahead));")
            }
            for r in 0..<rows {
                body.line("const \(type) d\(r) = d[\(r * CM) + j];")
                body.line("a\(r)_0 += w0 * d\(r);")
                body.line("a\(r)_1 += w1 * d\(r);")
            }
        }
        for r in 0..<rows {
            for i in 0..<2 {
                body.line("\(name)_WSTORE(out + \(r * outStride) + \(column) + \(i * width), a\(r)_\(i));")
            }
        }
    }
}

extension CLoops {
    /// Prints `static const T name[N] attributes = {...};`, six values a line.
    func array(_ printer: inout CodePrinter, name: String, values: [Double], dtype: DType, comment: String, attributes: String) {
        printer.line("/* \(comment) */")
        printer.block("static const \(CEmitter.cType(dtype)) \(name)[\(values.count)] \(attributes) = {", closing: "};") { printer in
            CEmitter.wrap(&printer, values.map { FloatLiteral.c($0, dtype) }, open: "", close: "")
        }
    }
}
