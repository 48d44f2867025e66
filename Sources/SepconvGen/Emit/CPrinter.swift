/// How C99 spells the kernel program: `static` routines named
/// `<layer>_<base>`, loop counters declared at the top of a routine,
/// `restrict` pointers, `/* */` comments.
struct CSpelling: Spelling {
    let namer: Namer

    func integer(_ op: String) -> String { op }
    var end: String { ";" }

    func loop(_ counter: String, _ from: String, _ to: String) -> String {
        "for (\(counter) = \(from); \(counter) < \(to); ++\(counter)) {"
    }

    func branch(_ condition: String) -> String { "if (\(condition)) {" }
    func scope(_ comment: String) -> String { "{ /* \(comment) */" }
    func constant(_ name: String, _ value: String) -> String { "const int \(name) = \(value);" }
    func variable(_ name: String, _ value: String, integer: Bool) -> String { "\(integer ? "int" : namer.element) \(name) = \(value);" }
    func counting(_ counter: String, _ from: String, _ to: String) -> String {
        "for (int \(counter) = \(from); \(counter) < \(to); ++\(counter)) {"
    }
    var forever: String { "for (;;) {" }
    func stepsFrom(_ from: String, _ count: Int) -> String { "\(from) .. \(from) + \(count - 1)" }

    func zero(wide: Bool) -> String { "{0}" }
    func load(_ pointer: String, wide: Bool) -> String { namer.symbol(wide ? "WLOAD" : "LOAD") + "(\(pointer))" }
    func pointer(_ name: String, _ value: String) -> String { "const \(namer.element) *\(name) = \(value);" }
    func vectors(_ names: [String], _ values: [String], wide: Bool, role: VectorRole) -> [String] {
        let type = namer.symbol(wide ? "wide" : "vec")
        let declarations = zip(names, values).map { "\($0) = \($1)" }.joined(separator: ", ")
        return [(role == .weight ? "const " : "") + "\(type) \(declarations);"]
    }
    func multiplyAdd(_ accumulator: String, _ a: String, _ b: String) -> String { "\(accumulator) += \(a) * \(b);" }
    func store(_ pointer: String, _ value: String, wide: Bool) -> String { namer.symbol(wide ? "WSTORE" : "STORE") + "(\(pointer), \(value))" }
    func storePartial(_ pointer: String, _ value: String, lanes: Int) -> String { "memcpy(\(pointer), &\(value), \(lanes) * sizeof(\(namer.element)))" }
    func value(_ name: String, _ value: String) -> String { "const \(namer.element) \(name) = \(value);" }
    func prefetch(_ pointer: String) -> String? { "__builtin_prefetch(\(pointer));" }
    var wideGuard: (open: String, otherwise: String, close: String, atMargin: Bool) {
        ("#if defined(\(namer.symbol("WIDE")))", "#else", "#endif", true)
    }
    func nest(_ headers: [Header]) -> (open: String, close: String) {
        let loops = headers.compactMap { header -> String? in
            switch header {
            case .loop(let c, let from, let to): "for (\(c) = \(from); \(c) < \(to); ++\(c))"
            case .counting(let c, let from, let to): "for (int \(c) = \(from); \(c) < \(to); ++\(c))"
            case .scope: nil
            }
        }
        return ((loops + ["{"]).joined(separator: " "), "}")
    }
    func offset(_ base: String, _ offset: String, compound: Bool) -> String { base + " + " + offset }
    /// `lines` in a comment, where a layer name from the model may hold `*/`:
    /// one line inline, more each behind ` * ` between lines of their own.
    func documentation(_ lines: [String]) -> [String] {
        let safe = lines.map { $0.replacingOccurrences(of: "*/", with: "* /") }
        return safe.count == 1 ? ["/* \(safe[0]) */"] : ["/*"] + safe.map { " * " + $0 } + [" */"]
    }
    func comment(_ text: String) -> String { "/* \(text) */" }
    func steps(_ from: String, _ to: String) -> String { "\(from) .. \(to) - 1" }
    func through(_ first: Int, _ last: Int) -> String { "\(first) .. \(last)" }
    func unused(_ name: String, because reason: String) -> String? { "(void)\(name); /* \(reason) */" }

    func sum(_ name: String, _ terms: [String]) -> [String] {
        ["const \(namer.element) \(name) = \(terms.isEmpty ? namer.literal(0) : terms.joined(separator: " + "));"]
    }

    func parameter(_ name: String, _ kind: Routine.Kind, of routine: Routine) -> String {
        if kind == .state { return namer.symbol("stream") + " *" + name }
        // A parameter passed by value is `const` in the kernels, which never assign one; a helper's is unqualified (`Routine.isHelper`).
        let value = routine.isHelper ? "" : "const "
        if case .value(let type) = kind { return value + "\(type.spelling(.c)) " + name }
        return [.input: "const \(namer.element) *restrict ", .output: "\(namer.element) *restrict ", .counter: "long *restrict ",
                .sharedInput: "const \(namer.element) *", .sharedOutput: "\(namer.element) *",
                .element: value + "\(namer.element) "][kind, default: value + "int "] + name
    }

    func routine(_ routine: Routine, parameters: String, counters: [String]) -> (open: [String], declarations: [String], close: String) {
        let returns = switch routine.returns {
        case .integer(let type): type.spelling(.c)
        case .element: namer.element
        case nil: "void"
        }
        let storage = routine.isKernel ? namer.symbol("KERNEL") : routine.isBorder ? namer.symbol("BORDER")
            : routine.isOutlined ? namer.symbol("STREAM_OUTLINE") : "static"
        return (["\(storage) \(returns) \(namer.symbol(routine.name))(\(parameters))", "{"],
         counters.isEmpty ? [] : ["int " + counters.joined(separator: ", ") + ";"], "}")
    }

    func scratch(_ buffers: [Buffer], counters: [String], into printer: inout CodePrinter, _ body: (inout CodePrinter) -> Void) {
        for buffer in buffers { printer.line("\(buffer.type?.spelling(.c) ?? namer.element) \(buffer.name)[\(buffer.count)];") }
        if !counters.isEmpty { printer.line("int " + counters.joined(separator: ", ") + ";") }
        body(&printer)
    }

    func declaring(_ counters: [String], into printer: inout CodePrinter, _ body: (inout CodePrinter) -> Void) {
        printer.block("{") { inner in
            if !counters.isEmpty { inner.line("int " + counters.joined(separator: ", ") + ";") }
            body(&inner)
        }
    }

    func table(_ name: String, comment: String, _ literals: [String], aligned: Bool, into printer: inout CodePrinter) {
        printer.line("/* \(comment) */")
        let attributes = aligned ? " " + namer.symbol("ALIGNED") : ""
        printer.block("static const \(namer.element) \(namer.table(name))[\(literals.count)]\(attributes) = {", closing: "};") { printer in
            CEmitter.wrap(&printer, literals, open: "", close: "")
        }
    }

    func integerTable(_ name: String, comment: String, _ literals: [String], _ type: IntegerType, into printer: inout CodePrinter) {
        printer.line("/* \(comment) */")
        printer.block("static const \(type.spelling(.c)) \(namer.table(name))[\(literals.count)] = {", closing: "};") { printer in
            CEmitter.wrap(&printer, literals, open: "", close: "", perLine: 12)
        }
    }

    func integer(_ name: String, _ value: String, _ type: IntegerType, mutable: Bool) -> String {
        (mutable ? "" : "const ") + "\(type.spelling(.c)) \(name) = \(value);"
    }

    func convert(_ value: String, atomic: Bool, _ type: IntegerType) -> String {
        "(\(type.spelling(.c)))" + (atomic ? value : "(" + value + ")")
    }

    func loopWhile(_ condition: String) -> String { "while (\(condition)) {" }

    func copy(to: String, atomicTarget: Bool, from: String, count: String, atomicCount: Bool) -> String {
        "memcpy(\(to), \(from), (size_t)" + (atomicCount ? count : "(" + count + ")") + " * sizeof(\(namer.element)));"
    }

    func returnUnless(_ a: String, _ op: Comparison, _ b: String, into printer: inout CodePrinter) {
        printer.block("if (\(a) \(op.opposite.rawValue) \(b)) {") { $0.line("return;") }
    }

    func pointee(_ name: String) -> String { "*" + name }
    func toElement(_ value: String, atomic: Bool) -> String { "(\(namer.element))" + (atomic ? value : "(" + value + ")") }
    /// The suffix makes a float32 literal a `float`: unsuffixed, C would compute in double.
    func decimal(_ digits: String) -> String { digits + namer.format.cSuffix }
    func magnitude(_ value: String) -> String { "fabs" + namer.format.cSuffix + "(" + value + ")" }
    func forward(_ name: String) -> String { name }
    func kernel(_ name: String, outlined: Bool) -> String { namer.symbol("stream_" + name + (outlined ? "" : "_item")) }

    // Network stream chain: the state is the caller's struct, behind a pointer; a layer's stream is
    // its section 6 functions on the field's address; a pooling ring is an array in the struct.
    func stateField(_ path: String) -> String { "state->" + path }
    func layerPush(layer: String, stream: String, frame: String, channels: Int, output: String, capacity: Int) -> String {
        "\(layer)_stream_push(&\(stream), \(frame), 1, \(output))"
    }
    func layerFlush(layer: String, stream: String, output: String, capacity: Int) -> String { "\(layer)_stream_flush(&\(stream), \(output))" }
    func layerReset(layer: String, stream: String) -> String { "\(layer)_stream_reset(&\(stream))" }
    func ringCall(_ stream: String, _ function: String, _ arguments: [String]) -> String {
        "\(function)(" + (["\(stream).ring", "&\(stream).frames"] + arguments).joined(separator: ", ") + ")"
    }
}
