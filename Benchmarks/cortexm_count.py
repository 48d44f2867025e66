"""Executed-instruction counts on Cortex-M4: run by Benchmarks/cortexm.sh.

These are instruction counts from an emulator (unicorn, which is qemu's
TCG), not times: a Cortex-M4 issues about one instruction a cycle, but
loads, taken branches, divisions and double-precision (software) floats take
more, and flash wait states add to them. They are exact and repeatable.

For each case (Specs/ and the benchmark cases that fit), the emitted kernel
(default plan, or --unroll MODE) and the hand-written looped baseline
(Benchmarks/baseline/looped.c with the case's geometry, weights, data format
and activation, the latter a plain C function from
Benchmarks/baseline/activations.c; relu is the baseline's own) are
compiled the same way (arm-none-eabi-gcc -O2 -mcpu=cortex-m4 -mthumb
-mfloat-abi=hard -mfpu=fpv4-sp-d16), linked into one image with
Targets/cortex-m, and one call of each on one batch item is run from reset
state on the same input; every executed Thumb instruction is counted (per
translated block: its instructions, from the 16/32-bit encoding, times its
executions). Both outputs are checked against `sepconv-gen run`'s.

Usage: cortexm_count.py SEPCONV_GEN WORK_DIR [--unroll auto|loops|full] [--build default|portable] [--markdown] [--sweep]
--sweep: tiny layers, full against loops (instructions and code on M4; code
and ns on this host with gcc -O2), for the unroll budget.
"""
import bisect
import os
import random
import struct
import sys

from elftools.elf.elffile import ELFFile
from unicorn import UC_ARCH_ARM, UC_HOOK_BLOCK, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn.arm_const import (UC_ARM_REG_LR, UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_SP, UC_CPU_ARM_CORTEX_M3,
                               UC_CPU_ARM_CORTEX_M4)

from cortexm_cases import HERE, M4_FLAGS, STRICT, TARGETS, cases, explain, generate, npy_read, npy_write, sections, sh, spec_weights, weight_bytes

FLASH, RAM, SIZE = 0x00000000, 0x20000000, 4 << 20
# Where a call returns to: mapped, never executed (emulation stops there).
RETURN = 0x003FFF00
INPUT, OUTPUT, BASE_WEIGHTS = RAM + (2 << 20), RAM + (3 << 20), RAM + (3 << 20) + (512 << 10)
LAYER = RAM + (3 << 20) + (256 << 10)

# The baseline's activation function for explain's activation name; relu is the baseline's own (NULL).
BASELINE_ACTIVATIONS = {"relu": None, "relu6": "looped_relu6", "elu": "looped_elu", "gelu": "looped_gelu", "silu": "looped_silu"}

MAIN = """/* Links the kernel and the baseline into one image; the counter calls them directly. */
#include "looped.h"
#include "{name}.h"
int main(void) {{ return 0; }}
"""


def build_image(gen, name, spec, unroll, build, folder, flags=M4_FLAGS, ld="mps2-an386.ld"):
    """The ELF with the kernel and the baseline; returns its path."""
    source = generate(gen, spec, unroll, folder)
    with open(os.path.join(folder, "main.c"), "w") as main:
        main.write(MAIN.format(name=name))
    defines = ["-DSEPCONV_GEN_PORTABLE"] if build == "portable" else []
    objects = []
    baseline = os.path.join(HERE, "baseline")
    for c in (source, os.path.join(baseline, "looped.c"), os.path.join(baseline, "activations.c"), os.path.join(folder, "main.c")):
        objects.append(os.path.join(folder, os.path.basename(c)[:-2] + ".o"))
        sh(["arm-none-eabi-gcc", *flags, *STRICT, "-O2", *defines, "-I", folder, "-I", baseline, "-c", c, "-o", objects[-1]])
    image = os.path.join(folder, name + ".elf")
    sh(["arm-none-eabi-gcc", *flags, "-O2", "--specs=rdimon.specs", "-nostartfiles", "-L", TARGETS, "-T", ld,
        os.path.join(TARGETS, "startup.c"), *objects, "-lm", "-o", image])
    return image, source


class Machine:
    """One Cortex-M4 (or `cpu` "M3") in unicorn with the image loaded (unicorn starts with the FPU enabled)."""

    def __init__(self, image, cpu="M4"):
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        self.uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M3 if cpu == "M3" else UC_CPU_ARM_CORTEX_M4)
        self.uc.mem_map(FLASH, SIZE)
        self.uc.mem_map(RAM, SIZE)
        with open(image, "rb") as file:
            elf = ELFFile(file)
            for segment in elf.iter_segments():
                if segment["p_type"] == "PT_LOAD" and segment["p_filesz"]:
                    # .data straight to its run address: the state after startup's copy.
                    self.uc.mem_write(segment["p_vaddr"], segment.data())
            symbols = [s for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name]
            self.symbols = {s.name: s["st_value"] for s in symbols}
            self.functions = sorted((s["st_value"] & ~1, s["st_value"] + s["st_size"], s.name) for s in symbols
                                    if s["st_info"]["type"] == "STT_FUNC" and s["st_size"])
        self.starts = [f[0] for f in self.functions]
        self.counts = {}
        self.executed = 0
        # Instructions executed in functions whose names do not start with `self.own` (C library: expf, memset, ...).
        self.own = ()
        self.library = 0
        self.library_names = set()
        self.uc.hook_add(UC_HOOK_BLOCK, self._block)

    def function(self, address):
        index = bisect.bisect_right(self.starts, address) - 1
        return self.functions[index][2] if index >= 0 and address < self.functions[index][1] else "?"

    def _block(self, uc, address, size, _):
        known = self.counts.get((address, size, self.own))
        if known is None:
            code, count, offset = uc.mem_read(address, size), 0, 0
            while offset < size:
                first = code[offset + 1] >> 3
                offset += 4 if first in (0b11101, 0b11110, 0b11111) else 2
                count += 1
            name = self.function(address)
            known = (count, None if name.startswith(self.own) else name)
            self.counts[(address, size, self.own)] = known
        self.executed += known[0]
        if known[1] is not None:
            self.library += known[0]
            self.library_names.add(known[1])

    def call(self, function, args=(), stop=RETURN, own=None):
        """Runs `function(*args)` to its return; returns the instructions it
        executed, and counts in `library` those outside functions named `own...`."""
        self.own = (own or function,)
        self.library = 0
        self.library_names = set()
        for register, value in zip((UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3), args):
            self.uc.reg_write(register, value)
        self.uc.reg_write(UC_ARM_REG_SP, RAM + SIZE - 64)
        self.uc.reg_write(UC_ARM_REG_LR, RETURN | 1)
        self.executed = 0
        self.uc.emu_start(self.symbols[function] | 1, stop)
        return self.executed

    def floats(self, address, values):
        self.uc.mem_write(address, struct.pack(f"<{len(values)}f", *values))


def count_case(gen, name, spec, unroll, build, work, flags=M4_FLAGS, ld="mps2-an386.ld", cpu="M4"):
    """Instruction counts of one call on one item of the emitted kernel and of
    the looped baseline (each with the part spent in the C library), after
    checking both outputs against the interpreter's."""
    info = explain(gen, spec)
    folder = os.path.join(work, f"{name}-{unroll}-{build}")
    os.makedirs(folder, exist_ok=True)
    image, source = build_image(gen, name, spec, unroll, build, folder, flags, ld)
    kernel_object = sections(os.path.join(folder, os.path.basename(source)[:-2] + ".o"))
    machine = Machine(image, cpu)
    rng = random.Random(1)
    x = [struct.unpack("<f", struct.pack("<f", rng.gauss(0, 1)))[0] for _ in range(info["inputSteps"] * info["inputChannels"])]
    machine.floats(INPUT, x)
    reference = interpreter_output(gen, spec, info, x, folder)
    nans = b"\xff" * (4 * len(reference))  # the output before each call: a check sees only what its call wrote
    machine.uc.mem_write(OUTPUT, nans)
    emitted = machine.call(name, (INPUT, OUTPUT, 1))
    library, names = machine.library, sorted(machine.library_names)
    error = check_output(spec, "emitted kernel", reference, machine)
    machine.uc.mem_write(OUTPUT, nans)
    baseline = count_baseline(machine, spec, info)
    baseline_library, baseline_names = machine.library, sorted(machine.library_names)
    baseline_error = check_output(spec, "looped baseline", reference, machine)
    return dict(emitted=emitted, library=library, library_names=names, baseline=baseline, baseline_library=baseline_library,
                baseline_library_names=baseline_names, strategy=info["unroll"]["c"]["strategy"], error=error,
                baseline_error=baseline_error, code=kernel_object["text"] + kernel_object["rodata"] - weight_bytes(info))


def interpreter_output(gen, spec, info, x, folder):
    """`sepconv-gen run`'s output for the one input item x, flat."""
    shape = (1, info["inputSteps"], info["inputChannels"]) if info["dataFormat"] == "channels_last" else (1, info["inputChannels"], info["inputSteps"])
    npy_write(os.path.join(folder, "x.npy"), shape, x)
    sh([gen, "run", spec, "--input", os.path.join(folder, "x.npy"), "--output", os.path.join(folder, "y.npy")])
    return npy_read(os.path.join(folder, "y.npy"))


def check_output(spec, what, reference, machine):
    """Max |emulated output - interpreter| relative to max(1, max |ref|); stops when past 1e-4."""
    out = struct.unpack(f"<{len(reference)}f", bytes(machine.uc.mem_read(OUTPUT, 4 * len(reference))))
    error = max(abs(a - b) for a, b in zip(out, reference)) / max(1.0, max(abs(v) for v in reference))
    if not error <= 1e-4:
        raise SystemExit(f"{spec}: the emulated {what}'s output differs from the interpreter's by {error}")
    return error


def count_baseline(machine, spec, info):
    """One call of looped_sepconv1d with the case's geometry, weights, data format and activation."""
    if info["activation"] not in BASELINE_ACTIVATIONS:
        raise SystemExit(f"{spec}: the looped baseline has no activation {info['activation']} (Benchmarks/baseline/activations.c)")
    function = BASELINE_ACTIVATIONS[info["activation"]]
    activation = 0 if function is None else machine.symbols[function] | 1
    depthwise_values, pointwise_values, bias_values = spec_weights(spec, info)
    depthwise = BASE_WEIGHTS
    pointwise = depthwise + 4 * len(depthwise_values)
    bias = pointwise + 4 * len(pointwise_values)
    machine.floats(depthwise, depthwise_values)
    machine.floats(pointwise, pointwise_values)
    machine.floats(bias, bias_values)
    machine.uc.mem_write(LAYER, struct.pack("<9i4Ii", info["inputSteps"], info["inputChannels"], info["depthMultiplier"], info["filters"],
                                            info["kernelSize"], info["strides"], info["dilationRate"], info["padLeft"],
                                            info["convolutionSteps"], depthwise, pointwise, bias, activation,
                                            int(info["dataFormat"] == "channels_first")))
    return machine.call("looped_sepconv1d", (LAYER, INPUT, OUTPUT, 1), own="looped_")


def table(header, rows, markdown, align):
    text = [[f"{v:,}" if isinstance(v, int) else (f"{v:.2f}" if isinstance(v, float) else str(v)) for v in row] for row in rows]
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
        for row in text:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(header)]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        for row in text:
            print("  ".join(v.rjust(w) for v, w in zip(row, widths)))


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main():
    gen, work = sys.argv[1], sys.argv[2]
    markdown = "--markdown" in sys.argv
    if "--sweep" in sys.argv:
        import cortexm_sweep
        cortexm_sweep.run(gen, work, markdown)
        return
    unroll, build = option("--unroll", "auto"), option("--build", "default")
    print(f"Cortex-M4 executed instructions (unicorn emulator, NOT times) of one call on one batch item; "
          f"emitted C (--unroll {unroll}, {build} build) and Benchmarks/baseline/looped.c, both arm-none-eabi-gcc -O2 {' '.join(M4_FLAGS)}")
    rows, short = [], []
    for name, spec, origin in cases(gen, work):
        r = count_case(gen, name, spec, unroll, build, work)
        info = explain(gen, spec)
        kernel, looped_kernel = r["emitted"] - r["library"], r["baseline"] - r["baseline_library"]
        rows.append([name, origin, info["activation"], info["dataFormat"], r["strategy"], info["multiplyAdds"], r["emitted"],
                     r["emitted"] / info["multiplyAdds"], r["code"],
                     library_cell(r["library"], r["library_names"]), r["baseline"],
                     library_cell(r["baseline_library"], r["baseline_library_names"]), r["baseline"] / r["emitted"],
                     looped_kernel / kernel])
        if origin == "Specs/" and r["baseline"] < 2 * r["emitted"]:
            short.append(f"{name}: looped / emitted = {r['baseline'] / r['emitted']:.2f} "
                         f"(C library: {r['library']:,} of the emitted {r['emitted']:,} instructions, "
                         f"{r['baseline_library']:,} of the looped {r['baseline']:,}; without it {looped_kernel / kernel:.2f})")
    table(["case", "from", "activation", "data format", "plan", "multiply-adds", "emitted", "emitted / multiply-add",
           "code B (text + rodata - weights)", "of which C library",
           "looped (same activation, data format)", "of which C library", "looped / emitted", "looped / emitted w/o C library"],
          rows, markdown, ["l", "l", "l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"])
    print()
    print("These are emulator instruction counts, not times. The looped baseline computes the same layer as the emitted C "
          "(the case's weights, data format and activation, the activation as a plain C function from "
          "Benchmarks/baseline/activations.c, relu inline); both outputs matched the interpreter's "
          "(max relative error <= 1e-4). \"C library\" is what a call spends in newlib (expf, erff, memset, ...).")
    print("Requirement on Specs/: the emitted C executes at least 2x fewer instructions than the looped baseline")
    print("  all met" if not short else "\n".join("  NOT MET: " + s for s in short))


def library_cell(count, names):
    return f"{count:,} ({', '.join(names) or '-'})"


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
