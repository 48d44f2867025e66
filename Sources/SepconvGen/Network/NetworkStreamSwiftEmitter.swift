/// The Swift streaming API of a network (`streaming: true`, SPEC.md sections 6
/// and 8): `Stream`, nested in the network's enum, with `delay` and `stride`.
///
/// The chain is `NetworkChainLowering`'s, as in C: frames go one at a time
/// through it, each step's output frames straight into the next; a
/// SeparableConv1D keeps its own section 6 `Stream` (nested in its enum),
/// pooling a ring of its window, padding a count of its frames. A step's
/// frames in flight live in a temporary allocation of the push (the stack).
enum NetworkStreamSwiftEmitter {
    /// The section 6 `Stream` of a SeparableConv1D, for its enum in the network.
    static func layerStream(_ layer: LayerPlan) -> [String] {
        var values = TemplateRenderer()
        StreamEmitter.fillSwift(&values, layer)
        return (values["STREAM"] ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The network enum's members for streaming: the pooling ring and `Stream`, whose private routines are the chain and each step's own.
    static func members(_ plan: NetworkPlan, streams: [StepStream]) throws(NetworkCEmitter.Refusal) -> [String] {
        let type = plan.dtype.format.spelling(.swift)
        let typeName = Identifier.swiftTypeName(plan.name)
        let inputChannels = plan.inputChannels
        let outputChannels = plan.streamOutputChannels
        var members: [String] = []
        var fields: [String] = []
        var functions: [[String]] = []
        var completed: [String] = []
        var total: [String] = []
        var usesRing = false
        let chain = NetworkChainLowering(plan: plan, streams: streams)
        for (index, (step, stream)) in zip(plan.streamedSteps, streams).enumerated() {
            let k = step.number
            let channels = step.step.outputShape.last ?? 1
            let title = step.title
            switch stream {
            case .window(_, let stride, _, let padsRight):
                let count = "n = n > \(stream.delay) ? (n &- \(stream.delay + 1)) / \(stride) &+ 1 : 0"
                completed.append(count)
                total.append(padsRight ? "n = (n &+ \(stride - 1)) / \(stride)" : count)
            case .pad(let left, let right):
                completed.append("n = n > 0 ? n &+ \(left) : 0")
                total.append("n &+= \(left + right)")
            case .frame:
                break
            }
            switch (step.step.operation, stream) {
            case (.separable(let layer), _):
                fields += ["/// \(title)", "private var s\(k) = \(Identifier.swiftTypeName(layer.name)).Stream()"]
            case (.pool, .window(let frames, _, _, _)):
                fields += ["/// \(title): its last \(frames) input frames, and how many came", "private var s\(k) = StreamRing(count: \(frames * channels))"]
                usesRing = true
            case (_, .pad):
                fields += ["/// \(title): input frames so far (0: the left zeros are still to come)", "private var s\(k) = 0"]
            default:
                break
            }
            if let (code, _) = try chain.stepCode(index, language: .swift) { functions.append(code) }
        }
        functions.insert(NetworkStreamLowering.text(chain.routines, network: plan.name, format: plan.dtype.format, language: .swift), at: 0)
        if usesRing {
            members.append("""
                /// A pooling step's last frames in a stream (frame i in slot i % its pool size), and how many came.
                fileprivate struct StreamRing: Sendable {
                    var values: [\(type)]
                    var frames = 0
                    init(count: Int) { values = [\(type)](repeating: 0, count: count) }

                    /// `body` on the ring's first value and the count of frames.
                    mutating func withRing(_ body: (UnsafeMutablePointer<\(type)>, inout Int) -> Int) -> Int {
                        var frames = self.frames
                        let n = values.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { body($0, &frames) } ?? 0 }
                        self.frames = frames
                        return n
                    }
                }
            """)
        }
        // An empty `output` goes with a push or flush that completes no frame (the preconditions): the place of one value, which nothing writes.
        let writingHelper = [
            "/// `body` on `output`'s first value, or on the place of one value where `output` is empty.",
            "private static func writing(_ output: UnsafeMutableBufferPointer<\(type)>, _ body: (UnsafeMutablePointer<\(type)>) -> Int) -> Int {",
            "    if let y = output.baseAddress { return body(y) }",
            "    var none: \(type) = 0",
            "    return withUnsafeMutablePointer(to: &none, body)",
            "}",
        ]
        func fold(_ lines: [String]) -> [String] {
            lines.isEmpty ? ["frames"] : ["var n = frames"] + lines + ["return n"]
        }
        // Lines at an absolute depth (of four spaces), for the literal below, whose interpolations stand at its margin.
        let indent = { (lines: [String], depth: Int) in lines.map { $0.isEmpty ? "" : String(repeating: "    ", count: depth) + $0 }.joined(separator: "\n") }
        members.append("""
            /// Streaming (`streaming: true`): the signal arrives a frame at a time. A frame is one input
            /// step, `inputChannels` values; an output frame is \(outputChannels) values. Each output frame of
            /// every layer is computed once, when its last input frame arrives, and goes straight into
            /// the next layer. Output frame `t` is complete once input frame `t * stride + delay` (0-based)
            /// has been pushed. The pooling rings live in arrays that `init` allocates at their final size;
            /// a push's frames in flight are temporary allocations.
            public struct Stream: Sendable {
                /// Output frame `t` is complete once input frame `t * stride + delay` (0-based) has been pushed.
                public static let delay = \(plan.streamDelay)
                /// The product of the layers' strides and pool strides.
                public static let stride = \(plan.streamStride)
        \(indent(fields, 2))
                /// Frames pushed since the last reset.
                private var pushed = 0

                /// A stream at the start of a signal.
                public init() {}

                /// Starts an empty signal.
                public mutating func reset() {
                    Stream.streamResetSteps(&self)
                    pushed = 0
                }

                /// Pushes `frames` (whole frames of `inputChannels` values, none included) and writes every
                /// output frame they complete, in order, into `output`, which must hold them; returns how many it wrote.
                public mutating func push(_ frames: UnsafeBufferPointer<\(type)>, into output: UnsafeMutableBufferPointer<\(type)>) -> Int {
                    precondition(frames.count % \(inputChannels) == 0, "\(typeName).Stream.push: frames must be whole frames of \(inputChannels) values")
                    let count = frames.count / \(inputChannels)
                    precondition(output.count >= (Stream.completed(pushed &+ count) &- Stream.completed(pushed)) &* \(outputChannels),
                                 "\(typeName).Stream.push: output too small for the frames this push completes")
                    guard count > 0, let x = frames.baseAddress else { return 0 }
                    pushed &+= count
                    return Stream.writing(output) { y in Stream.streamFrames(&self, x, count, y) }
                }

                /// Writes into `output` (which must hold them) the output frames whose windows reach past
                /// the last frame pushed, returns how many, and starts an empty signal.
                public mutating func flush(into output: UnsafeMutableBufferPointer<\(type)>) -> Int {
                    precondition(output.count >= (Stream.total(pushed) &- Stream.completed(pushed)) &* \(outputChannels),
                                 "\(typeName).Stream.flush: output too small for the frames the flush writes")
                    pushed = 0
                    return Stream.writing(output) { y in Stream.streamFlushSteps(&self, y) }
                }

                /// Pushes `frames` (whole frames of `inputChannels` values) and returns the output frames they complete.
                public mutating func push(_ frames: [\(type)]) -> [\(type)] {
                    let count = frames.count / \(inputChannels)
                    var output = [\(type)](repeating: 0, count: (Stream.completed(pushed &+ count) &- Stream.completed(pushed)) &* \(outputChannels))
                    let written = frames.withUnsafeBufferPointer { x in
                        output.withUnsafeMutableBufferPointer { y in push(x, into: y) }
                    }
                    output.removeLast(output.count - written * \(outputChannels))
                    return output
                }

                /// Returns the output frames whose windows reach past the last frame pushed, and starts an empty signal.
                public mutating func flush() -> [\(type)] {
                    var output = [\(type)](repeating: 0, count: (Stream.total(pushed) &- Stream.completed(pushed)) &* \(outputChannels))
                    let written = output.withUnsafeMutableBufferPointer { y in flush(into: y) }
                    output.removeLast(output.count - written * \(outputChannels))
                    return output
                }

                /// Output frames complete once `frames` frames have been pushed: each step's count of the one before.
                private static func completed(_ frames: Int) -> Int {
        \(indent(fold(completed), 3))
                }

                /// Output frames of a whole signal of `frames` frames: each step's total of the one before.
                private static func total(_ frames: Int) -> Int {
        \(indent(fold(total), 3))
                }

        \((functions + [writingHelper]).map { indent($0, 2) }.joined(separator: "\n\n"))
            }
        """)
        return members
    }
}
