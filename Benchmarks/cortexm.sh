#!/usr/bin/env bash
# Executed-instruction counts on Cortex-M4 (an emulator's counts, not times) of
# the emitted C against the hand-written looped baseline; see "Embedded targets"
# in README.md and Benchmarks/unroll-budget.md.
#
#   Benchmarks/cortexm.sh [--unroll auto|loops|full] [--build default|portable] [--markdown]
#   Benchmarks/cortexm.sh --sweep [--markdown]     # tiny layers, full vs loops (Benchmarks/unroll-budget.md)
#   Benchmarks/cortexm.sh --int8 [--core m4|m3] [--markdown]   # int8 layers of Benchmarks/int8/ (Benchmarks/cortexm_int8.py)
#   Benchmarks/cortexm.sh --m55 [--unroll MODE] [--markdown]   # Cortex-M55 with MVE, under qemu-system-arm (Benchmarks/cortexm_m55.py)
#
# Needs gcc-arm-none-eabi (and qemu-system-arm for --m55), python3 with venv and PyPI: the script creates
# Benchmarks/.venv-unicorn (ignored by git) with unicorn and pyelftools.
# Environment: SEPCONV_GEN (a built sepconv-gen; default: swift build it),
# SEPCONV_CORTEXM_WORK (work folder, default a new temporary one, removed at the end).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PYTHONDONTWRITEBYTECODE=1
if [ -z "${SEPCONV_GEN:-}" ]; then
    swift build --product sepconv-gen >&2
    SEPCONV_GEN="$(swift build --show-bin-path)/sepconv-gen"
fi
venv="$root/Benchmarks/.venv-unicorn"
if ! "$venv/bin/python" -c 'import unicorn, elftools' 2>/dev/null; then
    echo "... creating $venv (unicorn, pyelftools)" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q 'unicorn==2.1.4' 'pyelftools' >&2
fi
work="${SEPCONV_CORTEXM_WORK:-$(mktemp -d -t sepconv-cortexm.XXXXXX)}"
[ -n "${SEPCONV_CORTEXM_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = "--int8" ]; then
    shift
    "$venv/bin/python" "$root/Benchmarks/cortexm_int8.py" "$SEPCONV_GEN" "$work" "$@"
elif [ "${1:-}" = "--m55" ]; then
    shift
    "$venv/bin/python" "$root/Benchmarks/cortexm_m55.py" "$SEPCONV_GEN" "$work" "$@"
else
    "$venv/bin/python" "$root/Benchmarks/cortexm_count.py" "$SEPCONV_GEN" "$work" "$@"
fi
