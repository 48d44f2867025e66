import Testing
@testable import SepconvGen

@Suite struct NPYTests {
    private func header(_ dict: String, version: UInt8 = 1) -> [UInt8] {
        var text = dict
        let prefix = version == 1 ? 10 : 12
        text += String(repeating: " ", count: (64 - (prefix + text.utf8.count + 1) % 64) % 64) + "\n"
        let length = text.utf8.count
        let lengthBytes: [UInt8] = version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
            : [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), 0, 0]
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + lengthBytes + Array(text.utf8)
    }

    private func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    }

    @Test(arguments: [NPY.ElementType.float32, .float64])
    func roundTrips(_ type: NPY.ElementType) throws {
        let tensor = Tensor(shape: [2, 3, 1], scalars: [0.5, -1.25, 3, 1e-3, 0, -7])
        let (read, readType) = try NPY.read(NPY.write(tensor, as: type))
        #expect(readType == type)
        #expect(read.shape == [2, 3, 1])
        #expect(read.scalars == tensor.scalars.map { type == .float32 ? Double(Float($0)) : $0 })
    }

    @Test func writesAlignedHeaders() {
        let bytes = NPY.write(Tensor(shape: [5], scalars: [1, 2, 3, 4, 5]), as: .float32)
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + length) % 64 == 0)
        #expect(bytes[10 + length - 1] == UInt8(ascii: "\n"))
    }

    @Test(arguments: [UInt8(2), 3])
    func readsVersions2And3(_ version: UInt8) throws {
        let bytes = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", version: version) + floats([1.5, -2])
        #expect(try NPY.read(bytes).tensor.scalars == [1.5, -2])
    }

    @Test func readsScalarShapes() throws {
        let bytes = header("{'descr': '<f4', 'fortran_order': False, 'shape': (), }") + floats([4])
        let tensor = try NPY.read(bytes).tensor
        #expect(tensor.shape == [])
        #expect(tensor.scalars == [4])
    }

    @Test(arguments: [
        ("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "big-endian"),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", "'<i4'"),
        ("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", "Fortran order"),
        ("{'descr': '<f4', 'shape': (1,), }", "fortran_order"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "needs 8"),
        ("not a dict", "malformed"),
    ])
    func rejectsWhatItCannotRead(_ dict: String, _ expected: String) {
        let bytes = header(dict) + floats([1])
        #expect {
            _ = try NPY.read(bytes)
        } throws: { error in
            (error as? NPY.FormatError)?.message.contains(expected) == true
        }
    }

    @Test func rejectsTruncatedAndForeignFiles() {
        #expect(throws: NPY.FormatError.self) { _ = try NPY.read([]) }
        #expect(throws: NPY.FormatError.self) { _ = try NPY.read(Array("PK\u{3}\u{4} zip file".utf8)) }
        let full = header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }") + floats([1, 2, 3])
        for cut in [5, 9, 20, full.count - 1] {
            #expect(throws: NPY.FormatError.self) { _ = try NPY.read(Array(full.prefix(cut))) }
        }
        let huge = header("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999, 999999999999), }")
        #expect(throws: NPY.FormatError.self) { _ = try NPY.read(huge) }
    }
}
