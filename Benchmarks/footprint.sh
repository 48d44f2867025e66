#!/usr/bin/env bash
# Flash and stack of the emitted C on Cortex-M4 (arm-none-eabi-gcc), for every
# spec in Specs/ and the benchmark cases that fit; see "Embedded targets" in README.md.
#
#   Benchmarks/footprint.sh [--markdown]
#
# Needs gcc-arm-none-eabi and python3 (standard library only). Environment:
# SEPCONV_GEN (a built sepconv-gen; default: swift build it), SEPCONV_FOOTPRINT_WORK
# (work folder, default a new temporary one, removed at the end).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PYTHONDONTWRITEBYTECODE=1
if [ -z "${SEPCONV_GEN:-}" ]; then
    swift build --product sepconv-gen >&2
    SEPCONV_GEN="$(swift build --show-bin-path)/sepconv-gen"
fi
work="${SEPCONV_FOOTPRINT_WORK:-$(mktemp -d -t sepconv-footprint.XXXXXX)}"
[ -n "${SEPCONV_FOOTPRINT_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
python3 "$root/Benchmarks/cortexm_footprint.py" "$SEPCONV_GEN" "$work" "$@"
