"""Executed-instruction counts of the int8 kernels: run by `Benchmarks/cortexm.sh --int8 [--core m4|m3]`.

Emulator instruction counts (unicorn), not times, as Benchmarks/cortexm_count.py
counts them: one call on one batch item from reset state. For each int8
benchmark layer of Benchmarks/int8/ (made by Scripts/tflite_bench_models.py
with TensorFlow's converter), three kernels are counted on the same core,
each compiled with arm-none-eabi-gcc -O2 for it:

- the emitted int8 C (`--unroll loops` and the default plan),
- Benchmarks/baseline/looped_int8.c: TFLite's reference arithmetic written
  as a plain C loop nest, given the same layer (its weights, biases, scales
  and zero points read from <case>.params.json, which the converter's own
  interpreter reported, and the multipliers and shifts TFLite derives),
- the emitted float32 C of the same geometry (the case of
  Benchmarks/cortexm_count.py: Specs/kws_block1.yaml or the bench.py case).

The emitted int8 kernel's output and the baseline's must equal
`sepconv-gen run`'s for the same input, value for value.
Usage: cortexm_int8.py SEPCONV_GEN WORK_DIR [--core m4|m3] [--markdown]
"""
import json
import math
import os
import random
import struct
import sys

from cortexm_cases import HERE, ROOT, STRICT, TARGETS, bench_cases, sh, sections, write_spec
import cortexm_count
from cortexm_count import Machine, table

INT8 = os.path.join(ROOT, "Benchmarks", "int8")
CORES = {
    "m4": dict(flags=["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"], ld="mps2-an386.ld", cpu="M4"),
    "m3": dict(flags=["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"], ld="mps2-an385.ld", cpu="M3"),
}
INPUT, OUTPUT = cortexm_count.INPUT, cortexm_count.OUTPUT
LAYER, DATA = cortexm_count.LAYER, cortexm_count.BASE_WEIGHTS

MAIN = """/* Links the kernels and the baseline into one image; the counter calls them directly. */
#include "looped_int8.h"
{includes}
int main(void) {{ return 0; }}
"""


def tflite_round(x):
    """std::round: halves away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real):
    """TFLite's QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    if real == 0:
        return 0, 0
    fraction, shift = math.frexp(real)
    fixed = tflite_round(fraction * (1 << 31))
    if fixed == 1 << 31:
        fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return fixed, shift


def activation_range(name, scale, zero_point):
    """CalculateActivationRangeQuantized for int8 (the quotient in float32, as TFLite divides floats)."""
    def quantize(value):
        quotient = struct.unpack("<f", struct.pack("<f", value / scale))[0]
        return zero_point + tflite_round(quotient)
    low, high = -128, 127
    if name == "RELU":
        low = max(low, quantize(0.0))
    elif name == "RELU6":
        low, high = max(low, quantize(0.0)), min(high, quantize(6.0))
    elif name == "RELU_N1_TO_1":
        low, high = max(low, quantize(-1.0)), min(high, quantize(1.0))
    return low, high


def geometry(case):
    """(steps, channels, multiplier, filters, kernel, stride, dilation, pad_left, out_steps) of a case."""
    steps, channels, filters, kernel, padding, multiplier, stride, dilation = case
    field = (kernel - 1) * dilation + 1
    if padding == "valid":
        return steps, channels, multiplier, filters, kernel, stride, dilation, 0, (steps - field) // stride + 1
    out = -(-steps // stride)
    return steps, channels, multiplier, filters, kernel, stride, dilation, max((out - 1) * stride + field - steps, 0) // 2, out


def write_layer(machine, case, params):
    """The baseline's layer struct and its arrays in the emulator's memory."""
    dw, pw = params["depthwise"], params["pointwise"]
    steps, channels, multiplier, filters, kernel, stride, dilation, pad_left, out_steps = geometry(case)
    in_scale, mid_scale, out_scale = dw["input"]["scales"][0], dw["output"]["scales"][0], pw["output"]["scales"][0]
    in_zp, mid_zp, out_zp = dw["input"]["zero_points"][0], dw["output"]["zero_points"][0], pw["output"]["zero_points"][0]
    dw_q = [quantize_multiplier(in_scale * s / mid_scale) for s in dw["filter"]["scales"]]
    pw_q = [quantize_multiplier(mid_scale * s / out_scale) for s in pw["filter"]["scales"]]
    arrays = [("b", dw["filter"]["values"]), ("i", dw["bias"]["values"]), ("i", [m for m, _ in dw_q]), ("i", [s for _, s in dw_q]),
              ("b", pw["filter"]["values"]), ("i", pw["bias"]["values"] if pw["bias"] else None),
              ("i", [m for m, _ in pw_q]), ("i", [s for _, s in pw_q])]
    pointers, address = [], DATA
    for code, values in arrays:
        if values is None:
            pointers.append(0)
            continue
        machine.uc.mem_write(address, struct.pack(f"<{len(values)}{code}", *values))
        pointers.append(address)
        address += (len(values) * struct.calcsize(code) + 7) // 8 * 8
    dw_range = activation_range(dw["activation"], mid_scale, mid_zp)
    pw_range = activation_range(pw["activation"], out_scale, out_zp)
    machine.uc.mem_write(LAYER, struct.pack("<16i8I", steps, channels, multiplier, filters, kernel, stride, dilation, pad_left, out_steps,
                                            -in_zp, mid_zp, out_zp, *dw_range, *pw_range, *pointers))
    return steps * channels, out_steps * filters


def run_interpreter(gen, spec, values, shape, folder):
    """`sepconv-gen run` on int8 input (an |i1 .npy); returns the output values."""
    header = "{'descr': '|i1', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{n}, " for n in shape)
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    x, y = os.path.join(folder, "x.npy"), os.path.join(folder, "y.npy")
    with open(x, "wb") as file:
        file.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(f"<{len(values)}b", *values))
    sh([gen, "run", spec, "--input", x, "--output", y, "--weights-root", INT8])
    with open(y, "rb") as file:
        data = file.read()
    length = struct.unpack("<H", data[8:10])[0]
    if "'|i1'" not in data[10:10 + length].decode():
        raise SystemExit(f"{spec}: `run` did not write an |i1 .npy")
    body = data[10 + length:]
    return list(struct.unpack(f"<{len(body)}b", body))


def build(gen, name, spec, core, folder):
    """One image with the emitted int8 kernel (loops and default plan) and the baseline; returns (image, code bytes per plan)."""
    flags = CORES[core]["flags"]
    baseline = os.path.join(HERE, "baseline")
    objects, code = [], {}
    includes = []
    for unroll in ("loops", "auto"):
        out = os.path.join(folder, unroll)
        os.makedirs(out, exist_ok=True)
        # Each plan under its own name, so both link into one image.
        renamed = os.path.join(out, f"{name}_{unroll}.yaml")
        with open(spec) as source, open(renamed, "w") as target:
            target.write(source.read().replace(f"name: {name}\n", f"name: {name}_{unroll}\n").replace("model: ", f"model: {INT8}/"))
        sh([gen, renamed, "-o", out, "--lang", "c", "--unroll", unroll, "--weights-root", INT8])
        objects.append(os.path.join(out, f"{name}_{unroll}.o"))
        sh(["arm-none-eabi-gcc", *flags, *STRICT, "-O2", "-c", os.path.join(out, f"{name}_{unroll}.c"), "-o", objects[-1]])
        size = sections(objects[-1])
        # The weight and folded bias tables this core's path compiles (the DSP path's pointwise weights are int16 pairs);
        # the requantization tables (multipliers, shifts, offsets) count as code.
        key = "dspWeightTableBytes" if core == "m4" else "weightTableBytes"
        weights = json.loads(sh([gen, "explain", renamed, "--json", "--weights-root", INT8]).stdout)["quantization"][key]
        code[unroll] = size["text"] + size["rodata"] - weights
        includes.append(f'#include "{unroll}/{name}_{unroll}.h"')
    with open(os.path.join(folder, "main.c"), "w") as main:
        main.write(MAIN.format(includes="\n".join(includes)))
    for source in (os.path.join(baseline, "looped_int8.c"), os.path.join(folder, "main.c")):
        objects.append(os.path.join(folder, os.path.basename(source)[:-2] + ".o"))
        sh(["arm-none-eabi-gcc", *flags, *STRICT, "-O2", "-I", folder, "-I", baseline, "-c", source, "-o", objects[-1]])
    image = os.path.join(folder, name + ".elf")
    sh(["arm-none-eabi-gcc", *flags, "-O2", "--specs=rdimon.specs", "-nostartfiles", "-L", TARGETS, "-T", CORES[core]["ld"],
        os.path.join(TARGETS, "startup.c"), *objects, "-lm", "-o", image])
    return image, code


def float_count(gen, name, case, core, work):
    """Instructions of one call of the emitted float32 kernel of the same geometry on `core`."""
    folder = os.path.join(work, "float-specs")
    os.makedirs(folder, exist_ok=True)
    spec = os.path.join(ROOT, "Specs", "kws_block1.yaml") if name == "kws_block1" else write_spec(folder, name, *case)
    result = cortexm_count.count_case(gen, name, spec, "auto", "default", os.path.join(work, "float-" + core),
                                      flags=CORES[core]["flags"], ld=CORES[core]["ld"], cpu=CORES[core]["cpu"])
    return result["emitted"]


def count(gen, name, case, core, work):
    spec = os.path.join(INT8, name + ".yaml")
    with open(os.path.join(INT8, name + ".params.json")) as file:
        params = json.load(file)
    folder = os.path.join(work, f"int8-{name}-{core}")
    os.makedirs(folder, exist_ok=True)
    image, code = build(gen, name + "_q", spec, core, folder)
    machine = Machine(image, cpu=CORES[core]["cpu"])
    inputs, outputs = write_layer(machine, case, params)
    rng = random.Random(8)
    x = [rng.randint(-128, 127) for _ in range(inputs)]
    machine.uc.mem_write(INPUT, struct.pack(f"<{inputs}b", *x))
    steps, channels = case[0], case[1]
    expected = run_interpreter(gen, os.path.join(folder, "loops", f"{name}_q_loops.yaml"), x, (1, steps, channels), folder)
    counts = {}
    for what, function, args, own in (("loops", f"{name}_q_loops", (INPUT, OUTPUT, 1), None), ("auto", f"{name}_q_auto", (INPUT, OUTPUT, 1), None),
                                      ("baseline", "looped_sepconv1d_s8", (LAYER, INPUT, OUTPUT, 1), "looped_")):
        machine.uc.mem_write(OUTPUT, b"\x55" * outputs)
        counts[what] = machine.call(function, args, own=own)
        got = list(struct.unpack(f"<{outputs}b", bytes(machine.uc.mem_read(OUTPUT, outputs))))
        if got != expected:
            wrong = sum(a != b for a, b in zip(got, expected))
            raise SystemExit(f"{name} on {core}: {what} differs from `sepconv-gen run` in {wrong} of {outputs} values")
    counts["float"] = float_count(gen, name, case, core, work)
    return counts, code


def main():
    gen, work = sys.argv[1], sys.argv[2]
    core = sys.argv[sys.argv.index("--core") + 1] if "--core" in sys.argv else "m4"
    markdown = "--markdown" in sys.argv
    cases = {"kws_block1": (49, 10, 16, 3, "same", 1, 1, 1)}
    cases.update({name: case for name, case in bench_cases().items() if os.path.exists(os.path.join(INT8, name + ".yaml"))})
    print(f"Cortex-{core.upper()} executed instructions (unicorn emulator, NOT times) of one call on one batch item, "
          f"arm-none-eabi-gcc -O2 {' '.join(CORES[core]['flags'])}; every int8 output equal to `sepconv-gen run`'s")
    rows = []
    for name, case in cases.items():
        counts, code = count(gen, name, case, core, work)
        steps, channels, multiplier, filters, kernel, stride, dilation, pad_left, out_steps = geometry(case)
        macs = sum(1 for t in range(out_steps) for k in range(kernel) if 0 <= t * stride - pad_left + k * dilation < steps) \
            * channels * multiplier + out_steps * channels * multiplier * filters
        rows.append([name, macs, counts["auto"], counts["auto"] / macs, counts["loops"], code["loops"], counts["baseline"],
                     counts["baseline"] / counts["auto"], counts["float"], counts["float"] / counts["auto"]])
    table(["case", "multiply-adds", "int8 emitted", "per multiply-add", "int8 loops", "loops code bytes", "int8 looped baseline",
           "baseline / emitted", "float32 emitted", "float32 / int8"], rows, markdown, ["l"] + ["r"] * 9)
    print()
    print("The looped baseline is TFLite's reference arithmetic as a plain C loop nest (Benchmarks/baseline/looped_int8.c); "
          "code bytes are text + rodata - the weight and folded bias tables of the `loops` object (explain's "
          "dspWeightTableBytes on M4, weightTableBytes on M3; the requantization tables count as code).")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
