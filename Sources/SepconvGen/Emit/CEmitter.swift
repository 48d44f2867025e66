import SepconvTemplates

/// Emits `N.h` and `N.c`: C99, no heap, no mutable globals, reentrant.
enum CEmitter {
    /// The header and source for `plan`.
    static func emit(_ plan: LayerPlan) -> (header: String, source: String) {
        let layout = KernelLayout(plan: plan)
        var values = TemplateRenderer()
        values["NAME"] = plan.name
        values["GUARD"] = "SEPCONV_GEN_" + plan.name.uppercased() + "_H"
        values["CTYPE"] = cType(plan.dtype)
        values["SUMMARY"] = layout.summary
        values["PLAN"] = layout.planDescription(.c)
        values["LAYOUT"] = layout.layoutDescription
        values["INPUT_STEPS"] = String(plan.inputSteps)
        values["INPUT_CHANNELS"] = String(plan.inputChannels)
        values["OUTPUT_STEPS"] = String(plan.outputSteps)
        values["OUTPUT_CHANNELS"] = String(plan.outputChannels)
        let activation = plan.activation.cCode(dtype: plan.dtype, prefix: plan.name)
        values["INCLUDES"] = plan.activation == .linear ? "" : "#include <math.h>\n"
        let body: String
        switch plan.unroll.c {
        case .full:
            values["STACK_BYTES"] = "0"
            body = CFullUnroll(plan: plan, layout: layout, activation: activation).text
        case .loops:
            values["STACK_BYTES"] = String(layout.stackBytes)
            body = CLoops(plan: plan, layout: layout, activation: activation).text
        }
        values["BODY"] = body
        StreamEmitter.fillC(&values, plan)
        return (values.render(Templates.cHeader), values.render(Templates.cSource))
    }

    /// `float` or `double`.
    static func cType(_ dtype: DType) -> String {
        dtype == .float32 ? "float" : "double"
    }

    /// Prints `static const T name[...] = {...};` with `perRow` values a row.
    static func array(_ printer: inout CodePrinter, name: String, dims: [Int], values: [Double], dtype: DType, comment: String) {
        printer.line("/* \(comment) */")
        let dimsText = dims.map { "[\($0)]" }.joined()
        let rowLength = dims.last ?? values.count
        printer.block("static const \(cType(dtype)) \(name)\(dimsText) = {", closing: "};") { printer in
            let rows = stride(from: 0, to: values.count, by: max(rowLength, 1)).map { Array(values[$0 ..< min($0 + rowLength, values.count)]) }
            for (index, row) in rows.enumerated() {
                let literals = row.map { FloatLiteral.c($0, dtype) }
                let separator = index == rows.count - 1 ? "" : ","
                if dims.count == 1 {
                    wrap(&printer, literals, open: "", close: "")
                } else {
                    wrap(&printer, literals, open: "{ ", close: " }" + separator)
                }
            }
        }
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

    /// The expression that applies an elementwise activation to `value`.
    static func activate(_ value: String, _ activation: ActivationCode) -> String {
        activation.elementFunction.map { "\($0)(\(value))" } ?? value
    }
}
