import SepconvTemplates

/// Emits `N.h` and `N.c`: C99, no heap, no mutable globals, reentrant.
enum CEmitter {
    /// A layer's C before the templates join it: what the header defines and
    /// what the source holds before its batch function. A network embeds these
    /// parts as they are, so nothing reads generated text back.
    struct Parts {
        /// The header's macros of the layer's shapes (and an int8 layer's scales and zero points), in order.
        var macros: [CMacro]
        /// Tables, helpers and routines up to and including `<name>_item(x, y)` (one batch item).
        var kernel: String
        /// The bytes of locals the kernel takes at most.
        var stackBytes: Int
        /// Whether the kernel calls the C math library (`#include <math.h>`, `-lm`).
        var callsMath: Bool
    }

    /// One `#define` of a header.
    struct CMacro: Hashable, Sendable {
        var name: String
        /// Spaces then the value, as printed after the name (the shape macros align their values).
        var value: String

        var line: String { "#define " + name + value }
    }

    /// The header and source for `plan`.
    static func emit(_ plan: LayerPlan) -> (header: String, source: String) {
        let parts = self.parts(plan)
        var values = KernelLayout(plan: plan).templateValues(.c, callsMath: parts.callsMath)
        values["GUARD"] = guardName(plan.name)
        values["CTYPE"] = plan.format.spelling(.c)
        values["INCLUDES"] = parts.callsMath ? "#include <math.h>\n" : ""
        values["STDINT"] = plan.quantized == nil ? "" : "#include <stdint.h>\n"
        values["MACROS"] = parts.macros.map { $0.line + "\n" }.joined()
        values["STACK_BYTES"] = String(parts.stackBytes)
        values["BODY"] = parts.kernel
        StreamEmitter.fillC(&values, plan)
        return (values.render(Templates.cHeader), values.render(Templates.cSource))
    }

    /// The include guard of the header `N.h`.
    static func guardName(_ name: String) -> String {
        "SEPCONV_GEN_" + name.uppercased() + "_H"
    }

    /// The names `N.h` declares to code that includes it (macros, functions,
    /// types, its include guard), each with what it is: `generate` refuses two
    /// specs of one run whose names meet.
    static func declaredNames(_ plan: LayerPlan) -> [DeclaredName] {
        [DeclaredName(guardName(plan.name), .includeGuard), DeclaredName(plan.name, .cName)]
            + macros(plan).map { DeclaredName($0.name, .cName) }
            + StreamEmitter.cNames(plan).map { DeclaredName($0, .cName) }
    }

    /// The layer's C, in parts.
    static func parts(_ plan: LayerPlan) -> Parts {
        let (kernel, stackBytes, callsMath) = self.kernel(plan)
        return Parts(macros: macros(plan), kernel: kernel, stackBytes: stackBytes, callsMath: callsMath)
    }

    /// The kernel for `plan`: `<name>_item(x, y)` (one batch item) and
    /// everything it calls, the bytes of its stack buffers, and whether its
    /// activation helpers call the C math library.
    private static func kernel(_ plan: LayerPlan) -> (body: String, stackBytes: Int, callsMath: Bool) {
        let program = ProgramPrinter(spelling: CSpelling(namer: Namer(plan, .c)))
        var printer = CodePrinter()
        if let quantized = QuantizedLowering(plan: plan, language: .c) {
            let module = quantized.module(plan.unroll.c)
            program.printKernel(module, into: &printer)
            // The int8 kernel's text ends in an empty line, as it always has: the emitted files stay the same.
            printer.line()
            return (printer.text, module.stackBytes, module.callsMath)
        }
        let module = KernelModule(plan: plan, language: .c)
        switch plan.unroll.c {
        case .full:
            program.printKernel(module, into: &printer)
            return (printer.text, module.stackBytes, module.callsMath)
        case .loops:
            return (CLoops(plan: plan, layout: KernelLayout(plan: plan), module: module).text, module.stackBytes, module.callsMath)
        }
    }

    /// The header's shape macros, then an int8 layer's scale and zero point macros (SPEC.md section 7).
    private static func macros(_ plan: LayerPlan) -> [CMacro] {
        let name = plan.name
        var macros = [
            CMacro(name: name + "_INPUT_STEPS", value: "     \(plan.inputSteps)"),
            CMacro(name: name + "_INPUT_CHANNELS", value: "  \(plan.inputChannels)"),
            CMacro(name: name + "_OUTPUT_STEPS", value: "    \(plan.outputSteps)"),
            CMacro(name: name + "_OUTPUT_CHANNELS", value: " \(plan.outputChannels)"),
            CMacro(name: name + "_INPUT_SIZE", value: "  (\(name)_INPUT_STEPS * \(name)_INPUT_CHANNELS)"),
            CMacro(name: name + "_OUTPUT_SIZE", value: " (\(name)_OUTPUT_STEPS * \(name)_OUTPUT_CHANNELS)"),
        ]
        if let layer = plan.quantized?.layer {
            macros += [
                CMacro(name: name + "_INPUT_SCALE", value: "        \(layer.input.scale)f  /* float: a real value is SCALE * (q - ZERO_POINT) */"),
                CMacro(name: name + "_INPUT_ZERO_POINT", value: "   \(layer.input.zeroPoint)"),
                CMacro(name: name + "_OUTPUT_SCALE", value: "       \(layer.output.scale)f"),
                CMacro(name: name + "_OUTPUT_ZERO_POINT", value: "  \(layer.output.zeroPoint)"),
            ]
        }
        return macros
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
