#!/usr/bin/env bash
# Fails (exit 1) when the committed generated Swift is missing or differs from
# what sepconv-gen makes of the specs now. Writes nothing; meant for CI.
#   SEPCONV_GEN=/path/to/sepconv-gen ./check.sh
set -euo pipefail
cd "$(dirname "$0")"
if ! ./regenerate.sh --check; then
    echo "error: Examples/swiftpm/Sources/KwsDemo/Generated is stale; run Examples/swiftpm/regenerate.sh and commit the result" >&2
    exit 1
fi
echo "generated Swift is up to date"
