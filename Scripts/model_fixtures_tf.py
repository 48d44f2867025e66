#!/usr/bin/env python3
"""tf.keras 2 legacy `.h5` model fixtures for sepconv-gen (Keras 2 layout).

Run through Scripts/make-model-fixtures.sh with TF_VENV set to a venv holding
tf-keras (PyPI `tf-keras`, which pulls TensorFlow). It writes, next to the
Keras 3 fixtures in Tests/SepconvGenTests/Fixtures/models/:

  tf2_<case>.h5                 model.save("...h5") from tf.keras 2
  tf2_<case>/<layer>/input.npy, output.npy, fused.npy
  manifest_tf2.json             as manifest.json (see model_fixtures.py)

Every model here is a straight line of layers (nested Sequential/Functional
models included), so the chain that fuse: true folds is simply the layers
that follow the SeparableConv1D in that line: at most one
BatchNormalization, then at most one activation layer.
"""

import json
import os
import sys
import zlib
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "SepconvGenTests" / "Fixtures" / "models"
BATCH = 2
ACTIVATION_CLASSES = ("Activation", "ReLU", "LeakyReLU", "ELU", "Softmax")


def seq():
    return keras.Sequential([
        keras.Input((10, 3)),
        layers.SeparableConv1D(4, 3, padding="same", activation="relu", name="first"),
        layers.SeparableConv1D(3, 2, name="second"),
        layers.BatchNormalization(epsilon=0.01),
        layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
    ])


def nested():
    inner = keras.Sequential([
        keras.Input((8, 2)),
        layers.SeparableConv1D(3, 3, padding="same", depth_multiplier=2, name="inner_sep"),
        layers.BatchNormalization(center=False),
        layers.LeakyReLU(alpha=0.2),
    ], name="block")
    x = keras.Input((8, 2))
    y = inner(x)
    y = layers.SeparableConv1D(2, 2, name="outer_sep", use_bias=False)(y)
    y = layers.Softmax()(y)
    return keras.Model(x, y)


def float64():
    return keras.Sequential([
        keras.Input((9, 2), dtype="float64"),
        layers.SeparableConv1D(3, 2, strides=2, dtype="float64", name="sep64"),
        layers.BatchNormalization(dtype="float64", scale=False),
        layers.ELU(alpha=0.5, dtype="float64"),
    ])


CASES = {"seq": seq, "nested": nested, "float64": float64}


def leaves(model):
    """The model's non-model layers in line order (nested models expanded)."""
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            out += leaves(layer)
        else:
            out.append(layer)
    return out


def randomize(model, rng):
    for layer in leaves(model):
        if not layer.weights:
            continue
        if isinstance(layer, layers.BatchNormalization):
            values = []
            for w in layer.weights:
                key = w.name.rsplit("/", 1)[-1].split(":")[0]
                shape = tuple(w.shape)
                values.append({"gamma": lambda: rng.uniform(0.5, 1.5, shape),
                               "beta": lambda: rng.normal(0.0, 0.5, shape),
                               "moving_mean": lambda: rng.normal(0.4, 0.8, shape),
                               "moving_variance": lambda: rng.uniform(0.3, 2.5, shape)}[key]())
            layer.set_weights([v.astype(w.dtype.as_numpy_dtype) for v, w in zip(values, layer.weights)])
        else:
            layer.set_weights([rng.normal(0.0, 0.6, tuple(w.shape)).astype(w.dtype.as_numpy_dtype)
                               for w in layer.weights])


def main():
    manifest = {"tf_keras": keras.__version__, "cases": {}}
    for case, build in CASES.items():
        keras.backend.clear_session()
        name = f"tf2_{case}"
        model = build()
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        randomize(model, rng)
        model.save(OUT / f"{name}.h5")
        entry = {"models": [f"{name}.h5"], "layers": {}}
        line = leaves(model)
        for index, layer in enumerate(line):
            if type(layer).__name__ != "SeparableConv1D":
                continue
            shape = tuple(layer.input_shape[1:])
            dtype = layer.compute_dtype
            x = rng.normal(0.0, 1.0, (BATCH,) + shape).astype(dtype)
            y = layer(x).numpy()
            chain = []
            rest = line[index + 1:]
            if rest and type(rest[0]).__name__ == "BatchNormalization":
                chain.append(rest.pop(0))
            if rest and type(rest[0]).__name__ in ACTIVATION_CLASSES:
                chain.append(rest[0])
            out = y
            for nxt in chain:
                out = nxt(out, training=False).numpy()
            folder = OUT / name / layer.name
            folder.mkdir(parents=True, exist_ok=True)
            np.save(folder / "input.npy", x)
            np.save(folder / "output.npy", y)
            np.save(folder / "fused.npy", out)
            entry["layers"][layer.name] = {
                "class": "SeparableConv1D",
                "input_shape": list(shape),
                "dtype": dtype,
                "data_format": layer.data_format,
                "activation": keras.activations.serialize(layer.activation),
                "use_bias": layer.use_bias,
                "chain": [{"name": n.name, "class": type(n).__name__} for n in chain],
                "output_shape": list(y.shape[1:]),
                "fused_shape": list(out.shape[1:]),
            }
        manifest["cases"][name] = entry
    (OUT / "manifest_tf2.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(manifest['cases'])} tf.keras 2 model cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
