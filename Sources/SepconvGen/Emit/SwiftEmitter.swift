import SepconvTemplates

/// Emits `N.swift`: a public enum with the layer's shape and `forward`,
/// Swift 6 language mode, the standard library and the C library only.
enum SwiftEmitter {
    /// The Swift source for `plan`.
    static func emit(_ plan: LayerPlan) -> String {
        let layout = KernelLayout(plan: plan)
        var values = layout.templateValues(.swift, callsMath: false)
        values["TYPE"] = Identifier.swiftTypeName(plan.name)
        values["STYPE"] = swiftType(plan.dtype)
        values["INPUT_SIZE"] = String(plan.inputSize)
        values["OUTPUT_SIZE"] = String(plan.outputSize)
        let lowering = Lowering(plan: plan, language: .swift)
        let namer = Namer(layer: plan.name, language: .swift, dtype: plan.dtype)
        var printer = CodePrinter()
        printer.block("", closing: "") { body in
            for (name, activation) in lowering.activations {
                body.line()
                body.lines(activation.code(.swift, dtype: plan.dtype, name: namer.symbol(name)).helpers)
            }
            body.line()
            switch plan.unroll.swift {
            case .full:
                ProgramPrinter(spelling: SwiftSpelling(namer: namer)).printFullKernel(lowering, helpers: [], into: &body)
            case .loops: SwiftLoops(plan: plan, layout: layout, lowering: lowering).print(&body)
            }
        }
        values["BODY"] = printer.lines.dropFirst().dropLast().joined(separator: "\n")
        return values.render(Templates.swiftSource)
    }

    /// `Float` or `Double`.
    static func swiftType(_ dtype: DType) -> String {
        dtype == .float32 ? "Float" : "Double"
    }
}
