import Testing
@testable import SepconvGen
import KerasInitializers

@Suite struct PlannerTests {
    /// Keras's 'same' arithmetic, written out independently of the planner.
    private func kerasSame(_ L: Int, _ K: Int, _ s: Int, _ d: Int) -> (out: Int, left: Int, right: Int) {
        let out = Int((Double(L) / Double(s)).rounded(.up))
        let total = max((out - 1) * s + (K - 1) * d + 1 - L, 0)
        return (out, total / 2, total - total / 2)
    }

    private func spec(steps: Int, kernel: Int, strides: Int, dilation: Int, padding: Padding) -> LayerSpec {
        LayerSpec(file: "t.yaml", name: "t", dtype: .float32, inputSteps: steps, inputChannels: 1, filters: 1,
                  kernelSize: kernel, strides: strides, padding: padding, dataFormat: .channelsLast,
                  dilationRate: dilation, depthMultiplier: 1, activation: .linear, useBias: false,
                  depthwiseInitializer: .zeros, pointwiseInitializer: .zeros, biasInitializer: .zeros,
                  seed: 0, weights: nil, marks: [:])
    }

    private func plan(_ spec: LayerSpec) -> LayerPlan {
        let weights = LayerWeights(depthwiseKernel: Tensor(shape: [spec.kernelSize, 1, 1], repeating: 1),
                                   pointwiseKernel: Tensor(shape: [1, 1, 1], repeating: 1), bias: nil)
        return Planner.plan(spec, weights: weights)
    }

    /// The footprint `explain` prints: the weights at the element's size, the C kernel's stack
    /// buffers as its header states them (none in straight-line code), and the streaming state.
    @Test func footprintCountsWeightsStackAndState() {
        var layer = spec(steps: 20, kernel: 3, strides: 1, dilation: 2, padding: .same)
        var p = plan(layer)
        #expect(p.footprint.weightBytes == p.parameterCount * 4)
        #expect(p.unroll.c == .full && p.footprint.stackBytes == 0)
        #expect(p.footprint.streamStateBytes == nil)
        layer.streaming = true
        p = Planner.plan(layer, weights: p.weights, unroll: .loops)
        #expect(p.footprint.stackBytes == p.schedule.stackBytes && p.footprint.stackBytes > 0)
        #expect(p.footprint.streamStateBytes == p.stream?.stateBytes && (p.footprint.streamStateBytes ?? 0) > 0)
        #expect(CEmitter.emit(p).source.contains("Stack: at most \(p.footprint.stackBytes) bytes"))
    }

    @Test func samePaddingMatchesKerasEverywhere() {
        for L in 1...13 { for K in 1...6 { for s in 1...4 { for d in 1...4 {
            let p = plan(spec(steps: L, kernel: K, strides: s, dilation: d, padding: .same))
            let expected = kerasSame(L, K, s, d)
            #expect(p.convolutionSteps == expected.out && p.padLeft == expected.left && p.padRight == expected.right,
                    "L=\(L) K=\(K) s=\(s) d=\(d)")
        } } } }
    }

    @Test func validPaddingHasNoPads() {
        let p = plan(spec(steps: 20, kernel: 3, strides: 2, dilation: 3, padding: .valid))
        #expect(p.convolutionSteps == (20 - 7) / 2 + 1)
        #expect(p.padLeft == 0 && p.padRight == 0)
    }

    /// The runs cover every step once, in order, and their taps are exactly the in-bounds ones.
    @Test func runsListExactlyTheTapsThatReadTheInput() {
        for L in 1...12 { for K in 1...5 { for s in 1...3 { for d in 1...4 { for padding in [Padding.same, .valid] {
            guard padding == .same || (K - 1) * d + 1 <= L else { continue }
            let p = plan(spec(steps: L, kernel: K, strides: s, dilation: d, padding: padding))
            #expect(p.runs.first?.steps.lowerBound == 0)
            #expect(p.runs.last?.steps.upperBound == p.convolutionSteps)
            for (a, b) in zip(p.runs, p.runs.dropFirst()) { #expect(a.steps.upperBound == b.steps.lowerBound) }
            for run in p.runs {
                for step in run.steps {
                    let reading = (0..<K).filter { (0..<L).contains(p.inputStep(forOutput: step, tap: $0)) }
                    #expect(reading == Array(run.firstTap ..< run.firstTap + run.tapCount), "L=\(L) K=\(K) s=\(s) d=\(d) step \(step)")
                }
                #expect(run.isInterior == (run.tapCount == K))
            }
        } } } } }
    }

    @Test func countsParametersAndMultiplyAdds() {
        var s = spec(steps: 10, kernel: 3, strides: 1, dilation: 1, padding: .same)
        s.inputChannels = 2; s.depthMultiplier = 2; s.filters = 5; s.useBias = true
        let weights = LayerWeights(depthwiseKernel: Tensor(shape: [3, 2, 2], repeating: 1),
                                   pointwiseKernel: Tensor(shape: [1, 4, 5], repeating: 1), bias: Tensor(shape: [5], repeating: 0))
        let p = Planner.plan(s, weights: weights)
        #expect(p.parameterCount == 3 * 4 + 4 * 5 + 5)
        // Two border steps read 2 taps each, eight read 3.
        #expect(p.depthwiseMultiplyAdds == (2 * 2 + 8 * 3) * 4)
        #expect(p.pointwiseMultiplyAdds == 10 * 4 * 5)
    }

    @Test func autoUnrollFollowsTheBudget() {
        let small = plan(spec(steps: 8, kernel: 3, strides: 1, dilation: 1, padding: .same))
        #expect(small.unroll.c == .full && small.unroll.swift == .full)
        var big = spec(steps: 400, kernel: 3, strides: 1, dilation: 1, padding: .same)
        big.filters = 1
        let weights = LayerWeights(depthwiseKernel: Tensor(shape: [3, 1, 1], repeating: 1),
                                   pointwiseKernel: Tensor(shape: [1, 1, 1], repeating: 1), bias: nil)
        let p = Planner.plan(big, weights: weights)
        #expect(p.multiplyAdds > UnrollBudget.swift)
        #expect(p.unroll.swift == .loops)
        #expect(Planner.plan(big, weights: weights, unroll: .full).unroll.swift == .full)
        #expect(Planner.plan(small.spec, weights: small.weights, unroll: .loops).unroll.c == .loops)
    }

    /// `auto` weighs code size: within the 512 multiply-adds, `full` only
    /// while the unrolled kernel's estimated code fits 2 KiB (128
    /// multiply-adds in float32, 53 in float64), in both languages.
    @Test func autoUnrollWeighsCodeSize() {
        #expect(UnrollBudget.autoMultiplyAdds(for: .c, dtype: .float32) == 128)
        #expect(UnrollBudget.autoMultiplyAdds(for: .swift, dtype: .float64) == 53)
        // One channel, one filter, kernel 1 and no bias: 2 multiply-adds a step.
        let unroll = { (steps: Int, dtype: DType) -> UnrollDecision in
            var s = self.spec(steps: steps, kernel: 1, strides: 1, dilation: 1, padding: .valid)
            s.dtype = dtype
            return self.plan(s).unroll
        }
        #expect(unroll(64, .float32) == UnrollDecision(c: .full, swift: .full))     // 128 multiply-adds, 2,048 bytes
        #expect(unroll(65, .float32) == UnrollDecision(c: .loops, swift: .loops))   // 130: within 512, past 2 KiB
        #expect(unroll(26, .float64) == UnrollDecision(c: .full, swift: .full))     // 52
        #expect(unroll(27, .float64) == UnrollDecision(c: .loops, swift: .loops))   // 54
    }
}

private extension LayerPlan {
    var spec: LayerSpec {
        LayerSpec(file: "t.yaml", name: name, dtype: dtype, inputSteps: inputSteps, inputChannels: inputChannels,
                  filters: filters, kernelSize: kernelSize, strides: stride, padding: padding, dataFormat: dataFormat,
                  dilationRate: dilation, depthMultiplier: depthMultiplier, activation: activation, useBias: useBias,
                  depthwiseInitializer: .zeros, pointwiseInitializer: .zeros, biasInitializer: .zeros, seed: 0, weights: nil, marks: [:])
    }
}
