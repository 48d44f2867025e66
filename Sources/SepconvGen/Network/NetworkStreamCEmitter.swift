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
/// steps after it. That chain is `NetworkChainLowering`'s program, which
/// Swift prints too; the header and the three API functions around it are C's.
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

    /// The source's part, and whether it calls `<math.h>`: each step's own code, the chain
    /// (`NetworkChainLowering`) and the API's functions around it.
    static func source(_ plan: NetworkPlan, streams: [StepStream]) throws(NetworkCEmitter.Refusal) -> (String, Bool) {
        let name = plan.name
        let type = plan.dtype.format.spelling(.c)
        var parts = ["/* Streaming: each step takes one frame of its input and passes its output frames on. */", "#include <string.h>"]
        var usesMath = false
        let chain = NetworkChainLowering(plan: plan, streams: streams)
        for (index, step) in plan.streamedSteps.enumerated() {
            if let (code, math) = try chain.stepCode(index, language: .c) {
                parts.append(code.joined(separator: "\n"))
                usesMath = usesMath || math
            } else if case .separable(let layer) = step.step.operation {
                parts.append(layerSource(layer))
            }
        }
        parts.append(NetworkStreamLowering.text(chain.routines, network: name, format: plan.dtype.format, language: .c).joined(separator: "\n"))
        parts.append("""
        void \(name)_stream_reset(\(name)_stream *state)
        {
            \(name)_stream_reset_steps(state);
        }

        size_t \(name)_stream_push(\(name)_stream *state, const \(type) *frames, size_t count, \(type) *output)
        {
            return (size_t)\(name)_stream_frames(state, frames, (long)count, output);
        }

        size_t \(name)_stream_flush(\(name)_stream *state, \(type) *output)
        {
            return (size_t)\(name)_stream_flush_steps(state, output);
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
