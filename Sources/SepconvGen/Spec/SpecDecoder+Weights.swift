extension SpecDecoder {
    /// The shape Keras gives each weight, by key (`layer.get_weights()` shapes).
    static func weightShapes(kernel: Int, channels: Int, depthMultiplier: Int, filters: Int) -> [String: [Int]] {
        ["depthwise_kernel": [kernel, channels, depthMultiplier], "pointwise_kernel": [1, channels * depthMultiplier, filters], "bias": [filters]]
    }

    /// `weights`: where each tensor comes from. An inline list is checked
    /// against `shapes` (when the layer's shape is known) before its values
    /// are read; files are checked when they are loaded.
    mutating func decodeWeights(_ node: Node, useBias: Bool, shapes: [String: [Int]]?) -> WeightSources? {
        guard let mapping = reader.mapping(node, path: "weights", known: Self.weightKeys) else { return nil }
        var sources: [String: WeightSource] = [:]
        for key in Self.weightKeys {
            guard let value = value(mapping, key, path: "weights.\(key)") else { continue }
            if key == "bias", !useBias {
                diagnostics.error("a bias is given but the layer has use_bias: false", at: value.mark)
                continue
            }
            if let source = weightSource(value, path: "weights.\(key)", shape: shapes?[key]) { sources[key] = source }
        }
        givenWeights = sources
        var complete = true
        for key in Self.weightKeys where mapping[key] == nil && (key != "bias" || useBias) {
            missing("weights.\(key)", "missing 'weights.\(key)': give every weight, or leave 'weights' out to use the initializers", at: mapping.mark)
            complete = false
        }
        guard complete, let depthwise = sources["depthwise_kernel"], let pointwise = sources["pointwise_kernel"] else { return nil }
        let bias = sources["bias"]
        guard !useBias || bias != nil else { return nil }
        return WeightSources(depthwiseKernel: depthwise, pointwiseKernel: pointwise, bias: bias)
    }

    private mutating func weightSource(_ node: Node, path: String, shape: [Int]?) -> WeightSource? {
        switch node {
        case .scalar(let scalar):
            guard case .string(let text) = scalar.resolved, !text.isEmpty else {
                diagnostics.error("'\(path)' must be a path to a .npy file or a nested list of numbers, not \(node.kindDescription)", at: node.mark)
                return nil
            }
            guard !text.unicodeScalars.contains("\0") else {
                diagnostics.error("'\(path)': the path '\(Identifier.printable(text))' holds a NUL byte, which no file name can", at: node.mark)
                return nil
            }
            return .file(path: text, mark: node.mark)
        case .sequence:
            return inlineTensor(node, path: path, expected: shape).map { .inline($0, mark: node.mark) }
        case .mapping:
            diagnostics.error("'\(path)' must be a path to a .npy file or a nested list of numbers, not a mapping", at: node.mark)
            return nil
        }
    }

    /// A rectangular nested list of finite numbers, as a tensor. When the
    /// layer's shape for it is `expected`, a list nested otherwise is refused
    /// before a value is read (a list of 10^7 numbers costs nothing more than its first few).
    private mutating func inlineTensor(_ node: Node, path: String, expected: [Int]?) -> Tensor? {
        var shape: [Int] = []
        var probe = node
        while case .sequence(let sequence) = probe {
            shape.append(sequence.items.count)
            guard let first = sequence.items.first else { break }
            probe = first
        }
        if let expected, shape != expected {
            let name = path.split(separator: ".").last.map(String.init) ?? path
            diagnostics.error("\(name) has shape \(Tensor.describe(shape)) but the layer needs \(Tensor.describe(expected))", at: node.mark)
            return nil
        }
        var scalars: [Double] = []
        var ok = true
        func walk(_ node: Node, depth: Int) {
            guard ok else { return }
            if depth == shape.count {
                guard case .scalar(let scalar) = node else {
                    diagnostics.error("'\(path)' is not rectangular: expected a number here, found \(node.kindDescription)", at: node.mark)
                    ok = false
                    return
                }
                switch scalar.resolved {
                case .int(let value): scalars.append(Double(value))
                case .float(let value) where value.isFinite:
                    if value == 0, scalar.text.prefix(while: { $0 != "e" && $0 != "E" }).contains(where: { ("1"..."9").contains($0) }) {
                        diagnostics.warning("'\(path)' holds \(Identifier.printable(scalar.text)), which is below the smallest float64 and reads as 0", at: node.mark)
                    }
                    scalars.append(value)
                case .float:
                    diagnostics.error("'\(path)' holds \(scalar.text): weights must be finite (no NaN or infinity)", at: node.mark)
                    ok = false
                default:
                    diagnostics.error(NodeReader.ambiguous(node, path: path)
                        ?? "'\(path)' holds \(node.kindDescription)\(NodeReader.quoted(node)) where a number belongs", at: node.mark)
                    ok = false
                }
                return
            }
            guard case .sequence(let sequence) = node, sequence.items.count == shape[depth] else {
                diagnostics.error("'\(path)' is not rectangular: expected a list of \(shape[depth]) here", at: node.mark)
                ok = false
                return
            }
            for item in sequence.items { walk(item, depth: depth + 1) }
        }
        walk(node, depth: 0)
        guard ok else { return nil }
        return Tensor(shape: shape, scalars: scalars)
    }
}
