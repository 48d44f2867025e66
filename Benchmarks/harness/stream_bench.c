/*
 * Times one layer's streaming API against its batch kernel and against the
 * sliding-window alternative, after checking that the stream gives the
 * batch kernel's output.
 *
 *   stream_bench X_BIN FRAMES STRIDES CHUNK...
 *
 * X_BIN holds one input item (INPUT_STEPS frames, channels last, raw float32).
 * The stream times a signal of FRAMES frames (the item repeated) pushed in
 * chunks of each CHUNK frames, then flushed. Prints one JSON object of ns:
 * the batch kernel per call and per output step (one item, hot in cache, and
 * item after item over the whole signal); per output frame streamed
 * for each chunk size; per new output frame of the sliding window (a batch
 * call over the last INPUT_STEPS frames for every new output frame, over
 * 257 new frames).
 * Compiled once per layer with -DLAYER=name -DLAYER_HEADER="name.h"; the
 * layer must be channels_last.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include LAYER_HEADER

#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define SB_STEPS XCAT(LAYER, _INPUT_STEPS)
#define SB_CHANNELS XCAT(LAYER, _INPUT_CHANNELS)
#define SB_OUT_STEPS XCAT(LAYER, _OUTPUT_STEPS)
#define SB_OUT_CHANNELS XCAT(LAYER, _OUTPUT_CHANNELS)
#define SB_STATE XCAT(LAYER, _stream)
#define SB_RESET XCAT(LAYER, _stream_reset)
#define SB_PUSH XCAT(LAYER, _stream_push)
#define SB_FLUSH XCAT(LAYER, _stream_flush)

/* This thread's CPU time: the machine is shared, and time the thread spends
 * preempted is not the kernel's (wall time would charge it to the longest runs). */
static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float *signal, *out, *window, item_out[SB_OUT_STEPS * SB_OUT_CHANNELS];
static size_t frames, chunk, stride_frames, slide_frames;
static volatile float sink;

/* The whole signal through a stream in chunks of `chunk` frames: output frames written. */
static size_t stream_all(void)
{
    SB_STATE state;
    size_t done = 0, written = 0;
    SB_RESET(&state);
    while (done < frames) {
        const size_t n = frames - done < chunk ? frames - done : chunk;
        written += SB_PUSH(&state, signal + done * SB_CHANNELS, n, out + written * SB_OUT_CHANNELS);
        done += n;
    }
    written += SB_FLUSH(&state, out + written * SB_OUT_CHANNELS);
    sink = out[0];
    return written;
}

/* The sliding window over the first `slide_frames` frames of the signal: for
 * every new output frame, the last input.steps frames moved into place and one batch
 * call. Output frames computed. */
static size_t slide_all(void)
{
    size_t start, count = 0;
    memcpy(window, signal, (size_t)SB_STEPS * SB_CHANNELS * sizeof(float));
    for (start = 0; start + SB_STEPS <= slide_frames; start += stride_frames) {
        if (start > 0) {
            memmove(window, window + stride_frames * SB_CHANNELS, (SB_STEPS - stride_frames) * SB_CHANNELS * sizeof(float));
            memcpy(window + (SB_STEPS - stride_frames) * SB_CHANNELS, signal + (start + SB_STEPS - stride_frames) * SB_CHANNELS, stride_frames * SB_CHANNELS * sizeof(float));
        }
        LAYER(window, item_out, 1);
        ++count;
    }
    sink = item_out[0];
    return count;
}

static void batch_one(void) { LAYER(signal, item_out, 1); sink = item_out[0]; }

/* The batch kernel over the whole signal, item after item (each frame read
 * once, as the stream reads it, from memory rather than a hot cache). */
static size_t signal_items;
static void batch_signal(void)
{
    size_t item;
    for (item = 0; item < signal_items; ++item)
        LAYER(signal + item * SB_STEPS * SB_CHANNELS, out + item * SB_OUT_STEPS * SB_OUT_CHANNELS, 1);
    sink = out[0];
}

/* Median ns of `run` over timed repetitions (at least 0.3 s in all), after 0.1 s of warm-up. */
static double median_ns(void (*run)(void))
{
    static double samples[501];
    int count = 0, reps = 1, i;
    double t, start = now_ns();
    while (now_ns() - start < 1e8) run();
    for (;;) {
        t = now_ns();
        for (i = 0; i < reps; ++i) run();
        if (now_ns() - t >= 2e5) break;
        reps *= 2;
    }
    start = now_ns();
    while (count < 501 && (count < 31 || now_ns() - start < 3e8)) {
        t = now_ns();
        for (i = 0; i < reps; ++i) run();
        samples[count++] = (now_ns() - t) / reps;
    }
    qsort(samples, (size_t)count, sizeof samples[0], compare_doubles);
    return samples[count / 2];
}

static size_t produced;
static void run_stream(void) { produced = stream_all(); }
static void run_slide(void) { produced = slide_all(); }

int main(int argc, char **argv)
{
    FILE *file;
    size_t i;
    int a;
    double scale = 1, worst = 0, batch_ns;
    if (argc < 5) {
        fprintf(stderr, "usage: stream_bench X_BIN FRAMES STRIDES CHUNK...\n");
        return 2;
    }
    frames = (size_t)atol(argv[2]);
    stride_frames = (size_t)atol(argv[3]);   /* the layer's strides: input frames per new output frame */
    slide_frames = SB_STEPS + 256 * stride_frames < frames ? SB_STEPS + 256 * stride_frames : frames;   /* 257 new frames */
    if (frames < SB_STEPS) frames = SB_STEPS;
    signal = malloc(frames * SB_CHANNELS * sizeof(float));
    out = malloc((frames + 8) * SB_OUT_CHANNELS * sizeof(float));
    window = malloc((size_t)SB_STEPS * SB_CHANNELS * sizeof(float));
    file = fopen(argv[1], "rb");
    if (!signal || !out || !window || !file || fread(signal, sizeof(float), (size_t)SB_STEPS * SB_CHANNELS, file) != (size_t)SB_STEPS * SB_CHANNELS) return 2;
    fclose(file);
    for (i = (size_t)SB_STEPS * SB_CHANNELS; i < frames * SB_CHANNELS; ++i) signal[i] = signal[i % ((size_t)SB_STEPS * SB_CHANNELS)];

    /* The stream of the first SB_STEPS frames is the batch kernel's output. */
    {
        SB_STATE state;
        size_t written;
        LAYER(signal, item_out, 1);
        SB_RESET(&state);
        written = SB_PUSH(&state, signal, SB_STEPS, out);
        written += SB_FLUSH(&state, out + written * SB_OUT_CHANNELS);
        if (written != SB_OUT_STEPS) { fprintf(stderr, "stream_bench: %zu output frames, expected %d\n", written, SB_OUT_STEPS); return 1; }
        for (i = 0; i < (size_t)SB_OUT_STEPS * SB_OUT_CHANNELS; ++i) if (fabs(item_out[i]) > scale) scale = fabs(item_out[i]);
        for (i = 0; i < (size_t)SB_OUT_STEPS * SB_OUT_CHANNELS; ++i) { const double e = fabs((double)out[i] - item_out[i]); if (!(e <= worst)) worst = e; }
        if (worst / scale > 1e-4) { fprintf(stderr, "stream_bench: stream differs from the batch kernel by %g\n", worst / scale); return 1; }
    }
    batch_ns = median_ns(batch_one);
    printf("{\"error\": %.3g, \"batch_call\": %.1f, \"batch_per_step\": %.2f", worst / scale, batch_ns, batch_ns / SB_OUT_STEPS);
    signal_items = frames / SB_STEPS;
    printf(", \"batch_signal_per_step\": %.2f", median_ns(batch_signal) / (double)(signal_items * SB_OUT_STEPS));
    for (a = 4; a < argc; ++a) {
        double t;
        chunk = (size_t)atol(argv[a]);
        t = median_ns(run_stream);
        printf(", \"stream_%s\": %.2f", argv[a], t / (double)produced);
    }
    {
        const double t = median_ns(run_slide);
        printf(", \"sliding_per_frame\": %.1f, \"stream_frames\": %zu, \"sliding_frames\": %zu", t / (double)produced, frames, produced);
    }
    printf("}\n");
    return 0;
}
