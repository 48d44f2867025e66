// libFuzzer target: bytes → TFLiteReader, the `.tflite` front end (this tool's
// own FlatBuffers reader, the schema subset, chain finding, the int8 checks).
// Every chain found is read by index and by its layer name, the operators left
// out are named, and a chain that reads is checked for what the reader
// promises: kernel, scales and biases of the sizes its geometry gives.
// Thrown `ModelError`s are expected; crashes, traps, sanitizer reports and
// hangs are findings. Seeds: the fixture models in Fixtures/tflite.
import SepconvGen

@_cdecl("LLVMFuzzerTestOneInput")
public func sepconvFuzzTFLite(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let reader = try? TFLiteReader(bytes: bytes, name: "fuzz.tflite") else { return 0 }
    _ = reader.unemittedOperators
    _ = try? reader.layer(nil)
    _ = try? reader.layer(.name("no such layer"))
    for (index, name) in reader.chainNames.enumerated().prefix(16) {
        if let name { _ = try? reader.layer(.name(name)) }
        guard let layer = try? reader.layer(.index(index)) else { continue }
        let q = layer.quantization, channels = layer.inputChannels * layer.depthMultiplier
        guard q.depthwiseKernel.count == layer.kernelSize * channels, q.depthwiseScales.count == channels, q.depthwiseBias.count == channels,
              q.pointwiseKernel.count == channels * layer.filters, q.pointwiseScales.count == layer.filters,
              (q.pointwiseBias?.count ?? layer.filters) == layer.filters, layer.useBias == (q.pointwiseBias != nil) else {
            fatalError("chain \(index): the quantized layer's sizes disagree with its geometry")
        }
    }
    return 0
}
