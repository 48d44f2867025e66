import Testing
@testable import SepconvGen
import KerasInitializers

/// Snippet tests: YAML in, a spec or positioned diagnostics out.
@Suite struct SpecDecoderTests {
    static let valid = """
        name: kws
        input:
          steps: 10
          channels: 2
        layer:
          filters: 4
          kernel_size: 3
        """

    private func decode(_ text: String) throws(DiagnosticError) -> (spec: LayerSpec, notes: [Diagnostic]) {
        let root = try YAMLParser.parse(Array(text.utf8), file: "spec.yaml")
        return try SpecDecoder.decode(root, file: "spec.yaml")
    }

    private func errors(_ text: String) -> [Diagnostic] {
        do {
            _ = try decode(text)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }
        }
    }

    @Test func appliesKerasDefaults() throws {
        let spec = try decode(Self.valid).spec
        #expect(spec.name == "kws" && spec.dtype == .float32)
        #expect(spec.strides == 1 && spec.dilationRate == 1 && spec.depthMultiplier == 1)
        #expect(spec.padding == .valid && spec.dataFormat == .channelsLast && spec.activation == .linear && spec.useBias)
        #expect(spec.depthwiseInitializer == .glorotUniform && spec.biasInitializer == .zeros)
        #expect(spec.weights == nil && spec.seed == 0)
    }

    @Test func acceptsKerasSpellings() throws {
        let spec = try decode(Self.valid.replacingOccurrences(of: "kernel_size: 3", with: """
            kernel_size: [3]
              strides: [2]
              dilation_rate: [2]
              padding: SAME
              data_format: Channels_First
              activation: swish
            """)).spec
        #expect(spec.kernelSize == 3 && spec.strides == 2 && spec.dilationRate == 2)
        #expect(spec.padding == .same && spec.dataFormat == .channelsFirst && spec.activation == .silu)
    }

    @Test func reportsEveryErrorWithItsPosition() {
        let found = errors("""
            name: 1bad
            input:
              steps: 0
              channels: two
            layer:
              filters: -1
              kernel_size: [3, 3]
              padding: causal
              activation: relu7
              use_bias: maybe
            """)
        let positions = found.map { "\($0.mark.line):\($0.mark.column)" }
        #expect(positions == ["1:7", "3:10", "4:13", "6:12", "7:16", "8:12", "9:15", "10:13"], "\(found.map(\.headline))")
        #expect(found.first { $0.mark.line == 9 }?.message.contains("unknown activation 'relu7' (did you mean 'relu") == true)
        #expect(found.first { $0.mark.line == 7 }?.message.contains("exactly one") == true)
    }

    @Test func hintsMisspeltKeys() {
        let found = errors(Self.valid + "\n  dilation: 2\n  kernal_size: 3\n")
        #expect(found.map(\.message).contains { $0.contains("'dilation'") && $0.contains("did you mean 'dilation_rate'") })
        #expect(found.map(\.message).contains { $0.contains("did you mean 'kernel_size'") })
        #expect(found.allSatisfy { $0.mark.column == 3 })
    }

    @Test func rejectsWhatKerasRejects() {
        let layer = "name: k\ninput: {steps: 5, channels: 2}\nlayer: "
        let cases: [(String, String)] = [
            ("{filters: 0, kernel_size: 3}", "positive"),
            ("{filters: 2, kernel_size: 0}", "positive"),
            ("{filters: 2, kernel_size: 3, strides: 0}", "positive"),
            ("{filters: 2, kernel_size: 3, dilation_rate: 0}", "positive"),
            ("{filters: 2, kernel_size: 3, depth_multiplier: 0}", "positive"),
            ("{filters: 2, kernel_size: 3, padding: full}", "'valid' or 'same'"),
            ("{filters: 2, kernel_size: 3, padding: causal}", "causal"),
            ("{filters: 2, kernel_size: 3, data_format: channels_middle}", "data_format"),
            ("{filters: 2, kernel_size: 3, activation: threshold}", "threshold"),
            ("{filters: 2, kernel_size: 6}", "Computed output size would be zero or negative"),
            ("{filters: 2, kernel_size: 3, dilation_rate: 3}", "Computed output size would be zero or negative"),
            ("{filters: 3, kernel_size: 3, activation: glu}", "odd"),
            ("{filters: 2.5, kernel_size: 3}", "integer"),
            ("{filters: '2', kernel_size: 3}", "integer"),
        ]
        for (text, expected) in cases {
            let found = errors(layer + text)
            #expect(found.contains { $0.message.contains(expected) }, "\(text): \(found.map(\.message))")
        }
    }

    @Test func acceptsWhatKerasAccepts() throws {
        // strides > 1 with dilation > 1 runs in Keras 3; 'same' works with the kernel longer than the input.
        _ = try decode("name: k\ninput: {steps: 5, channels: 2}\nlayer: {filters: 2, kernel_size: 9, strides: 2, dilation_rate: 3, padding: same}")
    }

    @Test func refusesAbsurdSizesBeforeAllocating() {
        let found = errors("name: k\ninput: {steps: 1000000000000, channels: 2}\nlayer: {filters: 2, kernel_size: 3}")
        #expect(found.first?.message.contains("between 1 and") == true)
    }

    @Test(arguments: ["int", "float", "class", "main", "expf", "1abc", "a b", "__x", "_Xy", "x*/", "", "Swift", "_"])
    func rejectsBadNames(_ name: String) {
        let found = errors("name: '\(name)'\ninput: {steps: 5, channels: 2}\nlayer: {filters: 2, kernel_size: 3}")
        #expect(found.first?.mark == Mark(line: 1, column: 7), "\(name): \(found.map(\.message))")
    }

    @Test func acceptsAGetConfigDumpAndNotesTrainingOnlyKeys() throws {
        let json = """
            {"name": "cfg", "input": {"steps": 8, "channels": 2}, "layer": {"name": "separable_conv1d", "trainable": true,
             "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}, "registered_name": null},
             "depth_multiplier": 1, "filters": 4, "kernel_size": [3], "strides": [1], "padding": "valid",
             "data_format": "channels_last", "dilation_rate": [1], "activation": "linear", "use_bias": true,
             "depthwise_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null},
             "pointwise_initializer": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 7}, "registered_name": null},
             "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
             "depthwise_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
             "pointwise_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
             "depthwise_constraint": null, "pointwise_constraint": null, "bias_constraint": null}}
            """
        let (spec, notes) = try decode(json)
        #expect(spec.dtype == .float64)
        #expect(spec.pointwiseInitializer == .varianceScaling(.init(scale: 2, mode: .fanIn, distribution: .truncatedNormal, seed: 7)))
        #expect(notes.contains { $0.severity == .note && $0.message.contains("'depthwise_regularizer' only matters for training") })
        #expect(notes.contains { $0.message.contains("'trainable'") })
    }

    @Test func checksWeightsAgainstUseBias() {
        let text = Self.valid + "\n  use_bias: false\nweights:\n  depthwise_kernel: dw.npy\n  pointwise_kernel: pw.npy\n  bias: b.npy\n"
        #expect(errors(text).contains { $0.message.contains("use_bias: false") && $0.mark.line == 12 })
        let missing = Self.valid + "\nweights:\n  depthwise_kernel: dw.npy\n"
        #expect(errors(missing).contains { $0.message.contains("missing 'weights.pointwise_kernel'") })
    }

    @Test func readsInlineWeightsAndRejectsRaggedOnes() throws {
        let inline = """
            name: k
            input: {steps: 3, channels: 1}
            layer: {filters: 1, kernel_size: 2, use_bias: false}
            weights:
              depthwise_kernel: [[[0.5]], [[-1]]]
              pointwise_kernel: [[[2.0]]]
            """
        let spec = try decode(inline).spec
        guard case .inline(let tensor, _)? = spec.weights?.depthwiseKernel else { Issue.record("not inline"); return }
        #expect(tensor.shape == [2, 1, 1] && tensor.scalars == [0.5, -1])
        let ragged = inline.replacingOccurrences(of: "[[[0.5]], [[-1]]]", with: "[[[0.5]], [[-1, 2]]]")
        #expect(errors(ragged).first?.message.contains("rectangular") == true)
        let nan = inline.replacingOccurrences(of: "[[[2.0]]]", with: "[[[.nan]]]")
        #expect(errors(nan).first?.message.contains("finite") == true)
    }

    @Test func rendersACaretUnderTheColumn() {
        let diagnostic = Diagnostic(.error, "bad", file: "s.yaml", at: Mark(line: 2, column: 4))
        #expect(diagnostic.rendered(source: "a: 1\nbb: 2\n") == "s.yaml:2:4: error: bad\n    bb: 2\n       ^")
    }
}
