#!/usr/bin/env bash
# Fuzz/run.sh [SECONDS]: build sepconv-gen's libFuzzer targets and run each
# for SECONDS (default 30). Exits non-zero on any finding (crash, trap,
# sanitizer report, timeout over 20 s per input, more than 2 GB of memory).
#
#   spec  YAML text -> SpecCompiler().compile(file:contents:) (no disk),
#         then Explainer, both emitters and the interpreter for small layers
#   npy   bytes -> NPY.read, and a NPY.write/NPY.read round trip
#   model bytes -> ModelReader (a .keras zip, an HDF5 .h5 or .weights.h5 read by the
#         sandboxed libhdf5 child; other bytes are taken as a config.json and packed with
#         real weights; see Fuzz/Targets/FuzzModel.swift), every SeparableConv1D with its
#         fused chain. Seeds: every model fixture and the crasher corpus. For whole-binary
#         runs over mutations of each fixture kind see Fuzz/mutate_models.py
#   tflite bytes -> TFLiteReader (the .tflite FlatBuffers reader and chain finder),
#         every chain read by index and by name (Fuzz/Targets/FuzzTFLite.swift)
#
# CI runs `bash Fuzz/run.sh 30`: about 55 s in all on 2 cores (a 20 s -Onone
# build, then both targets side by side). A long local run is
# `bash Fuzz/run.sh 600` (a 70-130 s -O build first). Needs libyaml-dev, like
# the package itself, and libhdf5-dev and zlib for the model target (ZIPFoundation's
# sources come from SwiftPM's checkout: `swift package resolve` is run when they are
# missing). Environment:
#   FUZZ_WORK=DIR       build products, corpora, logs, findings (default .build-fuzz, gitignored)
#   FUZZ_TARGETS="spec npy model tflite"   which targets to run
#   FUZZ_PARALLEL=0     run the targets one after the other (default: side by side)
#   FUZZ_OPT=-O|-Onone  optimisation of the instrumented library (default: -O for runs of 120 s or more, else -Onone)
#   SWIFTC=path         the compiler (default: swiftc on PATH)
#   FUZZ_ARGS="..."     more libFuzzer flags, e.g. "-len_control=0 -max_len=200000" for long inputs
# A finding is saved as $FUZZ_WORK/findings/<run>/<target>-crash-<sha1> (or timeout-,
# oom-, leak-); reproduce it with `$FUZZ_WORK/build-O/bin/fuzz-<target> FILE` (or build-Onone).
set -euo pipefail

seconds=${1:-30}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${FUZZ_WORK:-$root/.build-fuzz}
targets=${FUZZ_TARGETS:-spec npy model tflite}
# Short runs (CI) build fast at -Onone (about 20 s); long runs build at -O (70-130 s), whose code runs 5-10x faster.
if (( seconds >= 120 )); then opt=${FUZZ_OPT:--O}; else opt=${FUZZ_OPT:--Onone}; fi
swiftc=${SWIFTC:-swiftc}
# lld links the sanitized objects without gold's flood of "cannot export local symbol" warnings.
linker=()
if [[ -x $(dirname "$(command -v "$swiftc")")/ld.lld ]] || command -v ld.lld > /dev/null; then linker=(-use-ld=lld); fi
mkdir -p "$work"/{logs,findings,seeds,corpus}
work=$(cd "$work" && pwd)
# Products of each optimisation level are kept apart, so switching does not rebuild.
build=$work/build$opt
mkdir -p "$build"/{gen,mods,obj,bin}
# Each run keeps its findings in a folder of its own.
findings_dir=$work/findings/$(date +%Y%m%d-%H%M%S)-$$

# --- Build --------------------------------------------------------------------
# The library's sources, compiled as SwiftPM would but by hand, so that every
# Swift file can carry libFuzzer's coverage and AddressSanitizer.
library_sources=()
while IFS= read -r -d '' file; do library_sources+=("$file"); done \
    < <(find "$root/Sources/SepconvGen" -name '*.swift' -print0 | LC_ALL=C sort -z)
initializer_sources=()
while IFS= read -r -d '' file; do initializer_sources+=("$file"); done \
    < <(find "$root/Sources/KerasInitializers" -name '*.swift' -print0 | LC_ALL=C sort -z)
zip_root=$root/.build/checkouts/ZIPFoundation/Sources
if [[ ! -d $zip_root/ZIPFoundation ]]; then
    (cd "$root" && swift package resolve > /dev/null)
fi
zip_sources=()
while IFS= read -r -d '' file; do zip_sources+=("$file"); done \
    < <(find "$zip_root/ZIPFoundation" -name '*.swift' -print0 | LC_ALL=C sort -z)
hdf5_cflags=()
for flag in $(pkg-config --cflags hdf5); do hdf5_cflags+=(-Xcc "$flag"); done
hdf5_libs=()
read -r -a hdf5_libs <<< "$(pkg-config --libs hdf5)"
template_files=()
while IFS= read -r -d '' file; do template_files+=("$file"); done \
    < <(find "$root/Templates" -maxdepth 1 -name '*.template' -print0 | LC_ALL=C sort -z)

stamp=$( (echo "$opt $("$swiftc" --version 2>&1 | head -1)"; cat "${library_sources[@]}" "${initializer_sources[@]}" "${template_files[@]}" \
    "$root"/Templates/*.swift "$root"/Fuzz/Targets/*.swift "$root/Sources/CYAML/module.modulemap" \
    "$root"/Sources/CHDF5/* "${zip_sources[@]}" "$0") | cksum)
if [[ -f $build/stamp && $(cat "$build/stamp") == "$stamp" && -x $build/bin/fuzz-spec && -x $build/bin/fuzz-npy && -x $build/bin/fuzz-model && -x $build/bin/fuzz-tflite ]]; then
    echo "fuzz: targets up to date in $build/bin"
else
    rm -f "$build/stamp"
    build_start=$SECONDS
    # SwiftPM's `.embedInCode` resources: `PackageResources.<file name with . as _>: [UInt8]`.
    {
        echo "struct PackageResources {"
        for file in "${template_files[@]}"; do
            name=$(basename "$file" | tr '.-' '__')
            printf 'static let %s: [UInt8] = [' "$name"
            od -An -v -tu1 "$file" | tr -s ' \n' ',,' | sed 's/^,//; s/,$//'
            echo "]"
        done
        echo "}"
    } > "$build/gen/embedded_resources.swift"

    common=(-swift-version 6 -parse-as-library -wmo -num-threads 0 -I "$build/mods" -I "$root/Sources/CYAML"
            -I "$root/Sources/CHDF5" -I "$zip_root/CZLib" "${hdf5_cflags[@]}" -warnings-as-errors)
    echo "fuzz: building ZIPFoundation ($opt, -sanitize=fuzzer,address)"
    # As its package builds it: Swift 5 language mode; its warnings are not ours to fix.
    "$swiftc" -swift-version 5 -parse-as-library -wmo -num-threads 0 -I "$zip_root/CZLib" "$opt" -gline-tables-only \
        -sanitize=fuzzer,address -module-name ZIPFoundation -Xcc -D_GNU_SOURCE=1 -suppress-warnings \
        -emit-module -emit-module-path "$build/mods/ZIPFoundation.swiftmodule" \
        -c -o "$build/obj/ZIPFoundation.o" "${zip_sources[@]}"
    echo "fuzz: building SepconvTemplates"
    "$swiftc" "${common[@]}" -Onone -module-name SepconvTemplates \
        -emit-module -emit-module-path "$build/mods/SepconvTemplates.swiftmodule" \
        -c -o "$build/obj/SepconvTemplates.o" "$root"/Templates/*.swift "$build/gen/embedded_resources.swift"
    echo "fuzz: building KerasInitializers ($opt, -sanitize=fuzzer,address)"
    "$swiftc" "${common[@]}" "$opt" -gline-tables-only -sanitize=fuzzer,address -module-name KerasInitializers \
        -emit-module -emit-module-path "$build/mods/KerasInitializers.swiftmodule" \
        -c -o "$build/obj/KerasInitializers.o" "${initializer_sources[@]}"
    echo "fuzz: building SepconvGen ($opt, -sanitize=fuzzer,address)"
    "$swiftc" "${common[@]}" "$opt" -gline-tables-only -sanitize=fuzzer,address -module-name SepconvGen \
        -emit-module -emit-module-path "$build/mods/SepconvGen.swiftmodule" \
        -c -o "$build/obj/SepconvGen.o" "${library_sources[@]}"
    for target in spec npy model tflite; do
        case $target in spec) entry=FuzzSpec.swift ;; npy) entry=FuzzNPY.swift ;; model) entry=FuzzModel.swift ;; tflite) entry=FuzzTFLite.swift ;; esac
        echo "fuzz: linking fuzz-$target"
        "$swiftc" "${common[@]}" -Onone -gline-tables-only -sanitize=fuzzer,address "${linker[@]}" -module-name "Fuzz_$target" \
            "$root/Fuzz/Targets/$entry" "$build/obj/SepconvGen.o" "$build/obj/KerasInitializers.o" "$build/obj/SepconvTemplates.o" "$build/obj/ZIPFoundation.o" \
            -lyaml "${hdf5_libs[@]}" -lz -o "$build/bin/fuzz-$target"
    done
    echo "$stamp" > "$build/stamp"
    echo "fuzz: built in $((SECONDS - build_start)) s"
fi

# --- Seeds --------------------------------------------------------------------
# Fresh each run from the repository; the corpus folders keep what the fuzzer
# finds between local runs.
rm -rf "$work/seeds"
mkdir -p "$work/seeds/spec" "$work/seeds/npy" "$work/seeds/model" "$work/seeds/tflite" \
    "$work/corpus/spec" "$work/corpus/npy" "$work/corpus/model" "$work/corpus/tflite"
index=0
while IFS= read -r -d '' file; do
    index=$((index + 1))
    cp "$file" "$work/seeds/spec/$index.yaml"
    # The same spec without its weights, so the initializers, the planner and the emitters are reached.
    sed '/^weights:/,$d' "$file" > "$work/seeds/spec/$index-noweights.yaml"
done < <(find "$root/Specs" "$root/Tests/SepconvGenTests/Fixtures" -name '*.yaml' -size -64k -print0 2>/dev/null | LC_ALL=C sort -z)
index=0
while IFS= read -r -d '' file; do
    index=$((index + 1))
    cp "$file" "$work/seeds/npy/$index.npy"
done < <(find "$root/Specs" "$root/Tests/SepconvGenTests/Fixtures" -name '*.npy' -size -16k -print0 2>/dev/null | LC_ALL=C sort -z | head -z -n 300)
# Model files as they are, and each archive's config.json alone (the target packs it with real weights).
index=0
while IFS= read -r -d '' file; do
    index=$((index + 1))
    cp "$file" "$work/seeds/model/$index.${file##*.}"
    if [[ $file == *.keras ]] && command -v unzip > /dev/null; then
        unzip -p "$file" config.json > "$work/seeds/model/$index-config.json" 2> /dev/null || rm -f "$work/seeds/model/$index-config.json"
    fi
done < <(find "$root/Tests/SepconvGenTests/Fixtures/models" "$root/Tests/SepconvGenTests/Fixtures/hostile" \
    \( -name '*.keras' -o -name '*.h5' \) -size -64k -print0 2>/dev/null | LC_ALL=C sort -z)
# The .tflite fixture models, valid and refused alike.
index=0
while IFS= read -r -d '' file; do
    index=$((index + 1))
    cp "$file" "$work/seeds/tflite/$index.tflite"
done < <(find "$root/Tests/SepconvGenTests/Fixtures/tflite" -name '*.tflite' -size -64k -print0 2>/dev/null | LC_ALL=C sort -z)
echo "fuzz: seeds: $(ls "$work/seeds/spec" | wc -l) specs, $(ls "$work/seeds/npy" | wc -l) .npy files, $(ls "$work/seeds/model" | wc -l) model files and configs, $(ls "$work/seeds/tflite" | wc -l) .tflite models"

# --- Run ----------------------------------------------------------------------
run_target() {
    local target=$1 extra=() more=()
    read -r -a more <<< "${FUZZ_ARGS:-}"
    case $target in
        spec) extra=(-dict="$root/Fuzz/spec.dict" -max_len=16384) ;;
        npy) extra=(-max_len=4096) ;;
        # ZIPFoundation's in-memory archives (a FILE over Data through fopencookie) are
        # reported by LeakSanitizer as leaked inside ZIPFoundation and Foundation; crashes,
        # sanitizer errors and hangs still count.
        model) extra=(-max_len=65536 -detect_leaks=0) ;;
        tflite) extra=(-max_len=65536) ;;
    esac
    # -timeout: one input taking over 20 s is a finding (a hang; the slowest seed takes 1.4 s of CPU,
    # up to 7 s of wall time with three targets on two loaded cores); -rss_limit_mb: 2 GB of memory is one too.
    local asan=${ASAN_OPTIONS:-}
    [[ $target == model ]] && asan=${asan:+$asan:}detect_leaks=0
    ASAN_OPTIONS=$asan "$build/bin/fuzz-$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings_dir/$target-" "${extra[@]}" "${more[@]}" \
        "$work/corpus/$target" "$work/seeds/$target" > "$work/logs/$target.log" 2>&1
}

mkdir -p "$findings_dir"
status=0
declare -A pids=()
for target in $targets; do
    [[ -x $build/bin/fuzz-$target ]] || { echo "fuzz: unknown target '$target'" >&2; exit 2; }
    echo "fuzz: running $target for $seconds s (log: $work/logs/$target.log)"
    if [[ ${FUZZ_PARALLEL:-1} == 1 ]]; then
        run_target "$target" &
        pids[$target]=$!
    else
        run_target "$target" || status=1
        pids[$target]=""
    fi
done
for target in $targets; do
    if [[ -n ${pids[$target]} ]]; then
        wait "${pids[$target]}" || status=1
    fi
    log=$work/logs/$target.log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 || true)
    echo "fuzz: $target: ${runs:-?} executions; ${cov:-no coverage line}"
    if grep -qE '^(==[0-9]+==ERROR|SUMMARY: |Fatal error|.*deadly signal|ALARM: working on the last Unit)' "$log"; then
        status=1
        echo "fuzz: $target: FINDING; the end of its log:" >&2
        tail -n 40 "$log" >&2
    fi
done
findings=$(find "$findings_dir" -type f | LC_ALL=C sort)
rmdir "$findings_dir" 2>/dev/null || true
if [[ $status != 0 || -n $findings ]]; then
    echo "fuzz: findings (reproduce with $build/bin/fuzz-<target> FILE):" >&2
    echo "${findings:-  (none saved; see the logs)}" >&2
    exit 1
fi
echo "fuzz: no findings"
