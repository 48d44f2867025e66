"""The int8 section of Benchmarks/run.sh: ns per call (one batch item) on
this host of the emitted int8 C of each layer in Benchmarks/int8/ (`loops`),
its plain path (built with -DSEPCONV_GEN_PORTABLE) and its vector path
(the default build), and of the emitted float32 C of the same geometry
(Benchmarks/cortexm_cases.py's seeded spec), all three linked into one
program per compiler and -march and timed in the same run, interleaved,
each the best of SEPCONV_BENCH_ROUNDS rounds. The two int8 paths must give
the same output values, or the section stops.

Usage: int8_bench.py SEPCONV_GEN WORK_DIR [CASE...]
"""
import os
import subprocess
import sys

from cortexm_cases import ROOT, bench_cases, write_spec

INT8 = os.path.join(ROOT, "Benchmarks", "int8")
ROUNDS = int(os.environ.get("SEPCONV_BENCH_ROUNDS", "3"))
# name: (steps, channels, filters, kernel, padding, depth_multiplier, strides, dilation): bench.py's S M L D,
# which Scripts/tflite_bench_models.py quantized, and kws_block1 as Benchmarks/int8/kws_block1.yaml says.
CASES = {name: case for name, case in bench_cases().items() if os.path.exists(os.path.join(INT8, name + ".yaml"))}
CASES["kws_block1"] = (49, 10, 16, 3, "same", 1, 1, 1)
# The x86 builds: this core (AVX-512), AVX2, and the x86-64 baseline (SSE2).
MARCHES = ["native", "haswell", "x86-64"]

MAIN = r"""#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "{name}_plain.h"
#include "{name}_vector.h"
#include "{name}_float.h"

static int8_t x8[{inputs}], y8[{outputs}], z8[{outputs}];
static float xf[{inputs}], yf[{outputs}];

static double now(void) {{ struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }}

int main(void)
{{
    double best[3] = {{1e30, 1e30, 1e30}};
    long calls = 1, i;
    int round, k;
    for (i = 0; i < {inputs}; ++i) {{ x8[i] = (int8_t)((i * 37 + 11) % 256 - 128); xf[i] = (float)x8[i] / 64.0f; }}
    {name}_plain(x8, y8, 1);
    {name}_vector(x8, z8, 1);
    if (memcmp(y8, z8, sizeof y8) != 0) {{ printf("MISMATCH\n"); return 1; }}
    /* Enough calls for about 20 ms of the plain path. */
    for (;;) {{
        double start = now();
        for (i = 0; i < calls; ++i) {{ {name}_plain(x8, y8, 1); __asm__ __volatile__("" ::: "memory"); }}
        if (now() - start > 2e7) break;
        calls *= 2;
    }}
    for (round = 0; round < {rounds}; ++round)
        for (k = 0; k < 3; ++k) {{
            double start = now(), ns;
            for (i = 0; i < calls; ++i) {{
                if (k == 0) {name}_plain(x8, y8, 1);
                else if (k == 1) {name}_vector(x8, y8, 1);
                else {name}_float(xf, yf, 1);
                __asm__ __volatile__("" ::: "memory");
            }}
            ns = (now() - start) / calls;
            if (ns < best[k]) best[k] = ns;
        }}
    printf("%.1f %.1f %.1f\n", best[0], best[1], best[2]);
    return 0;
}}
"""


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def generate(gen, name, folder):
    """The int8 C of the layer as NAME_plain and NAME_vector, the float32 C as NAME_float, in `folder`."""
    os.makedirs(folder, exist_ok=True)
    for path in ("plain", "vector"):
        spec = os.path.join(folder, f"{name}_{path}.yaml")
        with open(os.path.join(INT8, name + ".yaml")) as source, open(spec, "w") as target:
            target.write(source.read().replace(f"name: {name}_q\n", f"name: {name}_{path}\n").replace("model: ", f"model: {INT8}/"))
        sh([gen, spec, "-o", folder, "--lang", "c", "--unroll", "loops", "--weights-root", INT8])
    steps, channels, filters, kernel, padding, multiplier, stride, dilation = CASES[name]
    spec = write_spec(folder, f"{name}_float", steps, channels, filters, kernel, padding, multiplier, stride, dilation)
    sh([gen, spec, "-o", folder, "--lang", "c"])
    out_steps = -(-steps // stride) if padding == "same" else (steps - (kernel - 1) * dilation - 1) // stride + 1
    return steps * channels, out_steps * filters


def measure(cc, march, name, folder, sizes):
    """(plain, vector, float) ns per call of `name` built by `cc -O3 -march=MARCH`."""
    flags = ["-std=c99", "-O3", f"-march={march}"]
    build = os.path.join(folder, f"{cc}-{march}")
    os.makedirs(build, exist_ok=True)
    objects = []
    for path, extra in (("plain", ["-DSEPCONV_GEN_PORTABLE"]), ("vector", []), ("float", [])):
        objects.append(os.path.join(build, f"{path}.o"))
        sh([cc, *flags, *extra, "-c", os.path.join(folder, f"{name}_{path}.c"), "-o", objects[-1]])
    main = os.path.join(build, "main.c")
    with open(main, "w") as file:
        file.write(MAIN.format(name=name, inputs=sizes[0], outputs=sizes[1], rounds=ROUNDS))
    exe = os.path.join(build, "bench")
    sh([cc, *flags, "-I", folder, main, *objects, "-o", exe])
    out = sh([exe]).stdout.split()
    if out[0] == "MISMATCH":
        raise SystemExit(f"{name}, {cc} -march={march}: the vector int8 path's output differs from the plain path's")
    return [float(v) for v in out]


def main():
    gen, work = sys.argv[1], sys.argv[2]
    names = [n for n in sys.argv[3:] if n in CASES] or list(CASES)
    compilers = [cc for cc in ("gcc", "clang") if subprocess.run(["which", cc], capture_output=True).returncode == 0]
    print(f"\n## int8 on this host: ns per call (one item), -O3, best of {ROUNDS} rounds; "
          "plain = -DSEPCONV_GEN_PORTABLE, vector = the default build\n")
    header = ["layer", "compiler", "-march", "int8 plain", "int8 vector", "plain / vector", "float32", "float32 / vector"]
    rows = []
    for name in names:
        folder = os.path.join(work, "int8", name)
        sizes = generate(gen, name, folder)
        for cc in compilers:
            for march in MARCHES:
                plain, vector, flt = measure(cc, march, name, folder, sizes)
                rows.append([name, cc, march, f"{plain:.0f}", f"{vector:.0f}", f"{plain / vector:.2f}", f"{flt:.0f}", f"{flt / vector:.2f}"])
                print(" | ".join(rows[-1]), file=sys.stderr)
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths]] + rows:
        print("| " + " | ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |")


if __name__ == "__main__":
    main()
