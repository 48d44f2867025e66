import Foundation

/// `explain` for a network: each step with its output shape, multiply-adds,
/// weight bytes and where its output lives, then the totals (each the sum over the steps).
public enum NetworkExplainer {
    /// The plan as text for people.
    public static func text(_ plan: NetworkPlan) -> String {
        var lines: [String] = []
        lines.append("network \(plan.name): \(plan.model), \(plan.steps.count) steps, \(plan.dtype.rawValue), \(plan.inputFormat.rawValue)")
        lines.append("  input  \(Tensor.describe(plan.inputShape)) = \(plan.inputSize) values per item")
        for (index, step) in plan.steps.enumerated() {
            lines.append("  \(index + 1). \(step.label)")
            lines.append("     output \(step.describeOutput) = \(step.outputSize) values, "
                + "\(step.multiplyAdds) multiply-adds, \(step.weightBytes) weight bytes, \(place(plan, index))")
        }
        if !plan.removed.isEmpty {
            lines.append("  removed (nothing at inference): \(plan.removed.map(Identifier.printable).joined(separator: ", "))")
        }
        lines.append("  output \(Tensor.describe(plan.outputShape)) = \(plan.outputSize) values per item")
        lines.append("total: \(plan.multiplyAdds) multiply-adds per item, \(plan.weightBytes) weight bytes, "
            + "workspace \(plan.workspace.size) values (\(plan.workspace.size * bytes(plan.dtype)) bytes; "
            + "the steps' outputs add up to \(plan.sumOfOutputs) values)")
        lines.append("stack: at most \(plan.stackBytes) bytes of buffers (the largest step's kernel), besides scalar locals")
        if plan.streaming {
            lines.append("stream: delay \(plan.streamDelay), stride \(plan.streamStride), at most \(plan.streamMaxFlushed) frames a flush")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The plan as JSON with sorted keys, for machines.
    public static func json(_ plan: NetworkPlan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(Summary(plan)) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The plan's facts, as `explain --json` prints them.
    struct Summary: Encodable {
        struct Step: Encodable {
            var layers: [String], className: String, position: Int
            var inputShape: [Int], outputShape: [Int]
            /// "keras", or "steps-major": a channels_first sequence held as (steps, channels); `kerasOutputShape` is then Keras's.
            var layout: String, kerasOutputShape: [Int]
            var multiplyAdds: Int, weightBytes: Int
            /// A Conv1D's or DepthwiseConv1D's `ConvolutionVariant`: "dense-tap" or "depthwise-only".
            var convolution: ConvolutionVariant?
            /// "input", "output" or "workspace".
            var buffer: String
            var workspaceOffset: Int?
            var inPlace: Bool
        }
        struct Totals: Encodable {
            var multiplyAdds: Int, weightBytes: Int, workspaceValues: Int, sumOfOutputs: Int, stackBytes: Int
        }
        var name: String, model: String, dtype: String
        /// The input's data_format (its first layer's): "channels_last" or "channels_first".
        var inputFormat: String
        var inputShape: [Int], outputShape: [Int]
        var steps: [Step]
        var removed: [String]
        var totals: Totals

        init(_ plan: NetworkPlan) {
            name = plan.name
            model = plan.model
            dtype = plan.dtype.rawValue
            inputFormat = plan.inputFormat.rawValue
            inputShape = plan.inputShape
            outputShape = plan.outputShape
            removed = plan.removed
            totals = Totals(multiplyAdds: plan.multiplyAdds, weightBytes: plan.weightBytes,
                            workspaceValues: plan.workspace.size, sumOfOutputs: plan.sumOfOutputs, stackBytes: plan.stackBytes)
            steps = plan.steps.enumerated().map { index, step in
                var buffer = "workspace"
                var offset: Int?
                switch plan.workspace.outputs[index] {
                case .input: buffer = "input"
                case .output: buffer = "output"
                case .workspace(let at): offset = at
                }
                return Step(layers: step.layers, className: step.className, position: step.position,
                            inputShape: step.inputShape, outputShape: step.outputShape,
                            layout: step.outputLayout == .stepsMajor ? "steps-major" : "keras", kerasOutputShape: step.kerasOutputShape,
                            multiplyAdds: step.multiplyAdds,
                            weightBytes: step.weightBytes, convolution: NetworkExplainer.convolution(step), buffer: buffer, workspaceOffset: offset,
                            inPlace: plan.workspace.isInPlace(index))
            }
        }
    }

    private static func bytes(_ dtype: DType) -> Int { dtype.format.bytes }

    /// The step's `ConvolutionVariant`, where it is a Conv1D's or DepthwiseConv1D's (not `separable`).
    private static func convolution(_ step: NetworkStep) -> ConvolutionVariant? {
        guard case .separable(let plan) = step.operation, plan.convolution != .separable else { return nil }
        return plan.convolution
    }

    private static func place(_ plan: NetworkPlan, _ index: Int) -> String {
        let size = plan.steps[index].outputSize
        switch plan.workspace.outputs[index] {
        case .input: return "in the input"
        case .output: return "written to output"
        case .workspace(let offset):
            return "workspace[\(offset)..<\(offset + size)]\(plan.workspace.isInPlace(index) ? " in place" : "")"
        }
    }
}
