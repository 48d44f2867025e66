/// A network step other than a SeparableConv1D (Dense, BatchNormalization,
/// an activation, pooling, padding, reshape, transpose) as one kernel
/// program: the routine `base(x, y)` and its weight tables, which
/// `CPrinter` and `SwiftPrinter` spell. The batch function calls it on a
/// whole item, the stream on one frame (a step planned on `[1, channels]`).
struct NetworkStepLowering {
    let step: NetworkStep
    /// The routine's base name (`s<k>` in the batch function, `f<k>` in the stream); its tables and helpers are named after it.
    let base: String
    /// The step's activation helper in the printing language, when it has one.
    let activation: ActivationHelper?

    /// The tables, then the routine.
    var program: (tables: [Statement], routine: Routine) {
        let channels = step.inputShape.last ?? 1
        let rows = step.inputSize / max(channels, 1)
        let (x, y) = (Expr.name("x"), Expr.name("y"))
        let (r, c, i, p, t) = (Expr.name("r"), Expr.name("c"), Expr.name("i"), Expr.name("p"), Expr.name("t"))
        /// `base[row * width + column]`.
        func at(_ base: Expr, _ row: Expr, _ width: Int, _ column: Expr) -> Expr { .element(base, .sum([.times(row, .int(width)), column])) }
        let tables: [Statement]
        let body: [Statement]
        let words: String
        switch step.operation {
        case .separable:
            (tables, body, words) = ([], [], "")
        case .dense(let kernel, let inputs, let units, let bias, _):
            let u = Expr.name("u")
            words = "Dense: y = x * kernel\(bias == nil ? "" : " + bias"), then the activation, row by row"
            tables = [.table(base + "_kernel", comment: "\(inputs) x \(units) kernel", kernel)]
                + (bias.map { [.table(base + "_bias", comment: "bias", $0)] } ?? [])
            let sum = bias == nil ? Expr.name("sum") : .plus(.name("sum"), .element(.weights(base + "_bias"), u))
            body = [.loop("r", from: .int(0), to: .int(rows), [
                .loop("u", from: .int(0), to: .int(units), [
                    .variable("sum", .real(0), integer: false),
                    .loop("i", from: .int(0), to: .int(inputs), [
                        .assign(.name("sum"), .add, .product(at(x, r, inputs, i), at(.weights(base + "_kernel"), i, units, u))),
                    ]),
                    .assign(at(y, r, units, u), .set, sum),
                ]),
            ] + activate(row: .offset(y, .times(r, .int(units))), length: units))]
        case .batchNorm(let scale, let shift):
            words = "BatchNormalization, folded: y = x * scale + shift"
            tables = [.table(base + "_scale", comment: "scale", scale), .table(base + "_shift", comment: "shift", shift)]
            body = [.loop("r", from: .int(0), to: .int(rows), [
                .loop("c", from: .int(0), to: .int(channels), [
                    .assign(at(y, r, channels, c), .set, .plus(.product(at(x, r, channels, c), .element(.weights(base + "_scale"), c)),
                                                            .element(.weights(base + "_shift"), c))),
                ]),
            ])]
        case .activation:
            words = "the activation, row by row"
            tables = []
            body = [.loop("r", from: .int(0), to: .int(rows), [
                .loop("c", from: .int(0), to: .int(channels), [.assign(at(y, r, channels, c), .set, at(x, r, channels, c))]),
            ] + activate(row: .offset(y, .times(r, .int(channels))), length: channels))]
        case .pool(let kind, let size, let stride, let padLeft, _):
            // Keras's `same` padding: a window stops at the input's ends; an average divides by the steps it covers.
            let steps = step.inputShape[0]
            let first = Expr.minus(.times(t, .int(stride)), .int(padLeft))
            let (start, end) = (Expr.name("start"), Expr.name("end"))
            words = "\(kind.rawValue) pooling of \(size) steps, strides \(stride), \(padLeft) steps of padding before"
            tables = []
            body = [.loop("t", from: .int(0), to: .int(step.outputShape[0]), [
                .constant("start", .select(.less(first, .int(0)), .int(0), first)),
                .constant("end", .select(.compare(.sum([first, .int(size)]), .greater, .int(steps)), .int(steps), .sum([first, .int(size)]))),
                .loop("c", from: .int(0), to: .int(channels), [
                    .variable("v", kind == .max ? at(x, start, channels, c) : .real(0), integer: false),
                    .loop("p", from: kind == .max ? .sum([start, .int(1)]) : start, to: end, [combine(kind, at(x, p, channels, c))]),
                    .assign(at(y, t, channels, c), .set, kind == .max ? .name("v") : .ratio(.name("v"), .toElement(.minus(end, start)))),
                ]),
            ])]
        case .globalPool(let kind):
            let steps = step.inputShape[0]
            words = "global \(kind.rawValue) pooling over \(steps) steps"
            tables = []
            body = [.loop("c", from: .int(0), to: .int(channels), [
                .variable("v", kind == .max ? .element(x, c) : .real(0), integer: false),
                .loop("p", from: .int(kind == .max ? 1 : 0), to: .int(steps), [combine(kind, at(x, p, channels, c))]),
                .assign(.element(y, c), .set, kind == .max ? .name("v") : .ratio(.name("v"), .decimal("\(steps).0"))),
            ])]
        case .zeroPad(let left, let right):
            let size = step.inputSize
            words = "zero padding: \(left) steps before, \(right) after"
            tables = []
            body = [
                .loop("i", from: .int(0), to: .int(left * channels), [.assign(.element(y, i), .set, .real(0))]),
                .loop("i", from: .int(0), to: .int(size), [.assign(.element(y, .sum([.int(left * channels), i])), .set, .element(x, i))]),
                .loop("i", from: .int(0), to: .int(right * channels), [.assign(.element(y, .sum([.int(left * channels + size), i])), .set, .real(0))]),
            ]
        case .reshape:
            words = "a reshape: a copy"
            tables = []
            body = [.loop("i", from: .int(0), to: .int(step.inputSize), [.assign(.element(y, i), .set, .element(x, i))])]
        case .transpose:
            let (rows, columns) = (step.inputShape[0], step.inputShape[1])
            words = "a transpose"
            tables = []
            body = [.loop("r", from: .int(0), to: .int(rows), [
                .loop("c", from: .int(0), to: .int(columns), [.assign(at(y, c, rows, r), .set, at(x, r, columns, c))]),
            ])]
        }
        // A step that works in place (BatchNormalization, an activation) gets the same elements as `x` and `y`.
        let routine = Routine(name: base, comment: [.text(words.prefix(1).uppercased() + words.dropFirst())],
                              parameters: [("x", .sharedInput), ("y", .sharedOutput)], body: body)
        return (tables, routine)
    }

    /// Folds the element `value` into the pooled `v`.
    private func combine(_ kind: PoolKind, _ value: Expr) -> Statement {
        kind == .max ? .assign(.name("v"), .set, .select(.compare(value, .greater, .name("v")), value, .name("v"))) : .assign(.name("v"), .add, value)
    }

    /// The activation applied in place to the `length` values at `row`.
    private func activate(row: Expr, length: Int) -> [Statement] {
        guard let activation else { return [] }
        let function = Expr.symbol(activation.routine.name)
        guard activation.isElementwise else { return [.call(function, [row, .int(length)])] }
        let j = Expr.name("j")
        return [.loop("j", from: .int(0), to: .int(length), [
            .assign(.element(.group(row), j), .set, .call(function, [.element(.group(row), j)])),
        ])]
    }

    /// `step`'s tables, activation helpers and routine `base` in `language`,
    /// for the network `network`; whether they call the C math library.
    static func text(_ step: NetworkStep, network: String, base: String, dtype: DType, language: TargetLanguage)
        throws(NetworkCEmitter.Refusal) -> (lines: [String], callsMath: Bool) {
        let namer = Namer(layer: network, language: language, format: dtype.format)
        let activation = try activationHelper(step, namer: namer, base: base + "_act")
        let (tables, routine) = NetworkStepLowering(step: step, base: base, activation: activation).program
        var printer = CodePrinter()
        func print<S: Spelling>(_ program: ProgramPrinter<S>) {
            for table in tables { program.print([table], into: &printer) }
            if let activation { program.print(activation.routine, into: &printer) }
            program.print(routine, into: &printer)
        }
        switch language {
        case .c: print(ProgramPrinter(spelling: CSpelling(namer: namer)))
        case .swift: print(ProgramPrinter(spelling: SwiftSpelling(namer: namer)))
        }
        return (printer.lines, activation?.callsMath ?? false)
    }

    /// The step's activation as the helper `base`, if it has one; glu (which halves the last axis) is not emitted in networks yet.
    private static func activationHelper(_ step: NetworkStep, namer: Namer, base: String)
        throws(NetworkCEmitter.Refusal) -> ActivationHelper? {
        let activation: Activation
        switch step.operation {
        case .dense(_, _, _, _, let function): activation = function
        case .activation(let layer):
            // Arguments equal to an activation's defaults (ReLU()) use that activation's code.
            guard let function = layer.plain else {
                return (layer.parametric ?? .relu(maxValue: nil, negativeSlope: 0, threshold: 0)).helper(namer, base: base)
            }
            activation = function
        default: return nil
        }
        guard activation != .glu else {
            throw NetworkCEmitter.Refusal(message: "layer '\(Identifier.printable(step.layers[0]))' (\(step.className), position \(step.position)): glu is not emitted in networks yet")
        }
        return activation.helper(namer, base: base)
    }
}
