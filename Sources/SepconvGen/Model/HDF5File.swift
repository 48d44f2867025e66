import CHDF5
import Foundation

/// One HDF5 file, read whole by a child process of the tool into plain data:
/// its groups, its floating-point datasets and the string attributes a Keras
/// model keeps (`model_config`, `name`, `weight_names`).
///
/// libhdf5 crashes and hangs on crafted files, so it never runs in this process:
/// `Sources/CHDF5/snapshot.h` forks a child, with memory and time limits and no
/// system call that opens a file, that walks the file image and writes records to
/// a pipe. A dead, hung or greedy child is a `ModelError`. Links out of the file
/// (external and user-defined links), datasets whose values live elsewhere
/// (external raw storage, virtual datasets) refuse the whole file; soft and hard
/// links within it are followed here, over the recorded tree.
struct HDF5File: Sendable {
    /// What a path in the file names.
    enum Kind {
        case missing, group, dataset, other
    }

    private enum Object {
        case group, other
        case dataset(Tensor)
        /// A dataset whose values were not read, with the child's reason (`SEPCONV_SNAP_*`).
        case unreadDataset(Int)
    }

    private enum Attribute {
        case strings([String])
        /// Not read, with the child's reason and the item count when that was the reason.
        case failed(Int, count: Int32)
    }

    /// The file's name for messages.
    let name: String
    /// Its size, which sets the reading process's memory limit (for messages).
    private let fileBytes: Int
    /// Objects by the path they were first reached by (their canonical path).
    private var objects: [String: Object] = [:]
    /// The string attributes asked for, by canonical path, then name.
    private var attributes: [String: [String: Attribute]] = [:]
    /// Hard links: the object's file address, by link path; the first path of each address.
    private var addresses: [String: UInt64] = [:]
    private var firstPath: [UInt64: String] = [:]
    /// Soft links: the target path, by link path.
    private var softLinks: [String: String] = [:]
    /// The link names of each canonical group path, in name order.
    private var links: [String: [String]] = [:]

    /// The attributes the child reads (no other one is needed to read a Keras model).
    static let attributeNames = ["model_config", "name", "weight_names"]
    /// Most soft links followed resolving one path.
    static let maxSoftLinkHops = 16

    /// The 8-byte signature every HDF5 file without a user block starts with.
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Reads `bytes` as an HDF5 file, in a child process.
    /// - Throws: `ModelError` when they are not an HDF5 file, libhdf5 fails, crashes or
    ///   runs out of time or memory on them, or they point outside themselves.
    init(bytes: [UInt8], name: String) throws(ModelError) {
        guard bytes.starts(with: Self.signature) else {
            throw ModelError("\(name) is not an HDF5 file (no HDF5 signature)")
        }
        self.name = name
        fileBytes = bytes.count
        var records: [UInt8] = []
        var detail: Int32 = 0
        let result = Self.attributeNames.withCStrings { names in
            bytes.withUnsafeBytes { image -> Int32 in
                var output: UnsafeMutablePointer<UInt8>?
                var count = 0
                let result = sepconv_h5_snapshot(image.baseAddress, image.count, names, Int32(names.count),
                                                 ModelLimits.maxConfigBytes, ModelLimits.maxDatasetValues,
                                                 ModelLimits.maxHDF5RecordBytes, ModelLimits.hdf5ChildMemory(fileBytes: image.count),
                                                 UInt32(ModelLimits.hdf5ChildSeconds), &output, &count, &detail)
                if let output {
                    records = Array(UnsafeBufferPointer(start: output, count: count))
                    free(output)
                }
                return result
            }
        }
        switch Int(result) {
        case SEPCONV_SNAP_OK: break
        case SEPCONV_SNAP_SIGNAL where detail == SIGXCPU || detail == SIGKILL, SEPCONV_SNAP_TIMEOUT:
            throw ModelError("\(name): libhdf5 did not finish reading it within \(ModelLimits.hdf5ChildSeconds) s; the file is refused (damaged or crafted)")
        case SEPCONV_SNAP_SIGNAL:
            throw ModelError("\(name): libhdf5 crashed reading it (\(String(cString: strsignal(detail)))); the file is damaged or crafted, or needs more than \(ModelLimits.hdf5ChildMemory(fileBytes: bytes.count) >> 20) MiB of memory")
        case SEPCONV_SNAP_OUTPUT:
            throw ModelError("\(name): its groups, weights and attributes come to over \(ModelLimits.maxHDF5RecordBytes) bytes; refused")
        case SEPCONV_SNAP_EXIT where detail == 3:
            throw ModelError("\(name) is not a readable HDF5 file (truncated or damaged)")
        case SEPCONV_SNAP_EXIT:
            throw ModelError("\(name): libhdf5 failed reading it (damaged, or it needs more than \(ModelLimits.hdf5ChildMemory(fileBytes: bytes.count) >> 20) MiB of memory)")
        default:
            throw ModelError("\(name): cannot start the process that reads HDF5 files")
        }
        try load(records)
    }

    /// Fills the tables from the child's records.
    private mutating func load(_ records: [UInt8]) throws(ModelError) {
        var reader = RecordReader(bytes: records)
        let damaged = ModelError("\(name): the reading process returned damaged records")
        while !reader.atEnd {
            guard let tag = reader.byte() else { throw damaged }
            if tag == UInt8(ascii: "X") {
                guard let code = reader.int32(), let path = reader.text() else { throw damaged }
                throw refusal(Int(code), path: path)
            }
            guard let path = reader.text() else { throw damaged }
            switch tag {
            case UInt8(ascii: "G"): objects[path] = .group
            case UInt8(ascii: "O"): objects[path] = .other
            case UInt8(ascii: "H"):
                guard let address = reader.uint64() else { throw damaged }
                addresses[path] = address
                if firstPath[address] == nil { firstPath[address] = path }
                addLink(path)
            case UInt8(ascii: "S"):
                guard let target = reader.text() else { throw damaged }
                softLinks[path] = target
                addLink(path)
            case UInt8(ascii: "D"):
                guard let status = reader.int32(), let rank = reader.int32() else { throw damaged }
                guard status == SEPCONV_SNAP_READ else { objects[path] = .unreadDataset(Int(status)); continue }
                var shape: [Int] = []
                for _ in 0..<max(0, rank) {
                    guard let extent = reader.uint64(), extent <= UInt64(ModelLimits.maxDatasetValues) else { throw damaged }
                    shape.append(Int(extent))
                }
                let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
                guard let width = reader.int32(), count <= ModelLimits.maxDatasetValues,
                      let scalars = reader.floats(count: count, width: Int(width)) else { throw damaged }
                objects[path] = .dataset(Tensor(shape: shape, scalars: scalars))
            case UInt8(ascii: "A"):
                guard let attribute = reader.text(), let status = reader.int32(), let count = reader.int32(),
                      let data = reader.counted() else { throw damaged }
                attributes[path, default: [:]][attribute] = status == 0
                    ? .strings(data.split(separator: 0, omittingEmptySubsequences: false).prefix(Int(count))
                        .map { String(decoding: $0, as: UTF8.self) })
                    : .failed(Int(status), count: count)
            default:
                throw damaged
            }
        }
    }

    private mutating func addLink(_ path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let parent = parts.dropLast().joined(separator: "/")
        links[parent.isEmpty ? "/" : parent, default: []].append(String(parts.last ?? ""))
    }

    private func refusal(_ code: Int, path: String) -> ModelError {
        let shown = Identifier.printable(path)
        switch code {
        case SEPCONV_SNAP_EXTERNAL_LINK:
            return ModelError("\(name): \(shown) is an external link (to another file); links out of the file are refused")
        case SEPCONV_SNAP_USER_LINK:
            return ModelError("\(name): \(shown) is a user-defined link; only hard and soft links within the file are followed")
        case SEPCONV_SNAP_EXTERNAL_STORAGE:
            return ModelError("\(name): dataset \(shown) keeps its values in other files (external storage); refused")
        case SEPCONV_SNAP_VIRTUAL:
            return ModelError("\(name): dataset \(shown) is a virtual dataset (assembled from other datasets or files); refused")
        case SEPCONV_SNAP_OBJECTS:
            return ModelError("\(name) holds more than \(SEPCONV_SNAP_MAX_LINKS) links; refused")
        default:
            return ModelError("\(name): cannot open \(shown) (damaged file)")
        }
    }

    /// The canonical path of `path` (absolute), following hard and soft links, or nil when it names nothing.
    private func resolve(_ path: String) -> String? {
        var hops = 0
        return resolve(path.split(separator: "/").map(String.init), from: "", hops: &hops)
    }

    private func resolve(_ components: [String], from start: String, hops: inout Int) -> String? {
        var current = start
        for component in components {
            let link = current + "/" + component
            if let address = addresses[link] {
                current = firstPath[address] ?? link
            } else if let target = softLinks[link] {
                hops += 1
                guard hops <= Self.maxSoftLinkHops else { return nil }
                let parts = target.split(separator: "/").map(String.init)
                guard let resolved = resolve(parts, from: target.hasPrefix("/") ? "" : current, hops: &hops) else { return nil }
                current = resolved == "/" ? "" : resolved
            } else {
                return nil
            }
        }
        return current.isEmpty ? "/" : current
    }

    /// What `path` (absolute) names.
    func kind(_ path: String) -> Kind {
        switch resolve(path).flatMap({ objects[$0] }) {
        case nil: .missing
        case .group: .group
        case .dataset, .unreadDataset: .dataset
        case .other: .other
        }
    }

    /// The strings of attribute `attribute` of the object at `path`: nil when it is missing or not strings.
    /// - Throws: `ModelError` when the attribute exists but could not be read, or is over the limits.
    func strings(_ attribute: String, of path: String) throws(ModelError) -> [String]? {
        guard let canonical = resolve(path) else { return nil }
        switch attributes[canonical]?[attribute] {
        case nil: return nil
        case .strings(let items): return items
        case .failed(SEPCONV_SNAP_ATTR_TOO_LARGE, _):
            throw ModelError("\(name): attribute '\(attribute)' of \(Identifier.printable(path)) is larger than \(ModelLimits.maxConfigBytes) bytes")
        case .failed(SEPCONV_SNAP_ATTR_TOO_MANY, let count):
            throw ModelError("\(name): attribute '\(attribute)' of \(Identifier.printable(path)) holds \(count) variable-length strings; more than \(SEPCONV_SNAP_MAX_VLEN_ITEMS) are refused")
        case .failed:
            throw ModelError("\(name): attribute '\(attribute)' of \(Identifier.printable(path)) cannot be read (damaged, or it needs more than \(ModelLimits.hdf5ChildMemory(fileBytes: fileBytes) >> 20) MiB of memory)")
        }
    }

    /// The floating-point dataset at `path`, as `Double`s.
    /// - Throws: `ModelError` when it is missing, not floating point, or over the size limits.
    func tensor(_ path: String) throws(ModelError) -> Tensor {
        let shown = Identifier.printable(path)
        switch resolve(path).flatMap({ objects[$0] }) {
        case .dataset(let tensor): return tensor
        case .unreadDataset(SEPCONV_SNAP_NOT_FLOAT): throw ModelError("\(name): dataset \(shown) does not hold floating-point values")
        case .unreadDataset(SEPCONV_SNAP_RANK): throw ModelError("\(name): dataset \(shown) has more than \(ModelLimits.maxDatasetRank) dimensions")
        case .unreadDataset(SEPCONV_SNAP_CHUNKED): throw ModelError("\(name): dataset \(shown) is chunked or filtered; Keras weights are stored contiguously")
        case .unreadDataset(SEPCONV_SNAP_TOO_MANY): throw ModelError("\(name): dataset \(shown) holds more than \(ModelLimits.maxDatasetValues) values")
        case .unreadDataset: throw ModelError("\(name): cannot read the values of dataset \(shown) (damaged file)")
        default: throw ModelError("\(name) has no dataset \(shown)")
        }
    }

    /// The names of the links in the group at `path`, in name order (nil when it is not a group).
    func children(_ path: String) -> [String]? {
        guard let canonical = resolve(path), case .group? = objects[canonical] else { return nil }
        return links[canonical] ?? []
    }
}

/// A cursor over the child's records (host byte order: the child is this same program).
private struct RecordReader {
    let records: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { records = bytes }

    var atEnd: Bool { offset >= records.count }

    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, count <= records.count - offset else { return nil }
        defer { offset += count }
        return records[offset ..< offset + count]
    }

    mutating func byte() -> UInt8? { take(1)?.first }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard let raw = take(MemoryLayout<T>.size) else { return nil }
        return raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }

    mutating func int32() -> Int32? { integer(Int32.self) }
    mutating func uint64() -> UInt64? { integer(UInt64.self) }

    mutating func counted() -> ArraySlice<UInt8>? {
        guard let length = integer(UInt32.self) else { return nil }
        return take(Int(length))
    }

    mutating func text() -> String? { counted().map { String(decoding: $0, as: UTF8.self) } }

    /// `count` floats of `width` bytes (4 or 8), as `Double`s.
    mutating func floats(count: Int, width: Int) -> [Double]? {
        guard width == 4 || width == 8, let raw = take(count * width) else { return nil }
        return raw.withUnsafeBytes { buffer in
            width == 4 ? (0..<count).map { Double(buffer.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self)) }
                       : (0..<count).map { buffer.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) }
        }
    }
}

extension Array where Element == String {
    /// Calls `body` with the strings as C strings that live for the call.
    func withCStrings<R>(_ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { UnsafePointer($0) })
    }
}
