/// Every layer of a Keras model config, nested models flattened, with the
/// data flow between them: what feeds each layer and what it feeds.
///
/// Models nested in models (Sequential or Functional, at any depth) are
/// walked through: a layer feeding a nested model feeds the layers that read
/// that model's input, and the layers producing a nested model's output feed
/// whatever the nested model feeds.
struct ModelGraph {
    /// One layer that is not itself a model.
    struct Layer {
        var name: String
        var className: String
        /// The layer's `config` mapping.
        var config: JSONValue
        /// `build_config.input_shape` (batch axis included), where Keras 3 records it.
        var buildInputShape: JSONValue?
        /// The shape of the tensor its first call reads, where the config records it (Keras 3 `__keras_tensor__`).
        var inboundShape: JSONValue?
        /// Where Keras 3 keeps its variables: `layers/sequential/layers/separable_conv1d`.
        var keras3Path: String
        /// The group under `model_weights` of a legacy `.h5` that holds its weights: the top-level layer's name.
        var legacyGroup: String
        /// The names of the models it sits in, outermost first, then its own (`block/inner_sep`).
        var location: String
        /// The layers whose outputs it reads (`InputLayer`s excluded).
        var producers: [Int] = []
        /// The layers reading its output.
        var consumers: [Int] = []
        /// Whether its output is (also) an output of the whole model.
        var isModelOutput = false
        /// How many times the model calls it (a shared layer is called more than once).
        var calls = 0
        /// The `InputLayer` it reads, if any (for the input shape of tf.keras 2 files).
        var inputLayer: Int?
    }

    private(set) var layers: [Layer] = []

    /// A layer or a nested model inside a model.
    private indirect enum Entry {
        case layer(Int)
        case model(Container)
    }

    /// A Sequential or Functional model: its entries by name and how they connect.
    private struct Container {
        var isSequential: Bool
        var entries: [Entry] = []
        var names: [String] = []
        /// Per entry: every tensor it reads (name, tensor index), over all its calls.
        var inbound: [[(String, Int)]] = []
        var calls: [Int] = []
        var inputs: [(String, Int)] = []
        var outputs: [(String, Int)] = []
    }

    /// Builds the graph of the model config `model` (`{"class_name": ..., "config": ...}`).
    /// - Throws: `ModelError` (naming `file`) when the config is not a Sequential or Functional model Keras could load.
    init(model: JSONValue, file: String) throws(ModelError) {
        guard let className = model["class_name"]?.string, Self.isModel(className) else {
            let name = model["class_name"]?.string ?? "?"
            throw ModelError("\(file): the model is a '\(Identifier.printable(name))'; only Sequential and Functional models can be read")
        }
        var builder = Builder(file: file)
        let top = try builder.container(model, path: "", legacyGroup: nil, location: "", depth: 0)
        layers = builder.layers
        try connect(top)
        for index in outputs(of: top) {
            layers[index].isModelOutput = true
        }
    }

    static func isModel(_ className: String) -> Bool {
        ["Sequential", "Functional", "Model"].contains(className)
    }

    // MARK: - Reading the config

    private struct Builder {
        let file: String
        var layers: [Layer] = []

        func fail(_ what: String) -> ModelError {
            ModelError("\(file): the model config is damaged: \(what)")
        }

        mutating func container(_ entry: JSONValue, path: String, legacyGroup: String?, location: String,
                                depth: Int) throws(ModelError) -> Container {
            guard depth <= ModelLimits.maxConfigDepth else { throw fail("models nest deeper than \(ModelLimits.maxConfigDepth)") }
            let className = entry["class_name"]?.string ?? ""
            guard let config = entry["config"], let items = config["layers"]?.array else {
                throw fail("model '\(Identifier.printable(className))' has no layer list")
            }
            var model = Container(isSequential: className == "Sequential")
            var used: [String: Int] = [:]
            for item in items {
                guard let itemClass = item["class_name"]?.string, let itemConfig = item["config"] else {
                    throw fail("a layer without class_name or config")
                }
                guard layers.count < ModelLimits.maxLayers else { throw fail("more than \(ModelLimits.maxLayers) layers") }
                let name = item["name"]?.string ?? itemConfig["name"]?.string ?? ""
                let isInput = itemClass == "InputLayer"
                // Sequential.layers leaves out the InputLayer; Functional.layers keeps it.
                let key = model.isSequential && isInput ? nil : KerasName.unique(KerasName.snakeCase(itemClass), &used)
                let itemPath = key.map { path.isEmpty ? "layers/\($0)" : "\(path)/layers/\($0)" } ?? ""
                let group = legacyGroup ?? name
                let itemLocation = location.isEmpty ? name : "\(location)/\(name)"
                if ModelGraph.isModel(itemClass) {
                    let nested = try container(item, path: itemPath, legacyGroup: group, location: itemLocation, depth: depth + 1)
                    model.entries.append(.model(nested))
                } else {
                    layers.append(Layer(name: name, className: itemClass, config: itemConfig,
                                        buildInputShape: item["build_config"]?["input_shape"],
                                        inboundShape: item["inbound_nodes"]?.array?.first.flatMap(Self.firstTensorShape),
                                        keras3Path: itemPath, legacyGroup: group, location: itemLocation))
                    model.entries.append(.layer(layers.count - 1))
                }
                model.names.append(name)
                let nodes = item["inbound_nodes"]?.array ?? []
                model.calls.append(nodes.count)
                model.inbound.append(nodes.flatMap(Self.tensorReferences))
            }
            if !model.isSequential {
                model.inputs = Self.references(config["input_layers"])
                model.outputs = Self.references(config["output_layers"])
            }
            return model
        }

        /// The `shape` of the first `__keras_tensor__` in a call's arguments.
        static func firstTensorShape(_ node: JSONValue) -> JSONValue? {
            switch node {
            case .object(let members):
                if members["class_name"]?.string == "__keras_tensor__" { return members["config"]?["shape"] }
                for key in ["args", "kwargs"] {
                    if let shape = members[key].flatMap(firstTensorShape) { return shape }
                }
                return nil
            case .array(let items):
                for item in items {
                    if let shape = firstTensorShape(item) { return shape }
                }
                return nil
            default:
                return nil
            }
        }

        /// `[name, node, tensor]` or a list of them (`input_layers`, `output_layers`).
        static func references(_ value: JSONValue?) -> [(String, Int)] {
            guard let items = value?.array else { return [] }
            if let name = items.first?.string { return [(name, items.count > 2 ? items[2].int ?? 0 : 0)] }
            return items.flatMap { references($0) }
        }

        /// The tensors one call reads: Keras 3 `__keras_tensor__` mappings anywhere in its
        /// args and kwargs, or tf.keras 2's `[name, node, tensor, kwargs]` lists.
        static func tensorReferences(_ node: JSONValue) -> [(String, Int)] {
            switch node {
            case .object(let members):
                if members["class_name"]?.string == "__keras_tensor__", let history = members["config"]?["keras_history"]?.array,
                   let name = history.first?.string {
                    return [(name, history.count > 2 ? history[2].int ?? 0 : 0)]
                }
                return members.keys.sorted().flatMap { tensorReferences(members[$0] ?? .null) }
            case .array(let items):
                if let name = items.first?.string, items.count >= 3, items[1].int != nil, items[2].int != nil {
                    return [(name, items[2].int ?? 0)]
                }
                return items.flatMap(tensorReferences)
            default:
                return []
            }
        }
    }

    // MARK: - Data flow

    private mutating func connect(_ container: Container) throws(ModelError) {
        if container.isSequential {
            var previous: Entry?
            for entry in container.entries {
                if case .layer(let index) = entry, layers[index].className == "InputLayer" {
                    previous = entry
                    continue
                }
                if case .layer(let index) = entry { layers[index].calls = 1 }
                if let previous { link(previous, tensor: 0, to: entry) }
                previous = entry
            }
        } else {
            for (position, entry) in container.entries.enumerated() {
                if case .layer(let index) = entry { layers[index].calls = container.calls[position] }
                for (name, tensor) in container.inbound[position] {
                    guard let source = container.names.firstIndex(of: name) else { continue }
                    link(container.entries[source], tensor: tensor, to: entry)
                }
            }
        }
        for case .model(let nested) in container.entries {
            try connect(nested)
        }
    }

    private mutating func link(_ source: Entry, tensor: Int, to destination: Entry) {
        let targets = inputs(of: destination)
        if case .layer(let index) = source, layers[index].className == "InputLayer" {
            for target in targets where layers[target].inputLayer == nil { layers[target].inputLayer = index }
            return
        }
        for producer in outputs(of: source, tensor: tensor) {
            for target in targets {
                layers[producer].consumers.append(target)
                layers[target].producers.append(producer)
            }
        }
    }

    /// The layers producing an entry's output `tensor` (a nested model's outputs resolved inside it).
    private func outputs(of entry: Entry, tensor: Int) -> [Int] {
        switch entry {
        case .layer(let index): return [index]
        case .model(let container):
            if container.isSequential {
                return container.entries.last.map { outputs(of: $0, tensor: 0) } ?? []
            }
            guard tensor < container.outputs.count else { return outputs(of: container) }
            return resolve(container.outputs[tensor], in: container)
        }
    }

    /// Every layer producing one of the model's outputs.
    private func outputs(of container: Container) -> [Int] {
        if container.isSequential {
            return container.entries.last.map { outputs(of: $0, tensor: 0) } ?? []
        }
        return container.outputs.flatMap { resolve($0, in: container) }
    }

    private func resolve(_ reference: (String, Int), in container: Container) -> [Int] {
        guard let position = container.names.firstIndex(of: reference.0) else { return [] }
        return outputs(of: container.entries[position], tensor: reference.1)
    }

    /// The layers reading an entry's input (a nested model's first layers resolved inside it).
    private func inputs(of entry: Entry) -> [Int] {
        switch entry {
        case .layer(let index): return [index]
        case .model(let container):
            if container.isSequential {
                guard let first = container.entries.first(where: {
                    if case .layer(let index) = $0 { return layers[index].className != "InputLayer" }
                    return true
                }) else { return [] }
                return inputs(of: first)
            }
            let inputNames = Set(container.inputs.map(\.0))
            var result: [Int] = []
            for (position, entry) in container.entries.enumerated()
            where container.inbound[position].contains(where: { inputNames.contains($0.0) }) {
                result += inputs(of: entry)
            }
            return result
        }
    }
}
