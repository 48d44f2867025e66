#!/usr/bin/env bash
# Generates the same specs with two sepconv-gen binaries and diffs what they
# write: the shipped specs, the Keras fixtures and a grid of layers that
# reaches every kernel shape (both dtypes and data formats, glu and row-wise
# activations, partial lanes, 512-bit pairs, depth multipliers, tap loops
# past K = 8, prefetched weights, the benchmark cases' geometries), in every
# `--unroll` mode. Prints one line per differing file and a count; exits 1
# when anything differs.
#
#   Benchmarks/compare-generators.sh OLD_GEN NEW_GEN [WORK_DIR]
set -euo pipefail
old="$1" new="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${3:-$(mktemp -d -t sepconv-compare.XXXXXX)}"
mkdir -p "$work/grid"

# name: steps channels filters kernel padding depth_multiplier strides dilation
grid=(
    "S 32 8 16 3 same 1 1 1" "M 49 32 32 3 same 1 1 1" "L 98 64 64 5 same 1 1 1"
    "D 128 32 64 5 valid 2 2 1" "X 1000 128 128 7 same 1 1 2"
    "p 20 5 13 3 same 1 1 1" "w 24 40 72 3 same 1 1 1" "k 30 9 8 11 same 1 2 1"
    "m 17 3 6 4 valid 3 1 2" "t 6 4 10 9 same 1 1 1" "v 40 16 40 5 same 2 3 2"
)
specs=()
for entry in "${grid[@]}"; do
    read -r n L C F K padding M s d <<<"$entry"
    for dtype in float32 float64; do
        for format in channels_last channels_first; do
            for activation in relu glu softmax linear; do
                name="g_${n}_${dtype}_${format}_${activation}"
                file="$work/grid/$name.yaml"
                cat >"$file" <<EOF
name: $name
dtype: $dtype
input: {steps: $L, channels: $C}
layer: {filters: $F, kernel_size: $K, strides: $s, padding: $padding, data_format: $format,
        dilation_rate: $d, depth_multiplier: $M, activation: $activation, use_bias: true}
EOF
                specs+=("$file")
            done
        done
    done
done
specs+=("$root"/Specs/*.yaml "$root"/Tests/SepconvGenTests/Fixtures/keras/*/spec.yaml)

differ=0 compared=0
for spec in "${specs[@]}"; do
    for unroll in auto loops full; do
        for side in old new; do
            out="$work/$side/$unroll"
            mkdir -p "$out"
            gen="$old"; [ "$side" = new ] && gen="$new"
            "$gen" "$spec" -o "$out" --unroll "$unroll" >/dev/null 2>"$out/$(basename "$spec").stderr" || true
        done
    done
done
for unroll in auto loops full; do
    while IFS= read -r line; do
        echo "$line"
        differ=$((differ + 1))
    done < <(diff -rq "$work/old/$unroll" "$work/new/$unroll" || true)
    compared=$((compared + $(find "$work/old/$unroll" -type f | wc -l)))
done
echo "$compared files compared in $work; $differ differ"
[ "$differ" -eq 0 ]
