/// Sizes checked before any part of a model file is read, so that a
/// hostile file (a zip bomb, a dataset of 10^12 values) is refused at once.
public enum ModelLimits {
    /// Largest model or weights file read, in bytes.
    public static let maxFileBytes = 256 << 20
    /// Largest `config.json` (or `model_config` attribute), in bytes.
    public static let maxConfigBytes = 16 << 20
    /// Largest weights member of a `.keras` archive, uncompressed, in bytes.
    public static let maxWeightsBytes = 256 << 20
    /// Most members a `.keras` archive may list.
    public static let maxArchiveEntries = 100_000
    /// Most values in one weight dataset.
    public static let maxDatasetValues = Limits.maxParameters
    /// Most dimensions of one weight dataset.
    public static let maxDatasetRank = 8
    /// Deepest nesting of the model config (JSON) and of models inside models.
    public static let maxConfigDepth = 200
    /// Most layers the model may hold, nested models included.
    public static let maxLayers = 100_000
}
