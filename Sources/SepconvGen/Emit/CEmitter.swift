import SepconvTemplates

/// Emits `N.h` and `N.c`: C99, no heap, no mutable globals, reentrant.
enum CEmitter {
    /// The header and source for `plan`.
    static func emit(_ plan: LayerPlan) -> (header: String, source: String) {
        let kernel = self.kernel(plan)
        var values = KernelLayout(plan: plan).templateValues(.c, callsMath: KernelLayout.callsMath(kernel.helpers))
        values["GUARD"] = "SEPCONV_GEN_" + plan.name.uppercased() + "_H"
        values["CTYPE"] = plan.format.spelling(.c)
        values["INCLUDES"] = kernel.helpers.isEmpty ? "" : "#include <math.h>\n"
        values["STDINT"] = plan.quantized == nil ? "" : "#include <stdint.h>\n"
        values["QUANTIZATION"] = quantizationMacros(plan)
        values["STACK_BYTES"] = String(kernel.stackBytes)
        values["BODY"] = kernel.body
        StreamEmitter.fillC(&values, plan)
        return (values.render(Templates.cHeader), values.render(Templates.cSource))
    }

    /// The kernel for `plan`: `<name>_item(x, y)` (one batch item) and
    /// everything it calls, the bytes of its locals, and its activation
    /// helpers' lines (which tell whether it calls the C math library).
    static func kernel(_ plan: LayerPlan) -> (body: String, stackBytes: Int, helpers: [[String]]) {
        if let quantized = QuantizedLowering(plan: plan, language: .c) {
            var printer = CodePrinter()
            ProgramPrinter(spelling: CSpelling(namer: Namer(plan, .c))).printQuantizedKernel(quantized, plan.unroll.c, into: &printer)
            return (printer.text, plan.footprint.stackBytes, [])
        }
        let layout = KernelLayout(plan: plan)
        let lowering = Lowering(plan: plan, language: .c)
        let namer = Namer(plan, .c)
        let helpers = lowering.activations.map { $0.activation.code(.c, dtype: plan.dtype, name: namer.symbol($0.name)).helpers }
        switch plan.unroll.c {
        case .full:
            var printer = CodePrinter()
            ProgramPrinter(spelling: CSpelling(namer: namer)).printFullKernel(lowering, helpers: helpers, into: &printer)
            return (printer.text, plan.footprint.stackBytes, helpers)
        case .loops:
            return (CLoops(plan: plan, layout: layout, lowering: lowering, helpers: helpers).text, plan.footprint.stackBytes, helpers)
        }
    }

    /// An int8 layer's scale and zero point macros (SPEC.md section 7), a line each; empty for a float layer.
    static func quantizationMacros(_ plan: LayerPlan) -> String {
        guard let layer = plan.quantized?.layer else { return "" }
        let name = plan.name
        return [
            "#define \(name)_INPUT_SCALE        \(layer.input.scale)f  /* float: a real value is SCALE * (q - ZERO_POINT) */",
            "#define \(name)_INPUT_ZERO_POINT   \(layer.input.zeroPoint)",
            "#define \(name)_OUTPUT_SCALE       \(layer.output.scale)f",
            "#define \(name)_OUTPUT_ZERO_POINT  \(layer.output.zeroPoint)",
        ].map { $0 + "\n" }.joined()
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
