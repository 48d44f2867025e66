// libFuzzer target: bytes → NPY.read. A file that reads must also survive a
// round trip through NPY.write with the same shape, type and values.
import SepconvGen

@_cdecl("LLVMFuzzerTestOneInput")
public func sepconvFuzzNPY(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    guard let (tensor, type) = try? NPY.read(bytes) else { return 0 }
    let written = NPY.write(tensor, as: type)
    guard let (again, againType) = try? NPY.read(written) else { fatalError("NPY.write produced a file NPY.read refuses") }
    guard again.shape == tensor.shape, againType == type, again.scalars.count == tensor.scalars.count else {
        fatalError("NPY round trip changed the shape or type")
    }
    for (a, b) in zip(again.scalars, tensor.scalars) where !(a == b || (a.isNaN && b.isNaN)) {
        fatalError("NPY round trip changed a value: \(b) became \(a)")
    }
    return 0
}
