"""Cases, generation and Cortex-M compile flags shared by Benchmarks/footprint.sh
and Benchmarks/cortexm.sh (no third-party module needed here).

A case is a spec file: every spec in Specs/, and the benchmark cases of
Benchmarks/bench.py (geometry read from its CASES table) that fit a typical
Cortex-M4 part, written as specs with seeded weights in .npy files (weight
values do not change code size, nor instruction counts but through an
activation's branches), which the looped baseline reads too."""
import ast
import json
import os
import random
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGETS = os.path.join(ROOT, "Targets", "cortex-m")

# Cortex-M4F, hard-float ABI, single-precision FPU.
M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]

# A benchmark case fits when its weights fit in 512 KiB of flash and one
# item's input and output in 192 KiB of SRAM (an STM32F4-class part).
FLASH_BYTES, SRAM_BYTES = 512 << 10, 192 << 10


def sh(args, **kw):
    """Runs a tool; on failure prints its messages and stops."""
    result = subprocess.run(args, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(args)}\n{result.stdout}{result.stderr}")
    return result


def bench_cases():
    """bench.py's CASES, read without importing it (it needs numpy)."""
    with open(os.path.join(HERE, "bench.py")) as source:
        tree = ast.parse(source.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "CASES" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("no CASES in Benchmarks/bench.py")


def npy_write(path, shape, values):
    """A float32 .npy file (format 1.0, C order)."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{n}, " for n in shape)
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(path, "wb") as file:
        file.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(f"<{len(values)}f", *values))


def npy_read(path):
    """The values of a little-endian float .npy file, flat, in C order."""
    with open(path, "rb") as file:
        data = file.read()
    length = struct.unpack("<H", data[8:10])[0]
    header, body = data[10:10 + length].decode(), data[10 + length:]
    if "'fortran_order': False" not in header or not ("<f4" in header or "<f8" in header):
        raise SystemExit(f"{path}: not a C-order little-endian float .npy file")
    code = "f" if "<f4" in header else "d"
    return struct.unpack(f"<{len(body) // struct.calcsize(code)}{code}", body)


def write_spec(folder, name, steps, channels, filters, kernel, padding="same", depth_multiplier=1, strides=1, dilation=1,
               activation="relu", data_format="channels_last"):
    """A spec with seeded weights (NAME-depthwise.npy, ... beside it); returns its path."""
    rng = random.Random(f"{name} {steps} {channels} {filters} {kernel} {depth_multiplier}")
    files = {}
    for key, shape, scale in (("depthwise_kernel", (kernel, channels, depth_multiplier), (1.0 / kernel) ** 0.5),
                              ("pointwise_kernel", (1, channels * depth_multiplier, filters), (1.0 / (channels * depth_multiplier)) ** 0.5),
                              ("bias", (filters,), 0.1)):
        files[key] = f"{name}-{key}.npy"
        count = 1
        for n in shape:
            count *= n
        npy_write(os.path.join(folder, files[key]), shape, [rng.uniform(-scale, scale) for _ in range(count)])
    path = os.path.join(folder, name + ".yaml")
    with open(path, "w") as spec:
        spec.write(f"""name: {name}
dtype: float32
input: {{steps: {steps}, channels: {channels}}}
layer:
  filters: {filters}
  kernel_size: {kernel}
  strides: {strides}
  padding: {padding}
  data_format: {data_format}
  dilation_rate: {dilation}
  depth_multiplier: {depth_multiplier}
  activation: {activation}
  use_bias: true
weights:
  depthwise_kernel: {files["depthwise_kernel"]}
  pointwise_kernel: {files["pointwise_kernel"]}
  bias: {files["bias"]}
""")
    return path


def spec_weights(spec, info):
    """The depthwise kernel, pointwise kernel and bias of a spec whose weights are
    .npy files under its `weights:` key (every case here), flat; a spec without a
    bias gets zeros."""
    found = {}
    with open(spec) as text:
        lines = text.read().splitlines()
    inside = False
    for line in lines:
        if not line.startswith((" ", "\t")):
            inside = line.rstrip() == "weights:"
        elif inside:
            key, _, value = line.strip().partition(":")
            found[key.strip()] = value.split("#")[0].strip()
    if "depthwise_kernel" not in found or "pointwise_kernel" not in found:
        raise SystemExit(f"{spec}: the looped baseline needs the weights as .npy files under `weights:`")
    folder = os.path.dirname(spec)
    depthwise = npy_read(os.path.join(folder, found["depthwise_kernel"]))
    pointwise = npy_read(os.path.join(folder, found["pointwise_kernel"]))
    bias = npy_read(os.path.join(folder, found["bias"])) if "bias" in found else (0.0,) * info["filters"]
    return depthwise, pointwise, bias


def explain(gen, spec):
    return json.loads(sh([gen, "explain", spec, "--json"]).stdout)


def weight_bytes(info):
    return info["parameters"] * (4 if info["dtype"] == "float32" else 8)


def cases(gen, work):
    """(name, spec path, note) for every spec in Specs/ and the benchmark cases that fit."""
    specs = sorted(f for f in os.listdir(os.path.join(ROOT, "Specs")) if f.endswith(".yaml"))
    result = [(f[:-5], os.path.join(ROOT, "Specs", f), "Specs/") for f in specs]
    folder = os.path.join(work, "bench-specs")
    os.makedirs(folder, exist_ok=True)
    for name, (L, C, F, K, padding, M, s, d) in bench_cases().items():
        spec = write_spec(folder, name, L, C, F, K, padding, M, s, d)
        info = explain(gen, spec)
        io_bytes = 4 * (info["inputSteps"] * info["inputChannels"] + info["outputSteps"] * info["outputChannels"])
        if weight_bytes(info) <= FLASH_BYTES and io_bytes <= SRAM_BYTES:
            result.append((name, spec, "bench"))
        else:
            print(f"note: benchmark case {name} left out: {weight_bytes(info)} B of weights, {io_bytes} B of input and output "
                  f"(a typical M4: {FLASH_BYTES >> 10} KiB flash, {SRAM_BYTES >> 10} KiB SRAM)")
    return result


def generate(gen, spec, unroll, out):
    """Emits the C of `spec` with `--unroll unroll` into `out`; returns the .c path."""
    os.makedirs(out, exist_ok=True)
    sh([gen, spec, "-o", out, "--lang", "c", "--unroll", unroll])
    name = explain(gen, spec)["name"]
    return os.path.join(out, name + ".c")


def sections(obj, size_tool="arm-none-eabi-size"):
    """text, rodata, data, bss bytes of an object (size -A, sections summed by kind)."""
    totals = dict(text=0, rodata=0, data=0, bss=0)
    for line in sh([size_tool, "-A", obj]).stdout.splitlines():
        fields = line.split()
        if len(fields) < 2 or not fields[1].isdigit():
            continue
        name, size = fields[0], int(fields[1])
        for kind in totals:
            if name == "." + kind or name.startswith("." + kind + "."):
                totals[kind] += size
    return totals


def stack_bound(su_file):
    """The sum of every function's frame in the file (-fstack-usage): a bound
    on any call chain through it (there is no recursion)."""
    total = 0
    with open(su_file) as lines:
        for line in lines:
            total += int(line.rstrip("\n").split("\t")[1])
    return total
