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
        // Wide int8 layers: the DSP path widens the intermediate once into a buffer of int32 pairs.
        var rng = SplitMix64(seed: 0x5D)
        for filters in [12, 24, 40] {
            var spec = Int8Layers.spec(Int8Layers.Geometry(steps: 16, channels: 8, filters: filters, kernel: 3, strides: 1, dilation: 1,
                                                           multiplier: 1, padding: .same, useBias: true), name: "w\(filters)")
            spec.quantization = Int8Layers.draw(spec, rng: &rng)
            let plan = Int8Layers.plan(spec, .loops)
            #expect(plan.quantizationRefusal == nil)
            if filters == 40 { #expect(plan.quantized?.widensIntermediateOnce == true) }
            Self.check(plan, spec.name)
        }
    }

    /// A network's header states the largest of its layers' lowered kernels' buffers; `explain` the plan's.
    @Test(arguments: ["ecg.keras", "imu.keras", "kws.keras", "f64.keras", "mixed_cf.keras"])
    func networks(_ model: String) throws {
        let plan = try NetworkTests.compile(NetworkTests.spec(model)).plan
        let header = try NetworkCEmitter.emit(plan).header
        #expect(plan.stackBytes > 0)
        #expect(header.contains(" * Stack: at most \(plan.stackBytes) bytes of buffers (the largest step's kernel)"), "\(model)")
    }
}
