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
    /// What no spec covers: the operators of a `.tflite` model (`operator 5 FULLY_CONNECTED`), the layers of a
    /// Keras model (`gap (GlobalAveragePooling1D)`, names made printable) that are neither a spec's nor folded into one.
    public var notEmitted: [String]

    /// Plans the import of the model at `model` (a `.keras`, `.h5` or `.tflite` file) into the folder
    /// `folder`: a spec for each SeparableConv1D that can be generated, a problem for each other one.
    /// - Throws: `ModelError` when the model cannot be read or holds no SeparableConv1D.
    public init(model: String, folder: String, fuse: Bool) throws(ModelError) {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.contents(of: model, limit: ModelLimits.maxFileBytes, noun: "model files")
        } catch {
            throw ModelError("\(model): \(error.message)")
        }
        var layers: [Layer] = []
        problems = []
        if model.lowercased().hasSuffix(".tflite") {
            guard !fuse else { throw ModelError("--fuse cannot be used with a .tflite model: the converter has already fused what it could") }
            (layers, notEmitted) = try Self.tfliteLayers(bytes, model: model)
        } else {
            let reader = try ModelReader(bytes: bytes, name: model)
            let paths = reader.separableLayerPaths
            guard !paths.isEmpty else { throw ModelError("\(model) holds no SeparableConv1D layer") }
            for path in paths {
                do {
                    let imported = try reader.layer(named: path, fuse: true)
                    layers.append(Layer(name: path, selector: Self.quoted(path), inputShape: imported.inputShape,
                                        filters: imported.weights.pointwiseKernel.shape.last ?? 0,
                                        kernelSize: imported.weights.depthwiseKernel.shape.first ?? 0, fused: imported.chain.layerNames))
                } catch {
                    problems.append((path, error.message))
                }
            }
            let emitted = Set(layers.flatMap { [$0.name] + (fuse ? $0.fused : []) })
            notEmitted = reader.graph.layers.filter { $0.className != "InputLayer" && !emitted.contains($0.name) && !emitted.contains($0.location) }
                .map { "\(Identifier.printable($0.name)) (\(Identifier.printable($0.className)))" }
        }
        let modelPath = URL(fileURLWithPath: PathRule.canonical(model) ?? model)
        let folderPath = URL(fileURLWithPath: folder).standardizedFileURL
        let folderCanonical = PathRule.canonical(folder).map { URL(fileURLWithPath: $0) } ?? folderPath
        modelIsOutside = !PathRule.contains(folderCanonical.path, modelPath.path)
        let relative = Self.relativePath(of: modelPath, from: folderCanonical)
        specs = []
        for (layer, name) in zip(layers, Self.uniqueNames(layers.map(\.name))) {
            var text = "name: \(name)\nfrom:\n  model: \(Self.quoted(relative))\n  layer: \(layer.selector)\n"
            if fuse { text += "  fuse: true\n" }
            specs.append(Spec(layer: layer.name, name: name, text: text, inputShape: layer.inputShape,
                              filters: layer.filters, kernelSize: layer.kernelSize, fused: layer.fused))
        }
    }

    /// One layer to write a spec for: its name, how `from.layer` selects it, and what the summary prints.
    private struct Layer {
        var name: String
        var selector: String
        var inputShape: (steps: Int, channels: Int)?
        var filters: Int
        var kernelSize: Int
        var fused: [String]
    }

    /// Every chain of a `.tflite` model (each read, so that a chain that cannot be generated is
    /// refused now), selected by its layer name when that selects it alone, else by its index; and the operators left out.
    private static func tfliteLayers(_ bytes: [UInt8], model: String) throws(ModelError) -> ([Layer], [String]) {
        let reader = try TFLiteReader(bytes: bytes, name: model)
        guard reader.chainCount > 0 else { throw ModelError("\(model) holds no SeparableConv1D chain (DEPTHWISE_CONV_2D then a 1x1 CONV_2D)") }
        let layers = try reader.chainNames.enumerated().map { (index, label) throws(ModelError) in
            let layer = try reader.layer(.index(index))
            let selector = label.flatMap { reader.selects($0, chain: index) ? quoted($0) : nil } ?? String(index)
            return Layer(name: label ?? "chain_\(index)", selector: selector,
                         inputShape: (layer.inputSteps, layer.inputChannels), filters: layer.filters,
                         kernelSize: layer.kernelSize, fused: [])
        }
        return (layers, reader.unemittedOperators)
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
