/// Reads and writes NumPy `.npy` files: format versions 1.0, 2.0 and 3.0,
/// little-endian `<f4` or `<f8`, or `|i1` (int8), C order.
public enum NPY {
    /// The element types sepconv-gen reads and writes.
    public enum ElementType: String, Sendable, Hashable {
        case float32 = "<f4"
        case float64 = "<f8"
        /// int8, the quantized layers' tensors (SPEC.md section 7).
        case int8 = "|i1"

        /// Bytes per value.
        public var size: Int {
            switch self {
            case .float32: 4
            case .float64: 8
            case .int8: 1
            }
        }
    }

    /// Why a file is not an `.npy` sepconv-gen can read.
    public struct FormatError: Error, Hashable, Sendable {
        /// What is wrong, in words.
        public var message: String

        /// Creates the error.
        public init(message: String) {
            self.message = message
        }
    }

    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// What an `.npy` header says: the element type, the shape, and where the data starts.
    public struct Header: Hashable, Sendable {
        /// The element type.
        public var type: ElementType
        /// The array's shape.
        public var shape: [Int]
        /// The byte offset of the first value.
        public var dataOffset: Int
        /// How many values the shape holds.
        public var count: Int
        /// How many bytes of data the header promises.
        public var dataBytes: Int { count * type.size }
    }

    /// Parses an `.npy` file.
    /// - Returns: the tensor and the element type it was stored as.
    public static func read(_ bytes: [UInt8]) throws(FormatError) -> (tensor: Tensor, type: ElementType) {
        let header = try header(bytes, maxDataBytes: Limits.maxWeightFileBytes)
        try checkDataSize(header, available: bytes.count - header.dataOffset)
        return (decode(header, bytes[header.dataOffset...]), header.type)
    }

    /// Reads the `.npy` file at `path` header first: the file is refused past
    /// `limit` bytes without being read, a data size that disagrees with the
    /// header (a truncated file, a tail of junk) is refused before the data is
    /// read, and `check` may refuse the header (a wrong shape) before the data is read.
    public static func read(file path: String, limit: Int, noun: String,
                            check: (Header) throws(FormatError) -> Void = { _ in }) throws(FormatError) -> (tensor: Tensor, type: ElementType) {
        let file = try io { () throws(BoundedFile.Failure) in try BoundedFile(path, limit: limit, noun: noun) }
        var prefix = try io { () throws(BoundedFile.Failure) in try file.read(count: min(file.size, 12)) }
        let length = try headerEnd(prefix)   // within the file, so within the limit
        guard length <= file.size else { throw FormatError(message: "the .npy header is truncated") }
        prefix += try io { () throws(BoundedFile.Failure) in try file.read(count: length - prefix.count) }
        let header = try header(prefix, maxDataBytes: limit)
        try checkDataSize(header, available: file.size - header.dataOffset)
        try check(header)
        let data = try io { () throws(BoundedFile.Failure) in try file.read(count: header.dataBytes) }
        guard data.count == header.dataBytes else { throw FormatError(message: "the .npy file shrank while it was read") }
        return (decode(header, data[...]), header.type)
    }

    /// `body`, with a file failure reported as a format error (both are "why this file cannot be read").
    private static func io<T>(_ body: () throws(BoundedFile.Failure) -> T) throws(FormatError) -> T {
        do {
            return try body()
        } catch {
            throw FormatError(message: error.message)
        }
    }

    /// Where the header ends (the data's offset), from the file's first 10 or 12 bytes.
    private static func headerEnd(_ bytes: [UInt8]) throws(FormatError) -> Int {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw FormatError(message: "not a NumPy .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        switch major {
        case 1:
            return 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
        case 2, 3:
            guard bytes.count >= 12 else { throw FormatError(message: "the .npy header is truncated") }
            return 12 + (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default:
            throw FormatError(message: "unsupported .npy format version \(major).\(bytes[7]); versions 1.0, 2.0 and 3.0 are read")
        }
    }

    /// Parses the header at the start of `bytes` (which may end anywhere after it).
    public static func header(_ bytes: [UInt8], maxDataBytes: Int) throws(FormatError) -> Header {
        let dataStart = try headerEnd(bytes)
        let headerStart = bytes[6] == 1 ? 10 : 12
        guard dataStart <= bytes.count else { throw FormatError(message: "the .npy header is truncated") }
        let major = bytes[6]
        let headerBytes = bytes[headerStart ..< dataStart]
        guard major == 3 || headerBytes.allSatisfy({ $0 < 0x80 }), let text = String(validating: headerBytes, as: UTF8.self) else {
            throw FormatError(message: "the .npy header is not \(major == 3 ? "UTF-8" : "ASCII") text")
        }
        let fields = try HeaderParser.parse(text)
        guard let descr = fields.descr else { throw FormatError(message: "the .npy header has no 'descr'") }
        guard let type = ElementType(rawValue: descr) else {
            let hint = descr.hasPrefix(">") ? " (big-endian; save it little-endian, e.g. arr.astype('<f4'))" : ""
            throw FormatError(message: "the .npy dtype is '\(Identifier.printable(descr))'; only little-endian float32 '<f4', float64 '<f8' and int8 '|i1' are read\(hint)")
        }
        guard let fortran = fields.fortranOrder else { throw FormatError(message: "the .npy header has no 'fortran_order'") }
        guard !fortran else {
            throw FormatError(message: "the .npy array is in Fortran order; save it in C order (np.ascontiguousarray)")
        }
        guard let shape = fields.shape else { throw FormatError(message: "the .npy header has no 'shape'") }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= maxDataBytes / type.size else {
                throw FormatError(message: "the .npy shape \(Tensor.describe(shape)) is too large")
            }
            count = product
        }
        return Header(type: type, shape: shape, dataOffset: dataStart, count: count)
    }

    private static func checkDataSize(_ header: Header, available: Int) throws(FormatError) {
        guard available == header.dataBytes else {
            throw FormatError(message: "the .npy data holds \(available) bytes; shape \(Tensor.describe(header.shape)) of \(header.type.rawValue) needs \(header.dataBytes)")
        }
    }

    /// The values of `data` (exactly `header.dataBytes` bytes) as a tensor.
    private static func decode(_ header: Header, _ data: ArraySlice<UInt8>) -> Tensor {
        var scalars = [Double]()
        scalars.reserveCapacity(header.count)
        data.withUnsafeBytes { raw in
            for index in 0..<header.count {
                let offset = index * header.type.size
                switch header.type {
                case .float32:
                    scalars.append(Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))))
                case .float64:
                    scalars.append(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                case .int8:
                    scalars.append(Double(raw.load(fromByteOffset: offset, as: Int8.self)))
                }
            }
        }
        return Tensor(shape: header.shape, scalars: scalars)
    }

    /// Serialises `tensor` as a version 1.0 `.npy` file of `type`
    /// (values are rounded to `Float` for `.float32`, to the nearest int8 for `.int8`).
    public static func write(_ tensor: Tensor, as type: ElementType) -> [UInt8] {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(type.rawValue)', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = header.utf8.count
        var bytes = magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
        bytes.reserveCapacity(bytes.count + tensor.scalars.count * type.size)
        for value in tensor.scalars {
            switch type {
            case .float32: withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { bytes += $0 }
            case .float64: withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            // The interpreter's int8 results are whole numbers in range; anything else saturates (NaN as 0).
            case .int8: bytes.append(UInt8(bitPattern: value.isNaN ? 0 : Int8(max(-128, min(127, value.rounded())))))
            }
        }
        return bytes
    }
}
