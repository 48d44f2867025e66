// libFuzzer target: the Keras model path, this tool's own code. Bytes that
// start like a zip are read as a .keras archive (directory bounds, members,
// sizes); its config.json, or any other bytes taken as a config, is then packed,
// in memory, into a .keras archive with the real weights of
// Fixtures/models/seq_basic.keras and read as a model: the JSON config, the
// layer walk of nested models, the weight lookup. Every SeparableConv1D found
// is read with its fused chain, whose reference is then run on a small input.
//
// The HDF5 weights reach libhdf5 only as Keras wrote them. Damaged HDF5 is
// libhdf5's own to survive, and 1.10.8 does not: this target found a hang
// (H5HG_read looping on a corrupt global heap) and a heap-buffer-overflow
// (H5O__msg_iterate_real on a corrupt attribute message) in it.
//
// Nothing is written to disk. Thrown `ModelError`s are expected; crashes,
// traps, sanitizer reports and hangs are findings.
import Foundation
import SepconvGen
import ZIPFoundation

/// The weights member of a real Keras 3 archive, for configs given as text.
private let seedWeights: Data = {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/SepconvGenTests/Fixtures/models/seq_basic.keras")
    guard let archive = try? Archive(url: fixture, accessMode: .read, pathEncoding: nil), let entry = archive["model.weights.h5"] else {
        fatalError("fuzz-model: cannot read \(fixture.path)")
    }
    var data = Data()
    _ = try? archive.extract(entry) { data.append($0) }
    return data
}()

/// A .keras archive holding `config` and the seed weights.
private func archive(config: Data) -> [UInt8]? {
    guard let archive = try? Archive(data: Data(), accessMode: .create, pathEncoding: nil) else { return nil }
    for (name, member) in [("config.json", config), ("model.weights.h5", seedWeights)] {
        try? archive.addEntry(with: name, type: .file, uncompressedSize: Int64(member.count), modificationDate: Date(timeIntervalSince1970: 0)) { position, size in
            member.subdata(in: Int(position) ..< Int(position) + size)
        }
    }
    return archive.data.map { [UInt8]($0) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func sepconvFuzzModel(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard !input.starts(with: [0x89, 0x48, 0x44, 0x46]) else { return 0 }
    var config = Data(input)
    if input.starts(with: [0x50, 0x4B]) {
        guard let members = try? KerasArchive(bytes: input, name: "fuzz.keras") else { return 0 }
        config = Data(members.config)
    }
    guard let bytes = archive(config: config) else { return 0 }
    guard let reader = try? ModelReader(bytes: bytes, name: "fuzz.keras") else { return 0 }
    _ = try? reader.layer(named: nil, fuse: false)
    _ = try? reader.layer(named: "no such layer", fuse: false)
    for name in reader.separableLayers.prefix(16) {
        _ = reader.group(of: name)
        guard let layer = try? reader.layer(named: name, fuse: true) else { continue }
        let filters = layer.weights.pointwiseKernel.shape.last ?? 0
        guard (1...64).contains(filters), layer.chain.batchNorm.map({ $0.movingMean.count == filters }) ?? true else { continue }
        let output = Tensor(shape: [1, 3, filters], scalars: (0..<(3 * filters)).map { Double($0 % 7 - 3) * 0.5 })
        _ = layer.chain.reference(output, dataFormat: .channelsLast, dtype: layer.dtype)
        if let batchNorm = layer.chain.batchNorm, layer.weights.pointwiseKernel.scalars.count % filters == 0 {
            _ = batchNorm.folded(into: layer.weights, dtype: layer.dtype)
        }
    }
    return 0
}
