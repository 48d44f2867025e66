/// The C spelling of the int8 vector paths (`QuantizedPlan.vectorTargets`):
/// each one's helper, which adds a block of
/// `QuantizedPlan.vectorTile` filters' products over the whole
/// intermediate into `sums`. The helper's text is the same for every layer
/// but for its name (the namer's, from the validated layer name).
extension VectorGuard {
    /// The helper `name(pairs, weights, count, sums)`: for `count` words of
    /// `pairs` (two intermediate channels as int16 halves, the first in the
    /// low half) and the block's int8 weights, 16 bytes a word (filter 0's
    /// two channels, filter 1's, ...), adds each filter's products into
    /// `sums[0 ... 7]`. Every product and pair sum is exact in int16 × int16
    /// → int32, and wrapping int32 adds give the exact total whatever their
    /// order, as the plan bounds it below 2^31.
    func int8DotHelper(_ name: String) -> [String] {
        let signature = "static void \(name)(const int32_t *pairs, const int8_t *weights, int count, int32_t *sums)"
        switch self {
        case .x86AVX2:
            return [
                "/* Each word of pairs broadcast, times the block's weights widened to int16: 8 filters per _mm256_madd_epi16. */",
                signature,
                "{",
                "    __m256i sum = _mm256_loadu_si256((const __m256i *)sums);",
                "    int p;",
                "    for (p = 0; p < count; ++p) {",
                "        __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(weights + 16 * p)));",
                "        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_set1_epi32(pairs[p]), w));",
                "    }",
                "    _mm256_storeu_si256((__m256i *)sums, sum);",
                "}",
            ]
        case .aarch64NEON:
            return [
                "/* Each word of pairs broadcast, times the block's weights widened to int16 (vmlal_s16: lanes f0.c0 f0.c1 f1.c0 f1.c1 ...),",
                "   the two channels of each filter added at the end (vpaddq_s32). */",
                signature,
                "{",
                "    int32x4_t e0 = vdupq_n_s32(0), e1 = e0, e2 = e0, e3 = e0;",
                "    int p;",
                "    for (p = 0; p < count; ++p) {",
                "        int8x16_t w = vld1q_s8(weights + 16 * p);",
                "        int16x8_t low = vmovl_s8(vget_low_s8(w)), high = vmovl_high_s8(w);",
                "        int16x8_t m = vreinterpretq_s16_s32(vdupq_n_s32(pairs[p]));",
                "        e0 = vmlal_s16(e0, vget_low_s16(low), vget_low_s16(m));",
                "        e1 = vmlal_high_s16(e1, low, m);",
                "        e2 = vmlal_s16(e2, vget_low_s16(high), vget_low_s16(m));",
                "        e3 = vmlal_high_s16(e3, high, m);",
                "    }",
                "    vst1q_s32(sums, vaddq_s32(vld1q_s32(sums), vpaddq_s32(e0, e1)));",
                "    vst1q_s32(sums + 4, vaddq_s32(vld1q_s32(sums + 4), vpaddq_s32(e2, e3)));",
                "}",
            ]
        case .floatSIMD, .armDSP:
            return []
        }
    }
}
