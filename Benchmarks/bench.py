"""The sepconv-gen benchmark: run by Benchmarks/run.sh (see README.md there).

Writes the five cases' specs with seeded weights, generates C and Swift with
the default plan, compiles them with gcc, clang and swiftc, times every
kernel (after checking its output against the interpreter) and prints the
tables. Usage: bench.py SEPCONV_GEN WORK_DIR [CASE...]
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = 64
# Rounds of timings; every time printed is the best of its rounds.
ROUNDS = int(os.environ.get("SEPCONV_BENCH_ROUNDS", "3"))

# name: (steps, channels, filters, kernel, padding, depth_multiplier, strides, dilation)
CASES = {
    "S": (32, 8, 16, 3, "same", 1, 1, 1),
    "M": (49, 32, 32, 3, "same", 1, 1, 1),
    "L": (98, 64, 64, 5, "same", 1, 1, 1),
    "D": (128, 32, 64, 5, "valid", 2, 2, 1),
    "X": (1000, 128, 128, 7, "same", 1, 1, 2),
}
C_FLAGS = ["-std=c99", "-O3", "-march=native"]
SWIFT_FLAGS = ["-O", "-swift-version", "6", "-target-cpu", "native", "-D", "SEPCONV_GEN_FMA"]


def native_avx512():
    """Whether -march=native gives this core's AVX-512 to C (the emitted C then
    takes its 512-bit path by itself); the Swift build is told the same with
    -D SEPCONV_GEN_AVX512."""
    probe = subprocess.run(["cc", "-march=native", "-dM", "-E", "-x", "c", "/dev/null"], capture_output=True, text=True)
    return probe.returncode == 0 and "__AVX512F__" in probe.stdout


if native_avx512():
    SWIFT_FLAGS += ["-D", "SEPCONV_GEN_AVX512"]


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def timed(args, repeat=1):
    """The least wall time in seconds of running `args` `repeat` times."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        sh(args)
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_timed(args, repeat=1):
    """Median CPU time (user + sys) in seconds of the process running `args`:
    what its wall time would be on an idle core, whatever else the machine runs."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        sh(args)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def geometry(case):
    L, C, F, K, padding, M, s, d = CASES[case]
    field = (K - 1) * d + 1
    if padding == "valid":
        steps, left = (L - field) // s + 1, 0
    else:
        steps = -(-L // s)
        left = max((steps - 1) * s + field - L, 0) // 2
    taps = sum(sum(1 for k in range(K) if 0 <= t * s - left + k * d < L) for t in range(steps))
    multiply_adds = taps * C * M + steps * C * M * F
    return dict(L=L, C=C, F=F, K=K, M=M, s=s, d=d, padding=padding, steps=steps, left=left, flop=2 * multiply_adds)


def write_case(case, root):
    g = geometry(case)
    folder = os.path.join(root, case)
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(list(CASES).index(case) + 1)
    dw = rng.standard_normal((g["K"], g["C"], g["M"])).astype("<f4")
    pw = (rng.standard_normal((1, g["C"] * g["M"], g["F"])) / np.sqrt(g["C"] * g["M"])).astype("<f4")
    b = (0.1 * rng.standard_normal((g["F"],))).astype("<f4")
    x = rng.standard_normal((BATCH, g["L"], g["C"])).astype("<f4")
    for name, value in [("dw", dw), ("pw", pw), ("b", b)]:
        np.save(os.path.join(folder, name + ".npy"), value)
        value.tofile(os.path.join(folder, name + ".bin"))
    np.save(os.path.join(folder, "x.npy"), x)
    np.save(os.path.join(folder, "x1.npy"), x[:1])
    x.tofile(os.path.join(folder, "x.bin"))
    with open(os.path.join(folder, case + ".yaml"), "w") as spec:
        spec.write(f"""name: {case}
dtype: float32
input: {{steps: {g['L']}, channels: {g['C']}}}
layer:
  filters: {g['F']}
  kernel_size: {g['K']}
  strides: {g['s']}
  padding: {g['padding']}
  dilation_rate: {g['d']}
  depth_multiplier: {g['M']}
  activation: relu
  use_bias: true
weights: {{depthwise_kernel: dw.npy, pointwise_kernel: pw.npy, bias: b.npy}}
""")
    return folder, g


def interpreter(gen, case, folder, flop):
    """The reference output (of the BATCH items), and the interpreter's ns
    per item: a run on many items minus a run on one, over the difference,
    with enough items (copies of the batch) that the runs differ by far more
    than the clock's resolution and process start's jitter."""
    spec = os.path.join(folder, case + ".yaml")
    out64, out1 = os.path.join(folder, "ref.npy"), os.path.join(folder, "ref1.npy")
    sh([gen, "run", spec, "--input", os.path.join(folder, "x.npy"), "--output", out64])
    ref = np.load(out64)
    ref.astype("<f4").tofile(os.path.join(folder, "ref.bin"))
    copies = max(1, min(64, int(2e9 / (flop * BATCH))))
    many = os.path.join(folder, "x_many.npy")
    np.save(many, np.tile(np.load(os.path.join(folder, "x.npy")), (copies, 1, 1)))
    repeat = 1 if case == "X" else 3
    t_many = timed([gen, "run", spec, "--input", many, "--output", os.path.join(folder, "ref_many.npy")], repeat)
    t1 = timed([gen, "run", spec, "--input", os.path.join(folder, "x1.npy"), "--output", out1], repeat)
    per_item = max(t_many - t1, 0) / (copies * BATCH - 1) * 1e9
    return ref, {"1": per_item, "64": per_item * BATCH}


def generate(gen, case, folder):
    """Generation time (CPU time of the whole CLI run into a fresh folder, median of 5) and the files."""
    times = []
    for run in range(5):
        out = os.path.join(folder, f"gen{run}")
        shutil.rmtree(out, ignore_errors=True)
        times.append(cpu_timed([gen, os.path.join(folder, case + ".yaml"), "-o", out]))
    out = os.path.join(folder, "gen")
    shutil.rmtree(out, ignore_errors=True)
    os.rename(os.path.join(folder, "gen0"), out)
    for run in range(1, 5):
        shutil.rmtree(os.path.join(folder, f"gen{run}"), ignore_errors=True)
    return statistics.median(times) * 1e3, out


def stack_bytes(su_file):
    """The sum of every function's frame (-fstack-usage): a bound on any call chain (no recursion)."""
    total, dynamic = 0, False
    with open(su_file) as lines:
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            total += int(fields[1])
            dynamic |= fields[2] != "static"
    return total, dynamic


def compile_c(cc, case, gen_dir, build):
    source = os.path.join(gen_dir, case + ".c")
    o2 = min(cpu_timed([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", source, "-o", os.path.join(build, f"{case}_{cc}_O2.o")]) for _ in range(3))
    obj = os.path.join(build, f"{case}_{cc}.o")
    sh([cc, *C_FLAGS, "-fstack-usage", "-c", source, "-o", obj], cwd=build)
    size = sh(["size", obj]).stdout.splitlines()[1].split()
    stack, dynamic = stack_bytes(os.path.splitext(obj)[0] + ".su")
    return {"compile_O2_s": o2, "object_bytes": int(size[0]) + int(size[1]), "stack_bytes": stack, "stack_dynamic": dynamic, "object": obj}


def build_c_bench(cc, case, folder, gen_dir, obj, g, build):
    """Links the timing harness with the emitted object; returns the command that runs it."""
    exe = os.path.join(build, f"bench_{case}_{cc}")
    sh([cc, *C_FLAGS, f"-DLAYER={case}", f'-DLAYER_HEADER="{case}.h"', "-I", gen_dir, "-I", os.path.join(HERE, "baseline"),
        os.path.join(HERE, "harness", "bench.c"), os.path.join(HERE, "baseline", "looped.c"), obj, "-o", exe, "-lm"])
    return [exe, folder] + [str(v) for v in (g["L"], g["C"], g["M"], g["F"], g["K"], g["s"], g["d"], g["left"], g["steps"])]


def best(runs):
    """One record from several runs of the same measurement: the least time
    (keys ending in _1 or _64) and the largest error of any run."""
    merged = {}
    for run in runs:
        for key, value in run.items():
            if key not in merged:
                merged[key] = value
            elif key.endswith(("_1", "_64")):
                merged[key] = min(merged[key], value)
            elif "error" in key:
                merged[key] = max(merged[key], value)
    return merged


SWIFT_MAIN = """#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func nowNs() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

func readFloats(_ path: String, _ count: Int) -> [Float] {
    var values = [Float](repeating: 0, count: count)
    guard let file = fopen(path, "rb") else { fatalError("cannot open \\(path)") }
    let read = values.withUnsafeMutableBufferPointer { fread($0.baseAddress, 4, count, file) }
    fclose(file)
    precondition(read == count, "short read of \\(path)")
    return values
}

/// Median over timed blocks (each at least 200 us) of the ns per call.
func medianNs(_ body: () -> Void) -> Double {
    let warm = nowNs()
    while nowNs() - warm < 1e8 { body() }  // 0.1 s first: clocks up, caches and predictors warm
    var reps = 1
    while true {
        let t = nowNs()
        for _ in 0..<reps { body() }
        if nowNs() - t >= 2e5 { break }
        reps *= 2
    }
    var samples: [Double] = []
    let start = nowNs()
    while samples.count < 2000 && (samples.count < 31 || nowNs() - start < 4e8) {
        let t = nowNs()
        for _ in 0..<reps { body() }
        samples.append((nowNs() - t) / Double(reps))
    }
    samples.sort()
    return samples[samples.count / 2]
}

func measure(_ name: String, _ folder: String, inputSize: Int, outputSize: Int,
             _ forward: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, Int) -> Void) {
    let x = readFloats(folder + "/x.bin", BATCH * inputSize)
    let ref = readFloats(folder + "/ref.bin", BATCH * outputSize)
    var y = [Float](repeating: .nan, count: BATCH * outputSize)
    x.withUnsafeBufferPointer { xb in
        y.withUnsafeMutableBufferPointer { yb in
            forward(xb, yb, BATCH)
            let scale = max(1, ref.map { abs($0) }.max() ?? 1)
            var worst: Float = 0
            for i in 0..<ref.count {
                let e = abs(yb[i] - ref[i])
                if !(e <= worst) { worst = e }
            }
            var line = "{\\"case\\": \\"\\(name)\\", \\"error\\": \\(worst / scale)"
            if worst / scale <= 1e-4 {
                line += ", \\"swift_1\\": \\(medianNs { forward(xb, yb, 1) }), \\"swift_64\\": \\(medianNs { forward(xb, yb, BATCH) })"
            }
            print(line + "}")
        }
    }
}

let BATCH = 64
"""


def build_swift_bench(cases, folders, build):
    """Builds one executable that checks and times every case's emitted Swift; returns its path."""
    main = SWIFT_MAIN
    for case in cases:
        main += (f'measure("{case}", "{folders[case]}", inputSize: {case}.inputSteps * {case}.inputChannels, '
                 f'outputSize: {case}.outputSteps * {case}.outputChannels) {{ {case}.forward($0, into: $1, batch: $2) }}\n')
    with open(os.path.join(build, "main.swift"), "w") as f:
        f.write(main)
    sources = [os.path.join(folders[c], "gen", c + ".swift") for c in cases]
    exe = os.path.join(build, "swift_bench")
    sh(["swiftc", *SWIFT_FLAGS, *sources, os.path.join(build, "main.swift"), "-o", exe])
    return exe


def swift_bench(exe):
    """One run of the Swift timing executable: a record per case."""
    results = {}
    for line in sh([exe]).stdout.splitlines():
        record = json.loads(line)
        results[record["case"]] = record
    return results


def swift_compile_time(case, gen_dir, build):
    return cpu_timed(["swiftc", "-O", "-swift-version", "6", "-parse-as-library", "-c", os.path.join(gen_dir, case + ".swift"),
                  "-o", os.path.join(build, case + "_swift.o")])


def ort_bench(python, case, folder, g):
    if python is None:
        return None
    args = [python, os.path.join(HERE, "ort_bench.py"), folder] + [str(g[k]) for k in ("L", "C", "M", "F", "K", "s", "d", "left", "steps")]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        return {"note": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    return json.loads(result.stdout)


def fmt_ns(v):
    if v is None:
        return "-"
    return f"{v:,.0f}" if v < 1e6 else f"{v / 1e3:,.0f}k"


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).rjust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(v).rjust(w) for v, w in zip(r, widths)))
    print()


def machine(compilers, python_ort):
    """One line naming the core and the tools' versions."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    model = fields.get("model name", "unknown CPU")
    if "cpu family" in fields:
        model += f" (family {fields['cpu family']}, model {fields.get('model', '?')}"
        model += ", AVX-512)" if "avx512f" in fields.get("flags", "").split() else ")"
    tools = [sh([cc, "-dumpfullversion", "-dumpversion"]).stdout.strip() for cc in compilers]
    swift = sh(["swiftc", "--version"]).stderr + sh(["swiftc", "--version"]).stdout
    swift = next((w for w in swift.split() if w[:1].isdigit()), "?")
    parts = [f"{model} ({os.cpu_count()} cores)"] + [f"{cc} {v}" for cc, v in zip(compilers, tools)] + [f"swiftc {swift}"]
    if python_ort:
        parts.append("onnxruntime " + sh([python_ort, "-c", "import onnxruntime; print(onnxruntime.__version__)"]).stdout.strip())
    return ", ".join(parts)


def main():
    gen, work = sys.argv[1], sys.argv[2]
    python_ort = os.environ.get("SEPCONV_BENCH_ORT_PYTHON") or None
    ort_note = os.environ.get("SEPCONV_BENCH_ORT_NOTE", "")
    cases = sys.argv[3:] or list(CASES)
    build = os.path.join(work, "build")
    os.makedirs(build, exist_ok=True)
    peak, peak32, peak64 = (float(v) for v in sh([os.path.join(build, "peak")]).stdout.split())
    compilers = [cc for cc in ("gcc", "clang") if shutil.which(cc)]
    data, folders, commands = {}, {}, {}
    for case in cases:
        print(f"... {case}: generate, compile", file=sys.stderr, flush=True)
        folder, g = write_case(case, work)
        folders[case] = folder
        ref, interp = interpreter(gen, case, folder, g["flop"])
        gen_ms, gen_dir = generate(gen, case, folder)
        entry = {"g": g, "interp": interp, "gen_ms": gen_ms, "c": {}}
        for cc in compilers:
            entry["c"][cc] = compile_c(cc, case, gen_dir, build)
            commands[case, cc] = build_c_bench(cc, case, folder, gen_dir, entry["c"][cc]["object"], g, build)
        entry["swift_compile_s"] = swift_compile_time(case, gen_dir, build)
        with open(os.path.join(gen_dir, case + ".c")) as f:
            entry["plan"] = next(line.split("Plan: ", 1)[1].strip() for line in f if "Plan: " in line)
        data[case] = entry
    swift_exe = build_swift_bench(cases, folders, build)
    # The timings, in rounds over every case: a core shared with other
    # machines' work slows whole runs for seconds at a time, so each figure
    # is the best of its rounds, spread over minutes.
    c_runs, ort_runs, swift_runs = {}, {}, []
    for rnd in range(ROUNDS):
        for case in cases:
            print(f"... round {rnd + 1} of {ROUNDS}: {case}", file=sys.stderr, flush=True)
            for cc in compilers:
                c_runs.setdefault((case, cc), []).append(json.loads(sh(commands[case, cc]).stdout))
            ort_runs.setdefault(case, []).append(ort_bench(python_ort, case, folders[case], data[case]["g"]))
        print(f"... round {rnd + 1} of {ROUNDS}: swift", file=sys.stderr, flush=True)
        swift_runs.append(swift_bench(swift_exe))
    for case in cases:
        for cc in compilers:
            data[case]["c"][cc].update(best(c_runs[case, cc]))
        timed_ort = [run for run in ort_runs[case] if run and "note" not in run]
        data[case]["ort"] = best(timed_ort) if timed_ort else ort_runs[case][0]
    swift = {case: best([run[case] for run in swift_runs if case in run]) for case in cases}
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"peak": peak, "peak_32_byte_vectors": peak32, "peak_64_byte_vectors": peak64, "cases": data, "swift": swift},
                  f, indent=1, default=str)

    print(f"machine: {machine(compilers, python_ort)}")
    print(f"fp32 peak of this core (FMA microbenchmark): {peak:.1f} GFLOP/s "
          f"({peak32:.1f} with 32-byte vectors, {peak64:.1f} with 64-byte vectors)")
    print(f"C: {' and '.join(compilers)} {' '.join(C_FLAGS)}; Swift: swiftc {' '.join(SWIFT_FLAGS)}; "
          f"interpreter: sepconv-gen run; onnxruntime: {'1 thread' if python_ort else 'skipped: ' + ort_note}")
    print(f"Times: ns per call, the median of a run's timed blocks, best of {ROUNDS} runs spread over the benchmark; "
          "every output checked against the interpreter (relative error <= 1e-4) before it was timed.")
    print()
    for batch in ("1", "64"):
        print(f"== batch {batch}: ns per call")
        headers = ["case", "MFLOP"] + [f"C {cc}" for cc in compilers] + ["Swift", "interp"] + [f"looped {cc}" for cc in compilers] + ["onnxrt"]
        rows = []
        for case in cases:
            e = data[case]
            ort = e["ort"] or {}
            rows.append([case, f"{e['g']['flop'] * int(batch) / 1e6:.2f}"] + [fmt_ns(e["c"][cc].get("emitted_" + batch)) for cc in compilers]
                        + [fmt_ns(swift.get(case, {}).get("swift_" + batch)), fmt_ns(e["interp"][batch])]
                        + [fmt_ns(e["c"][cc].get("looped_" + batch)) for cc in compilers] + [fmt_ns(ort.get("ort_" + batch))])
        table(headers, rows)
        print(f"== batch {batch}: GFLOP/s, % of peak, ratios (time of the other / time of emitted C; > 1: emitted C faster)")
        headers = ["case"]
        for cc in compilers:
            headers += [f"C {cc} GF/s", "%peak", "xlooped", "xonnxrt", "xinterp"]
        headers += ["Swift GF/s", "Swift/C clang" if "clang" in compilers else "Swift/C"]
        rows = []
        for case in cases:
            e = data[case]
            ort = (e["ort"] or {}).get("ort_" + batch)
            row = [case]
            for cc in compilers:
                t = e["c"][cc].get("emitted_" + batch)
                gf = e["g"]["flop"] * int(batch) / t if t else None
                row += [f"{gf:.1f}" if gf else "-", f"{100 * gf / peak:.0f}%" if gf else "-",
                        ratio(e["c"][cc].get("looped_" + batch), t), ratio(ort, t), ratio(e["interp"][batch], t)]
            ts = swift.get(case, {}).get("swift_" + batch)
            ref_cc = "clang" if "clang" in compilers else compilers[0]
            row += [f"{e['g']['flop'] * int(batch) / ts:.1f}" if ts else "-", ratio(ts, e["c"][ref_cc].get("emitted_" + batch))]
            rows.append(row)
        table(headers, rows)
    print("== build: generation (the CLI's CPU time, median of 5), compile time of the emitted file alone (CPU time; C: best of 3),")
    print("   object size (text + data, -O3 -march=native), stack (-fstack-usage: every function's frame summed, a bound on any call chain)")
    headers = ["case", "gen ms"] + [f"{cc} -O2 s" for cc in compilers] + ["swiftc -O s"] + [f"{cc} obj B" for cc in compilers] + [f"{cc} stack B" for cc in compilers]
    rows = []
    for case in cases:
        e = data[case]
        rows.append([case, f"{e['gen_ms']:.0f}"] + [f"{e['c'][cc]['compile_O2_s']:.2f}" for cc in compilers] + [f"{e['swift_compile_s']:.2f}"]
                    + [f"{e['c'][cc]['object_bytes']:,}" for cc in compilers]
                    + [f"{e['c'][cc]['stack_bytes']}{' (dynamic!)' if e['c'][cc]['stack_dynamic'] else ''}" for cc in compilers])
    table(headers, rows)
    print("== plans (default, --unroll auto)")
    for case in cases:
        print(f"{case}: {data[case]['plan']}")
    notes = [f"{c}: onnxruntime {data[c]['ort']['note']}" for c in cases if data[c]["ort"] and "note" in data[c]["ort"]]
    errors = [f"{c} {cc}: emitted error {data[c]['c'][cc]['emitted_error']}" for c in cases for cc in compilers if data[c]["c"][cc]["emitted_error"] > 1e-4]
    errors += [f"{c} swift: error {swift[c]['error']}" for c in cases if c in swift and swift[c]["error"] > 1e-4]
    for line in notes + errors:
        print(line)
    if os.getloadavg()[0] > 1.5:
        print(f"note: load average {os.getloadavg()[0]:.1f} while the benchmark ran: other processes shared the cores.")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
