/// The Swift streaming API of a network (`streaming: true`, SPEC.md sections 6
/// and 8): `Stream`, nested in the network's enum, with `delay` and `stride`.
///
/// The algorithm is the C one (`NetworkStreamCEmitter`): frames go one at a
/// time through the chain, each step's output frames straight into the next;
/// a SeparableConv1D keeps its own section 6 `Stream` (nested in its enum),
/// pooling a ring of its window, padding a count of its frames. A step's
/// frames in flight live in a temporary allocation of the push (the stack).
enum NetworkStreamSwiftEmitter {
    /// The section 6 `Stream` of a SeparableConv1D, for its enum in the network.
    static func layerStream(_ layer: LayerPlan) -> [String] {
        var values = TemplateRenderer()
        StreamEmitter.fillSwift(&values, layer)
        return (values["STREAM"] ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The network enum's members for streaming: the routines on one frame, the pooling ring and `Stream`.
    static func members(_ plan: NetworkPlan, streams: [StepStream]) throws(NetworkCEmitter.Refusal) -> [String] {
        let type = plan.dtype.format.spelling(.swift)
        let typeName = Identifier.swiftTypeName(plan.name)
        let inputChannels = plan.inputChannels
        let outputChannels = plan.streamOutputChannels
        let emitted = plan.streamedSteps
        // Numbered as in the batch function: a channels_first network streams without its first transpose.
        let (first, last) = (emitted.first?.number ?? 1, emitted.last?.number ?? 1)
        var members: [String] = []
        var fields: [String] = []
        var reset: [String] = []
        var functions: [[String]] = []
        var flush: [String] = []
        var flushBuffer = 0
        var completed: [String] = []
        var total: [String] = []
        var usesRing = false
        var usesWriting = false
        for (step, stream) in zip(emitted, streams) {
            let k = step.number
            let member = "s.s\(k)"
            let (stepInput, channels) = (step.step.inputShape.last ?? 1, step.step.outputShape.last ?? 1)
            let title = step.title
            // Where the step's frames go: the caller's output, or the frames in flight.
            let into = k == last ? "output" : "buffer"
            let flushInto = k == last ? "UnsafeMutableBufferPointer(rebasing: output[(written &* \(outputChannels))...])" : "buffer"
            // `call`, whose frames go to `y`: the frames in flight, or the last step's output (`Stream.writing`).
            func writing(_ call: String, flushing: Bool) -> String {
                guard k == last else { return call }
                usesWriting = true
                return "Stream.writing(\(flushing ? flushInto : into)) { y in \(call) }"
            }
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
            let push: [String]
            var flushed: String?
            switch (step.step.operation, stream) {
            case (.separable(let layer), _):
                fields += ["/// \(title)", "private var s\(k) = \(Identifier.swiftTypeName(layer.name)).Stream()"]
                reset.append("s\(k).reset()")
                push = ["let n = \(member).push(UnsafeBufferPointer(start: x, count: \(stepInput)), into: \(into))"]
                flushed = "\(member).flush(into: \(flushInto))"
            case (.pool(let kind, _, _, _, _), .window(let frames, let stride, let padLeft, let padsRight)):
                fields += ["/// \(title): its last \(frames) input frames, and how many came", "private var s\(k) = StreamRing(count: \(frames * channels))"]
                reset.append("s\(k).frames = 0")
                usesRing = true
                let routines = NetworkStreamLowering.pool(k, kind: kind, size: frames, stride: stride, padLeft: padLeft, same: padsRight,
                                                          channels: channels, delay: stream.delay)
                functions.append(NetworkStreamLowering.text(routines, network: plan.name, format: plan.dtype.format, language: .swift))
                push = ["let n = " + writing("\(member).withRing { ring, frames in pool\(k)(ring, &frames, x, y) }", flushing: false)]
                flushed = padsRight ? writing("\(member).withRing { ring, frames in pool\(k)Flush(ring, &frames, y) }", flushing: true) : nil
                if !padsRight { flush.append("\(member).frames = 0") }
            case (_, .pad(let left, let right)):
                fields += ["/// \(title): input frames so far (0: the left zeros are still to come)", "private var s\(k) = 0"]
                reset.append("s\(k) = 0")
                let routines = NetworkStreamLowering.pad(k, left: left, right: right, channels: channels)
                functions.append(NetworkStreamLowering.text(routines, network: plan.name, format: plan.dtype.format, language: .swift))
                push = ["let n = " + writing("pad\(k)(&\(member), x, y)", flushing: false)]
                flushed = writing("pad\(k)Flush(&\(member), y)", flushing: true)
            default:
                var frame = step.step
                frame.inputShape = [1, stepInput]
                frame.outputShape = [1, channels]
                let (lines, _) = try NetworkStepLowering.text(frame, network: plan.name, base: "f\(k)", dtype: plan.dtype, language: .swift)
                members.append("    // \(title), on one frame\n" + lines.map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n"))
                push = k == last
                    ? ["guard let y = output.baseAddress else { return 0 }", "\(typeName).f\(k)(x, y)", "let n = 1"]
                    : ["\(typeName).f\(k)(x, y)", "let n = 1"]
            }
            if k == last {
                functions.append(["/// \(title): one frame in, its output frames out.",
                                  "private static func push\(k)(_ s: inout Stream, _ x: UnsafePointer<\(type)>, _ output: UnsafeMutableBufferPointer<\(type)>) -> Int {"]
                                 + push.map { "    " + $0 } + ["    return n", "}"])
                if let flushed { flush.append("written &+= \(flushed)") }
            } else {
                let capacity = stream.framesPerFrame * channels
                functions.append(["/// \(title): one frame in, the network's output frames it leads to out.",
                                  "private static func push\(k)(_ s: inout Stream, _ x: UnsafePointer<\(type)>, _ output: UnsafeMutableBufferPointer<\(type)>) -> Int {",
                                  "    withUnsafeTemporaryAllocation(of: \(type).self, capacity: \(capacity)) { buffer -> Int in",
                                  "        guard let y = buffer.baseAddress else { return 0 }"]
                                 + push.map { "        " + $0 }
                                 + ["        var written = 0",
                                    "        for i in 0..<n { written &+= push\(k + 1)(&s, y + i &* \(channels), UnsafeMutableBufferPointer(rebasing: output[(written &* \(outputChannels))...])) }",
                                    "        return written", "    }", "}"])
                if let flushed {
                    flushBuffer = max(flushBuffer, max(stream.maxFlushed, 1) * channels)
                    flush += ["n = \(flushed)",
                              "for i in 0..<n { written &+= push\(k + 1)(&s, y + i &* \(channels), UnsafeMutableBufferPointer(rebasing: output[(written &* \(outputChannels))...])) }"]
                }
            }
        }
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
        let flushBody: [String]
        if flushBuffer > 0 {
            flushBody = ["withUnsafeTemporaryAllocation(of: \(type).self, capacity: \(flushBuffer)) { buffer -> Int in",
                         "    guard let y = buffer.baseAddress else { return 0 }",
                         "    var written = 0, n = 0"]
                + flush.map { "    " + $0 } + ["    return written", "}"]
        } else {
            // `written` changes only when the last step flushes frames out.
            flushBody = [flush.contains { $0.hasPrefix("written") } ? "var written = 0" : "let written = 0"] + flush + ["return written"]
        }
        // An empty `output` goes with a push or flush that completes no frame (the preconditions): the place of one value, which nothing writes.
        let writingHelper = usesWriting ? [
            "/// `body` on `output`'s first value, or on the place of one value where `output` is empty.",
            "private static func writing(_ output: UnsafeMutableBufferPointer<\(type)>, _ body: (UnsafeMutablePointer<\(type)>) -> Int) -> Int {",
            "    if let y = output.baseAddress { return body(y) }",
            "    var none: \(type) = 0",
            "    return withUnsafeMutablePointer(to: &none, body)",
            "}",
        ] : []
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
        \(indent(reset + ["pushed = 0"], 3))
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
                    var written = 0
                    for i in 0..<count {
                        written &+= Stream.push\(first)(&self, x + i &* \(inputChannels), UnsafeMutableBufferPointer(rebasing: output[(written &* \(outputChannels))...]))
                    }
                    return written
                }

                /// Writes into `output` (which must hold them) the output frames whose windows reach past
                /// the last frame pushed, returns how many, and starts an empty signal.
                public mutating func flush(into output: UnsafeMutableBufferPointer<\(type)>) -> Int {
                    precondition(output.count >= (Stream.total(pushed) &- Stream.completed(pushed)) &* \(outputChannels),
                                 "\(typeName).Stream.flush: output too small for the frames the flush writes")
                    pushed = 0
                    return Stream.flushSteps(&self, output)
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

                /// Each step's last frames, in order, through the steps after it; every step's flush resets it.
                private static func flushSteps(_ s: inout Stream, _ output: UnsafeMutableBufferPointer<\(type)>) -> Int {
        \(indent(flushBody, 3))
                }

        \((functions.reversed() + [writingHelper].filter { !$0.isEmpty }).map { indent($0, 2) }.joined(separator: "\n\n"))
            }
        """)
        return members
    }
}
