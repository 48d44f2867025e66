import KerasInitializers
/// The element type of the layer's tensors and of the emitted code.
public enum DType: String, Hashable, Sendable, CaseIterable {
    case float32, float64
}

/// Keras `padding`.
public enum Padding: String, Hashable, Sendable {
    case valid, same
}

/// Keras `data_format`: where channels sit in each batch item.
public enum DataFormat: String, Hashable, Sendable {
    /// (steps, channels)
    case channelsLast = "channels_last"
    /// (channels, steps)
    case channelsFirst = "channels_first"
}

/// A validated spec: one Keras `SeparableConv1D` layer on one input shape.
///
/// Every value has passed Keras's own checks and this tool's limits; the
/// marks of the nodes it came from are kept for later diagnostics.
public struct LayerSpec: Hashable, Sendable {
    /// The spec file, as the user named it.
    public var file: String
    /// The C identifier of the layer; names the emitted files and functions.
    public var name: String
    public var dtype: DType
    public var inputSteps: Int
    public var inputChannels: Int
    public var filters: Int
    public var kernelSize: Int
    public var strides: Int
    public var padding: Padding
    public var dataFormat: DataFormat
    public var dilationRate: Int
    public var depthMultiplier: Int
    public var activation: Activation
    public var useBias: Bool
    public var depthwiseInitializer: Initializer
    public var pointwiseInitializer: Initializer
    public var biasInitializer: Initializer
    /// The seed for initializers that give none of their own.
    public var seed: Int
    /// Where each weight comes from, when the spec gives weights.
    public var weights: WeightSources?
    /// The position of every key the spec gave, by dotted path (`layer.kernel_size`).
    public var marks: [String: Mark]
    /// Whether the emitted code also gets the streaming API (`streaming: true`).
    public var streaming = false
    /// The int8 arithmetic of a layer taken from a TensorFlow Lite model
    /// (SPEC.md section 7); nil for a float layer.
    public var quantization: QuantizedLayer? = nil
    /// What the layer's output goes through after its own activation, in order:
    /// the following layers of a model that `fuse: true` folds (SPEC.md section 5)
    /// and that the weights and the activation cannot hold. Empty for a written spec.
    public var epilogue: [EpilogueStep] = []
    /// Which stages the kernels compute: `separable` for a SeparableConv1D;
    /// a network's Conv1D and DepthwiseConv1D plan one stage each (`ConvolutionVariant`).
    public var convolution: ConvolutionVariant = .separable

    /// The position of `path`'s node, or of the nearest enclosing one, or the file start.
    public func mark(_ path: String) -> Mark {
        var path = Substring(path)
        while true {
            if let mark = marks[String(path)] { return mark }
            guard let dot = path.lastIndex(of: ".") else { return .start }
            path = path[..<dot]
        }
    }
}

/// Where the layer's weights come from.
public struct WeightSources: Hashable, Sendable {
    public var depthwiseKernel: WeightSource
    public var pointwiseKernel: WeightSource
    /// Present exactly when the layer uses a bias.
    public var bias: WeightSource?
}

/// One weight tensor: a `.npy` file or values written inline.
public enum WeightSource: Hashable, Sendable {
    /// A path as written in the spec (relative to the spec's folder), and its node's position.
    case file(path: String, mark: Mark)
    /// Inline values in row-major order with the shape they were nested to.
    case inline(Tensor, mark: Mark)

    /// The position of the node that gave the weight.
    public var mark: Mark {
        switch self {
        case .file(_, let mark), .inline(_, let mark): mark
        }
    }
}
