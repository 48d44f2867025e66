/*
 * The int8 do-it-yourself baseline: a SeparableConv1D as TensorFlow Lite's
 * reference kernels compute it (DEPTHWISE_CONV_2D then a 1x1 CONV_2D, int8
 * tensors, int32 accumulators, one multiplier and shift per output channel,
 * double-rounding requantization), written the way a user would write it in
 * plain C99: runtime sizes, `filter * (input + input_offset)` per tap with a
 * bounds check, the depthwise result of one output step into a small int8
 * buffer, then the pointwise stage. The multipliers and shifts are given, as
 * TFLite computes them once when it prepares the model.
 */
#include "looped_int8.h"

/* (a * b * 2 + 2^31) >> 32 rounded to nearest, saturating the one overflow (INT32_MIN * INT32_MIN). */
static int32_t rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t product = (int64_t)a * (int64_t)b;
    const int64_t nudge = product >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((product + nudge) / (1LL << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero. */
static int32_t rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static int32_t requantize(int32_t acc, int32_t multiplier, int shift)
{
    const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    return rounding_divide_by_pot(rounding_doubling_high_mul(acc * (1 << left), multiplier), right);
}

static int8_t clamp(int32_t value, int32_t low, int32_t high)
{
    return (int8_t)(value < low ? low : value > high ? high : value);
}

void looped_sepconv1d_s8(const struct looped_s8_layer *layer, const int8_t *input, int8_t *output, size_t batch)
{
    const int L = layer->steps, C = layer->channels, M = layer->depth_multiplier, F = layer->filters, K = layer->kernel_size;
    const int CM = C * M;
    int8_t depthwise[LOOPED_S8_MAX_DEPTHWISE];
    size_t b;
    int t, c, m, k, j, f;
    for (b = 0; b < batch; ++b) {
        const int8_t *x = input + b * (size_t)L * (size_t)C;
        int8_t *y = output + b * (size_t)layer->out_steps * (size_t)F;
        for (t = 0; t < layer->out_steps; ++t) {
            for (c = 0; c < C; ++c) {
                for (m = 0; m < M; ++m) {
                    const int channel = c * M + m;
                    int32_t acc = layer->depthwise_bias[channel];
                    for (k = 0; k < K; ++k) {
                        const int i = t * layer->stride - layer->pad_left + k * layer->dilation;
                        if (i >= 0 && i < L) {
                            acc += (int32_t)layer->depthwise[k * CM + channel] * ((int32_t)x[i * C + c] + layer->input_offset);
                        }
                    }
                    acc = requantize(acc, layer->depthwise_multiplier[channel], layer->depthwise_shift[channel]);
                    depthwise[channel] = clamp(acc + layer->intermediate_zero_point, layer->depthwise_min, layer->depthwise_max);
                }
            }
            for (f = 0; f < F; ++f) {
                int32_t acc = layer->pointwise_bias ? layer->pointwise_bias[f] : 0;
                for (j = 0; j < CM; ++j) {
                    acc += (int32_t)layer->pointwise[f * CM + j] * ((int32_t)depthwise[j] - layer->intermediate_zero_point);
                }
                acc = requantize(acc, layer->pointwise_multiplier[f], layer->pointwise_shift[f]);
                y[(size_t)t * (size_t)F + (size_t)f] = clamp(acc + layer->output_zero_point, layer->output_min, layer->output_max);
            }
        }
    }
}
