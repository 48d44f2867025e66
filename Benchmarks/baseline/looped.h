/* The do-it-yourself baseline's interface: every size known only at run time. */
#ifndef LOOPED_H
#define LOOPED_H

#include <stddef.h>

/* Most depthwise channels (channels * depth_multiplier) the baseline handles. */
#define LOOPED_MAX_DEPTHWISE 4096

struct looped_layer {
    int steps, channels, depth_multiplier, filters, kernel_size;
    int stride, dilation, pad_left, out_steps;
    const float *depthwise; /* (kernel_size, channels, depth_multiplier), Keras's layout */
    const float *pointwise; /* (channels * depth_multiplier, filters) */
    const float *bias;      /* (filters,) */
};

void looped_sepconv1d(const struct looped_layer *layer, const float *input, float *output, size_t batch);

#endif
