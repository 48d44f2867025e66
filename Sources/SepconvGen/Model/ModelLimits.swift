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
    /// Most bytes of records the child process that reads an HDF5 file may return
    /// (its weights as stored, float16 widened to float32, and its string attributes).
    public static let maxHDF5RecordBytes = 2 * maxFileBytes + 4 * maxConfigBytes
    /// Memory the child process that reads an HDF5 file of `fileBytes` bytes may add to what it
    /// starts with: its copy of the image, the values it reads (at most twice the file: float16
    /// widens), and room for the library; at most 768 MiB. Tied to the file, so that a small file
    /// whose attributes point many times at one large string fails fast.
    public static func hdf5ChildMemory(fileBytes: Int) -> Int {
        min(768 << 20, (64 << 20) + 3 * fileBytes)
    }
    /// Wall-clock (and CPU) seconds that child may take.
    public static let hdf5ChildSeconds = 5
    /// Most layers the model may hold, nested models included.
    public static let maxLayers = 100_000
}
