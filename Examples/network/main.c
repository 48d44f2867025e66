/* A keyword spotter from a Keras model, two ways: kws_net() runs the whole
 * model on a clip at once (its intermediate tensors in one workspace), and
 * kws_frames_stream_* takes the clip's feature frames one at a time through its
 * three SeparableConv1D blocks, printing each output frame as it completes.
 * expected.txt holds what Keras 3 prints for the same input
 * (Scripts/network_example.py). */
#include <stdio.h>

#include "kws_net.h"
#include "kws_frames.h"

#define BATCH 2

static float input[BATCH * kws_net_INPUT_SIZE];
static float output[BATCH * kws_net_OUTPUT_SIZE];
static float workspace[kws_net_WORKSPACE_SIZE];
static kws_frames_stream state;

static void print_frames(const float *frames, size_t count, size_t *done)
{
    size_t f;
    int c;
    for (f = 0; f < count; f++, ++*done) {
        printf("stream frame %lu:", (unsigned long)*done);
        for (c = 0; c < kws_frames_OUTPUT_CHANNELS; c++) printf(" %.6f", (double)frames[f * kws_frames_OUTPUT_CHANNELS + c]);
        printf("\n");
    }
}

int main(void)
{
    float frames[kws_frames_STREAM_MAX_FLUSH * kws_frames_OUTPUT_CHANNELS + kws_frames_OUTPUT_CHANNELS];
    size_t t, done = 0;
    int b, c;

    /* A fixed input, exact in binary: values k/8 for k in -8..8. */
    for (b = 0; b < BATCH; b++)
        for (t = 0; t < kws_net_INPUT_STEPS; t++)
            for (c = 0; c < kws_net_INPUT_CHANNELS; c++)
                input[(b * kws_net_INPUT_STEPS + t) * kws_net_INPUT_CHANNELS + c] =
                    (float)(((int)t * 7 + c * 13 + b * 5) % 17 - 8) / 8.0f;

    kws_net(input, output, BATCH, workspace);
    for (b = 0; b < BATCH; b++) {
        printf("predict item %d:", b);
        for (c = 0; c < kws_net_OUTPUT_SIZE; c++) printf(" %.6f", (double)output[b * kws_net_OUTPUT_SIZE + c]);
        printf("\n");
    }

    /* Item 0 again, a frame at a time, as a microphone front end would give it. */
    kws_frames_stream_reset(&state);
    for (t = 0; t < kws_frames_INPUT_STEPS; t++)
        print_frames(frames, kws_frames_stream_push(&state, input + t * kws_frames_INPUT_CHANNELS, 1, frames), &done);
    print_frames(frames, kws_frames_stream_flush(&state, frames), &done);
    printf("%lu frames in, %lu output frames\n", (unsigned long)kws_frames_INPUT_STEPS, (unsigned long)done);
    return 0;
}
