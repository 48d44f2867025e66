"""The network section of the sepconv-gen benchmark (run by Benchmarks/run.sh).

The keyword spotter of the network fixtures (Tests/SepconvGenTests/Fixtures/
networks/kws.keras: three SeparableConv1D + BatchNormalization + ReLU blocks,
GlobalAveragePooling1D, Dense, Softmax; 49 frames of 10 features), one
inference at a time (batch 1), timed four ways in the same run:

  network   the generated network (`network:` spec): one call, one workspace
  layers    the three blocks generated as separate layers (`import --fuse`),
            with hand-written glue: three static buffers, the pooling, the
            Dense layer (its weights exported as a C table) and the softmax
  ort       onnxruntime on one thread on an ONNX graph of the same layers and
            weights (Conv grouped, Conv 1x1, BatchNormalization, Relu, ...,
            GlobalAveragePool, Gemm, Softmax): `sess.run` as a caller pays it,
            and the kernels alone (a graph of R copies against one, as
            ort_bench.py does)

and, for streaming, the three blocks (the model up to relu3) as one stream
pushed a frame at a time, per output frame, against re-running those blocks
(a `network:` spec without streaming) on the last 49 frames for every output
frame, the sliding window a caller without streaming would run.

C with -O3 -march=native; C times are the thread's CPU time (the median over
timed blocks). Prints a table with the ratios. Usage:
network_bench.py SEPCONV_GEN WORK_DIR
"""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL = os.path.join(ROOT, "Tests", "SepconvGenTests", "Fixtures", "networks", "kws.keras")
COPIES = 5
SIGNAL = 4096  # frames streamed


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def keras_weights():
    """The model's layers in order, with their weights, from the .keras archive (config.json and model.weights.h5)."""
    import h5py
    archive = zipfile.ZipFile(MODEL)
    config = json.loads(archive.read("config.json"))
    weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    used, layers = {}, []
    for layer in config["config"]["layers"]:
        kind = layer["class_name"]
        if kind == "InputLayer":
            continue
        # Keras's own group names: the class in snake case (keras.src.utils.naming.to_snake_case), numbered from the second on.
        snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", kind)).lower()
        count = used.get(snake, 0)
        used[snake] = count + 1
        group = f"layers/{snake}" + (f"_{count}" if count else "") + "/vars"
        values = [np.array(weights[f"{group}/{i}"]) for i in range(len(weights[group]))] if group in weights else []
        layers.append((kind, layer["config"], values))
    return layers


def onnx_model(layers, copies):
    from onnx import TensorProto, helper, numpy_helper
    nodes, inits, outputs = [], [], []
    for i in range(copies):
        scale = np.float32(1 + 1e-6 * i)  # so that no pass merges the copies
        x, steps = "x", 49
        for j, (kind, config, values) in enumerate(layers):
            name = f"c{i}l{j}"
            if kind == "SeparableConv1D":
                dw, pw, b = values
                K, C, M = dw.shape
                F = pw.shape[2]
                s, d = config["strides"][0], config["dilation_rate"][0]
                out = (steps + s - 1) // s
                total = max((out - 1) * s + (K - 1) * d + 1 - steps, 0)
                inits += [numpy_helper.from_array((np.transpose(dw, (1, 2, 0)).reshape(C * M, 1, K) * scale).astype(np.float32), name + "dw"),
                          numpy_helper.from_array((np.transpose(pw[0], (1, 0)).reshape(F, C * M, 1) * scale).astype(np.float32), name + "pw"),
                          numpy_helper.from_array((b * scale).astype(np.float32), name + "b")]
                nodes += [helper.make_node("Conv", [x, name + "dw"], [name + "d"], group=C, kernel_shape=[K], strides=[s],
                                           dilations=[d], pads=[total // 2, total - total // 2]),
                          helper.make_node("Conv", [name + "d", name + "pw", name + "b"], [name], kernel_shape=[1])]
                steps = out
            elif kind == "BatchNormalization":
                gamma, beta, mean, var = (v.astype(np.float32) for v in values)
                inits += [numpy_helper.from_array(gamma * scale, name + "g"), numpy_helper.from_array(beta, name + "be"),
                          numpy_helper.from_array(mean, name + "m"), numpy_helper.from_array(var, name + "v")]
                nodes.append(helper.make_node("BatchNormalization", [x, name + "g", name + "be", name + "m", name + "v"], [name],
                                              epsilon=config.get("epsilon", 1e-3)))
            elif kind == "ReLU":
                nodes.append(helper.make_node("Relu", [x], [name]))
            elif kind == "GlobalAveragePooling1D":
                nodes += [helper.make_node("GlobalAveragePool", [x], [name + "p"]), helper.make_node("Flatten", [name + "p"], [name])]
            elif kind == "Dense":
                kernel, bias = values
                inits += [numpy_helper.from_array((kernel * scale).astype(np.float32), name + "w"), numpy_helper.from_array(bias, name + "b")]
                nodes.append(helper.make_node("Gemm", [x, name + "w", name + "b"], [name]))
            elif kind == "Softmax":
                nodes.append(helper.make_node("Softmax", [x], [name], axis=1))
            else:
                raise SystemExit(f"network_bench: no ONNX node for {kind}")
            x = name
        outputs.append(helper.make_tensor_value_info(x, TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "kws", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 10, 49])], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def ort_times(layers, x, expected):
    """(ns per sess.run of the network, ns of the network's kernels alone, max |ort - network|), or None without onnxruntime."""
    sys.path.insert(0, HERE)
    try:
        import ort_bench  # noqa: E402  (onnxruntime and onnx; its single-threaded session and median timing)
    except ImportError:
        return None
    one, many = ort_bench.session(onnx_model(layers, 1)), ort_bench.session(onnx_model(layers, COPIES))
    feed = np.ascontiguousarray(np.transpose(x.reshape(1, 49, 10), (0, 2, 1)))
    error = float(np.max(np.abs(one.run(None, {"x": feed})[0] - expected)))
    t1, tr = ort_bench.median_ns(one, feed), ort_bench.median_ns(many, feed)
    return t1, max(tr - t1, 0) / (COPIES - 1), error


GLUE = r"""
/* The same keyword spotter from three separately generated layers: what a user
 * writes without network specs (three buffers, three calls, the pooling, the
 * Dense layer and the softmax). */
#include <math.h>
#include "conv1.h"
#include "conv2.h"
#include "conv3.h"
#include "dense.h"

static float b1[conv1_OUTPUT_SIZE], b2[conv2_OUTPUT_SIZE], b3[conv3_OUTPUT_SIZE];

void glue(const float *x, float *y)
{
    float pooled[conv3_OUTPUT_CHANNELS], top = -INFINITY, sum = 0;
    int t, c, u;
    conv1(x, b1, 1);
    conv2(b1, b2, 1);
    conv3(b2, b3, 1);
    for (c = 0; c < conv3_OUTPUT_CHANNELS; c++) {
        float s = 0;
        for (t = 0; t < conv3_OUTPUT_STEPS; t++) s += b3[t * conv3_OUTPUT_CHANNELS + c];
        pooled[c] = s / conv3_OUTPUT_STEPS;
    }
    for (u = 0; u < DENSE_UNITS; u++) {
        float s = dense_bias[u];
        for (c = 0; c < conv3_OUTPUT_CHANNELS; c++) s += pooled[c] * dense_kernel[c * DENSE_UNITS + u];
        y[u] = s;
        top = s > top ? s : top;
    }
    for (u = 0; u < DENSE_UNITS; u++) sum += y[u] = expf(y[u] - top);
    for (u = 0; u < DENSE_UNITS; u++) y[u] /= sum;
}
"""

MAIN = r"""
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "kws_net.h"
#include "kws_frames.h"
#include "kws_window.h"

void glue(const float *x, float *y);

static float x[kws_net_INPUT_SIZE], y_net[kws_net_OUTPUT_SIZE], y_glue[kws_net_OUTPUT_SIZE];
static float workspace[kws_net_WORKSPACE_SIZE], window_workspace[kws_window_WORKSPACE_SIZE], window_out[kws_window_OUTPUT_SIZE];
static float signal[SIGNAL * kws_frames_INPUT_CHANNELS], frames[(SIGNAL + kws_frames_STREAM_MAX_FLUSH) * kws_frames_OUTPUT_CHANNELS];
static kws_frames_stream state;
static volatile float sink;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    const double d = *(const double *)a - *(const double *)b;
    return (d > 0) - (d < 0);
}

/* ns per call of `run`: blocks of at least 2 ms, the median of 31. */
#define MEDIAN(result, run) do { \
    long reps = 1, r; int k; double blocks[31], start; \
    for (;;) { start = now(); for (r = 0; r < reps; r++) { run; } if (now() - start >= 2e6) break; reps *= 2; } \
    for (k = 0; k < 31; k++) { start = now(); for (r = 0; r < reps; r++) { run; } blocks[k] = (now() - start) / reps; } \
    qsort(blocks, 31, sizeof blocks[0], compare); result = blocks[15]; } while (0)

int main(void)
{
    double net, layers, stream, window, difference = 0;
    size_t i, outputs = 0;
    FILE *f = fopen("x.bin", "rb");
    if (!f || fread(x, sizeof x, 1, f) != 1) return 1;
    fclose(f);
    for (i = 0; i < SIGNAL * kws_frames_INPUT_CHANNELS; i++) signal[i] = x[i % kws_net_INPUT_SIZE];
    kws_net(x, y_net, 1, workspace);
    glue(x, y_glue);
    for (i = 0; i < kws_net_OUTPUT_SIZE; i++) difference = fmax(difference, fabs(y_net[i] - y_glue[i]));
    f = fopen("y.bin", "wb");
    if (!f || fwrite(y_net, sizeof y_net, 1, f) != 1) return 1;
    fclose(f);
    MEDIAN(net, (kws_net(x, y_net, 1, workspace), sink = y_net[0]));
    MEDIAN(layers, (glue(x, y_glue), sink = y_glue[0]));
    /* The stream: the whole signal a frame at a time, per output frame. */
    MEDIAN(stream, {
        size_t t;
        kws_frames_stream_reset(&state);
        outputs = 0;
        for (t = 0; t < SIGNAL; t++) outputs += kws_frames_stream_push(&state, signal + t * kws_frames_INPUT_CHANNELS, 1, frames + outputs * kws_frames_OUTPUT_CHANNELS);
        sink = frames[0];
    });
    stream /= (double)outputs;
    /* The sliding window: the blocks on the last 49 frames, once per output frame. */
    MEDIAN(window, (kws_window(signal, window_out, 1, window_workspace), sink = window_out[0]));
    printf("{\"network\": %.1f, \"layers\": %.1f, \"stream_frame\": %.1f, \"window\": %.1f, \"outputs\": %lu, \"glue_difference\": %g}\n",
           net, layers, stream, window, (unsigned long)outputs, difference);
    return 0;
}
"""


def main():
    gen, work = sys.argv[1], os.path.join(sys.argv[2], "network")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    shutil.copy(MODEL, work)
    for name, extra in (("kws_net", ""), ("kws_frames", "  last: relu3\nstreaming: true\n"), ("kws_window", "  last: relu3\n")):
        text = f"name: {name}\nnetwork:\n  model: kws.keras\n" + extra
        with open(os.path.join(work, name + ".yaml"), "w") as f:
            f.write(text)
    sh([gen, "import", os.path.join(work, "kws.keras"), "-o", work, "--fuse"])
    specs = [os.path.join(work, n + ".yaml") for n in ("kws_net", "kws_frames", "kws_window", "conv1", "conv2", "conv3")]
    sh([gen] + specs + ["-o", os.path.join(work, "gen"), "--lang", "c"])
    layers = keras_weights()
    kernel, bias = next(values for kind, _, values in layers if kind == "Dense")
    with open(os.path.join(work, "gen", "dense.h"), "w") as f:
        f.write(f"#define DENSE_UNITS {kernel.shape[1]}\n")
        f.write("static const float dense_kernel[] = {" + ", ".join(f"{v:.9g}f" for v in kernel.ravel()) + "};\n")
        f.write("static const float dense_bias[] = {" + ", ".join(f"{v:.9g}f" for v in bias.ravel()) + "};\n")
    with open(os.path.join(work, "glue.c"), "w") as f:
        f.write(GLUE)
    with open(os.path.join(work, "main.c"), "w") as f:
        f.write(f"#define SIGNAL {SIGNAL}\n" + MAIN)
    x = np.random.default_rng(21).normal(0.0, 1.0, (49, 10)).astype("<f4")
    x.tofile(os.path.join(work, "x.bin"))
    cc = shutil.which("gcc") or shutil.which("cc")
    gen_dir = os.path.join(work, "gen")
    sources = ["main.c", "glue.c"] + [os.path.join(gen_dir, n + ".c") for n in ("kws_net", "kws_frames", "kws_window", "conv1", "conv2", "conv3")]
    sh([cc, "-std=c99", "-O3", "-march=native", "-I", gen_dir] + sources + ["-lm", "-o", "bench"], cwd=work)
    c = json.loads(sh([os.path.join(work, "bench")], cwd=work).stdout)
    expected = np.fromfile(os.path.join(work, "y.bin"), dtype="<f4").reshape(1, -1)
    ort = ort_times(layers, x, expected)

    print("\nnetwork: kws.keras (49 x 10 -> 6), batch 1, ns per inference (thread CPU time, median; ort: wall time)")
    print(f"  generated network          {c['network']:10.0f}")
    print(f"  separate layers + glue     {c['layers']:10.0f}   network is {c['layers'] / c['network']:.2f}x as fast"
          f" (outputs differ by {c['glue_difference']:.1g})")
    if ort is None:
        print("  onnxruntime                (skipped: " + os.environ.get("SEPCONV_BENCH_ORT_NOTE", "not installed") + ")")
    else:
        run, kernels, error = ort
        print(f"  onnxruntime, sess.run      {run:10.0f}   network is {run / c['network']:.2f}x as fast")
        print(f"  onnxruntime, kernels only  {kernels:10.0f}   network is {kernels / c['network']:.2f}x as fast"
              f" (|ort - network| <= {error:.1g})")
    print(f"\nstreaming: the three blocks (up to relu3), ns per output frame ({SIGNAL} frames pushed one at a time, {c['outputs']} out)")
    print(f"  stream push                {c['stream_frame']:10.0f}")
    print(f"  sliding window (49 frames) {c['window']:10.0f}   stream is {c['window'] / c['stream_frame']:.2f}x as fast")


if __name__ == "__main__":
    main()
