#!/usr/bin/env bash
# Regenerates the committed Swift for the layers this package uses.
# Run it after editing a spec or a weight file, or after updating sepconv-gen:
#   SEPCONV_GEN=/path/to/sepconv-gen ./regenerate.sh
set -euo pipefail
cd "$(dirname "$0")"
"${SEPCONV_GEN:-sepconv-gen}" ../shared/kws_block1.yaml --lang swift -o Sources/KwsDemo/Generated "$@"
