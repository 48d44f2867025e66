/// One step fused into a layer's store after its own activation, in order:
/// what a model's following layers (a BatchNormalization applied after the
/// activation, an activation layer) do to the output, done before it is stored.
public enum EpilogueStep: Hashable, Sendable {
    /// Per filter: y = y · scale[f] + shift[f] (both F long).
    case affine(scale: [Double], shift: [Double])
    /// An activation, acting as the layer's own does: elementwise, or along
    /// the output's last axis (over steps for channels_first); glu halves that axis.
    case activation(Activation)
    /// An activation layer's function with its own arguments (elementwise).
    case parametric(ParametricActivation)

    /// The helper the emitted code calls for the step, if it calls one (linear calls none).
    var function: ActivationFunction? {
        switch self {
        case .activation(.linear), .affine: nil
        case .activation(let activation): .named(activation)
        case .parametric(let function): .parametric(function)
        }
    }

    /// The activation of the step, if it is one.
    public var activation: Activation? {
        if case .activation(let activation) = self { activation } else { nil }
    }

    /// The step in words: `affine over 16 filters`, `activation softmax`.
    public var description: String {
        switch self {
        case .affine(let scale, _): "affine over \(scale.count) filters"
        case .activation(let activation): "activation \(activation.rawValue)"
        case .parametric(let function): "activation \(function.description)"
        }
    }
}
