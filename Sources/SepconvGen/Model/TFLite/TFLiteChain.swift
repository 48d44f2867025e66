/// One SeparableConv1D as the TFLite converter writes it (SPEC.md section 7):
/// `[PAD] [RESHAPE|EXPAND_DIMS] [PAD] [SPACE_TO_BATCH_ND] DEPTHWISE_CONV_2D
/// [BATCH_TO_SPACE_ND] [STRIDED_SLICE] CONV_2D [RESHAPE]`, the CONV_2D 1×1.
/// The pads are tf.keras 2's 'causal' pad, or the explicit pad Keras 3
/// writes before a dilated depthwise operator with strides (which the
/// STRIDED_SLICE then applies). Found by the shape of the graph alone, each
/// operator the only reader of the tensor before it; whether the chain's
/// types and geometry can be generated is `TFLiteLayerReader`'s to check.
struct TFLiteChain: Sendable {
    /// The chain's 0-based index in operator order (what `layer: N` selects).
    var index: Int
    var depthwise: Int
    var conv: Int
    /// `PAD`s of the steps axis, nearest the input first.
    var pads: [Int] = []
    /// `RESHAPE` or `EXPAND_DIMS` adding the unit spatial axis.
    var expand: Int?
    var spaceToBatch: Int?
    var batchToSpace: Int?
    var slice: Int?
    /// `RESHAPE` removing the unit spatial axis.
    var squeeze: Int?
    /// The layer's input tensor (the first chain operator's input).
    var input: Int
    /// The layer's output tensor.
    var output: Int

    /// The chain's operators, in operator order.
    var operators: [Int] {
        (pads + [expand, spaceToBatch, depthwise, batchToSpace, slice, conv, squeeze].compactMap { $0 }).sorted()
    }

    /// Finds every chain in `model`, in the order of their depthwise operators.
    static func find(in model: TFLiteModel) -> [TFLiteChain] {
        var producer: [Int: Int] = [:]
        var consumers: [Int: [Int]] = [:]
        for (index, op) in model.operators.enumerated() {
            for tensor in op.outputs where tensor >= 0 { producer[tensor] = index }
            for tensor in Set(op.inputs) where tensor >= 0 { consumers[tensor, default: []].append(index) }
        }
        let graphOutputs = Set(model.outputs)
        /// The operator that alone reads `tensor` (nil when several do or the graph returns it).
        func onlyConsumer(_ tensor: Int) -> Int? {
            guard let readers = consumers[tensor], readers.count == 1, !graphOutputs.contains(tensor) else { return nil }
            return readers[0]
        }
        func code(_ op: Int) -> Int? { model.operators[op].code }
        func firstInput(_ op: Int) -> Int? { model.operators[op].inputs.first.flatMap { $0 >= 0 ? $0 : nil } }
        func firstOutput(_ op: Int) -> Int? { model.operators[op].outputs.first }
        /// The operator after `op` when it alone reads `op`'s output and is of kind `wanted`.
        func next(_ op: Int, _ wanted: Int) -> Int? {
            guard let output = firstOutput(op), let reader = onlyConsumer(output), code(reader) == wanted,
                  firstInput(reader) == output else { return nil }
            return reader
        }

        var chains: [TFLiteChain] = []
        for (depthwise, op) in model.operators.enumerated() where op.code == TFLiteModel.Code.depthwiseConv2D {
            var last = depthwise
            let batchToSpace = next(last, TFLiteModel.Code.batchToSpace)
            last = batchToSpace ?? last
            let slice = next(last, TFLiteModel.Code.stridedSlice)
            last = slice ?? last
            guard let conv = next(last, TFLiteModel.Code.conv2D), model.operators[conv].inputs.count >= 2,
                  case let filter = model.operators[conv].inputs[1], filter >= 0,
                  model.tensors[filter].shape.count == 4, model.tensors[filter].shape[1] == 1, model.tensors[filter].shape[2] == 1,
                  var output = firstOutput(conv), var input = firstInput(depthwise) else { continue }
            var squeeze: Int?
            if let reader = next(conv, TFLiteModel.Code.reshape), let reshaped = firstOutput(reader),
               removesUnitAxis(model.tensors[output].shape, model.tensors[reshaped].shape) {
                squeeze = reader
                output = reshaped
            }
            var chain = TFLiteChain(index: chains.count, depthwise: depthwise, conv: conv, batchToSpace: batchToSpace,
                                    slice: slice, squeeze: squeeze, input: input, output: output)
            // Back from the depthwise operator through the slots of the grammar, in order, each optional.
            var reading = depthwise
            for slot in [[TFLiteModel.Code.spaceToBatch], [TFLiteModel.Code.pad],
                         [TFLiteModel.Code.reshape, TFLiteModel.Code.expandDims], [TFLiteModel.Code.pad]] {
                guard let before = producer[input], onlyConsumer(input) == reading, let source = firstInput(before),
                      let kind = code(before), slot.contains(kind) else { continue }
                switch kind {
                case TFLiteModel.Code.spaceToBatch:
                    chain.spaceToBatch = before
                case TFLiteModel.Code.pad:
                    guard padOfOneAxis(before, in: model) != nil else { continue }
                    chain.pads.insert(before, at: 0)
                default:
                    guard removesUnitAxis(model.tensors[input].shape, model.tensors[source].shape) else { continue }
                    chain.expand = before
                }
                (reading, input) = (before, source)
            }
            chain.input = input
            guard (chain.spaceToBatch == nil) == (batchToSpace == nil) else { continue }
            chains.append(chain)
        }
        return chains
    }

    /// Whether `smaller` is `larger` without one dimension of size 1 (a reshape that only adds or removes the unit axis).
    static func removesUnitAxis(_ larger: [Int], _ smaller: [Int]) -> Bool {
        guard larger.count == smaller.count + 1 else { return false }
        return larger.indices.contains { axis in larger[axis] == 1 && Array(larger[..<axis] + larger[(axis + 1)...]) == smaller }
    }

    /// The axis a `PAD` pads and its (before, after) pads, when it pads exactly one axis that is neither
    /// the batch nor the last (the channels) with constant zero points, else nil.
    static func padOfOneAxis(_ op: Int, in model: TFLiteModel) -> (axis: Int, before: Int, after: Int)? {
        let inputs = model.operators[op].inputs
        guard inputs.count == 2, inputs[1] >= 0, let pairs = constantInts(inputs[1], in: model),
              pairs.count % 2 == 0, pairs.allSatisfy({ $0 >= 0 }) else { return nil }
        let padded = stride(from: 0, to: pairs.count, by: 2).filter { pairs[$0] != 0 || pairs[$0 + 1] != 0 }
        guard padded.count == 1, let first = padded.first, first > 0, first / 2 < pairs.count / 2 - 1 else { return nil }
        return (first / 2, pairs[first], pairs[first + 1])
    }

    /// The values of a constant int32 or int64 tensor (at most 64, each within int32, so that sums of a
    /// few cannot overflow), else nil.
    static func constantInts(_ tensor: Int, in model: TFLiteModel) -> [Int]? {
        let data = model.data(of: tensor)
        let width: Int
        switch TFLiteModel.TensorType(rawValue: model.tensors[tensor].type) {
        case .int32?: width = 4
        case .int64?: width = 8
        default: return nil
        }
        guard let count = TFLiteModel.elementCount(model.tensors[tensor].shape, limit: 64), data.count == count * width else { return nil }
        let values = (0..<count).map { index in
            var value: UInt64 = 0
            for byte in (0..<width).reversed() { value = value << 8 | UInt64(data[data.startIndex + index * width + byte]) }
            return width == 4 ? Int(Int32(truncatingIfNeeded: value)) : Int(Int64(bitPattern: value))
        }
        return values.allSatisfy { Int(Int32.min)...Int(Int32.max) ~= $0 } ? values : nil
    }
}
