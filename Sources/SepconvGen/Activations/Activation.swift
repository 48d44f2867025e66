/// The activations Keras 3.15 accepts by name (`keras.activations.get`), with
/// Keras's default arguments. `threshold` is refused: Keras cannot call it by
/// name either (it has no default threshold).
public enum Activation: String, CaseIterable, Hashable, Sendable {
    case linear
    case relu, relu6, leakyRelu = "leaky_relu"
    case elu, celu, selu
    case gelu, silu, mish
    case sigmoid, hardSigmoid = "hard_sigmoid", hardSilu = "hard_silu", logSigmoid = "log_sigmoid"
    case sparseSigmoid = "sparse_sigmoid"
    case tanh, hardTanh = "hard_tanh", tanhShrink = "tanh_shrink"
    case softplus, softsign, squareplus, sparsePlus = "sparse_plus"
    case softShrink = "soft_shrink", hardShrink = "hard_shrink"
    case exponential
    case softmax, logSoftmax = "log_softmax", sparsemax, glu

    /// Names Keras registers as aliases of another activation.
    public static let aliases: [String: Activation] = ["swish": .silu, "hard_swish": .hardSilu]

    /// Every name a spec may give, aliases included, sorted.
    public static var acceptedNames: [String] {
        (allCases.map(\.rawValue) + aliases.keys).sorted()
    }

    /// The activation Keras resolves `name` to, if any (names are case-sensitive, as in Keras).
    public static func named(_ name: String) -> Activation? {
        Activation(rawValue: name) ?? aliases[name]
    }

    /// Whether the activation works on whole rows along the output's last
    /// axis (softmax, log_softmax, sparsemax, glu) rather than element by element.
    public var isRowWise: Bool {
        switch self {
        case .softmax, .logSoftmax, .sparsemax, .glu: true
        default: false
        }
    }

    /// Whether the activation acts along the steps axis in `format`: a row-wise
    /// one on channels_first output, whose every value needs every step.
    public func actsAlongSteps(_ format: DataFormat) -> Bool {
        isRowWise && format == .channelsFirst
    }

    /// The length of the last axis after the activation: glu halves it.
    public func outputLength(forLastAxis length: Int) -> Int {
        self == .glu ? length / 2 : length
    }
}
