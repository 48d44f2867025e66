/// A fused chain lowered onto the layer: its weights and activation after
/// folding, and the steps left to apply after that activation.
public struct FusedLowering: Hashable, Sendable {
    public var weights: LayerWeights
    public var activation: Activation
    /// Empty when the whole chain folded into the weights and the activation.
    public var steps: [EpilogueStep]
}

extension FusedChain {
    /// Lowers the chain onto a layer with `activation` and `weights`: a BatchNormalization
    /// folds into the pointwise weights and bias when `activation` is linear, else becomes an
    /// affine step after it; an activation layer becomes the layer's activation when nothing
    /// else follows a linear one, else a step.
    /// An activation layer whose arguments no named activation has (`ReLU(threshold=0.2)`,
    /// `ELU(alpha=0.7)`) becomes a parametric step.
    /// - Returns: the lowering (a `Result` for the chains a later Keras may add).
    public func lowered(onto activation: Activation, weights: LayerWeights, dtype: DType) -> Result<FusedLowering, ModelError> {
        var lowering = FusedLowering(weights: weights, activation: activation, steps: [])
        if let batchNorm {
            let folded: [Double]
            if activation == .linear {
                lowering.weights = batchNorm.folded(into: weights, dtype: dtype)
                folded = lowering.weights.pointwiseKernel.scalars + (lowering.weights.bias?.scalars ?? [])
            } else {
                let (scale, shift) = batchNorm.affine(dtype)
                lowering.steps.append(.affine(scale: scale, shift: shift))
                folded = scale + shift
            }
            // Finite weights and statistics can still overflow once multiplied: say so, naming the fold,
            // rather than let the weight check blame the layer's own pointwise_kernel.
            guard folded.allSatisfy(\.isFinite) else {
                return .failure(ModelError("folding BatchNormalization '\(Identifier.printable(batchNorm.name))' overflows \(dtype.rawValue) (gamma / sqrt(moving_variance + epsilon) times the weights)"))
            }
        }
        if let (name, layer) = self.activation {
            if let plain = layer.plain, lowering.activation == .linear, lowering.steps.isEmpty {
                lowering.activation = plain
            } else if let plain = layer.plain {
                lowering.steps.append(.activation(plain))
            } else if let function = layer.parametric {
                lowering.steps.append(.parametric(function))
            } else {
                return .failure(ModelError("'\(Identifier.printable(name))' is \(layer.description), which the emitted code cannot compute"))
            }
        }
        return .success(lowering)
    }
}
