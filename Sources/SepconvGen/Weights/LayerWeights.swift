/// The layer's weights in Keras's own shapes (`layer.get_weights()` order),
/// every value representable in the layer's dtype.
public struct LayerWeights: Hashable, Sendable {
    /// (kernel_size, channels, depth_multiplier)
    public var depthwiseKernel: Tensor
    /// (1, channels × depth_multiplier, filters)
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
}
