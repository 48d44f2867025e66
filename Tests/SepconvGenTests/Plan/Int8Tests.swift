import Testing
@testable import SepconvGen

/// The int8 arithmetic without a compiler: TFLite's fixed-point functions on
/// cases worked out from their definitions, the plan's folded tables, the
/// planner's refusals, and the interpreter against a plain loop written here.
struct Int8Tests {
    @Test func quantizeMultiplierFollowsFrexpAndRound() {
        #expect(FixedPoint.quantizeMultiplier(0) == (0, 0))
        // 1 = 0.5 · 2^1; 0.5 = 0.5 · 2^0; 0.75 · 2^31 = 1610612736.
        #expect(FixedPoint.quantizeMultiplier(1) == (1 << 30, 1))
        #expect(FixedPoint.quantizeMultiplier(0.5) == (1 << 30, 0))
        #expect(FixedPoint.quantizeMultiplier(0.75) == (1_610_612_736, 0))
        // A fraction that rounds up to 2^31 is halved and the shift raised.
        let almostOne = 1 - 0x1p-40
        #expect(FixedPoint.quantizeMultiplier(almostOne * 0x1p-3) == (1 << 30, -2))
        // 2^-32 = 0.5 · 2^-31 keeps shift -31; 2^-33 would need -32: zero.
        #expect(FixedPoint.quantizeMultiplier(0x1p-32) == (1 << 30, -31))
        #expect(FixedPoint.quantizeMultiplier(0x1p-33) == (0, 0))
        // Round half away from zero: 0.6 · 2^31 = 1288490188.8.
        #expect(FixedPoint.quantizeMultiplier(0.6) == (1_288_490_189, 0))
    }

    @Test func effectiveScaleIsDoubleInputTimesFilterOverOutput() {
        let (i, f, o): (Float, Float, Float) = (0.1, 0.3, 0.7)
        #expect(FixedPoint.effectiveScale(input: i, filter: f, output: o) == Double(i) * Double(f) / Double(o))
    }

    @Test func highMultiplyAndRoundingShift() {
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(.min, .min) == .max)
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(1 << 30, 1 << 30) == 1 << 29)
        // 3 · 2^30 · 2 / 2^32 = 1.5: the nudge 2^30 takes it to 2; for −1.5 the nudge 1 − 2^30 and
        // the truncating division give −1 (a tie rounds up, not away from zero, below zero).
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(3, 1 << 30) == 2)
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(-3, 1 << 30) == -1)
        #expect(FixedPoint.saturatingRoundingDoublingHighMul(-5, 1 << 30) == -2)
        let cases: [(Int32, Int, Int32)] = [(5, 1, 3), (-5, 1, -3), (4, 1, 2), (-3, 1, -2), (7, 2, 2), (-6, 2, -2), (6, 2, 2), (-7, 0, -7)]
        for (x, exponent, expected) in cases {
            #expect(FixedPoint.roundingDivideByPOT(x, exponent) == expected, "\(x) / 2^\(exponent)")
        }
        #expect(FixedPoint.roundingDivideByPOT(.max, 31) == 1)
    }

    @Test func requantizationRoundsTwice() {
        // 5 · 0.5 · 2^-1 = 1.25: the high multiply gives 3 (2.5 up), the shift 2 (1.5 up); one rounding would give 1.
        #expect(FixedPoint.multiplyByQuantizedMultiplier(5, 1 << 30, -1) == 2)
        #expect(FixedPoint.multiplyByQuantizedMultiplier(100, 1 << 30, 0) == 50)
        // A positive shift multiplies first: 7 · 2^2 · 0.5.
        #expect(FixedPoint.multiplyByQuantizedMultiplier(7, 1 << 30, 2) == 14)
        #expect(FixedPoint.multiplyByQuantizedMultiplier(-7, 1 << 30, 2) == -14)
    }

    /// The kernels' one-step form equals TFLite's steps plus the zero point:
    /// ties of either rounding, acc = −1 with m = 2^30 (where the sign of acc
    /// and of the high multiply differ), the largest sums, then a seeded sweep.
    @Test func oneStepRequantizationEqualsTFLiteSteps() {
        func check(_ acc: Int32, _ multiplier: Int32, _ right: Int, _ zero: Int) {
            let offset = Int32((1 << (right - 1)) + zero * (1 << right))
            let expected = FixedPoint.multiplyByQuantizedMultiplier(acc, multiplier, -right) + Int32(zero)
            #expect(FixedPoint.requantizeInOneStep(acc, multiplier, offset: offset, right: right) == expected,
                    "acc \(acc), multiplier \(multiplier), right shift \(right), zero point \(zero)")
        }
        let bound: Int32 = (1 << 28) - 1
        for acc: Int32 in [0, 1, -1, 2, -2, 3, -3, 5, -5, 6, -6, 7, -7, bound, -bound] {
            for multiplier: Int32 in [1 << 30, (1 << 30) + 1, .max, 1_610_612_736] {
                for right in [1, 2, 3, 10] {
                    for zero in [-128, -1, 0, 127] { check(acc, multiplier, right, zero) }
                }
            }
        }
        var rng = SplitMix64(seed: 20)
        for _ in 0..<200_000 {
            let right = Int(rng.next() % 16) + 1
            let acc = Int32(truncatingIfNeeded: Int64(rng.next() % UInt64(2 * bound)) - Int64(bound)) >> Int32(rng.next() % 20)
            check(acc, Int32(1 << 30) + Int32(truncatingIfNeeded: rng.next() % (1 << 30)), right, Int(rng.next() % 256) - 128)
        }
    }

    @Test func activationRanges() {
        #expect(FixedPoint.activationRange(.none, scale: 0.1, zeroPoint: 3) == -128...127)
        #expect(FixedPoint.activationRange(.relu, scale: 0.1, zeroPoint: -5) == -5...127)
        #expect(FixedPoint.activationRange(.relu6, scale: 0.1, zeroPoint: 0) == 0...60)
        #expect(FixedPoint.activationRange(.relu6, scale: 0.01, zeroPoint: 0) == 0...127)
        #expect(FixedPoint.activationRange(.reluN1To1, scale: 0.01, zeroPoint: 10) == -90...110)
        // 0.5 / 0.2 = 2.5 in float rounds away from zero.
        #expect(FixedPoint.activationRange(.reluN1To1, scale: 0.4, zeroPoint: 0) == -3...3)
    }

    /// K = 3, C = 1, M = 1, F = 1 on 4 steps, 'same': steps 0 and 3 are borders.
    static func tinyLayer(padding: Padding = .same, leadingPad: Int = 0, pointwiseBias: [Int32]? = [7]) -> LayerSpec {
        var spec = Int8Layers.spec(.init(steps: 4, channels: 1, filters: 1, kernel: 3, strides: 1, dilation: 1, multiplier: 1,
                                         padding: padding, useBias: pointwiseBias != nil), name: "tiny")
        spec.quantization = QuantizedLayer(
            input: .init(scale: 0.02, zeroPoint: -3), intermediate: .init(scale: 0.05, zeroPoint: 4), output: .init(scale: 0.1, zeroPoint: -9),
            depthwiseKernel: [2, -5, 9], depthwiseScales: [0.01], depthwiseBias: [100],
            pointwiseKernel: [-4], pointwiseScales: [0.03], pointwiseBias: pointwiseBias,
            depthwiseActivation: .relu, pointwiseActivation: .none, leadingPad: leadingPad, provenance: "hand-made")
        return spec
    }

    @Test func foldedBiasesFollowTheRuns() throws {
        let plan = Int8Layers.plan(Self.tinyLayer(), .loops)
        let q = try #require(plan.quantized)
        #expect(plan.format == .int8)
        #expect(plan.runs.map(\.firstTap) == [1, 0, 0])
        #expect(plan.runs.map(\.tapCount) == [2, 3, 2])
        // bias − zp · Σ w over the run's taps, zp = −3.
        let expected: [[Int32]] = [[112], [118], [91]]   // 100 + 3·(−5 + 9), 100 + 3·(2 − 5 + 9), 100 + 3·(2 − 5)
        #expect(q.depthwiseBiases == expected)
        // 7 − 4 · (−4).
        #expect(q.pointwiseBias == [23])
        #expect(q.depthwise.clamp == 4...127)
        let (multiplier, shift) = FixedPoint.quantizeMultiplier(Double(Float(0.02)) * Double(Float(0.01)) / Double(Float(0.05)))
        #expect(q.depthwise.multipliers == [multiplier] && q.depthwise.shifts == [shift])
    }

    @Test func leadingPadIsALeftPadOfAValidLayer() {
        let plan = Int8Layers.plan(Self.tinyLayer(padding: .valid, leadingPad: 2), .loops)
        #expect(plan.padLeft == 2 && plan.convolutionSteps == 4)
        #expect(plan.stream == nil)
    }

    @Test func plannerRefusesWhatCouldOverflowOrIsMalformed() {
        var spec = Self.tinyLayer(pointwiseBias: [Int32.max - 10])
        #expect(Int8Layers.plan(spec, .loops).quantizationRefusal?.contains("overflow") == true)
        spec = Self.tinyLayer()
        spec.quantization?.output.scale = 0
        #expect(Int8Layers.plan(spec, .loops).quantizationRefusal != nil)
        spec = Self.tinyLayer()
        spec.quantization?.depthwiseKernel = [1]
        #expect(Int8Layers.plan(spec, .loops).quantizationRefusal?.contains("depthwise kernel") == true)
        spec = Self.tinyLayer()
        spec.quantization?.input.zeroPoint = 200
        #expect(Int8Layers.plan(spec, .loops).quantizationRefusal != nil)
        // An output scale so small that the shift is large: 2^k · sum would pass int32.
        spec = Self.tinyLayer()
        spec.quantization?.output.scale = 1e-9
        #expect(Int8Layers.plan(spec, .loops).quantizationRefusal?.contains("left") == true)
        #expect(Planner.refusal(of: .loops, for: Int8Layers.plan(spec, .loops)) != nil)
    }

    /// The layer on an explicitly padded signal: the input zero point in
    /// every padded step, every tap summed (a padded one adds w · 0).
    static func plainLoop(_ plan: LayerPlan, _ layer: QuantizedLayer, _ x: [Int]) -> [Int] {
        let (L, C, M, F, K) = (plan.inputSteps, plan.inputChannels, plan.depthMultiplier, plan.filters, plan.kernelSize)
        let zp = layer.input.zeroPoint
        let padded = Array(repeating: zp, count: plan.padLeft * C) + x + Array(repeating: zp, count: (plan.padRight + K * plan.dilation + plan.stride) * C)
        func requantize(_ acc: Int, _ real: Double, _ to: QuantizedLayer.Quantization, _ act: QuantizedLayer.FusedActivation) -> Int {
            let (m, s) = FixedPoint.quantizeMultiplier(real)
            let range = FixedPoint.activationRange(act, scale: to.scale, zeroPoint: to.zeroPoint) ?? -128...127
            return min(max(Int(FixedPoint.multiplyByQuantizedMultiplier(Int32(acc), m, s)) + to.zeroPoint, range.lowerBound), range.upperBound)
        }
        _ = L
        var y: [Int] = []
        for t in 0..<plan.convolutionSteps {
            var mid: [Int] = []
            for c in 0..<C {
                for m in 0..<M {
                    var acc = Int(layer.depthwiseBias[c * M + m])
                    for k in 0..<K { acc += Int(layer.depthwiseKernel[(k * C + c) * M + m]) * (padded[(t * plan.stride + k * plan.dilation) * C + c] - zp) }
                    let real = Double(layer.input.scale) * Double(layer.depthwiseScales[c * M + m]) / Double(layer.intermediate.scale)
                    mid.append(requantize(acc, real, layer.intermediate, layer.depthwiseActivation))
                }
            }
            for f in 0..<F {
                var acc = Int(layer.pointwiseBias?[f] ?? 0)
                for j in 0..<(C * M) { acc += Int(layer.pointwiseKernel[j * F + f]) * (mid[j] - layer.intermediate.zeroPoint) }
                let real = Double(layer.intermediate.scale) * Double(layer.pointwiseScales[f]) / Double(layer.output.scale)
                y.append(requantize(acc, real, layer.output, layer.pointwiseActivation))
            }
        }
        return y
    }

    @Test(arguments: 0..<3)
    func interpreterEqualsAPlainLoop(seed: UInt64) throws {
        for layer in Int8Layers.make(count: 12, seed: 100 + seed) {
            let plan = layer.plan(.loops, name: "p")
            let q = try #require(plan.quantized?.layer)
            let got = try Int8Layers.reference(plan, layer.input, batch: layer.batch)
            let item = plan.inputSize
            let want = (0..<layer.batch).flatMap { b in Self.plainLoop(plan, q, Array(layer.input[b * item ..< (b + 1) * item])) }
            #expect(got == want, "layer \(layer.spec.name)")
        }
    }

    @Test func interpreterRefusesValuesOutsideInt8() {
        let plan = Int8Layers.plan(Self.tinyLayer(), .loops)
        #expect(throws: Interpreter.ShapeError.self) {
            try Interpreter.run(plan, input: Tensor(shape: [1, 4, 1], scalars: [0, 1, 2, 200]))
        }
    }

    @Test func npyReadsAndWritesInt8() throws {
        let tensor = Tensor(shape: [1, 2, 2], scalars: [-128, 127, 0, -1])
        let bytes = NPY.write(tensor, as: .int8)
        let (read, type) = try NPY.read(bytes)
        #expect(type == .int8 && read == tensor)
        #expect(String(decoding: bytes, as: UTF8.self).contains("'|i1'"))
    }

    /// The int8 module's print order: C's `loops` kernel guards its vector
    /// paths, then the DSP path, beside the plain one (the fallback), then
    /// the item every target compiles; the stack bound adds the largest
    /// path's buffers to the item's. Swift and `full` kernels guard nothing.
    @Test func int8ModuleSectionsOrderThePaths() throws {
        let plan = Int8Layers.plan(Self.tinyLayer(), .loops)
        let quantized = try #require(QuantizedLowering(plan: plan, language: .c))
        let sections = quantized.module(.loops).sections
        #expect(sections.count == 2)
        guard case .guarded(let paths, let fallback) = sections[0], case .routines(let shared) = sections[1] else {
            Issue.record("expected a guarded section, then the routines every target compiles")
            return
        }
        #expect(paths.map(\.target) == [.x86AVX2, .aarch64NEON, .armDSP])
        #expect(paths.map { $0.code.includes } == [["<immintrin.h>"], ["<arm_neon.h>"], ["<arm_acle.h>", "<string.h>"]])
        #expect(paths[2].vectorHelpers.isEmpty && fallback.includes.isEmpty)
        #expect(fallback.routines.map(\.name) == ["requantize", "depthwise", "pointwise"])
        #expect(shared.map(\.name) == [Routine.itemName])
        #expect(quantized.module(.loops).stackBytes == CEmitter.parts(plan).stackBytes)
        let swift = try #require(QuantizedLowering(plan: plan, language: .swift)).module(.loops).sections
        #expect(swift.count == 1)
        if case .routines(let routines) = swift.first { #expect(routines.last?.name == Routine.itemName) } else { Issue.record("Swift guards no path") }
        let full = quantized.module(.full).sections
        if case .routines(let routines) = full.first, full.count == 1 { #expect(routines.map(\.name) == ["requantize", Routine.itemName]) } else {
            Issue.record("the full kernel guards no path")
        }
    }

    @Test func explainShowsTheInt8Plan() throws {
        let plan = Int8Layers.plan(Self.tinyLayer(), .loops)
        let text = Explainer.text(plan)
        #expect(text.contains("SeparableConv1D, int8"))
        #expect(text.contains("int8 input       scale 0.02, zero point -3"))
        #expect(text.contains("depthwise int8   relu, clamp 4 ... 127"))
        let json = Explainer.json(plan)
        #expect(json.contains("\"dtype\" : \"int8\""))
        #expect(json.contains("\"quantization\""))
        #expect(json.contains("\"int8WeightBytes\" : 4"))
        // The bound covers every C path's buffers (one step's intermediate on the plain one), as the kernel declares them.
        #expect(plan.footprint.stackBytes >= plan.depthwiseChannels)
        #expect(plan.footprint.stackBytes == CEmitter.parts(plan).stackBytes)
        #expect(text.contains("C kernel stack buffers \(plan.footprint.stackBytes) bytes"))
    }
}
