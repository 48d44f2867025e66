import Testing
@testable import SepconvGen

/// The C header's stack bound is read from the lowered kernel (the buffers
/// its routines declare); `explain` prints the plan's footprint. They agree.
@Suite struct StackBoundTests {
    static func check(_ plan: LayerPlan, _ what: String) {
        #expect(CEmitter.parts(plan).stackBytes == plan.footprint.stackBytes, "\(what)")
    }

    @Test func randomFloatLayersInEveryMode() {
        for layer in RandomLayers.make(count: 60, seed: 0x57AC) {
            for mode in [UnrollRequest.loops, .full] where mode == .loops || layer.spec.inputSteps * layer.spec.filters <= 4096 {
                let plan = Planner.plan(layer.spec, weights: layer.weights, unroll: mode)
                Self.check(plan, "\(layer.spec.name) \(mode)")
                if let stream = plan.stream {
                    for window in [stream.frameKernel] + [stream.tileKernel].compactMap({ $0 }) { Self.check(window, "\(window.name)") }
                }
            }
        }
    }

    @Test func epiloguesAndInt8Layers() {
        for layer in RandomLayers.make(count: 20, seed: 0xE9) {
            let spec = layer.spec.with(epilogue: [.affine(scale: Array(repeating: 2, count: layer.spec.filters),
                                                          shift: Array(repeating: 1, count: layer.spec.filters))])
            for mode in [UnrollRequest.loops, .full] { Self.check(Planner.plan(spec, weights: layer.weights, unroll: mode), "\(spec.name) \(mode)") }
        }
        for (index, layer) in Int8Layers.make(count: 12, seed: 0x18).enumerated() {
            for mode in [UnrollRequest.loops, .full] { Self.check(layer.plan(mode, name: "q\(index)"), "q\(index) \(mode)") }
        }
    }
}
