// libFuzzer target: the Keras model path. Bytes that start like a zip are read as a
// .keras archive (directory bounds, members, sizes); bytes that start like HDF5 are read
// as a legacy .h5 model or a .weights.h5 file, whole, by the child process that runs
// libhdf5 (Sources/CHDF5/snapshot.h); any other bytes are taken as a config.json and packed,
// in memory, into a .keras archive with the real weights of Fixtures/models/seq_basic.keras.
// Every SeparableConv1D found is read with its fused chain, whose reference is then run on
// a small input.
//
// The seeds are every model fixture (.keras, Keras 3 and tf.keras 2 .h5, .weights.h5) and
// the crasher corpus (Fixtures/hostile/crashers), so libFuzzer's mutations are mutations of
// them. libhdf5 1.10.8 crashes and hangs on damaged files (this target found a hang in
// H5HG_read and a heap-buffer-overflow in H5O__msg_iterate_real when it ran in-process):
// in the child that is a thrown `ModelError`, not a finding.
//
// Nothing is written to disk. Thrown `ModelError`s are expected; crashes,
// traps, sanitizer reports and hangs of this process are findings.
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
    let bytes: [UInt8]
    if input.starts(with: [0x89, 0x48, 0x44, 0x46]) {
        bytes = input
    } else {
        var config = Data(input)
        if input.starts(with: [0x50, 0x4B]) {
            // The archive as it is (its own weights), then its config with the seed's weights.
            if let reader = try? ModelReader(bytes: input, name: "fuzz.keras") { exercise(reader) }
            guard let members = try? KerasArchive(bytes: input, name: "fuzz.keras") else { return 0 }
            config = Data(members.config)
        }
        guard let packed = archive(config: config) else { return 0 }
        bytes = packed
    }
    guard let reader = try? ModelReader(bytes: bytes, name: "fuzz.keras") else { return 0 }
    exercise(reader)
    return 0
}

/// Reads every SeparableConv1D of `reader` (at most 16), each by every name `from.layer` takes.
private func exercise(_ reader: ModelReader) {
    _ = try? reader.layer(named: nil, fuse: false)
    _ = try? reader.layer(named: "no such layer", fuse: false)
    for name in (reader.separableLayers + reader.separableLayerPaths).prefix(16) {
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
}
