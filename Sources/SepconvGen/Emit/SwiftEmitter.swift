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
        values["NOTES"] = layout.notes(callsMath: false, prefix: "// ")
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
                let program = ProgramPrinter(spelling: SwiftSpelling(namer: namer))
                program.print(lowering.epilogueTables, into: &body)
                if !lowering.epilogueTables.isEmpty { body.line() }
                for routine in [lowering.finish, lowering.epiloguePass].compactMap({ $0 }) where !plan.epilogue.isEmpty {
                    program.print(routine, into: &body)
                    body.line()
                }
                program.print(lowering.fullItem, into: &body)
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
