/* Runs kws_sep, generated straight from kws.keras (a SeparableConv1D with the
 * BatchNormalization and Activation layers after it fused), on a fixed input
 * and prints every output value. expected.txt holds what Keras 3 prints for the
 * same input (Scripts/model_fixtures.py). */
#include <stdio.h>

#include "kws_sep.h"

#define BATCH 2

static float input[BATCH * kws_sep_INPUT_SIZE];
static float output[BATCH * kws_sep_OUTPUT_SIZE];

int main(void)
{
    int b, t, c;

    /* A fixed input, exact in binary: values k/8 for k in -8..8. */
    for (b = 0; b < BATCH; b++)
        for (t = 0; t < kws_sep_INPUT_STEPS; t++)
            for (c = 0; c < kws_sep_INPUT_CHANNELS; c++)
                input[(b * kws_sep_INPUT_STEPS + t) * kws_sep_INPUT_CHANNELS + c] =
                    (float)((t * 7 + c * 13 + b * 5) % 17 - 8) / 8.0f;

    kws_sep(input, output, BATCH);

    for (b = 0; b < BATCH; b++)
        for (t = 0; t < kws_sep_OUTPUT_STEPS; t++) {
            printf("item %d step %d:", b, t);
            for (c = 0; c < kws_sep_OUTPUT_CHANNELS; c++)
                printf(" %.6f", (double)output[(b * kws_sep_OUTPUT_STEPS + t) * kws_sep_OUTPUT_CHANNELS + c]);
            printf("\n");
        }
    return 0;
}
