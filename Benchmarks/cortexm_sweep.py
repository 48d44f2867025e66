"""Full against loops on small layers, for `--unroll auto`'s rule: run by
`Benchmarks/cortexm.sh --sweep` (see Benchmarks/unroll-budget.md).

Per layer (float32, channels_last, kernel 3, same, relu): multiply-adds,
then for --unroll full and --unroll loops:
- Cortex-M4 (arm-none-eabi-gcc -O2, hard float): code bytes (text + rodata -
  weights) and executed instructions of one call (unicorn; counts, not
  times), for the default build and -DSEPCONV_GEN_PORTABLE (the scalar
  path, which a core without float SIMD takes once the emitted C tests for it);
- this host (gcc -O2, no -march): code bytes and ns of CPU time per call
  (the process's CPU clock, so other load on the machine does not count;
  best of 5 medians of 21 timed blocks).
"""
import os
import statistics

from cortexm_cases import M4_FLAGS, STRICT, explain, generate, sections, sh, weight_bytes, write_spec

# (steps, channels, filters)
LAYERS = [(8, 2, 4), (8, 4, 8), (16, 4, 8), (12, 3, 8), (16, 8, 8), (16, 8, 16), (32, 8, 16)]

TIMER = r"""#include <stdio.h>
#include <time.h>
#include "{name}.h"
static float x[{name}_INPUT_SIZE], y[{name}_OUTPUT_SIZE];
static double now(void) {{ struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }}
int main(void)
{{
    int i, round, calls = 1;
    double best = 1e30;
    for (i = 0; i < {name}_INPUT_SIZE; ++i) x[i] = (float)((i * 7919) % 17) / 17.0f - 0.5f;
    while (1) {{ double t = now(); for (i = 0; i < calls; ++i) {name}(x, y, 1); if (now() - t > 0.01) break; calls *= 2; }}
    for (round = 0; round < 5; ++round) {{
        double times[21];
        int block;
        for (block = 0; block < 21; ++block) {{
            double t = now();
            for (i = 0; i < calls; ++i) {name}(x, y, 1);
            times[block] = (now() - t) / calls * 1e9;
        }}
        for (block = 1; block < 21; ++block) {{ double v = times[block]; int j = block - 1; while (j >= 0 && times[j] > v) {{ times[j + 1] = times[j]; --j; }} times[j + 1] = v; }}
        if (times[10] < best) best = times[10];
    }}
    printf("%.1f %g\n", best, (double)y[0]);
    return 0;
}}
"""


def host_figures(source, name, folder, weights):
    obj = os.path.join(folder, name + ".host.o")
    sh(["gcc", *STRICT, "-O2", "-c", source, "-o", obj])
    s = sections(obj, size_tool="size")
    timer = os.path.join(folder, "timer.c")
    with open(timer, "w") as file:
        file.write(TIMER.format(name=name))
    exe = os.path.join(folder, "timer")
    sh(["gcc", "-std=c99", "-D_POSIX_C_SOURCE=199309L", "-O2", "-I", folder, timer, obj, "-lm", "-o", exe])
    ns = float(sh([exe]).stdout.split()[0])
    return s["text"] + s["rodata"] - weights, ns


def run(gen, work, markdown):
    from cortexm_count import count_case, table
    rows = []
    for steps, channels, filters in LAYERS:
        name = f"t{steps}x{channels}x{filters}"
        folder = os.path.join(work, "sweep")
        os.makedirs(folder, exist_ok=True)
        spec = write_spec(folder, name, steps, channels, filters, 3)
        info = explain(gen, spec)
        weights = weight_bytes(info)
        row = [f"{steps}, {channels} -> {filters}", info["parameters"], info["multiplyAdds"]]
        for build in ("default", "portable"):
            for unroll in ("full", "loops"):
                out = os.path.join(work, f"sweep-{name}-{unroll}-{build}")
                source = generate(gen, spec, unroll, out)
                obj = os.path.join(out, "m4.o")
                sh(["arm-none-eabi-gcc", *M4_FLAGS, *STRICT, "-O2", *(["-DSEPCONV_GEN_PORTABLE"] if build == "portable" else []),
                    "-c", source, "-o", obj])
                s = sections(obj)
                row += [s["text"] + s["rodata"] - weights, count_case(gen, name, spec, unroll, build, out)["emitted"]]
        for unroll in ("full", "loops"):
            out = os.path.join(work, f"sweep-{name}-{unroll}-host")
            source = generate(gen, spec, unroll, out)
            code, ns = host_figures(source, name, out, weights)
            row += [code, ns]
        rows.append(row)
    print("Full against loops on small layers (float32, channels_last, kernel 3, same, relu). Code = text + rodata - weights, bytes.")
    print("M4: arm-none-eabi-gcc -O2 " + " ".join(M4_FLAGS) + "; instructions executed in one call (unicorn emulator: counts, NOT times).")
    print("Host: gcc -O2 (no -march), ns of process CPU time per call (best of 5 medians); " + host_cpu())
    header = ["layer (steps, in -> out)", "weights", "multiply-adds",
              "M4 default full code", "instr.", "M4 default loops code", "instr.",
              "M4 portable full code", "instr.", "M4 portable loops code", "instr.",
              "host full code", "ns", "host loops code", "ns"]
    table(header, rows, markdown, ["l"] + ["r"] * (len(header) - 1))


def host_cpu():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    raise SystemExit("run through Benchmarks/cortexm.sh --sweep")
