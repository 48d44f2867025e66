import Foundation
import Testing
@testable import SepconvGen

/// Conv1D (the dense-tap variant) and DepthwiseConv1D (the depthwise-only
/// variant) as a network plans them, on seeded random configurations across
/// the argument space (borders, strides, dilation, both data formats, every
/// activation): `full` and `loops` kernels in C (strict and sanitized) and
/// Swift, then the portable C99 path, compared with the interpreter on the
/// SeparableConv1D that composes the same layer of both stages (the one-hot
/// gather, the identity), which the variants' kernels and interpreter skip.
/// The network fixtures check the same against Keras (`NetworkCompileTests`).
@Suite struct ConvolutionVariantCompileTests {
    static let seed: UInt64 = 0xC0_4E1D
    /// The largest `full` kernel compiled (see `EmitterCompileTests.fullBudget`).
    static let fullBudget = 3_000

    /// A random layer as a Conv1D or DepthwiseConv1D, with its weights, and
    /// the same layer as a SeparableConv1D of both stages.
    struct Variant {
        var layer: RandomLayer
        var composition: LayerWeights
    }

    /// The random layers as Conv1Ds and DepthwiseConv1Ds.
    static func variants() -> [Variant] {
        var rng = SplitMix64(seed: seed)
        return RandomLayers.make(count: 16, seed: seed).flatMap { layer -> [Variant] in
            [ConvolutionVariant.denseTaps, .depthwiseOnly].compactMap { variant in
                var spec = layer.spec
                spec.name = (variant == .denseTaps ? "v" : "w") + spec.name
                spec.convolution = variant
                if variant == .denseTaps { spec.depthMultiplier = spec.kernelSize } else { spec.filters = spec.inputChannels * spec.depthMultiplier }
                guard RandomLayers.isAccepted(spec) else { return nil }
                var drawn = RandomLayers.complete(spec, batch: layer.batch, rng: &rng)
                let (K, C, F, CM) = (spec.kernelSize, spec.inputChannels, spec.filters, spec.inputChannels * spec.depthMultiplier)
                var composition = drawn.weights
                if variant == .denseTaps {
                    drawn.weights = NetworkBuilder.denseTaps(Tensor(shape: [K, C, F], scalars: drawn.weights.pointwiseKernel.scalars), bias: drawn.weights.bias)
                    composition.pointwiseKernel = drawn.weights.pointwiseKernel
                    composition.depthwiseKernel = Tensor(shape: [K, C, K], scalars: (0..<K * C * K).map { $0 / (C * K) == $0 % K ? 1 : 0 })
                } else {
                    drawn.weights = NetworkBuilder.depthwiseOnly(drawn.weights.depthwiseKernel, bias: drawn.weights.bias)
                    composition.pointwiseKernel = Tensor(shape: [1, CM, CM], scalars: (0..<CM * CM).map { $0 / CM == $0 % CM ? 1 : 0 })
                }
                return Variant(layer: drawn, composition: composition)
            }
        }
    }

    /// The cases of `modes` (a `full` kernel only within `fullBudget`), each
    /// checked to give the interpreter's output of the SeparableConv1D composition.
    static func cases(_ modes: [UnrollRequest], prefix: String = "") throws -> [CompileHarness.Case] {
        try variants().flatMap { variant in
            let layer = variant.layer
            var separable = layer.spec
            separable.convolution = .separable
            let reference = try Interpreter.run(Planner.plan(separable, weights: variant.composition), input: layer.input).scalars
            return try modes.compactMap { mode -> CompileHarness.Case? in
                var spec = layer.spec
                spec.name = prefix + spec.name + "_\(mode.rawValue)"
                let plan = Planner.plan(spec, weights: layer.weights, unroll: mode)
                let interpreted = try Interpreter.run(plan, input: layer.input).scalars
                #expect(zip(interpreted, reference).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(spec.name): the interpreter's variant")
                guard mode != .full || plan.multiplyAdds <= fullBudget else { return nil }
                return CompileHarness.Case(plan: plan, mode: mode, group: spec.name, origin: "\(spec.convolution.rawValue) \(layer.summary)", isRandom: true,
                                           batch: layer.batch, input: layer.input.scalars, reference: reference, keras: nil)
            }
        }
    }

    /// Fails for each case that did not pass in `builds`.
    static func expectPassed(_ report: CompileHarness.Report, _ cases: [CompileHarness.Case], in builds: [CompileHarness.Build]) {
        #expect(report.buildProblems.isEmpty, "\(report.buildProblems)")
        for build in builds {
            for item in cases {
                let outcome = report.outcomes[build]?[item.name]
                #expect(outcome?.passed == true, "\(build.rawValue) \(item.name) [\(item.origin)]: \(String(describing: outcome))")
            }
        }
    }

    @Test func variantsCompileRunAndMatch() async throws {
        let cases = try Self.cases([.full, .loops])
        #expect(Set(cases.map(\.plan.convolution)) == [.denseTaps, .depthwiseOnly])
        #expect(cases.contains { $0.mode == .full } && cases.contains { $0.plan.schedule.hasPartialSteps })
        let report = await EmitterCompileTests.inBackground { CompileHarness.run(cases, width: 2) }
        Self.expectPassed(report, cases, in: CompileHarness.Build.allCases)
        print("compile-and-compare: \(cases.count) Conv1D and DepthwiseConv1D layers match in C and Swift")
    }

    @Test func portableVariantsMatch() async throws {
        let cases = try Self.cases([.loops], prefix: "p")
        // The Swift has no portable path: `variantsCompileRunAndMatch` compiles these layers' Swift.
        let report = await EmitterCompileTests.inBackground {
            CompileHarness.run(cases, width: 2, extraFlags: .init(c: ["-DSEPCONV_GEN_PORTABLE", "-O3"], compilesSwift: false))
        }
        Self.expectPassed(report, cases, in: [.c, .cSanitized])
        print("compile-and-compare: \(cases.count) Conv1D and DepthwiseConv1D layers match in the portable C99 path")
    }
}
