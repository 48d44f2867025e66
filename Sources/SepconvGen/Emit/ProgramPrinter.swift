/// What a target language spells differently; `ProgramPrinter` walks the
/// program once for every language through it.
protocol Spelling {
    var namer: Namer { get }
    /// `+` or `&+` and the like for integer arithmetic.
    func integer(_ op: String) -> String
    /// A statement's end (`;` or nothing).
    var end: String { get }
    /// The opening line of a counted loop.
    func loop(_ counter: String, _ from: String, _ to: String) -> String
    /// The opening line of a branch.
    func branch(_ condition: String) -> String
    /// The opening line of a scope with a comment.
    func scope(_ comment: String) -> String
    /// A constant integer local.
    func constant(_ name: String, _ value: String) -> String
    /// A mutable local of the element type or an integer.
    func variable(_ name: String, _ value: String, integer: Bool) -> String
    /// The opening line of a loop that declares its counter.
    func counting(_ counter: String, _ from: String, _ to: String) -> String
    /// The opening line of an endless loop.
    var forever: String { get }
    /// A vector of zeros, 512-bit where `wide`.
    func zero(wide: Bool) -> String
    /// A vector load.
    func load(_ pointer: String, wide: Bool) -> String
    /// A constant pointer local.
    func pointer(_ name: String, _ value: String) -> String
    /// Vector locals, as lines.
    func vectors(_ names: [String], _ values: [String], wide: Bool, role: VectorRole) -> [String]
    /// `accumulator += a * b`.
    func multiplyAdd(_ accumulator: String, _ a: String, _ b: String) -> String
    /// A vector store.
    func store(_ pointer: String, _ value: String, wide: Bool) -> String
    /// A store of a vector's first `lanes` lanes.
    func storePartial(_ pointer: String, _ value: String, lanes: Int) -> String
    /// A constant local of the element type.
    func value(_ name: String, _ value: String) -> String
    /// A prefetch of the pointer's line, if the language has one.
    func prefetch(_ pointer: String) -> String?
    /// The directives (or conditions) of the 512-bit path: opening, else, end; and whether they sit at the margin.
    var wideGuard: (open: String, otherwise: String, close: String, atMargin: Bool) { get }
    /// The opening line and closing line of a nest of loops and scopes.
    func nest(_ headers: [Header]) -> (open: String, close: String)
    /// `p + offset`, with the offset `compound` (a sum) or not.
    func offset(_ base: String, _ offset: String, compound: Bool) -> String
    /// A real local that is the sum of `terms`, as lines.
    func sum(_ name: String, _ terms: [String]) -> [String]
    /// A routine's doc comment of one or more lines.
    func documentation(_ lines: [String]) -> [String]
    /// A comment line in a body.
    func comment(_ text: String) -> String
    /// The steps `from ..< to` in a comment.
    func steps(_ from: String, _ to: String) -> String
    /// The steps `first` through `last` in a comment.
    func through(_ first: Int, _ last: Int) -> String
    /// The `count` steps from `from` in a comment.
    func stepsFrom(_ from: String, _ count: Int) -> String
    /// Prints stack buffers around `body`, with the counters a routine declares after its buffers (C).
    func scratch(_ buffers: [Buffer], counters: [String], into printer: inout CodePrinter, _ body: (inout CodePrinter) -> Void)
    /// Prints a block that declares `counters` around `body`.
    func declaring(_ counters: [String], into printer: inout CodePrinter, _ body: (inout CodePrinter) -> Void)
    /// The statement for a parameter not read, if the language wants one.
    func unused(_ name: String, because: String) -> String?
    /// One parameter of `routine`'s signature.
    func parameter(_ name: String, _ kind: Routine.Kind, of routine: Routine) -> String
    /// The routine's signature (its `parameters` spelled and joined) and
    /// opening lines, the declarations its body starts with (C's loop
    /// counters) and the line that closes it.
    func routine(_ routine: Routine, parameters: String, counters: [String]) -> (open: [String], declarations: [String], close: String)
    /// A constant table.
    func table(_ name: String, comment: String, _ literals: [String], aligned: Bool, into printer: inout CodePrinter)
    /// A constant table of `type` integers.
    func integerTable(_ name: String, comment: String, _ literals: [String], _ type: IntegerType, into printer: inout CodePrinter)
    /// A local of the integer `type`.
    func integer(_ name: String, _ value: String, _ type: IntegerType, mutable: Bool) -> String
    /// The integer `value` converted to `type`; `atomic` when it needs no parentheses as an operand.
    func convert(_ value: String, atomic: Bool, _ type: IntegerType) -> String
    /// The opening line of a `while` loop.
    func loopWhile(_ condition: String) -> String
    /// A copy of `count` elements (`atomicCount` when it needs no parentheses as an operand)
    /// from `from` to `to` (`atomicTarget` likewise).
    func copy(to: String, atomicTarget: Bool, from: String, count: String, atomicCount: Bool) -> String
    /// Prints a return from a routine without a value unless `a op b` holds.
    func returnUnless(_ a: String, _ op: Comparison, _ b: String, into printer: inout CodePrinter)
    /// The value of the `counter` parameter `name`.
    func pointee(_ name: String) -> String
    /// The `counter` parameter `name` passed on as a `counter` argument.
    func forward(_ name: String) -> String
    /// The streaming API's window kernel `name`, through C's out-of-line wrapper where `outlined`.
    func kernel(_ name: String, outlined: Bool) -> String
    /// The integer `value` as the element type; `atomic` when it needs no parentheses as an operand.
    func toElement(_ value: String, atomic: Bool) -> String
    /// A decimal literal of the element type.
    func decimal(_ digits: String) -> String
    /// |value| of the element type.
    func magnitude(_ value: String) -> String

    // Network stream chain
    /// The field `path` of the network stream's state, the routine's `state` parameter.
    func stateField(_ path: String) -> String
    /// The SeparableConv1D `layer`'s stream (the state field spelled `stream`) pushed
    /// the one frame at `frame` (`channels` values), writing at `output` (room for `capacity` values).
    func layerPush(layer: String, stream: String, frame: String, channels: Int, output: String, capacity: Int) -> String
    /// That stream's flush into `output` (room for `capacity` values).
    func layerFlush(layer: String, stream: String, output: String, capacity: Int) -> String
    /// That stream's reset, a statement.
    func layerReset(layer: String, stream: String) -> String
    /// The pooling routine `function` on the ring and frame count of the state field spelled `stream`, then `arguments`.
    func ringCall(_ stream: String, _ function: String, _ arguments: [String]) -> String
}

/// Prints kernel programs in one language.
struct ProgramPrinter<S: Spelling> {
    let spelling: S

    func expression(_ e: Expr) -> String {
        let s = spelling
        func operand(_ e: Expr) -> String { e.isSum ? "(" + expression(e) + ")" : expression(e) }
        // A product's or ratio's right operand: a product too keeps its parentheses, which fix the rounding order.
        func right(_ e: Expr) -> String { e.isSum || e.isProduct ? "(" + expression(e) + ")" : expression(e) }
        switch e {
        case .int(let value): return String(value)
        case .real(let value): return s.namer.literal(value)
        case .zero: return s.zero(wide: false)
        case .name(let name): return name
        case .symbol(let base): return s.namer.symbol(base)
        case .weights(let base): return s.namer.table(base)
        case .sum(let terms): return terms.map(expression).joined(separator: " \(s.integer("+")) ")
        case .minus(let a, let b): return expression(a) + " \(s.integer("-")) " + operand(b)
        case .times(let a, let b): return operand(a) + " \(s.integer("*")) " + operand(b)
        case .product(let a, let b): return operand(a) + " * " + right(b)
        case .plus(let a, let b): return expression(a) + " + " + expression(b)
        case .element(let base, let index): return expression(base) + "[" + expression(index) + "]"
        case .offset(let base, let offset): return s.offset(expression(base), expression(offset), compound: offset.isSum)
        case .load(let pointer, let wide): return s.load(expression(pointer), wide: wide)
        case .call(let function, let arguments): return expression(function) + "(" + arguments.map(expression).joined(separator: ", ") + ")"
        case .less(let a, let b): return expression(a) + " < " + expression(b)
        case .select(let c, let a, let b): return expression(c) + " ? " + expression(a) + " : " + expression(b)
        case .decimal(let digits): return s.decimal(digits)
        case .difference(let a, let b): return expression(a) + " - " + operand(b)
        case .ratio(let a, let b): return operand(a) + " / " + right(b)
        case .negate(let a): return "-" + primary(a)
        case .math(let function, let arguments): return function + s.namer.format.cSuffix + "(" + arguments.map(expression).joined(separator: ", ") + ")"
        case .magnitude(let a): return s.magnitude(expression(a))
        case .or(let a, let b): return expression(a) + " || " + expression(b)
        case .address(let name): return "&" + name
        case .convert(let value, let type):
            return s.convert(expression(value), atomic: value.isPrimary, type)
        // C and Swift rank these operators differently: each is parenthesized, and so is any operand but a primary.
        case .shiftRight(let a, let b): return "(" + primary(a) + " >> " + primary(b) + ")"
        case .shiftLeft(let a, let b): return "(" + primary(a) + " << " + primary(b) + ")"
        case .bitAnd(let a, let b): return "(" + primary(a) + " & " + primary(b) + ")"
        case .quotient(let a, let b): return "(" + primary(a) + " / " + primary(b) + ")"
        case .remainder(let a, let b): return "(" + primary(a) + " % " + primary(b) + ")"
        case .group(let e): return "(" + expression(e) + ")"
        case .compare(let a, let op, let b): return expression(a) + " \(op.rawValue) " + expression(b)
        case .and(let a, let b): return expression(a) + " && " + expression(b)
        case .pointee(let name): return s.pointee(name)
        case .forward(let name): return s.forward(name)
        case .kernel(let name, let outlined): return s.kernel(name, outlined: outlined)
        case .toElement(let value): return s.toElement(expression(value), atomic: value.isPrimary)
        // Network stream chain
        case .stateField(let path): return s.stateField(path)
        case .stateCounter(let path): return "&" + s.stateField(path)
        case .layerPush(let layer, let field, let frame, let channels, let output, let capacity):
            return s.layerPush(layer: layer, stream: s.stateField(field), frame: expression(frame), channels: channels,
                               output: expression(output), capacity: capacity)
        case .layerFlush(let layer, let field, let output, let capacity):
            return s.layerFlush(layer: layer, stream: s.stateField(field), output: expression(output), capacity: capacity)
        case .ringCall(let field, let routine, let arguments):
            return s.ringCall(s.stateField(field), s.namer.symbol(routine), arguments.map(expression))
        }
    }

    /// `e`, parenthesized unless it is a primary expression.
    private func primary(_ e: Expr) -> String {
        e.isPrimary ? expression(e) : "(" + expression(e) + ")"
    }

    /// Prints `routine` with its doc comment.
    func print(_ routine: Routine, into printer: inout CodePrinter) {
        if routine.isWide { printer.line(spelling.wideGuard.open) }
        defer { if routine.isWide { printer.line(spelling.wideGuard.close) } }
        printer.lines(spelling.documentation([text(routine.comment)] + routine.details))
        let counters = Self.counters(routine.body)
        // A routine that starts with its stack buffers declares its counters after them.
        let scratch: ([Buffer], [Statement])? = if case .scratch(let buffers, let body) = routine.body.first { (buffers, body) } else { nil }
        let parameters = routine.parameters.map { spelling.parameter($0.name, $0.kind, of: routine) }.joined(separator: ", ")
        let (open, declarations, close) = spelling.routine(routine, parameters: parameters, counters: scratch == nil ? counters : [])
        for line in open.dropLast() { printer.line(line) }
        printer.block(open.last ?? "{", closing: close) { body in
            body.lines(declarations)
            if let (buffers, inner) = scratch {
                spelling.scratch(buffers, counters: counters, into: &body) { print(inner, into: &$0) }
                print(Array(routine.body.dropFirst()), into: &body)
            } else {
                print(routine.body, into: &body)
            }
        }
    }

    /// Prints each of `routines`, an empty line after each.
    func print(_ routines: [Routine], into printer: inout CodePrinter) {
        for routine in routines {
            print(routine, into: &printer)
            printer.line()
        }
    }

    /// The module's tables: each weight table, then the epilogue's; an empty line after each group's tables.
    func printTables(_ module: KernelModule, into printer: inout CodePrinter) {
        for table in module.weightTables {
            print([table], into: &printer)
            printer.line()
        }
        print(module.epilogueTables, into: &printer)
        if !module.epilogueTables.isEmpty { printer.line() }
    }

    /// The module's activation helpers, an empty line after each.
    func printHelpers(_ module: KernelModule, into printer: inout CodePrinter) {
        for helper in module.helpers {
            print(helper.routine, into: &printer)
            printer.line()
        }
    }

    /// A kernel printed from its module alone (a float `full` kernel, any
    /// int8 kernel): the module's tables and helpers, then its sections.
    func printKernel(_ module: KernelModule, into printer: inout CodePrinter) {
        printTables(module, into: &printer)
        printHelpers(module, into: &printer)
        printSections(module, into: &printer)
    }

    /// What a kernel printer adds to the module's code as `printSections`
    /// prints it; C's float `loops` kernel (`CLoops`) adds its own: its
    /// vector path's condition is a macro it defines beforehand, that path
    /// opens with the vector types, and routines off it have Helium forms.
    struct SectionStyle {
        /// The condition of the `#if` or `#elif` of a target's path.
        var condition: (VectorGuard) -> String = \.cCondition
        /// Lines that open the path of a target (nil: the fallback), after its directive and includes.
        var opening: (VectorGuard?) -> [String] = { _ in [] }
        /// Prints a routine of the path of a target (nil: the fallback's, or
        /// a routine every target compiles); nil: the routine as it is.
        var routine: ((Routine, VectorGuard?, inout CodePrinter) -> Void)? = nil
    }

    /// The module's sections, an empty line between two and between two
    /// routines, as `style` adds to them. A guarded section is C's (Swift's
    /// `#if` tells the architecture, not its features, so its lowering
    /// guards none): each path after its `#if` or `#elif` with its includes,
    /// tables, vector helpers and routines, then the fallback's after `#else`.
    func printSections(_ module: KernelModule, style: SectionStyle = SectionStyle(), into printer: inout CodePrinter) {
        let printRoutine = { (routine: Routine, target: VectorGuard?, printer: inout CodePrinter) in
            if let print = style.routine { print(routine, target, &printer) } else { self.print(routine, into: &printer) }
        }
        for (index, section) in module.sections.enumerated() {
            if index > 0 { printer.line() }
            switch section {
            case .routines(let routines):
                for (index, routine) in routines.enumerated() {
                    if index > 0 { printer.line() }
                    printRoutine(routine, nil, &printer)
                }
            case .guarded(let paths, let fallback):
                for (index, path) in paths.enumerated() {
                    printer.directive(TargetDirective.path(style.condition(path.target), first: index == 0).cLine)
                    printGuarded(path.code, opening: style.opening(path.target),
                                 helpers: path.vectorHelpers.map { path.target.int8Helper($0, name: spelling.namer.symbol($0.rawValue)) },
                                 into: &printer) { printRoutine($0, path.target, &$1) }
                }
                printer.directive(TargetDirective.fallback.cLine)
                printGuarded(fallback, opening: style.opening(nil), helpers: [], into: &printer) { printRoutine($0, nil, &$1) }
                printer.directive(TargetDirective.end.cLine)
            }
        }
    }

    /// One side of a target guard: its includes (an empty line after them)
    /// and `opening`, then its tables, `helpers` (their lines) and routines
    /// (each by `printRoutine`), an empty line after each, so that the next
    /// directive stands apart.
    private func printGuarded(_ code: KernelModule.GuardedCode, opening: [String], helpers: [[String]], into printer: inout CodePrinter,
                              _ printRoutine: (Routine, inout CodePrinter) -> Void) {
        for header in code.includes { printer.directive("#include " + header) }
        if !code.includes.isEmpty { printer.line() }
        printer.lines(opening)
        for table in code.tables {
            print([table], into: &printer)
            printer.line()
        }
        for helper in helpers {
            printer.lines(helper)
            printer.line()
        }
        for routine in code.routines {
            printRoutine(routine, &printer)
            printer.line()
        }
    }

    /// The text of a comment's pieces.
    func text(_ pieces: [CommentPiece]) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): text
            case .steps(let from, let to): spelling.steps(from, to)
            case .through(let first, let last): spelling.through(first, last)
            case .stepsFrom(let from, let count): spelling.stepsFrom(from, count)
            }
        }.joined()
    }

    func print(_ statements: [Statement], into printer: inout CodePrinter) {
        for statement in statements {
            switch statement {
            case .comment(let pieces): printer.line(spelling.comment(text(pieces)))
            case .constant(let name, let value): printer.line(spelling.constant(name, expression(value)))
            case .variable(let name, let value, let integer): printer.line(spelling.variable(name, expression(value), integer: integer))
            case .counting(let counter, let from, let to, let body):
                printer.block(spelling.counting(counter, expression(from), expression(to))) { print(body, into: &$0) }
            case .forever(let body): printer.block(spelling.forever) { print(body, into: &$0) }
            case .loopWhile(let condition, let body): printer.block(spelling.loopWhile(expression(condition))) { print(body, into: &$0) }
            case .next: printer.line("continue" + spelling.end)
            case .copy(let to, let from, let count):
                printer.line(spelling.copy(to: expression(to), atomicTarget: to.isPrimary, from: expression(from),
                                           count: expression(count), atomicCount: count.isPrimary))
            case .pointer(let name, let value): printer.line(spelling.pointer(name, expression(value)))
            case .vectors(let names, let values, let wide, let role):
                printer.lines(spelling.vectors(names, values.map { $0 == .zero ? spelling.zero(wide: wide) : expression($0) }, wide: wide, role: role))
            case .multiplyAdd(let accumulator, let a, let b): printer.line(spelling.multiplyAdd(accumulator, expression(a), expression(b)))
            case .store(let pointer, let value, let wide): printer.line(spelling.store(expression(pointer), value, wide: wide) + spelling.end)
            case .storePartial(let pointer, let value, let lanes): printer.line(spelling.storePartial(expression(pointer), value, lanes: lanes) + spelling.end)
            case .value(let name, let value): printer.line(spelling.value(name, expression(value)))
            case .prefetch(let pointer): if let line = spelling.prefetch(expression(pointer)) { printer.line(line) }
            case .guarded(let wide, let narrow):
                let g = spelling.wideGuard
                let mark = { (printer: inout CodePrinter, text: String) in g.atMargin ? printer.directive(text) : printer.line(text) }
                mark(&printer, g.open)
                print(wide, into: &printer)
                mark(&printer, g.otherwise)
                print(narrow, into: &printer)
                mark(&printer, g.close)
            case .nest(let headers, let body):
                let (open, close) = spelling.nest(headers)
                printer.block(open, closing: close) { print(body, into: &$0) }
            case .exit: printer.line("break" + spelling.end)
            case .result(let value): printer.line("return " + expression(value) + spelling.end)
            case .returnUnless(let a, let op, let b): spelling.returnUnless(expression(a), op, expression(b), into: &printer)
            case .sum(let name, let terms): printer.lines(spelling.sum(name, terms.map(expression)))
            case .assign(let target, let op, let value): printer.line(expression(target) + " \(op.rawValue) " + expression(value) + spelling.end)
            case .call(let function, let arguments): printer.line(expression(.call(function, arguments)) + spelling.end)
            case .loop:
                if let line = oneLine(statement) {
                    printer.line(line)
                } else if case .loop(let counter, let from, let to, let body) = statement {
                    printer.block(spelling.loop(counter, expression(from), expression(to))) { print(body, into: &$0) }
                }
            case .branch(let condition, let then, let otherwise):
                printer.block(spelling.branch(expression(condition))) { print(then, into: &$0) }
                if !otherwise.isEmpty { printer.block("else {") { print(otherwise, into: &$0) } }
            case .scope(let comment, let body):
                printer.block(spelling.scope(comment)) { print(body, into: &$0) }
            case .scratch(let buffers, let body):
                spelling.scratch(buffers, counters: [], into: &printer) { print(body, into: &$0) }
            case .declaring(let body):
                spelling.declaring(Self.counters(body), into: &printer) { print(body, into: &$0) }
            case .unused(let name, let reason):
                if let line = spelling.unused(name, because: reason) { printer.line(line) }
            case .table(let name, let comment, let values, let aligned):
                spelling.table(name, comment: comment, values.map(spelling.namer.literal), aligned: aligned, into: &printer)
            case .integerTable(let name, let comment, let values, let type):
                spelling.integerTable(name, comment: comment, values.map(String.init), type, into: &printer)
            case .integer(let name, let value, let type, let mutable):
                printer.line(spelling.integer(name, expression(value), type, mutable: mutable))
            // Network stream chain
            case .layerReset(let layer, let field):
                printer.line(spelling.layerReset(layer: layer, stream: spelling.stateField(field)) + spelling.end)
            }
        }
    }

    /// A loop nest whose innermost body is one simple statement, on one line
    /// (C: `for (...) for (...) s;`, Swift: `for ... { for ... { s } }`).
    func oneLine(_ statement: Statement) -> String? {
        var opens: [String] = []
        var current = statement
        while case .loop(let counter, let from, let to, let body) = current, body.count == 1 {
            opens.append(spelling.loop(counter, expression(from), expression(to)))
            current = body[0]
        }
        guard !opens.isEmpty else { return nil }
        var inner = CodePrinter()
        switch current {
        case .assign, .call: print([current], into: &inner)
        default: return nil
        }
        guard inner.lines.count == 1 else { return nil }
        let line = inner.lines[0]
        if spelling.end.isEmpty {
            return opens.joined(separator: " ") + " " + line + String(repeating: " }", count: opens.count)
        }
        return opens.map { String($0.dropLast(2)) }.joined(separator: " ") + " " + line
    }

    /// The loop counters of a body in the order they first appear, as C
    /// declares them; a `declaring` block's are its own.
    static func counters(_ statements: [Statement]) -> [String] {
        var found: [String] = []
        func walk(_ statements: [Statement]) {
            for statement in statements {
                switch statement {
                case .loop(let counter, _, _, let body):
                    if !found.contains(counter) { found.append(counter) }
                    walk(body)
                case .branch(_, let then, let otherwise): walk(then); walk(otherwise)
                case .counting(_, _, _, let body), .forever(let body), .loopWhile(_, let body): walk(body)
                case .guarded(let wide, let narrow): walk(wide); walk(narrow)
                case .nest(let headers, let body):
                    for case .loop(let counter, _, _) in headers where !found.contains(counter) { found.append(counter) }
                    walk(body)
                case .scope(_, let body), .scratch(_, let body): walk(body)
                default: break
                }
            }
        }
        walk(statements)
        return found
    }
}
