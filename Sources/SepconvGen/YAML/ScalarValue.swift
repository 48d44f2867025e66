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
        // No null, boolean or number is spelled in more bytes than this; a longer plain scalar (a
        // hostile spec's 50 MB of digits) is a string at once, not scanned character by character.
        guard isPlain, text.utf8.count <= Self.maxNumberBytes else { return .string(text) }
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
        guard Self.ambiguity(of: text) == nil else { return .string(text) }
        if let int = Self.parseInteger(text) { return .int(int) }
        if let float = Self.parseFloat(text) { return .float(float) }
        return .string(text)
    }

    /// The longest plain scalar read as anything but a string (a float's 17 significant digits,
    /// exponent and `_` separators fit many times over).
    static let maxNumberBytes = 1024

    /// Why the plain scalar reads as a number in one YAML version and as
    /// another number (or a string) in the other, or nil when it does not.
    /// Such scalars resolve to strings, so that no number is silently read
    /// one way when the writer meant the other; a reader that wants a number
    /// says why it got none with this text.
    public var numberAmbiguity: String? {
        isPlain && tag == nil && text.utf8.count <= Self.maxNumberBytes ? Self.ambiguity(of: text) : nil
    }

    private static func ambiguity(of text: String) -> String? {
        let body = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
        if body.count > 1, body.first == "0", body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "_") }) {
            let octal = body.allSatisfy { ("0"..."7").contains($0) || $0 == "_" }
            let yaml11 = octal ? "octal (\(text) is \(Int(body.filter { $0 != "_" }, radix: 8).map { text.first == "-" ? -$0 : $0 } ?? 0))" : "a string"
            return "YAML 1.1 (this spec's YAML, and PyYAML's) reads '\(text)' as \(yaml11), YAML 1.2 and JSON as a decimal number; write it without the leading zero"
        }
        if body.hasPrefix("0o") {
            return "YAML 1.2 reads '\(text)' as an octal number but YAML 1.1 (this spec's YAML, and PyYAML's) as a string; write it in decimal"
        }
        if body.contains(":"), body.first != ":", body.split(separator: ":", omittingEmptySubsequences: false).allSatisfy({ part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "_" || $0 == ".") }
        }) {
            return "YAML 1.1 (this spec's YAML, and PyYAML's) reads '\(text)' as a base-60 number, YAML 1.2 as a string; write the number in decimal"
        }
        return nil
    }

    /// Decimal (optional sign, `_` separators as YAML 1.1 allows) and
    /// `0x`/`0b` integers (both YAML 1.1 forms; `0o` and leading zeros are ambiguous, see `numberAmbiguity`).
    private static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            negative = first == "-"
            body = body.dropFirst()
        }
        var radix = 10
        for (prefix, base) in [("0x", 16), ("0b", 2)] where body.hasPrefix(prefix) {
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
