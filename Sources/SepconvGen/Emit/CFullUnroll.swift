/// The `full` kernel in C: straight-line code, one block per output step,
/// every weight a literal in the arithmetic and every padded tap absent.
struct CFullUnroll {
    let plan: LayerPlan
    let layout: KernelLayout
    let activation: ActivationCode

    var text: String {
        var printer = CodePrinter()
        let p = plan, type = CEmitter.cType(plan.dtype)
        if !activation.helpers.isEmpty {
            printer.lines(activation.helpers)
            printer.line()
        }
        printer.function("static void \(p.name)_item(const \(type) *restrict x, \(type) *restrict y)") { body in
            if p.runs.allSatisfy({ $0.tapCount == 0 }) {
                body.line("(void)x; /* every tap falls in the padding */")
            }
            for run in p.runs {
                for step in run.steps {
                    body.block("{ /* output step \(step) */", closing: "}") { body in
                        for j in 0..<p.depthwiseChannels {
                            body.line("const \(type) d\(j) = \(depthwise(step: step, run: run, channel: j));")
                        }
                        outputs(&body, step: step)
                    }
                }
            }
            if p.dataFormat == .channelsFirst, let row = activation.rowFunction {
                for f in 0..<p.filters {
                    body.line("\(row)(y + \(f * p.convolutionSteps), \(p.convolutionSteps));")
                }
            }
        }
        return printer.text
    }

    /// The depthwise sum for one channel of one step: only the taps that read the input.
    private func depthwise(step: Int, run: StepRun, channel j: Int) -> String {
        let p = plan, c = j / p.depthMultiplier, m = j % p.depthMultiplier
        let terms = (run.firstTap ..< run.firstTap + run.tapCount).map { k -> String in
            let index = layout.inputIndex(step: p.inputStep(forOutput: step, tap: k), channel: c)
            let weight = p.weights.depthwiseKernel.scalars[(k * p.inputChannels + c) * p.depthMultiplier + m]
            return "x[\(index)] * \(FloatLiteral.c(weight, p.dtype))"
        }
        return terms.isEmpty ? FloatLiteral.c(0, p.dtype) : terms.joined(separator: " + ")
    }

    /// The pre-activation output of filter `f`: bias plus the pointwise sum.
    private func preactivation(_ f: Int) -> String {
        let p = plan
        var terms = (0..<p.depthwiseChannels).map { j in
            "d\(j) * \(FloatLiteral.c(p.weights.pointwiseKernel.scalars[j * p.filters + f], p.dtype))"
        }
        if let bias = p.weights.bias { terms.insert(FloatLiteral.c(bias.scalars[f], p.dtype), at: 0) }
        return terms.joined(separator: " + ")
    }

    private func outputs(_ body: inout CodePrinter, step: Int) {
        let p = plan, F = p.filters, steps = p.convolutionSteps
        let sigmoid = activation.elementFunction ?? ""
        switch (p.dataFormat, p.activation) {
        case (.channelsLast, .glu):
            for f in 0..<F / 2 {
                body.line("y[\(step * (F / 2) + f)] = (\(preactivation(f))) * \(sigmoid)(\(preactivation(f + F / 2)));")
            }
        case (.channelsLast, _):
            for f in 0..<F {
                body.line("y[\(step * F + f)] = \(value(preactivation(f)));")
            }
            if let row = activation.rowFunction {
                body.line("\(row)(y + \(step * F), \(F));")
            }
        case (.channelsFirst, .glu):
            let half = steps / 2
            for f in 0..<F {
                if step < half {
                    body.line("y[\(f * half + step)] = \(preactivation(f));")
                } else {
                    body.line("y[\(f * half + step - half)] *= \(sigmoid)(\(preactivation(f)));")
                }
            }
        case (.channelsFirst, _):
            for f in 0..<F {
                body.line("y[\(f * steps + step)] = \(value(preactivation(f)));")
            }
        }
    }

    private func value(_ expression: String) -> String {
        plan.activation.isRowWise ? expression : CEmitter.activate(expression, activation)
    }
}
