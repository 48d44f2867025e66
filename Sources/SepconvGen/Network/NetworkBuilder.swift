#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Turns the layers `first`...`last` of a Keras model into a `NetworkPlan`:
/// finds the chain in the model's graph (refusing forks, merges and shared
/// layers), plans each layer, and places the tensors in the workspace.
struct NetworkBuilder {
    /// The classes a network may hold, as the refusal lists them.
    static let supportedClasses = [
        "InputLayer", "SeparableConv1D", "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
        "Dense", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Flatten",
        "Reshape", "ZeroPadding1D",
    ] + convolutionClasses + removedClasses
    /// The classes that compute nothing at inference.
    static let removedClasses = ["Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "ActivityRegularization"]

    let reader: ModelReader
    /// The model file as the spec wrote it.
    let model: String
    /// The spec file, for the diagnostics of each SeparableConv1D's planning.
    let specFile: String
    /// The network's C identifier.
    let name: String
    /// Whether the network streams: each SeparableConv1D is planned with its streaming API.
    var streaming = false

    private var graph: ModelGraph { reader.graph }
    private var fileName: String { reader.file.name }

    /// The plan of the layers `first`...`last` (the model's own ends when nil).
    /// - Throws: `ModelError` naming the layer at fault, its class and its position.
    func plan(first: String?, last: String?) throws(ModelError) -> NetworkPlan {
        let chain = try self.chain(first: first, last: last)
        let dtype = try ModelReader.dtype(of: graph.layers[chain[0]], what: describe(chain[0]))
        var shape: [Int]
        if let recorded = recordedInputShape(chain[0]) {
            shape = recorded
        } else if let producer = graph.layers[chain[0]].producers.first, first != nil {
            // Legacy .h5 files record only the model's input shape: plan the layers before `first` for it.
            shape = try plan(first: nil, last: graph.layers[producer].name).outputShape
        } else {
            throw ModelError("\(fileName) records no input shape for \(describe(chain[0]))")
        }
        try Self.checkShape(shape, what: "the input of \(describe(chain[0]))")
        // `shape` is the current tensor as the plan holds it, `layout` how that relates to Keras's shape.
        var layout = TensorLayout.keras
        var steps: [NetworkStep] = []
        var removed: [String] = []
        var position = 0
        while position < chain.count {
            let index = chain[position]
            let layer = graph.layers[index]
            if Self.removedClasses.contains(layer.className) {
                removed.append(layer.name)
                position += 1
                continue
            }
            let layerType = try ModelReader.dtype(of: layer, what: describe(index))
            guard layerType == dtype else {
                throw ModelError("\(describe(index)) computes in \(layerType.rawValue) but the network's first layer in \(dtype.rawValue); a network has one dtype")
            }
            // The layout the layer reads its input in: its own, or for a layer that works in either,
            // that of the next layer that does not (so a transpose comes as early as it can).
            var wanted: TensorLayout?
            for next in chain[position...] where !Self.removedClasses.contains(graph.layers[next].className) {
                wanted = try layoutRead(next, rank: shape.count)
                if wanted != nil { break }
            }
            // A SeparableConv1D is planned first: one whose activation acts along its steps keeps its own
            // channels_first kernel, which reads and writes Keras's order.
            var separableStep: (step: NetworkStep, consumed: Int, native: Bool)?
            if layer.className == "SeparableConv1D" {
                let channelsFirst = try dataFormat(index) == .channelsFirst
                let ownOrder = shape.count != 2 || (layout == .stepsMajor) == channelsFirst
                separableStep = try separable(index, rest: Array(chain[position...]), input: ownOrder ? shape : shape.reversed())
                if separableStep?.native == true { wanted = .keras }
            }
            if let wanted, wanted != layout {
                steps.append(transpose(shape, to: wanted, for: index))
                shape = steps[steps.count - 1].outputShape
                layout = wanted
            }
            var planned: [NetworkStep]
            var consumed = 1
            var alongSteps: Activation?
            if let separableStep {
                planned = [separableStep.step]
                consumed = separableStep.consumed
            } else if Self.convolutionClasses.contains(layer.className) {
                (planned, alongSteps) = try convolution(index, layer: layer, input: shape, dtype: dtype, what: describe(index),
                                                        position: modelPosition(index))
            } else {
                planned = [try simple(index, input: shape, layout: layout, dtype: dtype)]
            }
            let written = separableStep?.native == true ? .keras : layoutWritten(index, read: layout)
            for (number, step) in planned.enumerated() {
                planned[number].outputLayout = step.outputShape.count == 2 ? written : .keras
            }
            for step in planned {
                try Self.checkShape(step.outputShape, what: "the output of \(describe(index))")
                steps.append(step)
                shape = step.outputShape
                layout = step.outputLayout
            }
            if let alongSteps {
                for step in activationAlongSteps(alongSteps, of: shape, for: index) {
                    try Self.checkShape(step.outputShape, what: "the output of \(describe(index))")
                    steps.append(step)
                    shape = step.outputShape
                    layout = step.outputLayout
                }
            }
            position += consumed
        }
        if layout == .stepsMajor, let index = chain.last {
            // The network gives its output in Keras's order.
            steps.append(transpose(shape, to: .keras, for: index))
        }
        if steps.isEmpty, let index = chain.first {
            // Only dropout layers: the network copies its input.
            steps.append(NetworkStep(layers: [graph.layers[index].name], className: graph.layers[index].className,
                                     position: modelPosition(index), operation: .reshape, inputShape: shape,
                                     outputShape: shape, multiplyAdds: 0, weightBytes: 0))
        }
        return NetworkPlan(name: name, dtype: dtype, model: model, steps: steps,
                           workspace: WorkspacePlanner.plan(steps), removed: removed, streaming: streaming)
    }

    // MARK: - The chain

    /// The model's layers (InputLayer excluded) in the config's order.
    private var ordered: [Int] { graph.layers.indices.filter { graph.layers[$0].className != "InputLayer" } }

    /// 1-based, InputLayer excluded: the position messages name.
    private func modelPosition(_ index: Int) -> Int { (ordered.firstIndex(of: index) ?? 0) + 1 }

    private func describe(_ index: Int) -> String {
        let layer = graph.layers[index]
        return "layer '\(Identifier.printable(layer.name))' (\(Identifier.printable(layer.className)), position \(modelPosition(index)))"
    }

    private func find(_ name: String, role: String) throws(ModelError) -> Int {
        let matches = ordered.filter { graph.layers[$0].name == name }
        guard let match = matches.first else {
            let names = ordered.map { Identifier.printable(graph.layers[$0].name) }.joined(separator: ", ")
            throw ModelError("'\(role)' names '\(Identifier.printable(name))', which is not a layer of \(fileName) (it has: \(names))")
        }
        guard matches.count == 1 else {
            throw ModelError("\(fileName) has \(matches.count) layers named '\(Identifier.printable(name))'; '\(role)' is ambiguous")
        }
        return match
    }

    /// The layer indices first...last, each the only reader of the one before.
    private func chain(first: String?, last: String?) throws(ModelError) -> [Int] {
        let start: Int
        if let first {
            start = try find(first, role: "first")
        } else {
            let roots = ordered.filter { graph.layers[$0].producers.isEmpty }
            guard roots.count == 1, let root = roots.first else {
                throw ModelError("\(fileName) has \(roots.count) layers reading the model's inputs; a network is a chain with one input")
            }
            start = root
        }
        let end = try last.map { name throws(ModelError) in try find(name, role: "last") }
        var chain = [start]
        var current = start
        while current != end {
            let layer = graph.layers[current]
            guard layer.calls <= 1 else {
                throw ModelError("\(describe(current)) is called \(layer.calls) times (a shared layer); a network is a chain of layers called once")
            }
            if layer.consumers.isEmpty {
                guard end == nil else {
                    throw ModelError("'last' names \(describe(end ?? current)), which does not follow \(describe(start)) in the chain")
                }
                break
            }
            guard layer.consumers.count == 1, !layer.isModelOutput, let next = layer.consumers.first else {
                let readers = layer.consumers.map { describe($0) }.joined(separator: ", ")
                throw ModelError("\(describe(current)) feeds \(layer.consumers.count + (layer.isModelOutput ? 1 : 0)) readers (\(readers)\(layer.isModelOutput ? ", the model's output" : "")): a fork; a network must be a chain")
            }
            guard graph.layers[next].producers == [current] else {
                throw ModelError("\(describe(next)) reads \(graph.layers[next].producers.count) tensors (a merge); a network must be a chain")
            }
            // A damaged config can link layers in a cycle: a chain never holds a layer twice.
            guard !chain.contains(next) else {
                throw ModelError("\(describe(next)) is reached twice: the model's layers form a cycle")
            }
            chain.append(next)
            current = next
        }
        for index in chain where !Self.supportedClasses.contains(graph.layers[index].className) || ModelGraph.isModel(graph.layers[index].className) {
            throw ModelError("\(describe(index)) cannot be part of a network; supported classes: \(Self.supportedClasses.joined(separator: ", "))")
        }
        return chain
    }

    /// The shape (batch axis dropped) of the tensor the layer reads, as the model records it.
    private func recordedInputShape(_ index: Int) -> [Int]? {
        let layer = graph.layers[index]
        var shape = (layer.buildInputShape ?? layer.inboundShape)?.array
        if shape == nil, let input = layer.inputLayer.map({ graph.layers[$0].config }) {
            shape = (input["batch_shape"] ?? input["batch_input_shape"])?.array
        }
        guard let shape, shape.count >= 2 else { return nil }
        let dimensions = shape.dropFirst().compactMap(\.int)
        guard dimensions.count == shape.count - 1, dimensions.allSatisfy({ $0 > 0 }) else { return nil }
        return dimensions
    }

    // MARK: - Layouts

    /// The classes that take a `data_format` and read and write (steps, channels) sequences.
    static let sequenceClasses = ["SeparableConv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
                                  "ZeroPadding1D"] + convolutionClasses

    /// The layout a layer reads a tensor of `rank` axes in, or nil when it works in either (elementwise) or
    /// the tensor is not a sequence: channels_first sequence layers read it steps-major, and so does a
    /// BatchNormalization over axis 1; layers along Keras's last axis (Dense, a Softmax, Reshape) need Keras's order.
    private func layoutRead(_ index: Int, rank: Int) throws(ModelError) -> TensorLayout? {
        guard rank == 2 else { return nil }
        let layer = graph.layers[index]
        let config = layer.config
        switch layer.className {
        case let name where name == "Flatten" || Self.sequenceClasses.contains(name):
            return try dataFormat(index) == .channelsFirst ? .stepsMajor : .keras
        case "BatchNormalization":
            let axis = Self.integer(config["axis"])
            return axis == 1 || axis == -2 ? .stepsMajor : .keras
        case "Softmax" where isChannelSoftmax(layer):
            return .stepsMajor
        case "Activation", "Softmax":
            switch ModelReader.activationLayer(layer) {
            case .softmax: return .keras
            case .named(let function) where function.isRowWise: return .keras
            default: return nil
            }
        case "Dense", "Reshape":
            return .keras
        default:
            return nil
        }
    }

    /// Whether the layer is a `Softmax` over axis 1 of a sequence: the channels of a channels_first tensor,
    /// which its steps-major layout puts last.
    private func isChannelSoftmax(_ layer: ModelGraph.Layer) -> Bool {
        guard layer.className == "Softmax", let axis = Self.integer(layer.config["axis"]) else { return false }
        return axis == 1 || axis == -2
    }

    /// The layout of what a layer writes (a sequence): its data_format's for sequence layers,
    /// Keras's order for Dense, Flatten and Reshape, its input's for the others.
    private func layoutWritten(_ index: Int, read: TensorLayout) -> TensorLayout {
        switch graph.layers[index].className {
        case "Dense", "Flatten", "Reshape":
            .keras
        case _ where Self.sequenceClasses.contains(graph.layers[index].className):
            graph.layers[index].config["data_format"]?.string == DataFormat.channelsFirst.rawValue ? .stepsMajor : .keras
        default:
            read
        }
    }

    /// The layer's `data_format` (channels_last when it names none).
    func dataFormat(_ index: Int) throws(ModelError) -> DataFormat {
        guard let value = graph.layers[index].config["data_format"] else { return .channelsLast }
        guard let name = value.string, let format = DataFormat(rawValue: name) else {
            throw ModelError("\(describe(index)) has an invalid data_format; Keras takes channels_last and channels_first")
        }
        return format
    }

    /// A planned transpose of the (rows, columns) tensor before layer `index` reads it (or after the last layer).
    private func transpose(_ shape: [Int], to layout: TensorLayout, for index: Int) -> NetworkStep {
        NetworkStep(layers: [graph.layers[index].name], className: "Transpose", position: modelPosition(index), operation: .transpose,
                    inputShape: shape, outputShape: shape.reversed(), outputLayout: layout, multiplyAdds: 0, weightBytes: 0)
    }

    /// Layer `index`'s row-wise `activation` on its channels_first output, held steps-major as `shape`:
    /// a transpose to Keras's (channels, steps), then the activation along that last axis, as Keras applies it.
    private func activationAlongSteps(_ activation: Activation, of shape: [Int], for index: Int) -> [NetworkStep] {
        let keras = transpose(shape, to: .keras, for: index)
        let rows = keras.outputShape
        let layer = graph.layers[index]
        let step = NetworkStep(layers: [layer.name], className: layer.className, position: modelPosition(index),
                               operation: .activation(.named(activation)), inputShape: rows,
                               outputShape: rows.dropLast() + [activation.outputLength(forLastAxis: rows.last ?? 1)],
                               multiplyAdds: 0, weightBytes: 0)
        return [keras, step]
    }

    // MARK: - SeparableConv1D

    /// A SeparableConv1D, planned as a `from: {model, layer, fuse}` spec's is (`KerasSource`), on `input` (steps, channels),
    /// its followers fused when they lie inside the range; returns the step, how many chain layers it took,
    /// and whether it is `native`: channels_first with an activation along its steps, computed by the
    /// layer's own channels_first kernel on Keras's order (its step's shapes are Keras's then).
    private func separable(_ index: Int, rest: [Int], input: [Int]) throws(ModelError) -> (step: NetworkStep, consumed: Int, native: Bool) {
        let layer = graph.layers[index]
        guard input.count == 2 else {
            throw ModelError("\(describe(index)): it reads a tensor of shape \(Tensor.describe(input)); it needs (steps, channels)")
        }
        let withChain = try? reader.layer(named: layer.name, fuse: true)
        let fused = withChain?.chain.layerNames ?? []
        let names = rest.map { graph.layers[$0].name }
        // Fuse only when the folded layers are exactly the next ones in the range.
        let fuse = !fused.isEmpty && names.count > fused.count && Array(names[1...fused.count]) == fused
        // Unfused, the layer is the same read without its chain; read again only when the chain could not be.
        var imported: ImportedLayer
        if let withChain {
            imported = withChain
            if !fuse { imported.chain = FusedChain() }
        } else {
            imported = try reader.layer(named: layer.name, fuse: false)
        }
        let compiled: SpecCompiler.Compiled
        do throws(DiagnosticError) {
            let source = try KerasSource.layer(imported, model: model, name: "\(name)_l\(modelPosition(index))", input: (input[0], input[1]),
                                               streaming: streaming, file: specFile, at: .start, marks: [:])
            compiled = try SpecCompiler().compile(source)
        } catch {
            let reason = error.diagnostics.first { $0.severity == .error }?.message ?? "it cannot be planned"
            throw ModelError("\(describe(index)): \(reason)")
        }
        var plan = compiled.plan
        let native = plan.dataFormat == .channelsFirst && ([plan.activation] + plan.epilogue.compactMap(\.activation)).contains(where: \.isRowWise)
        if plan.dataFormat == .channelsFirst, !native {
            // The network holds a channels_first sequence steps-major: the same layer planned channels_last computes it.
            var spec = compiled.spec
            spec.dataFormat = .channelsLast
            let provenance = plan.provenance
            plan = Planner.plan(spec, weights: plan.weights)
            plan.provenance = provenance
        }
        guard input == [plan.inputSteps, plan.inputChannels] else {
            throw ModelError("\(describe(index)) takes \(Tensor.describe([plan.inputSteps, plan.inputChannels])) but the layer before it gives \(Tensor.describe(input))")
        }
        let output = [plan.outputSteps, plan.outputChannels]
        let step = NetworkStep(layers: [layer.name] + (fuse ? fused : []), className: layer.className, position: modelPosition(index),
                               operation: .separable(plan), inputShape: native ? input.reversed() : input,
                               outputShape: native ? output.reversed() : output,
                               multiplyAdds: plan.multiplyAdds, weightBytes: plan.footprint.weightBytes)
        return (step, 1 + (fuse ? fused.count : 0), native)
    }

    // MARK: - The other layers

    private func simple(_ index: Int, input: [Int], layout: TensorLayout, dtype: DType) throws(ModelError) -> NetworkStep {
        let layer = graph.layers[index]
        let config = layer.config
        let what = describe(index)
        let bytes = dtype.format.bytes
        let size = input.reduce(1, *)
        var step = NetworkStep(layers: [layer.name], className: layer.className, position: modelPosition(index),
                               operation: .reshape, inputShape: input, outputShape: input, multiplyAdds: 0, weightBytes: 0)
        func sequence() throws(ModelError) -> (steps: Int, channels: Int) {
            guard input.count == 2 else {
                throw ModelError("\(what) reads a tensor of shape \(Tensor.describe(input)); it needs (steps, channels)")
            }
            return (input[0], input[1])
        }
        switch layer.className {
        case "Dense":
            guard let units = config["units"]?.int, units > 0, let inputs = input.last else { throw ModelError("\(what) has no valid 'units'") }
            let activationName = config["activation"]?.string ?? config["activation"]?["config"]?.string ?? "linear"
            guard let activation = Activation.named(activationName) else {
                throw ModelError("\(what) has activation '\(Identifier.printable(activationName))', which sepconv-gen does not know")
            }
            let useBias = config["use_bias"]?.bool ?? true
            let tensors = try reader.read(["kernel"] + (useBias ? ["bias"] : []), of: layer, what: what)
            guard tensors[0].shape == [inputs, units], !useBias || tensors[1].shape == [units] else {
                throw ModelError("\(what): its weights do not fit an input of shape \(Tensor.describe(input)) and \(units) units")
            }
            try Self.checkFinite(tensors, what: what)
            let rows = size / inputs
            step.operation = .dense(kernel: tensors[0].scalars, inputs: inputs, units: units,
                                    bias: useBias ? tensors[1].scalars : nil, activation: activation)
            let last = activation.outputLength(forLastAxis: units)
            step.outputShape = Array(input.dropLast()) + [last]
            step.multiplyAdds = rows * inputs * units
            step.weightBytes = (inputs * units + (useBias ? units : 0)) * bytes
        case "BatchNormalization":
            guard let channels = input.last else { throw ModelError("\(what) reads an empty shape") }
            // A steps-major tensor's last axis is Keras's axis 1, which the layout was chosen for; so is
            // a vector's only axis (channels_first models write axis=1 after global pooling and Dense too).
            let vectorAxis1 = input.count == 1 && Self.integer(config["axis"]) == 1
            let format: DataFormat = layout == .stepsMajor || vectorAxis1 ? .channelsFirst : .channelsLast
            guard let batchNorm = try reader.batchNorm(layer, dataFormat: format, filters: channels),
                  input.count >= 1 else {
                throw ModelError("\(what) normalises over an axis networks do not take: the last, or axis 1 of a sequence")
            }
            let (scale, shift) = batchNorm.affine(dtype)
            step.operation = .batchNorm(scale: scale, shift: shift)
            step.multiplyAdds = size
            step.weightBytes = 2 * channels * bytes
        case "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax":
            let channelSoftmax: FusedChain.ActivationLayer? = isChannelSoftmax(layer) && layout == .stepsMajor && input.count == 2 ? .softmax : nil
            guard let activation = ModelReader.activationLayer(layer) ?? channelSoftmax else {
                throw ModelError("\(what): its arguments are not supported (an unknown activation, or Softmax on an axis other than the last or a sequence's axis 1)")
            }
            step.operation = .activation(activation)
            if case .named(let function) = activation, let last = input.last {
                step.outputShape = Array(input.dropLast()) + [function.outputLength(forLastAxis: last)]
            }
        case "MaxPooling1D", "AveragePooling1D":
            let (steps, channels) = try sequence()
            guard let poolSize = Self.integer(config["pool_size"]), poolSize > 0 else { throw ModelError("\(what) has no valid pool_size") }
            let stride = Self.integer(config["strides"]) ?? poolSize
            guard (1...Limits.maxExtent).contains(stride), poolSize <= Limits.maxExtent else {
                throw ModelError("\(what) has pool_size \(poolSize) and strides \(stride); each must be between 1 and \(Limits.maxExtent)")
            }
            let same = config["padding"]?.string?.lowercased() == "same"
            let outputSteps = same ? (steps + stride - 1) / stride : (steps - poolSize) / stride + 1
            guard outputSteps > 0, same || steps >= poolSize else {
                throw ModelError("\(what): pool_size \(poolSize) is longer than its \(steps) input steps")
            }
            let padLeft = same ? max((outputSteps - 1) * stride + poolSize - steps, 0) / 2 : 0
            let kind: PoolKind = layer.className == "MaxPooling1D" ? .max : .average
            step.operation = .pool(kind, size: poolSize, stride: stride, padLeft: padLeft, same: same)
            step.outputShape = [outputSteps, channels]
            step.multiplyAdds = kind == .average ? outputSteps * channels * poolSize : 0
        case "GlobalAveragePooling1D", "GlobalMaxPooling1D":
            let (steps, channels) = try sequence()
            let kind: PoolKind = layer.className == "GlobalMaxPooling1D" ? .max : .average
            step.operation = .globalPool(kind)
            step.outputShape = config["keepdims"]?.bool == true ? [1, channels] : [channels]
            step.multiplyAdds = kind == .average ? steps * channels : 0
        case "ZeroPadding1D":
            let (steps, channels) = try sequence()
            let padding = config["padding"]
            let pair = padding?.array?.compactMap(\.int) ?? padding?.int.map { [$0, $0] } ?? [1, 1]
            guard pair.count == 2, pair.allSatisfy({ (0...Limits.maxExtent).contains($0) }) else { throw ModelError("\(what) has an invalid padding") }
            step.operation = .zeroPad(left: pair[0], right: pair[1])
            step.outputShape = [steps + pair[0] + pair[1], channels]
        case "Flatten":
            // channels_first on a sequence: Keras moves the channels last first, which the steps-major layout has done.
            if config["data_format"]?.string == DataFormat.channelsFirst.rawValue, input.count > 2 {
                throw ModelError("\(what) is channels_first on a tensor of shape \(Tensor.describe(input)); networks flatten channels_first sequences only")
            }
            step.outputShape = [size]
        case "Reshape":
            guard let target = config["target_shape"]?.array?.compactMap(\.int), !target.isEmpty,
                  target.count == config["target_shape"]?.array?.count else {
                throw ModelError("\(what) has no valid target_shape")
            }
            step.outputShape = try Self.reshaped(target, size: size, what: what)
        default:
            throw ModelError("\(what) cannot be part of a network; supported classes: \(Self.supportedClasses.joined(separator: ", "))")
        }
        return step
    }

    /// Refuses a shape with an extent outside 1...`Limits.maxExtent` or more than
    /// `Limits.maxActivationValues` values (so no size arithmetic can overflow).
    static func checkShape(_ shape: [Int], what: String) throws(ModelError) {
        var size = 1
        for extent in shape {
            guard (1...Limits.maxExtent).contains(extent) else {
                throw ModelError("\(what) has shape \(Tensor.describe(shape)); each extent must be between 1 and \(Limits.maxExtent)")
            }
            size *= extent
            guard size <= Limits.maxActivationValues else {
                throw ModelError("\(what) has shape \(Tensor.describe(shape)), more than \(Limits.maxActivationValues) values per item")
            }
        }
    }

    /// An integer or a one-element list of one (Keras tuples).
    static func integer(_ value: JSONValue?) -> Int? {
        value?.int ?? (value?.array?.count == 1 ? value?.array?.first?.int : nil)
    }

    private static func checkFinite(_ tensors: [Tensor], what: String) throws(ModelError) {
        guard tensors.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else { throw ModelError("\(what): a weight holds a NaN or an infinity") }
    }

    /// `target` (one dimension may be -1) for `size` values.
    private static func reshaped(_ target: [Int], size: Int, what: String) throws(ModelError) -> [Int] {
        let known = target.filter { $0 != -1 }
        let free = target.count - known.count
        guard known.allSatisfy({ (1...Limits.maxExtent).contains($0) }), free <= 1 else { throw ModelError("\(what) has an invalid target_shape") }
        try checkShape(known, what: "the target_shape of \(what)")
        let product = known.reduce(1, *)
        if free == 1 {
            guard size % product == 0 else { throw ModelError("\(what) cannot reshape \(size) values to \(Tensor.describe(target))") }
            return target.map { $0 == -1 ? size / product : $0 }
        }
        guard product == size else { throw ModelError("\(what) cannot reshape \(size) values to \(Tensor.describe(target))") }
        return target
    }
}
