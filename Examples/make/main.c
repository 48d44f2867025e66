/* Runs the generated kws_block1 layer on a fixed input and prints its output.
 * The same program exists in ../cmake/main.c and, in Swift, in ../swiftpm. */
#include <stdio.h>

#include "kws_block1.h"

#define BATCH 2

static float input[BATCH * kws_block1_INPUT_SIZE];
static float output[BATCH * kws_block1_OUTPUT_SIZE];

static void print_step(int item, int step)
{
    const float *y = output + item * kws_block1_OUTPUT_SIZE + step * kws_block1_OUTPUT_CHANNELS;
    int c;
    printf("item %d step %d:", item, step);
    for (c = 0; c < kws_block1_OUTPUT_CHANNELS; c++)
        printf(" %.6f", (double)y[c]);
    printf("\n");
}

int main(void)
{
    int b, t, c, i;

    /* A fixed input, exact in binary: values k/8 for k in -8..8. */
    for (b = 0; b < BATCH; b++)
        for (t = 0; t < kws_block1_INPUT_STEPS; t++)
            for (c = 0; c < kws_block1_INPUT_CHANNELS; c++)
                input[(b * kws_block1_INPUT_STEPS + t) * kws_block1_INPUT_CHANNELS + c] =
                    (float)((t * 7 + c * 13 + b * 5) % 17 - 8) / 8.0f;

    kws_block1(input, output, BATCH);

    printf("kws_block1: batch %d, input %d x %d -> output %d x %d\n", BATCH,
           kws_block1_INPUT_STEPS, kws_block1_INPUT_CHANNELS,
           kws_block1_OUTPUT_STEPS, kws_block1_OUTPUT_CHANNELS);
    for (b = 0; b < BATCH; b++) {
        const float *y = output + b * kws_block1_OUTPUT_SIZE;
        double sum = 0.0, sum_sq = 0.0, checksum = 0.0;
        print_step(b, 0);
        print_step(b, kws_block1_OUTPUT_STEPS - 1);
        for (i = 0; i < kws_block1_OUTPUT_SIZE; i++) {
            sum += y[i];
            sum_sq += (double)y[i] * y[i];
            checksum += y[i] * (double)(1 + i % 13);
        }
        printf("item %d sum %.6f sum_sq %.6f checksum %.6f\n", b, sum, sum_sq, checksum);
    }
    return 0;
}
