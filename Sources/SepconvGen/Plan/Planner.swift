/// Lowers a validated spec and its weights to a `LayerPlan`.
public enum Planner {
    /// Fixes the layer's geometry (Keras's 'same' arithmetic: out = ceil(L/s),
    /// total pad = max((out − 1)·s + (K − 1)·d + 1 − L, 0), the odd one on the
    /// right), groups output steps into tap runs, and decides unrolling.
    public static func plan(_ spec: LayerSpec, weights: LayerWeights, unroll request: UnrollRequest = .auto) -> LayerPlan {
        let receptiveField = (spec.kernelSize - 1) * spec.dilationRate + 1
        let steps: Int
        let padLeft: Int
        let padRight: Int
        switch spec.padding {
        case .valid:
            steps = (spec.inputSteps - receptiveField) / spec.strides + 1
            (padLeft, padRight) = (0, 0)
        case .same:
            steps = (spec.inputSteps + spec.strides - 1) / spec.strides
            let total = max((steps - 1) * spec.strides + receptiveField - spec.inputSteps, 0)
            (padLeft, padRight) = (total / 2, total - total / 2)
        }
        let runs = stepRuns(steps: steps, inputSteps: spec.inputSteps, kernel: spec.kernelSize,
                            stride: spec.strides, dilation: spec.dilationRate, padLeft: padLeft)
        let lastAxis = spec.dataFormat == .channelsLast ? spec.filters : steps
        let reduced = spec.activation.outputLength(forLastAxis: lastAxis)
        var plan = LayerPlan(
            name: spec.name, dtype: spec.dtype, dataFormat: spec.dataFormat, activation: spec.activation,
            inputSteps: spec.inputSteps, inputChannels: spec.inputChannels, depthMultiplier: spec.depthMultiplier,
            filters: spec.filters, kernelSize: spec.kernelSize, stride: spec.strides, dilation: spec.dilationRate,
            padding: spec.padding, padLeft: padLeft, padRight: padRight, convolutionSteps: steps,
            outputSteps: spec.dataFormat == .channelsLast ? steps : reduced,
            outputChannels: spec.dataFormat == .channelsLast ? reduced : spec.filters,
            weights: weights, runs: runs, unroll: UnrollDecision(c: .loops, swift: .loops))
        func strategy(_ language: TargetLanguage) -> UnrollStrategy {
            switch request {
            case .full: .full
            case .loops: .loops
            case .auto: plan.multiplyAdds <= UnrollBudget.multiplyAdds(for: language) ? .full : .loops
            }
        }
        plan.unroll = UnrollDecision(c: strategy(.c), swift: strategy(.swift))
        plan.stream = spec.streaming ? StreamGeometry(plan) : nil
        return plan
    }

    /// Groups output steps by the kernel positions that land in the input.
    static func stepRuns(steps: Int, inputSteps: Int, kernel: Int, stride: Int, dilation: Int, padLeft: Int) -> [StepRun] {
        var runs: [StepRun] = []
        var step = 0
        while step < steps {
            let (first, count) = taps(step: step, inputSteps: inputSteps, kernel: kernel, stride: stride, dilation: dilation, padLeft: padLeft)
            // The tap range changes only where a tap crosses an edge: find the run's end by bisection.
            var low = step + 1, high = steps
            while low < high {
                let middle = (low + high) / 2
                let probe = taps(step: middle, inputSteps: inputSteps, kernel: kernel, stride: stride, dilation: dilation, padLeft: padLeft)
                if probe == (first, count) { low = middle + 1 } else { high = middle }
            }
            runs.append(StepRun(steps: step..<low, firstTap: count == 0 ? 0 : first, tapCount: count, isInterior: count == kernel))
            step = low
        }
        return runs
    }

    /// The kernel positions of output `step` that read the input: `first ..< first + count`.
    static func taps(step: Int, inputSteps: Int, kernel: Int, stride: Int, dilation: Int, padLeft: Int) -> (first: Int, count: Int) {
        let origin = step * stride - padLeft
        // first: smallest k with origin + k·d >= 0; last: largest k with origin + k·d <= L − 1.
        let first = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation
        let limit = inputSteps - 1 - origin
        let last = limit < 0 ? -1 : min(kernel - 1, limit / dilation)
        // (first, last) never repeats once it changes, so an empty window keeps its own `first`.
        return (first, max(0, last - first + 1))
    }
}
