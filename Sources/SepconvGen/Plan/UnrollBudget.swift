/// How large a layer `--unroll auto` emits fully unrolled: `full` only while
/// **both** the layer's multiply-adds per item fit the compile-time budget
/// (`multiplyAdds(for:)`, 512) **and** the fully unrolled kernel's
/// estimated code (`estimatedFullCodeBytes`) fits `codeBytes` (2 KiB, what
/// a `loops` kernel is held to on a Cortex-M4); past either, the `loops`
/// kernel. The two together are one budget of multiply-adds per language
/// and dtype (`autoMultiplyAdds`): 128 for float32, 53 for float64.
/// (`--unroll full` still emits it at any size, as asked.)
///
/// Compile time, measured on AMD EPYC Zen 4 (gcc 12.2, clang 21, swiftc
/// 6.3), layers (steps, channels, filters, kernel 3, same, relu), CPU seconds
/// of one compile of the emitted file (~: scaled from wall time on a machine
/// loaded 2-3x):
///
/// | multiply-adds | gcc -O2 | clang -O2 | swiftc -O | ns/item full vs loops, gcc -O3 | clang -O3 |
/// | ---: | ---: | ---: | ---: | ---: | ---: |
/// | 344 (8, 4, 8) | 0.1 s | 0.2 s | 0.5 s | 25 vs 25 | 20 vs 21 |
/// | 1,392 (16, 8, 8) | 0.6 s | 0.2 s | 1.2 s | 264 vs 71 | 83 vs 83 |
/// | 2,416 (16, 8, 16) | 1.2 s | 0.2 s | 2.3 s | 673 vs 79 | 98 vs 89 |
/// | 4,848 (32, 8, 16) | ~4 s | 0.2 s | - | 1,661 vs 148 | 209 vs 142 |
/// | 17,888 (32, 16, 32) | ~80 s | ~2 s | - | - | - |
///
/// gcc's time grows superlinearly (tree PRE over one huge function), and
/// past a few hundred multiply-adds the straight-line kernel is not faster
/// than the vectorised `loops` kernel on x86 (gcc does not vectorise it: up
/// to 11x slower): hence the 512.
///
/// Code size: on a Cortex-M4 (where the emitted C takes the scalar path)
/// every multiply-add of the unrolled kernel is its own instructions with
/// its weight a literal in the instruction stream, 16 to 19 bytes each in
/// float32 and about 38 in float64 (software double precision), while the
/// scalar `loops` kernel stays under 1 KB whatever the layer. Measured with
/// `Benchmarks/cortexm.sh --sweep --markdown` (float32, channels_last,
/// kernel 3, same, relu, bias; code = text + rodata − weight bytes;
/// arm-none-eabi-gcc 12.2.1 -O2 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard
/// -mfpu=fpv4-sp-d16; instr. = executed instructions of one call in the
/// unicorn emulator, counts not times; host: gcc 12.2 -O2, ns of CPU time
/// per call on a shared, loaded machine):
///
/// | layer (steps, in -> out) | weights | multiply-adds | M4 full code | instr. | M4 loops code | instr. | host full code | ns | host loops code | ns |
/// | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
/// | 8, 2 -> 4 | 18 | 108 | 1,716 | 443 | 480 | 1,043 | 1,916 | 25.60 | 811 | 32.10 |
/// | 8, 4 -> 8 | 52 | 344 | 5,628 | 1,345 | 480 | 2,583 | 4,821 | 61.40 | 1,628 | 72.90 |
/// | 16, 4 -> 8 | 52 | 696 | 10,912 | 2,601 | 644 | 5,219 | 11,141 | 179.50 | 1,904 | 149.50 |
/// | 12, 3 -> 8 | 41 | 390 | 6,128 | 1,529 | 596 | 3,267 | 6,313 | 103.90 | 2,368 | 211.10 |
/// | 16, 8 -> 8 | 96 | 1,392 | 23,096 | 4,793 | 680 | 8,844 | 20,809 | 236.60 | 1,984 | 214.50 |
/// | 16, 8 -> 16 | 168 | 2,416 | 44,864 | 8,814 | 752 | 11,704 | 49,597 | 1138.00 | 5,496 | 2118.90 |
/// | 32, 8 -> 16 | 168 | 4,848 | 91,664 | 17,922 | 776 | 21,095 | 99,597 | 2345.30 | 4,678 | 4432.20 |
///
/// (The M4's default build and `-DSEPCONV_GEN_PORTABLE` are the same scalar
/// code and give the same figures.) float64, the same way (text + rodata of
/// the `full` kernel, drawn weights): (8, 2 -> 4) 4,072 bytes, (8, 4 -> 8)
/// 12,968, (16, 4 -> 8) 26,024, against 1,672, 5,520 and 10,428 in float32.
///
/// Straight-line code executes fewer instructions, but it runs from flash at
/// the flash's fetch rate (an STM32F4 at 168 MHz: 5 wait states, 16 bytes a
/// fetch behind a 1 KB cache, about 6 cycles per 16-byte multiply-add once
/// the code is larger than the cache), while a `loops` kernel of 1 KB runs
/// from the cache: on such a core `auto` does not pick it past 2 KiB. What
/// the rule gives up where code size does not matter: on x86-64 `full` is
/// 1.2x to 2x faster than `loops` on the layers between 128 and 512
/// multiply-adds (344 and 390 above). Swift takes the same rule (its code
/// size was not measured here; its unrolled source is the larger).
public enum UnrollBudget {
    /// C: gcc and clang at -O2/-O3, the compile-time budget.
    public static let c = 512
    /// Swift: swiftc -O, the compile-time budget.
    public static let swift = 512
    /// Most estimated code bytes of a fully unrolled kernel `auto` emits.
    public static let codeBytes = 2_048

    /// The compile-time budget of multiply-adds for `language`.
    public static func multiplyAdds(for language: TargetLanguage) -> Int {
        language == .c ? c : swift
    }

    /// Estimated code bytes of one multiply-add of a fully unrolled kernel
    /// (Cortex-M4, -O2, measured above: 15.7 to 18.9 in float32, 37.4 to
    /// 37.7 in float64; the figure of the small layers, where the budget falls).
    public static func bytesPerMultiplyAdd(_ dtype: DType) -> Int {
        dtype.format.bytesPerMultiplyAdd
    }

    /// Estimated code bytes of the fully unrolled kernel of a layer of `multiplyAdds`.
    public static func estimatedFullCodeBytes(multiplyAdds: Int, dtype: DType) -> Int {
        multiplyAdds * bytesPerMultiplyAdd(dtype)
    }

    /// The most multiply-adds `auto` unrolls fully: within both budgets.
    public static func autoMultiplyAdds(for language: TargetLanguage, dtype: DType) -> Int {
        min(multiplyAdds(for: language), codeBytes / bytesPerMultiplyAdd(dtype))
    }
}
