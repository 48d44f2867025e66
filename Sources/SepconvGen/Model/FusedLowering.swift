/// One step the emitted layer applies after its own activation to fuse a
/// chain it cannot fold into its weights: the shape of the plan's epilogue.
public enum FusedStep: Hashable, Sendable {
    /// Per filter: y = y · scale[f] + shift[f].
    case affine(scale: [Double], shift: [Double])
    /// An activation along the output's last axis, as the layer's own acts.
    case activation(Activation)
}

/// A fused chain lowered onto the layer: its weights and activation after
/// folding, and the steps left to apply after that activation.
public struct FusedLowering: Hashable, Sendable {
    public var weights: LayerWeights
    public var activation: Activation
    /// Empty when the whole chain folded into the weights and the activation.
    public var steps: [FusedStep]
}

extension FusedChain {
    /// Lowers the chain onto a layer with `activation` and `weights`: a BatchNormalization
    /// folds into the pointwise weights and bias when `activation` is linear, else becomes an
    /// affine step after it; an activation layer becomes the layer's activation when nothing
    /// else follows a linear one, else a step.
    /// - Returns: the lowering, or why it cannot be expressed (an activation layer whose
    ///   arguments no `Activation` has, such as `ReLU(threshold=0.2)` or `ELU(alpha=0.7)`).
    public func lowered(onto activation: Activation, weights: LayerWeights, dtype: DType) -> Result<FusedLowering, ModelError> {
        var lowering = FusedLowering(weights: weights, activation: activation, steps: [])
        if let batchNorm {
            if activation == .linear {
                lowering.weights = batchNorm.folded(into: weights, dtype: dtype)
            } else {
                let (scale, shift) = batchNorm.affine(dtype)
                lowering.steps.append(.affine(scale: scale, shift: shift))
            }
        }
        if let (name, layer) = self.activation {
            guard let plain = layer.plain else {
                return .failure(ModelError("'\(Identifier.printable(name))' is \(layer.description), which no activation of the emitted code computes yet"))
            }
            if lowering.activation == .linear && lowering.steps.isEmpty {
                lowering.activation = plain
            } else {
                lowering.steps.append(.activation(plain))
            }
        }
        return .success(lowering)
    }
}
