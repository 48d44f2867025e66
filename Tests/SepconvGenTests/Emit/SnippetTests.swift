import Testing
@testable import SepconvGen

/// A few lines of spec in, the few lines of C and Swift they should give out:
/// each test names the lowering's piece it pins down (beside the golden
/// files, which pin whole files).
@Suite struct SnippetTests {
    /// The emitted files of a spec given as text, unrolled as asked.
    private func emit(_ yaml: String, unroll: UnrollRequest) throws -> (c: String, swift: String) {
        let compiled = try SpecCompiler(unroll: unroll).compile(file: "snippet.yaml", contents: Array(yaml.utf8))
        let files = Generator.files(for: compiled.plan, languages: TargetLanguage.allCases)
        let text = { (suffix: String) in files.first { $0.name.hasSuffix(suffix) }?.contents ?? "" }
        return (text(".c"), text(".swift"))
    }

    /// What `c` prints through the C printer of float32 layer `k` and `swift`
    /// through the Swift printer of float64 layer `k`.
    private func spell(c: (ProgramPrinter<CSpelling>, inout CodePrinter) -> Void,
                       swift: (ProgramPrinter<SwiftSpelling>, inout CodePrinter) -> Void) -> (c: CodePrinter, swift: CodePrinter) {
        var cLines = CodePrinter(), swiftLines = CodePrinter()
        c(ProgramPrinter(spelling: CSpelling(namer: Namer(layer: "k", language: .c, format: .float32))), &cLines)
        swift(ProgramPrinter(spelling: SwiftSpelling(namer: Namer(layer: "k", language: .swift, format: .float64))), &swiftLines)
        return (cLines, swiftLines)
    }

    private func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// One tap, one channel, one filter: each sum is one term; C writes it
    /// into the store, Swift binds it to a local first.
    @Test func fullKernelSums() throws {
        let out = try emit("""
            name: s
            input: {steps: 2, channels: 1}
            layer: {filters: 1, kernel_size: 1, use_bias: false}
            weights: {depthwise_kernel: [[[2.0]]], pointwise_kernel: [[[3.0]]]}
            """, unroll: .full)
        let c = lines(out.c), swift = lines(out.swift)
        #expect(c.contains("{ /* output step 1 */"))
        #expect(c.contains("const float d0 = x[1] * 0x1p+1f;"))
        #expect(c.contains("y[1] = d0 * 0x1.8p+1f;"))
        #expect(swift.contains("do { // output step 1"))
        #expect(swift.contains("let d0: Float = x[1] * 0x1p+1"))
        #expect(swift.contains("let a0: Float = d0 * 0x1.8p+1"))
        #expect(swift.contains("y[1] = a0"))
    }

    /// A padded tap is absent; a bias is the sum's first term; Swift adds term by term.
    @Test func fullKernelSkipsPaddedTaps() throws {
        let out = try emit("""
            name: s
            input: {steps: 1, channels: 1}
            layer: {filters: 1, kernel_size: 3, padding: same, activation: relu}
            weights: {depthwise_kernel: [[[1.0]], [[2.0]], [[4.0]]], pointwise_kernel: [[[0.5]]], bias: [0.25]}
            """, unroll: .full)
        let c = lines(out.c), swift = lines(out.swift)
        #expect(c.contains("const float d0 = x[0] * 0x1p+1f;"))
        #expect(c.contains("y[0] = s_act(0x1p-2f + d0 * 0x1p-1f);"))
        #expect(swift.contains("var a0: Float = 0x1p-2"))
        #expect(swift.contains("a0 += d0 * 0x1p-1"))
        #expect(swift.contains("y[0] = act(a0)"))
    }

    /// The `loops` kernel's store of an elementwise activation, in place over a tile.
    @Test func loopsFinish() throws {
        let out = try emit("""
            name: s
            input: {steps: 12, channels: 3}
            layer: {filters: 5, kernel_size: 3, padding: same, activation: tanh}
            """, unroll: .loops)
        let c = lines(out.c), swift = lines(out.swift)
        #expect(c.contains("static void s_finish(float *restrict out, const int n)"))
        #expect(c.contains("for (i = 0; i < n * 5; ++i) out[i] = s_act(out[i]);"))
        #expect(swift.contains("private static func finish(_ out: UnsafeMutablePointer<Float>, _ n: Int) {"))
        #expect(swift.contains("for i in 0..<(n &* 5) { out[i] = act(out[i]) }"))
        #expect(out.c.contains(" * Weights drawn from glorot_uniform (depthwise), glorot_uniform (pointwise), zeros (bias) with seed 0, not trained."))
        #expect(out.c.contains(" * Link with -lm: the activation calls the C math library."))
    }

    /// The printers spell one program: a loop nest on one line, a branch, a constant.
    @Test func printersSpellOneProgram() {
        let (y, f, r) = (Expr.name("y"), Expr.name("f"), Expr.name("r"))
        let routine = Routine(name: "demo_step", comment: [.text("Steps "), .steps("t", "t + n"), .text(".")],
                              parameters: [("y", .output), ("n", .integer)], body: [
            .loop("r", from: .int(0), to: .name("n"), [.loop("f", from: .int(0), to: .int(4), [
                .assign(.element(y, .sum([.times(r, .int(4)), f])), .multiply, .real(0.5)),
            ])]),
            .constant("h", .minus(.name("n"), .int(1))),
            .branch(.less(.name("h"), .int(2)), [.call(.symbol("act"), [.offset(y, .name("h")), .int(4)])], []),
        ])
        let (c, swift) = spell { $0.print(routine, into: &$1) } swift: { $0.print(routine, into: &$1) }
        #expect(c.lines == [
            "/* Steps t .. t + n - 1. */",
            "static void k_demo_step(float *restrict y, const int n)",
            "{",
            "    int r, f;",
            "    for (r = 0; r < n; ++r) for (f = 0; f < 4; ++f) y[r * 4 + f] *= 0x1p-1f;",
            "    const int h = n - 1;",
            "    if (h < 2) {",
            "        k_act(y + h, 4);",
            "    }",
            "}",
        ])
        #expect(swift.lines == [
            "/// Steps t ..< t + n.",
            "private static func demoStep(_ y: UnsafeMutablePointer<Double>, _ n: Int) {",
            "    for r in 0..<n { for f in 0..<4 { y[r &* 4 &+ f] *= 0x1p-1 } }",
            "    let h = n &- 1",
            "    if h < 2 {",
            "        act(y + h, 4)",
            "    }",
            "}",
        ])
    }

    /// An activation helper is a routine like the kernels': an elementwise one
    /// takes and returns one value (C unqualified, Swift `static` and always
    /// inlined), its doc comment on several lines; a row helper leaves an
    /// empty row at once (Swift's `guard`, C's opposite comparison).
    @Test func printersSpellActivationHelpers() {
        let x = Expr.name("x")
        let element = Routine(name: "act", comment: [.text("Twice x.")], details: ["A second line."], isHelper: true, isInlined: true,
                              returns: .element, parameters: [("x", .element)], body: [.result(.product(.decimal("2.0"), x))])
        let row = Routine(name: "epilogue0_act", comment: [.text("Halves the row.")], isHelper: true,
                          parameters: [("row", .sharedOutput), ("n", .integer)], body: [
            .returnUnless(.name("n"), .greater, .int(0)),
            .counting("i", from: .int(0), to: .name("n"), [.assign(.element(.name("row"), .name("i")), .multiply, .decimal("0.5"))]),
        ])
        let (c, swift) = spell { $0.print([element, row], into: &$1) } swift: { $0.print([element, row], into: &$1) }
        #expect(c.lines == [
            "/*",
            " * Twice x.",
            " * A second line.",
            " */",
            "static float k_act(float x)",
            "{",
            "    return 2.0f * x;",
            "}",
            "",
            "/* Halves the row. */",
            "static void k_epilogue0_act(float *row, int n)",
            "{",
            "    if (n <= 0) {",
            "        return;",
            "    }",
            "    for (int i = 0; i < n; ++i) {",
            "        row[i] *= 0.5f;",
            "    }",
            "}",
            "",
        ])
        #expect(swift.lines == [
            "/// Twice x.",
            "/// A second line.",
            "@inline(__always)",
            "static func act(_ x: Double) -> Double {",
            "    return 2.0 * x",
            "}",
            "",
            "/// Halves the row.",
            "static func epilogue0Act(_ row: UnsafeMutablePointer<Double>, _ n: Int) {",
            "    guard n > 0 else { return }",
            "    for i in 0..<n {",
            "        row[i] *= 0.5",
            "    }",
            "}",
            "",
        ])
    }

    /// Real arithmetic prints the parentheses its operands' order needs and
    /// no more: a sum under a quotient, a product as a right operand (the
    /// rounding order), a grouped `?:`; C adds the precision's suffix to
    /// decimal literals and math functions, and spells |x| `fabsf`.
    @Test func printersSpellRealArithmetic() {
        let (x, one) = (Expr.name("x"), Expr.decimal("1.0"))
        let body: [Statement] = [
            .sum("a", [.ratio(x, .plus(.magnitude(x), one))]),
            .sum("b", [.product(x, .product(.name("a"), x))]),
            .sum("c", [.difference(.group(.select(.compare(x, .greater, .decimal("0.0")), x, .negate(.decimal("2.5")))),
                                   .math("log1p", [.negate(.magnitude(x))]))]),
            .branch(.or(.less(.name("c"), one), .compare(.name("b"), .equal, .decimal("0.0"))), [.result(.difference(x, .difference(x, one)))], []),
            .result(.ratio(.plus(.name("a"), .name("c")), .toElement(.name("n")))),
        ]
        let (c, swift) = spell { $0.print(body, into: &$1) } swift: { $0.print(body, into: &$1) }
        #expect(c.lines == [
            "const float a = x / (fabsf(x) + 1.0f);",
            "const float b = x * (a * x);",
            "const float c = (x > 0.0f ? x : -2.5f) - log1pf(-fabsf(x));",
            "if (c < 1.0f || b == 0.0f) {",
            "    return x - (x - 1.0f);",
            "}",
            "return (a + c) / (float)n;",
        ])
        #expect(swift.lines == [
            "let a: Double = x / (abs(x) + 1.0)",
            "let b: Double = x * (a * x)",
            "let c: Double = (x > 0.0 ? x : -2.5) - log1p(-abs(x))",
            "if c < 1.0 || b == 0.0 {",
            "    return x - (x - 1.0)",
            "}",
            "return (a + c) / Double(n)",
        ])
    }

    /// The module's routines in print order: C's loops kernel holds the
    /// vector and portable paths as one guarded section, then the routines
    /// both share; where the portable path applies relu as it stores, each
    /// path ends in its own item. Swift has the vector path alone.
    @Test func moduleSectionsOrderTheRoutines() throws {
        func names(_ activation: String, _ language: TargetLanguage) throws -> [[String]] {
            let compiled = try SpecCompiler(unroll: .loops).compile(file: "snippet.yaml", contents: Array("""
                name: s
                input: {steps: 20, channels: 8}
                layer: {filters: 16, kernel_size: 3, padding: same, activation: \(activation)}
                """.utf8))
            return KernelModule(plan: compiled.plan, language: language).sections.flatMap { section -> [[String]] in
                switch section {
                case .routines(let routines): [routines.map(\.name)]
                case .guarded(let paths, let fallback):
                    [paths.map { "guard " + $0.target.rawValue }] + paths.map { $0.code.routines.map(\.name) } + [fallback.routines.map(\.name)]
                }
            }
        }
        let fused = try names("relu", .c)
        #expect(fused.count == 3 && fused[0] == ["guard floatSIMD"])
        #expect(fused[1].last == "item" && fused[2].last == "item", "\(fused)")
        let tanh = try names("tanh", .c)
        #expect(tanh.count == 4 && tanh[3] == ["finish", "item"], "\(tanh)")
        #expect(!tanh[1].contains("item") && !tanh[2].contains("item"))
        let swift = try names("tanh", .swift)
        #expect(swift.count == 1 && swift[0].suffix(2) == ["finish", "item"] && swift[0].first == tanh[1].first, "\(swift)")
    }
}
