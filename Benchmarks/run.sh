#!/usr/bin/env bash
# The sepconv-gen benchmark. See Benchmarks/README.md.
#
#   Benchmarks/run.sh [CASE...]        cases S M L D X, net and int8 (default: all)
#   Benchmarks/run.sh int8 [LAYER...]  the int8 section alone (Benchmarks/int8_bench.py), some of its
#                                      layers kws_block1 S M L D of Benchmarks/int8/ (default: all)
#
# Environment: SEPCONV_BENCH_SCRATCH (SwiftPM scratch folder, default .build),
# SEPCONV_BENCH_WORK (work folder, default a new temporary one, kept),
# SEPCONV_BENCH_ROUNDS (timing rounds, default 3), SEPCONV_BENCH_MARCH (the
# layer cases' -march, default native; haswell times the 256-bit path on an
# AVX-512 core, its %peak of the 32-byte-vector peak), SEPCONV_BENCH_BASELINE_GEN
# (another sepconv-gen binary: its code is timed beside this one's, layer
# cases and streaming, "before" and "after" columns with their ratio).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scratch="${SEPCONV_BENCH_SCRATCH:-$root/.build}"
work="${SEPCONV_BENCH_WORK:-$(mktemp -d -t sepconv-bench.XXXXXX)}"
mkdir -p "$work/build"
echo "work folder: $work" >&2

echo "... building sepconv-gen (release)" >&2
swift build -c release --scratch-path "$scratch" --product sepconv-gen >&2
gen="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/sepconv-gen"

# Python with numpy (needed) and onnxruntime + onnx (optional), in a venv of its own.
venv="$root/Benchmarks/.venv"
if [ ! -x "$venv/bin/python" ]; then
    echo "... creating $venv" >&2
    python3 -m venv "$venv" >&2
fi
"$venv/bin/python" -c 'import numpy, h5py' 2>/dev/null || "$venv/bin/pip" install -q numpy h5py >&2
export SEPCONV_BENCH_ORT_PYTHON=""
if "$venv/bin/python" -c 'import onnxruntime, onnx' 2>/dev/null \
    || "$venv/bin/pip" install -q onnxruntime onnx >&2; then
    SEPCONV_BENCH_ORT_PYTHON="$venv/bin/python"
else
    export SEPCONV_BENCH_ORT_NOTE="pip install onnxruntime onnx failed"
    echo "note: onnxruntime could not be installed; its column is skipped" >&2
fi

# The FMA peak of this core, built in GNU mode so that gcc fuses a * b + c.
gcc -O3 -march=native "$root/Benchmarks/harness/peak.c" -o "$work/build/peak"

# The int8 section alone: plain and vector int8 paths and the float32 kernel, gcc and clang at three -march.
if [ "${1:-}" = int8 ]; then
    shift
    "$venv/bin/python" "$root/Benchmarks/int8_bench.py" "$gen" "$work" "$@"
    exit 0
fi

# The layer cases (all but net).
cases=()
for case in "$@"; do [ "$case" = net ] || [ "$case" = int8 ] || cases+=("$case"); done
if [ $# -eq 0 ] || [ ${#cases[@]} -gt 0 ]; then
    "$venv/bin/python" "$root/Benchmarks/bench.py" "$gen" "$work" "${cases[@]}"
    "$venv/bin/python" "$root/Benchmarks/stream_bench.py" "$gen" "$work" "${cases[@]}"
fi
# The network section: a whole keyword spotter, against separate layers with glue, onnxruntime, and a sliding window.
case " $* " in
    "  " | *" net "*) "$venv/bin/python" "$root/Benchmarks/network_bench.py" "$gen" "$work" ;;
esac
# The int8 section, every layer: plain and vector int8 paths and the float32 kernel.
case " $* " in
    "  " | *" int8 "*) "$venv/bin/python" "$root/Benchmarks/int8_bench.py" "$gen" "$work" ;;
esac

