import Foundation

/// The front of the pipeline: spec file → node tree → `LayerSpec` → weights → `LayerPlan`.
public struct SpecCompiler: Sendable {
    /// Where weight files may live besides the spec's own folder.
    public var weightsRoot: String?
    /// What `--unroll` asked for.
    public var unroll: UnrollRequest

    /// Creates a compiler with the command line's options.
    public init(weightsRoot: String? = nil, unroll: UnrollRequest = .auto) {
        self.weightsRoot = weightsRoot
        self.unroll = unroll
    }

    /// A spec taken all the way to its plan.
    public struct Compiled: Sendable {
        public var spec: LayerSpec
        public var plan: LayerPlan
        /// Notes and warnings found on the way (training-only keys, ignored initializers).
        public var notes: [Diagnostic]
        /// The spec file and every weight file read, for `--depfile`.
        public var dependencies: [String]
    }

    /// Reads and compiles the spec at `file`.
    /// - Throws: `DiagnosticError` with every error found.
    public func compile(file: String) throws(DiagnosticError) -> Compiled {
        try compile(file: file, root: Self.parse(file))
    }

    /// Compiles `contents`, the text of the spec at `file` (weight paths are relative to its folder).
    public func compile(file: String, contents: [UInt8]) throws(DiagnosticError) -> Compiled {
        try compile(file: file, root: YAMLParser.parse(contents, file: file))
    }

    /// The node tree of the spec file `file`, read and parsed once for
    /// whichever compiler its top-level keys call for.
    public static func parse(_ file: String) throws(DiagnosticError) -> Node {
        try YAMLParser.parse(read(file), file: file)
    }

    /// Compiles `root`, the parsed spec at `file` (weight paths are relative to its folder).
    public func compile(file: String, root: Node) throws(DiagnosticError) -> Compiled {
        if TFLiteSource.applies(to: root) {
            return try compile(TFLiteSource.decode(root, file: file, weightsRoot: weightsRoot))
        }
        let model = try ModelSource.resolve(root, file: file, weightsRoot: weightsRoot)
        let decoded = SpecDecoder.decodeReportingAll(model?.root ?? root, file: file)
        guard var spec = decoded.spec, !decoded.diagnostics.contains(where: { $0.severity == .error }) else {
            var diagnostics = decoded.diagnostics
            // The weight files the spec gives are still read, so that a bad one is
            // reported with the spec's own errors (a missing bias, say): every error at once.
            if model == nil, let spec = decoded.spec {
                diagnostics += WeightLoader(weightsRoot: weightsRoot).problems(with: decoded.givenWeights, of: spec)
            }
            throw DiagnosticError(diagnostics)
        }
        var notes = decoded.diagnostics
        do throws(DiagnosticError) {
            var provenance: String?
            if let model {
                // Described before `apply` folds the chain: what folds depends on the layer's own activation.
                provenance = model.provenance(activation: spec.activation)
                spec = try model.apply(to: spec)
                notes += model.fusedNote.map { [$0] } ?? []
            }
            let loaded = try WeightLoader(weightsRoot: weightsRoot).load(spec)
            var plan = Planner.plan(spec, weights: loaded.weights, unroll: unroll)
            if let provenance { plan.provenance = provenance }
            if let refusal = Planner.refusal(of: unroll, for: plan) {
                throw DiagnosticError([Diagnostic(.error, refusal, file: file, at: spec.mark("layer"))])
            }
            var warnings = notes + loaded.notes
            if unroll == .full {
                let largest = TargetLanguage.allCases.map { SourceEstimate.bytes(plan, $0) }.max() ?? 0
                if largest > SourceEstimate.fullUnrollWarningBytes {
                    warnings.append(Diagnostic(.warning, "--unroll full: the emitted source is about \(SourceEstimate.describe(largest)) "
                        + "(\(plan.multiplyAdds) multiply-adds in straight-line code); compilers may take minutes on it", file: file, at: spec.mark("layer")))
                }
            }
            return Compiled(spec: spec, plan: plan, notes: warnings, dependencies: [file] + (model.map { [$0.dependency] } ?? []) + loaded.files)
        } catch {
            throw DiagnosticError(notes + error.diagnostics)
        }
    }

    /// An int8 layer from a `.tflite` model: the plan gets the spec (its `quantization` set) and
    /// the real-valued weights that the int8 ones stand for.
    private func compile(_ source: TFLiteSource) throws(DiagnosticError) -> Compiled {
        let spec = source.spec
        let plan = Planner.plan(spec, weights: source.weights, unroll: unroll)
        if let refusal = Planner.refusal(of: unroll, for: plan) {
            throw DiagnosticError(source.notes + [Diagnostic(.error, refusal, file: spec.file, at: spec.mark("layer"))])
        }
        return Compiled(spec: spec, plan: plan, notes: source.notes, dependencies: [spec.file, source.dependency])
    }

    /// The bytes of a spec file, or a positioned error: only a regular file is
    /// read, and one over `Limits.maxSpecBytes` is refused before any of it is read.
    public static func read(_ file: String) throws(DiagnosticError) -> [UInt8] {
        do {
            return try BoundedFile.contents(of: file, limit: Limits.maxSpecBytes, noun: "specs")
        } catch {
            let message = error.message == "no such file" ? "no such spec file" : "cannot read the spec: \(error.message)"
            throw DiagnosticError([Diagnostic(.error, message, file: file.isEmpty ? "<empty path>" : file, at: .start)])
        }
    }
}
