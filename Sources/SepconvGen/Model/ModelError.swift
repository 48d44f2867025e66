/// Why a Keras model file cannot be used: one message, reported at the
/// spec's `from` (or `weights`) key.
public struct ModelError: Error, Hashable, Sendable {
    /// The message, naming the model file and, where known, the layer.
    public var message: String

    /// Creates the error.
    public init(_ message: String) {
        self.message = message
    }
}
