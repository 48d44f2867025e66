/// How a network streams (`streaming: true`, SPEC.md section 8): each step
/// takes its input a frame at a time and gives its output frames as they
/// complete, straight into the next step.
///
/// Every step that streams is one of three kinds, and the whole chain's
/// numbers follow from theirs. A step whose output frame `t` is complete once
/// its input frame `t · s + d` arrives, followed by steps with `(S', D')`, is
/// a chain with stride `s · S'` and delay `d + s · D'`; the frame counts
/// compose the same way (`completed` and `total` below), so the composed
/// delay is exact, not a bound.
enum StepStream: Hashable, Sendable {
    /// A window of `frames` input frames every `stride` frames, `padLeft` zero
    /// frames before the first ('same' SeparableConv1D and pooling also pad the
    /// right at flush): SeparableConv1D and pooling.
    case window(frames: Int, stride: Int, padLeft: Int, padsRight: Bool)
    /// One output frame per input frame: BatchNormalization, activations along the channels.
    case frame
    /// `ZeroPadding1D`: `left` zero frames before the first frame, `right` after the last.
    case pad(left: Int, right: Int)

    /// The step's own delay (negative for a left pad: its zero frames come before any input).
    var delay: Int {
        switch self {
        case .window(let frames, _, let padLeft, _): frames - 1 - padLeft
        case .frame: 0
        case .pad(let left, _): -left
        }
    }

    var stride: Int {
        if case .window(_, let stride, _, _) = self { stride } else { 1 }
    }

    /// Most output frames one input frame gives.
    var framesPerFrame: Int {
        if case .pad(let left, _) = self { left + 1 } else { 1 }
    }

    /// Output frames complete once `frames` input frames have arrived after a reset.
    func completed(_ frames: Int) -> Int {
        switch self {
        case .window: frames > delay ? (frames - 1 - delay) / stride + 1 : 0
        case .frame: frames
        // The left zeros come with the first frame (a push gives only frames its frames complete).
        case .pad(let left, _): frames > 0 ? frames + left : 0
        }
    }

    /// Output frames of a whole signal of `frames` frames: pushed, then flushed.
    func total(_ frames: Int) -> Int {
        switch self {
        case .window(_, let stride, _, let padsRight): padsRight ? (frames + stride - 1) / stride : completed(frames)
        case .frame: frames
        case .pad(let left, let right): frames + left + right
        }
    }

    /// The most output frames one flush of the step gives (over every count of frames it had).
    var maxFlushed: Int {
        switch self {
        case .window: (max(delay, 0) ... max(delay, 0) + stride).map { total($0) - completed($0) }.max() ?? 0
        case .frame: 0
        case .pad(let left, let right): left + right
        }
    }
}

extension NetworkStep {
    /// How the step streams, or nil when it cannot (SPEC: Dense, global pooling,
    /// `Flatten` and `Reshape` need the whole signal, or change what a frame is).
    var stream: StepStream? {
        switch operation {
        // A channels_first layer left in Keras's order has an activation along its steps (SPEC section 6: it cannot stream).
        case .separable(let plan) where plan.dataFormat == .channelsFirst:
            nil
        case .separable(let plan):
            StepStream.window(frames: plan.receptiveField, stride: plan.stride, padLeft: plan.padLeft, padsRight: plan.padding == .same)
        case .pool(_, let size, let stride, let padLeft, let same):
            .window(frames: size, stride: stride, padLeft: padLeft, padsRight: same)
        case .batchNorm, .activation: .frame
        // A copy under the same shape: only a network of dropout layers has one.
        case .reshape where inputShape == outputShape: .frame
        case .zeroPad(let left, let right): .pad(left: left, right: right)
        // A stream's frames are steps in either layout: only the edges' transposes, which streams drop, keep them.
        case .dense, .globalPool, .reshape, .transpose: nil
        }
    }

}

extension NetworkPlan {
    /// The steps a stream runs: all but a first transpose (a channels_first input's frames are its steps
    /// already) and a last one (the output frames are the steps of the tensor before it).
    var streamedSteps: [EmittedStep] {
        var emitted = emittedSteps
        if emitted.count > 1, case .transpose = emitted.last?.step.operation { emitted.removeLast() }
        if emitted.count > 1, case .transpose = emitted.first?.step.operation { emitted.removeFirst() }
        return emitted
    }

    /// Values of one output frame of the stream.
    var streamOutputChannels: Int { streamedSteps.last?.step.outputShape.last ?? 1 }

    /// Each streamed step's streaming kind; nil unless every one streams.
    var stepStreams: [StepStream]? {
        let streamed = streamedSteps.map(\.step)
        let streams = streamed.compactMap(\.stream)
        return streams.count == streamed.count ? streams : nil
    }

    /// `N_STREAM_STRIDE`: the product of the steps' strides (1 when the network does not stream).
    public var streamStride: Int { (stepStreams ?? []).reduce(1) { $0 * $1.stride } }

    /// `N_STREAM_DELAY`: output frame `t` is complete once input frame `t · N_STREAM_STRIDE + N_STREAM_DELAY` arrives.
    public var streamDelay: Int {
        (stepStreams ?? []).reversed().reduce(0) { later, step in step.delay + step.stride * later }
    }

    /// Output frames a stream has written once `frames` frames have been pushed after a reset.
    public func streamCompleted(afterFrames frames: Int) -> Int {
        (stepStreams ?? []).reduce(frames) { $1.completed($0) }
    }

    /// Output frames of a whole signal of `frames` frames (pushes, then a flush).
    public func streamTotal(frames: Int) -> Int {
        (stepStreams ?? []).reduce(frames) { $1.total($0) }
    }

    /// `N_STREAM_MAX_FLUSH`: the most output frames one flush writes. A flush's
    /// count is periodic in the frames pushed, with the stride as its period, once
    /// every step's window is full: the counts up to there and one period on cover them all.
    public var streamMaxFlushed: Int {
        let warmup = (stepStreams ?? []).reduce(0) { $0 * $1.stride + abs($1.delay) + $1.stride } + inputSteps
        return (0 ... warmup + 2 * streamStride).map { streamTotal(frames: $0) - streamCompleted(afterFrames: $0) }.max() ?? 0
    }

    /// Why the network cannot stream, naming the first step at fault, or nil when it can.
    var streamRefusal: String? {
        let streamed = streamedSteps.map(\.step)
        if let step = streamed.first(where: { $0.operation == .transpose }) {
            return "layer '\(Identifier.printable(step.layers[0]))' (position \(step.position)) reads its input in the other data format "
                + "(channels_first against channels_last) than the layer before it gives it: a stream's frames must be the steps of every layer"
        }
        if let step = streamed.first(where: { $0.stream == nil }) {
            return "layer '\(Identifier.printable(step.layers[0]))' (\(Identifier.printable(step.className)), position \(step.position)) does not stream; "
                + "'streaming: true' needs every layer of the network to stream (SeparableConv1D, BatchNormalization, activations along the channels, "
                + "MaxPooling1D, AveragePooling1D, ZeroPadding1D and the dropout family)"
        }
        // From the back: `later` is the delay of the steps after the one looked at.
        var later = 0
        var refusal: String?
        for step in streamed.reversed() {
            guard let stream = step.stream else { continue }
            let what = "layer '\(Identifier.printable(step.layers[0]))' (\(Identifier.printable(step.className)), position \(step.position))"
            switch stream {
            case .window(let frames, _, let padLeft, _) where padLeft >= frames:
                refusal = "\(what) pads \(padLeft) frames on the left of a window of \(frames): a window of only padding cannot stream"
            case .pad(let left, _) where later < left:
                // Its left zeros come with the first frame; outputs that need only them would be owed before any frame.
                refusal = "\(what) pads \(left) zero frames on the left, but the layers after it complete an output from \(later + 1) frames: "
                    + "the stream would owe outputs before its first frame"
            default:
                break
            }
            later = stream.delay + stream.stride * later
        }
        return refusal
    }
}
