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
        let passesWeights = Lowering.Options.of(language).passesWeights
        let depthwise = "depthwise_kernel (\(p.kernelSize), \(C), \(M)) as [tap * \(CM) + multiplier * \(C) + channel]."
        var tables: [Statement] = p.convolution.hasDepthwiseKernel ? [.table("depthwise", comment: depthwise, depthwiseRows, aligned: true)] : []
        let (kernel, row) = p.convolution == .denseTaps ? ("kernel (\(M), \(C), \(F))", "tap") : ("pointwise_kernel (1, \(CM), \(F))", "multiplier")
        if passesWeights && p.convolution.hasPointwiseKernel {
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
        // Routines that take their weights take the bias table too, zeros where the layer has none.
        if p.useBias || passesWeights {
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
}
