/// What both emitters print the same way for a plan, beside its schedule
/// (`plan.schedule`, which every `layout.x` reads through): the order weights
/// are laid out in, the header comments, index arithmetic.
@dynamicMemberLookup
struct KernelLayout {
    let plan: LayerPlan

    init(plan: LayerPlan) {
        self.plan = plan
    }

    /// The schedule's decisions.
    subscript<Value>(dynamicMember path: KeyPath<KernelSchedule, Value>) -> Value {
        plan.schedule[keyPath: path]
    }

    static var vectorBytes: Int { KernelSchedule.vectorBytes }

    /// The loops kernel's weight tables in `language`: the depthwise kernel by
    /// tap, the pointwise kernel packed per filter block, the bias padded to
    /// whole vectors. With `passesWeights` (Swift) each block is an array of
    /// its own, as a literal of more than a few thousand elements makes swiftc
    /// -O superlinearly slow (16384 floats: 12 s; 16 × 1024: 3.4 s, on a loaded
    /// machine), and the bias is there even when it is zeros; otherwise (C) the
    /// blocks are one array, ending in zero rows where the prefetches run ahead.
    /// A `ConvolutionVariant` has only the tables of the kernels it multiplies
    /// by: a Conv1D's kernel is the pointwise table of its gathered taps.
    func weightTables(_ language: TargetLanguage) -> [Statement] {
        let p = plan, (C, M, CM, F, W) = (p.inputChannels, p.depthMultiplier, p.depthwiseChannels, p.filters, self.lanes)
        let swift = Lowering.Options.of(language).passesWeights
        let depthwise = "depthwise_kernel (\(p.kernelSize), \(C), \(M)) as [tap * \(CM) + multiplier * \(C) + channel]."
        var tables: [Statement] = p.convolution.hasDepthwiseKernel ? [.table("depthwise", comment: depthwise, depthwiseRows, aligned: true)] : []
        let (kernel, row) = p.convolution == .denseTaps ? ("kernel (\(M), \(C), \(F))", "tap") : ("pointwise_kernel (1, \(CM), \(F))", "multiplier")
        if swift && p.convolution.hasPointwiseKernel {
            tables += zip(pointwiseBlocks, self.filterBlocks).enumerated().map { index, table in
                let (first, width) = (table.1.vector * W, table.1.count * W)
                return .table("pointwise\(index)", comment: "\(kernel), filters \(first) ..< \(first + width): "
                    + "[\(row) * \(C) + channel][filter - \(first)], filters past \(F) zero.", table.0, aligned: true)
            }
        } else if p.convolution.hasPointwiseKernel {
            let pad = self.prefetchesWeights ? KernelSchedule.prefetchRows * self.blockVectors * W : 0
            tables.append(.table("pointwise", comment: "\(kernel) packed in blocks of \(self.blockVectors * W) filters: "
                + "[block][\(row) * \(C) + channel][filter in block], filters past \(F) zero"
                + (pad > 0 ? "; then \(KernelSchedule.prefetchRows) zero rows for the prefetches that run ahead." : "."),
                pointwiseBlocks.flatMap { $0 } + [Double](repeating: 0, count: pad), aligned: true))
        }
        if p.useBias || swift {
            tables.append(.table("bias", comment: (p.useBias ? "bias (\(F),), padded with zeros to \(self.paddedFilters)" : "no bias: zeros, \(self.paddedFilters)") + ".",
                                 paddedBias, aligned: true))
        }
        return tables
    }

    /// The depthwise kernel as `[tap][m * C + c]`: channels of one multiplier
    /// contiguous, so the depthwise stage reads each input row with vector loads.
    private var depthwiseRows: [Double] {
        let p = plan, (C, M, K) = (p.inputChannels, p.depthMultiplier, p.kernelSize)
        var values = [Double](repeating: 0, count: K * C * M)
        for k in 0..<K {
            for c in 0..<C {
                for m in 0..<M {
                    values[k * C * M + m * C + c] = p.weights.depthwise(k, c, m)
                }
            }
        }
        return values
    }

    /// The pointwise kernel packed per filter block (`filterBlocks`): block `b` is
    /// `[m * C + c][width]`, `width` its vectors' lanes, filters past F zero, so
    /// each step of the microkernel reads one contiguous row of the block
    /// (64 bytes for two float vectors: one cache line).
    private var pointwiseBlocks: [[Double]] {
        let p = plan, (C, M, F) = (p.inputChannels, p.depthMultiplier, p.filters)
        return plan.schedule.filterBlocks.map { block in
            let width = block.count * self.lanes, first = block.vector * self.lanes
            var values = [Double](repeating: 0, count: C * M * width)
            for c in 0..<C {
                for m in 0..<M {
                    for i in 0..<width where first + i < F {
                        values[(m * C + c) * width + i] = p.weights.pointwise(c * M + m, first + i)
                    }
                }
            }
            return values
        }
    }

    /// The bias padded with zeros to whole vectors (zeros when there is no bias).
    private var paddedBias: [Double] {
        (0..<plan.schedule.paddedFilters).map { $0 < plan.filters ? plan.weights.bias($0) : 0 }
    }

    /// One line describing the layer, for the files' header comments.
    var summary: String {
        let p = plan
        let input = p.dataFormat == .channelsLast ? "(\(p.inputSteps), \(p.inputChannels))" : "(\(p.inputChannels), \(p.inputSteps))"
        let output = p.dataFormat == .channelsLast ? "(\(p.outputSteps), \(p.outputChannels))" : "(\(p.outputChannels), \(p.outputSteps))"
        return "\(p.format.name) \(p.dataFormat.rawValue): input \(input) -> output \(output); kernel_size \(p.kernelSize), "
            + "strides \(p.stride), dilation_rate \(p.dilation), padding \(p.padding.rawValue) (\(p.padLeft) left, \(p.padRight) right), "
            + "depth_multiplier \(p.depthMultiplier), filters \(p.filters), \(p.useBias ? "bias" : "no bias"), activation \(p.activation.rawValue)."
    }

    /// The plan line of the header comments.
    func planDescription(_ language: TargetLanguage) -> String {
        let wide = language == .c ? "where the target has AVX-512" : "with -D SEPCONV_GEN_AVX512"
        if plan.quantized != nil {
            let shape = plan.unroll[language] == .full ? "fully unrolled, weights as literals" : "a loop per step run (borders peeled)"
            return "int8, TFLite's reference arithmetic (int32 sums, per-channel requantization), \(shape), \(plan.multiplyAdds) multiply-adds per item."
        }
        switch plan.unroll[language] {
        case .full:
            return "fully unrolled, \(plan.multiplyAdds) multiply-adds per item, weights as literals."
        case .loops:
            return "tiles of \(self.tile) output steps x \(self.blockVectors * self.lanes) filters in registers (\(self.lanes)-lane vectors"
                + (self.hasWidePairs ? "; x \(4 * self.lanes) in \(2 * self.lanes)-lane vectors \(wide)" : "")
                + "), depthwise fused per tile" + (self.hasWideDepthwise ? " (\(2 * self.lanes)-lane vectors \(wide))" : "")
                + ", borders peeled, \(plan.multiplyAdds) multiply-adds per item."
        }
    }

    /// The template values both languages' files take the same way.
    func templateValues(_ language: TargetLanguage, callsMath: Bool) -> TemplateRenderer {
        var values = TemplateRenderer()
        values["NAME"] = plan.name
        values["SUMMARY"] = summary
        values["PLAN"] = planDescription(language)
        values["LAYOUT"] = layoutDescription
        for (key, value) in [("INPUT_STEPS", plan.inputSteps), ("INPUT_CHANNELS", plan.inputChannels),
                             ("OUTPUT_STEPS", plan.outputSteps), ("OUTPUT_CHANNELS", plan.outputChannels)] {
            values[key] = String(value)
        }
        values["NOTES"] = notes(callsMath: callsMath, prefix: language == .c ? " * " : "// ")
        return values
    }

    /// Lines of the files' header comments that only some layers have: where
    /// generated weights came from, and (C) that the code calls libm.
    func notes(callsMath: Bool, prefix: String) -> String {
        let lines = [plan.provenance.map { "Weights " + $0 + "." },
                     callsMath ? "Link with -lm: the activation calls the C math library." : nil].compactMap { $0 }
        return lines.map { prefix + $0 + "\n" }.joined()
    }

    /// The layout of the buffers in words.
    var layoutDescription: String {
        plan.dataFormat == .channelsLast ? "each item (steps, channels) (channels_last)" : "each item (channels, steps) (channels_first)"
    }
}
