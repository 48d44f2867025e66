import Foundation
import Testing
@testable import SepconvGen

/// The `.tflite` reader: the bounded FlatBuffers reader on hand-built bytes
/// (truncated, out of range, self-referencing, deep, huge counts), and every
/// chain of every fixture model (`Scripts/tflite_fixtures.py`) read and held
/// against `manifest.json` and against the outputs TFLite's reference kernels
/// computed.
@Suite struct TFLiteReaderTests {
    // MARK: - FlatBuffers on hand-built bytes

    /// Little-endian bytes, written front to back at known positions.
    struct Bytes {
        var data: [UInt8] = []
        mutating func u16(_ value: Int) { data += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        mutating func u32(_ value: Int) { for shift in stride(from: 0, to: 32, by: 8) { data.append(UInt8(truncatingIfNeeded: value >> shift)) } }
        mutating func text(_ value: String) { data += Array(value.utf8) }
    }

    /// A root offset to a table at byte 16 with one 4-byte field, its vtable at byte 8, file identifier TFL3;
    /// `field` is the field's value (an offset from its own position when it names a table or vector).
    static func oneField(_ field: Int, vtableSize: Int = 6, tableSize: Int = 8, fieldOffset: Int = 4, tail: [UInt8] = []) -> [UInt8] {
        var bytes = Bytes()
        bytes.u32(16)              // root: the table at byte 16
        bytes.text("TFL3")
        bytes.u16(vtableSize)      // vtable at byte 8
        bytes.u16(tableSize)
        bytes.u16(fieldOffset)     // field 0
        bytes.u16(0)               // padding
        bytes.u32(8)               // table at byte 16: its vtable is 8 bytes before it
        bytes.u32(field)           // field 0 at byte 20
        return bytes.data + tail
    }

    @Test func wellFormedFieldsRead() throws {
        let buffer = FlatBuffer(bytes: Self.oneField(4, tail: [3, 0, 0, 0, 7, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0]))
        let root = try buffer.root()
        #expect(try root.vector(0, elementSize: 4, limit: 10)?.int32s() == [7, -2, 1])
        #expect(try root.field(1, width: 4) == nil, "a field past the vtable is absent")
        #expect(buffer.identifier == "TFL3")
    }

    @Test func tooShortOrWrongIdentifierIsRefused() {
        for bytes in [[], [1, 2, 3], Array(repeating: 0, count: 7)] as [[UInt8]] {
            #expect(throws: FlatBufferError.self) { try TFLiteModel(bytes: bytes) }
        }
        var wrong = Self.oneField(0)
        wrong[4] = UInt8(ascii: "X")
        #expect { try TFLiteModel(bytes: wrong) } throws: { ($0 as? FlatBufferError)?.message.contains("TFL3") == true }
    }

    @Test func outOfRangeOffsetsAreRefused() throws {
        // Root past the end, a vtable before the start, a vtable whose size runs past the end.
        var root = Self.oneField(0)
        root[0] = 0xF0
        #expect(throws: FlatBufferError.self) { try FlatBuffer(bytes: root).root() }
        var vtable = Self.oneField(0)
        vtable[16] = 0x40
        #expect(throws: FlatBufferError.self) { try FlatBuffer(bytes: vtable).root() }
        #expect(throws: FlatBufferError.self) { try FlatBuffer(bytes: Self.oneField(0, vtableSize: 0x7FF0)).root() }
        #expect(throws: FlatBufferError.self) { try FlatBuffer(bytes: Self.oneField(0, vtableSize: 5)).root() }
        // A field outside its table, an offset past the end, a vector longer than the file.
        let outside = try FlatBuffer(bytes: Self.oneField(4, tableSize: 6)).root()
        #expect(throws: FlatBufferError.self) { try outside.vector(0, elementSize: 4, limit: 10) }
        let past = try FlatBuffer(bytes: Self.oneField(1000)).root()
        #expect(throws: FlatBufferError.self) { try past.table(0) }
        let long = try FlatBuffer(bytes: Self.oneField(4, tail: [0xFF, 0xFF, 0xFF, 0x7F])).root()
        #expect(throws: FlatBufferError.self) { try long.vector(0, elementSize: 4, limit: Int(UInt32.max)) }
    }

    /// A count of 2^32 − 1 is refused from the count and the file size, before anything is allocated.
    @Test func hugeCountsAreRefusedBeforeAllocation() throws {
        let table = try FlatBuffer(bytes: Self.oneField(4, tail: [0xFF, 0xFF, 0xFF, 0xFF])).root()
        #expect { try table.vector(0, elementSize: 8, limit: TFLiteModel.maxItems) } throws: {
            ($0 as? FlatBufferError)?.message.contains("at most") == true
        }
        #expect(throws: FlatBufferError.self) { try table.string(0, limit: Int(UInt32.max)) }
    }

    /// An offset of 0 would point at itself (a cycle); tables may nest only `maxDepth` deep.
    @Test func selfReferenceAndDeepNestingAreRefused() throws {
        let cyclic = try FlatBuffer(bytes: Self.oneField(0)).root()
        #expect { try cyclic.table(0) } throws: { ($0 as? FlatBufferError)?.message.contains("zero offset") == true }
        // Tables at 16, 24, 32, ...: each one's field 0 points to the next, all sharing the vtable at 8.
        var bytes = Bytes()
        bytes.u32(16)
        bytes.text("TFL3")
        bytes.u16(6); bytes.u16(8); bytes.u16(4); bytes.u16(0)
        let depth = FlatBuffer.maxDepth + 4
        for level in 0..<depth {
            bytes.u32(16 + 8 * level - 8)     // soffset back to the vtable at 8
            bytes.u32(level == depth - 1 ? 0 : 4)
        }
        var table = try FlatBuffer(bytes: bytes.data).root()
        var reached = 0
        #expect {
            while true {
                guard let next = try table.table(0) else { return }
                table = next
                reached += 1
            }
        } throws: { ($0 as? FlatBufferError)?.message.contains("deeper") == true }
        #expect(reached == FlatBuffer.maxDepth)
    }

    /// Every fixture model cut at many lengths, and with bytes flipped, is read or refused, never a crash.
    @Test(arguments: TFLiteFixtures.manifest?.cases.map(\.file) ?? [])
    func damagedModelsAreRefusedNotCrashed(_ file: String) throws {
        let bytes = try TFLiteFixtures.bytes(file)
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            #expect(throws: ModelError.self) { try TFLiteReader(bytes: Array(bytes.prefix(cut)), name: file).layer(.index(0)) }
        }
        for position in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 61)) {
            var flipped = bytes
            flipped[position] ^= 0xA5
            if let reader = try? TFLiteReader(bytes: flipped, name: file) {
                for index in 0..<reader.chainCount { _ = try? reader.layer(.index(index)) }
                _ = reader.unemittedOperators
            }
        }
    }

    // MARK: - The fixtures

    @Test func fixturesArePresent() {
        #expect(TFLiteFixtures.chains.count >= 30)
        #expect((TFLiteFixtures.manifest?.refusals.count ?? 0) >= 5)
    }

    /// Each chain's geometry, quantization and operators, field by field against the manifest.
    @Test(arguments: TFLiteFixtures.chains)
    func chainMatchesManifest(_ fixture: TFLiteFixtures.ChainCase) throws {
        let chain = fixture.chain
        let reader = try TFLiteFixtures.reader(fixture.model.file)
        #expect(reader.chainCount == fixture.model.chains.count)
        let layer = try reader.layer(.index(chain.index))
        #expect(layer.index == chain.index)
        #expect(layer.name == chain.layer)
        #expect((layer.inputSteps, layer.inputChannels) == (chain.steps, chain.channels))
        #expect((layer.filters, layer.kernelSize, layer.strides, layer.dilation, layer.depthMultiplier)
                == (chain.filters, chain.kernel_size, chain.strides, chain.dilation_rate, chain.depth_multiplier))
        #expect(layer.useBias == chain.chainAddsBias)
        let q = layer.quantization
        if chain.padding == "causal" {
            #expect(layer.padding == .valid && q.leadingPad == (chain.kernel_size - 1) * chain.dilation_rate)
        } else {
            #expect(layer.padding.rawValue == chain.padding && q.leadingPad == 0)
        }
        let geometry = LayerGeometry(inputSteps: layer.inputSteps + q.leadingPad, inputChannels: layer.inputChannels, filters: layer.filters,
                                     kernelSize: layer.kernelSize, stride: layer.strides, dilation: layer.dilation,
                                     depthMultiplier: layer.depthMultiplier, padding: layer.padding, useBias: layer.useBias)
        #expect(geometry.convolutionSteps == chain.out_steps)
        for (read, expected) in [(q.input, chain.input_quant), (q.intermediate, chain.intermediate_quant), (q.output, chain.output_quant)] {
            #expect(read.scale == Float(expected.scale) && read.zeroPoint == expected.zero_point)
        }
        let names: [QuantizedLayer.FusedActivation: String] = [.none: "NONE", .relu: "RELU", .relu6: "RELU6", .reluN1To1: "RELU_N1_TO_1"]
        #expect([names[q.depthwiseActivation], names[q.pointwiseActivation]] == chain.fused_activation)
        let channels = layer.inputChannels * layer.depthMultiplier
        #expect(q.depthwiseScales.count == channels && q.pointwiseScales.count == layer.filters)
        #expect(chain.filter_scales["depthwise"] == channels && chain.filter_scales["pointwise"] == layer.filters)
        #expect(q.depthwiseKernel.count == layer.kernelSize * channels && q.pointwiseKernel.count == channels * layer.filters)
        #expect(q.depthwiseBias.count == channels && q.pointwiseBias?.count == (layer.useBias ? layer.filters : nil))
        let first = chain.operators.first ?? 0, last = chain.operators.last ?? 0
        let span = last - first + 1 == chain.operators.count ? "\(first)-\(last)" : chain.operators.map(String.init).joined(separator: ", ")
        #expect(q.provenance == "\(fixture.model.file): operators \(span) (\(chain.opcodes.joined(separator: ", ")))")
    }

    /// The numbers read reproduce TFLite's own outputs exactly, through the reference kernels' arithmetic.
    @Test(arguments: TFLiteFixtures.chains)
    func readNumbersReproduceTFLite(_ fixture: TFLiteFixtures.ChainCase) throws {
        let layer = try TFLiteFixtures.reader(fixture.model.file).layer(.index(fixture.chain.index))
        let input = try TFLiteFixtures.int8(fixture.chain.input_file), expected = try TFLiteFixtures.int8(fixture.chain.expected_file)
        #expect(input.shape == [input.shape.first ?? 0, layer.inputSteps, layer.inputChannels])
        let batch = input.shape.first ?? 0, inputSize = layer.inputSteps * layer.inputChannels
        let outputSize = fixture.chain.out_steps * layer.filters
        #expect(expected.shape == [batch, fixture.chain.out_steps, layer.filters])
        for item in 0..<batch {
            let got = TFLiteReference.run(layer, input: input.values[item * inputSize..<(item + 1) * inputSize])
            #expect(got == Array(expected.values[item * outputSize..<(item + 1) * outputSize]), "batch item \(item)")
        }
    }

    /// `layer: NAME` selects the chain (Keras 3's `_1` scope suffix included); a name SPEC's rule matches in two chains
    /// (Keras 3's `separable_conv1d_1` scope of the first default-named layer beside the second's) is ambiguous.
    @Test(arguments: TFLiteFixtures.chains)
    func chainIsSelectedByName(_ fixture: TFLiteFixtures.ChainCase) throws {
        let reader = try TFLiteFixtures.reader(fixture.model.file)
        let name = fixture.chain.layer
        if fixture.chain.spec_name_matches.count > 1 {
            #expect { try reader.layer(.name(name)) } throws: { error in
                let message = (error as? ModelError)?.message ?? ""
                return message.contains("ambiguous") && message.contains(fixture.model.file)
            }
        } else {
            #expect(try reader.layer(.name(name)).index == fixture.chain.index)
        }
        if fixture.model.chains.count == 1 {
            #expect(try reader.layer(nil).index == 0)
        } else {
            #expect(throws: ModelError.self) { try reader.layer(nil) }
        }
        #expect { try reader.layer(.name("no_such_layer")) } throws: { error in
            let message = (error as? ModelError)?.message ?? ""
            return message.contains("no SeparableConv1D chain named 'no_such_layer' in \(fixture.model.file) (it has: 0 ")
        }
        #expect(throws: ModelError.self) { try reader.layer(.index(fixture.model.chains.count)) }
    }

    /// Every refusal fixture is refused with a message naming why.
    @Test(arguments: TFLiteFixtures.manifest?.refusals.map { "\($0.case)|\($0.file)|\($0.layer ?? "")" } ?? [])
    func refusalIsRefusedWithTheReason(_ entry: String) throws {
        let parts = entry.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let (name, file, layer) = (parts[0], parts[1], parts[2])
        let reasons = ["neg_float32": "float", "neg_hybrid": "float", "neg_int16_act": "int16", "neg_uint8_input": "uint8",
                       "neg_truncated": "not a valid TFLite model"]
        let reason = layer.isEmpty ? reasons[name] : "ambiguous"
        #expect(reason != nil, "a refusal fixture this test does not know: \(name)")
        #expect {
            try TFLiteFixtures.reader(file).layer(layer.isEmpty ? .index(0) : .name(layer))
        } throws: { error in
            let message = (error as? ModelError)?.message ?? ""
            return message.contains(file) && reason.map(message.contains) == true
        }
    }

    /// The operators outside every chain are named, in operator order.
    @Test func unemittedOperatorsAreNamed() throws {
        for model in TFLiteFixtures.manifest?.cases ?? [] {
            let inChains = Set(model.chains.flatMap(\.operators))
            let expected = model.operators.indices.filter { !inChains.contains($0) }.map { "operator \($0) \(model.operators[$0])" }
            #expect(try TFLiteFixtures.reader(model.file).unemittedOperators == expected, "\(model.file)")
        }
    }
}
