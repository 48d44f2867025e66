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
/// the frames it was given. The glue is one program (`StreamLowering`),
/// printed in each language; the templates `stream_c.c`/`stream_h.h` and
/// `stream_swift.swift` hold only each language's API around it.
///
/// Where the batch kernel is `loops` too, the window kernels read its weight
/// tables (`LayerPlan.borrowedTables`): the weights are in the files once.
enum StreamEmitter {
    /// The geometry, the window plans and the placeholders both languages'
    /// API shares, or nil when the plan does not stream.
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
        values["STAGE_WORDS"] = g.stageFrames > 0
            ? "A push's stack holds, besides the kernel's buffers, a copy of up to \(g.stageFrames) frames (\(g.stageBytes) bytes)."
            : "A push's stack holds only the kernel's buffers."
        values["PENDING_WORDS"] = g.padsRight
            ? "'same': the output frames whose windows reach past the last frame pushed, with zeros there"
            : "'valid': no window reaches past the last frame pushed"
        values["FLUSH_WORDS"] = g.padsRight ? "padding 'same' takes zeros there" : "'valid': there are none"
        values["TILE_WORDS"] = tile.map { "\($0) at a time by \(plan.name)_stream_tile_item, the rest one at a time" }
            ?? "one at a time"
        return (g, kernels, values)
    }

    /// The glue's routines printed by `program`, `depth` levels in.
    private static func glue<S: Spelling>(_ geometry: StreamGeometry, _ program: ProgramPrinter<S>, depth: Int) -> String {
        var printer = CodePrinter(depth: depth)
        program.print(StreamLowering(geometry).routines, into: &printer)
        return printer.text
    }

    /// Fills the C templates' `STREAM_DECLARATIONS` and `STREAM` (empty without streaming),
    /// the API's functions declared `linkage` (`static ` where a network's stream calls them).
    static func fillC(_ values: inout TemplateRenderer, _ plan: LayerPlan, linkage: String = "") {
        values["STREAM_DECLARATIONS"] = ""
        values["STREAM"] = ""
        guard case (let geometry, let kernels, var stream)? = prepare(plan) else { return }
        stream["LINKAGE"] = linkage
        stream["STATE"] = cState(plan)
        stream["CTYPE"] = plan.format.spelling(.c)
        stream["KERNELS"] = ([kernels.frame] + [kernels.tile].compactMap { $0 }).map(cKernel).joined(separator: "\n")
        stream["GLUE"] = glue(geometry, ProgramPrinter(spelling: CSpelling(namer: Namer(layer: plan.name, language: .c, format: plan.format))), depth: 0)
        values["STREAM_DECLARATIONS"] = stream.render(Templates.streamHeader)
        values["STREAM"] = stream.render(Templates.streamCSource)
    }

    /// The C `typedef` of `plan`'s stream state (empty without streaming).
    static func cState(_ plan: LayerPlan) -> String {
        guard case (_, _, var values)? = prepare(plan) else { return "" }
        values["CTYPE"] = plan.format.spelling(.c)
        return values.render(Templates.streamState)
    }

    /// Fills the Swift template's `STREAM` (empty without streaming).
    static func fillSwift(_ values: inout TemplateRenderer, _ plan: LayerPlan) {
        values["STREAM"] = ""
        guard case (let geometry, let kernels, var stream)? = prepare(plan) else { return }
        stream["STYPE"] = plan.format.spelling(.swift)
        // Members of the layer's enum, one level in.
        var printer = CodePrinter(depth: 1)
        swiftKernel(&printer, kernels.frame, enumName: "StreamFrame")
        if let tilePlan = kernels.tile { swiftKernel(&printer, tilePlan, enumName: "StreamTile") }
        stream["KERNELS"] = printer.lines.joined(separator: "\n")
        let program = ProgramPrinter(spelling: SwiftSpelling(namer: Namer(layer: plan.name, language: .swift, format: plan.format)))
        let lowering = StreamLowering(geometry)
        stream["COMPLETED"] = program.expression(lowering.completed(.name("filled"), .name("count")))
        stream["PENDING"] = program.expression(lowering.pending(.name("filled")))
        stream["GLUE"] = glue(geometry, program, depth: 2)
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
