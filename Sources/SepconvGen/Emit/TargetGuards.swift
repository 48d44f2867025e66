/// The C spelling of the plan's target guards.
extension VectorGuard {
    /// The macros that say a target has float SIMD registers.
    static let simdMacros = ["__SSE2__", "__ARM_NEON", "__ARM_NEON__", "__riscv_vector", "__ALTIVEC__", "__VSX__",
                             "__wasm_simd128__", "__mips_msa"]

    /// The preprocessor condition of the guard.
    var cCondition: String {
        switch self {
        case .floatSIMD:
            "defined(__GNUC__) && !defined(SEPCONV_GEN_PORTABLE) && (" + Self.simdMacros.map { "defined(\($0))" }.joined(separator: " || ") + ")"
        case .armDSP:
            "defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)"
        case .x86AVX2:
            "defined(__GNUC__) && !defined(SEPCONV_GEN_PORTABLE) && defined(__AVX2__)"
        case .aarch64NEON:
            "defined(__GNUC__) && !defined(SEPCONV_GEN_PORTABLE) && defined(__aarch64__) && defined(__ARM_NEON)"
        case .avx512:
            "defined(__AVX512F__)"
        case .mveFloat:
            "defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2) && !defined(SEPCONV_GEN_PORTABLE)"
        case .mProfileFPU:
            "defined(__GNUC__) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M' && defined(__ARM_FP) && (__ARM_FP & 4)"
        }
    }
}

/// A preprocessor line of C's choice among a guarded section's paths
/// (`KernelModule.Section.guarded`): the compiler takes the first path whose
/// target it has, else the fallback.
enum TargetDirective {
    /// Opens a path on its target's condition (`VectorGuard.cCondition`, or
    /// a macro defined from it): the first path's `#if`, a later one's `#elif`.
    case path(String, first: Bool)
    /// Opens the fallback.
    case fallback
    /// Closes the guard.
    case end

    /// The directive's line.
    var cLine: String {
        switch self {
        case .path(let condition, let first): (first ? "#if " : "#elif ") + condition
        case .fallback: "#else"
        case .end: "#endif"
        }
    }
}
