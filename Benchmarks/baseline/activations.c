/*
 * The element-wise activations of Specs/, written from their Keras
 * definitions with the plain C99 libm call a user would reach for; each
 * fits `struct looped_layer`'s `activation` (relu is the layer's default).
 */
#include <math.h>

#include "looped.h"

/* relu6: min(max(x, 0), 6). */
float looped_relu6(float x)
{
    return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
}

/* elu with alpha 1: x if x > 0, else alpha * (exp(x) - 1). */
float looped_elu(float x)
{
    return x > 0.0f ? x : expm1f(x);
}

/* gelu, exact (Keras's default, approximate=False): 0.5 * x * (1 + erf(x / sqrt(2))). */
float looped_gelu(float x)
{
    return 0.5f * x * (1.0f + erff(x * 0.70710678f));
}

/* silu (swish): x * sigmoid(x) = x / (1 + exp(-x)). */
float looped_silu(float x)
{
    return x / (1.0f + expf(-x));
}
