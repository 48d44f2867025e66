import Foundation
import Testing
@testable import SepconvGen

/// `Fixtures/tflite/manifest.json`, written by `Scripts/tflite_fixtures.py`
/// from real TFLiteConverter models and TFLite's reference kernels.
enum TFLiteFixtures {
    struct Manifest: Decodable {
        var cases: [Case]
        var refusals: [Refusal]
    }

    struct Case: Decodable, Sendable {
        var `case`: String
        var file: String
        var chains: [Chain]
        var operators: [String]
        var batches: [Int]
    }

    struct Quant: Decodable, Sendable, Hashable {
        var scale: Double
        var zero_point: Int
    }

    struct Chain: Decodable, Sendable {
        var index: Int
        var layer: String
        var steps: Int
        var channels: Int
        var out_steps: Int
        var filters: Int
        var kernel_size: Int
        var strides: Int
        var dilation_rate: Int
        var padding: String
        var depth_multiplier: Int
        var use_bias: Bool
        var operators: [Int]
        var opcodes: [String]
        var fused_activation: [String]
        var input_quant: Quant
        var intermediate_quant: Quant
        var output_quant: Quant
        var filter_scales: [String: Int]
        var input_file: String
        var expected_file: String
        /// The operators reading the chain's output.
        var followed_by: [Follower]
        /// The chains SPEC section 7's name rule matches for `layer` (one: selected; more: ambiguous).
        var spec_name_matches: [Int]

        struct Follower: Decodable, Sendable {
            var opcode: String
        }

        /// Whether the chain's own pointwise operator adds a bias: the converter moves a
        /// one-filter Keras 3 layer's bias into an ADD after the chain, which the tool does not emit.
        var chainAddsBias: Bool { use_bias && !followed_by.contains { $0.opcode == "ADD" } }
    }

    struct Refusal: Decodable, Sendable {
        var `case`: String
        var file: String
        var description: String
        var layer: String?
    }

    /// One chain of one model, as a test argument.
    struct ChainCase: CustomTestStringConvertible, Sendable {
        var model: Case
        var chain: Chain
        var testDescription: String { "\(model.file) chain \(chain.index) \(chain.layer)" }
    }

    static let manifest: Manifest? = {
        guard let data = try? Data(contentsOf: Fixtures.url("tflite/manifest.json")) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }()

    static let chains: [ChainCase] = (manifest?.cases ?? []).flatMap { model in model.chains.map { ChainCase(model: model, chain: $0) } }

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("tflite/\(file)")))
    }

    static func reader(_ file: String) throws -> TFLiteReader {
        try TFLiteReader(bytes: bytes(file), name: file)
    }

    /// An `|i1` `.npy` fixture: its shape and values.
    static func int8(_ file: String) throws -> (shape: [Int], values: [Int8]) {
        let bytes = try self.bytes(file)
        guard bytes.count > 10 else { throw CocoaError(.fileReadCorruptFile) }
        let long = bytes[6] >= 2
        let headerLength = long ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : Int(bytes[8]) | Int(bytes[9]) << 8
        let start = (long ? 12 : 10) + headerLength
        let header = String(decoding: bytes[0..<start], as: UTF8.self)
        guard header.contains("'|i1'"), let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return (shape, bytes[start...].map { Int8(bitPattern: $0) })
    }
}
