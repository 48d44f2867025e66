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

    /// One batch item's input shape, batch axis excluded, as Keras's `predict` takes it.
    public var inputShape: [Int] { steps.first?.inputShape ?? [] }
    /// How the network reads its input: channels_first when its first layer takes it as (channels, steps)
    /// (the plan's first step then transposes it, or is a SeparableConv1D's own channels_first kernel);
    /// frames of a stream are steps in either.
    public var inputFormat: DataFormat {
        switch steps.first?.operation {
        case .transpose: .channelsFirst
        case .separable(let layer): layer.dataFormat
        default: .channelsLast
        }
    }
    /// Steps of one input item (`N_INPUT_STEPS`): its last axis for channels_first.
    public var inputSteps: Int {
        inputFormat == .channelsFirst ? inputShape.last ?? 1 : inputShape.dropLast().reduce(1, *)
    }
    /// Channels of one input item (`N_INPUT_CHANNELS`): the values of one frame.
    public var inputChannels: Int { inputSize / max(inputSteps, 1) }
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

/// How a step's output tensor is held, against its shape as Keras sees it.
public enum TensorLayout: Hashable, Sendable {
    /// Row-major in Keras's shape.
    case keras
    /// A channels_first sequence, Keras's (channels, steps), held transposed as (steps, channels)
    /// so that every step computes channels_last; a planned transpose brings it back where Keras's order is needed.
    case stepsMajor
}

/// What one step computes on one batch item, on its tensors as the plan holds them
/// (`NetworkStep.inputShape`, row-major; a sequence is (steps, channels), the channel axis last).
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
    /// The (rows, columns) input as (columns, rows): where a tensor goes from Keras's order to
    /// channels_first held steps-major (`TensorLayout.stepsMajor`), or back.
    case transpose

    /// Whether the step can write its output over its input (same size, each value read before it is written).
    var worksInPlace: Bool {
        switch self {
        case .batchNorm, .reshape: true
        case .activation(let layer):
            if case .named(let function) = layer { function.outputLength(forLastAxis: 2) == 2 } else { true }
        case .separable, .dense, .pool, .globalPool, .zeroPad, .transpose: false
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
    /// One item's output shape (batch axis excluded), as the plan holds it.
    public var outputShape: [Int]
    /// How the output is held: Keras's shape is `outputShape` reversed when `.stepsMajor`.
    public var outputLayout: TensorLayout = .keras
    /// Multiply-adds per item (convolutions, Dense, BatchNormalization, the adds of average pooling).
    public var multiplyAdds: Int
    /// Bytes of the weights it keeps.
    public var weightBytes: Int

    public var inputSize: Int { inputShape.reduce(1, *) }
    public var outputSize: Int { outputShape.reduce(1, *) }

    /// What the step computes, for people: `conv1 + bn1 (SeparableConv1D, position 3)`, a Conv1D's
    /// or DepthwiseConv1D's variant after its position, or, for a transpose the plan inserts between
    /// layouts, `transpose for sep (position 1)`.
    var label: String {
        let layers = layers.map(Identifier.printable).joined(separator: " + ")
        switch operation {
        case .transpose:
            return "transpose for \(layers) (position \(position))"
        case .separable(let plan) where plan.convolution != .separable:
            return "\(layers) (\(Identifier.printable(className)), position \(position), \(plan.convolution.rawValue))"
        default:
            return "\(layers) (\(Identifier.printable(className)), position \(position))"
        }
    }
    /// `(49, 16)`; a steps-major tensor with Keras's shape too: `(25, 24) steps-major, Keras (24, 25)`.
    var describeOutput: String {
        Tensor.describe(outputShape) + (outputLayout == .stepsMajor ? " steps-major, Keras \(Tensor.describe(kerasOutputShape))" : "")
    }
    /// The output's shape as Keras sees it.
    public var kerasOutputShape: [Int] { outputLayout == .stepsMajor ? outputShape.reversed() : outputShape }
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

    /// `step 3: conv1 + bn1 (SeparableConv1D, position 3), output (49, 16)`, for comments.
    var title: String {
        "step \(number): \(step.label), output \(step.describeOutput)"
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
