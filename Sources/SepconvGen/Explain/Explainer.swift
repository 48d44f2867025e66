import Foundation

/// `sepconv-gen explain`: the plan in words, with a picture of the taps, or as JSON.
public enum Explainer {
    /// Rows and columns beyond which the tap picture is elided.
    static let maxPictureRows = 48
    static let maxPictureColumns = 120

    /// The plan as a report for people.
    public static func text(_ plan: LayerPlan) -> String {
        let summary = Summary(plan)
        var lines: [String] = []
        lines.append("\(plan.name): SeparableConv1D, \(plan.dtype.rawValue), \(plan.dataFormat.rawValue)")
        lines.append("  input            \(Tensor.describe(summary.inputShape)) \(plan.dataFormat == .channelsLast ? "(steps, channels)" : "(channels, steps)")")
        lines.append("  depthwise        kernel \(plan.kernelSize), stride \(plan.stride), dilation \(plan.dilation), depth_multiplier \(plan.depthMultiplier): \(plan.inputChannels) -> \(plan.depthwiseChannels) channels")
        lines.append("  padding          \(plan.padding.rawValue): \(plan.padLeft) left, \(plan.padRight) right")
        lines.append("  receptive field  \(plan.receptiveField) input steps")
        lines.append("  pointwise        \(plan.depthwiseChannels) -> \(plan.filters) filters, \(plan.useBias ? "bias" : "no bias"), activation \(plan.activation.rawValue)")
        lines.append("  output           \(Tensor.describe(summary.outputShape)) \(plan.dataFormat == .channelsLast ? "(steps, filters)" : "(filters, steps)")")
        lines.append("  parameters       \(plan.parameterCount) (depthwise \(plan.kernelSize * plan.depthwiseChannels), pointwise \(plan.depthwiseChannels * plan.filters), bias \(plan.useBias ? plan.filters : 0))")
        lines.append("  multiply-adds    \(plan.multiplyAdds) per batch item (depthwise \(plan.depthwiseMultiplyAdds), pointwise \(plan.pointwiseMultiplyAdds))")
        for language in TargetLanguage.allCases {
            lines.append("  unroll \(language.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))    \(summary.unrollReason(language))")
        }
        lines += StreamExplain.lines(plan)
        lines.append("  step runs        \(plan.runs.count)")
        for run in plan.runs {
            let kind = run.isInterior ? "interior, all \(plan.kernelSize) taps" : run.tapCount == 0 ? "no tap reads the input" : "border, taps \(run.firstTap)..<\(run.firstTap + run.tapCount)"
            lines.append("    steps \(run.steps.lowerBound)..<\(run.steps.upperBound): \(kind)")
        }
        lines.append("")
        lines += picture(plan)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Which input steps (and padding) feed each output step: `#` a tap on
    /// the input, `o` a tap on padding, `.` an input step not read, ` ` padding not read.
    static func picture(_ plan: LayerPlan) -> [String] {
        let columns = plan.padLeft + plan.inputSteps + plan.padRight
        guard columns <= maxPictureColumns else {
            return ["(no picture: \(columns) padded input steps is more than \(maxPictureColumns) columns)"]
        }
        var lines = ["taps: '#' reads an input step, 'o' falls in the padding; '|' marks the input's edges"]
        let width = String(plan.convolutionSteps - 1).count
        var rows = Array(0..<plan.convolutionSteps)
        if rows.count > maxPictureRows {
            rows = Array(rows.prefix(maxPictureRows / 2)) + [-1] + Array(rows.suffix(maxPictureRows / 2))
        }
        for step in rows {
            guard step >= 0 else {
                lines.append(String(repeating: " ", count: width + 5) + "...")
                continue
            }
            var cells = [Character](repeating: ".", count: columns)
            for column in 0..<columns where column < plan.padLeft || column >= plan.padLeft + plan.inputSteps {
                cells[column] = " "
            }
            for tap in 0..<plan.kernelSize {
                let column = plan.inputStep(forOutput: step, tap: tap) + plan.padLeft
                guard column >= 0, column < columns else { continue }
                cells[column] = cells[column] == " " ? "o" : "#"
            }
            let left = String(cells[..<plan.padLeft]), middle = String(cells[plan.padLeft ..< plan.padLeft + plan.inputSteps])
            let right = String(cells[(plan.padLeft + plan.inputSteps)...])
            let label = String(repeating: " ", count: width - String(step).count) + String(step)
            let row = "  \(label)  \(left)|\(middle)|\(right)"
            lines.append(String(row.reversed().drop(while: { $0 == " " }).reversed()))
        }
        return lines
    }

    /// The plan as JSON with sorted keys (stable for tools and diffs).
    public static func json(_ plan: LayerPlan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(Summary(plan)) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The plan's facts, as `explain --json` prints them.
    struct Summary: Encodable {
        struct Run: Encodable {
            var firstStep: Int, endStep: Int, firstTap: Int, tapCount: Int, interior: Bool
        }
        struct Unroll: Encodable {
            var strategy: String, budget: Int
        }
        var name: String, dtype: String, dataFormat: String, activation: String
        var inputSteps: Int, inputChannels: Int, filters: Int, kernelSize: Int, strides: Int, dilationRate: Int
        var depthMultiplier: Int, depthwiseChannels: Int, padding: String, padLeft: Int, padRight: Int
        var convolutionSteps: Int, outputSteps: Int, outputChannels: Int, receptiveField: Int
        var inputShape: [Int], outputShape: [Int], useBias: Bool
        var parameters: Int, multiplyAdds: Int, depthwiseMultiplyAdds: Int, pointwiseMultiplyAdds: Int
        var unroll: [String: Unroll]
        var runs: [Run]
        var streaming: StreamExplain.Summary?

        init(_ plan: LayerPlan) {
            let channelsLast = plan.dataFormat == .channelsLast
            name = plan.name; dtype = plan.dtype.rawValue; dataFormat = plan.dataFormat.rawValue; activation = plan.activation.rawValue
            inputSteps = plan.inputSteps; inputChannels = plan.inputChannels; filters = plan.filters
            kernelSize = plan.kernelSize; strides = plan.stride; dilationRate = plan.dilation
            depthMultiplier = plan.depthMultiplier; depthwiseChannels = plan.depthwiseChannels
            padding = plan.padding.rawValue; padLeft = plan.padLeft; padRight = plan.padRight
            convolutionSteps = plan.convolutionSteps; outputSteps = plan.outputSteps; outputChannels = plan.outputChannels
            receptiveField = plan.receptiveField
            inputShape = channelsLast ? [plan.inputSteps, plan.inputChannels] : [plan.inputChannels, plan.inputSteps]
            outputShape = channelsLast ? [plan.outputSteps, plan.outputChannels] : [plan.outputChannels, plan.outputSteps]
            useBias = plan.useBias
            parameters = plan.parameterCount; multiplyAdds = plan.multiplyAdds
            depthwiseMultiplyAdds = plan.depthwiseMultiplyAdds; pointwiseMultiplyAdds = plan.pointwiseMultiplyAdds
            unroll = Dictionary(uniqueKeysWithValues: TargetLanguage.allCases.map {
                ($0.rawValue, Unroll(strategy: plan.unroll[$0].rawValue, budget: UnrollBudget.multiplyAdds(for: $0)))
            })
            streaming = StreamExplain.Summary(plan)
            runs = plan.runs.map { Run(firstStep: $0.steps.lowerBound, endStep: $0.steps.upperBound, firstTap: $0.firstTap, tapCount: $0.tapCount, interior: $0.isInterior) }
        }

        func unrollReason(_ language: TargetLanguage) -> String {
            let budget = UnrollBudget.multiplyAdds(for: language)
            let fits = multiplyAdds <= budget ? "within" : "over"
            return "\(unroll[language.rawValue]?.strategy ?? "?") (\(multiplyAdds) multiply-adds, \(fits) the auto budget of \(budget))"
        }
    }
}
