import Foundation
import Testing
@testable import SepconvGen

/// No text of a spec reaches the emitted source except the layer's `name`,
/// and that only as the identifier `Identifier` checked (and the forms
/// derived from it); everything else in the files the emitter wrote itself.
///
/// Every string a spec can carry holds a marker `QZXJnn` (with comment
/// closers, quotes, backslashes and a trigraph around it); the emitted files
/// are then searched for the markers.
@Suite struct InjectionTests {
    /// The marker stem; the layer's own name uses `qzxj00`.
    static let stem = "qzxj"
    static let name = "qzxj00_layer"

    /// Dangerous company for each marker: C comment closers, quotes, escapes, a trigraph, a Swift interpolation.
    static func hostile(_ number: Int) -> String {
        String(format: "QZXJ%02d */ \\\" ' \\\\ ??/ \\\\(x) {{NAME}} #endif", number)
    }

    /// `text` as a YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// A spec with a marker in every string field, comment, anchor and tag it may hold
    /// (all valid, so it compiles), and the weight files it names.
    static func markedSpec(weightFolder: String) -> (yaml: String, files: [String: [UInt8]]) {
        let dw = "QZXJ20 *- \" '.npy"
        let pw = "QZXJ21-pw.npy"
        let bias = "\(weightFolder)/b.npy"
        let yaml = """
            %YAML 1.1
            %TAG !q! tag:QZXJ30.example,2024:
            # \(hostile(1))
            ---
            name: \(name)   # \(hostile(2))
            dtype: float32
            input: &QZXJ28in
              steps: 8    # \(hostile(3))
              channels: 2
            layer: &QZXJ04anchor
              filters: 3
              kernel_size: [3]
              strides: [1]
              padding: sAmE
              data_format: cHaNnElS_LaSt
              dilation_rate: 1
              depth_multiplier: 1
              activation: relu
              use_bias: true
              name: "\(hostile(5))"
              trainable: true
              dtype: {module: "\(hostile(6))", class_name: DTypePolicy, config: {name: float32}, registered_name: "\(hostile(7))"}
              depthwise_initializer: {module: "\(hostile(8))", class_name: GlorotUniform, config: {seed: null}, registered_name: "\(hostile(9))"}
              pointwise_initializer: {module: "keras.initializers", class_name: Orthogonal, config: {gain: 1.0, seed: 3}, registered_name: "\(hostile(10))"}
              bias_initializer: {class_name: STFT, config: {window: "\(hostile(11))"}}
              depthwise_regularizer: {module: "\(hostile(12))", class_name: L2, config: {l2: 0.01, note: "\(hostile(14))"}, registered_name: "L2QZXJ13"}
              pointwise_regularizer: {class_name: L1, config: {l1: "\(hostile(15))"}}
              bias_regularizer: {class_name: L1L2, config: {l1: 0.0, l2: "\(hostile(16))"}}
              activity_regularizer: {class_name: !q!QZXJ27 l2, config: {x: "\(hostile(17))"}}
              depthwise_constraint: {class_name: MaxNorm, config: {axis: "\(hostile(18))"}}
              pointwise_constraint: &QZXJ29 {class_name: non_neg, config: {m: "\(hostile(19))"}}
              bias_constraint: *QZXJ29
            weights:
              depthwise_kernel: \(quoted(dw))
              pointwise_kernel: \(pw)
              bias: \(quoted(bias))   # \(hostile(22))
            ...
            # \(hostile(23))

            """
        let files: [String: [UInt8]] = [
            dw: NPY.write(Tensor(shape: [3, 2, 1], scalars: [0.5, -1, 0.25, 2, -0.75, 1.5]), as: .float32),
            pw: NPY.write(Tensor(shape: [1, 2, 3], scalars: [1, 0.5, -2, 0.125, 3, -1]), as: .float32),
            bias: NPY.write(Tensor(shape: [3], scalars: [0.1, -0.2, 0.3]), as: .float32),
        ]
        return (yaml, files)
    }

    /// The forms of the layer's name the emitters may print: the C name, the
    /// include guard's upper case, the Swift type; each may be a part of a
    /// longer identifier (`qzxj00_layer_INPUT_STEPS`, `SEPCONV_GEN_QZXJ00_LAYER_H`).
    static var allowedNameToken: Regex<(Substring, Substring?, Substring, Substring?)> { #/^([A-Za-z0-9_]*_)?(qzxj00_layer|QZXJ00_LAYER|Qzxj00Layer)(_[A-Za-z0-9_]*)?$/# }

    /// Every problem with `text`: a marker outside an allowed identifier, or a spelling of a mixed-case value.
    static func leaks(in text: String) -> [String] {
        var problems: [String] = []
        for token in text.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")) }) {
            let word = String(token)
            guard word.lowercased().contains(stem) else { continue }
            if word.wholeMatch(of: allowedNameToken) == nil { problems.append("token '\(word)'") }
        }
        // Markers glued to non-identifier text are caught here too.
        let cleaned = text.replacing(#/[A-Za-z0-9_]*(qzxj00_layer|QZXJ00_LAYER|Qzxj00Layer)[A-Za-z0-9_]*/#, with: "")
        if cleaned.lowercased().contains(stem) { problems.append("a marker outside the name's identifiers") }
        for value in ["sAmE", "cHaNnElS_LaSt"] where cleaned.contains(value) {
            problems.append("the spec's spelling '\(value)'")
        }
        return problems
    }

    static func check(_ files: [OutputFile], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!files.isEmpty, sourceLocation: sourceLocation)
        for file in files {
            #expect(file.name.hasPrefix(name + "."), "file name \(file.name)", sourceLocation: sourceLocation)
            let problems = leaks(in: file.contents)
            #expect(problems.isEmpty, "\(file.name): \(problems)", sourceLocation: sourceLocation)
            #expect(file.contents.contains(name) || file.contents.contains("Qzxj00Layer"), "the name itself is there", sourceLocation: sourceLocation)
        }
    }

    @Test func theCheckFindsALeak() {
        #expect(Self.leaks(in: "void qzxj00_layer(void); int qzxj00_layer_INPUT_STEPS; enum Qzxj00Layer {}").isEmpty)
        #expect(!Self.leaks(in: "/* QZXJ05 */").isEmpty)
        #expect(!Self.leaks(in: "qzxj00_layer.c: QZXJ14").isEmpty)
        #expect(!Self.leaks(in: "xqzxj00").isEmpty)
        #expect(!Self.leaks(in: "padding sAmE").isEmpty)
    }

    /// The marked spec, compiled by the library, in every language and unrolling.
    @Test(arguments: UnrollRequest.allCases)
    func noSpecTextReachesTheEmittedCode(_ unroll: UnrollRequest) throws {
        let scratch = try ScratchFolder(prefix: "injection")
        let (yaml, files) = Self.markedSpec(weightFolder: "QZXJ22 dir")
        // The spec's folder path holds '*/' and a quote: "QZXJ24 */ \" dir/QZXJ25 */".
        let folder = "QZXJ24 */ \" dir/QZXJ25 *"
        let spec = try scratch.write(folder + "/QZXJ26 \" ' spec.yaml", yaml)
        for (name, bytes) in files { try scratch.write(folder + "/" + name, bytes) }
        let compiled = try SpecCompiler(unroll: unroll).compile(file: spec)
        #expect(compiled.plan.name == Self.name)
        #expect(compiled.plan.padding == .same && compiled.plan.dataFormat == .channelsLast)
        Self.check(Generator.files(for: compiled.plan, languages: [.c, .swift]))
    }

    /// A name is the only spec text that may reach the code; the names that
    /// would break out of an identifier are refused before anything is emitted.
    @Test(arguments: ["a */ b", "a\nb", "a\"b", "a\\b", "a??/", "a{{NAME}}", "x); system(\"rm -rf /\"); (", "a\u{0}b", "`a`", "a//b"])
    func namesThatCouldInjectAreRefused(_ candidate: String) throws {
        let scratch = try ScratchFolder(prefix: "injection")
        let (yaml, files) = Self.markedSpec(weightFolder: "w")
        let escaped = candidate.unicodeScalars.map { $0.value < 0x20 || $0 == "\"" || $0 == "\\" ? String(format: "\\u%04X", $0.value) : String($0) }.joined()
        let spec = try scratch.write("spec.yaml", yaml.replacingOccurrences(of: "name: \(Self.name)", with: "name: \"\(escaped)\""))
        for (name, bytes) in files { try scratch.write(name, bytes) }
        #expect(throws: DiagnosticError.self) { try SpecCompiler().compile(file: spec) }
    }
}
