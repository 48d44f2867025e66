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

    /// Compiles `root`, the parsed spec at `file` (weight paths are relative to its folder): the
    /// front end its keys call for (a `.tflite` or Keras model, a weights file, the spec alone)
    /// gives the `LayerSpec`, which is planned.
    public func compile(file: String, root: Node) throws(DiagnosticError) -> Compiled {
        if let header = ModelSpecHeader.read(root, file: file) {
            if TFLiteSource.applies(to: header) {
                let source = try TFLiteSource.decode(header, weightsRoot: weightsRoot)
                return try plan(source.spec, weights: source.weights, notes: source.notes, dependencies: [file, source.dependency])
            }
            return try compile(KerasSource.decode(header, weightsRoot: weightsRoot))
        }
        let weightsFile = try WeightsFileSource.resolve(root, file: file, weightsRoot: weightsRoot)
        let decoded = SpecDecoder.decodeReportingAll(root, file: file, weightsReadElsewhere: weightsFile != nil)
        guard var spec = decoded.spec, !decoded.diagnostics.contains(where: { $0.severity == .error }) else {
            var diagnostics = decoded.diagnostics
            // The weight files the spec gives are still read, so that a bad one is
            // reported with the spec's own errors (a missing bias, say): every error at once.
            if weightsFile == nil, let spec = decoded.spec {
                diagnostics += WeightLoader(weightsRoot: weightsRoot).problems(with: decoded.givenWeights, of: spec)
            }
            throw DiagnosticError(diagnostics)
        }
        let notes = decoded.diagnostics
        if let weightsFile {
            do throws(DiagnosticError) {
                spec = try weightsFile.apply(to: spec)
            } catch {
                throw DiagnosticError(notes + error.diagnostics)
            }
        }
        return try load(spec, notes: notes, provenance: weightsFile.map { "from " + $0.origin },
                        dependencies: [file] + (weightsFile.map { [$0.dependency] } ?? []))
    }

    /// A float SeparableConv1D taken from a Keras model (a `from:` spec, or a step of a network).
    func compile(_ source: KerasSource) throws(DiagnosticError) -> Compiled {
        try load(source.spec, notes: source.notes, provenance: source.provenance, dependencies: [source.spec.file, source.dependency])
    }

    /// Loads the weights `spec` names (drawing those it leaves to initializers) and plans it;
    /// an error comes after `notes`, as every error of `plan` does.
    private func load(_ spec: LayerSpec, notes: [Diagnostic], provenance: String?, dependencies: [String]) throws(DiagnosticError) -> Compiled {
        let loaded: WeightLoader.Loaded
        do throws(DiagnosticError) {
            loaded = try WeightLoader(weightsRoot: weightsRoot).load(spec)
        } catch {
            throw DiagnosticError(notes + error.diagnostics)
        }
        var compiled = try plan(spec, weights: loaded.weights, notes: notes + loaded.notes, dependencies: dependencies + loaded.files)
        if let provenance { compiled.plan.provenance = provenance }
        return compiled
    }

    /// Plans `spec` on `weights`; refuses an unroll request the plan cannot take, and warns of a large `full` source.
    private func plan(_ spec: LayerSpec, weights: LayerWeights, notes: [Diagnostic], dependencies: [String]) throws(DiagnosticError) -> Compiled {
        let plan = Planner.plan(spec, weights: weights, unroll: unroll)
        if let refusal = Planner.refusal(of: unroll, for: plan) {
            throw DiagnosticError(notes + [Diagnostic(.error, refusal, file: spec.file, at: spec.mark("layer"))])
        }
        var warnings = notes
        if unroll == .full {
            let largest = TargetLanguage.allCases.map { SourceEstimate.bytes(plan, $0) }.max() ?? 0
            if largest > SourceEstimate.fullUnrollWarningBytes {
                warnings.append(Diagnostic(.warning, "--unroll full: the emitted source is about \(SourceEstimate.describe(largest)) "
                    + "(\(plan.multiplyAdds) multiply-adds in straight-line code); compilers may take minutes on it", file: spec.file, at: spec.mark("layer")))
            }
        }
        return Compiled(spec: spec, plan: plan, notes: warnings, dependencies: dependencies)
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
