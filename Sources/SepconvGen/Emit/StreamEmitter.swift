import SepconvTemplates

/// Emits the streaming API (`streaming: true`, SPEC section 6) into the C
/// and Swift files: the glue that keeps the window of frames, and the
/// kernels that compute output frames from it.
///
/// The arithmetic is not written here: the kernels are the batch emitters'
/// own, printed for two window plans of the same layer
/// (planned with the layer's `StreamGeometry`): one output frame from the receptive field
/// (`frame`), and one tile of the batch kernel's `KernelLayout.tile` output
/// frames (`tile`), which a push takes wherever whole tiles of windows lie in
/// the frames it was given. The glue is one algorithm, fixed by the numbers
/// and expressions below (shared by both languages) and spelled by the
/// templates `stream_c.c`/`stream_h.h` and `stream_swift.swift`.
///
/// Where the batch kernel is `loops` too, the window kernels read its weight
/// tables (`LayerPlan.borrowedTables`): the weights are in the files once.
enum StreamEmitter {
    /// The geometry, the window plans and the placeholders both languages'
    /// glue shares, or nil when the plan does not stream.
    static func prepare(_ plan: LayerPlan) -> (StreamGeometry, (frame: LayerPlan, tile: LayerPlan?), TemplateRenderer)? {
        guard let g = plan.stream else { return nil }
        let kernels = (frame: g.frameKernel, tile: g.tileKernel)
        let tile = kernels.tile?.convolutionSteps
        var values = TemplateRenderer()
        values["NAME"] = plan.name
        values["TYPE"] = Identifier.swiftTypeName(plan.name)
        values["DELAY"] = String(g.delay)
        values["MAX_FLUSH"] = String(g.maxFlushed)
        values["STRIDE"] = String(g.stride)
        values["CHANNELS"] = String(g.frameChannels)
        values["OUTPUT_CHANNELS"] = String(g.outputChannels)
        values["WINDOW_FRAMES"] = String(g.windowFrames)
        values["RING_VALUES"] = String(g.ringValues)
        values["LAST_SLOT"] = String(g.windowFrames - 1)
        values["PAD_LEFT"] = String(g.padLeft)
        // The padding's value: 0, or an int8 layer's input zero point (a tap on it adds nothing, as TFLite's padding).
        let zero = plan.quantized?.layer.input.zeroPoint ?? 0
        values["ZERO"] = String(zero)
        values["ZERO_FRAME"] = zero == 0 ? "{0}" : "{" + Array(repeating: String(zero), count: g.frameChannels).joined(separator: ", ") + "}"
        values["ZERO_WORDS"] = plan.quantized == nil ? "zeros" : "the input zero point"
        values["STAGE_WORDS"] = g.stageFrames > 0
            ? "A push's stack holds, besides the kernel's buffers, a copy of up to \(g.stageFrames) frames (\(g.stageBytes) bytes)."
            : "A push's stack holds only the kernel's buffers."
        values["AFTER_DROP"] = String(g.windowFrames - g.stride)
        // The next output's first slot: the stride on, around the ring (a stride past the window keeps nothing).
        let (R, S) = (g.windowFrames, g.stride)
        values["ADVANCE"] = S < R ? "start < \(R - S) ? start + \(S) : start - \(R - S)" : "0"
        // Output frames still owed at flush: ceil((filled − pad_left) / strides), in the expression syntax C and Swift share.
        let offset = g.stride - 1 - g.padLeft
        values["PENDING"] = g.padsRight
            ? "filled > \(g.padLeft) ? (filled \(offset < 0 ? "-" : "+") \(abs(offset))) / \(g.stride) : 0"
            : "0"
        values["PENDING_WORDS"] = g.padsRight
            ? "'same': the output frames whose windows reach past the last frame pushed, with zeros there"
            : "'valid': no window reaches past the last frame pushed"
        values["FLUSH_WORDS"] = g.padsRight ? "padding 'same' takes zeros there" : "'valid': there are none"
        values["TILE_WORDS"] = tile.map { "\($0) at a time by \(plan.name)_stream_tile_item, the rest one at a time" }
            ?? "one at a time"
        return (g, kernels, values)
    }

    /// Fills the C templates' `STREAM_DECLARATIONS` and `STREAM` (empty without streaming),
    /// the API's functions declared `linkage` (`static ` where a network's stream calls them).
    static func fillC(_ values: inout TemplateRenderer, _ plan: LayerPlan, linkage: String = "") {
        values["STREAM_DECLARATIONS"] = ""
        values["STREAM"] = ""
        guard case (let geometry, let kernels, var stream)? = prepare(plan) else { return }
        stream["LINKAGE"] = linkage
        stream["STATE"] = cState(plan)
        let tile = kernels.tile?.convolutionSteps
        stream["CTYPE"] = plan.format.spelling(.c)
        stream["KERNELS"] = ([kernels.frame] + [kernels.tile].compactMap { $0 }).map(cKernel).joined(separator: "\n")
        let (C, S, OC) = (geometry.frameChannels, geometry.stride, geometry.outputChannels)
        stream["C_TILE_LOOP"] = tile.map { T in
            "    for (; k + \(T) <= n; k += \(T)) \(plan.name)_stream_tile_item(frames + k * \(S * C), output + k * \(OC));\n"
        } ?? ""
        let (R, type) = (geometry.windowFrames, plan.format.spelling(.c))
        let T = geometry.tileOutputs
        stream["C_STAGE"] = geometry.stageFrames == 0 ? "" : [
            "        {",
            "            /* The windows that start in the state, and at least a tile: when their frames came with this push, they are",
            "             * copied after the state's into one buffer for the kernels. */",
            "            const long least = (filled - 1) / \(S) + 1, n = least > \(T) ? least : \(T), fresh = (n - 1) * \(S) + \(R) - filled;",
            "            if (count - used >= (size_t)fresh) {",
            "                \(type) stage[\(geometry.stageFrames * C)];",
            "                memcpy(stage, ring + start * \(C), (size_t)filled * \(C) * sizeof(\(type)));",
            "                memcpy(stage + filled * \(C), frames + used * \(C), (size_t)fresh * \(C) * sizeof(\(type)));",
            "                \(plan.name)_stream_run(stage, (size_t)n, output + written * \(OC));",
            "                written += (size_t)n;",
            "                filled -= n * \(S);   /* the next window starts -filled frames on in `frames` */",
            "                continue;",
            "            }",
            "        }",
        ].map { $0 + "\n" }.joined()
        values["STREAM_DECLARATIONS"] = stream.render(Templates.streamHeader)
        values["STREAM"] = stream.render(Templates.streamCSource)
    }

    /// The C `typedef` of `plan`'s stream state (empty without streaming).
    static func cState(_ plan: LayerPlan) -> String {
        guard case (_, _, var values)? = prepare(plan) else { return "" }
        values["CTYPE"] = plan.format.spelling(.c)
        // The template file ends its last line; the header places the typedef as a line of its own.
        return String(values.render(Templates.streamState).dropLast())
    }

    /// Fills the Swift template's `STREAM` (empty without streaming).
    static func fillSwift(_ values: inout TemplateRenderer, _ plan: LayerPlan) {
        values["STREAM"] = ""
        guard case (let geometry, let kernels, var stream)? = prepare(plan) else { return }
        let tile = kernels.tile?.convolutionSteps
        stream["STYPE"] = plan.format.spelling(.swift)
        var printer = CodePrinter()
        printer.block("", closing: "") { body in
            swiftKernel(&body, kernels.frame, enumName: "StreamFrame")
            if let tilePlan = kernels.tile { swiftKernel(&body, tilePlan, enumName: "StreamTile") }
        }
        stream["KERNELS"] = printer.lines.dropFirst().dropLast().joined(separator: "\n")
        let (C, S, OC) = (geometry.frameChannels, geometry.stride, geometry.outputChannels)
        stream["STRIDE_VALUES"] = String(S * C)
        stream["SWIFT_TILE_LOOP"] = tile.map { T in
            ["while k &+ \(T) <= n {", "    StreamTile.run(frames + k &* \(S * C), output + k &* \(OC))", "    k &+= \(T)", "}"]
                .map { String(repeating: " ", count: 12) + $0 + "\n" }.joined()
        } ?? ""
        let (R, type) = (geometry.windowFrames, plan.format.spelling(.swift))
        let T = geometry.tileOutputs
        stream["SWIFT_STAGE"] = geometry.stageFrames == 0 ? "" : [
            "// The windows that start in the state, and at least a tile: when their frames came with this push, they are",
            "// copied after the state's into one buffer for the kernels.",
            "let n = max((filled &- 1) / \(S) &+ 1, \(T)), fresh = (n &- 1) &* \(S) &+ \(R) &- filled",
            "if let y, count &- used >= fresh {",
            "    withUnsafeTemporaryAllocation(of: \(type).self, capacity: \(geometry.stageFrames * C)) { buffer in",
            "        guard let stage = buffer.baseAddress else { return }",
            "        stage.initialize(from: w + start &* \(C), count: filled &* \(C))",
            "        (stage + filled &* \(C)).initialize(from: x + used &* \(C), count: fresh &* \(C))",
            "        Stream.run(stage, n, y + written &* \(OC))",
            "    }",
            "    written &+= n",
            "    filled &-= n &* \(S) // the next window starts -filled frames on in `frames`",
            "    continue",
            "}",
        ].map { String(repeating: " ", count: 20) + $0 + "\n" }.joined()
        values["STREAM"] = stream.render(Templates.streamSwiftSource)
    }

    /// A window plan's kernel in C: the batch emitter's own code for it, whose
    /// `<name>_item(x, y)` computes the plan's output frames.
    static func cKernel(_ plan: LayerPlan) -> String {
        CEmitter.parts(plan).kernel
    }

    /// The names the C stream declarations (`stream_h.h.template`) give code
    /// that includes the header; none without streaming.
    static func cNames(_ plan: LayerPlan) -> [String] {
        guard plan.stream != nil else { return [] }
        return ["_STREAM_DELAY", "_STREAM_MAX_FLUSH", "_stream", "_stream_reset", "_stream_push", "_stream_flush"].map { plan.name + $0 }
    }

    /// A window plan's kernel in Swift, in its own enum `enumName` (the batch
    /// emitter's members for that plan), with `run(x, y)` calling its `forwardItem`.
    static func swiftKernel(_ printer: inout CodePrinter, _ plan: LayerPlan, enumName: String) {
        let element = plan.format.spelling(.swift)
        printer.line()
        printer.line("/// The streaming API's kernel for \(plan.convolutionSteps) output frame\(plan.convolutionSteps == 1 ? "" : "s") "
                     + "from a window of \(plan.inputSteps) frames: the batch kernel's code for that plan.")
        printer.block("fileprivate enum \(enumName) {") { body in
            SwiftEmitter.printKernel(plan, into: &body)
            body.line()
            body.line("@inline(__always)")
            body.block("static func run(_ x: UnsafePointer<\(element)>, _ y: UnsafeMutablePointer<\(element)>) {") { body in
                body.line("forwardItem(x, y)")
            }
        }
    }
}
