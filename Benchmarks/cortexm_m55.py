"""Executed-instruction counts on Cortex-M55 with Helium (MVE): run by
Benchmarks/cortexm.sh --m55.

unicorn (the emulator the Cortex-M4 counts use) models no Armv8.1-M core, so
these counts come from qemu-system-arm itself on the MPS3 AN547 board
(Cortex-M55 with MVE): one instruction per translated block (`-singlestep`,
no block chaining) and a log line per executed block (`-d exec,nochain`),
so every executed instruction is one line naming its address and function.
The counted window is one call of the emitted kernel on one batch item,
between two marker functions the driver calls around it; the instructions
in functions not of the kernel's file are the C library's. These are
emulator instruction counts, not times (MVE instructions take two beats on
a Cortex-M55 and overlap with their neighbours).

Each case's C is compiled twice with arm-none-eabi-gcc -O2 -mcpu=cortex-m55
-mthumb -mfloat-abi=hard: as emitted (its Helium routines, `CHelium`, where
it has them, the scalar ones elsewhere) and with -DSEPCONV_GEN_PORTABLE (the
scalar path of the same schedule, on the FPU);
in the guest both outputs are compared with `sepconv-gen run`'s (max
relative error at most 1e-4).

Usage: cortexm_m55.py SEPCONV_GEN WORK_DIR [--unroll auto|loops|full] [--markdown]
"""
import os
import random
import re
import struct
import subprocess
import sys

from cortexm_cases import STRICT, TARGETS, cases, explain, generate, npy_read, npy_write, sections, sh, weight_bytes

M55_FLAGS = ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"]
QEMU = ["qemu-system-arm", "-M", "mps3-an547", "-display", "none", "-monitor", "none", "-serial", "none",
        "-semihosting-config", "enable=on,target=native", "-singlestep", "-d", "exec,nochain"]

DRIVER = """/* One call of the kernel between two markers; compares its output with the interpreter's. */
#include <stdio.h>
#include "{name}.h"
#include "data.h"
static float output[sizeof reference / sizeof reference[0]];
void __attribute__((noinline)) counted_start(void) {{ __asm__ volatile(""); }}
void __attribute__((noinline)) counted_end(void) {{ __asm__ volatile(""); }}
int main(void)
{{
    unsigned i;
    float error = 0, scale = 1;
    for (i = 0; i < sizeof output / sizeof output[0]; ++i) output[i] = __builtin_nanf("");
    counted_start();
    {name}(input, output, 1);
    counted_end();
    for (i = 0; i < sizeof output / sizeof output[0]; ++i) {{
        const float d = output[i] > reference[i] ? output[i] - reference[i] : reference[i] - output[i];
        const float r = reference[i] < 0 ? -reference[i] : reference[i];
        if (!(d <= error)) error = d == d ? d : 1e30f;
        if (r > scale) scale = r;
    }}
    printf("error %.9g\\n", (double)(error / scale));
    return error / scale <= 1e-4f ? 0 : 1;
}}
"""

TRACE = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/[0-9a-f]+/[0-9a-f]+\] ?(\S*)")


def c_floats(values):
    return ",\n".join(", ".join(f"{float(v).hex()}f" for v in values[i:i + 8]) for i in range(0, len(values), 8))


def count(gen, name, spec, unroll, build, work):
    """(instructions, of which C library, library function names, max relative error, code bytes) of one call on M55;
    code is the kernel object's text + rodata - weight bytes."""
    info = explain(gen, spec)
    folder = os.path.join(work, f"{name}-{unroll}-m55-{build}")
    os.makedirs(folder, exist_ok=True)
    source = generate(gen, spec, unroll, folder)
    rng = random.Random(1)
    x = [struct.unpack("<f", struct.pack("<f", rng.gauss(0, 1)))[0] for _ in range(info["inputSteps"] * info["inputChannels"])]
    shape = (1, info["inputSteps"], info["inputChannels"]) if info["dataFormat"] == "channels_last" else (1, info["inputChannels"], info["inputSteps"])
    npy_write(os.path.join(folder, "x.npy"), shape, x)
    sh([gen, "run", spec, "--input", os.path.join(folder, "x.npy"), "--output", os.path.join(folder, "y.npy")])
    reference = npy_read(os.path.join(folder, "y.npy"))
    with open(os.path.join(folder, "data.h"), "w") as data:
        data.write(f"static const float input[{len(x)}] = {{\n{c_floats(x)}\n}};\n")
        data.write(f"static const float reference[{len(reference)}] = {{\n{c_floats(reference)}\n}};\n")
    with open(os.path.join(folder, "main.c"), "w") as main:
        main.write(DRIVER.format(name=name))
    defines = ["-DSEPCONV_GEN_PORTABLE"] if build == "portable" else []
    image = os.path.join(folder, name + ".elf")
    sh(["arm-none-eabi-gcc", *M55_FLAGS, *STRICT, "-O2", *defines, "-I", folder, "-c", source, "-o", os.path.join(folder, "kernel.o")])
    sh(["arm-none-eabi-gcc", *M55_FLAGS, "-O2", "-I", folder, "--specs=rdimon.specs", "-nostartfiles", "-L", TARGETS, "-T", "mps3-an547.ld",
        os.path.join(TARGETS, "startup.c"), os.path.join(folder, "main.c"), os.path.join(folder, "kernel.o"), "-lm", "-o", image])
    size = sections(os.path.join(folder, "kernel.o"))
    code = size["text"] + size["rodata"] - weight_bytes(info)
    own = {line.split()[2] for line in sh(["arm-none-eabi-nm", "--defined-only", os.path.join(folder, "kernel.o")]).stdout.splitlines()
           if len(line.split()) == 3}
    log = os.path.join(folder, "exec.log")
    run = subprocess.run([*QEMU, "-D", log, "-kernel", image], capture_output=True, text=True, timeout=1200)
    if run.returncode != 0:
        raise SystemExit(f"{name} ({build} build) on cortex-m55: exit {run.returncode}\n{run.stdout}{run.stderr}")
    error = float(run.stdout.split()[1])
    executed, library, names, inside = 0, 0, set(), False
    with open(log) as lines:
        for line in lines:
            match = TRACE.match(line)
            if not match:
                continue
            function = match.group(2)
            if function == "counted_start":
                inside = True
                continue
            if function == "counted_end":
                break
            if inside:
                executed += 1
                if function not in own:
                    library += 1
                    names.add(function)
    os.remove(log)
    # Counted besides the kernel: the start marker's return and the call's setup in main (2 instructions, shown as main).
    return executed, library, sorted(names), error, code


def main():
    gen, work = sys.argv[1], sys.argv[2]
    markdown = "--markdown" in sys.argv
    unroll = sys.argv[sys.argv.index("--unroll") + 1] if "--unroll" in sys.argv else "auto"
    from cortexm_count import table
    print(f"Cortex-M55 executed instructions (qemu-system-arm -M mps3-an547, one instruction per block, NOT times) of one call "
          f"on one batch item; emitted C (--unroll {unroll}), arm-none-eabi-gcc -O2 {' '.join(M55_FLAGS)}: as emitted (Helium) "
          f"and the scalar path (-DSEPCONV_GEN_PORTABLE)")
    rows = []
    for name, spec, origin in cases(gen, work):
        info = explain(gen, spec)
        macs = info["multiplyAdds"]
        vector, vector_library, vector_names, _, vector_code = count(gen, name, spec, unroll, "default", work)
        scalar, _, _, _, scalar_code = count(gen, name, spec, unroll, "portable", work)
        rows.append([name, origin, info["activation"], macs, vector, f"{vector_library:,} ({', '.join(vector_names) or '-'})",
                     vector / macs, scalar, scalar / macs, scalar / vector, vector_code, scalar_code])
    table(["case", "from", "activation", "multiply-adds", "Helium", "of which C library", "per multiply-add",
           "scalar", "per multiply-add", "scalar / Helium", "code Helium (B)", "code scalar (B)"], rows, markdown,
          ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"])
    print()
    print("Both outputs matched the interpreter's in the guest (max relative error <= 1e-4). Code: the kernel object's "
          "text + rodata - weight bytes, -O2.")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
