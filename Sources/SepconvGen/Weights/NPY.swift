/// Reads and writes NumPy `.npy` files: format versions 1.0, 2.0 and 3.0,
/// little-endian `<f4` or `<f8`, C order.
public enum NPY {
    /// The element types sepconv-gen reads and writes.
    public enum ElementType: String, Sendable, Hashable {
        case float32 = "<f4"
        case float64 = "<f8"

        /// Bytes per value.
        public var size: Int { self == .float32 ? 4 : 8 }
    }

    /// Why a file is not an `.npy` sepconv-gen can read.
    public struct FormatError: Error, Hashable, Sendable {
        /// What is wrong, in words.
        public var message: String
    }

    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Parses an `.npy` file.
    /// - Returns: the tensor and the element type it was stored as.
    public static func read(_ bytes: [UInt8]) throws(FormatError) -> (tensor: Tensor, type: ElementType) {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw FormatError(message: "not a NumPy .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw FormatError(message: "the .npy header is truncated") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw FormatError(message: "unsupported .npy format version \(major).\(bytes[7]); versions 1.0, 2.0 and 3.0 are read")
        }
        guard headerLength <= bytes.count - headerStart else { throw FormatError(message: "the .npy header is truncated") }
        let headerBytes = bytes[headerStart ..< headerStart + headerLength]
        guard major == 3 || headerBytes.allSatisfy({ $0 < 0x80 }), let header = String(validating: headerBytes, as: UTF8.self) else {
            throw FormatError(message: "the .npy header is not \(major == 3 ? "UTF-8" : "ASCII") text")
        }
        let fields = try HeaderParser.parse(header)
        guard let descr = fields.descr else { throw FormatError(message: "the .npy header has no 'descr'") }
        guard let type = ElementType(rawValue: descr) else {
            let hint = descr.hasPrefix(">") ? " (big-endian; save it little-endian, e.g. arr.astype('<f4'))" : ""
            throw FormatError(message: "the .npy dtype is '\(Identifier.printable(descr))'; only little-endian float32 '<f4' and float64 '<f8' are read\(hint)")
        }
        guard let fortran = fields.fortranOrder else { throw FormatError(message: "the .npy header has no 'fortran_order'") }
        guard !fortran else {
            throw FormatError(message: "the .npy array is in Fortran order; save it in C order (np.ascontiguousarray)")
        }
        guard let shape = fields.shape else { throw FormatError(message: "the .npy header has no 'shape'") }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= Limits.maxWeightFileBytes else {
                throw FormatError(message: "the .npy shape \(Tensor.describe(shape)) is too large")
            }
            count = product
        }
        let dataStart = headerStart + headerLength
        let expected = count * type.size
        guard bytes.count - dataStart == expected else {
            throw FormatError(message: "the .npy data holds \(bytes.count - dataStart) bytes; shape \(Tensor.describe(shape)) of \(descr) needs \(expected)")
        }
        var scalars = [Double]()
        scalars.reserveCapacity(count)
        bytes.withUnsafeBytes { raw in
            for index in 0..<count {
                let offset = dataStart + index * type.size
                switch type {
                case .float32:
                    scalars.append(Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))))
                case .float64:
                    scalars.append(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                }
            }
        }
        return (Tensor(shape: shape, scalars: scalars), type)
    }

    /// Serialises `tensor` as a version 1.0 `.npy` file of `type`
    /// (values are rounded to `Float` for `.float32`).
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
            }
        }
        return bytes
    }
}
