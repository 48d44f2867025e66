/// The part of a TensorFlow Lite model (`tensorflow/lite/schema/schema.fbs`)
/// that a SeparableConv1D chain needs: the operator codes, the first
/// subgraph's tensors and operators, and the buffers. Field indices are the
/// schema's declaration order (a union takes two: its type, then its value).
struct TFLiteModel {
    /// `TensorType`, with the names the messages use.
    enum TensorType: Int, Sendable {
        case float32 = 0, float16, int32, uint8, int64, string, bool, int16, complex64, int8, float64

        var name: String { String(describing: self) }

        /// The name of a type code, known or not.
        static func describe(_ code: Int) -> String {
            TensorType(rawValue: code)?.name ?? "type \(code)"
        }
    }

    /// `QuantizationParameters`.
    struct Quantization: Hashable, Sendable {
        var scale: [Float]
        var zeroPoint: [Int64]
        var quantizedDimension: Int
    }

    struct Tensor: Sendable {
        var shape: [Int]
        /// `shape_signature`: -1 marks a dynamic dimension (the batch of a model without `batch_size`).
        var shapeSignature: [Int]?
        /// The `TensorType` code (kept raw: an unknown type is refused where it matters, with its number).
        var type: Int
        var buffer: Int
        var name: String
        var quantization: Quantization?

        var typeName: String { TensorType.describe(type) }
    }

    /// The options of the operators a chain is made of.
    enum Options: Sendable {
        case none
        /// `Conv2DOptions` and `DepthwiseConv2DOptions` (depth multiplier 0 for a convolution).
        case convolution(Convolution)
        /// `StridedSliceOptions`: begin, end, ellipsis, new-axis and shrink-axis masks, and `offset`.
        case stridedSlice(beginMask: Int, endMask: Int, otherMasks: [Int], offset: Bool)
        /// Any other options table.
        case other(type: Int)
    }

    struct Convolution: Sendable {
        /// `Padding`: SAME = 0, VALID = 1.
        var padding: Int
        var strideW: Int, strideH: Int
        var depthMultiplier: Int
        /// `ActivationFunctionType`.
        var activation: Int
        var dilationW: Int, dilationH: Int
    }

    struct Operator: Sendable {
        /// The builtin operator code, or nil for a custom operator.
        var code: Int?
        /// What messages call the operator (`CONV_2D`, `CUSTOM 'name'`).
        var kind: String
        /// Tensor indices; -1 is an omitted optional input (outputs are all valid indices).
        var inputs: [Int]
        var outputs: [Int]
        var options: Options
    }

    /// BuiltinOperator codes the chain finder uses.
    enum Code {
        static let conv2D = 3, depthwiseConv2D = 4, pad = 34, reshape = 22, expandDims = 70,
                   batchToSpace = 37, spaceToBatch = 38, stridedSlice = 45, quantize = 114
    }

    var version: Int
    var tensors: [Tensor]
    var operators: [Operator]
    var inputs: [Int]
    var outputs: [Int]
    /// Each buffer's bytes in the file (empty for none).
    var buffers: [Range<Int>]
    /// Subgraphs besides the first (control flow bodies); their operators are not searched.
    var otherSubgraphs: Int
    let file: FlatBuffer

    /// Most tensors, operators, buffers and operator codes read, and most dimensions of a tensor.
    static let maxItems = 1 << 20
    static let maxRank = 8

    /// Reads the model in `bytes`.
    /// - Throws: `FlatBufferError` when the bytes are not a TFLite flatbuffer this reader can follow.
    init(bytes: [UInt8]) throws(FlatBufferError) {
        file = FlatBuffer(bytes: bytes)
        guard bytes.count >= 8 else { throw FlatBufferError("the file has \(bytes.count) bytes, too few for a flatbuffer") }
        guard file.identifier == "TFL3" else {
            throw FlatBufferError("its file identifier is not TFL3 (bytes 4-7)")
        }
        let model = try file.root()
        version = Int(try model.uint32(0, default: 0))
        let limit = Self.maxItems
        let codes = try (model.vector(1, elementSize: 4, limit: limit)?.tables() ?? []).map { (code) throws(FlatBufferError) -> (Int?, String) in
            // `deprecated_builtin_code` (an int8) holds codes below 127; newer codes sit in `builtin_code`,
            // and the larger of the two is the operator (the schema's own rule).
            let deprecated = Int(Int8(bitPattern: try code.uint8(0, default: 0)))
            let builtin = Int(try code.int32(3, default: 0))
            let value = max(deprecated, builtin)
            if value == 32 {
                let name = try code.string(1) ?? ""
                return (nil, "CUSTOM '\(Identifier.printable(name))'")
            }
            return (value, TFLiteOperatorNames.name(of: value))
        }
        let subgraphs = try model.vector(2, elementSize: 4, limit: limit)?.tables() ?? []
        guard let graph = subgraphs.first else { throw FlatBufferError("it has no subgraph") }
        otherSubgraphs = subgraphs.count - 1
        buffers = try (model.vector(4, elementSize: 4, limit: limit)?.tables() ?? []).enumerated().map { (index, buffer) throws(FlatBufferError) in
            // Models over 2 GB keep buffer data after the flatbuffer, at `offset` (field 1) for `size` bytes (field 2).
            if try buffer.uint64(1, default: 0) > 1 {
                throw FlatBufferError("buffer \(index) lies outside the flatbuffer (the form of models over 2 GB), which is not supported")
            }
            return try buffer.vector(0, elementSize: 1, limit: Int(UInt32.max))?.range ?? 0..<0
        }
        tensors = try (graph.vector(0, elementSize: 4, limit: limit)?.tables() ?? []).map(Self.tensor)
        inputs = try graph.vector(1, elementSize: 4, limit: limit)?.int32s() ?? []
        outputs = try graph.vector(2, elementSize: 4, limit: limit)?.int32s() ?? []
        let tensorCount = tensors.count
        operators = try (graph.vector(3, elementSize: 4, limit: limit)?.tables() ?? []).enumerated().map { (index, table) throws(FlatBufferError) in
            let opcode = Int(try table.uint32(0, default: 0))
            guard opcode < codes.count else {
                throw FlatBufferError("operator \(index) has opcode index \(opcode) but the model has \(codes.count) operator codes")
            }
            let inputs = try table.vector(1, elementSize: 4, limit: limit)?.int32s() ?? []
            let outputs = try table.vector(2, elementSize: 4, limit: limit)?.int32s() ?? []
            // -1 marks an omitted optional input; an output is never omitted.
            for tensor in inputs + outputs where tensor < (outputs.contains(tensor) ? 0 : -1) || tensor >= tensorCount {
                throw FlatBufferError("operator \(index) names tensor \(tensor) but the subgraph has \(tensorCount)")
            }
            return Operator(code: codes[opcode].0, kind: codes[opcode].1, inputs: inputs, outputs: outputs,
                            options: try Self.options(table))
        }
        for tensor in inputs + outputs where tensor < 0 || tensor >= tensorCount {
            throw FlatBufferError("the subgraph's inputs or outputs name tensor \(tensor) but it has \(tensorCount)")
        }
        for (index, tensor) in tensors.enumerated() where tensor.buffer >= buffers.count && tensor.buffer != 0 {
            throw FlatBufferError("tensor \(index) names buffer \(tensor.buffer) but the model has \(buffers.count)")
        }
    }

    private static func tensor(_ table: FlatTable) throws(FlatBufferError) -> Tensor {
        let shape = try table.vector(0, elementSize: 4, limit: maxRank)?.int32s() ?? []
        let quantization = try table.table(4).map { (parameters) throws(FlatBufferError) in
            Quantization(scale: try parameters.vector(2, elementSize: 4, limit: maxItems)?.float32s() ?? [],
                         zeroPoint: try parameters.vector(3, elementSize: 8, limit: maxItems)?.int64s() ?? [],
                         quantizedDimension: Int(try parameters.int32(6, default: 0)))
        }
        return Tensor(shape: shape, shapeSignature: try table.vector(7, elementSize: 4, limit: maxRank)?.int32s(),
                      type: Int(Int8(bitPattern: try table.uint8(1, default: 0))), buffer: Int(try table.uint32(2, default: 0)),
                      name: try table.string(3) ?? "", quantization: quantization)
    }

    /// The `builtin_options` union (fields 3 and 4): union types 1, 2 and 32 are `Conv2DOptions`,
    /// `DepthwiseConv2DOptions` and `StridedSliceOptions`.
    private static func options(_ table: FlatTable) throws(FlatBufferError) -> Options {
        guard let (type, options) = try table.union(3) else { return .none }
        switch type {
        case 1:
            return .convolution(Convolution(
                padding: Int(try options.uint8(0, default: 0)), strideW: Int(try options.int32(1, default: 0)),
                strideH: Int(try options.int32(2, default: 0)), depthMultiplier: 0,
                activation: Int(try options.uint8(3, default: 0)),
                dilationW: Int(try options.int32(4, default: 1)), dilationH: Int(try options.int32(5, default: 1))))
        case 2:
            return .convolution(Convolution(
                padding: Int(try options.uint8(0, default: 0)), strideW: Int(try options.int32(1, default: 0)),
                strideH: Int(try options.int32(2, default: 0)), depthMultiplier: Int(try options.int32(3, default: 0)),
                activation: Int(try options.uint8(4, default: 0)),
                dilationW: Int(try options.int32(5, default: 1)), dilationH: Int(try options.int32(6, default: 1))))
        case 32:
            return .stridedSlice(beginMask: Int(try options.int32(0, default: 0)), endMask: Int(try options.int32(1, default: 0)),
                                 otherMasks: [try options.int32(2, default: 0), try options.int32(3, default: 0),
                                              try options.int32(4, default: 0)].map(Int.init),
                                 offset: try options.uint8(5, default: 0) != 0)
        default:
            return .other(type: Int(type))
        }
    }

    /// The bytes of tensor `index`'s buffer (empty when it has none).
    func data(of index: Int) -> ArraySlice<UInt8> {
        let buffer = tensors[index].buffer
        guard buffer < buffers.count else { return [] }
        return file.bytes[buffers[buffer]]
    }

    /// The product of `shape`, or nil when a dimension is negative or the product passes `limit`.
    static func elementCount(_ shape: [Int], limit: Int) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= limit else { return nil }
            count = product
        }
        return count
    }
}
