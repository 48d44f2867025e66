/// The reference implementation of a network: each step straight from its
/// Keras definition, computed in `Double` and rounded to the network's dtype
/// after each operation. It ignores the workspace plan (every tensor is an
/// array of its own), so it cross-checks the generated code's placement.
public enum NetworkInterpreter {
    /// Runs the network on `input`, of shape (batch, ...the network's input shape).
    /// - Returns: the output, (batch, ...the network's output shape).
    public static func run(_ plan: NetworkPlan, input: Tensor) throws(Interpreter.ShapeError) -> Tensor {
        guard input.shape.count == plan.inputShape.count + 1, Array(input.shape.dropFirst()) == plan.inputShape else {
            throw Interpreter.ShapeError(message: "the input has shape \(input.shapeDescription) but the network takes (batch, \(plan.inputShape.map(String.init).joined(separator: ", ")))")
        }
        let batch = input.shape[0]
        var output: [Double] = []
        output.reserveCapacity(batch * plan.outputSize)
        for item in 0..<batch {
            var x = Array(input.scalars[item * plan.inputSize ..< (item + 1) * plan.inputSize])
            for step in plan.steps {
                x = forward(step, x, dtype: plan.dtype)
            }
            output += x
        }
        return Tensor(shape: [batch] + plan.outputShape, scalars: output)
    }

    /// One step on one item.
    static func forward(_ step: NetworkStep, _ x: [Double], dtype: DType) -> [Double] {
        let round = dtype.format.round
        let channels = step.inputShape.last ?? 1
        let rows = step.inputSize / max(channels, 1)
        switch step.operation {
        case .separable(let plan):
            return Interpreter.forward(plan, item: x)
        case .dense(let kernel, let inputs, let units, let bias, let activation):
            var y = [Double](repeating: 0, count: rows * units)
            for row in 0..<rows {
                for unit in 0..<units {
                    var sum = 0.0
                    for i in 0..<inputs { sum += x[row * inputs + i] * kernel[i * units + unit] }
                    y[row * units + unit] = round(round(sum) + (bias?[unit] ?? 0))
                }
            }
            return activation.apply(y, rows: rows, length: units, dtype: dtype)
        case .batchNorm(let scale, let shift):
            return x.indices.map { round(x[$0] * scale[$0 % channels] + shift[$0 % channels]) }
        case .activation(let layer):
            switch layer {
            case .named(let function): return function.apply(x, rows: rows, length: channels, dtype: dtype)
            case .softmax: return Activation.softmax.apply(x, rows: rows, length: channels, dtype: dtype)
            case .relu, .leakyRelu, .elu: return x.map { round(layer.elementwise($0)) }
            }
        case .pool(let kind, let size, let stride, let padLeft, _):
            let steps = step.inputShape[0]
            let outputSteps = step.outputShape[0]
            var y = [Double](repeating: 0, count: outputSteps * channels)
            for t in 0..<outputSteps {
                // Keras's `same` padding: windows stop at the input's ends, and averages divide by the steps they cover.
                let start = max(t * stride - padLeft, 0)
                let end = min(t * stride - padLeft + size, steps)
                for c in 0..<channels {
                    let window = (start..<end).map { x[$0 * channels + c] }
                    y[t * channels + c] = kind == .max ? window.max() ?? 0 : round(round(window.reduce(0, +)) / Double(window.count))
                }
            }
            return y
        case .globalPool(let kind):
            let steps = step.inputShape[0]
            return (0..<channels).map { c in
                let column = (0..<steps).map { x[$0 * channels + c] }
                return kind == .max ? column.max() ?? 0 : round(round(column.reduce(0, +)) / Double(steps))
            }
        case .zeroPad(let left, let right):
            return [Double](repeating: 0, count: left * channels) + x + [Double](repeating: 0, count: right * channels)
        case .reshape:
            return x
        case .transpose:
            let (rows, columns) = (step.inputShape[0], step.inputShape[1])
            return (0..<columns * rows).map { x[($0 % rows) * columns + $0 / rows] }
        }
    }
}
