#!/usr/bin/env python3
"""Writes the activation fixtures of sepconv-gen's tests.

For every activation name Keras 3 accepts (`keras.activations.get`, aliases
included, `threshold` excluded since Keras cannot call it by name) and for
float32 and float64, this runs Keras on the JAX backend over a 2-D input of
shape (rows, length) and writes

    Tests/SepconvGenTests/Fixtures/activations/<name>_<dtype>_in.npy
    Tests/SepconvGenTests/Fixtures/activations/<name>_<dtype>_out.npy

Row-wise activations (softmax, log_softmax, sparsemax, glu) act on the last
axis, as they do on a layer's output; glu's output has half the length.

Two exceptions, both where Keras 3.15 is wrong and sepconv-gen is not:
- sparsemax: the expected output is computed here by a NumPy sparsemax that
  follows the corrected formula of keras-team/keras#23425, not by Keras 3.15,
  whose code is wrong (see `corrected_sparsemax`).
- tanh in float64: keras.activations.tanh returns float32 for float64 input
  (see `main`); the expected output is Keras's backend tanh in float64.

Run it with the Keras venv, from anywhere:

    KERAS_BACKEND=jax /work/kerasvenv/bin/python Scripts/activation_fixtures.py

The output is deterministic: the inputs come from fixed lists and a seeded
generator, and .npy files carry no time stamp.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
if os.environ["KERAS_BACKEND"] != "jax":
    sys.exit("activation_fixtures.py: run it with KERAS_BACKEND=jax")

import jax  # noqa: E402

# Without x64, JAX silently runs float64 arrays in float32.
jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src import backend  # noqa: E402
from keras.src.activations import ALL_OBJECTS_DICT  # noqa: E402

OUT_DIR = (
    Path(__file__).resolve().parent.parent
    / "Tests" / "SepconvGenTests" / "Fixtures" / "activations"
)

# Every name keras.activations.get accepts, as Activation.acceptedNames lists them.
NAMES = sorted(
    [
        "linear", "relu", "relu6", "leaky_relu", "elu", "celu", "selu",
        "gelu", "silu", "mish", "sigmoid", "hard_sigmoid", "hard_silu",
        "log_sigmoid", "sparse_sigmoid", "tanh", "hard_tanh", "tanh_shrink",
        "softplus", "softsign", "squareplus", "sparse_plus", "soft_shrink",
        "hard_shrink", "exponential", "softmax", "log_softmax", "sparsemax",
        "glu", "swish", "hard_swish",
    ]
)
ROW_WISE = {"softmax", "log_softmax", "sparsemax"}
DTYPES = ("float32", "float64")


def elementwise_input():
    """(8, 24) values over [-8, 8] with zeros, the kinks and large magnitudes."""
    values = [0.0, -0.0, 0.0]
    # Kinks: shrink thresholds (±0.5), sparse_plus / sparse_sigmoid /
    # hard_tanh (±1), hard_sigmoid / hard_silu (±3), relu6 (6), and the
    # points just beside them.
    for kink in (0.5, 1.0, 3.0, 6.0):
        for sign in (1.0, -1.0):
            for offset in (0.0, 1e-3, -1e-3, 1e-6, -1e-6):
                values.append(sign * (kink + offset))
    # Small magnitudes (where x - tanh(x), expm1, log1p lose digits if done naively).
    values += [1e-7, -1e-7, 1e-4, -1e-4, 0.01, -0.01]
    # Large magnitudes: overflow of exp, saturation of sigmoid/tanh/softplus.
    values += [30.0, -30.0, 90.0, -90.0, 15.0, -15.0, 20.0, -20.0, 88.0, -88.0, 89.5, -89.5]
    # An even grid over [-8, 8] (integers and halves).
    values += list(np.linspace(-8.0, 8.0, 33))
    rng = np.random.default_rng(20240531)
    count = 8 * 24
    values += list(rng.uniform(-8.0, 8.0, count - len(values)))
    assert len(values) == count, len(values)
    return np.array(values, dtype=np.float64).reshape(8, 24)


def row_input():
    """(14, 10) rows for softmax, log_softmax and sparsemax."""
    rng = np.random.default_rng(7)
    rows = [
        np.linspace(-8.0, 8.0, 10),
        np.zeros(10),
        np.full(10, 3.0),  # all tied: softmax and sparsemax give 1/10 each
        [2.0, 2.0, 2.0, 1.0, 0.0, -1.0, -2.0, -3.0, 0.5, 1.5],  # a tie at the top
        [90.0, -90.0, 30.0, -30.0, 0.0, 89.5, 1.0, -1.0, 0.5, 90.0],  # large magnitudes
        [-90.0] * 9 + [-89.0],  # all very negative
        [30.0, 29.9, 29.8, 29.7, -30.0, 0.0, 8.0, -8.0, 29.5, 28.0],
        [1.0, 0.8, 0.5, 0.0, -0.5, -1.0, 0.2, 0.3, -0.2, 0.1],  # sparsemax support > 2
        [5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # one dominant logit
        [0.5, 0.0, -0.5, 0.25, -0.25, 0.125, -0.125, 0.0, 0.5, -0.5],
        0.1 * rng.uniform(-1.0, 1.0, 10),  # close values: sparsemax keeps them all
    ]
    rows += [rng.uniform(-8.0, 8.0, 10) for _ in range(3)]
    return np.array(rows, dtype=np.float64)


def glu_input():
    """(8, 16): halves a (first 8) and gate b (last 8), with large gates."""
    rng = np.random.default_rng(11)
    a = rng.uniform(-8.0, 8.0, (8, 8))
    b = rng.uniform(-8.0, 8.0, (8, 8))
    b[0, :] = [0.0, -0.0, 90.0, -90.0, 30.0, -30.0, 1.0, -1.0]
    a[1, :] = [0.0, 90.0, -90.0, 30.0, -30.0, 3.0, -3.0, 0.5]
    b[1, :] = [90.0, 90.0, -90.0, -30.0, 30.0, 0.0, 0.0, 0.5]
    return np.concatenate([a, b], axis=1)


def corrected_sparsemax(z):
    """Sparsemax along the last axis, in float64, by the corrected formula.

    Keras 3.15 (keras/src/backend/*/nn.py) computes the threshold as
    tau = (sum over the support of the *cumulative sums* - 1) / k, which is
    wrong as soon as the support has two or more elements (its rows then do
    not even sum to 1). keras-team/keras#23425 corrects it to the formula of
    Martins & Astudillo (2016):

        tau = (sum of the k largest logits - 1) / k,

    where k is the support size, the largest j with 1 + j * z_(j) > sum_{i<=j} z_(i)
    for the logits sorted in decreasing order. sepconv-gen follows the
    corrected formula, so its fixtures must too.

    The row maximum is subtracted first (sparsemax is unchanged by it), so
    that 1 + z cannot round to z for large logits.
    """
    z = np.asarray(z, dtype=np.float64)
    z = z - np.max(z, axis=-1, keepdims=True)
    z_sorted = -np.sort(-z, axis=-1)
    cumsum = np.cumsum(z_sorted, axis=-1)
    r = np.arange(1, z.shape[-1] + 1, dtype=np.float64)
    support = 1.0 + r * z_sorted > cumsum
    k = np.sum(support, axis=-1, keepdims=True)
    top_sum = np.take_along_axis(cumsum, k - 1, axis=-1)
    tau = (top_sum - 1.0) / k
    return np.maximum(z - tau, 0.0)


def bisection_sparsemax(row):
    """An independent check: tau solves sum(max(z - tau, 0)) = 1."""
    lo, hi = np.max(row) - 1.0, np.max(row)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.sum(np.maximum(row - mid, 0.0)) > 1.0:
            lo = mid
        else:
            hi = mid
    return np.maximum(row - 0.5 * (lo + hi), 0.0)


def input_for(name):
    if name in ROW_WISE:
        return row_input()
    if name == "glu":
        return glu_input()
    return elementwise_input()


def main():
    registered = set(ALL_OBJECTS_DICT) - {"threshold"}
    if registered != set(NAMES):
        sys.exit(
            "activation_fixtures.py: Keras accepts "
            f"{sorted(registered ^ set(NAMES))} differently from this script's list"
        )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        activation = keras.activations.get(name)
        for dtype in DTYPES:
            x = input_for(name).astype(dtype)
            if name == "sparsemax":
                # Keras 3.15's own output is wrong here (see corrected_sparsemax);
                # the expected values come from the corrected formula, computed
                # in float64 from the dtype's inputs and rounded to the dtype.
                y = corrected_sparsemax(x).astype(dtype)
                for row, got in zip(x.astype(np.float64), y.astype(np.float64)):
                    assert np.allclose(bisection_sparsemax(row), got, atol=1e-6), row
                buggy = np.asarray(activation(x))
                wrong = int(np.sum(np.any(np.abs(buggy - y) > 1e-6, axis=-1)))
                print(f"sparsemax {dtype}: Keras 3.15 differs from the corrected formula on {wrong} of {len(x)} rows")
            elif name == "tanh" and dtype == "float64":
                # keras.activations.tanh goes through keras.ops.tanh, whose
                # dtype promotion (backend.common.dtypes.result_type(x.dtype,
                # float)) maps float64 to float32 on every backend but
                # TensorFlow: Keras 3.15 returns float32 here, and a float64
                # SeparableConv1D with activation="tanh" returns float32.
                # sepconv-gen keeps the layer's float64, as every other
                # activation does, so the expected values come from Keras's
                # own backend tanh (backend.nn.tanh, which mish also uses),
                # which computes in float64.
                keras_output = np.asarray(activation(x))
                y = np.asarray(backend.nn.tanh(x))
                print(
                    f"tanh float64: Keras 3.15 returns {keras_output.dtype}; "
                    f"wrote backend.nn.tanh's float64 (they differ by up to "
                    f"{np.max(np.abs(keras_output.astype(np.float64) - y)):.2e})"
                )
            else:
                y = np.asarray(activation(x))
            if y.dtype != np.dtype(dtype):
                sys.exit(f"activation_fixtures.py: {name} returned {y.dtype} for {dtype} input")
            np.save(OUT_DIR / f"{name}_{dtype}_in.npy", np.ascontiguousarray(x))
            np.save(OUT_DIR / f"{name}_{dtype}_out.npy", np.ascontiguousarray(y))
    print(f"wrote {len(NAMES) * len(DTYPES) * 2} files to {OUT_DIR}")


if __name__ == "__main__":
    main()
