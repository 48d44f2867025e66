/// The C streaming API of a network (`streaming: true`, SPEC.md sections 6
/// and 8): one caller-owned state for the whole chain, `N_stream_reset`,
/// `N_stream_push` and `N_stream_flush`.
///
/// A push takes the frames one at a time through the chain: each step's
/// output frames go straight into the next step, so every output frame of
/// every step is computed once, when its last input frame arrives. A
/// SeparableConv1D keeps its own section 6 stream (its state, ring and window
/// kernels, made `static`); pooling keeps a ring of its window; padding counts
/// its frames; the other steps work on the frame they are given. A flush
/// flushes the steps in order, each step's last frames pushed through the
/// steps after it.
enum NetworkStreamCEmitter {
    /// The header's part: the macros, the state and the three functions.
    /// The names the streaming declarations give code that includes the header:
    /// the network's stream API and each SeparableConv1D's state type.
    static func declaredNames(_ plan: NetworkPlan) -> [DeclaredName] {
        let api = ["_OUTPUT_CHANNELS", "_STREAM_DELAY", "_STREAM_STRIDE", "_STREAM_MAX_FLUSH",
                   "_stream", "_stream_reset", "_stream_push", "_stream_flush"].map { plan.name + $0 }
        let states = plan.streamedSteps.compactMap { emitted -> String? in
            if case .separable(let layer) = emitted.step.operation { layer.name + "_stream" } else { nil }
        }
        return (api + states).map { DeclaredName($0, .cName) }
    }

    static func header(_ plan: NetworkPlan, streams: [StepStream]) -> String {
        let name = plan.name
        let type = plan.dtype.format.spelling(.c)
        var typedefs: [String] = []
        var fields: [String] = []
        for (emitted, stream) in zip(plan.streamedSteps, streams) {
            let member = "s\(emitted.number)"
            let title = NetworkCEmitter.comment(emitted.title)
            switch (emitted.step.operation, stream) {
            case (.separable(let layer), _):
                typedefs.append(layerDeclarations(layer))
                fields.append("\(layer.name)_stream \(member);   /* \(title) */")
            case (_, .window(let frames, _, _, _)):
                let channels = emitted.step.inputShape.last ?? 1
                fields.append("struct { \(type) ring[\(frames * channels)]; long frames; } \(member);   /* \(title): its last \(frames) input frames, and how many came */")
            case (_, .pad):
                fields.append("long \(member);   /* \(title): input frames so far (0: the left zeros are still to come) */")
            case (_, .frame):
                break
            }
        }
        if fields.isEmpty {
            // C99 has no empty struct.
            fields.append("char unused;   /* no step keeps anything between frames */")
        }
        return """

        /*
         * Streaming (`streaming: true`): the signal arrives a frame at a time. A frame is
         * one input step, \(name)_INPUT_CHANNELS values; an output frame is \(name)_OUTPUT_CHANNELS
         * values. Each output frame of every layer is computed once, when its last input
         * frame arrives, and goes straight into the next layer.
         *
         * \(name)_stream_reset starts an empty signal. \(name)_stream_push takes `count`
         * frames (0 included) and writes every output frame they complete, in order,
         * contiguously into `output`; it returns how many. \(name)_stream_flush writes the
         * output frames whose windows reach past the last frame pushed (at most
         * \(name)_STREAM_MAX_FLUSH), returns how many, and leaves the state as after a reset.
         * Output frame t is complete once input frame t * \(name)_STREAM_STRIDE + \(name)_STREAM_DELAY
         * (0-based) has been pushed. The state is caller-owned (sizeof(\(name)_stream) bytes,
         * no heap); its fields are private. `frames` and `output` must not overlap.
         */
        #define \(name)_OUTPUT_CHANNELS \(plan.streamOutputChannels)
        #define \(name)_STREAM_DELAY \(plan.streamDelay)
        #define \(name)_STREAM_STRIDE \(plan.streamStride)
        #define \(name)_STREAM_MAX_FLUSH \(plan.streamMaxFlushed)   /* the most output frames one flush writes */

        \(typedefs.joined(separator: "\n\n"))\(typedefs.isEmpty ? "" : "\n\n")typedef struct \(name)_stream {
        \(fields.map { "    " + $0 }.joined(separator: "\n"))
        } \(name)_stream;

        void   \(name)_stream_reset(\(name)_stream *state);
        size_t \(name)_stream_push(\(name)_stream *state, const \(type) *frames, size_t count, \(type) *output);
        size_t \(name)_stream_flush(\(name)_stream *state, \(type) *output);

        """
    }

    /// The source's part, and whether it calls `<math.h>`.
    static func source(_ plan: NetworkPlan, streams: [StepStream]) throws(NetworkCEmitter.Refusal) -> (String, Bool) {
        let name = plan.name
        let type = plan.dtype.format.spelling(.c)
        let outputChannels = plan.streamOutputChannels
        let emitted = plan.streamedSteps
        // Numbered as in the batch function: a channels_first network streams without its first transpose.
        let (first, last) = (emitted.first?.number ?? 1, emitted.last?.number ?? 1)
        var parts = ["/* Streaming: each step takes one frame of its input and passes its output frames on. */", "#include <string.h>"]
        var usesMath = false
        var reset: [String] = []
        var flush: [String] = []
        var flushBuffer = 0
        var steps: [String] = []
        for (step, stream) in zip(emitted, streams) {
            let k = step.number
            let member = "state->s\(k)"
            let (inputChannels, channels) = (step.step.inputShape.last ?? 1, step.step.outputShape.last ?? 1)
            // Where this step's frames go: the caller's output, or the next step.
            let into = k == last ? "output" : "y"
            let flushInto = k == last ? "output + written * \(outputChannels)" : "y"
            var push: String
            var flushed: String?
            switch (step.step.operation, stream) {
            case (.separable(let layer), _):
                parts.append(layerSource(layer))
                push = "\(layer.name)_stream_push(&\(member), x, 1, \(into))"
                flushed = "\(layer.name)_stream_flush(&\(member), \(flushInto))"
                reset.append("\(layer.name)_stream_reset(&\(member));")
            case (.pool(let kind, let size, _, _, _), .window(_, let stride, let padLeft, let padsRight)):
                let routines = NetworkStreamLowering.pool(k, kind: kind, size: size, stride: stride, padLeft: padLeft, same: padsRight,
                                                          channels: channels, delay: stream.delay)
                parts.append(NetworkStreamLowering.text(routines, network: name, format: plan.dtype.format, language: .c).joined(separator: "\n"))
                push = "(size_t)\(name)_pool\(k)(\(member).ring, &\(member).frames, x, \(into))"
                flushed = padsRight ? "(size_t)\(name)_pool\(k)_flush(\(member).ring, &\(member).frames, \(flushInto))" : nil
                reset.append("\(member).frames = 0;")
                if !padsRight { flush.append("\(member).frames = 0;") }
            case (_, .pad(let left, let right)):
                let routines = NetworkStreamLowering.pad(k, left: left, right: right, channels: channels)
                parts.append(NetworkStreamLowering.text(routines, network: name, format: plan.dtype.format, language: .c).joined(separator: "\n"))
                push = "(size_t)\(name)_pad\(k)(&\(member), x, \(into))"
                flushed = "(size_t)\(name)_pad\(k)_flush(&\(member), \(flushInto))"
                reset.append("\(member) = 0;")
            default:
                var frame = step.step
                frame.inputShape = [1, inputChannels]
                frame.outputShape = [1, channels]
                let (code, math) = try NetworkStepLowering.text(frame, network: name, base: "f\(k)", dtype: plan.dtype, language: .c)
                parts.append((["/* \(NetworkCEmitter.comment(step.title)), on one frame */"] + code).joined(separator: "\n"))
                usesMath = usesMath || math
                push = "(\(name)_f\(k)(x, \(into)), 1)"
            }
            if k == last {
                steps.append("""
                /* \(NetworkCEmitter.comment(step.title)): one frame in, its output frames out. */
                static size_t \(name)_stream\(k)(\(name)_stream *state, const \(type) *x, \(type) *output)
                {
                \(push.contains("state") ? "" : "    (void)state;\n")    return \(push);
                }
                """)
                if let flushed { flush.append("written += \(flushed);") }
            } else {
                steps.append("""
                /* \(NetworkCEmitter.comment(step.title)): one frame in, the network's output frames it leads to out. */
                static size_t \(name)_stream\(k)(\(name)_stream *state, const \(type) *x, \(type) *output)
                {
                    \(type) y[\(stream.framesPerFrame * channels)];
                    const size_t n = \(push);
                    size_t i, written = 0;
                    for (i = 0; i < n; ++i) written += \(name)_stream\(k + 1)(state, y + i * \(channels), output + written * \(outputChannels));
                    return written;
                }
                """)
                if let flushed {
                    flushBuffer = max(flushBuffer, max(stream.maxFlushed, 1) * channels)
                    flush += ["n = \(flushed);",
                              "for (i = 0; i < n; ++i) written += \(name)_stream\(k + 1)(state, y + i * \(channels), output + written * \(outputChannels));"]
                }
            }
        }
        // Later steps first: each calls the next.
        parts += steps.reversed()
        let flushLocals = flushBuffer > 0 ? ["\(type) y[\(flushBuffer)];", "size_t n, i, written = 0;"] : ["size_t written = 0;"]
        parts.append("""
        void \(name)_stream_reset(\(name)_stream *state)
        {
        \((reset.isEmpty ? ["(void)state;"] : reset).map { "    " + $0 }.joined(separator: "\n"))
        }

        size_t \(name)_stream_push(\(name)_stream *state, const \(type) *frames, size_t count, \(type) *output)
        {
            size_t i, written = 0;
            for (i = 0; i < count; ++i) written += \(name)_stream\(first)(state, frames + i * \(name)_INPUT_CHANNELS, output + written * \(outputChannels));
            return written;
        }

        /* Each step's last frames, in order, through the steps after it; every step's flush resets it. */
        size_t \(name)_stream_flush(\(name)_stream *state, \(type) *output)
        {
        \((flushLocals + flush + (flush.isEmpty ? ["(void)state;", "(void)output;"] : []) + ["return written;"]).map { "    " + $0 }.joined(separator: "\n"))
        }
        """)
        return (parts.joined(separator: "\n\n"), usesMath)
    }

    /// A SeparableConv1D's section 6 state: its typedef.
    private static func layerDeclarations(_ layer: LayerPlan) -> String {
        StreamEmitter.cState(layer)
    }

    /// A SeparableConv1D's section 6 stream code, its functions `static` (the network's own are the API);
    /// its macros came with the batch kernel's.
    private static func layerSource(_ layer: LayerPlan) -> String {
        var values = TemplateRenderer()
        StreamEmitter.fillC(&values, layer, linkage: "static ")
        return (values["STREAM"] ?? "").trimmingCharacters(in: .newlines)
    }
}
