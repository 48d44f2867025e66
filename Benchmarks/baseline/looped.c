/*
 * The do-it-yourself baseline: a generic SeparableConv1D (float32,
 * channels_last, 'same' or 'valid' through padLeft, any stride, dilation and
 * depth multiplier, relu) written the way a user would write it in plain C99:
 * runtime sizes, the depthwise stage of one output step into a small buffer,
 * bounds checks on the taps, then the pointwise stage with the filters
 * innermost (the loop order compilers vectorise). No tuning beyond that.
 */
#include "looped.h"

void looped_sepconv1d(const struct looped_layer *layer, const float *input, float *output, size_t batch)
{
    const int L = layer->steps, C = layer->channels, M = layer->depth_multiplier, F = layer->filters;
    const int K = layer->kernel_size, CM = C * M, out_steps = layer->out_steps;
    float depthwise[LOOPED_MAX_DEPTHWISE];
    size_t b;
    int t, c, m, k, j, f;
    for (b = 0; b < batch; ++b) {
        const float *x = input + b * (size_t)L * (size_t)C;
        float *y = output + b * (size_t)out_steps * (size_t)F;
        for (t = 0; t < out_steps; ++t) {
            float *row = y + (size_t)t * (size_t)F;
            for (c = 0; c < C; ++c) {
                for (m = 0; m < M; ++m) {
                    float sum = 0.0f;
                    for (k = 0; k < K; ++k) {
                        const int i = t * layer->stride - layer->pad_left + k * layer->dilation;
                        if (i >= 0 && i < L) {
                            sum += x[(size_t)i * (size_t)C + (size_t)c] * layer->depthwise[(k * C + c) * M + m];
                        }
                    }
                    depthwise[c * M + m] = sum;
                }
            }
            for (f = 0; f < F; ++f) {
                row[f] = layer->bias[f];
            }
            for (j = 0; j < CM; ++j) {
                const float v = depthwise[j];
                const float *w = layer->pointwise + (size_t)j * (size_t)F;
                for (f = 0; f < F; ++f) {
                    row[f] += v * w[f];
                }
            }
            for (f = 0; f < F; ++f) {
                row[f] = row[f] > 0.0f ? row[f] : 0.0f;
            }
        }
    }
}
