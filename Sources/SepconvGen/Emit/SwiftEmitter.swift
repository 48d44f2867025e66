import SepconvTemplates

/// Emits `N.swift`: a public enum with the layer's shape and `forward`,
/// Swift 6 language mode, the standard library and the C library only.
enum SwiftEmitter {
    /// The Swift source for `plan`.
    static func emit(_ plan: LayerPlan) -> String {
        let layout = KernelLayout(plan: plan)
        var values = layout.templateValues(.swift, callsMath: false)
        values["TYPE"] = Identifier.swiftTypeName(plan.name)
        values["STYPE"] = plan.format.spelling(.swift)
        values["QUANTIZATION"] = plan.quantized.map { q in
            let layer = q.layer
            return [
                "    /// The input's quantization: a real value is `inputScale * (q - inputZeroPoint)`.",
                "    public static let inputScale: Float = \(layer.input.scale)",
                "    public static let inputZeroPoint = \(layer.input.zeroPoint)",
                "    /// The output's quantization: a real value is `outputScale * (q - outputZeroPoint)`.",
                "    public static let outputScale: Float = \(layer.output.scale)",
                "    public static let outputZeroPoint = \(layer.output.zeroPoint)",
            ].map { $0 + "\n" }.joined()
        } ?? ""
        values["INPUT_SIZE"] = String(plan.inputSize)
        values["OUTPUT_SIZE"] = String(plan.outputSize)
        // The kernel's members, one level in: inside the layer's enum.
        var printer = CodePrinter(depth: 1)
        printKernel(plan, into: &printer)
        values["BODY"] = printer.lines.joined(separator: "\n")
        StreamEmitter.fillSwift(&values, plan)
        return values.render(Templates.swiftSource)
    }

    /// Prints the kernel for `plan` as members of the enum being printed,
    /// after a blank line: its module's tables and helpers, then
    /// `forwardItem(x, y)` (one batch item) and everything it calls.
    static func printKernel(_ plan: LayerPlan, into body: inout CodePrinter) {
        let program = ProgramPrinter(spelling: SwiftSpelling(namer: Namer(plan, .swift)))
        body.line()
        if let quantized = QuantizedLowering(plan: plan, language: .swift) {
            program.printKernel(quantized.module(plan.unroll.swift), into: &body)
            // The int8 kernel's members end in an empty line, as they always have: the emitted file stays the same.
            body.line()
            return
        }
        let module = KernelModule(plan: plan, language: .swift)
        switch plan.unroll.swift {
        case .full: program.printKernel(module, into: &body)
        case .loops: SwiftLoops(plan: plan, layout: KernelLayout(plan: plan), module: module).print(&body)
        }
    }
}
