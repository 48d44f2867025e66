import KerasInitializers
/// Lowers a validated spec and its weights to a `LayerPlan`.
public enum Planner {
    /// Fixes the layer's geometry (`LayerGeometry`: Keras's arithmetic),
    /// groups output steps into tap runs, carries the output shape through
    /// the activation and each `epilogue` step, decides unrolling and the
    /// `loops` kernels' schedule; plans an int8 layer's arithmetic
    /// (`QuantizedPlan`) or records why it cannot (`quantizationRefusal`).
    public static func plan(_ spec: LayerSpec, weights: LayerWeights, unroll request: UnrollRequest = .auto) -> LayerPlan {
        let geometry = LayerGeometry(spec)
        // The affine constants as the emitted code holds them: in the layer's dtype.
        let round = spec.dtype.format.round
        let epilogue = spec.epilogue.map { step -> EpilogueStep in
            switch step {
            case .affine(let scale, let shift): .affine(scale: scale.map(round), shift: shift.map(round))
            case .parametric(let function): .parametric(function.rounded(to: spec.dtype))
            case .activation: step
            }
        }
        let runs = geometry.runs
        let steps = geometry.convolutionSteps
        // Activations along the last axis: the filters (channels_last) or the steps (channels_first).
        var lastAxis = spec.dataFormat == .channelsLast ? spec.filters : steps
        for activation in [spec.activation] + epilogue.compactMap(\.activation) {
            lastAxis = activation.outputLength(forLastAxis: lastAxis)
        }
        let needsOutputTile = spec.dataFormat == .channelsFirst || spec.activation == .glu || !epilogue.isEmpty
        let schedule = KernelSchedule(geometry: geometry, runs: runs, dtype: spec.dtype, dataFormat: spec.dataFormat,
                                      activation: spec.activation, needsOutputTile: needsOutputTile,
                                      finishes: needsOutputTile || spec.activation != .linear)
        var plan = LayerPlan(
            name: spec.name, dtype: spec.dtype, dataFormat: spec.dataFormat, activation: spec.activation,
            inputSteps: spec.inputSteps, inputChannels: spec.inputChannels, depthMultiplier: spec.depthMultiplier,
            filters: spec.filters, kernelSize: spec.kernelSize, stride: spec.strides, dilation: spec.dilationRate,
            padding: spec.padding, padLeft: geometry.padLeft, padRight: geometry.padRight, convolutionSteps: steps,
            outputSteps: spec.dataFormat == .channelsLast ? steps : lastAxis,
            outputChannels: spec.dataFormat == .channelsLast ? lastAxis : spec.filters,
            weights: weights, runs: runs,
            unroll: UnrollDecision(c: strategy(request, geometry, spec.dtype, .c), swift: strategy(request, geometry, spec.dtype, .swift)),
            epilogue: epilogue, provenance: spec.weights == nil ? provenance(spec) : nil, geometry: geometry, schedule: schedule)
        if let layer = spec.quantization {
            plan.quantizationRefusal = spec.dataFormat != .channelsLast || spec.activation != .linear || !epilogue.isEmpty
                ? "an int8 layer is channels_last with a linear activation (its activations are fused into the operators)"
                : QuantizedPlan.refusal(layer, geometry)
            if plan.quantizationRefusal == nil {
                plan.quantized = QuantizedPlan(layer, geometry: geometry, runs: runs)
                plan.weights = quantizedWeights(layer, spec)
                plan.provenance = layer.provenance
            }
        }
        plan.stream = spec.streaming ? StreamGeometry(plan) : nil
        return plan
    }

    /// The int8 weights as values in Keras's shapes (the pointwise bias as
    /// the bias), for what reads a plan's weights generically (shapes, counts).
    static func quantizedWeights(_ layer: QuantizedLayer, _ spec: LayerSpec) -> LayerWeights {
        let shapes = LayerWeights.shapes(of: spec)
        return LayerWeights(depthwiseKernel: Tensor(shape: shapes.depthwise, scalars: layer.depthwiseKernel.map(Double.init)),
                            pointwiseKernel: Tensor(shape: shapes.pointwise, scalars: layer.pointwiseKernel.map(Double.init)),
                            bias: layer.pointwiseBias.map { Tensor(shape: shapes.bias, scalars: $0.map(Double.init)) })
    }

    /// "drawn from glorot_uniform (depthwise), glorot_uniform (pointwise), zeros (bias) with seed 0, not trained".
    static func provenance(_ spec: LayerSpec) -> String {
        let parts = [(spec.depthwiseInitializer, "depthwise"), (spec.pointwiseInitializer, "pointwise")]
            + (spec.useBias ? [(spec.biasInitializer, "bias")] : [])
        return "drawn from " + parts.map { "\($0.0.kindName) (\($0.1))" }.joined(separator: ", ")
            + " with seed \(spec.seed), not trained"
    }

    /// `--unroll auto`: `full` only while the multiply-adds fit the
    /// language's compile-time budget and the unrolled kernel's estimated
    /// code fits `UnrollBudget.codeBytes`.
    static func strategy(_ request: UnrollRequest, _ geometry: LayerGeometry, _ dtype: DType, _ language: TargetLanguage) -> UnrollStrategy {
        switch request {
        case .full: return .full
        case .loops: return .loops
        case .auto:
            let macs = geometry.totalMultiplyAdds
            let fits = macs <= UnrollBudget.multiplyAdds(for: language)
                && UnrollBudget.estimatedFullCodeBytes(multiplyAdds: macs, dtype: dtype) <= UnrollBudget.codeBytes
            return fits ? .full : .loops
        }
    }

    /// Why `request` cannot be honoured for `plan`, if it cannot: an int8
    /// layer the kernels cannot quantize as TFLite does, or `--unroll full`
    /// past `Limits.maxFullUnrollMultiplyAdds`, which would print megabytes of
    /// straight-line code. (The layer's own refusals, its epilogue's and
    /// streaming's included, came before planning: `LayerSpec.crossArgumentErrors`.)
    public static func refusal(of request: UnrollRequest, for plan: LayerPlan) -> String? {
        if let refusal = plan.quantizationRefusal { return refusal }
        guard request == .full, plan.multiplyAdds > Limits.maxFullUnrollMultiplyAdds else { return nil }
        return "--unroll full: the layer needs \(plan.multiplyAdds) multiply-adds per item; "
            + "straight-line code is limited to \(Limits.maxFullUnrollMultiplyAdds) (use --unroll auto or loops)"
    }
}
