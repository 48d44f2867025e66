import SepconvTemplates

/// Emits `N.h` and `N.c`: C99, no heap, no mutable globals, reentrant.
enum CEmitter {
    /// The header and source for `plan`.
    static func emit(_ plan: LayerPlan) -> (header: String, source: String) {
        let layout = KernelLayout(plan: plan)
        let lowering = Lowering(plan: plan, language: .c)
        let namer = Namer(layer: plan.name, language: .c, dtype: plan.dtype)
        let helpers = lowering.activations.map { $0.activation.code(.c, dtype: plan.dtype, name: namer.symbol($0.name)).helpers }
        var values = layout.templateValues(.c, callsMath: KernelLayout.callsMath(helpers))
        values["GUARD"] = "SEPCONV_GEN_" + plan.name.uppercased() + "_H"
        values["CTYPE"] = cType(plan.dtype)
        values["INCLUDES"] = helpers.isEmpty ? "" : "#include <math.h>\n"
        switch plan.unroll.c {
        case .full:
            values["STACK_BYTES"] = String(plan.epilogue.isEmpty ? 0 : layout.paddedFilters * layout.elementBytes)
            var printer = CodePrinter()
            ProgramPrinter(spelling: CSpelling(namer: namer)).printFullKernel(lowering, helpers: helpers, into: &printer)
            values["BODY"] = printer.text
        case .loops:
            values["STACK_BYTES"] = String(layout.stackBytes)
            values["BODY"] = CLoops(plan: plan, layout: layout, lowering: lowering, helpers: helpers).text
        }
        return (values.render(Templates.cHeader), values.render(Templates.cSource))
    }

    /// `float` or `double`.
    static func cType(_ dtype: DType) -> String {
        dtype == .float32 ? "float" : "double"
    }

    /// Prints `literals` comma-separated, several to a line.
    static func wrap(_ printer: inout CodePrinter, _ literals: [String], open: String, close: String, perLine: Int = 6) {
        let chunks = stride(from: 0, to: literals.count, by: perLine).map { Array(literals[$0 ..< min($0 + perLine, literals.count)]) }
        for (index, chunk) in chunks.enumerated() {
            let first = index == 0 ? open : String(repeating: " ", count: open.count)
            let last = index == chunks.count - 1 ? close : ","
            printer.line(first + chunk.joined(separator: ", ") + last)
        }
    }
}
