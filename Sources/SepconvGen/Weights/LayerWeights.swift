/// The layer's weights in Keras's own shapes (`layer.get_weights()` order),
/// every value representable in the layer's dtype.
public struct LayerWeights: Hashable, Sendable {
    /// (kernel_size, channels, depth_multiplier); (K, C, 0), empty, for a
    /// Conv1D's dense-tap variant, which has none (`ConvolutionVariant`).
    public var depthwiseKernel: Tensor
    /// (1, channels × depth_multiplier, filters); (1, C·M, 0), empty, for a
    /// DepthwiseConv1D's depthwise-only variant, which has none.
    public var pointwiseKernel: Tensor
    /// (filters,), when the layer uses a bias.
    public var bias: Tensor?

    /// Creates the weights.
    public init(depthwiseKernel: Tensor, pointwiseKernel: Tensor, bias: Tensor?) {
        self.depthwiseKernel = depthwiseKernel
        self.pointwiseKernel = pointwiseKernel
        self.bias = bias
    }

    /// The shapes Keras gives a layer's weights.
    public static func shapes(of spec: LayerSpec) -> (depthwise: [Int], pointwise: [Int], bias: [Int]) {
        ([spec.kernelSize, spec.inputChannels, spec.depthMultiplier],
         [1, spec.inputChannels * spec.depthMultiplier, spec.filters],
         [spec.filters])
    }

    /// What is wrong when a tensor's shape is not the one `spec`'s arguments give it
    /// ("pointwise_kernel has shape ... but the layer's arguments need ..."), or nil.
    func shapeMismatch(with spec: LayerSpec) -> String? {
        let shapes = Self.shapes(of: spec)
        for (name, tensor, shape) in [("depthwise_kernel", depthwiseKernel, shapes.depthwise),
                                      ("pointwise_kernel", pointwiseKernel, shapes.pointwise),
                                      ("bias", bias ?? Tensor(shape: shapes.bias, repeating: 0), shapes.bias)]
        where tensor.shape != shape {
            return "\(name) has shape \(tensor.shapeDescription) but the layer's arguments need \(Tensor.describe(shape))"
        }
        return nil
    }

    /// Depthwise weight of tap `k`, input channel `c`, multiplier `m`.
    public func depthwise(_ k: Int, _ c: Int, _ m: Int) -> Double {
        let (C, M) = (depthwiseKernel.shape[1], depthwiseKernel.shape[2])
        return depthwiseKernel.scalars[(k * C + c) * M + m]
    }

    /// Pointwise weight from depthwise channel `j` (= c · M + m, Keras's order) to filter `f`.
    public func pointwise(_ j: Int, _ f: Int) -> Double {
        pointwiseKernel.scalars[j * pointwiseKernel.shape[2] + f]
    }

    /// The bias of filter `f`, 0 when the layer has none.
    public func bias(_ f: Int) -> Double {
        bias?.scalars[f] ?? 0
    }
}
