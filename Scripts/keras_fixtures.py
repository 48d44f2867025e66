#!/usr/bin/env python3
"""Generate sepconv-gen's Keras fixtures and example specs from real Keras 3.

Run it through Scripts/make-fixtures.sh (which pins keras==3.15.1 and
jax[cpu]==0.10.2 and sets KERAS_BACKEND=jax). Everything it writes is
deterministic: weights and inputs come from NumPy generators seeded with the
CRC-32 of the case name, and the expected outputs come from Keras on CPU.

It (re)writes, relative to the repository root:

  Tests/SepconvGenTests/Fixtures/keras/<case>/   spec.yaml, depthwise.npy,
      pointwise.npy, bias.npy (when use_bias), input.npy, expected.npy
      (+ keras_buggy.npy for sparsemax, init_*.npy for initializer cases)
  Tests/SepconvGenTests/Fixtures/keras/manifest.json
  Tests/SepconvGenTests/Fixtures/keras-rejects/<case>.yaml + manifest.json
  Specs/<name>.yaml and Specs/<name>/{depthwise,pointwise,bias,input,expected}.npy

How expected.npy is made: build keras.layers.SeparableConv1D(**args), call it
on the input (this builds it), set_weights([dw, pw, b]), call it again.

Exceptions to "expected = what Keras returns":
  * sparsemax: Keras 3.15 ships keras-team/keras#23425 (tau is computed from
    the SUM of the cumulative sums inside the support instead of the k-th
    cumulative sum). The contract (SPEC.md) follows the corrected formula, so
    for sparsemax cases expected.npy = corrected_sparsemax(Keras layer output
    with activation=None), along the last axis; keras_buggy.npy keeps what
    Keras 3.15 itself returns with activation="sparsemax".

float64: JAX silently computes float64 layers in float32 unless x64 is
enabled, so this script sets JAX_ENABLE_X64=1 before importing JAX (float32
layers compute in float32 either way).
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

# Keras messages print Python sets (e.g. "one of {'valid', 'same'}"), whose
# order depends on string hashing: pin it so the manifests are reproducible.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

if os.environ.get("KERAS_BACKEND", "jax") != "jax":
    sys.exit("keras_fixtures.py: KERAS_BACKEND must be 'jax'")
os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_ENABLE_X64"] = "1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# A private, empty Keras home so that no ~/.keras/keras.json (image_data_format,
# floatx) can change the defaults these fixtures rely on.
_KERAS_HOME = tempfile.mkdtemp(prefix="sepconv-keras-home-")
os.environ["KERAS_HOME"] = _KERAS_HOME

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import jax  # noqa: E402
import keras  # noqa: E402
from keras.src import activations as keras_activations  # noqa: E402
from keras.src.initializers.random_initializers import RandomInitializer  # noqa: E402

KERAS_VERSION = "3.15.1"
JAX_VERSION = "0.10.2"

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "Tests" / "SepconvGenTests" / "Fixtures" / "keras"
REJ = ROOT / "Tests" / "SepconvGenTests" / "Fixtures" / "keras-rejects"
SPECS = ROOT / "Specs"

# Every name keras.activations.get accepts in Keras 3.15, except `threshold`
# (it needs two extra positional arguments, so Keras cannot call it by name).
ACTIVATIONS = [
    "relu", "leaky_relu", "relu6", "softmax", "celu", "elu", "selu",
    "softplus", "softsign", "squareplus", "soft_shrink", "sparse_plus",
    "silu", "gelu", "glu", "tanh", "tanh_shrink", "sigmoid",
    "sparse_sigmoid", "exponential", "hard_sigmoid", "hard_silu",
    "hard_tanh", "hard_shrink", "linear", "mish", "log_softmax",
    "log_sigmoid", "sparsemax", "swish", "hard_swish",
]


def check_environment():
    if keras.__version__ != KERAS_VERSION or jax.__version__ != JAX_VERSION:
        sys.exit(
            f"keras_fixtures.py: need keras=={KERAS_VERSION} and "
            f"jax=={JAX_VERSION}, found keras=={keras.__version__} "
            f"jax=={jax.__version__}"
        )
    if keras.backend.backend() != "jax":
        sys.exit("keras_fixtures.py: Keras backend is not jax")
    if not jax.config.jax_enable_x64:
        sys.exit("keras_fixtures.py: jax_enable_x64 is off")
    assert keras.config.image_data_format() == "channels_last"
    assert keras.config.floatx() == "float32"
    names = set(keras_activations.ALL_OBJECTS_DICT) - {"threshold"}
    if names != set(ACTIVATIONS) or len(ACTIVATIONS) != 31:
        sys.exit(
            "keras_fixtures.py: activation list changed: "
            f"{sorted(names ^ set(ACTIVATIONS))}"
        )


# --------------------------------------------------------------------------
# YAML writing (a tiny emitter: block mappings, flow lists, plain or
# double-quoted scalars; valid YAML 1.1 for libyaml)

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./\-]*$")
_YAML11_SPECIAL = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True",
    "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    "null", "Null", "NULL", "~",
}


def yfloat(v):
    """repr() of the float (round-trips exactly); always with a '.' in the
    mantissa so that a YAML 1.1 resolver reads it as a float."""
    v = float(v)
    if not math.isfinite(v):
        raise ValueError("non-finite float in YAML")
    r = repr(v)
    if "e" in r:
        mant, exp = r.split("e")
        if "." not in mant:
            mant += ".0"
        r = mant + "e" + exp
    return r


def yscalar(v):
    if v is None:
        return "null"
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return yfloat(v)
    if isinstance(v, str):
        if _PLAIN.match(v) and v not in _YAML11_SPECIAL:
            return v
        return json.dumps(v)
    raise TypeError(f"cannot write {v!r} as a YAML scalar")


def yflow(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(yflow(x) for x in v) + "]"
    return yscalar(v)


def ymapping(d, indent=0):
    pad = " " * indent
    out = []
    for k, v in d.items():
        if isinstance(v, Raw):
            out.append(f"{pad}{k}: {v.text}")
        elif isinstance(v, BlockList):
            out.append(f"{pad}{k}:")
            for item in v.items:
                out.append(f"{pad}  - {yflow(item)}")
        elif isinstance(v, dict):
            if v:
                out.append(f"{pad}{k}:")
                out.extend(ymapping(v, indent + 2))
            else:
                out.append(f"{pad}{k}: {{}}")
        elif isinstance(v, (list, tuple, np.ndarray)):
            out.append(f"{pad}{k}: {yflow(v)}")
        else:
            out.append(f"{pad}{k}: {yscalar(v)}")
    return out


class Raw:
    """A value written verbatim (used for JSON dumps, which are YAML)."""

    def __init__(self, text):
        self.text = text


class BlockList:
    """A list written as a block sequence of flow lists."""

    def __init__(self, items):
        self.items = items


def write_yaml(path, doc, comments=()):
    lines = [f"# {c}" if c else "#" for c in comments]
    lines.extend(ymapping(doc))
    path.write_text("\n".join(lines) + "\n")


def check_json_floats(obj, where):
    """json.dumps writes floats with repr(); '1e-05' (no '.') would be a
    string, not a float, for a YAML 1.1 resolver. Refuse such dumps."""
    if isinstance(obj, float):
        r = repr(obj)
        if "e" in r and "." not in r.split("e")[0]:
            raise ValueError(f"{where}: float {r} is not a YAML 1.1 float")
    elif isinstance(obj, dict):
        for v in obj.values():
            check_json_floats(v, where)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            check_json_floats(v, where)


# --------------------------------------------------------------------------
# numerics


def np_dtype(dtype):
    return np.dtype("<f4") if dtype == "float32" else np.dtype("<f8")


def save_npy(path, arr, dtype):
    arr = np.ascontiguousarray(np.asarray(arr), dtype=np_dtype(dtype))
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{path}: non-finite values")
    np.save(path, arr, allow_pickle=False)


def sparsemax_corrected(z, axis=-1):
    """Sparsemax (Martins & Astudillo 2016) along `axis`, computed in float64.

    Sort descending, cumulative sums c_j, support k = #{j : z_(j) - (c_j - 1)/j
    > 0} (the same support test Keras uses), tau = (c_k - 1) / k,
    out = max(z - tau, 0). Keras 3.15's jax backend instead uses
    tau = (sum_{j<=k} c_j - 1) / k (keras-team/keras#23425), which only agrees
    when k == 1.
    """
    z = np.moveaxis(np.asarray(z, dtype=np.float64), axis, -1)
    zs = -np.sort(-z, axis=-1)
    cs = np.cumsum(zs, axis=-1)
    r = np.arange(1, z.shape[-1] + 1, dtype=np.float64)
    support = zs - (cs - 1.0) / r > 0
    k = support.sum(axis=-1, keepdims=True)
    ck = np.take_along_axis(cs, k - 1, axis=-1)
    tau = (ck - 1.0) / k
    out = np.maximum(z - tau, 0.0)
    return np.moveaxis(out, -1, axis)


def same_pads(steps, k, s, d):
    out = -(-steps // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - steps, 0)
    return total // 2, total - total // 2


def reference_linear(x, dw, pw, b, strides, padding, dilation, data_format):
    """Plain NumPy float64 SeparableConv1D without activation, used to check
    that Keras does what the contract says (in particular that odd 'same'
    padding puts the extra zero on the right)."""
    x = np.asarray(x, np.float64)
    if data_format == "channels_first":
        x = np.transpose(x, (0, 2, 1))
    n, steps, c = x.shape
    k, _, dm = dw.shape
    if padding == "same":
        left, right = same_pads(steps, k, strides, dilation)
    else:
        left = right = 0
    xp = np.pad(x, ((0, 0), (left, right), (0, 0)))
    span = (k - 1) * dilation + 1
    out_steps = (xp.shape[1] - span) // strides + 1
    depth = np.zeros((n, out_steps, c * dm))
    for t in range(out_steps):
        for j in range(k):
            xs = xp[:, t * strides + j * dilation, :]  # (n, c)
            depth[:, t, :] += (xs[:, :, None] * dw[j][None]).reshape(n, c * dm)
    y = depth @ np.asarray(pw[0], np.float64)
    if b is not None:
        y = y + b
    if data_format == "channels_first":
        y = np.transpose(y, (0, 2, 1))
    return y


def std_arg(v):
    return v[0] if isinstance(v, (list, tuple)) else v


# --------------------------------------------------------------------------
# building the Keras layer from a spec's `layer` mapping

RANDOM_INIT_NOTE = (
    "weights absent: every initializer that takes a seed (a subclass of "
    "keras.initializers.RandomInitializer: glorot_*, he_*, lecun_*, "
    "random_*, truncated_normal, variance_scaling, orthogonal) is built with "
    "seed=layer.seed, unless it is a config mapping whose own config.seed is "
    "set; the same seed S is used for depthwise and pointwise (and bias)"
)


def seeded_initializer(ident, seed):
    init = keras.initializers.get(ident)
    if isinstance(init, RandomInitializer) and (
        not isinstance(ident, dict)
        or (ident.get("config") or {}).get("seed") is None
    ):
        cfg = init.get_config()
        cfg["seed"] = seed
        init = type(init).from_config(cfg)
    return init


def keras_kwargs(layer, dtype, have_weights):
    kw = {k: v for k, v in layer.items() if k != "seed"}
    if "dtype" not in kw and dtype == "float64":
        kw["dtype"] = "float64"
    if not have_weights:
        seed = layer["seed"]
        for key, default in (
            ("depthwise_initializer", "glorot_uniform"),
            ("pointwise_initializer", "glorot_uniform"),
            ("bias_initializer", "zeros"),
        ):
            kw[key] = seeded_initializer(kw.get(key, default), seed)
    return kw


def jsonable_kwargs(kw):
    out = {}
    for k, v in kw.items():
        if isinstance(v, keras.initializers.Initializer):
            v = keras.initializers.serialize(v)
        out[k] = v
    return out


_KEEP = object()


def run_layer(layer, x, weights=None):
    """Call `layer` on x (building it), set_weights, call again."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # e.g. dtype truncation
        layer(x)
        if weights is not None:
            layer.set_weights(weights)
        y = np.asarray(layer(x))
    return layer, y


# --------------------------------------------------------------------------
# the fixture cases


def full(filters, kernel_size, strides=1, padding="valid",
         data_format="channels_last", dilation_rate=1, depth_multiplier=1,
         activation=None, use_bias=True):
    """A layer mapping with every geometry key written out explicitly."""
    return {
        "filters": filters,
        "kernel_size": kernel_size,
        "strides": strides,
        "padding": padding,
        "data_format": data_format,
        "dilation_rate": dilation_rate,
        "depth_multiplier": depth_multiplier,
        "activation": activation,
        "use_bias": use_bias,
    }


CASES = []


def case(name, steps, channels, layer, dtype="float32", batch=2,
         weights="npy", scales=None, note=None, layer_json=None):
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name), name
    assert name not in {c["name"] for c in CASES}, name
    CASES.append(dict(name=name, steps=steps, channels=channels,
                      layer=layer, dtype=dtype, batch=batch, weights=weights,
                      scales=scales, note=note, layer_json=layer_json))


def define_cases():
    # --- geometry: paddings, strides 1-4, dilations 1-4, combinations
    case("valid_k3", 16, 4, full(8, 3))
    case("same_k3", 16, 4, full(8, 3, padding="same"))
    case("valid_k1", 9, 3, full(5, 1))
    case("same_k1_s2", 16, 3, full(4, 1, strides=2, padding="same"),
         note="kernel 1: 'same' needs no padding")
    case("valid_s2", 17, 3, full(5, 3, strides=2))
    case("valid_s3", 20, 4, full(6, 4, strides=3))
    case("valid_s4", 23, 2, full(4, 2, strides=4), batch=3)
    case("same_s2", 15, 4, full(4, 3, strides=2, padding="same"))
    case("same_s3", 16, 3, full(5, 5, strides=3, padding="same"))
    case("same_s4", 13, 5, full(3, 3, strides=4, padding="same"))
    case("same_s4_k2_zeropad", 11, 3, full(4, 2, strides=4, padding="same"),
         note="(out-1)*s+k < steps: 'same' pads nothing")
    case("same_s3_k2_rightpad", 10, 2, full(3, 2, strides=3, padding="same"),
         note="total pad 1: all of it on the right")
    case("valid_d2", 16, 4, full(6, 3, dilation_rate=2))
    case("valid_d3", 20, 3, full(4, 3, dilation_rate=3))
    case("valid_d4", 24, 2, full(5, 4, dilation_rate=4), batch=3)
    case("same_d2", 16, 4, full(4, 3, padding="same", dilation_rate=2))
    case("same_d3", 12, 3, full(6, 2, padding="same", dilation_rate=3),
         note="odd total pad 3: left 1, right 2")
    case("same_d4", 18, 4, full(4, 3, padding="same", dilation_rate=4))
    case("same_s2_d3", 20, 4,
         full(6, 3, strides=2, padding="same", dilation_rate=3),
         note="strides>1 with dilation>1; odd total pad 5")
    case("valid_s2_d2", 19, 3, full(5, 3, strides=2, dilation_rate=2))
    case("valid_s3_d2", 25, 4, full(4, 4, strides=3, dilation_rate=2))
    case("same_s4_d4", 30, 2,
         full(3, 3, strides=4, padding="same", dilation_rate=4),
         note="odd total pad 7")
    case("valid_s4_d3", 32, 3, full(4, 3, strides=4, dilation_rate=3))
    case("same_s3_d2", 14, 4,
         full(5, 4, strides=3, padding="same", dilation_rate=2),
         note="odd total pad 5")
    case("same_k2_oddpad", 10, 3, full(4, 2, padding="same"),
         note="total pad 1, on the right")
    case("same_k4_oddpad", 12, 4, full(6, 4, padding="same"),
         note="total pad 3: left 1, right 2")
    case("same_s2_k4_oddpad", 9, 2, full(3, 4, strides=2, padding="same"),
         note="total pad 3")
    case("valid_k_eq_len", 5, 3, full(4, 5), note="kernel == steps: 1 step")
    case("same_k_eq_len", 6, 2, full(3, 6, padding="same"),
         note="kernel == steps, odd total pad 5")
    case("valid_dilated_eq_len", 7, 2, full(2, 4, dilation_rate=2),
         note="dilated span 7 == steps")
    case("same_k_gt_len", 4, 3, full(4, 7, padding="same"),
         note="kernel 7 > steps 4")
    case("same_k_gt_len_odd", 3, 2, full(3, 6, padding="same"),
         note="kernel 6 > steps 3, odd total pad 5")
    case("same_k_gt_len_s2_d2", 5, 2,
         full(3, 4, strides=2, padding="same", dilation_rate=2),
         note="dilated span 7 > steps 5")
    case("steps1_same", 1, 4, full(3, 3, padding="same"))
    case("steps1_valid_k1", 1, 3, full(2, 1), batch=3)
    # --- depth_multiplier, channel and filter extremes
    case("dm2_valid", 12, 3, full(5, 3, depth_multiplier=2))
    case("dm3_same_cf", 10, 2,
         full(4, 3, padding="same", data_format="channels_first",
              depth_multiplier=3))
    case("dm4_s2_d2_same", 21, 2,
         full(6, 3, strides=2, padding="same", dilation_rate=2,
              depth_multiplier=4))
    case("ch1_dm4", 30, 1, full(4, 5, depth_multiplier=4, activation="relu"))
    case("filters1", 10, 4, full(1, 3, padding="same"))
    case("wide_16x16", 24, 16, full(16, 5, padding="same", activation="relu"),
         batch=3)
    # --- channels_first
    case("cf_valid_k3", 14, 4, full(6, 3, data_format="channels_first"))
    case("cf_same_s2_d2", 17, 3,
         full(5, 3, strides=2, padding="same", data_format="channels_first",
              dilation_rate=2))
    case("cf_nobias_dm2", 12, 3,
         full(4, 4, padding="same", data_format="channels_first",
              depth_multiplier=2, use_bias=False))
    case("cf_valid_s3", 22, 2,
         full(3, 3, strides=3, data_format="channels_first",
              activation="tanh"), batch=3)
    # --- no bias
    case("nobias_same_k3", 16, 4, full(8, 3, padding="same", use_bias=False))
    case("nobias_valid_s2_d3", 24, 3,
         full(5, 3, strides=2, dilation_rate=3, use_bias=False,
              activation="elu"))
    # --- float64
    case("f64_valid_k3", 16, 4, full(6, 3), dtype="float64")
    case("f64_same_s2_d3_cf", 20, 3,
         full(4, 3, strides=2, padding="same", data_format="channels_first",
              dilation_rate=3), dtype="float64")
    case("f64_dm3_tanh", 12, 2,
         full(5, 3, padding="same", depth_multiplier=3, activation="tanh"),
         dtype="float64")
    case("f64_gelu_nobias", 15, 3,
         full(4, 2, strides=2, activation="gelu", use_bias=False),
         dtype="float64")
    case("f64_softmax_cf", 10, 3,
         full(4, 3, padding="same", data_format="channels_first",
              activation="softmax"), dtype="float64")
    case("f64_sparsemax", 12, 3,
         full(6, 3, padding="same", activation="sparsemax"),
         dtype="float64", scales=(0.5, 0.4, 0.3))
    case("f64_glu_cf", 16, 4,
         full(3, 3, padding="same", data_format="channels_first",
              activation="glu"), dtype="float64")
    # --- single-element list forms
    case("list_forms", 17, 3,
         full(5, [3], strides=[2], dilation_rate=[1], padding="same"))
    case("list_forms_dilated", 20, 4,
         full(6, [5], strides=[1], dilation_rate=[2], padding="valid"))
    # --- padding case (Keras lower-cases it)
    case("pad_upper_same", 14, 3, full(4, 4, padding="SAME"))
    case("pad_upper_valid", 14, 3, full(4, 4, strides=2, padding="VALID"))
    case("pad_mixed_same_s2", 15, 2, full(3, 3, strides=2, padding="Same"))
    # --- defaults left out
    case("defaults_minimal", 12, 3, {"filters": 4, "kernel_size": 3},
         note="everything else from Keras defaults: valid, channels_last, "
              "strides 1, dilation 1, depth_multiplier 1, no activation, bias")
    case("defaults_partial", 12, 3,
         {"filters": 4, "kernel_size": 3, "padding": "same",
          "activation": "relu"})
    case("defaults_cf", 11, 4,
         {"filters": 3, "kernel_size": 2, "data_format": "channels_first"})
    case("defaults_nobias", 10, 2,
         {"filters": 3, "kernel_size": 3, "use_bias": False})
    # --- medium
    case("medium_long_d2", 64, 16,
         full(16, 9, padding="same", dilation_rate=2, activation="relu6"),
         batch=2)
    case("medium_kws", 49, 10,
         full(16, 3, padding="same", activation="relu"), batch=3)
    # --- get_config dumps (JSON is YAML)
    case("getconfig_dump", 20, 6, None, weights="npy",
         layer_json=dict(filters=8, kernel_size=5, strides=1, padding="same",
                         data_format="channels_last", dilation_rate=1,
                         depth_multiplier=2, activation="elu", use_bias=True,
                         name="sep_block"))
    case("getconfig_regularized_f64", 18, 4, None, dtype="float64",
         layer_json=dict(
             filters=6, kernel_size=3, strides=2, padding="valid",
             data_format="channels_first", dilation_rate=2,
             depth_multiplier=1, activation="swish", use_bias=True,
             name="sep_reg", dtype="float64",
             depthwise_regularizer=keras.regularizers.L2(0.01),
             pointwise_regularizer=keras.regularizers.L1L2(l1=0.001, l2=0.002),
             bias_regularizer=keras.regularizers.L1(0.5),
             activity_regularizer=keras.regularizers.L2(0.25),
             depthwise_constraint=keras.constraints.MaxNorm(2.0),
             pointwise_constraint=keras.constraints.UnitNorm(),
             bias_constraint=keras.constraints.NonNeg(),
             bias_initializer="ones",
             pointwise_initializer="he_normal",
             trainable=False))
    # --- inline weights
    case("inline_small", 8, 2, full(3, 2, padding="same", activation="relu"),
         weights="inline")
    case("inline_block_nobias", 9, 3,
         full(2, 3, strides=2, depth_multiplier=2, use_bias=False),
         weights="inline_block")
    case("inline_f64_cf", 7, 2,
         full(3, 3, padding="same", data_format="channels_first"),
         dtype="float64", weights="inline")
    # --- no weights: Keras's own initializers, seeded
    seed = lambda s, d: d | {"seed": s}  # noqa: E731
    case("init_defaults", 12, 3, seed(3, {"filters": 4, "kernel_size": 3}),
         weights="none")
    case("init_glorot_uniform", 16, 4,
         seed(7, full(6, 3, padding="same")
              | {"depthwise_initializer": "glorot_uniform",
                 "pointwise_initializer": "glorot_uniform",
                 "bias_initializer": "zeros"}), weights="none")
    case("init_glorot_normal_cf", 14, 3,
         seed(11, full(5, 3, data_format="channels_first")
              | {"depthwise_initializer": "glorot_normal",
                 "pointwise_initializer": "glorot_normal"}), weights="none")
    case("init_he_normal_ones", 16, 4,
         seed(5, full(6, 3, strides=2, padding="same", activation="relu")
              | {"depthwise_initializer": "he_normal",
                 "pointwise_initializer": "he_normal",
                 "bias_initializer": "ones"}), weights="none")
    case("init_he_uniform_f64", 13, 3,
         seed(21, full(4, 2, dilation_rate=2)
              | {"depthwise_initializer": "he_uniform",
                 "pointwise_initializer": "he_uniform",
                 "bias_initializer": "zeros"}),
         dtype="float64", weights="none")
    case("init_lecun_normal_uniform", 12, 2,
         seed(8, full(4, 3, depth_multiplier=2)
              | {"depthwise_initializer": "lecun_normal",
                 "pointwise_initializer": "lecun_uniform"}), weights="none")
    case("init_random_uniform_cfg", 16, 3,
         seed(1, full(5, 3, padding="same")
              | {"depthwise_initializer": {
                     "class_name": "RandomUniform",
                     "config": {"minval": -0.75, "maxval": 0.75, "seed": 13}},
                 "pointwise_initializer": {
                     "class_name": "RandomUniform",
                     "config": {"minval": -1.0, "maxval": 1.5, "seed": 14}},
                 "bias_initializer": {
                     "class_name": "RandomUniform",
                     "config": {"minval": -0.5, "maxval": 0.5, "seed": 15}}}),
         weights="none")
    case("init_random_normal_cfg", 16, 3,
         seed(2, full(5, 3, padding="valid", dilation_rate=2)
              | {"depthwise_initializer": {
                     "class_name": "RandomNormal",
                     "config": {"mean": 0.1, "stddev": 0.6, "seed": 23}},
                 "pointwise_initializer": {
                     "class_name": "RandomNormal",
                     "config": {"mean": 0.0, "stddev": 0.8, "seed": 24}},
                 "bias_initializer": "zeros"}), weights="none")
    case("init_truncated_normal_cfg", 16, 4,
         seed(4, full(6, 3, strides=2, padding="same")
              | {"depthwise_initializer": {
                     "class_name": "TruncatedNormal",
                     "config": {"mean": 0.0, "stddev": 0.7, "seed": 31}},
                 "pointwise_initializer": {
                     "class_name": "TruncatedNormal",
                     "config": {"mean": -0.1, "stddev": 0.5, "seed": 32}},
                 "bias_initializer": {
                     "class_name": "TruncatedNormal",
                     "config": {"mean": 0.2, "stddev": 0.3, "seed": 33}}}),
         weights="none")
    case("init_variance_scaling_cfg", 15, 3,
         seed(6, full(4, 4, padding="same")
              | {"depthwise_initializer": {
                     "class_name": "VarianceScaling",
                     "config": {"scale": 2.0, "mode": "fan_out",
                                "distribution": "uniform", "seed": 41}},
                 "pointwise_initializer": {
                     "class_name": "VarianceScaling",
                     "config": {"scale": 0.5, "mode": "fan_avg",
                                "distribution": "truncated_normal",
                                "seed": 42}}}), weights="none")
    case("init_cfg_seed_from_layer", 14, 3,
         seed(17, full(4, 3, padding="same")
              | {"depthwise_initializer": {
                     "class_name": "RandomNormal",
                     "config": {"mean": 0.0, "stddev": 0.5}},
                 "pointwise_initializer": {
                     "class_name": "GlorotUniform", "config": {"seed": None}},
                 "bias_initializer": {
                     "class_name": "RandomUniform",
                     "config": {"minval": -0.3, "maxval": 0.3}}}),
         weights="none",
         note="config mappings without a seed (or seed null) take "
              "layer.seed (17)")
    case("init_orthogonal", 14, 4,
         seed(9, full(6, 3, padding="same", depth_multiplier=2)
              | {"depthwise_initializer": "orthogonal",
                 "pointwise_initializer": "orthogonal",
                 "bias_initializer": "zeros"}), weights="none")
    case("init_orthogonal_gain_cfg", 12, 3,
         seed(10, full(4, 3)
              | {"depthwise_initializer": {
                     "class_name": "Orthogonal",
                     "config": {"gain": 2.0, "seed": 51}},
                 "pointwise_initializer": "glorot_uniform"}), weights="none")
    case("init_constant", 12, 3,
         seed(12, full(4, 3, padding="same")
              | {"depthwise_initializer": {
                     "class_name": "Constant", "config": {"value": 0.25}},
                 "pointwise_initializer": "glorot_uniform",
                 "bias_initializer": {
                     "class_name": "Constant", "config": {"value": -0.5}}}),
         weights="none")
    case("init_zeros_bias_nobias_cf", 10, 2,
         seed(13, full(3, 2, data_format="channels_first", use_bias=False)
              | {"depthwise_initializer": "he_normal",
                 "pointwise_initializer": "glorot_normal",
                 "bias_initializer": "zeros"}), weights="none")
    case("init_ones_bias", 10, 2,
         seed(14, full(3, 3, padding="same")
              | {"bias_initializer": "ones"}), weights="none")

    # --- every activation name (channels_last), with varied geometry
    geoms = [
        dict(padding="same"),
        dict(strides=2, padding="valid"),
        dict(padding="same", dilation_rate=2),
        dict(padding="valid"),
        dict(strides=2, padding="same", dilation_rate=2),
    ]
    small_scale = {"exponential": (0.5, 0.4, 0.3),
                   "sparsemax": (0.5, 0.4, 0.3),
                   "softmax": (0.8, 0.8, 0.5)}
    for i, act in enumerate(ACTIVATIONS):
        g = geoms[i % len(geoms)]
        case(f"act_{act}", 16, 4, full(6, 3, activation=act, **g),
             scales=small_scale.get(act))
    case("act_null", 16, 4, full(6, 3, padding="same", activation=None))
    # --- channels_first: these act along the LAST axis of the output, i.e.
    # over steps (glu halves it: output steps must be even)
    case("act_softmax_cf", 12, 3,
         full(4, 3, padding="same", data_format="channels_first",
              activation="softmax"), scales=(0.8, 0.8, 0.5))
    case("act_log_softmax_cf", 12, 3,
         full(4, 3, strides=2, padding="same", data_format="channels_first",
              activation="log_softmax"))
    case("act_sparsemax_cf", 12, 3,
         full(4, 3, padding="same", data_format="channels_first",
              activation="sparsemax"), scales=(0.5, 0.4, 0.3))
    case("act_glu_cf", 14, 3,
         full(5, 3, padding="valid", data_format="channels_first",
              activation="glu"),
         note="output (batch, 5, 12): glu halves the steps axis to 6")
    case("act_glu_cf_s2", 16, 2,
         full(3, 3, strides=2, padding="same", data_format="channels_first",
              activation="glu"))


def case_rng(name, salt=""):
    return np.random.default_rng(zlib.crc32((name + salt).encode()))


def make_weights(rng, k, c, dm, filters, use_bias, scales=None):
    if scales is None:
        scales = (float(rng.choice([0.4, 0.7, 1.0, 1.5])),
                  float(rng.choice([0.3, 0.6, 1.0, 1.6])),
                  float(rng.choice([0.1, 0.5, 1.0, 2.0])))
    dw = rng.standard_normal((k, c, dm)) * scales[0]
    pw = rng.standard_normal((1, c * dm, filters)) * scales[1]
    b = rng.standard_normal((filters,)) * scales[2] if use_bias else None
    return dw, pw, b


def getconfig_layer(args, dtype):
    """Build a Keras layer with seed-free initializers and return
    (spec layer mapping, verbatim json.dumps(get_config()))."""
    layer = keras.layers.SeparableConv1D(**args)
    cfg = layer.get_config()
    text = json.dumps(cfg)
    check_json_floats(cfg, "get_config")
    parsed = json.loads(text)
    for key in ("depthwise_initializer", "pointwise_initializer",
                "bias_initializer"):
        assert parsed[key]["config"].get("seed") is None, key
    # The dump must rebuild the same layer.
    again = keras.layers.SeparableConv1D.from_config(json.loads(text))
    assert json.dumps(again.get_config()) == text
    return parsed, text


def input_shape_for(c, batch):
    df = (c["layer"] or {}).get("data_format", "channels_last")
    if df.lower() == "channels_first":
        return (batch, c["channels"], c["steps"])
    return (batch, c["steps"], c["channels"])


def generate_case(c):
    name, dtype = c["name"], c["dtype"]
    d = FIX / name
    d.mkdir(parents=True)
    rng = case_rng(name)
    comments = [f"sepconv-gen Keras fixture `{name}` (written by "
                "Scripts/keras_fixtures.py; do not edit)"]
    if c["note"]:
        comments.append(c["note"])

    if c["layer_json"] is not None:
        parsed, text = getconfig_layer(c["layer_json"], dtype)
        c["layer"] = parsed
        layer_yaml = Raw(text)
        comments.append("layer: verbatim json.dumps(SeparableConv1D(...)"
                        ".get_config()) from Keras " + keras.__version__)
        kw = parsed

        def new_layer(activation=_KEEP):
            cfg = json.loads(text)
            if activation is not _KEEP:
                cfg["activation"] = activation
            return keras.layers.SeparableConv1D.from_config(cfg)
    else:
        layer_yaml = c["layer"]
        kw = keras_kwargs(c["layer"], dtype, c["weights"] != "none")

        def new_layer(activation=_KEEP):
            k2 = dict(kw)
            if activation is not _KEEP:
                k2["activation"] = activation
            return keras.layers.SeparableConv1D(**k2)
    layer = c["layer"]
    have_weights = c["weights"] != "none"
    data_format = str(layer.get("data_format", "channels_last")).lower()
    act = layer.get("activation")
    xshape = input_shape_for(c, c["batch"])
    x = rng.uniform(-2.0, 2.0, size=xshape).astype(np_dtype(dtype))

    files = {}
    extra = {}
    # first call builds the layer (and, without weights, runs Keras's
    # initializers)
    probe_weights = run_layer(new_layer(), x)[0].get_weights()
    use_bias = bool(layer.get("use_bias", True))
    k = probe_weights[0].shape[0]
    dm = probe_weights[0].shape[2]
    filters = probe_weights[1].shape[2]

    if have_weights:
        dw, pw, b = make_weights(rng, k, c["channels"], dm, filters, use_bias,
                                 c["scales"])
        wl = [dw, pw] + ([b] if use_bias else [])
        wl = [w.astype(np_dtype(dtype)) for w in wl]
        for w, pw_ in zip(wl, probe_weights):
            assert w.shape == pw_.shape, (name, w.shape, pw_.shape)
    else:
        wl = [np.asarray(w) for w in probe_weights]

    # expected output from Keras (for sparsemax: the linear output, see below)
    if act == "sparsemax":
        y = run_layer(new_layer(None), x, wl)[1]
    else:
        y = run_layer(new_layer(), x, wl)[1]
    linear_y = run_layer(new_layer(None), x, wl)[1]
    if not have_weights:
        # a fresh layer with the same seeds gives the same weights
        again = run_layer(new_layer(), x)[0].get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(again, wl)), name
    if act == "sparsemax":
        keras_buggy = run_layer(new_layer(), x, wl)[1]
        y_lin = y
        y = sparsemax_corrected(y_lin, axis=-1)
        diff = float(np.max(np.abs(y - keras_buggy)))
        extra["sparsemax_max_abs_diff_keras_buggy_vs_corrected"] = diff
        save_npy(d / "keras_buggy.npy", keras_buggy, dtype)
        files["keras_buggy"] = "keras_buggy.npy"
        assert np.allclose(y.sum(-1), 1.0), name
    if act != "sparsemax" and y.dtype != np_dtype(dtype):
        # Keras 3.15's jax tanh casts float64 to float32
        # (dtypes.result_type(float64, float) -> float32): the float64 layer
        # returns float32 values. expected.npy keeps what Keras returns
        # (widened to <f8); the manifest says so and gives the distance to
        # a float64 tanh so tests can pick a float32 tolerance here.
        assert act == "tanh" and dtype == "float64", (name, y.dtype)
        extra["keras_output_dtype"] = str(y.dtype)
        extra["max_abs_diff_vs_float64_tanh"] = float(
            np.max(np.abs(np.tanh(np.asarray(linear_y, np.float64)) - y)))
        extra["note_precision"] = (
            "Keras 3.15 (jax) computes tanh in float32 for float64 inputs; "
            "expected.npy is that float32 result widened to float64")

    # check Keras against the NumPy reference (geometry, pads, bias)
    if True:
        ref = reference_linear(
            x, np.asarray(wl[0], np.float64), np.asarray(wl[1], np.float64),
            np.asarray(wl[2], np.float64) if use_bias else None,
            std_arg(layer.get("strides", 1)),
            str(layer.get("padding", "valid")).lower(),
            std_arg(layer.get("dilation_rate", 1)), data_format)
        tol = 1e-4 if dtype == "float32" else 1e-11
        err = np.max(np.abs(ref - linear_y)) / max(1.0, np.max(np.abs(ref)))
        assert ref.shape == linear_y.shape and err < tol, (name, err)
        if act in ("softmax", "log_softmax", "glu"):
            r64 = np.asarray(linear_y, np.float64)
            if act == "softmax":
                e = np.exp(r64 - r64.max(-1, keepdims=True))
                want = e / e.sum(-1, keepdims=True)
            elif act == "log_softmax":
                m = r64.max(-1, keepdims=True)
                want = r64 - m - np.log(np.exp(r64 - m).sum(-1, keepdims=True))
            else:
                a, bb = np.split(r64, 2, axis=-1)
                want = a / (1.0 + np.exp(-bb))
            assert np.allclose(want, y, atol=1e-5), name
        if act is None or act == "linear":
            assert np.array_equal(linear_y, y), name

    save_npy(d / "input.npy", x, dtype)
    save_npy(d / "expected.npy", y, dtype)
    files["input"] = "input.npy"
    files["expected"] = "expected.npy"

    doc = {"name": name, "dtype": dtype,
           "input": {"steps": c["steps"], "channels": c["channels"]},
           "layer": layer_yaml}
    if c["weights"] == "npy":
        save_npy(d / "depthwise.npy", wl[0], dtype)
        save_npy(d / "pointwise.npy", wl[1], dtype)
        wmap = {"depthwise_kernel": "depthwise.npy",
                "pointwise_kernel": "pointwise.npy"}
        files.update(depthwise="depthwise.npy", pointwise="pointwise.npy")
        if use_bias:
            save_npy(d / "bias.npy", wl[2], dtype)
            wmap["bias"] = "bias.npy"
            files["bias"] = "bias.npy"
        doc["weights"] = wmap
    elif c["weights"] in ("inline", "inline_block"):
        def lists(a):
            return np.asarray(a, np.float64).tolist()
        if c["weights"] == "inline":
            wmap = {"depthwise_kernel": lists(wl[0]),
                    "pointwise_kernel": lists(wl[1])}
            if use_bias:
                wmap["bias"] = lists(wl[2])
        else:
            wmap = {"depthwise_kernel": BlockList(lists(wl[0])),
                    "pointwise_kernel": BlockList(lists(wl[1]))}
            if use_bias:
                wmap["bias"] = BlockList(lists(wl[2]))
        doc["weights"] = wmap
        comments.append("weights inline (float repr, exact round trip)")
    else:
        comments.append("no weights: Keras's initializers with seed "
                        f"{layer['seed']} made them (see init_*.npy, "
                        "not referenced here)")
        save_npy(d / "init_depthwise.npy", wl[0], dtype)
        save_npy(d / "init_pointwise.npy", wl[1], dtype)
        files.update(init_depthwise="init_depthwise.npy",
                     init_pointwise="init_pointwise.npy")
        if use_bias:
            save_npy(d / "init_bias.npy", wl[2], dtype)
            files["init_bias"] = "init_bias.npy"
    write_yaml(d / "spec.yaml", doc, comments)
    files["spec"] = "spec.yaml"

    # round-trip check of inline values
    if c["weights"].startswith("inline"):
        for w in wl:
            flat = np.asarray(w, np.float64).ravel()
            back = np.array([float(yfloat(v)) for v in flat])
            assert np.array_equal(flat, back)

    entry = {
        "case": name,
        "dtype": dtype,
        "batch": c["batch"],
        "input_shape": list(x.shape),
        "expected_shape": list(y.shape),
        "data_format": data_format,
        "padding": str(layer.get("padding", "valid")).lower(),
        "activation": act,
        "use_bias": use_bias,
        "weights": {"npy": "npy", "inline": "inline", "inline_block": "inline",
                    "none": "keras_initializers"}[c["weights"]],
        "spec_layer": layer,
        "keras_args": jsonable_kwargs(kw),
        "max_abs_expected": float(np.max(np.abs(y))),
        "files": files,
    }
    if c["note"]:
        entry["note"] = c["note"]
    if act == "sparsemax":
        entry["expected_from"] = ("corrected sparsemax (keras-team/keras#23425)"
                                  " over the last axis of the Keras output "
                                  "with activation=None")
    entry.update(extra)
    if not have_weights:
        entry["seed_rule"] = RANDOM_INIT_NOTE
    return entry


# --------------------------------------------------------------------------
# rejects: layer arguments Keras 3 itself refuses

REJECTS = [
    # (name, steps, channels, layer, note)
    ("filters_zero", 10, 3, {"filters": 0, "kernel_size": 3}),
    ("filters_negative", 10, 3, {"filters": -1, "kernel_size": 3}),
    ("filters_float", 10, 3, {"filters": 2.5, "kernel_size": 3}),
    ("kernel_size_zero", 10, 3, {"filters": 4, "kernel_size": 0}),
    ("kernel_size_negative", 10, 3, {"filters": 4, "kernel_size": -2}),
    ("kernel_size_two_elements", 10, 3, {"filters": 4, "kernel_size": [3, 3]}),
    ("kernel_size_empty_list", 10, 3, {"filters": 4, "kernel_size": []}),
    ("kernel_size_float", 10, 3, {"filters": 4, "kernel_size": 3.0}),
    ("kernel_size_string", 10, 3, {"filters": 4, "kernel_size": "3"}),
    ("strides_zero", 10, 3, {"filters": 4, "kernel_size": 3, "strides": 0}),
    ("strides_negative", 10, 3,
     {"filters": 4, "kernel_size": 3, "strides": -1}),
    ("strides_two_elements", 10, 3,
     {"filters": 4, "kernel_size": 3, "strides": [1, 1]}),
    ("dilation_rate_zero", 10, 3,
     {"filters": 4, "kernel_size": 3, "dilation_rate": 0}),
    ("dilation_rate_two_elements", 10, 3,
     {"filters": 4, "kernel_size": 3, "dilation_rate": [2, 2]}),
    ("depth_multiplier_zero", 10, 3,
     {"filters": 4, "kernel_size": 3, "depth_multiplier": 0}),
    ("depth_multiplier_negative", 10, 3,
     {"filters": 4, "kernel_size": 3, "depth_multiplier": -3}),
    ("padding_causal", 10, 3,
     {"filters": 4, "kernel_size": 3, "padding": "causal"}),
    ("padding_full", 10, 3, {"filters": 4, "kernel_size": 3, "padding": "full"}),
    ("padding_int", 10, 12,
     {"filters": 3, "kernel_size": 4, "strides": 3, "padding": 2,
      "activation": "relu"}),
    ("data_format_channels_middle", 10, 3,
     {"filters": 4, "kernel_size": 3, "data_format": "channels_middle"}),
    ("activation_unknown_relu7", 10, 3,
     {"filters": 4, "kernel_size": 3, "activation": "relu7"}),
    ("activation_threshold", 10, 3,
     {"filters": 4, "kernel_size": 3, "activation": "threshold"}),
    ("activation_wrong_case", 10, 3,
     {"filters": 4, "kernel_size": 3, "activation": "ReLU"}),
    ("valid_kernel_longer_than_input", 4, 3,
     {"filters": 4, "kernel_size": 5, "padding": "valid"}),
    ("valid_dilated_span_too_long", 6, 3,
     {"filters": 4, "kernel_size": 3, "dilation_rate": 3, "padding": "valid"}),
    ("glu_odd_filters", 10, 3,
     {"filters": 5, "kernel_size": 3, "padding": "same", "activation": "glu"}),
    ("glu_cf_odd_steps", 9, 3,
     {"filters": 4, "kernel_size": 3, "padding": "same",
      "data_format": "channels_first", "activation": "glu"}),
    ("initializer_unknown", 10, 3,
     {"filters": 4, "kernel_size": 3,
      "depthwise_initializer": "glorot_uniformm"}),
    ("unknown_layer_key", 10, 3,
     {"filters": 4, "kernel_size": 3, "kernel_initializer": "zeros"}),
]
for _r in REJECTS:
    _r[3].setdefault("seed", 0)


def keras_attempt(layer, steps, channels, dtype="float32", raw=False):
    """Construct, build and call the layer. Returns (stage, exception|None,
    output shape, layer). raw: pass `layer` to Keras unchanged (otherwise the
    spec-only key `seed` is dropped, as for the fixtures)."""
    kw = dict(layer) if raw else keras_kwargs(layer, dtype, have_weights=True)
    df = kw.get("data_format") or "channels_last"
    df = df.lower() if isinstance(df, str) else "channels_last"
    shape = (2, channels, steps) if df == "channels_first" else (2, steps, channels)
    x = np.zeros(shape, np_dtype(dtype))
    stage = "construct"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lay = keras.layers.SeparableConv1D(**kw)
            stage = "build"
            lay.build(shape)
            stage = "call"
            y = lay(x)
        return stage, None, tuple(y.shape), lay
    except Exception as e:  # noqa: BLE001 - we record what Keras raises
        return stage, e, None, None


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(e):
    """First line of the exception's message. Keras wraps errors raised
    inside Layer.call() in 'Exception encountered when calling
    SeparableConv1D.call().' + the original message; report the original."""
    s = _ANSI.sub("", str(e)).strip()
    if s.startswith("Exception encountered when calling"):
        inner = [ln.strip() for ln in s.splitlines()[1:] if ln.strip()]
        if inner:
            return inner[0]
    return s.splitlines()[0] if s else repr(e)


def generate_rejects():
    REJ.mkdir(parents=True)
    manifest = {
        "keras_version": keras.__version__,
        "how": "each spec's layer mapping (less `seed`, a sepconv-gen key "
               "that is not a Keras argument) is passed to "
               "keras.layers.SeparableConv1D, built on (2, steps, channels) "
               "(channels_first: (2, channels, steps)) and called on zeros; "
               "stage says which step raised; message is the first line "
               "(for errors raised inside call(), the original error under "
               "Keras's 'Exception encountered when calling' wrapper)",
        "rejects": {}}
    for name, steps, channels, layer in REJECTS:
        stage, err, shape, _ = keras_attempt(layer, steps, channels)
        if err is None:
            raise SystemExit(f"reject case {name}: Keras ACCEPTED it "
                             f"(output {shape})")
        doc = {"name": name, "dtype": "float32",
               "input": {"steps": steps, "channels": channels},
               "layer": layer}
        write_yaml(REJ / f"{name}.yaml", doc, [
            f"Keras {keras.__version__} rejects this layer "
            f"({type(err).__name__} at {stage}):",
            first_line(err)[:200],
        ])
        manifest["rejects"][name] = {
            "layer": layer,
            "input": {"steps": steps, "channels": channels},
            "stage": stage,
            "exception": type(err).__name__,
            "message": first_line(err),
        }
    return manifest


# --------------------------------------------------------------------------
# findings: what Keras ACCEPTS (or does) that may surprise


def probe(layer, steps=10, channels=3, dtype="float32", raw=False):
    stage, err, shape, lay = keras_attempt(layer, steps, channels, dtype, raw)
    if err is None:
        return {"accepted": True, "output_shape": list(shape)}, lay
    return {"accepted": False, "stage": stage,
            "exception": type(err).__name__, "message": first_line(err)}, None


def findings():
    out = []

    def add(key, question, result, answer):
        out.append({"key": key, "question": question, "answer": answer,
                    "keras": result})

    base = {"filters": 4, "kernel_size": 3}
    r, _ = probe(base | {"strides": 2, "dilation_rate": 2}, steps=20)
    add("strides_with_dilation", "strides=2 with dilation_rate=2 "
        "(the docstring says incompatible)", r,
        "accepted" if r["accepted"] else "rejected")

    r, lay = probe(base | {"bias_initializer": None})
    if lay is not None:
        b = np.asarray(lay.get_weights()[2])
        r["layer.bias_initializer"] = repr(lay.bias_initializer)
        r["bias_all_zero"] = bool(np.all(b == 0))
        # (unseeded, so only facts that do not depend on the draw)
        lim = math.sqrt(6.0 / (1 + 4))  # glorot_uniform limit, shape (4,)
        r["bias_within_glorot_uniform_limit"] = bool(np.all(np.abs(b) <= lim))
    add("bias_initializer_null", "bias_initializer: null -> which "
        "initializer?", r,
        "Layer keeps None; add_weight then falls back to glorot_uniform "
        "(unseeded) for float weights, NOT zeros"
        if lay is not None and not r["bias_all_zero"] else "see keras")

    r, lay = probe(base | {"depthwise_initializer": None,
                           "pointwise_initializer": None})
    add("kernel_initializers_null", "depthwise/pointwise_initializer: null",
        r, "accepted; add_weight falls back to glorot_uniform (unseeded)"
        if r["accepted"] else "rejected")

    for act in ("ReLU", "RELU", "Relu", "Softmax"):
        r, _ = probe(base | {"activation": act})
        add(f"activation_case_{act}", f"activation {act!r} (case)", r,
            "accepted" if r["accepted"] else "rejected: names are "
            "case-sensitive")

    for df in ("CHANNELS_FIRST", "Channels_Last"):
        r, lay = probe(base | {"data_format": df})
        if lay is not None:
            r["layer.data_format"] = lay.data_format
        add(f"data_format_case_{df}", f"data_format {df!r}", r,
            "accepted, lower-cased" if r["accepted"] else "rejected")

    for p in ("SAME", "Valid"):
        r, lay = probe(base | {"padding": p})
        if lay is not None:
            r["layer.padding"] = lay.padding
        add(f"padding_case_{p}", f"padding {p!r}", r,
            "accepted, lower-cased" if r["accepted"] else "rejected")

    r, _ = probe(base | {"padding": [[1, 1]]})
    add("padding_list", "padding given as a list [[1, 1]]", r,
        "accepted" if r["accepted"] else "rejected")

    r, _ = probe(base | {"padding": 2})
    add("padding_int_doc_example", "padding=2 (the documented "
        "SeparableConv1D(3, 4, 3, 2) example)", r,
        "accepted" if r["accepted"] else "rejected")

    for key, val in (("kernel_size", True), ("strides", True),
                     ("dilation_rate", True), ("kernel_size", [3]),
                     ("kernel_size", (3,)), ("strides", [2]),
                     ("kernel_size", 3.0), ("filters", 4.0),
                     ("depth_multiplier", 2.0), ("filters", None),
                     ("depth_multiplier", None), ("filters", True)):
        r, lay = probe(base | {key: val})
        if lay is not None:
            r[f"layer.{key}"] = repr(getattr(lay, key))
        add(f"{key}_{type(val).__name__}_{val}".replace(" ", ""),
            f"{key}={val!r}", r, "accepted" if r["accepted"] else "rejected")

    for ub in (None, "false", 0):
        r, lay = probe(base | {"use_bias": ub})
        if lay is not None:
            r["has_bias"] = lay.bias is not None
        add(f"use_bias_{ub}", f"use_bias={ub!r}", r,
            ("accepted; bias present" if r.get("has_bias") else
             "accepted; no bias") if r["accepted"] else "rejected")

    # activation null vs linear
    x = case_rng("findings").uniform(-2, 2, (2, 10, 3)).astype("float32")
    ys = []
    for act in (None, "linear"):
        lay = keras.layers.SeparableConv1D(4, 3, activation=act)
        lay(x)
        lay.set_weights([np.full(w.shape, 0.3, "float32")
                         for w in lay.get_weights()])
        ys.append(np.asarray(lay(x)))
    add("activation_null_vs_linear", "activation null vs 'linear'",
        {"accepted": True, "identical": bool(np.array_equal(*ys)),
         "get_config_activation_for_null":
             keras.layers.SeparableConv1D(4, 3).get_config()["activation"]},
        "both identity; get_config() writes null as 'linear'")

    # activation given as a serialized mapping
    r, _ = probe(base | {"activation": {
        "module": "keras.activations", "class_name": "function",
        "config": "relu", "registered_name": "relu"}})
    add("activation_mapping", "activation as a serialized function mapping",
        r, "accepted" if r["accepted"] else "rejected")

    for ini in ("GlorotUniform", "Glorot_Uniform", "HeNormal", "constant",
                "identity"):
        r, _ = probe(base | {"depthwise_initializer": ini})
        add(f"initializer_name_{ini}", f"depthwise_initializer {ini!r}", r,
            "accepted" if r["accepted"] else "rejected")

    r, _ = probe(base | {"depthwise_initializer": {
        "class_name": "RandomUniform", "config": {"seed": 3}}})
    add("initializer_mapping_without_module",
        "initializer mapping with only class_name/config", r,
        "accepted" if r["accepted"] else "rejected")

    r, _ = probe(base | {"seed": 0}, raw=True)
    add("seed_kwarg", "seed=0 passed to SeparableConv1D", r,
        "rejected: `seed` is a sepconv-gen spec key, not a Keras argument; "
        "the fixtures pass it to the initializers instead"
        if not r["accepted"] else "accepted")

    for dt in ("float16", "bfloat16", "mixed_float16"):
        r, _ = probe(base | {"dtype": dt})
        add(f"dtype_{dt}", f"layer dtype {dt!r}", r,
            "accepted by Keras (SPEC.md allows only float32/float64)"
            if r["accepted"] else "rejected")

    r, _ = probe(base | {"padding": "same", "kernel_size": 7}, steps=4)
    add("same_kernel_longer_than_input", "'same' with kernel 7 > steps 4", r,
        "accepted" if r["accepted"] else "rejected")
    r, _ = probe(base | {"kernel_size": 5}, steps=5)
    add("valid_kernel_equal_input", "'valid' with kernel == steps 5", r,
        "accepted" if r["accepted"] else "rejected")

    r, _ = probe(base | {"filters": 4, "activation": "glu",
                         "data_format": "channels_first", "padding": "same"},
                 steps=8)
    add("glu_channels_first", "glu with channels_first (filters 4, steps 8)",
        r, "acts on the last axis (steps), halving it")

    # float64 without x64: run in a subprocess
    code = ("import numpy as np, keras, warnings\n"
            "warnings.simplefilter('ignore')\n"
            "l = keras.layers.SeparableConv1D(3, 3, dtype='float64')\n"
            "y = l(np.zeros((1, 8, 2)))\n"
            "print(str(y.dtype), l.weights[0].dtype)\n")
    env = dict(os.environ, JAX_ENABLE_X64="0", KERAS_HOME=_KERAS_HOME)
    p = subprocess.run([sys.executable, "-c", code], env=env,
                       capture_output=True, text=True)
    add("float64_without_x64", "dtype float64 with JAX x64 disabled (jax "
        "default)", {"accepted": p.returncode == 0,
                     "output_and_weight_dtype": p.stdout.strip()},
        "Keras reports float64 variables but JAX computes and returns float32 "
        "(with a UserWarning); the fixtures enable JAX_ENABLE_X64")

    # tanh on float64
    lay = keras.layers.SeparableConv1D(4, 3, activation="tanh",
                                       dtype="float64")
    y = lay(np.zeros((1, 8, 3), "float64"))
    other = sorted(
        a for a in set(keras_activations.ALL_OBJECTS_DICT) - {"threshold"}
        if str(keras.activations.get(a)(np.zeros((2, 4), "float64")).dtype)
        != "float64")
    add("tanh_float64", "activation tanh on a float64 layer",
        {"accepted": True, "output_dtype": str(y.dtype),
         "activations_not_returning_float64": other},
        "Keras 3.15 (jax) computes tanh in float32 for float64 input "
        "(dtypes.result_type(float64, float) gives float32); f64_dm3_tanh's "
        "expected.npy is that float32 result, see its manifest entry")

    cfg = keras.layers.SeparableConv1D(4, 3).get_config()
    add("get_config_initializer_shape",
        "what get_config() writes for the default initializers",
        {"accepted": True,
         "depthwise_initializer": cfg["depthwise_initializer"],
         "bias_initializer": cfg["bias_initializer"],
         "dtype": cfg["dtype"], "keys": sorted(cfg)},
        "VarianceScaling-family configs carry seed, input_axes and "
        "output_axes (null by default); dtype is a DTypePolicy mapping")

    # sparsemax bug
    z = np.array([[1.0, 0.9, 0.1, -1.0]])
    buggy = np.asarray(keras.activations.sparsemax(z))
    add("sparsemax_bug", "keras.activations.sparsemax([1.0, 0.9, 0.1, -1.0])",
        {"keras": buggy.tolist()[0],
         "corrected": sparsemax_corrected(z).tolist()[0],
         "keras_sum": float(buggy.sum())},
        "Keras 3.15 output does not sum to 1 (keras-team/keras#23425)")
    return out


# --------------------------------------------------------------------------
# Specs/: realistic examples

SPEC_DEFS = [
    dict(name="kws_block1", steps=49, channels=10, batch=2,
         layer=full(16, 3, padding="same", activation="relu"),
         comments=["Keyword spotting: first separable block over 49 frames x "
                   "10 MFCCs."]),
    dict(name="ecg_block", steps=187, channels=1, batch=2,
         layer=full(8, 7, padding="valid", depth_multiplier=4,
                    activation="relu6"),
         comments=["Sensor/ECG: one heartbeat window of 187 samples, one "
                   "lead; depth_multiplier 4 gives 4 filters per lead before "
                   "the pointwise mix."]),
    dict(name="audio_cf", steps=101, channels=40, batch=2,
         layer=full(32, 5, strides=2, padding="same",
                    data_format="channels_first", activation="swish"),
         comments=["Audio, channels_first: 40 mel bins x 101 frames, "
                   "stride 2 in time."]),
    dict(name="strided_dilated", steps=64, channels=8, batch=2,
         layer=full(12, 3, strides=2, padding="same", dilation_rate=3,
                    activation="gelu"),
         comments=["Strides 2 together with dilation 3 (Keras 3 runs it, "
                   "whatever its docstring says)."]),
    dict(name="keras_config", steps=32, channels=6, batch=2,
         layer_json=dict(filters=8, kernel_size=5, strides=1, padding="same",
                         data_format="channels_last", dilation_rate=1,
                         depth_multiplier=1, activation="elu", use_bias=True,
                         name="block2_sepconv"),
         comments=["layer: the verbatim json.dumps(layer.get_config()) of a "
                   "Keras 3.15.1 SeparableConv1D (JSON is YAML)."]),
    dict(name="keras_doc_example", steps=10, channels=12, batch=4,
         layer={"depth_multiplier": 3, "filters": 4, "kernel_size": 3,
                "strides": 2, "activation": "relu"},
         input_kind="rand01",
         comments=[
             "The Keras documentation example, as it was meant:",
             "  x = np.random.rand(4, 10, 12)",
             "  y = keras.layers.SeparableConv1D(3, 4, 3, 2, activation='relu')(x)",
             "  print(y.shape)  # (4, 4, 4)",
             "Read positionally against SeparableConv1D(filters, kernel_size, "
             "strides, padding) this",
             "passes padding=2, which Keras rejects ('int' object has no "
             "attribute 'lower'); and with",
             "filters=3 the last output axis could never be 4. The four "
             "numbers follow the order of",
             "the base class BaseSeparableConv(rank, depth_multiplier, "
             "filters, kernel_size, strides):",
             "depth_multiplier=3, filters=4, kernel_size=3, strides=2. With "
             "the default 'valid'",
             "padding: floor((10 - 3) / 2) + 1 = 4 steps, 4 filters -> "
             "(4, 4, 4), as documented",
             "(checked against Keras 3.15.1 by Scripts/keras_fixtures.py). "
             "The same reading fits",
             "the sibling examples SeparableConv2D(3, 4, 3, 2) -> (4, 4, 4, "
             "4) and DepthwiseConv1D(3, 3, 2) -> (4, 4, 36).",
             "Defaults (padding valid, channels_last, dilation 1, bias) are "
             "left out on purpose.",
         ]),
]


def generate_specs():
    SPECS.mkdir(parents=True, exist_ok=True)
    results = {}
    for s in SPEC_DEFS:
        name = s["name"]
        folder = SPECS / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        rng = case_rng(name, "spec")
        comments = [f"sepconv-gen example spec `{name}` (weights written by "
                    "Scripts/keras_fixtures.py)"] + s["comments"]
        if "layer_json" in s:
            layer, text = getconfig_layer(s["layer_json"], "float32")
            layer_yaml = Raw(text)
        else:
            layer = s["layer"]
            layer_yaml = layer
            text = None
        df = layer.get("data_format", "channels_last")
        b = s["batch"]
        shape = ((b, s["channels"], s["steps"]) if df == "channels_first"
                 else (b, s["steps"], s["channels"]))
        if s.get("input_kind") == "rand01":
            x = rng.random(shape).astype("<f4")
        else:
            x = rng.uniform(-2, 2, shape).astype("<f4")
        if text is not None:
            lay = keras.layers.SeparableConv1D.from_config(json.loads(text))
        else:
            lay = keras.layers.SeparableConv1D(**keras_kwargs(layer, "float32",
                                                              True))
        lay(x)
        shapes = [w.shape for w in lay.get_weights()]
        k, c, dm = shapes[0]
        fan = k * 1 + dm
        dw = rng.standard_normal(shapes[0]) * math.sqrt(2.0 / fan) * 1.5
        pw = rng.standard_normal(shapes[1]) * math.sqrt(
            2.0 / (shapes[1][1] + shapes[1][2])) * 1.5
        ws = [dw, pw]
        if len(shapes) == 3:
            ws.append(rng.standard_normal(shapes[2]) * 0.2)
        ws = [w.astype("<f4") for w in ws]
        lay.set_weights(ws)
        y = np.asarray(lay(x))
        if name == "keras_doc_example":
            assert y.shape == (4, 4, 4), y.shape
            # the same reading of the sibling docstring examples
            y2 = keras.layers.SeparableConv2D(
                depth_multiplier=3, filters=4, kernel_size=3, strides=2,
                activation="relu")(np.zeros((4, 10, 10, 12), "float32"))
            assert tuple(y2.shape) == (4, 4, 4, 4), y2.shape
            y3 = keras.layers.DepthwiseConv1D(
                depth_multiplier=3, kernel_size=3, strides=2,
                activation="relu")(np.zeros((4, 10, 12), "float32"))
            assert tuple(y3.shape) == (4, 4, 36), y3.shape
        save_npy(folder / "depthwise.npy", ws[0], "float32")
        save_npy(folder / "pointwise.npy", ws[1], "float32")
        wmap = {"depthwise_kernel": f"{name}/depthwise.npy",
                "pointwise_kernel": f"{name}/pointwise.npy"}
        if len(ws) == 3:
            save_npy(folder / "bias.npy", ws[2], "float32")
            wmap["bias"] = f"{name}/bias.npy"
        save_npy(folder / "input.npy", x, "float32")
        save_npy(folder / "expected.npy", y, "float32")
        doc = {"name": name, "dtype": "float32",
               "input": {"steps": s["steps"], "channels": s["channels"]},
               "layer": layer_yaml, "weights": wmap}
        comments.append(f"Test data: {name}/input.npy {list(x.shape)} -> "
                        f"{name}/expected.npy {list(y.shape)} (Keras "
                        f"{keras.__version__} output).")
        write_yaml(SPECS / f"{name}.yaml", doc, comments)
        results[name] = {"input_shape": list(x.shape),
                         "expected_shape": list(y.shape),
                         "max_abs_expected": float(np.max(np.abs(y)))}
    return results


# --------------------------------------------------------------------------


def main():
    check_environment()
    for d in (FIX, REJ):
        if d.exists():
            shutil.rmtree(d)
    FIX.mkdir(parents=True)
    define_cases()
    entries = [generate_case(c) for c in CASES]
    manifest = {
        "generator": "Scripts/keras_fixtures.py",
        "keras_version": keras.__version__,
        "jax_version": jax.__version__,
        "backend": "jax (CPU, JAX_ENABLE_X64=1)",
        "how": "expected.npy = SeparableConv1D(**keras_args) called on "
               "input.npy after set_weights([depthwise, pointwise, bias]); "
               "sparsemax cases use the corrected sparsemax "
               "(keras-team/keras#23425) on the activation=None output, and "
               "keep Keras's own result in keras_buggy.npy",
        "count": len(entries),
        "cases": entries,
    }
    (FIX / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")

    rej = generate_rejects()
    found = findings()
    rej["keras_accepts_or_does"] = found
    (REJ / "manifest.json").write_text(json.dumps(rej, indent=1) + "\n")

    specs = generate_specs()

    print(f"fixtures: {len(entries)} cases in {FIX.relative_to(ROOT)}")
    sm = [e for e in entries if e["activation"] == "sparsemax"]
    for e in sm:
        print(f"  {e['case']}: sparsemax |keras_buggy - corrected|max = "
              f"{e['sparsemax_max_abs_diff_keras_buggy_vs_corrected']:.6g}")
    print(f"rejects: {len(rej['rejects'])} specs in {REJ.relative_to(ROOT)}")
    for name, r in rej["rejects"].items():
        print(f"  {name}: {r['exception']} at {r['stage']}: "
              f"{r['message'][:150]}")
    print(f"specs: {', '.join(specs)} in {SPECS.relative_to(ROOT)}")
    for n, r in specs.items():
        print(f"  {n}: {r['input_shape']} -> {r['expected_shape']}")
    print("findings (what Keras accepts / does):")
    for f in found:
        k = f["keras"]
        if "accepted" in k and not k["accepted"]:
            detail = f"REJECTED {k.get('exception')}: {k.get('message', '')[:120]}"
        elif "output_shape" in k:
            detail = f"accepted, output {k['output_shape']}"
        else:
            detail = json.dumps({a: b for a, b in k.items()})[:200]
        print(f"  - {f['question']}: {detail}")
        print(f"      => {f['answer']}")
    shutil.rmtree(_KERAS_HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
