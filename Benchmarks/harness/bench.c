/*
 * Times one emitted C kernel and the looped baseline on one case, after
 * checking both against the interpreter's output.
 *
 *   bench DIR STEPS CHANNELS MULTIPLIER FILTERS KERNEL STRIDE DILATION PAD_LEFT OUT_STEPS
 *
 * DIR holds x.bin (BATCH items of input), ref.bin (the interpreter's output
 * for them), dw.bin, pw.bin, b.bin (the weights in Keras's layouts), all raw
 * little-endian float32. Prints one JSON object: median ns per call at
 * batch 1 and at batch BATCH, and the largest relative error of each kernel.
 * Compiled once per case with -DLAYER=name -DLAYER_HEADER="name.h".
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include LAYER_HEADER
#include "looped.h"

#define BATCH 64
#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define INPUT_SIZE XCAT(LAYER, _INPUT_SIZE)
#define OUTPUT_SIZE XCAT(LAYER, _OUTPUT_SIZE)

static struct looped_layer baseline;

static void run_emitted(const float *x, float *y, size_t batch) { LAYER(x, y, batch); }
static void run_looped(const float *x, float *y, size_t batch) { looped_sepconv1d(&baseline, x, y, batch); }

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static float *read_floats(const char *dir, const char *name, size_t count)
{
    char path[4096];
    float *data = malloc(count * sizeof(float) + 64);
    FILE *file;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    file = fopen(path, "rb");
    if (!file || !data || fread(data, sizeof(float), count, file) != count) {
        fprintf(stderr, "bench: cannot read %zu floats from %s\n", count, path);
        exit(2);
    }
    fclose(file);
    return data;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median over timed blocks of the ns per call, after 0.1 s of warm-up; each block lasts at least 200 us. */
static double median_ns(void (*kernel)(const float *, float *, size_t), const float *x, float *y, size_t batch)
{
    static double samples[2000];
    int reps = 1, count = 0, i;
    double t, start;
    start = now_ns();
    while (now_ns() - start < 1e8) kernel(x, y, batch); /* 0.1 s first: clocks up, caches and predictors warm */
    for (;;) {
        t = now_ns();
        for (i = 0; i < reps; ++i) kernel(x, y, batch);
        t = now_ns() - t;
        if (t >= 2e5) break;
        reps *= 2;
    }
    start = now_ns();
    while (count < 2000 && (count < 31 || now_ns() - start < 4e8)) {
        t = now_ns();
        for (i = 0; i < reps; ++i) kernel(x, y, batch);
        samples[count++] = (now_ns() - t) / reps;
    }
    qsort(samples, (size_t)count, sizeof samples[0], compare_doubles);
    return samples[count / 2];
}

/* Largest |y - ref| over max(1, max |ref|). */
static double error(const float *y, const float *ref, size_t n)
{
    double worst = 0, scale = 1;
    size_t i;
    for (i = 0; i < n; ++i) {
        if (fabs(ref[i]) > scale) scale = fabs(ref[i]);
    }
    for (i = 0; i < n; ++i) {
        const double e = fabs((double)y[i] - (double)ref[i]);
        if (!(e <= worst)) worst = e; /* NaN propagates */
    }
    return worst / scale;
}

int main(int argc, char **argv)
{
    const char *dir;
    float *x, *ref, *y;
    double emitted_error, looped_error;
    if (argc != 11) {
        fprintf(stderr, "usage: bench DIR STEPS CHANNELS MULTIPLIER FILTERS KERNEL STRIDE DILATION PAD_LEFT OUT_STEPS\n");
        return 2;
    }
    dir = argv[1];
    baseline.steps = atoi(argv[2]);
    baseline.channels = atoi(argv[3]);
    baseline.depth_multiplier = atoi(argv[4]);
    baseline.filters = atoi(argv[5]);
    baseline.kernel_size = atoi(argv[6]);
    baseline.stride = atoi(argv[7]);
    baseline.dilation = atoi(argv[8]);
    baseline.pad_left = atoi(argv[9]);
    baseline.out_steps = atoi(argv[10]);
    baseline.depthwise = read_floats(dir, "dw.bin", (size_t)baseline.kernel_size * baseline.channels * baseline.depth_multiplier);
    baseline.pointwise = read_floats(dir, "pw.bin", (size_t)baseline.channels * baseline.depth_multiplier * baseline.filters);
    baseline.bias = read_floats(dir, "b.bin", (size_t)baseline.filters);
    x = read_floats(dir, "x.bin", (size_t)BATCH * INPUT_SIZE);
    ref = read_floats(dir, "ref.bin", (size_t)BATCH * OUTPUT_SIZE);
    y = malloc((size_t)BATCH * OUTPUT_SIZE * sizeof(float) + 64);
    if (!y) return 2;

    /* Check first: a time is printed only for a kernel whose output is right. */
    memset(y, 0xff, (size_t)BATCH * OUTPUT_SIZE * sizeof(float));
    run_emitted(x, y, BATCH);
    emitted_error = error(y, ref, (size_t)BATCH * OUTPUT_SIZE);
    memset(y, 0xff, (size_t)BATCH * OUTPUT_SIZE * sizeof(float));
    run_looped(x, y, BATCH);
    looped_error = error(y, ref, (size_t)BATCH * OUTPUT_SIZE);

    printf("{\"emitted_error\": %.3g, \"looped_error\": %.3g", emitted_error, looped_error);
    if (emitted_error <= 1e-4) {
        printf(", \"emitted_1\": %.1f, \"emitted_64\": %.1f", median_ns(run_emitted, x, y, 1), median_ns(run_emitted, x, y, BATCH));
    }
    if (looped_error <= 1e-4) {
        printf(", \"looped_1\": %.1f, \"looped_64\": %.1f", median_ns(run_looped, x, y, 1), median_ns(run_looped, x, y, BATCH));
    }
    printf("}\n");
    return 0;
}
