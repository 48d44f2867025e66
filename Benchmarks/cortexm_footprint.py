"""Cortex-M4 footprint of the emitted C: run by Benchmarks/footprint.sh.

For every case (Specs/ and the benchmark cases that fit), `--unroll loops`
and `--unroll auto`, the default build and -DSEPCONV_GEN_PORTABLE, at -O2
and -Os: text, rodata, data and bss of the object (arm-none-eabi-size -A),
the stack bound (-fstack-usage: the sum of the file's frames), the weight
bytes, and code = text + rodata - weight bytes. Then checks the issue's
requirements on Specs/ at -O2: default <= portable + 10% (text + rodata),
and code <= 2 KiB for every `loops` kernel. Then the int8 layers of
Benchmarks/int8/ (`loops` and `auto`) on Cortex-M4, which takes the C path
for DSP cores (`__smlad`), and Cortex-M3, which takes the plain one: the
same figures, weights being the weight and bias tables the path compiles
(`explain`: dspWeightTableBytes, weightTableBytes), and code <= 2 KiB for
every `loops` kernel on both cores. Usage:
cortexm_footprint.py SEPCONV_GEN WORK_DIR [--markdown]
"""
import os
import sys

import json

from cortexm_cases import HERE, M4_FLAGS, STRICT, cases, explain, generate, sections, sh, stack_bound, weight_bytes

PATHS = {"default": [], "portable": ["-DSEPCONV_GEN_PORTABLE"]}
OPTS = ["-O2", "-Os"]
UNROLLS = ["loops", "auto"]


INT8 = os.path.join(HERE, "int8")
INT8_CORES = {"M4": (M4_FLAGS, "dspWeightTableBytes"), "M3": (["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"], "weightTableBytes")}


def measure(source, flags, obj, cpu=M4_FLAGS):
    sh(["arm-none-eabi-gcc", *cpu, *STRICT, *flags, "-fstack-usage", "-c", source, "-o", obj])
    result = sections(obj)
    result["stack"] = stack_bound(os.path.splitext(obj)[0] + ".su")
    return result


def main():
    gen, work = sys.argv[1], sys.argv[2]
    markdown = "--markdown" in sys.argv[3:]
    rows, failures = [], []
    for name, spec, origin in cases(gen, work):
        info = explain(gen, spec)
        weights = weight_bytes(info)
        for unroll in UNROLLS:
            source = generate(gen, spec, unroll, os.path.join(work, unroll))
            figures = {}
            for path, defines in PATHS.items():
                for opt in OPTS:
                    obj = os.path.join(work, unroll, f"{name}_{path}{opt}.o")
                    figures[path, opt] = measure(source, [opt, *defines], obj)
            rows.append((name, origin, unroll, weights, figures))
            if origin != "Specs/":
                continue
            d, p = figures["default", "-O2"], figures["portable", "-O2"]
            if d["text"] + d["rodata"] > 1.10 * (p["text"] + p["rodata"]):
                failures.append(f"{name} --unroll {unroll}: default build {d['text'] + d['rodata']} B > portable "
                                f"{p['text'] + p['rodata']} B + 10% (-O2)")
            if unroll == "loops":
                for path in PATHS:
                    f = figures[path, "-O2"]
                    code = f["text"] + f["rodata"] - weights
                    if code > 2048:
                        failures.append(f"{name} --unroll loops, {path} build: code {code} B > 2048 B (-O2)")
    print_table(rows, markdown)
    print()
    int8_rows = measure_int8(gen, work, failures)
    print_int8_table(int8_rows, markdown)
    print()
    print("Requirements on Specs/ (Cortex-M4, -O2): default <= portable + 10%; code (text + rodata - weights) <= 2 KiB for loops kernels; "
          "int8 (Cortex-M4 and M3, -O2): code <= 2 KiB for loops kernels")
    if failures:
        for failure in failures:
            print("  NOT MET: " + failure)
    else:
        print("  all met")


def measure_int8(gen, work, failures):
    """The int8 layers of Benchmarks/int8/ on each core of INT8_CORES: (case, unroll, core, weights, {opt: figures})."""
    rows = []
    for spec in sorted(f for f in os.listdir(INT8) if f.endswith(".yaml")):
        path = os.path.join(INT8, spec)
        info = json.loads(sh([gen, "explain", path, "--json", "--weights-root", INT8]).stdout)
        for unroll in UNROLLS:
            out = os.path.join(work, "int8", unroll)
            os.makedirs(out, exist_ok=True)
            sh([gen, path, "-o", out, "--lang", "c", "--unroll", unroll, "--weights-root", INT8])
            source = os.path.join(out, info["name"] + ".c")
            for core, (cpu, key) in INT8_CORES.items():
                weights = info["quantization"][key]
                figures = {opt: measure(source, [opt], os.path.join(out, f"{info['name']}_{core}{opt}.o"), cpu) for opt in OPTS}
                rows.append((info["name"], unroll, core, weights, figures))
                code = figures["-O2"]["text"] + figures["-O2"]["rodata"] - weights
                if unroll == "loops" and code > 2048:
                    failures.append(f"int8 {info['name']} --unroll loops on Cortex-{core}: code {code} B > 2048 B (-O2)")
    return rows


def print_int8_table(rows, markdown):
    header = ["case", "unroll", "core", "weight tables B", "O2 text", "O2 rodata", "O2 data+bss", "O2 stack", "O2 code",
              "Os text", "Os rodata", "Os stack", "Os code"]
    lines = []
    for name, unroll, core, weights, figures in rows:
        o2, os_ = figures["-O2"], figures["-Os"]
        lines.append([name, unroll, core, weights, o2["text"], o2["rodata"], o2["data"] + o2["bss"], o2["stack"],
                      o2["text"] + o2["rodata"] - weights, os_["text"], os_["rodata"], os_["stack"], os_["text"] + os_["rodata"] - weights])
    print("int8 layers of Benchmarks/int8/: Cortex-M4 (" + " ".join(M4_FLAGS) + ": the C path for DSP cores, pointwise weights as int16 pairs) "
          "and Cortex-M3 (" + " ".join(INT8_CORES["M3"][0]) + ": the plain path); weight tables = the weight and folded bias "
          "tables that path compiles; code = text + rodata - weight tables")
    emit(header, lines, markdown, {0, 1, 2})


def emit(header, lines, markdown, words):
    """`lines` under `header`, as markdown or aligned text; columns in `words` are left-aligned in markdown."""
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---" if i in words else "---:" for i in range(len(header))) + " |")
        for line in lines:
            print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in line) + " |")
    else:
        widths = [max(len(str(h)), *(len(f"{l[i]:,}" if isinstance(l[i], int) else str(l[i])) for l in lines)) for i, h in enumerate(header)]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for line in lines:
            print("  ".join((f"{v:,}" if isinstance(v, int) else str(v)).rjust(w) for v, w in zip(line, widths)))


def print_table(rows, markdown):
    header = ["case", "unroll", "weights B", "build", "O2 text", "O2 rodata", "O2 data+bss", "O2 stack", "O2 code",
              "Os text", "Os rodata", "Os stack", "Os code"]
    lines = []
    for name, origin, unroll, weights, figures in rows:
        for path in PATHS:
            o2, os_ = figures[path, "-O2"], figures[path, "-Os"]
            lines.append([name, unroll, weights, path,
                          o2["text"], o2["rodata"], o2["data"] + o2["bss"], o2["stack"], o2["text"] + o2["rodata"] - weights,
                          os_["text"], os_["rodata"], os_["stack"], os_["text"] + os_["rodata"] - weights])
    print("Cortex-M4 (arm-none-eabi-gcc " + sh(["arm-none-eabi-gcc", "-dumpversion"]).stdout.strip() + " "
          + " ".join(M4_FLAGS) + " -std=c99): bytes per object; code = text + rodata - weights; "
          "stack = sum of the file's -fstack-usage frames")
    emit(header, lines, markdown, {0, 1, 3})


if __name__ == "__main__":
    main()
