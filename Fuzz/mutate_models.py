#!/usr/bin/env python3
"""Fuzz/mutate_models.py: single-byte and block mutations of the model fixtures, each run
through the sepconv-gen binary as a user would (issue 19). Python 3 standard library only.

    python3 Fuzz/mutate_models.py --binary .build/release/sepconv-gen --count 10000 [--kinds keras h5]
        [--jobs 2] [--strace] [--seed 19] [--deadline-seconds N] [--keep DIR]

For every run it checks the promise of README's model-file section: exit 0, or exit 1 with a
positioned `FILE:LINE:COLUMN: error:`; within 10 s and 1 GiB (maximum resident set of the tool
and the child process that reads HDF5, from wait4); and, with --strace, that no process of the
run opened a file other than the one it was given, its outputs and the system's own (shared
libraries, /proc/self, /dev/null). Inputs that made libhdf5 crash or hang (the tool then says
"libhdf5 crashed" or "did not finish") are copied to --keep, for the crasher corpus.

A kind of fixture is one entry of KINDS: the files to mutate, how a mutation is made (raw bytes,
or the HDF5 member of a zip re-packed with a valid CRC) and the command that reads the result.
"""
import argparse
import collections
import glob
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests/SepconvGenTests/Fixtures/models")
POSITIONED = re.compile(r"^[^:\n]+:\d+:\d+: error: ", re.M)
LIMIT_SECONDS = 10
LIMIT_KB = 1 << 20


def mutate_bytes(data, rng):
    """One single-byte change (half the time) or one block change: random bytes, a fill of
    0x00 or 0xFF, or a copy of another block of the file."""
    data = bytearray(data)
    if not data:
        return bytes(data), "empty"
    if rng.random() < 0.5:
        at = rng.randrange(len(data))
        data[at] = rng.randrange(256)
        return bytes(data), "byte@%d" % at
    length = rng.randint(2, 64)
    at = rng.randrange(len(data))
    end = min(len(data), at + length)
    how = rng.choice(["random", "zero", "ones", "copy"])
    if how == "random":
        data[at:end] = bytes(rng.randrange(256) for _ in range(end - at))
    elif how in ("zero", "ones"):
        data[at:end] = (b"\0" if how == "zero" else b"\xff") * (end - at)
    else:
        source = rng.randrange(len(data))
        block = data[source:source + (end - at)]
        data[at:at + len(block)] = block
    return bytes(data), "%s@%d+%d" % (how, at, end - at)


def mutate_zip_member(data, rng, member="model.weights.h5"):
    """Half the time the archive's own bytes; else its HDF5 member, re-zipped (CRC valid)."""
    if rng.random() < 0.5:
        return mutate_bytes(data, rng)
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = [(item.filename, source.read(item.filename)) for item in source.infolist()]
    out = io.BytesIO()
    how = "?"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members:
            if name == member:
                content, how = mutate_bytes(content, rng)
            target.writestr(name, content)
    return out.getvalue(), "member:" + how


def import_command(binary, model, scratch):
    return [binary, "import", model, "-o", os.path.join(scratch, "out")]


def weights_command(binary, model, scratch):
    spec = os.path.join(scratch, "spec.yaml")
    with open(spec, "w") as f:
        f.write("name: t\ninput: {steps: 12, channels: 4}\nlayer: {filters: 5, kernel_size: 3}\n"
                "weights: {h5: %s, group: layers/separable_conv1d}\n" % os.path.basename(model))
    return [binary, spec, "-o", os.path.join(scratch, "out")]


Kind = collections.namedtuple("Kind", "files mutate command")
KINDS = {
    "keras": Kind(lambda: sorted(glob.glob(os.path.join(MODELS, "*.keras"))), mutate_zip_member, import_command),
    "h5": Kind(lambda: sorted(p for p in glob.glob(os.path.join(MODELS, "*.h5"))
                              if not p.endswith(".weights.h5") and not os.path.basename(p).startswith("tf2_")),
               mutate_bytes, import_command),
    "tf2-h5": Kind(lambda: sorted(glob.glob(os.path.join(MODELS, "tf2_*.h5"))), mutate_bytes, import_command),
    "weights-h5": Kind(lambda: sorted(glob.glob(os.path.join(MODELS, "*.weights.h5"))), mutate_bytes, weights_command),
    "tflite": Kind(lambda: sorted(glob.glob(os.path.join(ROOT, "Tests", "SepconvGenTests", "Fixtures", "tflite", "*.tflite"))),
                   mutate_bytes, import_command),
}

# What any run may open besides its input and outputs: the dynamic loader's and the system's own files.
SYSTEM = ("/lib", "/usr/lib", "/usr/local/lib", "/etc/ld.so", "/proc/self/", "/sys/", "/dev/null", "/dev/urandom",
          "/usr/share/zoneinfo", "/etc/localtime", "/usr/share/locale", "/usr/lib/locale", "/etc/nsswitch.conf",
          "/usr/lib/swift", "/root/.swiftpm", "/usr/share/swift")


def opened_outside(trace, allowed):
    """The paths a traced run opened successfully that it was not given (denied attempts, such as
    the HDF5 child's, fail with EACCES and are counted apart)."""
    outside, denied = set(), 0
    for line in trace.splitlines():
        match = re.search(r'open(?:at|at2)?\((?:AT_FDCWD|\d+), "([^"]*)"[^)]*\)\s*=\s*(-?\d+)', line) or \
            re.search(r'open\("([^"]*)"[^)]*\)\s*=\s*(-?\d+)', line)
        if not match:
            continue
        path, result = match.group(1), int(match.group(2))
        if result < 0:
            denied += "EACCES" in line
            continue
        if path.startswith(SYSTEM) or re.search(r"\.so(\.[0-9.]+)?$", path) or any(path == a or path.startswith(a + "/") for a in allowed):
            continue
        outside.add(path)
    return outside, denied


def run_one(kind_name, kind, source, data, label, binary, use_strace, keep):
    scratch = tempfile.mkdtemp(prefix="mutate-")
    try:
        model = os.path.join(scratch, os.path.basename(source))
        with open(model, "wb") as f:
            f.write(data)
        command = kind.command(binary, model, scratch)
        trace_file = os.path.join(scratch, "trace")
        if use_strace:
            command = ["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace_file] + command
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=scratch)
        killed = False
        try:
            _, stderr = process.communicate(timeout=LIMIT_SECONDS * 3)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
            killed = True
        seconds = time.monotonic() - start
        # The largest resident set of the run and every process it waited for (the HDF5 child included).
        rss_kb = process.rusage.ru_maxrss if getattr(process, "rusage", None) else 0
        stderr = stderr.decode("utf-8", "replace")
        outside, denied = set(), 0
        if use_strace and os.path.exists(trace_file):
            with open(trace_file, errors="replace") as f:
                outside, denied = opened_outside(f.read(), [scratch])
        status = process.returncode
        problem = None
        if killed:
            problem = "hang"
        elif status not in (0, 1):
            problem = "exit %d" % status
        elif status == 1 and not POSITIONED.search(stderr):
            problem = "unpositioned error"
        elif outside:
            problem = "opened " + ", ".join(sorted(outside))
        elif seconds > LIMIT_SECONDS or rss_kb > LIMIT_KB:
            problem = "over the limits"
        crashed_library = "libhdf5 crashed" in stderr or "did not finish" in stderr
        if keep and (crashed_library or problem) and len(data) <= 64 << 10:
            os.makedirs(keep, exist_ok=True)
            digest = hashlib.sha1(data).hexdigest()[:12]
            with open(os.path.join(keep, "%s-%s%s" % (kind_name, digest, os.path.splitext(source)[1])), "wb") as f:
                f.write(data)
        return dict(status=status, seconds=seconds, rss_kb=rss_kb, problem=problem, crashed_library=crashed_library,
                    denied=denied, label=label, source=os.path.basename(source), stderr=stderr[-300:])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class RusagePopen(subprocess.Popen):
    """Popen that keeps wait4's resource usage (maximum resident set of the process and its waited children)."""

    def _try_wait(self, wait_flags):
        try:
            pid, status, self.rusage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            pid, status = self.pid, 0
        return pid, status


subprocess.Popen = RusagePopen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/sepconv-gen"))
    parser.add_argument("--count", type=int, default=10000, help="mutations per kind")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS))
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--strace", action="store_true")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--deadline-seconds", type=float, default=0, help="stop each kind after this long (0: no limit)")
    parser.add_argument("--keep", default="")
    arguments = parser.parse_args()
    arguments.binary = os.path.abspath(arguments.binary)
    from concurrent.futures import ThreadPoolExecutor
    summary = {}
    failed = False
    for kind_name in arguments.kinds:
        kind = KINDS[kind_name]
        files = kind.files()
        rng = random.Random("%d-%s" % (arguments.seed, kind_name))
        sources = {path: open(path, "rb").read() for path in files}
        started = time.monotonic()
        jobs = []
        for index in range(arguments.count):
            source = files[index % len(files)]
            data, label = kind.mutate(sources[source], rng)
            jobs.append((source, data, label))
        stats = dict(runs=0, exits=collections.Counter(), max_seconds=0.0, max_rss_kb=0, library_crashes=0,
                     denied_opens=0, problems=[])
        with ThreadPoolExecutor(arguments.jobs) as pool:
            pending = [pool.submit(run_one, kind_name, kind, s, d, l, arguments.binary, arguments.strace, arguments.keep)
                       for s, d, l in jobs]
            for index, future in enumerate(pending):
                if arguments.deadline_seconds and time.monotonic() - started > arguments.deadline_seconds:
                    for rest in pending[index:]:
                        rest.cancel()
                    break
                result = future.result()
                stats["runs"] += 1
                stats["exits"][result["status"]] += 1
                stats["max_seconds"] = max(stats["max_seconds"], result["seconds"])
                stats["max_rss_kb"] = max(stats["max_rss_kb"], result["rss_kb"])
                stats["library_crashes"] += result["crashed_library"]
                stats["denied_opens"] += result["denied"]
                if result["problem"]:
                    stats["problems"].append({k: result[k] for k in ("problem", "seconds", "label", "source", "stderr")})
        stats["exits"] = dict(stats["exits"])
        summary[kind_name] = stats
        failed = failed or bool(stats["problems"])
        print(json.dumps({kind_name: stats}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
