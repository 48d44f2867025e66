"""onnxruntime on one thread for one case: grouped Conv (the depthwise stage),
1x1 Conv with bias (the pointwise stage), Relu, in ONNX's (N, C, W) layout.

Usage: ort_bench.py FOLDER STEPS CHANNELS MULTIPLIER FILTERS KERNEL STRIDE DILATION PAD_LEFT OUT_STEPS
Prints {"ort_1": ns, "ort_64": ns, "error": e}.

Kernel time, not Python's: a session whose graph holds R copies of the layer
(each with its own, slightly perturbed weights so no pass merges them, all
fed by the same input) is timed against a session holding one copy; the
difference over R - 1 is what one more layer costs inside onnxruntime
(its kernels and its per-node dispatch), without sess.run's fixed overhead.
The input is given already transposed to (N, C, W); copy 0's output is
checked against the interpreter's before anything is timed.
"""
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

COPIES = 9


def model(dw, pw, b, g, copies):
    L, C, M, F, K, s, d, left, steps = g
    right = max((steps - 1) * s + (K - 1) * d + 1 - L - left, 0)
    nodes, inits, outputs = [], [], []
    for i in range(copies):
        scale = np.float32(1 + 1e-6 * i)
        dw_onnx = (np.transpose(dw, (1, 2, 0)).reshape(C * M, 1, K) * scale).astype(np.float32)  # (C*M, 1, K)
        pw_onnx = (np.transpose(pw[0], (1, 0)).reshape(F, C * M, 1) * scale).astype(np.float32)  # (F, C*M, 1)
        inits += [numpy_helper.from_array(dw_onnx, f"dw{i}"), numpy_helper.from_array(pw_onnx, f"pw{i}"),
                  numpy_helper.from_array((b * scale).astype(np.float32), f"b{i}")]
        nodes += [
            helper.make_node("Conv", ["x", f"dw{i}"], [f"dwout{i}"], group=C, kernel_shape=[K], strides=[s],
                             dilations=[d], pads=[left, right]),
            helper.make_node("Conv", [f"dwout{i}", f"pw{i}", f"b{i}"], [f"pwout{i}"], kernel_shape=[1]),
            helper.make_node("Relu", [f"pwout{i}"], [f"y{i}"]),
        ]
        outputs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "sepconv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, C, L])],
                              outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def session(data):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def median_ns(sess, x):
    feed = {"x": x}
    sess.run(None, feed)
    reps, t = 1, 0.0
    while True:
        start = time.perf_counter_ns()
        for _ in range(reps):
            sess.run(None, feed)
        t = time.perf_counter_ns() - start
        if t >= 2e6:
            break
        reps *= 2
    samples = []
    begin = time.perf_counter()
    while len(samples) < 31 or (time.perf_counter() - begin < 1.0 and len(samples) < 500):
        start = time.perf_counter_ns()
        for _ in range(reps):
            sess.run(None, feed)
        samples.append((time.perf_counter_ns() - start) / reps)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    folder = sys.argv[1]
    g = [int(v) for v in sys.argv[2:11]]
    L, C, M, F, K, s, d, left, steps = g
    dw, pw, b = (np.load(os.path.join(folder, n + ".npy")) for n in ("dw", "pw", "b"))
    x = np.ascontiguousarray(np.transpose(np.load(os.path.join(folder, "x.npy")), (0, 2, 1)))  # (N, C, L)
    ref = np.load(os.path.join(folder, "ref.npy"))  # (N, steps, F)
    one, many = session(model(dw, pw, b, g, 1)), session(model(dw, pw, b, g, COPIES))
    y = np.transpose(one.run(None, {"x": x})[0], (0, 2, 1))
    error = float(np.max(np.abs(y - ref)) / max(1.0, float(np.max(np.abs(ref)))))
    result = {"error": error}
    if error <= 1e-4:
        for batch in (1, 64):
            xb = np.ascontiguousarray(x[:batch])
            t1, tr = median_ns(one, xb), median_ns(many, xb)
            result[f"ort_{batch}"] = max(tr - t1, 0) / (COPIES - 1)
            result[f"ort_run_{batch}"] = t1
    print(json.dumps(result))


if __name__ == "__main__":
    main()
