#!/usr/bin/env python3
"""Generate sepconv-gen's Keras *network* fixtures (SPEC.md section 8) with real Keras 3.

Run with a Keras 3 environment (written with keras 3.15.1 and the TensorFlow
backend: KERAS_BACKEND=tensorflow /work/venv-tf/bin/python Scripts/network_fixtures.py).
Every weight, moving statistic and input comes from NumPy generators seeded
with the CRC-32 of the case name; every expected output comes from Keras on CPU.

It (re)writes Tests/SepconvGenTests/Fixtures/networks/:

  <case>.keras, <case>.h5     the model, model.save(...) in both formats
  <case>/<range>/input.npy    a seeded batch of inputs for the layers first..last
  <case>/<range>/output.npy   Keras's output of those layers, called one after the other
                              (inference mode: Dropout and noise do nothing)
  (cases: kws, imu, f64, ecg (a causal Conv1D stem), imu_dw (DepthwiseConv1D and Dense heads),
   and channels_first: kws_cf, ecg_cf (Conv1D, DepthwiseConv1D, pooling, ZeroPadding1D, Flatten),
   mixed_cf (formats mixed in one chain), f64_cf, steps_cf (Conv1D and DepthwiseConv1D activations along the steps))
                              A streamed range's output.npy is Keras's; a channels_first
                              stream gives its frames (steps) in turn, its transpose.
  reject_unsupported.keras    a chain with an UpSampling1D (not supported) at position 2
  reject_fork.keras           a Functional model whose layer feeds two layers (a fork)
  damaged_huge.keras          kws.keras with conv1's recorded input steps set to 2**31
  damaged_cycle.keras         imu.keras with sep_a reading probs: the layers form a cycle
  manifest.json               per case: files, dtype, and per range: first, last
                              (null: the model's own ends), input and output shapes,
                              whether the range streams (`streaming: true`)
"""

import json
import os
import shutil
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="sepconv-keras-home-")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixture_weights import randomize  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "SepconvGenTests" / "Fixtures" / "networks"
BATCH = 3


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


# ---------------------------------------------------------------- the models

def kws():
    """A DS-CNN keyword spotter: three SeparableConv1D+BatchNormalization+ReLU blocks."""
    return keras.Sequential([
        keras.Input((49, 10)),
        layers.SeparableConv1D(16, 3, padding="same", name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
        layers.SeparableConv1D(16, 3, padding="same", name="conv2"),
        layers.BatchNormalization(name="bn2"),
        layers.ReLU(name="relu2"),
        layers.SeparableConv1D(24, 3, strides=2, padding="same", name="conv3"),
        layers.BatchNormalization(name="bn3"),
        layers.ReLU(name="relu3"),
        layers.GlobalAveragePooling1D(name="gap"),
        layers.Dense(6, name="dense"),
        layers.Softmax(name="softmax"),
    ], name="kws")


def imu():
    """An IMU/ECG-like classifier as a Functional chain: pooling, Dropout, padding, a Dense head."""
    x = keras.Input((64, 6), name="imu")
    y = layers.SeparableConv1D(8, 5, activation="relu", name="sep_a")(x)
    y = layers.MaxPooling1D(2, name="max_pool")(y)
    y = layers.Dropout(0.3, name="drop")(y)
    y = layers.SeparableConv1D(12, 3, padding="same", depth_multiplier=2, name="sep_b")(y)
    y = layers.BatchNormalization(epsilon=0.01, name="bn_b")(y)
    y = layers.LeakyReLU(negative_slope=0.1, name="leaky")(y)
    y = layers.AveragePooling1D(3, strides=2, padding="same", name="avg_pool")(y)
    y = layers.SpatialDropout1D(0.2, name="sdrop")(y)
    y = layers.ReLU(threshold=0.05, name="relu_t")(y)
    y = layers.ZeroPadding1D((1, 2), name="zpad")(y)
    y = layers.SeparableConv1D(8, 3, dilation_rate=2, name="sep_c")(y)
    y = layers.BatchNormalization(name="bn_c")(y)
    y = layers.ELU(alpha=0.7, name="elu")(y)
    y = layers.MaxPooling1D(3, strides=2, padding="same", name="max_pool_same")(y)
    y = layers.GaussianNoise(0.1, name="noise")(y)
    y = layers.Flatten(name="flat")(y)
    y = layers.Dense(16, activation="tanh", name="hidden")(y)
    y = layers.Dropout(0.5, name="drop2")(y)
    y = layers.Dense(5, name="logits")(y)
    y = layers.Activation("softmax", name="probs")(y)
    return keras.Model(x, y, name="imu")


def f64():
    """A float64 model: Dense on the last axis of a sequence, Reshape, global max pooling with keepdims."""
    keras.config.set_floatx("float64")
    try:
        return keras.Sequential([
            keras.Input((20, 4), dtype="float64"),
            layers.SeparableConv1D(6, 4, strides=2, padding="valid", name="sep"),
            layers.BatchNormalization(name="bn"),
            layers.Activation("gelu", name="act"),
            layers.Dense(5, activation="sigmoid", name="per_step"),
            layers.GlobalMaxPooling1D(keepdims=True, name="gmp"),
            layers.Reshape((5, 1), name="reshape"),
            layers.AveragePooling1D(2, name="avg"),
            layers.Flatten(name="flat"),
            layers.Dense(3, name="out"),
        ], name="f64")
    finally:
        keras.config.set_floatx("float32")


def ecg():
    """An ECG classifier: a causal Conv1D stem, strided and dilated Conv1Ds, pooling, a Dense head."""
    return keras.Sequential([
        keras.Input((96, 1)),
        layers.Conv1D(8, 7, padding="causal", name="stem"),
        layers.BatchNormalization(name="bn_stem"),
        layers.ReLU(name="relu_stem"),
        layers.MaxPooling1D(2, name="pool1"),
        layers.Conv1D(12, 5, strides=2, padding="same", name="conv2"),
        layers.BatchNormalization(name="bn2"),
        layers.ReLU(name="relu2"),
        layers.AveragePooling1D(2, padding="same", name="pool2"),
        layers.Conv1D(16, 3, dilation_rate=2, activation="relu", name="conv3"),
        layers.GlobalAveragePooling1D(name="gap"),
        layers.Dense(4, name="dense"),
        layers.Softmax(name="softmax"),
    ], name="ecg")


def imu_dw():
    """An IMU model: DepthwiseConv1D blocks (depth multiplier, strides, dilation) and Dense heads."""
    x = keras.Input((50, 6), name="motion")
    y = layers.DepthwiseConv1D(5, depth_multiplier=2, padding="same", name="dw1")(x)
    y = layers.BatchNormalization(name="bn1")(y)
    y = layers.ReLU(name="relu1")(y)
    y = layers.Conv1D(16, 1, name="mix1")(y)
    y = layers.DepthwiseConv1D(3, strides=2, name="dw2")(y)
    y = layers.ELU(name="elu2")(y)
    y = layers.DepthwiseConv1D(3, dilation_rate=2, padding="same", use_bias=False, name="dw3")(y)
    y = layers.GlobalMaxPooling1D(name="gmp")(y)
    y = layers.Dense(24, activation="relu", name="head")(y)
    y = layers.Dense(5, name="logits")(y)
    y = layers.Softmax(name="probs")(y)
    return keras.Model(x, y, name="imu_dw")


def kws_cf():
    """The DS-CNN keyword spotter channels_first: BatchNormalization on axis 1, the input (10, 49)."""
    cf = "channels_first"
    return keras.Sequential([
        keras.Input((10, 49)),
        layers.SeparableConv1D(16, 3, padding="same", data_format=cf, name="conv1"),
        layers.BatchNormalization(axis=1, name="bn1"),
        layers.ReLU(name="relu1"),
        layers.SeparableConv1D(16, 3, padding="same", data_format=cf, name="conv2"),
        layers.BatchNormalization(axis=1, name="bn2"),
        layers.ReLU(name="relu2"),
        layers.SeparableConv1D(24, 3, strides=2, padding="same", data_format=cf, name="conv3"),
        layers.BatchNormalization(axis=1, name="bn3"),
        layers.ReLU(name="relu3"),
        layers.GlobalAveragePooling1D(data_format=cf, name="gap"),
        layers.Dense(6, name="dense"),
        layers.Softmax(name="softmax"),
    ], name="kws_cf")


def ecg_cf():
    """channels_first Conv1D, DepthwiseConv1D, pooling, ZeroPadding1D, GlobalMaxPooling1D(keepdims), Flatten, Dense."""
    cf = "channels_first"
    return keras.Sequential([
        keras.Input((2, 64)),
        layers.Conv1D(8, 5, padding="causal", data_format=cf, name="stem"),
        layers.BatchNormalization(axis=1, name="bn_stem"),
        layers.ReLU(name="relu_stem"),
        layers.MaxPooling1D(2, data_format=cf, name="pool1"),
        # Not strided: TensorFlow 2.21 on CPU computes a strided channels_first DepthwiseConv1D wrongly for some
        # shapes (8 channels x 2, 32 steps, strides 2 differ from the channels_last layer by 2.5), and the outputs here are TF's.
        layers.DepthwiseConv1D(3, padding="same", depth_multiplier=2, data_format=cf, name="dw"),
        layers.BatchNormalization(axis=-2, name="bn_dw"),
        layers.AveragePooling1D(3, strides=2, padding="same", data_format=cf, name="pool2"),
        layers.ZeroPadding1D((2, 1), data_format=cf, name="zpad"),
        layers.Conv1D(12, 3, dilation_rate=2, activation="relu", data_format=cf, name="conv3"),
        layers.GlobalMaxPooling1D(data_format=cf, keepdims=True, name="gmp"),
        layers.Flatten(data_format=cf, name="flat"),
        layers.Dense(4, name="dense"),
        layers.Softmax(name="softmax"),
    ], name="ecg_cf")


def mixed_cf():
    """Formats mixed as Keras allows: Dense, BatchNormalization(axis=-1), Softmax on the steps of a
    channels_first tensor, a channels_last Conv1D after it, Softmax(axis=1) and Flatten(channels_first)
    of a channels_last tensor."""
    x = keras.Input((12, 20), name="frames")
    y = layers.SeparableConv1D(8, 3, data_format="channels_first", name="sep")(x)
    y = layers.BatchNormalization(axis=-1, name="bn_steps")(y)
    y = layers.Softmax(name="soft_steps")(y)
    y = layers.Dense(6, name="per_channel")(y)
    y = layers.Conv1D(4, 3, name="conv_cl")(y)
    y = layers.Softmax(axis=1, name="soft_axis1")(y)
    y = layers.Flatten(data_format="channels_first", name="flat_cf")(y)
    y = layers.Dense(3, name="out")(y)
    return keras.Model(x, y, name="mixed_cf")


def f64_cf():
    """A float64 channels_first model: a strided SeparableConv1D, BatchNormalization, gelu, pooling, a Dense head."""
    keras.config.set_floatx("float64")
    cf = "channels_first"
    try:
        return keras.Sequential([
            keras.Input((4, 21), dtype="float64"),
            layers.SeparableConv1D(6, 4, strides=2, padding="same", data_format=cf, name="sep"),
            layers.BatchNormalization(axis=1, name="bn"),
            layers.Activation("gelu", name="act"),
            layers.AveragePooling1D(2, data_format=cf, name="avg"),
            layers.GlobalAveragePooling1D(data_format=cf, name="gap"),
            layers.BatchNormalization(axis=1, name="bn_head"),  # axis 1 of a vector: its last
            layers.Dense(3, name="out"),
        ], name="f64_cf")
    finally:
        keras.config.set_floatx("float32")


def steps_cf():
    """channels_first Conv1D and DepthwiseConv1D whose activations act along the last axis, the steps
    (softmax, log_softmax), as Keras applies them; pooling and a Dense head after them."""
    cf = "channels_first"
    return keras.Sequential([
        keras.Input((3, 16)),
        layers.Conv1D(4, 3, padding="same", activation="softmax", data_format=cf, name="conv_soft"),
        layers.DepthwiseConv1D(3, depth_multiplier=2, activation="log_softmax", data_format=cf, name="dw_log"),
        layers.GlobalAveragePooling1D(data_format=cf, name="gap"),
        layers.Dense(2, name="out"),
    ], name="steps_cf")


def reject_unsupported():
    return keras.Sequential([
        keras.Input((16, 3)),
        layers.SeparableConv1D(4, 3, name="sep"),
        layers.UpSampling1D(2, name="upsample"),
        layers.GlobalAveragePooling1D(name="gap"),
    ], name="reject_unsupported")


def reject_fork():
    x = keras.Input((16, 3), name="signal")
    a = layers.SeparableConv1D(4, 3, padding="same", name="sep")(x)
    b = layers.ReLU(name="relu")(a)
    c = layers.Add(name="add")([a, b])
    return keras.Model(x, c, name="reject_fork")


# Per case: the builder and the ranges (first, last) whose outputs are recorded.
CASES = {
    "kws": (kws, [(None, None), ("conv2", "gap"), ("bn2", "dense"), (None, "relu3")]),
    # The last three: a stream's edge cases (a lone 'valid' pool, whose flush only resets; a pool then
    # per-frame steps; a lone activation).
    "imu": (imu, [(None, None), ("max_pool", "bn_b"), ("sep_c", "flat"), (None, "max_pool_same"),
                  ("max_pool", "max_pool"), ("avg_pool", "relu_t"), ("relu_t", "relu_t")]),
    "f64": (f64, [(None, None), ("per_step", "out"), (None, "act")]),
    "ecg": (ecg, [(None, None), (None, "conv3"), ("conv2", "dense")]),
    "imu_dw": (imu_dw, [(None, None), (None, "dw3"), ("dw2", "probs")]),
    "kws_cf": (kws_cf, [(None, None), ("conv2", "gap"), (None, "relu3")]),
    "ecg_cf": (ecg_cf, [(None, None), (None, "conv3"), ("dw", "dense")]),
    "mixed_cf": (mixed_cf, [(None, None), ("bn_steps", "conv_cl")]),
    "f64_cf": (f64_cf, [(None, None), (None, "avg")]),
    "steps_cf": (steps_cf, [(None, None), (None, "conv_soft")]),
}
FLOAT64 = {"f64", "f64_cf"}
# The ranges that stream (SPEC section 8: every layer a convolution, pooling,
# padding, BatchNormalization, an activation along channels or the dropout
# family); their Keras outputs are what a stream of the range's input gives.
STREAMED = {("kws", None, "relu3"), ("imu", "max_pool", "bn_b"), ("imu", None, "max_pool_same"), ("f64", None, "act"),
            ("imu", "max_pool", "max_pool"), ("imu", "avg_pool", "relu_t"), ("imu", "relu_t", "relu_t"),
            ("ecg", None, "conv3"), ("imu_dw", None, "dw3"),
            ("kws_cf", None, "relu3"), ("ecg_cf", None, "conv3"), ("f64_cf", None, "avg")}
REJECTS = {"reject_unsupported": reject_unsupported, "reject_fork": reject_fork}


def chain(model):
    return [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]


def record(model, first, last, rng, dtype):
    ordered = chain(model)
    names = [layer.name for layer in ordered]
    start = names.index(first) if first else 0
    end = names.index(last) if last else len(ordered) - 1
    part = ordered[start:end + 1]
    shape = part[0].input.shape[1:]
    x = rng.normal(0.0, 1.0, (BATCH,) + tuple(shape)).astype(dtype)
    y = x
    for layer in part:
        y = layer(y, training=False)
    return x, np.asarray(keras.ops.convert_to_numpy(y)).astype(dtype)


def rewrite_config(source, target, change):
    """A copy of the .keras archive `source` whose config.json `change` has edited."""
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(entries["config.json"])
    change(config)
    entries["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def layer_config(config, name):
    return next(layer for layer in config["config"]["layers"] if layer.get("name", layer["config"].get("name")) == name)


def huge(config):
    layer_config(config, "conv1")["build_config"]["input_shape"][1] = 2 ** 31


def cycle(config):
    history = layer_config(config, "sep_a")["inbound_nodes"][0]["args"][0]["config"]["keras_history"]
    history[0] = "probs"


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    manifest = {}
    for case, (builder, ranges) in CASES.items():
        keras.backend.clear_session()
        rng = rng_for(case)
        model = builder()
        randomize(model, rng)
        model.save(OUT / f"{case}.keras")
        model.save(OUT / f"{case}.h5")
        dtype = "float64" if case in FLOAT64 else "float32"
        entries = []
        for first, last in ranges:
            label = f"{first or 'start'}-{last or 'end'}"
            x, y = record(model, first, last, rng, dtype)
            folder = OUT / case / label
            folder.mkdir(parents=True)
            np.save(folder / "input.npy", x)
            np.save(folder / "output.npy", y)
            entries.append({"range": label, "first": first, "last": last, "streams": (case, first, last) in STREAMED,
                            "input_shape": list(x.shape[1:]), "output_shape": list(y.shape[1:])})
        manifest[case] = {"models": [f"{case}.keras", f"{case}.h5"], "dtype": dtype, "ranges": entries}
    for case, builder in REJECTS.items():
        keras.backend.clear_session()
        model = builder()
        randomize(model, rng_for(case))
        model.save(OUT / f"{case}.keras")
    rewrite_config(OUT / "kws.keras", OUT / "damaged_huge.keras", huge)
    rewrite_config(OUT / "imu.keras", OUT / "damaged_cycle.keras", cycle)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
