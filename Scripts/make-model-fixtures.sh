#!/usr/bin/env bash
# Regenerate the Keras model-file fixtures (Tests/SepconvGenTests/Fixtures/models)
# with real Keras: .keras, Keras 3 legacy .h5 and .weights.h5 files from
# keras==3.15.1 (JAX backend), and tf.keras 2 .h5 files when TF_VENV names a
# venv holding tf-keras (PyPI `tf-keras`; it pulls TensorFlow).
#
#   VENV=/path/to/keras3-venv TF_VENV=/path/to/tf-venv bash Scripts/make-model-fixtures.sh
#
# VENV defaults to Scripts/.venv (as make-fixtures.sh); without TF_VENV the
# tf.keras 2 fixtures already committed are left as they are.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${VENV:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    echo "make-model-fixtures.sh: $venv has no bin/python (run Scripts/make-fixtures.sh once, or set VENV)" >&2
    exit 1
fi
export PYTHONHASHSEED=0
KERAS_BACKEND=jax JAX_ENABLE_X64=1 JAX_PLATFORMS=cpu "$venv/bin/python" "$here/model_fixtures.py"
if [ -n "${TF_VENV:-}" ]; then
    "$TF_VENV/bin/python" "$here/model_fixtures_tf.py"
fi
