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
        for (step, stream) in zip(emitted, streams) {
            let k = step.number
            let member = "s.s\(k)"
            let (stepInput, channels) = (step.step.inputShape.last ?? 1, step.step.outputShape.last ?? 1)
            let title = step.title
            // Where the step's frames go: the caller's output, or the frames in flight.
            let into = k == last ? "output" : "buffer"
            let flushInto = k == last ? "UnsafeMutableBufferPointer(rebasing: output[(written &* \(outputChannels))...])" : "buffer"
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
                functions.append(pool(k, kind: kind, size: frames, stride: stride, padLeft: padLeft, same: padsRight,
                                      channels: channels, type: type, delay: stream.delay))
                push = ["let n = pool\(k)(&\(member), x, \(into))"]
                flushed = padsRight ? "pool\(k)Flush(&\(member), \(flushInto))" : nil
                if !padsRight { flush.append("\(member).frames = 0") }
            case (_, .pad(let left, let right)):
                fields += ["/// \(title): input frames so far (0: the left zeros are still to come)", "private var s\(k) = 0"]
                reset.append("s\(k) = 0")
                functions.append(pad(k, left: left, right: right, channels: channels, type: type))
                push = ["let n = pad\(k)(&\(member), x, \(into))"]
                flushed = "pad\(k)Flush(&\(member), \(flushInto))"
            default:
                var frame = step.step
                frame.inputShape = [1, stepInput]
                frame.outputShape = [1, channels]
                let lines = try NetworkSwiftEmitter.simple(frame, routine: "frame\(k)", type: type, dtype: plan.dtype)
                members.append("    // \(title), on one frame\n" + lines.map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n"))
                push = k == last
                    ? ["guard let y = output.baseAddress else { return 0 }", "\(typeName).frame\(k)(x, y)", "let n = 1"]
                    : ["\(typeName).frame\(k)(x, y)", "let n = 1"]
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
        if functions.contains(where: { $0.contains { $0.contains("StreamRing") } }) {
            members.append("""
                /// A pooling step's last frames in a stream (frame i in slot i % its pool size), and how many came.
                fileprivate struct StreamRing: Sendable {
                    var values: [\(type)]
                    var frames = 0
                    init(count: Int) { values = [\(type)](repeating: 0, count: count) }
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

        \(functions.reversed().map { indent($0, 2) }.joined(separator: "\n\n"))
            }
        """)
        return members
    }

    /// A pooling step's push of one frame and, for 'same', its flush (the C routines' algorithm).
    private static func pool(_ k: Int, kind: PoolKind, size: Int, stride: Int, padLeft: Int, same: Bool, channels: Int, type: String, delay: Int) -> [String] {
        let combine = kind == .max
            ? "let u = ring[(p % \(size)) &* \(channels) &+ c]; v = u > v ? u : v"
            : "v += ring[(p % \(size)) &* \(channels) &+ c]"
        var lines = [
            "/// Pooling step \(k): the window of frames start ..< stop, from the ring.",
            "private static func pool\(k)Window(_ ring: UnsafePointer<\(type)>, _ start: Int, _ stop: Int, _ y: UnsafeMutablePointer<\(type)>) {",
            "    for c in 0..<\(channels) {",
            "        var v: \(type) = \(kind == .max ? "ring[(start % \(size)) &* \(channels) &+ c]" : "0")",
            "        for p in \(kind == .max ? "(start &+ 1)" : "start")..<stop { \(combine) }",
            "        y[c] = \(kind == .max ? "v" : "v / \(type)(stop &- start)")",
            "    }",
            "}",
            "",
            "/// Pooling step \(k): frame i completes the window that ends there.",
            "private static func pool\(k)(_ r: inout StreamRing, _ x: UnsafePointer<\(type)>, _ output: UnsafeMutableBufferPointer<\(type)>) -> Int {",
            "    let i = r.frames, first = i &- \(size - 1 - padLeft)",
            "    r.frames &+= 1",
            "    return r.values.withUnsafeMutableBufferPointer { ring -> Int in",
            "        guard let w = ring.baseAddress else { return 0 }",
            "        (w + (i % \(size)) &* \(channels)).update(from: x, count: \(channels))",
            "        guard first >= 0, first % \(stride) == 0, let y = output.baseAddress else { return 0 }",
            "        pool\(k)Window(w, first < \(padLeft) ? 0 : first &- \(padLeft), i &+ 1, y)",
            "        return 1",
            "    }",
            "}",
        ]
        if same {
            lines += [
                "",
                "/// Pooling step \(k), 'same': the windows that reach past the last frame, cut there.",
                "private static func pool\(k)Flush(_ r: inout StreamRing, _ output: UnsafeMutableBufferPointer<\(type)>) -> Int {",
                "    let n = r.frames, total = (n &+ \(stride - 1)) / \(stride)",
                "    let first = n > \(delay) ? (n &- \(delay + 1)) / \(stride) &+ 1 : 0",
                "    r.frames = 0",
                "    guard first < total, let y = output.baseAddress else { return 0 }",
                "    return r.values.withUnsafeBufferPointer { ring -> Int in",
                "        guard let w = ring.baseAddress else { return 0 }",
                "        for t in first..<total {",
                "            let start = t &* \(stride) &- \(padLeft), stop = start &+ \(size)",
                "            pool\(k)Window(w, max(start, 0), min(stop, n), y + (t &- first) &* \(channels))",
                "        }",
                "        return total &- first",
                "    }",
                "}",
            ]
        }
        return lines
    }

    /// A ZeroPadding1D step: its left zeros come with the first frame, its right zeros at flush.
    private static func pad(_ k: Int, left: Int, right: Int, channels: Int, type: String) -> [String] {
        [
            "/// Padding step \(k): the left zeros with the first frame.",
            "private static func pad\(k)(_ frames: inout Int, _ x: UnsafePointer<\(type)>, _ output: UnsafeMutableBufferPointer<\(type)>) -> Int {",
            "    let zeros = frames == 0 ? \(left) : 0",
            "    frames &+= 1",
            "    guard let y = output.baseAddress else { return 0 }",
            "    y.update(repeating: 0, count: zeros &* \(channels))",
            "    (y + zeros &* \(channels)).update(from: x, count: \(channels))",
            "    return zeros &+ 1",
            "}",
            "",
            "/// Padding step \(k): the right zeros (and the left ones, when no frame came) at flush.",
            "private static func pad\(k)Flush(_ frames: inout Int, _ output: UnsafeMutableBufferPointer<\(type)>) -> Int {",
            "    let zeros = (frames == 0 ? \(left) : 0) &+ \(right)",
            "    frames = 0",
            "    guard zeros > 0, let y = output.baseAddress else { return 0 }",
            "    y.update(repeating: 0, count: zeros &* \(channels))",
            "    return zeros",
            "}",
        ]
    }
}
