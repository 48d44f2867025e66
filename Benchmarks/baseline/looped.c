/*
 * The do-it-yourself baseline: a generic SeparableConv1D (float32,
 * channels_last or channels_first, 'same' or 'valid' through padLeft, any
 * stride, dilation and depth multiplier, relu or any element-wise activation
 * given as a C function) written the way a user would write it in plain C99:
 * runtime sizes, the depthwise stage of one output step into a small buffer,
 * bounds checks on the taps, then the pointwise stage with the filters
 * innermost (the loop order compilers vectorise), into the output row
 * (channels_last) or a row buffer stored down the output's columns
 * (channels_first). No tuning beyond that.
 */
#include "looped.h"

/* The depthwise stage of output step t into out (channels * depth_multiplier
   values); the input's value at step i, channel c is x[i * step_stride + c *
   channel_stride] (inlined twice, so that channels_last keeps its constant 1). */
static inline void depthwise_step(const struct looped_layer *layer, const float *x, int t, size_t step_stride, size_t channel_stride,
                                  float *out)
{
    const int L = layer->steps, C = layer->channels, M = layer->depth_multiplier, K = layer->kernel_size;
    int c, m, k;
    for (c = 0; c < C; ++c) {
        for (m = 0; m < M; ++m) {
            float sum = 0.0f;
            for (k = 0; k < K; ++k) {
                const int i = t * layer->stride - layer->pad_left + k * layer->dilation;
                if (i >= 0 && i < L) {
                    sum += x[(size_t)i * step_stride + (size_t)c * channel_stride] * layer->depthwise[(k * C + c) * M + m];
                }
            }
            out[c * M + m] = sum;
        }
    }
}

void looped_sepconv1d(const struct looped_layer *layer, const float *input, float *output, size_t batch)
{
    const int L = layer->steps, C = layer->channels, M = layer->depth_multiplier, F = layer->filters;
    const int CM = C * M, out_steps = layer->out_steps;
    float depthwise[LOOPED_MAX_DEPTHWISE];
    float columns[LOOPED_MAX_FILTERS];
    size_t b;
    int t, j, f;
    for (b = 0; b < batch; ++b) {
        const float *x = input + b * (size_t)L * (size_t)C;
        float *y = output + b * (size_t)out_steps * (size_t)F;
        for (t = 0; t < out_steps; ++t) {
            float *row = layer->channels_first ? columns : y + (size_t)t * (size_t)F;
            if (layer->channels_first) {
                depthwise_step(layer, x, t, 1, (size_t)L, depthwise);
            } else {
                depthwise_step(layer, x, t, (size_t)C, 1, depthwise);
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
            if (layer->activation) {
                for (f = 0; f < F; ++f) {
                    row[f] = layer->activation(row[f]);
                }
            } else {
                for (f = 0; f < F; ++f) {
                    row[f] = row[f] > 0.0f ? row[f] : 0.0f;
                }
            }
            if (layer->channels_first) {
                for (f = 0; f < F; ++f) {
                    y[(size_t)f * (size_t)out_steps + (size_t)t] = columns[f];
                }
            }
        }
    }
}
