/// How large the emitted source of a plan will be, estimated from its cost
/// before anything is printed (for `explain` and `--unroll full`'s warning).
///
/// Measured on the emitted files: a fully unrolled multiply-add prints about
/// 26 bytes of C (31 for float64: longer literals) and 41 of Swift (48),
/// one statement per term; a `loops` kernel is about 10 KB of code plus
/// about 24 bytes per weight literal (32 for float64).
public enum SourceEstimate {
    /// Source bytes above which `--unroll full` warns that compilers will be slow.
    public static let fullUnrollWarningBytes = 1 << 20

    /// The estimated bytes of the emitted source of `plan` in `language`.
    public static func bytes(_ plan: LayerPlan, _ language: TargetLanguage) -> Int {
        let wide = plan.dtype == .float64
        switch plan.unroll[language] {
        case .full:
            let perTerm = language == .c ? (wide ? 31 : 26) : (wide ? 48 : 41)
            return 4_000 + plan.multiplyAdds * perTerm
        case .loops:
            return 10_000 + plan.parameterCount * (wide ? 32 : 24)
        }
    }

    /// `1.4 MB`, `13 KB`, `512 bytes`.
    public static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return String(Double(bytes * 10 / (1 << 20)) / 10) + " MB" }
        if bytes >= 1 << 10 { return "\(bytes / (1 << 10)) KB" }
        return "\(bytes) bytes"
    }
}
