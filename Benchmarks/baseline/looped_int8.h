/* The int8 do-it-yourself baseline's interface: every size and parameter known only at run time. */
#ifndef LOOPED_INT8_H
#define LOOPED_INT8_H

#include <stddef.h>
#include <stdint.h>

/* Most depthwise channels (channels * depth_multiplier) the baseline handles. */
#define LOOPED_S8_MAX_DEPTHWISE 4096

/* One layer, channels_last, in TFLite's layouts: the depthwise filter
   (kernel_size, channels * depth_multiplier), the pointwise filter
   (filters, channels * depth_multiplier). Offsets and clamps are TFLite's:
   input_offset = -input zero point; *_min/_max the fused activation's range. */
struct looped_s8_layer {
    int steps, channels, depth_multiplier, filters, kernel_size;
    int stride, dilation, pad_left, out_steps;
    int input_offset, intermediate_zero_point, output_zero_point;
    int depthwise_min, depthwise_max, output_min, output_max;
    const int8_t *depthwise;
    const int32_t *depthwise_bias;
    const int32_t *depthwise_multiplier;
    const int32_t *depthwise_shift;
    const int8_t *pointwise;
    const int32_t *pointwise_bias; /* NULL: none */
    const int32_t *pointwise_multiplier;
    const int32_t *pointwise_shift;
};

void looped_sepconv1d_s8(const struct looped_s8_layer *layer, const int8_t *input, int8_t *output, size_t batch);

#endif
