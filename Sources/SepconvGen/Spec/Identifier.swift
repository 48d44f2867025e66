/// Names in the emitted code: the checks a spec's `name` must pass, and the
/// words it may not be, in one place.
public enum Identifier {
    /// The longest name: 63 characters, C99's guaranteed significant length.
    public static let maxLength = 63

    /// Why `name` cannot name a layer, or nil when it can.
    public static func problem(with name: String) -> String? {
        guard !name.isEmpty else { return "the name is empty" }
        guard name.count <= maxLength else {
            return "the name is \(name.count) characters long; at most \(maxLength) are allowed"
        }
        let scalars = Array(name.unicodeScalars)
        guard scalars.allSatisfy({ $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else {
            return "'\(printable(name))' is not a C identifier: use only A-Z, a-z, 0-9 and _"
        }
        if ("0"..."9").contains(scalars[0]) {
            return "'\(name)' is not a C identifier: it starts with a digit"
        }
        if reservedWords.contains(name) {
            return "'\(name)' is a reserved word or a standard library name in C, C++ or Swift"
        }
        if let header = CLibraryNames.header(declaring: name) {
            return "'\(name)' is declared by \(header); code that includes it beside the generated header would not compile: choose another name, e.g. '\(name)_layer'"
        }
        if name.hasPrefix("__") || (scalars.count > 1 && scalars[0] == "_" && ("A"..."Z").contains(scalars[1])) {
            return "'\(name)' is reserved in C (it starts with '__' or '_' and a capital letter)"
        }
        let type = swiftTypeName(name)
        if type.isEmpty {
            return "'\(name)' has no letters or digits to make the Swift type name from"
        }
        if reservedTypeNames.contains(type) {
            return "'\(name)' would name the Swift type '\(type)', which the emitted Swift itself uses"
        }
        return nil
    }

    /// The Swift type for a layer name: split on `_`, each part capitalised
    /// (`kws_block1` becomes `KwsBlock1`).
    public static func swiftTypeName(_ name: String) -> String {
        name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// `text` with anything but printable ASCII shown as `?`, for messages.
    public static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(80).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }

    /// C99/C11/C23 and C++ keywords, Swift keywords, and the names the
    /// emitted files see from `<stddef.h>`, `<string.h>` and `<math.h>`.
    public static let reservedWords: Set<String> = {
        let c = """
        auto break case char const continue default do double else enum extern float for goto if inline int long
        register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
        alignas alignof bool constexpr false nullptr static_assert thread_local true typeof typeof_unqual
        """
        let cpp = """
        and and_eq asm bitand bitor catch char8_t char16_t char32_t class compl concept consteval constinit const_cast
        co_await co_return co_yield decltype delete dynamic_cast explicit export friend mutable namespace new noexcept
        not not_eq operator or or_eq private protected public reinterpret_cast requires static_cast template this throw
        try typeid typename using virtual wchar_t xor xor_eq final override import module
        """
        let swift = """
        associatedtype borrowing consuming deinit fileprivate func init inout internal let nonisolated open
        precedencegroup protocol rethrows self Self some subscript super Any Type Protocol var is as in nil
        defer guard repeat fallthrough where await async actor package any
        """
        let library = """
        main NULL size_t ptrdiff_t max_align_t offsetof wchar_t memcpy memset memmove memcmp strlen errno assert
        exp expf expl exp2 exp2f expm1 expm1f log logf log1p log1pf log2 log10 pow powf sqrt sqrtf cbrt fabs fabsf
        fmax fmaxf fmin fminf fma fmaf floor floorf ceil ceilf round roundf trunc truncf tanh tanhf sinh cosh sin cos
        tan asin acos atan atan2 erf erff erfc erfcf lgamma tgamma hypot fmod remainder copysign nan nanf isnan isinf
        isfinite signbit fpclassify float_t double_t HUGE_VAL HUGE_VALF INFINITY NAN M_PI
        """
        return Set((c + " " + cpp + " " + swift + " " + library).split(whereSeparator: \.isWhitespace).map(String.init))
    }()

    /// Swift type names the emitted Swift refers to, which a layer's type must not shadow.
    public static let reservedTypeNames: Set<String> = [
        "Swift", "Int", "Float", "Double", "Bool", "String", "Array", "Optional", "Never", "Void",
        "UnsafeBufferPointer", "UnsafeMutableBufferPointer", "UnsafePointer", "UnsafeMutablePointer",
        "SIMD", "SIMD2", "SIMD4", "SIMD8", "SIMD16", "Foundation", "Glibc", "Darwin", "Musl", "Android", "WinSDK",
        "Any", "Self", "Type", "Protocol", "Sendable",
        // The types `streaming: true` declares inside the layer's enum.
        "Stream", "StreamFrame", "StreamTile",
    ]
}
