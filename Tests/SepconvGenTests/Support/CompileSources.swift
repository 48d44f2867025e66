import Foundation
@testable import SepconvGen

/// The compile harness: writing each case's emitted sources, inputs and references.
extension CompileSession {
    // MARK: Sources

    func folder(_ build: Build) -> URL {
        work.appendingPathComponent(build.rawValue)
    }

    func writeSources() {
        DispatchQueue.concurrentPerform(iterations: compiledCases.count) { index in
            let item = compiledCases[index]
            for file in Generator.files(for: item.plan, languages: [.c, .swift]) {
                write(source.appendingPathComponent(file.name), Data(file.contents.utf8))
            }
            write(data.appendingPathComponent(item.name + ".in"), Self.encode(item.input, item.plan.dtype))
        }
    }

    func write(_ url: URL, _ bytes: Data) {
        do {
            try bytes.write(to: url)
        } catch {
            problem("cannot write \(url.path): \(error)")
        }
    }

    static func encode(_ values: [Double], _ dtype: DType) -> Data {
        var data = Data(capacity: values.count * (dtype == .float32 ? 4 : 8))
        for value in values {
            switch dtype {
            case .float32: withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { data.append(contentsOf: $0) }
            case .float64: withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    static func decode(_ data: Data, _ dtype: DType) -> [Double] {
        let bytes = [UInt8](data)
        let width = dtype == .float32 ? 4 : 8
        return stride(from: 0, to: bytes.count - width + 1, by: width).map { offset in
            let bits = (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
            return dtype == .float32 ? Double(Float(bitPattern: UInt32(bits))) : Double(bitPattern: bits)
        }
    }
}
