/// The IR of a network (SPEC.md section 8): the layers `first`...`last` of a
/// Keras model chain, each a planned step with its tensors' shapes, and where
/// each intermediate tensor lives in the caller's workspace.
///
/// The interpreter runs it and `explain` prints it; neither decides a shape
/// or a placement of its own.
public struct NetworkPlan: Hashable, Sendable {
    /// The network's C identifier (the spec's `name`).
    public var name: String
    public var dtype: DType
    /// The model file as the spec wrote it.
    public var model: String
    /// The steps, in order; never empty.
    public var steps: [NetworkStep]
    /// Where each step's output lives.
    public var workspace: WorkspacePlan
    /// Keras layers of the range that compute nothing at inference (the dropout family), by name.
    public var removed: [String]
    /// Whether the network has the streaming API too (`streaming: true`; every step streams).
    public var streaming = false

    /// One batch item's input shape, batch axis excluded.
    public var inputShape: [Int] { steps.first?.inputShape ?? [] }
    /// One batch item's output shape, batch axis excluded.
    public var outputShape: [Int] { steps.last?.outputShape ?? [] }
    /// Values in one item's input.
    public var inputSize: Int { inputShape.reduce(1, *) }
    /// Values in one item's output.
    public var outputSize: Int { outputShape.reduce(1, *) }
    /// Multiply-adds per batch item: the sum over the steps.
    public var multiplyAdds: Int { steps.reduce(0) { $0 + $1.multiplyAdds } }
    /// Bytes of weights: the sum over the steps.
    public var weightBytes: Int { steps.reduce(0) { $0 + $1.weightBytes } }
    /// Bytes of stack buffers one call needs at the most: the steps run one after the other, so the
    /// largest of a step's kernel buffers (the other routines and the function itself keep only scalars).
    public var stackBytes: Int {
        steps.map { step in if case .separable(let plan) = step.operation { plan.footprint.stackBytes } else { 0 } }.max() ?? 0
    }
    /// What the workspace would hold if every step's output had a buffer of its own (the last included).
    public var sumOfOutputs: Int { steps.reduce(0) { $0 + $1.outputSize } }
}

/// How a pooling layer combines a window.
public enum PoolKind: String, Hashable, Sendable {
    case max, average
}

/// What one step computes on one batch item (channels_last: the last axis is the channel axis).
public enum NetworkOperation: Hashable, Sendable {
    /// A SeparableConv1D through the existing layer plan, its BatchNormalization and
    /// activation followers fused into the plan's activation and epilogue.
    case separable(LayerPlan)
    /// `Dense` on the last axis: `kernel` is (inputs, units) row-major, then `activation`.
    case dense(kernel: [Double], inputs: Int, units: Int, bias: [Double]?, activation: Activation)
    /// A standalone BatchNormalization over the last axis: `x * scale + shift` per channel.
    case batchNorm(scale: [Double], shift: [Double])
    /// A standalone activation layer along the last axis.
    case activation(FusedChain.ActivationLayer)
    /// `MaxPooling1D` / `AveragePooling1D` over steps; `padLeft` is Keras's `same` padding before the first step
    /// (`same`: the windows reach past the last step, where a stream's flush computes them).
    case pool(PoolKind, size: Int, stride: Int, padLeft: Int, same: Bool)
    /// `GlobalMaxPooling1D` / `GlobalAveragePooling1D` over steps (`keepdims` is in the output shape).
    case globalPool(PoolKind)
    /// `ZeroPadding1D`: zero steps before and after.
    case zeroPad(left: Int, right: Int)
    /// `Flatten`, `Reshape`: the same values in row-major order under a new shape.
    case reshape

    /// Whether the step can write its output over its input (same size, each value read before it is written).
    var worksInPlace: Bool {
        switch self {
        case .batchNorm, .reshape: true
        case .activation(let layer):
            if case .named(let function) = layer { function.outputLength(forLastAxis: 2) == 2 } else { true }
        case .separable, .dense, .pool, .globalPool, .zeroPad: false
        }
    }
}

/// One step of a network: a Keras layer (with the layers fused into it) and its tensors.
public struct NetworkStep: Hashable, Sendable {
    /// The Keras layers it computes: the layer, then any fused into it.
    public var layers: [String]
    /// The first layer's Keras class.
    public var className: String
    /// Its 1-based position among the model's layers (InputLayer excluded).
    public var position: Int
    public var operation: NetworkOperation
    /// One item's input shape (batch axis excluded).
    public var inputShape: [Int]
    /// One item's output shape (batch axis excluded).
    public var outputShape: [Int]
    /// Multiply-adds per item (convolutions, Dense, BatchNormalization, the adds of average pooling).
    public var multiplyAdds: Int
    /// Bytes of the weights it keeps.
    public var weightBytes: Int

    public var inputSize: Int { inputShape.reduce(1, *) }
    public var outputSize: Int { outputShape.reduce(1, *) }
}

/// Where a network's tensors live: the caller's input and output, and one workspace.
public struct WorkspacePlan: Hashable, Sendable {
    /// A tensor's place.
    public enum Place: Hashable, Sendable {
        /// The caller's input buffer (read only).
        case input
        /// The caller's output buffer.
        case output
        /// `workspace[offset ..< offset + size]`.
        case workspace(offset: Int)
    }

    /// Per step, where its output lives.
    public var outputs: [Place]
    /// Values of workspace one call needs; at least 1 (SPEC: never zero).
    public var size: Int

    /// Where step `index` reads its input.
    public func input(of index: Int) -> Place {
        index == 0 ? .input : outputs[index - 1]
    }

    /// Whether step `index` writes where it reads.
    public func isInPlace(_ index: Int) -> Bool {
        if case .workspace = input(of: index) { return input(of: index) == outputs[index] }
        return false
    }
}

/// One step as both emitters print it: what it calls and where it reads and writes.
struct EmittedStep {
    enum Action {
        /// The SeparableConv1D's item kernel.
        case kernel(LayerPlan)
        /// Nothing: a reshape of a tensor already in the workspace.
        case reshapeInPlace
        /// A routine of the network's own.
        case routine
    }

    var number: Int
    var step: NetworkStep
    var action: Action
    var input: WorkspacePlan.Place
    var output: WorkspacePlan.Place

    /// `step 3: conv1 + bn1 (SeparableConv1D), output (49, 16)`, for comments.
    var title: String {
        "step \(number): \(step.layers.map(Identifier.printable).joined(separator: " + ")) (\(step.className)), output \(Tensor.describe(step.outputShape))"
    }
}

extension NetworkPlan {
    /// The steps as the emitters print them, in order.
    var emittedSteps: [EmittedStep] {
        steps.enumerated().map { index, step in
            let action: EmittedStep.Action
            switch step.operation {
            case .separable(let layer): action = .kernel(layer)
            case .reshape where workspace.isInPlace(index): action = .reshapeInPlace
            default: action = .routine
            }
            return EmittedStep(number: index + 1, step: step, action: action, input: workspace.input(of: index), output: workspace.outputs[index])
        }
    }
}
