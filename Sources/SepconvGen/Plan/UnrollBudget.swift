/// How many multiply-adds `--unroll auto` lets a fully unrolled kernel have,
/// per language; past the budget `auto` emits the `loops` kernel.
///
/// Measured on AMD EPYC Zen 4 (gcc 12.2, clang 21, swiftc 6.3), layers
/// (steps, channels, filters, kernel 3, same, relu), CPU seconds of one
/// compile of the emitted file (~: scaled from wall time on a machine loaded
/// 2-3x):
///
/// | multiply-adds | gcc -O2 | clang -O2 | swiftc -O | ns/item full vs loops, gcc -O3 | clang -O3 |
/// | ---: | ---: | ---: | ---: | ---: | ---: |
/// | 344 (8, 4, 8) | 0.1 s | 0.2 s | 0.5 s | 25 vs 25 | 20 vs 21 |
/// | 1,392 (16, 8, 8) | 0.6 s | 0.2 s | 1.2 s | 264 vs 71 | 83 vs 83 |
/// | 2,416 (16, 8, 16) | 1.2 s | 0.2 s | 2.3 s | 673 vs 79 | 98 vs 89 |
/// | 4,848 (32, 8, 16) | ~4 s | 0.2 s | - | 1,661 vs 148 | 209 vs 142 |
/// | 17,888 (32, 16, 32) | ~80 s | ~2 s | - | - | - |
///
/// gcc's time grows superlinearly (tree PRE over one huge function), and the
/// straight-line kernel is never faster than the vectorised `loops` kernel
/// (gcc does not vectorise it: up to 11x slower). So `full` is kept to the
/// smallest layers, where it costs nothing: 512 multiply-adds, which compile
/// in well under a second in every compiler and run as fast as `loops`.
/// (`--unroll full` still emits it at any size, as asked.) Swift takes the
/// same budget: its unrolled file compiles slower than its loops, for no gain.
public enum UnrollBudget {
    /// C: gcc and clang at -O2/-O3.
    public static let c = 512
    /// Swift: swiftc -O.
    public static let swift = 512

    /// The budget for `language`.
    public static func multiplyAdds(for language: TargetLanguage) -> Int {
        language == .c ? c : swift
    }
}
