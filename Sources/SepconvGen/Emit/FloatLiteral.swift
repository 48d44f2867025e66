/// Exact, locale-free literals for weights: hexadecimal floating-point
/// (`0x1.99999ap-4`), which C99 and Swift both read without rounding.
enum FloatLiteral {
    /// `[-]0x1.<fraction>p<exponent>`, or `0x0p+0` for zero; fraction digits trimmed.
    static func hex<T: BinaryFloatingPoint>(_ value: T) -> String {
        let sign = value.sign == .minus ? "-" : ""
        guard value != 0 else { return sign + "0x0p+0" }
        // `significand` is in [1, 2) and `exponent` unbiased, subnormals included.
        let magnitude = value.magnitude
        let digits = (T.significandBitCount + 3) / 4
        let bits = UInt64(magnitude.significand.significandBitPattern) << UInt64(digits * 4 - T.significandBitCount)
        let exponent = Int(magnitude.exponent)
        var text = String(bits, radix: 16)
        text = String(repeating: "0", count: digits - text.count) + text
        while text.hasSuffix("0") { text.removeLast() }
        let exponentText = exponent >= 0 ? "+\(exponent)" : "\(exponent)"
        return sign + "0x1" + (text.isEmpty ? "" : "." + text) + "p" + exponentText
    }
}
