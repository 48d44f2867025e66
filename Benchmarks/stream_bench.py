"""The streaming section of the sepconv-gen benchmark (run by Benchmarks/run.sh).

For the benchmark cases and Specs/kws_block1, each with `streaming: true`:
ns per output frame when a long signal is streamed through `N_stream_push`
(pushes of 1 frame and of large chunks), beside the batch kernel's ns per
call divided by its output steps (one item hot in cache, and item after
item over the same signal), and beside the sliding-window alternative
(one batch call over the last `input.steps` frames per new output frame).
C only (gcc or cc), -O3 -march=native; times are the thread's CPU time
(the median over timed blocks), so that other processes on a shared machine
do not count. Usage:
stream_bench.py SEPCONV_GEN WORK_DIR [CASE...]
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the cases, their specs and seeded weights)

ROOT = os.path.dirname(HERE)
CHUNKS = ["1", "64", "256", "4096"]


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def kws_block1(work):
    """Specs/kws_block1 copied with its weights, and one input item."""
    folder = os.path.join(work, "stream", "kws_block1")
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "Specs", "kws_block1"), os.path.join(folder, "kws_block1"))
    shutil.copy(os.path.join(ROOT, "Specs", "kws_block1.yaml"), folder)
    x = np.load(os.path.join(folder, "kws_block1", "input.npy"))[0].astype("<f4")
    x.tofile(os.path.join(folder, "x1.bin"))
    return folder, "kws_block1", 1


def bench_case(case, work):
    """A benchmark case's spec (bench.write_case), and one input item."""
    folder, g = bench.write_case(case, os.path.join(work, "stream"))
    np.load(os.path.join(folder, "x.npy"))[0].astype("<f4").tofile(os.path.join(folder, "x1.bin"))
    return folder, case, g["s"]


def run(gen, cc, folder, name, strides, build):
    spec = os.path.join(folder, name + ".yaml")
    with open(spec) as f:
        text = f.read()
    if "streaming:" not in text:
        with open(spec, "a") as f:
            f.write("streaming: true\n")
    out = os.path.join(folder, "gen-stream")
    sh([gen, spec, "-o", out, "--lang", "c"])
    with open(os.path.join(out, name + ".h")) as f:
        steps = next(int(line.split()[2]) for line in f if line.startswith(f"#define {name}_INPUT_STEPS"))
    exe = os.path.join(build, f"stream_bench_{name}")
    sh([cc, *bench.C_FLAGS, f"-DLAYER={name}", f'-DLAYER_HEADER="{name}.h"', "-I", out,
        os.path.join(HERE, "harness", "stream_bench.c"), os.path.join(out, name + ".c"), "-o", exe, "-lm"])
    frames = max(4096, 20 * steps)
    best = None
    for _ in range(bench.ROUNDS):
        record = json.loads(sh([exe, os.path.join(folder, "x1.bin"), str(frames), str(strides)] + CHUNKS).stdout)
        best = record if best is None else {k: min(v, best[k]) if isinstance(v, float) and k != "error" else v for k, v in record.items()}
    return best


def main():
    gen, work = sys.argv[1], sys.argv[2]
    cases = sys.argv[3:] or list(bench.CASES)
    build = os.path.join(work, "build")
    os.makedirs(build, exist_ok=True)
    cc = "gcc" if shutil.which("gcc") else "cc"
    layers = [bench_case(case, work) for case in cases] + [kws_block1(work)]
    results = {}
    for folder, name, strides in layers:
        print(f"... streaming: {name}", file=sys.stderr, flush=True)
        results[name] = run(gen, cc, folder, name, strides, build)
    with open(os.path.join(work, "stream_results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"== streaming ({cc} {' '.join(bench.C_FLAGS)}): CPU ns per output frame, a signal of max(4096, 20 x steps) frames, "
          f"best of {bench.ROUNDS} runs")
    print("   batch/step: the batch kernel's ns per call (batch 1, one item hot in cache) / its output steps; signal/step: the batch")
    print("   kernel item after item over the whole signal, per output step; push N: streamed in pushes of N frames;")
    print("   sliding: one batch call over the last input.steps frames per new output frame")
    headers = ["layer", "batch call", "batch/step", "signal/step"] + [f"push {c}" for c in CHUNKS] + ["sliding", "sliding/push 1"]
    rows = []
    for name, r in results.items():
        rows.append([name, bench.fmt_ns(r["batch_call"]), f"{r['batch_per_step']:.1f}", f"{r['batch_signal_per_step']:.1f}"]
                    + [f"{r['stream_' + c]:.1f}" for c in CHUNKS]
                    + [bench.fmt_ns(r["sliding_per_frame"]), f"{r['sliding_per_frame'] / r['stream_1']:.1f}"])
    bench.table(headers, rows)
    print("   streaming / batch per output frame: against batch/step (hot item) and against signal/step (the same signal)")
    headers = ["layer"] + [f"push {c} / batch" for c in CHUNKS] + [f"push {c} / signal" for c in CHUNKS]
    rows = [[name] + [f"{r['stream_' + c] / r['batch_per_step']:.2f}" for c in CHUNKS]
            + [f"{r['stream_' + c] / r['batch_signal_per_step']:.2f}" for c in CHUNKS] for name, r in results.items()]
    bench.table(headers, rows)
    if os.getloadavg()[0] > 1.5:
        print(f"note: load average {os.getloadavg()[0]:.1f} while the benchmark ran: other processes shared the cores.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
