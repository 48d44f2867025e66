import Foundation
import KerasInitializers

/// Loads a spec's weights: `.npy` files (under the path rule), inline
/// values, or, when the spec gives none, Keras's initializers.
public struct WeightLoader: Sendable {
    /// A folder outside the spec's own that weight paths may reach (`--weights-root`).
    public var weightsRoot: String?

    /// Creates a loader; `weightsRoot` widens where weight files may live.
    public init(weightsRoot: String? = nil) {
        self.weightsRoot = weightsRoot
    }

    /// The result of loading: the weights and the files read (for `--depfile`).
    public struct Loaded: Sendable {
        public var weights: LayerWeights
        /// Every weight file read, as a path usable from the working directory.
        public var files: [String]
        /// Notes and warnings: where drawn weights came from, values that read as 0 in the layer's dtype.
        public var notes: [Diagnostic] = []
    }

    /// Loads and checks every weight of `spec`.
    /// - Throws: `DiagnosticError` with an error per bad tensor, naming it.
    public func load(_ spec: LayerSpec) throws(DiagnosticError) -> Loaded {
        var diagnostics = DiagnosticCollector(file: spec.file)
        let shapes = LayerWeights.shapes(of: spec)
        guard let sources = spec.weights else {
            return try initialize(spec, shapes: shapes)
        }
        var files: [String] = []
        let depthwise = tensor(sources.depthwiseKernel, "depthwise_kernel", shapes.depthwise, spec, &files, &diagnostics)
        let pointwise = tensor(sources.pointwiseKernel, "pointwise_kernel", shapes.pointwise, spec, &files, &diagnostics)
        let bias = sources.bias.flatMap { tensor($0, "bias", shapes.bias, spec, &files, &diagnostics) }
        guard !diagnostics.hasErrors, let depthwise, let pointwise, !spec.useBias || bias != nil else {
            throw DiagnosticError(diagnostics.diagnostics)
        }
        return Loaded(weights: LayerWeights(depthwiseKernel: depthwise, pointwiseKernel: pointwise, bias: bias), files: files,
                      notes: diagnostics.diagnostics)
    }

    /// What is wrong with the weights `given` (by key: `depthwise_kernel`,
    /// `pointwise_kernel`, `bias`) of a spec that has errors of its own (a
    /// weight missing, say), so that a bad weight file is reported with them:
    /// every error at once. Only the layer's shape of `spec` is used.
    func problems(with given: [String: WeightSource], of spec: LayerSpec) -> [Diagnostic] {
        var diagnostics = DiagnosticCollector(file: spec.file)
        var files: [String] = []
        let shapes = LayerWeights.shapes(of: spec)
        for (key, shape) in [("depthwise_kernel", shapes.depthwise), ("pointwise_kernel", shapes.pointwise), ("bias", shapes.bias)] {
            guard let source = given[key] else { continue }
            _ = tensor(source, key, shape, spec, &files, &diagnostics)
        }
        return diagnostics.diagnostics
    }

    /// One weight, read (a file) and checked; nil after recording why not.
    private func tensor(_ source: WeightSource, _ name: String, _ shape: [Int], _ spec: LayerSpec,
                        _ files: inout [String], _ diagnostics: inout DiagnosticCollector) -> Tensor? {
        let raw: Tensor
        switch source {
        case .inline(let values, _):
            raw = values
        case .file(let path, let mark):
            guard let (tensor, file) = readFile(path, name: name, shape: shape, spec: spec, at: mark, &diagnostics) else { return nil }
            files.append(file)
            raw = tensor
        }
        return check(raw, name: name, shape: shape, dtype: spec.dtype, at: source.mark, &diagnostics)
    }

    /// Checks shape and values, rounding to the layer's dtype.
    private func check(_ tensor: Tensor, name: String, shape: [Int], dtype: DType, at mark: Mark,
                       _ diagnostics: inout DiagnosticCollector) -> Tensor? {
        guard tensor.shape == shape else {
            diagnostics.error("\(name) has shape \(tensor.shapeDescription) but the layer needs \(Tensor.describe(shape))", at: mark)
            return nil
        }
        var rounded = tensor
        var flushed: Int?
        for (index, value) in tensor.scalars.enumerated() {
            let stored = dtype.format.round(value)
            if stored == 0, value != 0, flushed == nil { flushed = index }
            guard stored.isFinite else {
                let what = value.isNaN ? "NaN" : value.isFinite ? "\(value), which overflows float32" : "an infinity"
                diagnostics.error("\(name) holds \(what) at flat index \(index): weights must be finite", at: mark)
                return nil
            }
            rounded.scalars[index] = stored
        }
        if let flushed {
            diagnostics.warning("\(name) holds \(tensor.scalars[flushed]) at flat index \(flushed), below the smallest float32: it reads as 0", at: mark)
        }
        return rounded
    }

    /// Reads a `.npy` weight file under the path rule of SPEC.md §1.
    private func readFile(_ path: String, name: String, shape: [Int], spec: LayerSpec, at mark: Mark,
                          _ diagnostics: inout DiagnosticCollector) -> (Tensor, String)? {
        let located: PathRule.Located
        switch PathRule.locate(path, specFile: spec.file, weightsRoot: weightsRoot) {
        case .success(let file):
            located = file
        case .failure(let error):
            diagnostics.error("\(name): \(error.message)", at: mark)
            return nil
        }
        let joined = located.joined
        do {
            let (tensor, _) = try NPY.read(file: located.resolved, limit: Limits.maxWeightFileBytes, noun: "weight files") { header throws(NPY.FormatError) in
                guard header.shape == shape else {
                    throw NPY.FormatError(message: "has shape \(Tensor.describe(header.shape)) but the layer needs \(Tensor.describe(shape))")
                }
                // int8 is for the inputs and outputs of int8 layers (whose weights come from the model); a float layer's weights are floats.
                guard header.type != .int8 else {
                    throw NPY.FormatError(message: "the .npy dtype is int8 '|i1'; weights are little-endian float32 '<f4' or float64 '<f8'")
                }
            }
            return (tensor, joined)
        } catch {
            diagnostics.error("\(name): '\(Identifier.printable(path))': \(error.message)", at: mark)
            return nil
        }
    }

    /// Weights from the spec's initializers, as Keras draws them.
    private func initialize(_ spec: LayerSpec, shapes: (depthwise: [Int], pointwise: [Int], bias: [Int])) throws(DiagnosticError) -> Loaded {
        var diagnostics = DiagnosticCollector(file: spec.file)
        func sample(_ initializer: Initializer, _ key: String, _ shape: [Int]) -> Tensor? {
            do {
                let values = try initializer.sample(shape: shape, singlePrecision: spec.dtype == .float32, defaultSeed: spec.seed,
                                                       limit: Limits.maxParameters)
                return Tensor(shape: shape, scalars: values)
            } catch {
                diagnostics.error("\(key): \(error.message)", at: spec.mark("layer.\(key)"))
                return nil
            }
        }
        let depthwise = sample(spec.depthwiseInitializer, "depthwise_initializer", shapes.depthwise)
        let pointwise = sample(spec.pointwiseInitializer, "pointwise_initializer", shapes.pointwise)
        let bias = spec.useBias ? sample(spec.biasInitializer, "bias_initializer", shapes.bias) : nil
        guard let depthwise, let pointwise, !spec.useBias || bias != nil else { throw DiagnosticError(diagnostics.diagnostics) }
        return Loaded(weights: LayerWeights(depthwiseKernel: depthwise, pointwiseKernel: pointwise, bias: bias), files: [],
                      notes: [spec.drawnWeightsNote])
    }
}
