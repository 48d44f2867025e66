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
        try compile(file: file, contents: Self.read(file))
    }

    /// Compiles `contents`, the text of the spec at `file` (weight paths are relative to its folder).
    public func compile(file: String, contents: [UInt8]) throws(DiagnosticError) -> Compiled {
        let root = try YAMLParser.parse(contents, file: file)
        let model = try ModelSource.resolve(root, file: file, weightsRoot: weightsRoot)
        var (spec, notes) = try SpecDecoder.decode(model?.root ?? root, file: file)
        do throws(DiagnosticError) {
            var epilogue: [EpilogueStep] = []
            if let model {
                (spec, epilogue) = try model.apply(to: spec)
                notes += model.fusedNote.map { [$0] } ?? []
            }
            let loaded = try WeightLoader(weightsRoot: weightsRoot).load(spec)
            let plan = Planner.plan(spec, weights: loaded.weights, unroll: unroll, epilogue: epilogue)
            if unroll == .full, plan.multiplyAdds > Limits.maxFullUnrollMultiplyAdds {
                let message = "--unroll full: the layer needs \(plan.multiplyAdds) multiply-adds per item; "
                    + "straight-line code is limited to \(Limits.maxFullUnrollMultiplyAdds) (use --unroll auto or loops)"
                throw DiagnosticError([Diagnostic(.error, message, file: file, at: spec.mark("layer"))])
            }
            return Compiled(spec: spec, plan: plan, notes: notes, dependencies: [file] + (model.map { [$0.dependency] } ?? []) + loaded.files)
        } catch {
            throw DiagnosticError(notes + error.diagnostics)
        }
    }

    /// The bytes of a spec file, or a positioned error.
    public static func read(_ file: String) throws(DiagnosticError) -> [UInt8] {
        let fail = { (message: String) in
            DiagnosticError([Diagnostic(.error, message, file: file.isEmpty ? "<empty path>" : file, at: .start)])
        }
        guard !file.isEmpty else { throw fail("the spec path is empty") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { throw fail("no such spec file") }
        guard !isDirectory.boolValue else { throw fail("this is a folder, not a spec file") }
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size > Limits.maxSpecBytes {
            throw fail("the spec is \(size) bytes; specs over \(Limits.maxSpecBytes) bytes are refused")
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot read the spec file") }
        return [UInt8](data)
    }
}
