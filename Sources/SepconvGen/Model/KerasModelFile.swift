/// A Keras model file read into memory: the model's config and the HDF5
/// file holding its weights, in the layout of the format it came in.
struct KerasModelFile {
    /// How the file lays out its weights.
    enum Layout {
        /// Keras 3 (`.keras` archive or `.weights.h5`): `layers/<class>/.../vars/<i>` by position.
        case keras3
        /// Legacy HDF5 (`model.save("m.h5")`, Keras 3 or tf.keras 2): `model_weights/<layer>/` with `weight_names`.
        case legacy
    }

    /// The file's name for messages, as the spec gave it.
    var name: String
    var layout: Layout
    /// The top-level model config: `{"class_name": ..., "config": {...}}`.
    var config: JSONValue
    /// The weights.
    var weights: HDF5File

    /// The zip local-file-header signature every `.keras` archive starts with.
    static let zipSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// Reads a `.keras` archive or a legacy `.h5` model from `bytes`.
    /// - Throws: `ModelError` when they are neither, or damaged.
    init(bytes: [UInt8], name: String) throws(ModelError) {
        self.name = name
        if bytes.starts(with: Self.zipSignature) {
            let archive = try KerasArchive(bytes: bytes, name: name)
            layout = .keras3
            config = try Self.parse(archive.config, what: "config.json", name: name)
            weights = try HDF5File(bytes: archive.weights, name: "\(name) (model.weights.h5)")
        } else if bytes.starts(with: HDF5File.signature) {
            weights = try HDF5File(bytes: bytes, name: name)
            layout = .legacy
            guard let text = try weights.strings("model_config", of: "/")?.first else {
                if weights.kind("/layers") == .group {
                    throw ModelError("\(name) is a Keras 3 weights file (model.save_weights), not a model: give it as 'weights: {h5: ..., group: ...}' with the layer's arguments")
                }
                throw ModelError("\(name) is an HDF5 file without a 'model_config' attribute: not a Keras model saved with model.save")
            }
            config = try Self.parse(Array(text.utf8), what: "its model_config attribute", name: name)
            guard weights.kind("/model_weights") == .group else {
                throw ModelError("\(name) has no model_weights group (saved without weights?)")
            }
        } else {
            throw ModelError("\(name) is neither a Keras .keras archive (zip) nor an HDF5 .h5 model")
        }
    }

    private static func parse(_ bytes: [UInt8], what: String, name: String) throws(ModelError) -> JSONValue {
        guard bytes.count <= ModelLimits.maxConfigBytes else {
            throw ModelError("\(name): \(what) is larger than \(ModelLimits.maxConfigBytes) bytes")
        }
        let depth = JSONValue.nestingDepth(bytes)
        guard depth <= ModelLimits.maxConfigDepth else {
            throw ModelError("\(name): \(what) is nested \(depth) levels deep; at most \(ModelLimits.maxConfigDepth) are read")
        }
        guard let value = JSONValue.parse(bytes), value["class_name"]?.string != nil, value["config"] != nil else {
            throw ModelError("\(name): \(what) is not a Keras model config (JSON with class_name and config)")
        }
        return value
    }
}
