/// Lowers a validated spec and its weights to a `LayerPlan`.
public enum Planner {
    /// Fixes the layer's geometry (`LayerGeometry`: Keras's arithmetic),
    /// groups output steps into tap runs, carries the output shape through
    /// the activation and each `epilogue` step, decides unrolling and the
    /// `loops` kernels' schedule.
    public static func plan(_ spec: LayerSpec, weights: LayerWeights, unroll request: UnrollRequest = .auto,
                            epilogue: [EpilogueStep] = []) -> LayerPlan {
        let geometry = LayerGeometry(spec)
        let runs = geometry.runs
        let steps = geometry.convolutionSteps
        // Activations along the last axis: the filters (channels_last) or the steps (channels_first).
        var lastAxis = spec.dataFormat == .channelsLast ? spec.filters : steps
        for activation in [spec.activation] + epilogue.compactMap(\.activation) {
            lastAxis = activation.outputLength(forLastAxis: lastAxis)
        }
        let needsOutputTile = spec.dataFormat == .channelsFirst || spec.activation == .glu || !epilogue.isEmpty
        let schedule = KernelSchedule(geometry: geometry, runs: runs, dtype: spec.dtype, dataFormat: spec.dataFormat,
                                      needsOutputTile: needsOutputTile,
                                      finishes: needsOutputTile || spec.activation != .linear)
        return LayerPlan(
            name: spec.name, dtype: spec.dtype, dataFormat: spec.dataFormat, activation: spec.activation,
            inputSteps: spec.inputSteps, inputChannels: spec.inputChannels, depthMultiplier: spec.depthMultiplier,
            filters: spec.filters, kernelSize: spec.kernelSize, stride: spec.strides, dilation: spec.dilationRate,
            padding: spec.padding, padLeft: geometry.padLeft, padRight: geometry.padRight, convolutionSteps: steps,
            outputSteps: spec.dataFormat == .channelsLast ? steps : lastAxis,
            outputChannels: spec.dataFormat == .channelsLast ? lastAxis : spec.filters,
            weights: weights, runs: runs,
            unroll: UnrollDecision(c: strategy(request, geometry, .c), swift: strategy(request, geometry, .swift)),
            epilogue: epilogue, geometry: geometry, schedule: schedule)
    }

    /// `--unroll auto`: `full` while the multiply-adds fit the language's budget.
    static func strategy(_ request: UnrollRequest, _ geometry: LayerGeometry, _ language: TargetLanguage) -> UnrollStrategy {
        switch request {
        case .full: .full
        case .loops: .loops
        case .auto: geometry.totalMultiplyAdds <= UnrollBudget.multiplyAdds(for: language) ? .full : .loops
        }
    }

    /// Why `request` cannot be honoured for `plan`, if it cannot: `--unroll
    /// full` past `Limits.maxFullUnrollMultiplyAdds` would print megabytes of
    /// straight-line code.
    public static func refusal(of request: UnrollRequest, for plan: LayerPlan) -> String? {
        guard request == .full, plan.multiplyAdds > Limits.maxFullUnrollMultiplyAdds else { return nil }
        return "--unroll full: the layer needs \(plan.multiplyAdds) multiply-adds per item; "
            + "straight-line code is limited to \(Limits.maxFullUnrollMultiplyAdds) (use --unroll auto or loops)"
    }
}
