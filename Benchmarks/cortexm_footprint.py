"""Cortex-M4 footprint of the emitted C: run by Benchmarks/footprint.sh.

For every case (Specs/ and the benchmark cases that fit), `--unroll loops`
and `--unroll auto`, the default build and -DSEPCONV_GEN_PORTABLE, at -O2
and -Os: text, rodata, data and bss of the object (arm-none-eabi-size -A),
the stack bound (-fstack-usage: the sum of the file's frames), the weight
bytes, and code = text + rodata - weight bytes. Then checks the issue's
requirements on Specs/ at -O2: default <= portable + 10% (text + rodata),
and code <= 2 KiB for every `loops` kernel. Usage:
cortexm_footprint.py SEPCONV_GEN WORK_DIR [--markdown]
"""
import os
import sys

from cortexm_cases import M4_FLAGS, STRICT, cases, explain, generate, sections, sh, stack_bound, weight_bytes

PATHS = {"default": [], "portable": ["-DSEPCONV_GEN_PORTABLE"]}
OPTS = ["-O2", "-Os"]
UNROLLS = ["loops", "auto"]


def measure(source, flags, obj):
    sh(["arm-none-eabi-gcc", *M4_FLAGS, *STRICT, *flags, "-fstack-usage", "-c", source, "-o", obj])
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
    print("Requirements on Specs/ (Cortex-M4, -O2): default <= portable + 10%; code (text + rodata - weights) <= 2 KiB for loops kernels")
    if failures:
        for failure in failures:
            print("  NOT MET: " + failure)
    else:
        print("  all met")


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
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("| --- | --- | ---: | --- | " + " | ".join("---:" for _ in header[4:]) + " |")
        for line in lines:
            print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in line) + " |")
    else:
        widths = [max(len(str(h)), *(len(f"{l[i]:,}" if isinstance(l[i], int) else str(l[i])) for l in lines)) for i, h in enumerate(header)]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for line in lines:
            print("  ".join((f"{v:,}" if isinstance(v, int) else str(v)).rjust(w) for v, w in zip(line, widths)))


if __name__ == "__main__":
    main()
