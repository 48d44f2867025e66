/// The stages of a float32 `loops` kernel on Helium (Armv8.1-M MVE with
/// float lanes, such as the Cortex-M55), in `<arm_mve.h>` intrinsics: the
/// pointwise stage of each tile length (relu applied as it stores where the
/// portable path does so), the depthwise stage of channels_last full-tap
/// tiles and relu6's finish take the place of the portable path's routines
/// there, with the same packed weights and the same buffers; the rest of
/// the portable path (border steps, other activations) stays as it is.
///
/// Helium has eight 128-bit registers. The generic 32-byte vectors of the
/// vector path do not fit it: gcc 12 splits each in two, spills the tile's
/// accumulators through the stack and multiplies and adds apart, so that
/// path executes 2.3 times the scalar path's instructions on a Cortex-M55
/// (`Benchmarks/cortexm.sh --m55`), and its first scheduling pass also
/// miscompiles the split halves (outputs left 0 at -O2 on a 64-filter
/// layer). Here three steps × eight filters of sums stay in six registers,
/// the two weight vectors of a channel in the other two, and each step's
/// depthwise value is the scalar operand of a vector-by-scalar `vfma`.
struct CHelium {
    let plan: LayerPlan
    let namer: Namer
    /// Whether the portable path applies relu as the pointwise stage stores
    /// (the schedule's `fusesActivation`): its item then calls no finish.
    let activatesAsItStores: Bool

    /// Steps whose sums a pointwise pass keeps in registers.
    static let rows = 3
    /// Filters a pointwise pass covers: two 4-lane vectors.
    static let filters = 8

    /// Whether `plan`'s C kernel has Helium routines, as its schedule decides.
    static func applies(to plan: LayerPlan) -> Bool {
        plan.schedule.portableGuards.contains(.mveFloat)
    }

    /// The macros that say the kernel takes its Helium routines (Helium with
    /// float lanes, not asked for the portable path) and how they are
    /// declared, and where the pointwise stage applies relu as it stores
    /// (`relu`), `<name>_HELIUM_RELU(v, zero)`, which sets v's negative lanes
    /// to 0 as `act` does (a compare and a select: -0 and NaN stay).
    static func guardLines(_ name: String, relu: Bool) -> [String] {
        let select = "#define \(name)_HELIUM_RELU(v, zero) ((v) = vpselq_f32((zero), (v), vcmpltq_n_f32((v), 0.0f)))"
        let block = [
            "/* gcc 12 moves each compare's predicate through a core register and back (3 instructions more); a VPT block selects in 2. */",
            "#define \(name)_HELIUM_RELU(v, zero) __asm__(\"vpt.f32 lt, %q0, %q1\\n\\tvmovt %q0, %q1\" : \"+w\"(v) : \"w\"(zero) : \"p0\")",
        ]
        return [
            "#if " + VectorGuard.mveFloat.cCondition,
            "/* Helium (MVE): the routines under \(name)_HELIUM compute in its 128-bit registers, through the ACLE intrinsics. */",
            "#define \(name)_HELIUM 1",
            "#include <arm_mve.h>",
            "#if defined(__clang__)",
            "#define \(name)_HELIUM_KERNEL static",
        ] + (relu ? [select] : []) + [
            "#else",
            "/* gcc 12's first scheduling pass hoists loads until the eight vector registers spill to the stack. */",
            "#define \(name)_HELIUM_KERNEL static __attribute__((optimize(\"no-schedule-insns\")))",
        ] + (relu ? block : []) + [
            "#endif",
            "#endif",
        ]
    }

    /// The Helium form of the portable routine `name`, where it has one.
    func routine(_ name: String) -> [String]? {
        if name.hasPrefix("pointwise_"), let rows = Int(name.dropFirst("pointwise_".count)) {
            return plan.convolution.hasPointwiseKernel ? pointwise(rows: rows) : nil
        }
        guard hasDepthwise, name.hasPrefix("depthwise_"), let rows = Int(name.dropFirst("depthwise_".count)) else { return nil }
        return depthwise(rows: rows)
    }

    /// The pointwise stage's row length in its destination: the output tile's padded rows, or the output's F.
    private var columns: Int { plan.schedule.needsOutputTile ? plan.schedule.paddedFilters : plan.filters }

    /// `pointwise_<rows>` on Helium: passes of `Self.rows` steps, the 1 or 2
    /// steps left over in a last pass of their own, each pass over the
    /// filters 8 at a time.
    func pointwise(rows: Int) -> [String] {
        let schedule = plan.schedule, CM = plan.depthwiseChannels, N = columns
        let full = rows / Self.rows, rest = rows % Self.rows
        let counters = (full > 1 ? ["r"] : []) + ["j"] + (schedule.plainBlockCount > 0 ? ["f"] : [])
        var lines = [
            "/* Pointwise stage of \(rows) step\(rows == 1 ? "" : "s") on Helium: out[r * \(N) + f] = bias[f] + sum over j of d[r * \(CM) + j] * pointwise[j][f]"
                + (activatesAsItStores ? ", relu applied as it stores" : "") + ",",
            "   \(min(rows, Self.rows)) step\(rows == 1 ? "" : "s") x \(Self.filters) filters at a time in \(2 * min(rows, Self.rows)) 4-lane sums. */",
            "\(plan.name)_HELIUM_KERNEL void \(plan.name)_pointwise_\(rows)(const float *restrict d, float *restrict out)",
            "{",
            "    int " + counters.joined(separator: ", ") + ";",
        ]
        if activatesAsItStores { lines.append("    const float32x4_t zero = vdupq_n_f32(0.0f);") }
        // Passes of 3 steps share one loop when there are several; the steps left over take one pass of their own.
        if full > 1 {
            lines.append("    for (r = 0; r < \(full * Self.rows); r += \(Self.rows)) {")
            lines += pass(steps: Self.rows, first: nil)
            lines.append("    }")
        } else if full == 1 {
            lines.append("    {")
            lines += pass(steps: Self.rows, first: 0)
            lines.append("    }")
        }
        if rest > 0 {
            lines.append("    {")
            lines += pass(steps: rest, first: full * Self.rows)
            lines.append("    }")
        }
        lines.append("}")
        return lines
    }

    /// One pass over every filter of `steps` steps from step `first` (nil:
    /// the counter `r`), through one pointer to the pass's first depthwise
    /// row and one to its first output row (fewer live pointers: gcc 12 then
    /// keeps the loop's counters out of the stack).
    private func pass(steps: Int, first: Int?) -> [String] {
        let schedule = plan.schedule, W = schedule.lanes, CM = plan.depthwiseChannels, N = columns
        let pw = namer.table("pointwise")
        let (input, output) = first.map { ("\($0 * CM)", "\($0 * N)") } ?? ("r * \(CM)", "r * \(N)")
        var lines = ["        const float *dr = d + \(input);", "        float *o = out + \(output);"]
        let width = schedule.blockVectors * W
        if schedule.plainBlockCount > 0 {
            // Plain blocks: whole rows of `width` filters, every lane stored.
            lines.append("        for (f = 0; f < \(schedule.plainBlockCount * width); f += \(Self.filters)) {")
            lines += group(steps: steps, weights: "\(pw) + (f / \(width)) * \(CM * width) + f % \(width)", width: width, column: "f", stored: nil)
            lines.append("        }")
        }
        for block in schedule.filterBlocks.dropFirst(schedule.plainBlockCount) {
            let blockWidth = block.count * W, first = block.vector * W, columns = min(blockWidth, N - first)
            for start in stride(from: 0, to: columns, by: Self.filters) {
                lines.append("        {")
                lines += group(steps: steps, weights: "\(pw) + \(CM * first + start)", width: blockWidth, column: "\(first + start)",
                               stored: min(Self.filters, columns - start))
                lines.append("        }")
            }
        }
        return lines
    }

    /// The 8 filters from `column` of `steps` steps, weights' rows `width`
    /// apart from `weights`; `stored` lanes stored (nil: all 8), through
    /// relu where `activatesAsItStores`.
    private func group(steps: Int, weights: String, width: Int, column: String, stored: Int?) -> [String] {
        let CM = plan.depthwiseChannels, N = columns, pad = "            "
        let bias = plan.useBias ? namer.table("bias") : nil
        let initial = { (half: Int) in bias.map { "vldrwq_f32(\($0) + \(column) + \(half * 4))" } ?? "vdupq_n_f32(0.0f)" }
        var lines = [
            pad + "const float *w = \(weights), *dj = dr;",
            pad + "float32x4_t a00 = \(initial(0)), a01 = \(initial(1))"
                + (1..<steps).map { ", a\($0)0 = a00, a\($0)1 = a01" }.joined() + ";",
            pad + "for (j = 0; j < \(CM); ++j) {",
            pad + "    const float " + (0..<steps).map { "x\($0) = dj[\($0 * CM)]" }.joined(separator: ", ") + ";",
            // The second vector first: gcc 12 then advances the pointer in the other load (a post-increment) rather than in a copy.
            pad + "    const float32x4_t w1 = vldrwq_f32(w + 4), w0 = vldrwq_f32(w);",
            pad + "    w += \(width);",
            pad + "    dj += 1;",
        ]
        for row in 0..<steps {
            lines += [pad + "    a\(row)0 = vfmaq_n_f32(a\(row)0, w0, x\(row));", pad + "    a\(row)1 = vfmaq_n_f32(a\(row)1, w1, x\(row));"]
        }
        lines.append(pad + "}")
        for row in 0..<steps {
            for half in 0..<2 {
                let lanes = min(4, max(0, (stored ?? Self.filters) - half * 4))
                let at = "o + " + (row == 0 ? "" : "\(row * N) + ") + column + (half == 0 ? "" : " + 4")
                let value = "a\(row)\(half)"
                // relu as `act` computes it, so -0 and NaN stay what the portable path makes of them.
                if activatesAsItStores && lanes > 0 { lines.append(pad + "\(plan.name)_HELIUM_RELU(\(value), zero);") }
                switch lanes {
                case 0: break
                case 4: lines.append(pad + "vstrwq_f32(\(at), \(value));")
                default: lines.append(pad + "vstrwq_p_f32(\(at), \(value), vctp32q(\(lanes)));")
                }
            }
        }
        return lines
    }

    /// Steps whose depthwise sums a pass keeps in registers (with a tap's
    /// weights and an input vector: all eight).
    static let depthwiseRows = 6

    /// Whether the depthwise routines of full-tap tiles have a Helium form:
    /// channels_last, where a step's channels are contiguous, and at least
    /// one whole vector of them (with fewer, most lanes would idle); not the
    /// dense-tap variant's gather.
    var hasDepthwise: Bool { plan.dataFormat == .channelsLast && plan.inputChannels >= 4 && plan.convolution.hasDepthwiseKernel }

    /// `depthwise_<rows>` on Helium: four channels at a time (the last four
    /// under a lane predicate when C is not a multiple of 4), up to six
    /// steps' sums in registers, each tap's weights loaded once per pass.
    func depthwise(rows: Int) -> [String] {
        let (C, M, CM, K) = (plan.inputChannels, plan.depthMultiplier, plan.depthwiseChannels, plan.kernelSize)
        let (S, D) = (plan.stride, plan.dilation)
        let name = plan.name, dw = namer.table("depthwise"), predicated = C % 4 != 0
        let load = { (at: String) in predicated ? "vldrwq_z_f32(\(at), p)" : "vldrwq_f32(\(at))" }
        let store = { (at: String, value: String) in predicated ? "vstrwq_p_f32(\(at), \(value), p);" : "vstrwq_f32(\(at), \(value));" }
        // Few taps: their weights stay in registers and each input step is loaded once per pass (steps overlap where the stride is below K × dilation).
        let slides = K <= Self.slidingTaps
        var lines = [
            "/* Depthwise stage of output steps t .. t + \(rows - 1) on Helium, every tap reading the input: 4 channels at a time, "
                + (slides ? "the taps' weights in registers, \(Self.registers - 1 - K) steps' sums at a time. */"
                          : "up to \(Self.depthwiseRows) steps' sums in registers. */"),
            "\(name)_HELIUM_KERNEL void \(name)_depthwise_\(rows)(const float *restrict x, float *restrict d, const int t)",
            "{",
            "    int " + (M > 1 ? ["m", "c"] : ["c"]).joined(separator: ", ") + (slides ? ";" : ", k;"),
            M > 1 ? "    for (m = 0; m < \(M); ++m) for (c = 0; c < \(C); c += 4) {" : "    for (c = 0; c < \(C); c += 4) {",
        ]
        let channel = M > 1 ? "m * \(C) + c" : "c"
        if predicated { lines.append("        const mve_pred16_t p = vctp32q(\(C) - c);") }
        lines += [
            "        const float *w = \(dw) + \(channel);",
            "        const float *xc = x + (t * \(S) - \(plan.padLeft)) * \(C) + c;",
        ]
        if slides {
            lines += slidingPasses(rows: rows, load: load, store: store, channel: channel)
            lines += ["    }", "}"]
            return lines
        }
        for first in stride(from: 0, to: rows, by: Self.depthwiseRows) {
            let count = min(Self.depthwiseRows, rows - first)
            let sums = (0..<count).map { "a\($0)" }
            lines += [
                "        {",
                "            float32x4_t " + sums.map { "\($0) = vdupq_n_f32(0.0f)" }.joined(separator: ", ") + ";",
                "            for (k = 0; k < \(K); ++k) {",
                "                const float32x4_t wk = \(load("w + k * \(CM)"));",
                "                const float *xk = xc + k * \(D * C);",
            ]
            for (i, sum) in sums.enumerated() {
                lines.append("                \(sum) = vfmaq_f32(\(sum), \(load("xk + \((first + i) * S * C)")), wk);")
            }
            lines.append("            }")
            for (i, sum) in sums.enumerated() {
                lines.append("            " + store("d + \((first + i) * CM) + \(channel)", sum))
            }
            lines.append("        }")
        }
        lines += ["    }", "}"]
        return lines
    }

    /// Helium's vector registers.
    static let registers = 8
    /// The most taps whose weights stay in registers beside a step's sum and an input vector.
    static let slidingTaps = registers - 2

    /// The passes of a depthwise routine of at most `slidingTaps` taps: the
    /// K weights in registers, `registers - 1 - K` steps' sums at a time,
    /// each input step of a pass loaded once and multiplied into every sum
    /// it feeds.
    private func slidingPasses(rows: Int, load: (String) -> String, store: (String, String) -> String, channel: String) -> [String] {
        let (C, CM, K) = (plan.inputChannels, plan.depthwiseChannels, plan.kernelSize), group = Self.registers - 1 - K
        let (S, D) = (plan.stride, plan.dilation)
        var lines = ["        const float32x4_t " + (0..<K).map { "w\($0) = \(load("w + \($0 * CM)"))" }.joined(separator: ", ") + ";"]
        for first in stride(from: 0, to: rows, by: group) {
            let count = min(group, rows - first)
            lines += ["        {", "            float32x4_t v, " + (0..<count).map { "a\($0)" }.joined(separator: ", ") + ";"]
            // Every input step the pass reads, in order, with the (step, tap) pairs it feeds; a step's first is its tap 0.
            let reads = Dictionary(grouping: (0..<count).flatMap { row in (0..<K).map { (row: row, tap: $0) } }) { (first + $0.row) * S + $0.tap * D }
            for position in reads.keys.sorted() {
                lines.append("            v = \(load("xc + \(position * C)"));")
                for (row, tap) in reads[position, default: []] {
                    lines.append(tap == 0 ? "            a\(row) = vmulq_f32(v, w0);" : "            a\(row) = vfmaq_f32(a\(row), v, w\(tap));")
                }
            }
            lines += (0..<count).map { "            " + store("d + \((first + $0) * CM) + \(channel)", "a\($0)") } + ["        }"]
        }
        return lines
    }

    /// Whether the finish has a Helium form: relu6 on channels_last outputs,
    /// nothing else after the pointwise stage. (relu there is applied as
    /// the pointwise stage stores: no finish.)
    var hasFinish: Bool {
        plan.dataFormat == .channelsLast && plan.epilogue.isEmpty && plan.activation == .relu6
    }

    /// Whether the Helium routines compute the activation themselves, so
    /// that nothing on Helium calls the activation helpers.
    /// (The depthwise-only variant's bias pass has no Helium form: it activates as it stores itself.)
    var computesActivation: Bool { hasFinish || activatesAsItStores && plan.convolution.hasPointwiseKernel }

    /// `finish` on Helium, in place of `act` and the scalar finish: relu6
    /// four values at a time as `act` computes it (compares and selects, so
    /// -0 and NaN stay what `act` makes of them), the last values under a
    /// lane predicate when F is not a multiple of 4.
    var finish: [String] {
        let name = plan.name, F = plan.filters
        var lines = [
            "/* relu6 of n steps' outputs, in place, on Helium: 4 values at a time. */",
            "static void \(name)_finish(float *restrict out, const int n)",
            "{",
            "    int i;",
            "    const float32x4_t zero = vdupq_n_f32(0.0f), six = vdupq_n_f32(6.0f);",
        ]
        // With F a multiple of 4 every vector is whole: no lane predicate (which gcc 12 moves through a core register each time).
        let whole = F % 4 == 0
        lines.append("    for (i = 0; i < n * \(F); i += 4) {")
        if whole {
            lines.append("        float32x4_t v = vldrwq_f32(out + i);")
        } else {
            lines += ["        const mve_pred16_t p = vctp32q(n * \(F) - i);", "        float32x4_t v = vldrwq_z_f32(out + i, p);"]
        }
        lines += [
            "        v = vpselq_f32(zero, v, vcmpltq_n_f32(v, 0.0f));",
            "        v = vpselq_f32(six, v, vcmpgtq_n_f32(v, 6.0f));",
            whole ? "        vstrwq_f32(out + i, v);" : "        vstrwq_p_f32(out + i, v, p);",
            "    }",
            "}",
        ]
        return lines
    }
}
