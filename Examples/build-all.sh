#!/usr/bin/env bash
# Builds the six build-integration examples from a clean state, runs them
# and checks their outputs (make, cmake and swiftpm print the same numbers;
# keras and network print Keras's; streaming one output frame per input frame):
#   make/     C via Make, with sepconv-gen's depfile
#   cmake/    C via CMake's add_custom_command
#   swiftpm/  Swift, generated code committed and checked with --check
#   keras/    C via Make straight from a trained Keras model (.keras), checked
#             against Keras's own output
#   streaming/ a signal pushed frame by frame through the streaming API
#   network/  C via Make: a whole Keras keyword spotter as one function, and
#             its convolution blocks as one stream, checked against Keras
#
#   SEPCONV_GEN=/path/to/sepconv-gen Examples/build-all.sh
#
# Needs make, a C compiler, cmake >= 3.16 and swift. Build outputs stay in
# make/build, cmake/build, swiftpm/.build, keras/build, streaming/build
# and network/build (all gitignored).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s)

fail() { echo "build-all: error: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

gen=${SEPCONV_GEN:-}
[ -n "$gen" ] || fail "set SEPCONV_GEN=/path/to/sepconv-gen"
case $gen in
    */*) [ "${gen#/}" != "$gen" ] || gen="$PWD/$gen" ;;
    *) gen=$(command -v "$gen") || fail "$SEPCONV_GEN: not found in PATH" ;;
esac
[ -x "$gen" ] || fail "$gen: not an executable"
export SEPCONV_GEN=$gen
for tool in make cmake swift; do
    command -v "$tool" >/dev/null || fail "$tool not found"
done

# compare A B: same lines and words; numbers may differ by 1e-5 (relative
# above 1). Prints the largest difference seen.
compare() {
    awk -v tol=1e-5 -v a="$1" -v b="$2" '
        function abs(x) { return x < 0 ? -x : x }
        function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?$/ }
        BEGIN {
            worst = 0
            while ((ra = getline la < a) > 0) {
                rb = getline lb < b; n++
                if (rb <= 0) { print "  line " n ": missing in " b; bad = 1; break }
                na = split(la, wa); nb = split(lb, wb)
                if (na != nb) { print "  line " n " differs:\n    " la "\n    " lb; bad = 1; continue }
                for (i = 1; i <= na; i++) {
                    if (num(wa[i]) && num(wb[i])) {
                        d = abs(wa[i] - wb[i]); s = abs(wa[i]) > 1 ? abs(wa[i]) : 1
                        if (d / s > worst) worst = d / s
                        if (d > tol * s) { print "  line " n " word " i ": " wa[i] " vs " wb[i]; bad = 1 }
                    } else if (wa[i] != wb[i]) {
                        print "  line " n " word " i ": " wa[i] " vs " wb[i]; bad = 1
                    }
                }
            }
            if ((getline lb < b) > 0) { print "  " b " has extra lines"; bad = 1 }
            if (n == 0) { print "  " a " is empty"; bad = 1 }
            printf "  largest difference %g\n", worst
            exit bad
        }'
}

step "clean"
rm -rf "$here/make/build" "$here/cmake/build" "$here/swiftpm/.build" "$here/keras/build" "$here/streaming/build" "$here/network/build"
echo "removed make/build cmake/build swiftpm/.build keras/build streaming/build network/build"

step "make"
make -C "$here/make" SEPCONV_GEN="$gen"
"$here/make/build/demo" > "$here/make/build/output.txt"
make -q -C "$here/make" SEPCONV_GEN="$gen" || fail "make: not up to date right after a build"
# The makefile lists only the spec; the weights reach make through the depfile.
touch "$here/shared/kws_block1/bias.npy"
make -q -C "$here/make" SEPCONV_GEN="$gen" && fail "make: touching a weight file did not make the build stale (depfile not used?)"
out=$(make -C "$here/make" SEPCONV_GEN="$gen") || fail "make: rebuild failed"
echo "$out"
case $out in *--depfile*) ;; *) fail "make: touching a weight file did not regenerate" ;; esac
make -q -C "$here/make" SEPCONV_GEN="$gen" || fail "make: not up to date after regenerating"
echo "make: a touched weight file regenerates; a second make does nothing"

step "keras"
make -C "$here/keras" SEPCONV_GEN="$gen"
"$here/keras/build/demo" > "$here/keras/build/output.txt"
touch "$here/keras/kws.keras"
make -q -C "$here/keras" SEPCONV_GEN="$gen" && fail "keras: touching the model did not make the build stale (depfile not used?)"
make -C "$here/keras" SEPCONV_GEN="$gen" > /dev/null || fail "keras: rebuild failed"
make -q -C "$here/keras" SEPCONV_GEN="$gen" || fail "keras: not up to date after regenerating"
echo "keras: a touched model regenerates; the output against Keras's:"
compare "$here/keras/build/output.txt" "$here/keras/expected.txt" || fail "keras: the generated layer disagrees with Keras"

step "cmake"
cmake -S "$here/cmake" -B "$here/cmake/build" -DSEPCONV_GEN="$gen"
cmake --build "$here/cmake/build"
"$here/cmake/build/demo" > "$here/cmake/build/output.txt"
out=$(cmake --build "$here/cmake/build") || fail "cmake: no-op build failed"
case $out in *"sepconv-gen: generating"*) fail "cmake: a no-op build ran sepconv-gen again" ;; esac
touch "$here/shared/kws_block1/pointwise.npy"
out=$(cmake --build "$here/cmake/build") || fail "cmake: rebuild failed"
echo "$out"
case $out in *"sepconv-gen: generating"*) ;; *) fail "cmake: touching a weight file did not regenerate" ;; esac
echo "cmake: a touched weight file regenerates; a no-op build does not"

step "swiftpm"
"$here/swiftpm/check.sh"
swift build --package-path "$here/swiftpm" --scratch-path "$here/swiftpm/.build" \
    -c release -Xswiftc -warnings-as-errors
bin=$(swift build --package-path "$here/swiftpm" --scratch-path "$here/swiftpm/.build" \
    -c release --show-bin-path)
"$bin/KwsDemo" > "$here/swiftpm/.build/output.txt"

step "streaming"
make -C "$here/streaming" SEPCONV_GEN="$gen"
make -s -C "$here/streaming" SEPCONV_GEN="$gen" run > "$here/streaming/build/output.txt"
tail -n 3 "$here/streaming/build/output.txt"
grep -q "100 frames in, 100 output frames" "$here/streaming/build/output.txt" || fail "streaming: not one output frame per input frame"

step "network"
make -C "$here/network" SEPCONV_GEN="$gen"
"$here/network/build/demo" > "$here/network/build/output.txt"
touch "$here/network/kws.keras"
make -q -C "$here/network" SEPCONV_GEN="$gen" && fail "network: touching the model did not make the build stale (depfile not used?)"
make -C "$here/network" SEPCONV_GEN="$gen" > /dev/null || fail "network: rebuild failed"
echo "network: a touched model regenerates; the predictions and the streamed frames against Keras's:"
compare "$here/network/build/output.txt" "$here/network/expected.txt" || fail "network: the generated network disagrees with Keras"

step "outputs"
echo "make/build/output.txt:"
sed 's/^/  /' "$here/make/build/output.txt"
status=0
echo "make vs cmake:"
compare "$here/make/build/output.txt" "$here/cmake/build/output.txt" || status=1
echo "make vs swiftpm:"
compare "$here/make/build/output.txt" "$here/swiftpm/.build/output.txt" || status=1
[ $status = 0 ] || fail "the examples disagree"

echo
echo "build-all: OK, 3 examples agree and the Keras-model and network examples match Keras ($(( $(date +%s) - start ))s)"
