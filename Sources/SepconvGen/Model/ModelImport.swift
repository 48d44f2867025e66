import Foundation

/// What `sepconv-gen import MODEL -o DIR` writes: one spec per SeparableConv1D
/// in the model, each taking its layer `from` the model (SPEC.md section 5).
/// Computed whole before anything is written.
public struct ModelImport: Sendable {
    /// One spec to write.
    public struct Spec: Sendable {
        /// The layer as `from.layer` names it: its name, or its path when nested models hold two of that name.
        public var layer: String
        /// The spec's `name` (the layer name made a valid one when it is not) and file name stem.
        public var name: String
        /// The spec's text.
        public var text: String
        /// The input shape the model records, if any (else the spec needs an `input`).
        public var inputShape: (steps: Int, channels: Int)?
        public var filters: Int
        public var kernelSize: Int
        /// The layers `fuse: true` folds.
        public var fused: [String]
    }

    /// The specs, in the model's layer order.
    public var specs: [Spec]
    /// The layers no spec is written for, each with why (`from.layer` spelling, message).
    public var problems: [(layer: String, message: String)]
    /// Whether the model lies outside the output folder (generation then needs `--weights-root`).
    public var modelIsOutside: Bool

    /// Plans the import of the model at `model` into the folder `folder`: a spec for each
    /// SeparableConv1D that can be generated, a problem for each other one.
    /// - Throws: `ModelError` when the model cannot be read or holds no SeparableConv1D.
    public init(model: String, folder: String, fuse: Bool) throws(ModelError) {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.contents(of: model, limit: ModelLimits.maxFileBytes, noun: "model files")
        } catch {
            throw ModelError("\(model): \(error.message)")
        }
        let reader = try ModelReader(bytes: bytes, name: model)
        let layers = reader.separableLayerPaths
        guard !layers.isEmpty else { throw ModelError("\(model) holds no SeparableConv1D layer") }
        let modelPath = URL(fileURLWithPath: PathRule.canonical(model) ?? model)
        let folderPath = URL(fileURLWithPath: folder).standardizedFileURL
        let folderCanonical = PathRule.canonical(folder).map { URL(fileURLWithPath: $0) } ?? folderPath
        modelIsOutside = !PathRule.contains(folderCanonical.path, modelPath.path)
        let relative = Self.relativePath(of: modelPath, from: folderCanonical)
        specs = []
        problems = []
        var readable: [(path: String, layer: ImportedLayer)] = []
        for path in layers {
            do {
                readable.append((path, try reader.layer(named: path, fuse: true)))
            } catch {
                problems.append((path, error.message))
            }
        }
        for ((path, imported), name) in zip(readable, Self.uniqueNames(readable.map(\.path))) {
            var text = "name: \(name)\nfrom:\n  model: \(Self.quoted(relative))\n  layer: \(Self.quoted(path))\n"
            if fuse { text += "  fuse: true\n" }
            specs.append(Spec(layer: path, name: name, text: text, inputShape: imported.inputShape,
                              filters: imported.weights.pointwiseKernel.shape.last ?? 0,
                              kernelSize: imported.weights.depthwiseKernel.shape.first ?? 0,
                              fused: imported.chain.layerNames))
        }
    }

    /// A valid spec name for each of `layers`, no two alike: `validName`, then `_2`, `_3`, ...
    /// in place of its end when taken. Each name's next suffix is remembered, so a thousand
    /// layers of one long name take linear time.
    public static func uniqueNames(_ layers: [String]) -> [String] {
        var used = Set<String>()
        var nextSuffix: [String: Int] = [:]
        return layers.map { layer in
            let base = validName(layer)
            var name = base
            while used.contains(name) {
                let suffix = nextSuffix[base, default: 2]
                nextSuffix[base] = suffix + 1
                let tail = "_\(suffix)"
                name = validName(String(base.prefix(Identifier.maxLength - tail.count)) + tail)
            }
            used.insert(name)
            return name
        }
    }

    /// `name` as a valid spec name: characters outside `[A-Za-z0-9_]` become `_`, and a
    /// prefix or suffix is added when it would start with a digit, be reserved or be empty.
    public static func validName(_ name: String) -> String {
        var text = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) ? Character(scalar) : "_"
        }).prefix(Identifier.maxLength).description
        if Identifier.problem(with: text) == nil { return text }
        text = "layer_" + text.drop { $0 == "_" }
        text = String(text.prefix(Identifier.maxLength))
        if Identifier.problem(with: text) == nil { return text }
        return String(text.prefix(Identifier.maxLength - 6)) + "_layer"
    }

    /// A YAML double-quoted scalar for `text`.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value):
                result += String(format: "\\x%02X", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The path of `file` from `folder` (both absolute), with `..` where it leaves it.
    static func relativePath(of file: URL, from folder: URL) -> String {
        let target = file.pathComponents
        let base = folder.pathComponents
        var common = 0
        while common < min(target.count, base.count), target[common] == base[common] { common += 1 }
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        return parts.joined(separator: "/")
    }
}
