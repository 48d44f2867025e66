/// What a scalar means under the YAML 1.1 core resolution rules that matter
/// for specs: null, booleans, integers, floats and strings.
public enum ScalarValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}

extension Node.Scalar {
    /// The scalar resolved as YAML 1.1 resolves a plain scalar; quoted
    /// scalars and `!!str` are always strings.
    public var resolved: ScalarValue {
        if let tag {
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:null": return .null
            default: break
            }
        }
        guard isPlain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL":
            return .null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON":
            return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF":
            return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF":
            return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF":
            return .float(-.infinity)
        case ".nan", ".NaN", ".NAN":
            return .float(.nan)
        default:
            break
        }
        if let int = Self.parseInteger(text) { return .int(int) }
        if let float = Self.parseFloat(text) { return .float(float) }
        return .string(text)
    }

    /// Decimal (optional sign, `_` separators) and `0x`/`0o`/`0b` integers.
    private static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            negative = first == "-"
            body = body.dropFirst()
        }
        var radix = 10
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            radix = base
            body = body.dropFirst(2)
        }
        let digits = body.filter { $0 != "_" }
        guard !digits.isEmpty, !body.hasPrefix("_"),
              digits.allSatisfy({ $0.isASCII && $0.isHexDigit }),
              let magnitude = Int(digits, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Decimal floats such as `1.5`, `-2e-3`, `.5`, `1.` (JSON and YAML 1.1 forms).
    private static func parseFloat(_ text: String) -> Double? {
        let allowed = Set("0123456789+-.eE_")
        guard !text.isEmpty, text.allSatisfy({ allowed.contains($0) }),
              text.contains(where: \.isNumber) else { return nil }
        return Double(text.filter { $0 != "_" })
    }
}
