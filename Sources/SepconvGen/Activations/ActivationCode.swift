/// Source text for an activation in one target language.
///
/// The emitters print `helpers` at file scope (C) or inside the layer's enum
/// (Swift), then call `elementFunction` on each output value or
/// `rowFunction` on each contiguous row of the output's last axis. glu is the
/// emitter's own loop: `out[j] = row[j] * elementFunction(row[n/2 + j])`.
public struct ActivationCode: Sendable, Hashable {
    /// File-scope (C: `static` functions; Swift: `static` members of the
    /// layer's enum, `@inline(__always)` where elementwise) definitions, as
    /// lines without trailing newlines, each indented relative to column 0.
    public var helpers: [String]
    /// For elementwise activations: the name of a one-argument function
    /// `T name(T x)` among the helpers, or nil for linear (identity).
    /// For glu: the sigmoid function used on the gate.
    public var elementFunction: String?
    /// For softmax, log_softmax, sparsemax: the name of an in-place row function
    /// among the helpers: C `static void name(T *row, int n)`; Swift
    /// `static func name(_ row: UnsafeMutablePointer<T>, _ n: Int)`.
    public var rowFunction: String?
    /// Whether the helpers call a function of the C math library (C: `<math.h>`, `-lm`).
    public var callsMath: Bool

    /// Creates the source text of an activation.
    public init(helpers: [String], elementFunction: String?, rowFunction: String?, callsMath: Bool = false) {
        self.helpers = helpers
        self.elementFunction = elementFunction
        self.rowFunction = rowFunction
        self.callsMath = callsMath
    }
}

extension Activation {
    /// The C99 source of the activation for a layer of `dtype`: one `static`
    /// function named `\(prefix)_act` (none for linear), using only `<math.h>`
    /// (float functions such as `expf` for float32, double ones for float64).
    ///
    /// The code compiles with `-std=c99 -Wall -Wextra -Werror -pedantic`, uses
    /// no heap and no globals, and is numerically stable (softmax and
    /// log_softmax subtract the row maximum, softplus and log_sigmoid never
    /// overflow, sparsemax works on differences to the row maximum).
    /// squareplus keeps Keras's own formula and operation order,
    /// `(x + sqrt(x * x + 4)) / 2`, so that it matches Keras to the last bit,
    /// cancellation for large negative x included.
    public func cCode(dtype: DType, prefix: String) -> ActivationCode {
        ActivationCode(printing: helper(Namer(layer: prefix, language: .c, format: dtype.format), base: "act"))
    }

    /// The Swift 6 source of the activation for a layer of `dtype`: one
    /// `static` member of the layer's enum named `act` (none for linear),
    /// calling the platform C library's math functions (`expf`, `tanh`, ...),
    /// which the emitted file imports. Same arithmetic as `cCode`.
    public func swiftCode(dtype: DType) -> ActivationCode {
        // A Swift member's name has no layer prefix.
        ActivationCode(printing: helper(Namer(layer: "", language: .swift, format: dtype.format), base: "act"))
    }

    /// The helper `base` in `namer`'s language, element type and spelling of names; none for linear.
    func helper(_ namer: Namer, base: String) -> ActivationHelper? {
        var writer = ActivationCodeWriter(namer: namer, base: base)
        return writer.helper(for: self)
    }
}

/// An activation's helper as the lowering holds it: a routine of the kernel
/// program, which the printers spell like every other, and whether its body
/// calls the C math library (C: `<math.h>`, the header's `-lm` note).
struct ActivationHelper {
    let routine: Routine
    let callsMath: Bool
    /// The language, element type and spelling of names it was built for.
    let namer: Namer

    /// Whether it is an elementwise function `T name(T x)`; otherwise an in-place row function `name(row, n)`.
    var isElementwise: Bool { routine.returns == .element }
}

extension ActivationCode {
    /// The source text of `helper` (none: linear, nothing to call).
    init(printing helper: ActivationHelper?) {
        guard let helper else {
            self.init(helpers: [], elementFunction: nil, rowFunction: nil)
            return
        }
        var printer = CodePrinter()
        switch helper.namer.language {
        case .c: ProgramPrinter(spelling: CSpelling(namer: helper.namer)).print(helper.routine, into: &printer)
        case .swift: ProgramPrinter(spelling: SwiftSpelling(namer: helper.namer)).print(helper.routine, into: &printer)
        }
        let name = helper.namer.symbol(helper.routine.name)
        self.init(helpers: printer.lines, elementFunction: helper.isElementwise ? name : nil, rowFunction: helper.isElementwise ? nil : name,
                  callsMath: helper.callsMath)
    }
}

extension ParametricActivation {
    /// The elementwise helper `base`, in `namer`'s language, element type and
    /// spelling of names, its constants exact literals.
    func helper(_ namer: Namer, base: String) -> ActivationHelper {
        var writer = ActivationCodeWriter(namer: namer, base: base)
        let (x, y, zero) = (Expr.name("x"), Expr.name("y"), Expr.decimal("0.0"))
        let constant = { (value: Double) in Expr.group(.real(value)) }
        switch self {
        case .relu(let maxValue, let slope, let threshold):
            var body: [Statement]
            let positive = choose(x > (threshold != 0 ? constant(threshold) : zero), x, zero)
            if slope != 0, maxValue == nil, threshold == 0 {
                body = [.result(choose(x >= zero, x, constant(slope) * x))]
            } else if slope == 0, maxValue == nil {
                // Nothing follows the threshold: no variable (Swift warns about a `var` never mutated).
                body = [.result(positive)]
            } else {
                body = [.variable("y", positive, integer: false)]
                if let maxValue {
                    body.append(.assign(y, .set, choose(y < zero, zero, choose(y > constant(maxValue), constant(maxValue), y))))
                }
                if slope != 0 {
                    let below = threshold != 0 ? constant(threshold) - x : -x
                    body.append(.assign(y, .subtract, constant(slope) * choose(below > zero, below, zero)))
                }
                body.append(.result(y))
            }
            return writer.elementHelper("Keras's \(description).", body)
        case .elu(let alpha):
            let call = writer.math("expm1", x)
            return writer.elementHelper("Keras's \(description): x if x > 0, else alpha * expm1(x).",
                                        [.result(choose(x > zero, x, constant(alpha) * call))])
        }
    }
}

/// Builds one activation's helper for C or Swift.
///
/// A helper is a kernel-program `Routine` whose body is statements
/// (`Statement`) over typed real expressions (`Expr`); the same
/// `ProgramPrinter` as the kernels' routines spells its signature, doc
/// comment, literals, the math library and |x| per language.
private struct ActivationCodeWriter {
    /// The language, element type and spelling of names.
    let namer: Namer
    /// The helper's base name (`act`, `epilogue0_act`).
    let base: String
    /// Whether the code written so far calls the C math library (`math`).
    /// `elementHelper` and `rowHelper` read it: compute their body before calling them,
    /// not as their argument (a method call takes its copy of `self` first).
    private(set) var callsMath = false

    /// The helper's name, as the namer spells it (glu's doc comment names it).
    var name: String { namer.symbol(base) }

    /// A call of the C library's math function `function` (`exp`, `tanh`, ...)
    /// in the element type's precision.
    mutating func math(_ function: String, _ arguments: Expr...) -> Expr {
        callsMath = true
        return .math(function, arguments)
    }

    /// |e|: C's `fabs`, a math-library function; Swift's own `abs`.
    mutating func abs(_ argument: Expr) -> Expr {
        if namer.language == .c { callsMath = true }
        return .magnitude(argument)
    }

    /// `routine` as the helper, with what its body calls.
    func helper(_ routine: Routine) -> ActivationHelper {
        ActivationHelper(routine: routine, callsMath: callsMath, namer: namer)
    }

    /// The helper of `activation`; none for linear, whose output is its input.
    mutating func helper(for activation: Activation) -> ActivationHelper? {
        switch activation {
        case .linear:
            return nil
        case .softmax:
            let parts = softmax()
            return rowHelper(parts)
        case .logSoftmax:
            let parts = logSoftmax()
            return rowHelper(parts)
        case .sparsemax:
            let parts = sparsemax()
            return rowHelper(parts)
        case .glu:
            let (text, body) = elementBody(.sigmoid)
            return elementHelper("glu's gate: " + text, details: ["The emitter computes a * \(name)(b) for each half a, b of the row."], body)
        default:
            let (text, body) = elementBody(activation)
            return elementHelper(text, body)
        }
    }

    // MARK: Elementwise

    /// The description and body (in terms of the argument `x`) of an elementwise activation.
    mutating func elementBody(_ activation: Activation) -> (String, [Statement]) {
        let (zero, one, half) = (Expr.decimal("0.0"), Expr.decimal("1.0"), Expr.decimal("0.5"))
        let (x, e, t) = (Expr.name("x"), Expr.name("e"), Expr.name("t"))
        /// `value` clipped to `low ... high`, the comparisons in Keras's order.
        func clip(_ value: Expr, _ low: Expr, _ high: Expr) -> Expr { choose(value < low, low, choose(value > high, high, value)) }
        // e^-|x|, the only exponential the sigmoid family needs (it never overflows).
        // Functions, not values: only what an activation uses may count as calling the math library.
        func expMinusAbs() -> Statement { .sum("e", [math("exp", -abs(x))]) }
        // sigmoid from `e`, stable for both signs of x.
        let sigmoidOfE = choose(x >= zero, one / (one + e), e / (one + e))
        // softplus from `e`: max(x, 0) + log1p(e^-|x|), as jnp.logaddexp(x, 0).
        func softplusOfE() -> Expr { choose(x > zero, x, zero) + math("log1p", e) }
        switch activation {
        case .relu:
            return ("relu: max(x, 0).", [.result(choose(x < zero, zero, x))])
        case .relu6:
            return ("relu6: min(max(x, 0), 6).", [.result(clip(x, zero, .decimal("6.0")))])
        case .leakyRelu:
            return ("leaky_relu with Keras's negative_slope 0.2.", [.result(choose(x >= zero, x, .decimal("0.2") * x))])
        case .elu:
            return ("elu with alpha 1: x if x > 0, else expm1(x).", [.result(choose(x > zero, x, math("expm1", x)))])
        case .celu:
            return ("celu with alpha 1: max(x, 0) + expm1(min(x, 0)), that is elu with alpha 1.", [.result(choose(x > zero, x, math("expm1", x)))])
        case .selu:
            let (scale, alpha) = (Expr.decimal("1.0507009873554804934"), Expr.decimal("1.6732632423543772848"))
            return ("selu: scale * (x if x > 0, else alpha * expm1(x)), jax.nn.selu's constants.",
                    [.result(scale * choose(x > zero, x, alpha * math("expm1", x)))])
        case .gelu where namer.format == .float32:
            // erf as XLA's and Eigen's float32 kernels compute it: z·P(z²)/Q(z²) on z clamped to
            // [-4, 4] (erf is ±1 in float32 beyond), absolute error under 5e-7; a tenth of newlib's erfcf.
            let numerator = ["-2.72614225801306e-10", "2.77068142495902e-08", "-2.10102402082508e-06", "-5.69250639462346e-05",
                             "-7.34990630326855e-04", "-2.95459980854025e-03", "-1.60960333262415e-02"]
            let denominator = ["-1.45660718464996e-05", "-2.13374055278905e-04", "-1.68282697438203e-03",
                               "-7.37332916720468e-03", "-1.42647390514189e-02"]
            let (u, z, z2) = (Expr.name("u"), Expr.name("z"), Expr.name("z2"))
            let horner = { (coefficients: [String]) in
                coefficients.dropFirst().reduce(Expr.group(.decimal(coefficients[0]))) { .group($0 * z2 + .group(.decimal($1))) }
            }
            let four = Expr.decimal("4.0")
            return ("gelu, exact (Keras's default): 0.5 * x * (1 + erf(x / 1.4142...)), erf a rational approximation.",
                    [.sum("u", [x * .decimal("0.70710678118654752440")]),
                     .sum("z", [clip(u, -four, four)]),
                     .sum("z2", [z * z]),
                     .result(half * x * (one + z * horner(numerator) / horner(denominator)))])
        case .gelu:
            return ("gelu, exact (Keras's default): 0.5 * x * erfc(-x * sqrt(1/2)).",
                    [.result(half * x * math("erfc", -x * .decimal("0.70710678118654752440")))])
        case .silu:
            return ("silu (swish): x * sigmoid(x).", [expMinusAbs(), .sum("s", [sigmoidOfE]), .result(x * .name("s"))])
        case .mish:
            return ("mish: x * tanh(softplus(x)).", [expMinusAbs(), .sum("sp", [softplusOfE()]), .result(x * math("tanh", .name("sp")))])
        case .sigmoid:
            return ("sigmoid: 1 / (1 + exp(-x)), stable for both signs.", [expMinusAbs(), .result(sigmoidOfE)])
        case .hardSigmoid:
            return ("hard_sigmoid: relu6(x + 3) / 6.",
                    [.sum("t", [x + .decimal("3.0")]), .result(clip(t, zero, .decimal("6.0")) / .decimal("6.0"))])
        case .hardSilu:
            return ("hard_silu (hard_swish): x * relu6(x + 3) / 6.",
                    [.sum("t", [x + .decimal("3.0")]),
                     .sum("h", [clip(t, zero, .decimal("6.0")) / .decimal("6.0")]),
                     .result(x * .name("h"))])
        case .logSigmoid:
            return ("log_sigmoid: -softplus(-x) = min(x, 0) - log1p(exp(-|x|)).",
                    [expMinusAbs(), .result(choose(x < zero, x, zero) - math("log1p", e))])
        case .sparseSigmoid:
            return ("sparse_sigmoid: 0.5 * clip(x + 1, 0, 2).",
                    [.sum("t", [x + one]), .result(half * clip(t, zero, .decimal("2.0")))])
        case .tanh:
            return ("tanh.", [.result(math("tanh", x))])
        case .hardTanh:
            return ("hard_tanh: clip(x, -1, 1).", [.result(choose(x > one, one, choose(x < -one, -one, x)))])
        case .tanhShrink:
            return ("tanh_shrink: x - tanh(x).", [.result(x - math("tanh", x))])
        case .softplus:
            return ("softplus: log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).", [expMinusAbs(), .result(softplusOfE())])
        case .softsign:
            return ("softsign: x / (|x| + 1).", [.result(x / (abs(x) + one))])
        case .squareplus:
            // Keras's own operation order, in its precision: separate statements
            // so that no compiler fuses x * x + 4 into an fma.
            return ("squareplus with b = 4: (x + sqrt(x * x + 4)) / 2, as Keras computes it.",
                    [.sum("sq", [x * x]),
                     .sum("r", [math("sqrt", .name("sq") + .decimal("4.0"))]),
                     .result((x + .name("r")) / .decimal("2.0"))])
        case .sparsePlus:
            return ("sparse_plus: 0 if x <= -1, x if x >= 1, else (x + 1)^2 / 4.",
                    [.sum("t", [x + one]), .result(choose(x <= -one, zero, choose(x >= one, x, t * t / .decimal("4.0"))))])
        case .softShrink:
            return ("soft_shrink with threshold 0.5.", [.result(choose(x > half, x - half, choose(x < -half, x + half, zero)))])
        case .hardShrink:
            return ("hard_shrink with threshold 0.5: x if |x| > 0.5, else 0.", [.result(choose(abs(x) > half, x, zero))])
        case .exponential:
            return ("exponential: exp(x).", [.result(math("exp", x))])
        case .linear, .softmax, .logSoftmax, .sparsemax, .glu:
            // Not elementwise; `code(for:)` handles them. Identity keeps this total.
            return ("identity.", [.result(x)])
        }
    }

    /// An elementwise helper `T name(T x)`, its doc comment `comment` then the lines `details`.
    func elementHelper(_ comment: String, details: [String] = [], _ body: [Statement]) -> ActivationHelper {
        helper(Routine(name: base, comment: [.text(comment)], details: details, isHelper: true, isInlined: true, returns: .element,
                        parameters: [("x", .element)], body: body))
    }

    // MARK: Row-wise

    /// A row helper's doc comment (its first line, then the others) and body.
    typealias RowParts = (comment: String, details: [String], body: [Statement])

    /// Finds the row's maximum into `maximum`.
    func rowMaximum() -> [Statement] {
        [.variable("maximum", row(.int(0)), integer: false),
         .counting("i", from: .int(1), to: n, [.branch(row(i) > maximum, [.assign(maximum, .set, row(i))], [])])]
    }

    mutating func softmax() -> RowParts {
        ("softmax along the row: exp(x - max) / sum(exp(x - max)), in place.", [],
         rowMaximum() + [
            .variable("sum", .decimal("0.0"), integer: false),
            .counting("i", from: .int(0), to: n, [
                .assign(row(i), .set, math("exp", row(i) - maximum)),
                .assign(sum, .add, row(i)),
            ]),
            .counting("i", from: .int(0), to: n, [.assign(row(i), .set, row(i) / sum)]),
         ])
    }

    mutating func logSoftmax() -> RowParts {
        let lse = Expr.name("lse")
        return ("log_softmax along the row: (x - max) - log(sum(exp(x - max))), in place.", [],
                rowMaximum() + [
                    .variable("sum", .decimal("0.0"), integer: false),
                    .counting("i", from: .int(0), to: n, [.assign(sum, .add, math("exp", row(i) - maximum))]),
                    .sum("lse", [math("log", sum)]),
                    .counting("i", from: .int(0), to: n, [.assign(row(i), .set, .group(row(i) - maximum) - lse)]),
                ])
    }

    mutating func sparsemax() -> RowParts {
        let (zero, one) = (Expr.decimal("0.0"), Expr.decimal("1.0"))
        let (d, k, count, tau) = (Expr.name("d"), Expr.name("k"), Expr.name("count"), Expr.name("tau"))
        return ("sparsemax along the row, in place, by the corrected formula of", [
            "keras-team/keras#23425: max(x - tau, 0), tau = (sum of the support - 1) / k,",
            "the support being the k largest x with sum(max(x - tau, 0)) = 1.",
            "tau is found without sorting or scratch memory by Michelot's fixed point:",
            "start from the whole row, then keep the x above tau and recompute tau from",
            "them until the support stops shrinking (at most n rounds, usually a few).",
            "Works on differences to the row maximum, so 1 is never lost against x.",
         ],
         rowMaximum() + [
            .variable("sum", zero, integer: false),
            .counting("i", from: .int(0), to: n, [.assign(sum, .add, row(i) - maximum)]),
            .variable("k", n, integer: true),
            .variable("tau", (sum - one) / .toElement(n), integer: false),
            .forever([
                .variable("count", .int(0), integer: true),
                .assign(sum, .set, zero),
                .counting("i", from: .int(0), to: n, [
                    .sum("d", [row(i) - maximum]),
                    .branch(d > tau, [
                        .assign(count, .add, .int(1)),
                        .assign(sum, .add, d),
                    ], []),
                ]),
                .branch(.or(.compare(count, .greaterOrEqual, k), .compare(count, .equal, .int(0))), [.exit], []),
                .assign(k, .set, count),
                .assign(tau, .set, (sum - one) / .toElement(count)),
            ]),
            .counting("i", from: .int(0), to: n, [
                .sum("d", [.group(row(i) - maximum) - tau]),
                .assign(row(i), .set, choose(d > zero, d, zero)),
            ]),
         ])
    }

    /// An in-place row helper `void name(T *row, int n)`, which leaves an empty row as it is.
    func rowHelper(_ parts: RowParts) -> ActivationHelper {
        helper(Routine(name: base, comment: [.text(parts.comment)], details: parts.details, isHelper: true,
                        parameters: [("row", .sharedOutput), ("n", .integer)], body: [.returnUnless(n, .greater, .int(0))] + parts.body))
    }
}

// MARK: Building the formulas

// The row helper's length, its loop counter and two of its locals. Computed, not stored:
// a global of an indirect enum is a box the leak checker of the fuzz build reports.
private var n: Expr { .name("n") }
private var i: Expr { .name("i") }
private var sum: Expr { .name("sum") }
private var maximum: Expr { .name("maximum") }

/// `row[index]`.
private func row(_ index: Expr) -> Expr { .element(.name("row"), index) }

/// `value` as an operand of arithmetic: a `?:` or a comparison binds more
/// loosely than any arithmetic operator in C and Swift, so it is grouped.
private func operand(_ value: Expr) -> Expr {
    switch value {
    case .select, .compare, .less, .and, .or: .group(value)
    default: value
    }
}

/// `condition ? a : b`; a `?:` among its values is grouped, for the reader.
private func choose(_ condition: Expr, _ a: Expr, _ b: Expr) -> Expr {
    let nested = { (value: Expr) -> Expr in if case .select = value { .group(value) } else { value } }
    return .select(condition, nested(a), nested(b))
}

private func + (a: Expr, b: Expr) -> Expr { .plus(operand(a), b.isSum ? .group(b) : operand(b)) }
private func - (a: Expr, b: Expr) -> Expr { .difference(operand(a), operand(b)) }
private func * (a: Expr, b: Expr) -> Expr { .product(operand(a), operand(b)) }
private func / (a: Expr, b: Expr) -> Expr { .ratio(operand(a), operand(b)) }
private prefix func - (a: Expr) -> Expr { .negate(a) }
private func < (a: Expr, b: Expr) -> Expr { .less(operand(a), operand(b)) }
private func > (a: Expr, b: Expr) -> Expr { .compare(operand(a), .greater, operand(b)) }
private func <= (a: Expr, b: Expr) -> Expr { .compare(operand(a), .lessOrEqual, operand(b)) }
private func >= (a: Expr, b: Expr) -> Expr { .compare(operand(a), .greaterOrEqual, operand(b)) }
