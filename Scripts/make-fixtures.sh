#!/usr/bin/env bash
# Regenerate the Keras fixtures (Tests/SepconvGenTests/Fixtures/keras*,
# Specs/ weights and test data) with real Keras.
#
#   bash Scripts/make-fixtures.sh                 # venv in Scripts/.venv
#   VENV=/path/to/venv bash Scripts/make-fixtures.sh   # an existing venv
#
# The venv needs exactly keras==3.15.1 and jax[cpu]==0.10.2 (and numpy);
# Scripts/.venv is created from PyPI when missing. Output is deterministic.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KERAS_PIN="keras==3.15.1"
JAX_PIN="jax[cpu]==0.10.2"

export KERAS_BACKEND=jax
export JAX_ENABLE_X64=1
export JAX_PLATFORMS=cpu
export PYTHONHASHSEED=0   # Keras messages print Python sets

have_pins() {
    "$1/bin/python" - <<'PY' >/dev/null 2>&1
import importlib.metadata as m
assert m.version("keras") == "3.15.1"
assert m.version("jax") == "0.10.2"
assert m.version("jaxlib") == "0.10.2"
import numpy
PY
}

if [ -n "${VENV:-}" ]; then
    venv="$VENV"
    if [ ! -x "$venv/bin/python" ]; then
        echo "make-fixtures.sh: VENV=$venv has no bin/python" >&2
        exit 1
    fi
    if ! have_pins "$venv"; then
        echo "make-fixtures.sh: VENV=$venv lacks $KERAS_PIN / $JAX_PIN / numpy" >&2
        exit 1
    fi
else
    venv="$here/.venv"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv"
    fi
    if ! have_pins "$venv"; then
        "$venv/bin/python" -m pip install --disable-pip-version-check -q \
            "$KERAS_PIN" "$JAX_PIN" numpy
    fi
fi

exec "$venv/bin/python" "$here/keras_fixtures.py" "$@"
