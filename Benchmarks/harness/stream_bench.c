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
 * the batch kernel per call and per output step; per output frame streamed
 * for each chunk size; per new output frame of the sliding window (a batch
 * call over the last INPUT_STEPS frames for every new output frame).
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
#define L XCAT(LAYER, _INPUT_STEPS)
#define C XCAT(LAYER, _INPUT_CHANNELS)
#define OUT_STEPS XCAT(LAYER, _OUTPUT_STEPS)
#define OC XCAT(LAYER, _OUTPUT_CHANNELS)
#define STREAM XCAT(LAYER, _stream)
#define RESET XCAT(LAYER, _stream_reset)
#define PUSH XCAT(LAYER, _stream_push)
#define FLUSH XCAT(LAYER, _stream_flush)

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float *signal, *out, *window, item_out[OUT_STEPS * OC];
static size_t frames, chunk, stride_frames;
static volatile float sink;

/* The whole signal through a stream in chunks of `chunk` frames: output frames written. */
static size_t stream_all(void)
{
    STREAM state;
    size_t done = 0, written = 0;
    RESET(&state);
    while (done < frames) {
        const size_t n = frames - done < chunk ? frames - done : chunk;
        written += PUSH(&state, signal + done * C, n, out + written * OC);
        done += n;
    }
    written += FLUSH(&state, out + written * OC);
    sink = out[0];
    return written;
}

/* The sliding window over the same signal: for every new output frame, the
 * last L frames moved into place and one batch call. Output frames computed. */
static size_t slide_all(void)
{
    size_t start, count = 0;
    memcpy(window, signal, (size_t)L * C * sizeof(float));
    for (start = 0; start + L <= frames; start += stride_frames) {
        if (start > 0) {
            memmove(window, window + stride_frames * C, (L - stride_frames) * C * sizeof(float));
            memcpy(window + (L - stride_frames) * C, signal + (start + L - stride_frames) * C, stride_frames * C * sizeof(float));
        }
        LAYER(window, item_out, 1);
        ++count;
    }
    sink = item_out[0];
    return count;
}

static void batch_one(void) { LAYER(signal, item_out, 1); sink = item_out[0]; }

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
    if (frames < L) frames = L;
    signal = malloc(frames * C * sizeof(float));
    out = malloc((frames + 8) * OC * sizeof(float));
    window = malloc((size_t)L * C * sizeof(float));
    file = fopen(argv[1], "rb");
    if (!signal || !out || !window || !file || fread(signal, sizeof(float), (size_t)L * C, file) != (size_t)L * C) return 2;
    fclose(file);
    for (i = (size_t)L * C; i < frames * C; ++i) signal[i] = signal[i % ((size_t)L * C)];

    /* The stream of the first L frames is the batch kernel's output. */
    {
        STREAM state;
        size_t written;
        LAYER(signal, item_out, 1);
        RESET(&state);
        written = PUSH(&state, signal, L, out);
        written += FLUSH(&state, out + written * OC);
        if (written != OUT_STEPS) { fprintf(stderr, "stream_bench: %zu output frames, expected %d\n", written, OUT_STEPS); return 1; }
        for (i = 0; i < (size_t)OUT_STEPS * OC; ++i) if (fabs(item_out[i]) > scale) scale = fabs(item_out[i]);
        for (i = 0; i < (size_t)OUT_STEPS * OC; ++i) { const double e = fabs((double)out[i] - item_out[i]); if (!(e <= worst)) worst = e; }
        if (worst / scale > 1e-4) { fprintf(stderr, "stream_bench: stream differs from the batch kernel by %g\n", worst / scale); return 1; }
    }
    batch_ns = median_ns(batch_one);
    printf("{\"error\": %.3g, \"batch_call\": %.1f, \"batch_per_step\": %.2f", worst / scale, batch_ns, batch_ns / OUT_STEPS);
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
