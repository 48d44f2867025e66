import SepconvTemplates

/// Emits `N.swift`: a public enum with the layer's shape and `forward`,
/// Swift 6 language mode, the standard library and the C library only.
enum SwiftEmitter {
    /// The Swift source for `plan`.
    static func emit(_ plan: LayerPlan) -> String {
        let layout = KernelLayout(plan: plan)
        var values = TemplateRenderer()
        values["NAME"] = plan.name
        values["TYPE"] = Identifier.swiftTypeName(plan.name)
        values["STYPE"] = swiftType(plan.dtype)
        values["SUMMARY"] = layout.summary
        values["PLAN"] = layout.planDescription(.swift)
        values["LAYOUT"] = layout.layoutDescription
        values["INPUT_STEPS"] = String(plan.inputSteps)
        values["INPUT_CHANNELS"] = String(plan.inputChannels)
        values["OUTPUT_STEPS"] = String(plan.outputSteps)
        values["OUTPUT_CHANNELS"] = String(plan.outputChannels)
        values["INPUT_SIZE"] = String(plan.inputSize)
        values["OUTPUT_SIZE"] = String(plan.outputSize)
        let activation = plan.activation.swiftCode(dtype: plan.dtype)
        var printer = CodePrinter()
        printer.block("", closing: "") { body in
            if !activation.helpers.isEmpty {
                body.line()
                body.lines(activation.helpers)
            }
            body.line()
            switch plan.unroll.swift {
            case .full: SwiftFullUnroll(plan: plan, layout: layout, activation: activation).print(&body)
            case .loops: SwiftLoops(plan: plan, layout: layout, activation: activation).print(&body)
            }
        }
        values["BODY"] = printer.lines.dropFirst().dropLast().joined(separator: "\n")
        StreamEmitter.fillSwift(&values, plan)
        return values.render(Templates.swiftSource)
    }

    /// `Float` or `Double`.
    static func swiftType(_ dtype: DType) -> String {
        dtype == .float32 ? "Float" : "Double"
    }

    /// Prints `private static let name: [T] = [...]`.
    static func array(_ printer: inout CodePrinter, name: String, values: [Double], dtype: DType, comment: String) {
        printer.line("/// \(comment)")
        printer.block("private static let \(name): [\(swiftType(dtype))] = [", closing: "]") { printer in
            let literals = values.map { FloatLiteral.swift($0, dtype) }
            let chunks = stride(from: 0, to: literals.count, by: 6).map { literals[$0 ..< min($0 + 6, literals.count)] }
            for chunk in chunks {
                printer.line(chunk.joined(separator: ", ") + ",")
            }
        }
    }
}
