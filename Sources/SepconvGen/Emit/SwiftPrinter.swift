/// How Swift 6 spells the kernel program: `private static` members of the
/// layer's enum (an activation helper `static`, see `Routine.isHelper`),
/// wrapping integer arithmetic (`&+`), `///` comments, sums built one
/// statement per term so that the type checker stays linear.
struct SwiftSpelling: Spelling {
    let namer: Namer

    func integer(_ op: String) -> String { "&" + op }
    var end: String { "" }

    func loop(_ counter: String, _ from: String, _ to: String) -> String {
        "for \(counter) in \(from)..<\(to.contains(" ") ? "(\(to))" : to) {"
    }

    func branch(_ condition: String) -> String { "if \(condition) {" }
    func scope(_ comment: String) -> String { "do { // \(comment)" }
    func constant(_ name: String, _ value: String) -> String { "let \(name) = \(value)" }
    func variable(_ name: String, _ value: String, integer: Bool) -> String { "var \(name): \(integer ? "Int" : namer.element) = \(value)" }
    func counting(_ counter: String, _ from: String, _ to: String) -> String { loop(counter, from, to) }
    var forever: String { "while true {" }
    func stepsFrom(_ from: String, _ count: Int) -> String { "\(from) ..< \(from) + \(count)" }

    func zero(wide: Bool) -> String { "SIMD\(wide ? 2 * lanes : lanes)<\(namer.element)>()" }
    func load(_ pointer: String, wide: Bool) -> String { (wide ? "loadWide" : "load") + "(\(pointer))" }
    func pointer(_ name: String, _ value: String) -> String { "let \(name) = \(value)" }
    func vectors(_ names: [String], _ values: [String], wide: Bool, role: VectorRole) -> [String] {
        let keyword = role == .accumulator(mutated: true) ? "var" : "let"
        return zip(names, values).map { "\(keyword) \($0) = \($1)" }
    }
    func multiplyAdd(_ accumulator: String, _ a: String, _ b: String) -> String { "\(accumulator) = madd(\(accumulator), \(a), \(b))" }
    func store(_ pointer: String, _ value: String, wide: Bool) -> String {
        wide ? "UnsafeMutableRawPointer(\(pointer)).storeBytes(of: \(value), as: SIMD\(2 * lanes)<\(namer.element)>.self)"
            : "store(\(pointer), \(value), \(lanes))"
    }
    func storePartial(_ pointer: String, _ value: String, lanes: Int) -> String { "store(\(pointer), \(value), \(lanes))" }
    func value(_ name: String, _ value: String) -> String { "let \(name) = \(value)" }
    func prefetch(_ pointer: String) -> String? { nil }
    var wideGuard: (open: String, otherwise: String, close: String, atMargin: Bool) {
        ("#if SEPCONV_GEN_AVX512", "#else", "#endif", false)
    }
    func nest(_ headers: [Header]) -> (open: String, close: String) {
        let opens = headers.map { header -> String in
            switch header {
            case .loop(let c, let from, let to), .counting(let c, let from, let to): "for \(c) in \(from)..<\(to) {"
            case .scope: "do {"
            }
        }
        return (opens.joined(separator: " "), Array(repeating: "}", count: opens.count).joined(separator: " "))
    }
    func offset(_ base: String, _ offset: String, compound: Bool) -> String { base + " + " + (compound ? "(\(offset))" : offset) }

    /// Elements in one 32-byte vector.
    private var lanes: Int { KernelSchedule.vectorBytes / namer.format.bytes }
    func documentation(_ lines: [String]) -> [String] { lines.map { "/// " + $0 } }
    func comment(_ text: String) -> String { "// \(text)" }
    func steps(_ from: String, _ to: String) -> String { "\(from) ..< \(to)" }
    func through(_ first: Int, _ last: Int) -> String { "\(first) ... \(last)" }
    func unused(_ name: String, because reason: String) -> String? { nil }

    func sum(_ name: String, _ terms: [String]) -> [String] {
        guard terms.count > 1 else { return ["let \(name): \(namer.element) = \(terms.first ?? "0")"] }
        return ["var \(name): \(namer.element) = \(terms[0])"] + terms.dropFirst().map { "\(name) += \($0)" }
    }

    func parameter(_ name: String, _ kind: Routine.Kind, of routine: Routine) -> String {
        if kind == .state { return "_ \(name): inout Stream" }
        if case .value(let type) = kind { return "_ \(name): " + type.spelling(.swift) }
        if kind == .element { return "_ \(name): " + namer.element }
        let pointers: [Routine.Kind: String] = [.input: "UnsafePointer<\(namer.element)>", .output: "UnsafeMutablePointer<\(namer.element)>",
                                                .sharedInput: "UnsafePointer<\(namer.element)>", .sharedOutput: "UnsafeMutablePointer<\(namer.element)>"]
        return "_ \(name): " + (kind == .counter ? "inout Int" : pointers[kind, default: "Int"])
    }

    func routine(_ routine: Routine, parameters: String, counters: [String]) -> (open: [String], declarations: [String], close: String) {
        let returns = switch routine.returns {
        case .integer(let type): " -> " + type.spelling(.swift)
        case .element: " -> " + namer.element
        case nil: ""
        }
        // The item kernel is fileprivate, not private: a network's enum, in the same file, calls each layer's.
        let access = routine.isHelper ? "" : routine.name == Routine.itemName ? "fileprivate " : "private "
        let attributes = routine.isInlined ? ["@inline(__always)"] : []
        return (attributes + ["\(access)static func \(namer.symbol(routine.name))(\(parameters))\(returns) {"], [], "}")
    }

    func scratch(_ buffers: [Buffer], counters: [String], into printer: inout CodePrinter, _ body: (inout CodePrinter) -> Void) {
        let total = buffers.reduce(0) { $0 + $1.count }
        printer.block("withUnsafeTemporaryAllocation(of: \(namer.element).self, capacity: \(total)) { scratch in") { inner in
            var offset = 0
            for buffer in buffers {
                inner.line(offset == 0 ? "guard let \(buffer.name) = scratch.baseAddress else { return }" : "let \(buffer.name) = \(buffers[0].name) + \(offset)")
                offset += buffer.count
            }
            body(&inner)
        }
    }

    func declaring(_ counters: [String], into printer: inout CodePrinter, _ body: (inout CodePrinter) -> Void) {
        body(&printer)
    }

    func table(_ name: String, comment: String, _ literals: [String], aligned: Bool, into printer: inout CodePrinter) {
        array(name, comment: comment, literals, type: namer.element, perLine: 6, into: &printer)
    }

    func integerTable(_ name: String, comment: String, _ literals: [String], _ type: IntegerType, into printer: inout CodePrinter) {
        array(name, comment: comment, literals, type: type.spelling(.swift), perLine: 12, into: &printer)
    }

    /// A `private static let` array of `type`, `perLine` literals to a line.
    private func array(_ name: String, comment: String, _ literals: [String], type: String, perLine: Int, into printer: inout CodePrinter) {
        printer.line("/// \(comment)")
        printer.block("private static let \(namer.table(name)): [\(type)] = [", closing: "]") { printer in
            for start in stride(from: 0, to: literals.count, by: perLine) {
                printer.line(literals[start ..< min(start + perLine, literals.count)].joined(separator: ", ") + ",")
            }
        }
    }

    func integer(_ name: String, _ value: String, _ type: IntegerType, mutable: Bool) -> String {
        "\(mutable ? "var" : "let") \(name): \(type.spelling(.swift)) = \(value)"
    }

    /// Narrowing and widening alike are spelled `truncatingIfNeeded:` (exact
    /// when widening): that initializer has one overload where `Int32(_:)`
    /// has dozens, and the type checker spent half of an int8 file's compile
    /// time choosing among them.
    func convert(_ value: String, atomic: Bool, _ type: IntegerType) -> String {
        type.spelling(.swift) + "(truncatingIfNeeded: " + value + ")"
    }

    func loopWhile(_ condition: String) -> String { "while \(condition) {" }

    /// `initialize`, not `update`: the elements are trivial, so it also
    /// copies over values, and a stack buffer's memory starts uninitialized.
    func copy(to: String, atomicTarget: Bool, from: String, count: String, atomicCount: Bool) -> String {
        (atomicTarget ? to : "(" + to + ")") + ".initialize(from: \(from), count: \(count))"
    }

    func returnUnless(_ a: String, _ op: Comparison, _ b: String, into printer: inout CodePrinter) {
        printer.line("guard \(a) \(op.rawValue) \(b) else { return }")
    }

    func pointee(_ name: String) -> String { name }
    func toElement(_ value: String, atomic: Bool) -> String { namer.element + "(" + value + ")" }
    /// Swift takes a literal's type from its context, the element type here.
    func decimal(_ digits: String) -> String { digits }
    func magnitude(_ value: String) -> String { "abs(" + value + ")" }
    func forward(_ name: String) -> String { "&" + name }
    func kernel(_ name: String, outlined: Bool) -> String { "Stream" + name.prefix(1).uppercased() + name.dropFirst() + ".run" }

    // Network stream chain: the state is the `Stream` struct, `inout`; a layer's stream is its own
    // `Stream`, whose methods take buffers; a pooling ring is an array, reached through `withRing`.
    func stateField(_ path: String) -> String { "state." + path }
    func layerPush(layer: String, stream: String, frame: String, channels: Int, output: String, capacity: Int) -> String {
        "\(stream).push(UnsafeBufferPointer(start: \(frame), count: \(channels)), into: UnsafeMutableBufferPointer(start: \(output), count: \(capacity)))"
    }
    func layerFlush(layer: String, stream: String, output: String, capacity: Int) -> String {
        "\(stream).flush(into: UnsafeMutableBufferPointer(start: \(output), count: \(capacity)))"
    }
    func layerReset(layer: String, stream: String) -> String { "\(stream).reset()" }
    func ringCall(_ stream: String, _ function: String, _ arguments: [String]) -> String {
        "\(stream).withRing { ring, frames in \(function)(" + (["ring", "&frames"] + arguments).joined(separator: ", ") + ") }"
    }
}
