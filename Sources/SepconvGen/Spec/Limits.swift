/// The largest layer sepconv-gen accepts. Every limit is checked while the
/// spec is read, before anything is allocated for it, so that a hostile spec
/// (a `steps` of 10^12, say) is refused at once.
public enum Limits {
    /// Most input steps, kernel size, stride or dilation.
    public static let maxExtent = 1 << 20
    /// Most input channels, filters or depth multiplier.
    public static let maxChannels = 1 << 16
    /// Most depthwise output channels (channels × depth_multiplier).
    public static let maxDepthwiseChannels = 1 << 16
    /// Most values in one batch item's input or output.
    public static let maxActivationValues = 1 << 26
    /// Most weights (depthwise + pointwise + bias): bounds the emitted source to tens of megabytes.
    public static let maxParameters = 1 << 20
    /// Most multiply-adds for one batch item.
    public static let maxMultiplyAdds = 1 << 34
    /// Most multiply-adds `--unroll full` prints as straight-line code (a few megabytes of source).
    public static let maxFullUnrollMultiplyAdds = 1 << 17
    /// Largest spec file read, in bytes.
    public static let maxSpecBytes = 64 << 20
    /// Largest `.npy` file read, in bytes.
    public static let maxWeightFileBytes = 64 << 20
    /// Largest `run --input` file read, in bytes (its values are held as `Double`, twice that for float32).
    public static let maxInputBytes = 256 << 20
}
