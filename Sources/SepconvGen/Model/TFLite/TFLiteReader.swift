/// Finds the SeparableConv1D chains of a `.tflite` model and reads one as an
/// int8 layer (SPEC.md section 7): its geometry and its `QuantizedLayer`.
public struct TFLiteReader: Sendable {
    let model: TFLiteModel
    let chains: [TFLiteChain]
    /// The model file as the user named it, for messages.
    public let file: String

    /// How a spec's `from.layer` picks a chain.
    public enum Selector: Hashable, Sendable {
        /// A Keras layer name, matched against the chain's tensor names.
        case name(String)
        /// The chain's 0-based index in operator order.
        case index(Int)
    }

    /// One chain as a layer: what `LayerSpec` takes from the model.
    public struct Layer: Sendable {
        /// The chain's index in operator order.
        public var index: Int
        /// The Keras layer name the chain's tensors carry, when one selects it alone.
        public var name: String?
        public var inputSteps: Int
        public var inputChannels: Int
        public var filters: Int
        public var kernelSize: Int
        public var strides: Int
        public var dilation: Int
        public var depthMultiplier: Int
        /// 'valid' for a causal chain (the pad is `quantization.leadingPad`).
        public var padding: Padding
        /// Whether the pointwise operator has a nonzero bias (the converter gives `use_bias=False` a zero one).
        public var useBias: Bool
        public var quantization: QuantizedLayer
    }

    /// Reads the model `bytes` of the file named `file`.
    /// - Throws: `ModelError` when it is not a TFLite flatbuffer this reader can follow.
    public init(bytes: [UInt8], name file: String) throws(ModelError) {
        guard bytes.count <= ModelLimits.maxFileBytes else {
            throw ModelError("\(file) is \(bytes.count) bytes; model files over \(ModelLimits.maxFileBytes) bytes are refused")
        }
        do {
            model = try TFLiteModel(bytes: bytes)
        } catch {
            throw ModelError("\(file) is not a valid TFLite model: \(error.message)")
        }
        self.file = file
        chains = TFLiteChain.find(in: model)
    }

    /// How many chains the model holds.
    public var chainCount: Int { chains.count }

    /// Each chain's Keras layer name, as its tensor names carry it (nil when they carry none); `selects`
    /// tells whether it picks the chain alone.
    public var chainNames: [String?] { chains.map(layerName) }

    /// Every operator outside the chains, as `import` names them: `operator 5 FULLY_CONNECTED`.
    public var unemittedOperators: [String] {
        let used = Set(chains.flatMap(\.operators))
        return model.operators.indices.filter { !used.contains($0) }.map { "operator \($0) \(model.operators[$0].kind)" }
    }

    /// The chain `selector` picks (the only one when nil), read as a layer.
    /// - Throws: `ModelError` naming the model, and the chains when the selector fits none or several.
    public func layer(_ selector: Selector?) throws(ModelError) -> Layer {
        let listing = "(it has: \(chains.isEmpty ? "none" : chains.map(describe).joined(separator: ", ")))"
        let chain: TFLiteChain
        switch selector {
        case nil:
            guard chains.count == 1 else {
                let others = model.otherSubgraphs > 0 ? "; only the main subgraph is searched" : ""
                throw ModelError(chains.isEmpty ? "\(file) holds no SeparableConv1D chain (DEPTHWISE_CONV_2D then a 1x1 CONV_2D)\(others)"
                                 : "\(file) has \(chains.count) SeparableConv1D chains; name one with 'layer' (a name or an index) \(listing)")
            }
            chain = chains[0]
        case .index(let index)?:
            guard chains.indices.contains(index) else {
                throw ModelError("\(file) has no SeparableConv1D chain \(index) \(listing)")
            }
            chain = chains[index]
        case .name(let name)?:
            let matches = select(name)
            guard let first = matches.first else {
                throw ModelError("no SeparableConv1D chain named '\(Identifier.printable(name))' in \(file) \(listing)")
            }
            guard matches.count == 1 else {
                throw ModelError("'\(Identifier.printable(name))' is ambiguous in \(file): it matches chains \(matches.map(describe).joined(separator: ", ")); select one by index")
            }
            chain = first
        }
        return try TFLiteLayerReader(model: model, chain: chain, file: file).read(name: layerName(chain))
    }

    // MARK: - Names

    /// The path components of the chain's tensor names (fused names join several with `;`),
    /// leaving out its input, which the layer before names.
    private func components(_ chain: TFLiteChain) -> Set<Substring> {
        var tensors: Set<Int> = []
        for op in chain.operators {
            tensors.formUnion(model.operators[op].outputs)
            tensors.formUnion(model.operators[op].inputs.filter { $0 >= 0 && !model.data(of: $0).isEmpty })
        }
        tensors.remove(chain.input)
        var result: Set<Substring> = []
        for tensor in tensors where tensor >= 0 {
            for piece in model.tensors[tensor].name.split(separator: ";") {
                result.formUnion(piece.split(separator: "/"))
            }
        }
        return result
    }

    /// Whether `component` is `name` plus `_` and digits (Keras 3's name-scope suffix).
    private static func isSuffixed(_ component: Substring, _ name: String) -> Bool {
        guard component.hasPrefix(name + "_") else { return false }
        let rest = component.dropFirst(name.count + 1)
        return !rest.isEmpty && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The chains `name` matches: a component equal to it, else one equal to it plus `_` and digits.
    private func select(_ name: String) -> [TFLiteChain] {
        chains.filter { chain in
            let parts = components(chain)
            return parts.contains(Substring(name)) || parts.contains { Self.isSuffixed($0, name) }
        }
    }

    /// The Keras layer name the chain's tensor names carry: the name scope of the depthwise operator's
    /// tensors (`model/layer/depthwise`, or `model/layer/separable_conv2d/depthwise`), the most common one,
    /// without Keras 3's `_N` suffix when every scope around it carries one too (Keras 3 suffixes each scope,
    /// tf.keras 2 none).
    private func layerName(_ chain: TFLiteChain) -> String? {
        var counts: [String: Int] = [:]
        var order: [String] = []
        let depthwise = model.operators[chain.depthwise]
        for tensor in depthwise.outputs + depthwise.inputs.dropFirst() where tensor >= 0 {
            for piece in model.tensors[tensor].name.split(separator: ";") {
                var scopes = piece.split(separator: "/").dropLast()
                if scopes.last == "separable_conv2d" { scopes = scopes.dropLast() }
                guard let layer = scopes.popLast() else { continue }
                let suffixed = { (part: Substring) in part.lastIndex(of: "_").map { Self.isSuffixed(part, String(part[..<$0])) } ?? false }
                let name = suffixed(layer) && !scopes.isEmpty && scopes.allSatisfy(suffixed)
                    ? String(layer[..<(layer.lastIndex(of: "_") ?? layer.endIndex)]) : String(layer)
                if counts[name] == nil { order.append(name) }
                counts[name, default: 0] += 1
            }
        }
        return order.max { counts[$0, default: 0] < counts[$1, default: 0] }
    }

    /// Whether `name` selects chain `index` and no other.
    public func selects(_ name: String, chain index: Int) -> Bool {
        select(name).map(\.index) == [index]
    }

    private func describe(_ chain: TFLiteChain) -> String {
        "\(chain.index) \(layerName(chain).map(Identifier.printable) ?? "(unnamed)")"
    }
}
