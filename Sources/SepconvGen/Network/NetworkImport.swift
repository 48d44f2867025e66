import Foundation

/// `import MODEL --network -o DIR`: the network spec of a whole Keras model,
/// checked by planning it as `generate` will.
public struct NetworkImport: Sendable {
    /// The spec's name (from the model file's name) and text.
    public var name: String
    public var text: String
    /// The plan the spec gives.
    public var plan: NetworkPlan
    /// Whether the model lies outside the folder (then `generate` needs `--weights-root`).
    public var modelIsOutside: Bool

    /// Plans the network spec for the model at `model`, written into `folder`.
    /// - Throws: `DiagnosticError` naming the layer that cannot be part of a network.
    public init(model: String, folder: String) throws(DiagnosticError) {
        let modelPath = URL(fileURLWithPath: PathRule.canonical(model) ?? model)
        let folderCanonical = PathRule.canonical(folder).map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: folder).standardizedFileURL
        modelIsOutside = !PathRule.contains(folderCanonical.path, modelPath.path)
        let stem = modelPath.deletingPathExtension().lastPathComponent
        name = ModelImport.validName(stem)
        text = "name: \(name)\nnetwork:\n  model: \(ModelImport.quoted(ModelImport.relativePath(of: modelPath, from: folderCanonical)))\n"
        // Planned beside the model (the output folder may not exist yet): the same plan the written spec gives.
        let beside = "name: \(name)\nnetwork:\n  model: \(ModelImport.quoted(modelPath.lastPathComponent))\n"
        let spec = modelPath.deletingLastPathComponent().appendingPathComponent("\(name).yaml").path
        plan = try NetworkCompiler().compile(file: spec, contents: Array(beside.utf8)).plan
    }
}
