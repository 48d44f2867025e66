/// The element type of a plan's tensors and of the code emitted for it: the
/// one place that knows its size, its accumulator, how each language spells
/// it and its literals, and how a value is rounded to it. Everything that
/// differs between float32, float64 and int8 asks this value instead of
/// testing the dtype.
public struct NumericFormat: Hashable, Sendable {
    /// The element types.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case float32, float64
        /// Quantized int8 (SPEC.md section 7): int8 tensors, int32 accumulators.
        case int8
    }

    public var kind: Kind

    /// IEEE single precision.
    public static let float32 = NumericFormat(kind: .float32)
    /// IEEE double precision.
    public static let float64 = NumericFormat(kind: .float64)
    /// TFLite's int8 with int32 accumulation.
    public static let int8 = NumericFormat(kind: .int8)

    /// The name `explain` and the diagnostics give (`float32`, `float64`, `int8`).
    public var name: String { kind.rawValue }

    /// Whether the elements are integers (quantized).
    public var isInteger: Bool { kind == .int8 }

    /// Bytes of one element.
    public var bytes: Int {
        switch kind {
        case .float32: 4
        case .float64: 8
        case .int8: 1
        }
    }

    /// The element type in `language`: `float`/`Float`, `double`/`Double`, `int8_t`/`Int8`.
    public func spelling(_ language: TargetLanguage) -> String {
        switch (kind, language) {
        case (.float32, .c): "float"
        case (.float32, .swift): "Float"
        case (.float64, .c): "double"
        case (.float64, .swift): "Double"
        case (.int8, .c): "int8_t"
        case (.int8, .swift): "Int8"
        }
    }

    /// The type sums are accumulated in, in `language`: the element type for
    /// floats, int32 for int8.
    public func accumulator(_ language: TargetLanguage) -> String {
        guard kind == .int8 else { return spelling(language) }
        return language == .c ? "int32_t" : "Int32"
    }

    /// The `.npy` element type of the layer's input and output.
    public var npy: NPY.ElementType {
        switch kind {
        case .float32: .float32
        case .float64: .float64
        case .int8: .int8
        }
    }

    /// `value` as the emitted code holds it: rounded to float32, kept as a
    /// double, or rounded to an integer (half away from zero) for int8.
    public func round(_ value: Double) -> Double {
        switch kind {
        case .float32: Double(Float(value))
        case .float64: value
        case .int8: value.rounded()
        }
    }

    /// An exact literal of the element type in `language`: hexadecimal
    /// floating point for floats (C float32 with the `f` suffix; Swift takes
    /// the type from the context), decimal for integers.
    func literal(_ value: Double, _ language: TargetLanguage) -> String {
        switch kind {
        case .float32: FloatLiteral.hex(Float(value)) + (language == .c ? "f" : "")
        case .float64: FloatLiteral.hex(value)
        case .int8: String(Int(value.rounded()))
        }
    }

    /// The suffix C gives the math library's functions and decimal literals
    /// in this precision (`expf`, `1.0f`); empty for double.
    var cSuffix: String {
        switch kind {
        case .float32: "f"
        case .float64, .int8: ""
        }
    }

    /// Whether the Cortex-M cores compute in this type in hardware: their
    /// FPU (FPv4-SP, FPv5-SP) and Helium's float lanes (MVE-F) are single
    /// precision only, so a float64 layer takes the portable path there.
    var hasMProfileHardware: Bool { kind == .float32 }

    /// Estimated code bytes of one multiply-add of a fully unrolled kernel
    /// (Cortex-M4, -O2: 15.7 to 18.9 in float32, 37.4 to 37.7 in float64, the
    /// figure of the small layers, where the budget falls; int8 multiplies
    /// a byte load by an immediate and adds, like float32).
    var bytesPerMultiplyAdd: Int { kind == .float64 ? 38 : 16 }
}

extension DType {
    /// The numeric format of this float dtype.
    public var format: NumericFormat {
        switch self {
        case .float32: .float32
        case .float64: .float64
        }
    }
}
