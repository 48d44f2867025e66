import CHDF5
import Synchronization

/// One HDF5 file opened read-only from bytes in memory (the core driver's
/// file image: nothing is written to disk). Owns the library's file handle
/// and closes it when released.
///
/// The serial HDF5 library is not thread-safe, so every call into it holds
/// one process-wide lock.
final class HDF5File {
    /// What a path in the file names.
    enum Kind {
        case missing, group, dataset, other
    }

    /// Held around every library call; counts the images opened, to name each one apart.
    private static let library = Mutex(0)

    private let handle: hid_t
    /// The file's name for messages.
    let name: String

    /// Opens `bytes` as an HDF5 file.
    /// - Throws: `ModelError` when they are not an HDF5 file the library can open.
    init(bytes: [UInt8], name: String) throws(ModelError) {
        guard bytes.starts(with: Self.signature) else {
            throw ModelError("\(name) is not an HDF5 file (no HDF5 signature)")
        }
        let handle = Self.library.withLock { opened in
            opened += 1
            let image = "sepconv-gen-image-\(opened)"
            return bytes.withUnsafeBytes { sepconv_h5_open_image($0.baseAddress, $0.count, image) }
        }
        guard handle >= 0 else { throw ModelError("\(name) is not a readable HDF5 file (truncated or damaged)") }
        self.handle = handle
        self.name = name
    }

    deinit {
        let handle = handle
        Self.library.withLock { _ in sepconv_h5_close(handle) }
    }

    /// The 8-byte signature every HDF5 file without a user block starts with.
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// What `path` (absolute) names.
    func kind(_ path: String) -> Kind {
        let kind = Self.library.withLock { _ in sepconv_h5_kind(handle, path) }
        switch Int(kind) {
        case SEPCONV_H5_GROUP: return .group
        case SEPCONV_H5_DATASET: return .dataset
        case SEPCONV_H5_MISSING: return .missing
        default: return .other
        }
    }

    /// The strings of attribute `attribute` of the object at `path`: nil when it is missing or not strings.
    /// - Throws: `ModelError` when the attribute is larger than `limit` bytes.
    func strings(_ attribute: String, of path: String, limit: Int = ModelLimits.maxConfigBytes) throws(ModelError) -> [String]? {
        var buffer: UnsafeMutablePointer<CChar>?
        var bytes = 0
        let count = Self.library.withLock { _ in
            sepconv_h5_string_attribute(handle, path, attribute, limit, &buffer, &bytes)
        }
        defer { free(buffer) }
        if count == -2 { throw ModelError("\(name): attribute '\(attribute)' of \(path) is larger than \(limit) bytes") }
        guard count >= 0, let buffer else { return nil }
        let raw = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: bytes)
        return raw.split(separator: 0, omittingEmptySubsequences: false).prefix(count).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The floating-point dataset at `path`, converted to `Double`.
    /// - Throws: `ModelError` when it is missing, not floating point, or over the size limits.
    func tensor(_ path: String) throws(ModelError) -> Tensor {
        guard kind(path) == .dataset else { throw ModelError("\(name) has no dataset \(path)") }
        var dims = [hsize_t](repeating: 0, count: ModelLimits.maxDatasetRank)
        let rank = Self.library.withLock { _ in
            sepconv_h5_dataset_shape(handle, path, &dims, Int32(ModelLimits.maxDatasetRank))
        }
        switch rank {
        case -2: throw ModelError("\(name): dataset \(path) does not hold floating-point values")
        case -3: throw ModelError("\(name): dataset \(path) has more than \(ModelLimits.maxDatasetRank) dimensions")
        case -4: throw ModelError("\(name): dataset \(path) is chunked or filtered; Keras weights are stored contiguously")
        case ..<0: throw ModelError("\(name): cannot read dataset \(path)")
        default: break
        }
        var count = 1
        var shape: [Int] = []
        for extent in dims.prefix(Int(rank)) {
            guard extent <= UInt64(ModelLimits.maxDatasetValues) else { count = .max; break }
            shape.append(Int(extent))
            count *= Int(extent)
            if count > ModelLimits.maxDatasetValues { break }
        }
        guard count <= ModelLimits.maxDatasetValues else {
            throw ModelError("\(name): dataset \(path) holds more than \(ModelLimits.maxDatasetValues) values")
        }
        var values = [Double](repeating: 0, count: count)
        let status = Self.library.withLock { _ in
            values.withUnsafeMutableBufferPointer { sepconv_h5_read_doubles(handle, path, $0.baseAddress) }
        }
        guard status == 0 else { throw ModelError("\(name): cannot read the values of dataset \(path) (damaged file)") }
        return Tensor(shape: shape, scalars: values)
    }

    /// The names of the links in the group at `path`, in name order (nil when it is not a group).
    func children(_ path: String) -> [String]? {
        Self.library.withLock { _ -> [String]? in
            let count = sepconv_h5_child_count(handle, path)
            guard count >= 0, count <= ModelLimits.maxLayers else { return nil }
            var names: [String] = []
            var buffer = [CChar](repeating: 0, count: 1024)
            for index in 0..<count {
                let length = sepconv_h5_child_name(handle, path, Int(index), &buffer, buffer.count)
                guard length >= 0, length < buffer.count else { return nil }
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }
}
