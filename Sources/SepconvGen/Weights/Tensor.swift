/// A dense, row-major (C order) tensor of real numbers.
///
/// Values are held as `Double` whatever the layer's dtype; a float32 layer's
/// values are exactly representable as `Float`.
public struct Tensor: Hashable, Sendable {
    /// The extent of each axis, outermost first.
    public var shape: [Int]
    /// The values in C order; `scalars.count` is the product of `shape`.
    public var scalars: [Double]

    /// Creates a tensor; `scalars.count` must equal the product of `shape`.
    public init(shape: [Int], scalars: [Double]) {
        precondition(shape.reduce(1, *) == scalars.count, "tensor shape and value count disagree")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Double) {
        self.init(shape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// The shape written as Python prints a tuple: `(3, 4, 1)`, `(5,)`.
    public var shapeDescription: String { Tensor.describe(shape) }

    /// `shape` written as Python prints a tuple.
    public static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}
