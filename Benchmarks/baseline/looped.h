/* The do-it-yourself baseline's interface: every size known only at run time. */
#ifndef LOOPED_H
#define LOOPED_H

#include <stddef.h>

/* Most depthwise channels (channels * depth_multiplier) the baseline handles. */
#define LOOPED_MAX_DEPTHWISE 4096
/* Most filters the baseline handles with channels_first. */
#define LOOPED_MAX_FILTERS 4096

struct looped_layer {
    int steps, channels, depth_multiplier, filters, kernel_size;
    int stride, dilation, pad_left, out_steps;
    const float *depthwise; /* (kernel_size, channels, depth_multiplier), Keras's layout */
    const float *pointwise; /* (channels * depth_multiplier, filters) */
    const float *bias;      /* (filters,) */
    /* Applied to every output value; NULL: relu (a zero-initialised layer is relu, channels_last). */
    float (*activation)(float);
    /* 0: input (steps, channels), output (out_steps, filters); otherwise
       input (channels, steps), output (filters, out_steps). */
    int channels_first;
};

void looped_sepconv1d(const struct looped_layer *layer, const float *input, float *output, size_t batch);

/* Keras's activations as a user would write them (activations.c). */
float looped_relu6(float x);
float looped_elu(float x);
float looped_gelu(float x);
float looped_silu(float x);

#endif
