/// The `full` kernel in Swift: straight-line statements, one `do` block per
/// output step, every weight a literal. Sums are built one statement per
/// term so the type checker stays linear in the code's length.
struct SwiftFullUnroll {
    let plan: LayerPlan
    let layout: KernelLayout
    let activation: ActivationCode

    func print(_ printer: inout CodePrinter) {
        let p = plan, type = SwiftEmitter.swiftType(plan.dtype)
        printer.line("/// One batch item.")
        printer.block("private static func forwardItem(_ x: UnsafePointer<\(type)>, _ y: UnsafeMutablePointer<\(type)>) {") { body in
            for run in p.runs {
                for step in run.steps {
                    body.block("do { // output step \(step)") { body in
                        for j in 0..<p.depthwiseChannels {
                            sum(&body, name: "d\(j)", terms: depthwiseTerms(step: step, run: run, channel: j))
                        }
                        outputs(&body, step: step)
                    }
                }
            }
            if p.dataFormat == .channelsFirst, let row = activation.rowFunction {
                body.line("for f in 0..<\(p.filters) { \(row)(y + f * \(p.convolutionSteps), \(p.convolutionSteps)) }")
            }
        }
    }

    /// `let name: T = a` or `var name: T = a; name += b; ...`.
    private func sum(_ body: inout CodePrinter, name: String, terms: [String]) {
        let type = SwiftEmitter.swiftType(plan.dtype)
        guard terms.count > 1 else {
            body.line("let \(name): \(type) = \(terms.first ?? "0")")
            return
        }
        body.line("var \(name): \(type) = \(terms[0])")
        for term in terms.dropFirst() {
            body.line("\(name) += \(term)")
        }
    }

    private func depthwiseTerms(step: Int, run: StepRun, channel j: Int) -> [String] {
        let p = plan, c = j / p.depthMultiplier, m = j % p.depthMultiplier
        return (run.firstTap ..< run.firstTap + run.tapCount).map { k in
            let index = layout.inputIndex(step: p.inputStep(forOutput: step, tap: k), channel: c)
            let weight = p.weights.depthwiseKernel.scalars[(k * p.inputChannels + c) * p.depthMultiplier + m]
            return "x[\(index)] * \(FloatLiteral.swift(weight, p.dtype))"
        }
    }

    private func preactivationTerms(_ f: Int) -> [String] {
        let p = plan
        var terms = (0..<p.depthwiseChannels).map { j in
            "d\(j) * \(FloatLiteral.swift(p.weights.pointwiseKernel.scalars[j * p.filters + f], p.dtype))"
        }
        if let bias = p.weights.bias { terms.insert(FloatLiteral.swift(bias.scalars[f], p.dtype), at: 0) }
        return terms
    }

    private func outputs(_ body: inout CodePrinter, step: Int) {
        let p = plan, F = p.filters, steps = p.convolutionSteps
        let sigmoid = activation.elementFunction ?? ""
        switch (p.dataFormat, p.activation) {
        case (.channelsLast, .glu):
            for f in 0..<F / 2 {
                sum(&body, name: "a\(f)", terms: preactivationTerms(f))
                sum(&body, name: "g\(f)", terms: preactivationTerms(f + F / 2))
                body.line("y[\(step * (F / 2) + f)] = a\(f) * \(sigmoid)(g\(f))")
            }
        case (.channelsLast, _):
            for f in 0..<F {
                sum(&body, name: "a\(f)", terms: preactivationTerms(f))
                body.line("y[\(step * F + f)] = \(value("a\(f)"))")
            }
            if let row = activation.rowFunction {
                body.line("\(row)(y + \(step * F), \(F))")
            }
        case (.channelsFirst, .glu):
            let half = steps / 2
            for f in 0..<F {
                sum(&body, name: "a\(f)", terms: preactivationTerms(f))
                body.line(step < half ? "y[\(f * half + step)] = a\(f)" : "y[\(f * half + step - half)] *= \(sigmoid)(a\(f))")
            }
        case (.channelsFirst, _):
            for f in 0..<F {
                sum(&body, name: "a\(f)", terms: preactivationTerms(f))
                body.line("y[\(f * steps + step)] = \(value("a\(f)"))")
            }
        }
    }

    private func value(_ expression: String) -> String {
        plan.activation.isRowWise ? expression : (activation.elementFunction.map { "\($0)(\(expression))" } ?? expression)
    }
}
