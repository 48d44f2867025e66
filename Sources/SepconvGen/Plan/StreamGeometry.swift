import KerasInitializers
/// The streaming API's geometry: when each output frame is complete, what
/// the caller-owned state holds, and the window plans whose kernels compute
/// the frames.
///
/// The stream works on the padded signal: after a reset its window holds
/// `padLeft` zero frames ('same'), then the frames pushed. Output frame `t`
/// reads the padded frames `t·s ..< t·s + RF`, so it is complete when the
/// real frame `t·s + RF − 1 − padLeft` arrives: `delay = (K − 1)·d − padLeft`.
/// The state is the window's `RF` frames of `C` values in a ring of `RF`
/// slots, each slot but the last mirrored `RF` slots on (`ringFrames` =
/// 2·RF − 1 frames), so that the window of any output lies contiguously
/// from its first slot (`start`) and the kernel reads it in place: no frame
/// is moved when an output is done. With it, one signed count, `filled`:
/// the frames the window holds from the next output's first tap (negative:
/// frames to skip before it, when the stride passes the receptive field).
/// Nothing else is needed: the frames still to come, the outputs still owed
/// at `flush` and the place of every tap follow from them.
public struct StreamGeometry: Hashable, Sendable {
    /// Output frame `t` is complete once input frame `t · stride + delay` (0-based) is pushed.
    public var delay: Int
    public var stride: Int
    /// Frames in the window: the receptive field (K − 1) · d + 1.
    public var windowFrames: Int
    /// Zero frames in the window after a reset ('same': the layer's left pad; 'valid': none).
    public var padLeft: Int
    /// Whether `flush` pads zeros on the right and writes the frames that need them ('same').
    public var padsRight: Bool
    /// The padding's value, which the window holds before and after the
    /// signal: 0, or an int8 layer's input zero point (a tap on it adds
    /// nothing, as TFLite's padding).
    public var padValue: Int
    /// Values in one input frame (C) and one output frame.
    public var frameChannels: Int
    public var outputChannels: Int
    /// Bytes of one value.
    public var elementBytes: Int
    /// Multiply-adds of one output frame: every tap, those on padding included.
    public var multiplyAddsPerFrame: Int
    /// Output frames of the tile kernel (the batch kernel's tile; 1: no tile kernel).
    public var tileOutputs: Int
    /// The window kernels' plans, made once with the geometry: one output
    /// frame, then one tile when a tile has more than one frame. An array
    /// because a plan cannot hold a plan of its own type directly.
    private var windowKernels: [LayerPlan] = []

    /// The plan of the kernel that computes one output frame from the receptive field.
    public var frameKernel: LayerPlan { windowKernels[0] }
    /// The plan of the kernel that computes a tile of `tileOutputs` frames, when that is more than one.
    public var tileKernel: LayerPlan? { windowKernels.count > 1 ? windowKernels[1] : nil }

    /// The name of a window kernel's plan (its functions' prefix in C, its enum in Swift).
    public static func kernelName(layer: String, tile: Bool) -> String {
        layer + (tile ? "_stream_tile" : "_stream_frame")
    }

    /// The geometry of `plan`'s layer, with its window kernels planned.
    public init(_ plan: LayerPlan) {
        windowFrames = plan.receptiveField
        padLeft = plan.padLeft
        delay = windowFrames - 1 - padLeft
        stride = plan.stride
        padsRight = plan.padding == .same
        padValue = plan.quantized?.layer.input.zeroPoint ?? 0
        frameChannels = plan.inputChannels
        outputChannels = plan.outputChannels
        elementBytes = plan.format.bytes
        multiplyAddsPerFrame = plan.geometry.multiplyAddsPerStep
        // The int8 kernel computes one step at a time: no tile kernel.
        tileOutputs = plan.quantized == nil ? plan.schedule.tile : 1
        windowKernels = [windowPlan(of: plan, outputs: 1, name: Self.kernelName(layer: plan.name, tile: false))]
            + (tileOutputs > 1 ? [windowPlan(of: plan, outputs: tileOutputs, name: Self.kernelName(layer: plan.name, tile: true))] : [])
    }

    /// Values in the window.
    public var windowValues: Int { windowFrames * frameChannels }

    /// Frames in the state's ring: `windowFrames` slots, every one but the last mirrored.
    public var ringFrames: Int { 2 * windowFrames - 1 }

    /// Values in the state's ring.
    public var ringValues: Int { ringFrames * frameChannels }

    /// Most bytes of the stack buffer a push copies the state's frames into,
    /// with the pushed frames that end their windows, so that the windows
    /// that start in the state are computed by the tile kernel too.
    public static let stageBudgetBytes = 16 * 1024

    /// Output frames a push computes from that buffer when the state holds
    /// `filled` frames (1 ..< RF): every window that starts in the state, and
    /// at least a whole tile.
    public func stagedOutputs(filled: Int) -> Int {
        max((filled - 1) / stride + 1, tileOutputs)
    }

    /// Frames of that stack buffer: the state's frames and the pushed ones
    /// up to the end of the last staged window, at the most; 0 (no buffer:
    /// windows that start in the state are computed one by one in the ring)
    /// when RF is 1 or the buffer would pass its budget.
    public var stageFrames: Int {
        guard windowFrames > 1 else { return 0 }
        let frames = (1 ..< windowFrames).map { (stagedOutputs(filled: $0) - 1) * stride + windowFrames }.max() ?? 0
        return frames * frameChannels * elementBytes <= Self.stageBudgetBytes ? frames : 0
    }

    /// Bytes of that stack buffer in a push.
    public var stageBytes: Int { stageFrames * frameChannels * elementBytes }

    /// Bytes of the state on an LP64 target: the ring, then the first slot
    /// and the signed count (C `long`s, Swift `Int`s), aligned to 8 bytes.
    public var stateBytes: Int { (ringValues * elementBytes + 7) / 8 * 8 + 16 }

    /// The most output frames one `flush` can write: those it owes when the
    /// window holds all its frames but the last (it writes more the more
    /// frames the window holds), counted by the emitted code's own formula.
    public var maxFlushed: Int {
        StreamLowering(self).pending(.int(windowFrames - 1)).integerValue ?? 0
    }

    /// Input frames the window kernel for `outputs` consecutive output frames reads.
    public func windowSteps(outputs: Int) -> Int {
        windowFrames + (outputs - 1) * stride
    }

    /// The plan of the kernel that computes `outputs` consecutive output frames
    /// from a window of `windowSteps(outputs:)` frames: `plan`'s layer, weights and
    /// unroll strategy (`strategy` below) on that many steps, 'valid', channels last (a frame's
    /// values are contiguous). The same planner and emitters as the batch kernel make it.
    private func windowPlan(of plan: LayerPlan, outputs: Int, name: String) -> LayerPlan {
        let spec = LayerSpec(
            file: "", name: name, dtype: plan.dtype, inputSteps: windowSteps(outputs: outputs), inputChannels: plan.inputChannels,
            filters: plan.filters, kernelSize: plan.kernelSize, strides: plan.stride, padding: .valid, dataFormat: .channelsLast,
            dilationRate: plan.dilation, depthMultiplier: plan.depthMultiplier, activation: plan.activation, useBias: plan.useBias,
            depthwiseInitializer: .zeros, pointwiseInitializer: .zeros, biasInitializer: .zeros, seed: 0, weights: nil, marks: [:],
            // The stream holds the padding as frames of the input zero point, which add nothing: no pad of its own.
            quantization: plan.quantized.map { quantized in
                var layer = quantized.layer
                layer.leadingPad = 0
                return layer
            },
            epilogue: plan.epilogue, convolution: plan.convolution)
        var window = Planner.plan(spec, weights: plan.weights, unroll: .loops)
        // The batch kernel's strategy, but straight-line code no longer than the batch kernel's
        // (or the auto budget): a tile of frames that reads every tap may have more multiply-adds.
        func strategy(_ language: TargetLanguage) -> UnrollStrategy {
            let limit = max(plan.multiplyAdds, UnrollBudget.multiplyAdds(for: language))
            return plan.unroll[language] == .full && window.multiplyAdds <= limit ? .full : .loops
        }
        window.unroll = UnrollDecision(c: strategy(.c), swift: strategy(.swift))
        // An int8 window kernel's depthwise bias tables are its own runs' (all taps), so it keeps its own tables.
        for language in TargetLanguage.allCases where plan.unroll[language] == .loops && window.unroll[language] == .loops && plan.quantized == nil {
            window.borrowedTables[language] = plan.name
        }
        return window
    }
}
