import Foundation
import ZIPFoundation

/// The members of a Keras 3 `.keras` archive (a zip) that a layer needs:
/// `config.json` and `model.weights.h5`, read from memory with sizes
/// checked before anything is extracted.
public struct KerasArchive: Sendable {
    /// The model config (`config.json`), as bytes.
    public var config: [UInt8]
    /// The weights file (`model.weights.h5`), as bytes.
    public var weights: [UInt8]

    /// Reads the archive `bytes` of the file `name`.
    /// - Throws: `ModelError` for anything but a complete, unsharded Keras 3 archive.
    public init(bytes: [UInt8], name: String) throws(ModelError) {
        try ZipBounds.check(bytes, name: name)
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw ModelError("\(name) is not a readable zip archive (truncated or damaged)")
        }
        var entries: [String: Entry] = [:]
        var count = 0
        for entry in archive {
            count += 1
            guard count <= ModelLimits.maxArchiveEntries else {
                throw ModelError("\(name) lists more than \(ModelLimits.maxArchiveEntries) archive members")
            }
            entries[entry.path] = entry
        }
        guard let configEntry = entries["config.json"] else {
            throw ModelError("\(name) is a zip archive without config.json: not a Keras 3 .keras model")
        }
        guard let weightsEntry = entries["model.weights.h5"] else {
            if entries["model.weights.npz"] != nil {
                throw ModelError("\(name) stores its weights as model.weights.npz; only model.weights.h5 is supported")
            }
            if entries.keys.contains(where: { $0.hasSuffix(".weights.json") }) {
                throw ModelError("\(name) holds sharded weights; save the model unsharded")
            }
            throw ModelError("\(name) has no model.weights.h5 member")
        }
        config = try Self.extract(configEntry, from: archive, limit: ModelLimits.maxConfigBytes, name: name)
        weights = try Self.extract(weightsEntry, from: archive, limit: ModelLimits.maxWeightsBytes, name: name)
    }

    /// The uncompressed bytes of `entry`, refused when it is (or turns out to be) over `limit` bytes.
    private static func extract(_ entry: Entry, from archive: Archive, limit: Int, name: String) throws(ModelError) -> [UInt8] {
        let tooLarge = ModelError("\(name): archive member \(entry.path) is larger than \(limit) bytes")
        guard entry.uncompressedSize <= UInt64(limit) else { throw tooLarge }
        guard entry.type == .file else { throw ModelError("\(name): archive member \(entry.path) is not a file") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard bytes.count + chunk.count <= limit else { throw tooLarge }
                bytes.append(contentsOf: chunk)
            }
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError("\(name): archive member \(entry.path) cannot be extracted (truncated or damaged)")
        }
        guard bytes.count == Int(entry.uncompressedSize) else {
            throw ModelError("\(name): archive member \(entry.path) is truncated")
        }
        return bytes
    }
}
