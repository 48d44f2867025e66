/// The C spelling of the int8 vector paths' helpers (`Int8VectorHelper`)
/// on each vector target (`QuantizedPlan.vectorTargets`). Their text is the
/// same for every layer but for the name (the namer's, from the validated
/// layer name). Every product is exact in int16 (|w·x| ≤ 2^14) or int32,
/// and wrapping int32 adds give the exact total whatever their order, as
/// the plan bounds every sum below 2^31: the numbers are the plain path's.
extension VectorGuard {
    /// The C lines of `helper` on this target, named `name`.
    func int8Helper(_ helper: Int8VectorHelper, name: String) -> [String] {
        switch (self, helper) {
        case (.x86AVX2, .depthwise8):
            return [
                "/* sums[i] += w[j * taps + i] * x[j * step + i] for i < 8, j < count: int8 widened to int32, _mm256_mullo_epi32. */",
                "static void \(name)(const int8_t *x, const int8_t *w, int count, int step, int taps, int32_t *sums)",
                "{",
                "    __m256i sum = _mm256_loadu_si256((const __m256i *)sums);",
                "    int j;",
                "    for (j = 0; j < count; ++j) {",
                "        __m256i a = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(x + j * step)));",
                "        __m256i b = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(w + j * taps)));",
                "        sum = _mm256_add_epi32(sum, _mm256_mullo_epi32(a, b));",
                "    }",
                "    _mm256_storeu_si256((__m256i *)sums, sum);",
                "}",
            ]
        case (.aarch64NEON, .depthwise8):
            return [
                "/* sums[i] += w[j * taps + i] * x[j * step + i] for i < 8, j < count: int8 widened to int16, vmlal_s16. */",
                "static void \(name)(const int8_t *x, const int8_t *w, int count, int step, int taps, int32_t *sums)",
                "{",
                "    int32x4_t low = vld1q_s32(sums), high = vld1q_s32(sums + 4);",
                "    int j;",
                "    for (j = 0; j < count; ++j) {",
                "        int16x8_t a = vmovl_s8(vld1_s8(x + j * step)), b = vmovl_s8(vld1_s8(w + j * taps));",
                "        low = vmlal_s16(low, vget_low_s16(a), vget_low_s16(b));",
                "        high = vmlal_high_s16(high, a, b);",
                "    }",
                "    vst1q_s32(sums, low);",
                "    vst1q_s32(sums + 4, high);",
                "}",
            ]
        case (.x86AVX2, .dot8):
            return [
                "/* sums[f] += the products of filter f < 8 over count channel pairs: each word of pairs (two int16 channels) broadcast,",
                "   times the block's weights (16 bytes a pair: filter 0's two, filter 1's, ...) widened to int16, by _mm256_madd_epi16. */",
                "static void \(name)(const int32_t *pairs, const int8_t *weights, int count, int32_t *sums)",
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
        case (.aarch64NEON, .dot8):
            return [
                "/* sums[f] += the products of filter f < 8 over count channel pairs: each word of pairs (two int16 channels) broadcast,",
                "   times the block's weights (16 bytes a pair: filter 0's two, filter 1's, ...) widened to int16, by vmlal_s16 into",
                "   lanes f0.c0 f0.c1 f1.c0 f1.c1 ..., each filter's two lanes added at the end (vpaddq_s32). */",
                "static void \(name)(const int32_t *pairs, const int8_t *weights, int count, int32_t *sums)",
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
        case (.x86AVX2, .requantize8):
            return [
                "/* out[i] = requantize(sums[i], multiplier[i], offset[i], shift[i], least, most) for i < 8, the same int64 sums:",
                "   _mm256_mul_epi32 on the even lanes, then on the odd ones moved down, each high word kept. */",
                "static void \(name)(const int32_t *sums, const int32_t *multiplier, const int32_t *offset, const int32_t *shift,",
                "                    const int32_t least, const int32_t most, int8_t *out)",
                "{",
                "    const __m256i acc = _mm256_loadu_si256((const __m256i *)sums), half = _mm256_set1_epi64x((long long)1 << 31);",
                "    const __m256i doubled = _mm256_add_epi32(acc, acc);",
                "    const __m256i m = _mm256_loadu_si256((const __m256i *)multiplier), o = _mm256_loadu_si256((const __m256i *)offset);",
                "    const __m256i even = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(doubled, m), _mm256_slli_epi64(o, 32)), half);",
                "    const __m256i odd = _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(doubled, 32), _mm256_srli_epi64(m, 32)),",
                "                                                          _mm256_slli_epi64(_mm256_srli_epi64(o, 32), 32)), half);",
                "    const __m256i high = _mm256_add_epi32(_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA), _mm256_srai_epi32(doubled, 31));",
                "    const __m256i scaled = _mm256_srav_epi32(high, _mm256_loadu_si256((const __m256i *)shift));",
                "    const __m256i clamped = _mm256_min_epi32(_mm256_max_epi32(scaled, _mm256_set1_epi32(least)), _mm256_set1_epi32(most));",
                "    const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(clamped), _mm256_extracti128_si256(clamped, 1));",
                "    _mm_storel_epi64((__m128i *)out, _mm_packs_epi16(words, words));",
                "}",
            ]
        case (.aarch64NEON, .requantize8):
            return [
                "/* out[i] = requantize(sums[i], multiplier[i], offset[i], shift[i], least, most) for i < 8, the same int64 sums (vmull_s32). */",
                "static void \(name)(const int32_t *sums, const int32_t *multiplier, const int32_t *offset, const int32_t *shift,",
                "                    const int32_t least, const int32_t most, int8_t *out)",
                "{",
                "    const int64x2_t half = vdupq_n_s64((int64_t)1 << 31);",
                "    int16x4_t words[2];",
                "    int h;",
                "    for (h = 0; h < 2; ++h) {",
                "        const int32x4_t acc = vld1q_s32(sums + 4 * h), m = vld1q_s32(multiplier + 4 * h), o = vld1q_s32(offset + 4 * h);",
                "        const int32x4_t doubled = vaddq_s32(acc, acc);",
                "        const int64x2_t low = vaddq_s64(vaddq_s64(vmull_s32(vget_low_s32(doubled), vget_low_s32(m)), vshll_n_s32(vget_low_s32(o), 32)), half);",
                "        const int64x2_t high = vaddq_s64(vaddq_s64(vmull_high_s32(doubled, m), vshll_high_n_s32(o, 32)), half);",
                "        const int32x4_t word = vaddq_s32(vcombine_s32(vshrn_n_s64(low, 32), vshrn_n_s64(high, 32)), vshrq_n_s32(doubled, 31));",
                "        const int32x4_t scaled = vshlq_s32(word, vnegq_s32(vld1q_s32(shift + 4 * h)));",
                "        words[h] = vqmovn_s32(vminq_s32(vmaxq_s32(scaled, vdupq_n_s32(least)), vdupq_n_s32(most)));",
                "    }",
                "    vst1_s8(out, vqmovn_s16(vcombine_s16(words[0], words[1])));",
                "}",
            ]
        // The float paths and the DSP path (its helpers are ACLE intrinsics) have no int8 vector helpers.
        case (.floatSIMD, _), (.armDSP, _), (.avx512, _), (.mveFloat, _), (.mProfileFPU, _):
            return []
        }
    }
}
