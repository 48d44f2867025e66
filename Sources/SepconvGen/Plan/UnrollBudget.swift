/// How many multiply-adds `--unroll auto` lets a fully unrolled kernel have,
/// per language, so that every emitted file compiles in seconds.
///
/// Compilers slow down sharply on huge straight-line code: a 55k multiply-add
/// kernel takes clang seconds and gcc over ten, and swiftc did not finish
/// one in five minutes. Past the budget `auto` emits loops.
public enum UnrollBudget {
    /// C: gcc and clang at -O2/-O3.
    public static let c = 4_096
    /// Swift: swiftc -O type-checks and optimises long expressions far more slowly.
    public static let swift = 1_024

    /// The budget for `language`.
    public static func multiplyAdds(for language: TargetLanguage) -> Int {
        language == .c ? c : swift
    }
}
