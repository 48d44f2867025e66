#!/usr/bin/env python3
"""Generate sepconv-gen's Keras *model file* fixtures with real Keras 3.

Run it through Scripts/make-model-fixtures.sh (which pins keras==3.15.1 and
jax[cpu]==0.10.2 and sets KERAS_BACKEND=jax). The numbers are deterministic: every
weight, moving statistic and input comes from NumPy generators seeded with the
CRC-32 of the case name; every expected output comes from Keras on CPU. The
.keras archives are kept exactly as Keras writes them, so their bytes change
with each run (Keras records the save date in metadata.json and the zip).

It (re)writes Tests/SepconvGenTests/Fixtures/models/:

  <case>.keras         model.save("<case>.keras")       (zip: config.json, model.weights.h5)
  <case>.h5            model.save("<case>.h5")          (Keras 3 legacy HDF5)
  <case>.weights.h5    model.save_weights(...)          (Keras 3 weights file)
  <case>.tf2.h5        the same model saved by tf.keras 2 (only with --tf-venv)
  <case>/<layer>/input.npy   a batch of inputs for the SeparableConv1D <layer>
  <case>/<layer>/output.npy  Keras's output of that layer alone
  <case>/<layer>/fused.npy   Keras's output after the chain that fuse: true folds
  broken/*.keras, broken/*.h5   damaged copies of seq_basic (see write_broken)

and Examples/keras/kws.keras (a copy of seq_bn_relu.keras) with
Examples/keras/expected.txt: what Keras computes for Examples/keras/main.c's
fixed input through sep_plain and the layers fused after it, printed as
main.c prints.
  manifest.json        per case: models, and per SeparableConv1D layer its
                       input shape, dtype, data_format, the fused chain (layer
                       names and classes), the group of its weights in the
                       .weights.h5 file, and the expected files.

The "fused chain" is computed here from the model's own graph, as SPEC.md
section 5 defines it: the layers that directly follow the SeparableConv1D,
each the only consumer of the previous output and fed by nothing else, at
most one BatchNormalization and then at most one activation layer. fused.npy
is what Keras computes when the layer's output goes through those layers
(BatchNormalization in inference mode), one layer call after the other.

The tf.keras 2 files are made by Scripts/model_fixtures_tf.py in a separate
venv (tf-keras pulls TensorFlow); it reads the weights this script wrote.
"""

import json
import os
import sys
import tempfile
import zlib
from pathlib import Path

if os.environ.get("KERAS_BACKEND", "jax") != "jax":
    sys.exit("model_fixtures.py: KERAS_BACKEND must be 'jax'")
os.environ["KERAS_BACKEND"] = "jax"
os.environ["JAX_ENABLE_X64"] = "1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="sepconv-keras-home-")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixture_weights import randomize  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "SepconvGenTests" / "Fixtures" / "models"
BATCH = 2
ACTIVATION_CLASSES = ("Activation", "ReLU", "LeakyReLU", "ELU", "Softmax")


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


# ---------------------------------------------------------------- the models
# Each builder returns a built model; keras.backend.clear_session() runs first
# so default layer names restart (separable_conv1d, separable_conv1d_1, ...).

def seq_basic():
    return keras.Sequential([
        keras.Input((12, 4)),
        layers.SeparableConv1D(5, 3, padding="same", activation="relu"),
        layers.SeparableConv1D(3, 2, strides=2, depth_multiplier=2),
    ])


def seq_bn_relu():
    return keras.Sequential([
        keras.Input((10, 3)),
        layers.SeparableConv1D(4, 3, padding="same", name="sep_bn"),
        layers.BatchNormalization(epsilon=0.01),
        layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
        layers.SeparableConv1D(2, 3, use_bias=False, name="sep_plain"),
        layers.BatchNormalization(center=False),
        layers.Activation("tanh"),
    ])


def func_fork():
    x = keras.Input((9, 3), name="signal")
    a = layers.SeparableConv1D(4, 2, padding="same", name="fork_sep")(x)
    b = layers.BatchNormalization(name="fork_bn")(a)
    c = layers.LeakyReLU(negative_slope=0.25)(b)
    d = layers.SeparableConv1D(4, 3, padding="same", activation="sigmoid")(c)
    e = layers.Add()([a, d])        # a feeds fork_bn and add: fork_sep fuses nothing
    f = layers.SeparableConv1D(2, 2, name="tail")(e)
    g = layers.BatchNormalization(scale=False, epsilon=0.1)(f)
    h = layers.Softmax()(g)
    return keras.Model(x, [h, d])   # d is also a model output: nothing fused after it


def nested():
    inner = keras.Sequential([
        keras.Input((8, 3)),
        layers.SeparableConv1D(4, 3, padding="same", name="inner_sep"),
        layers.BatchNormalization(),
        layers.ELU(alpha=0.7),
    ], name="block")
    x = keras.Input((8, 3))
    y = inner(x)
    x2 = keras.Input((8, 4), name="side")
    sub_in = keras.Input((8, 4))
    sub_out = layers.SeparableConv1D(3, 2, name="sub_sep", activation="elu")(sub_in)
    sub = keras.Model(sub_in, sub_out, name="subnet")
    z = sub(layers.Add()([y, x2]))
    z = layers.SeparableConv1D(2, 2, name="outer_sep")(z)
    z = layers.Activation("relu")(z)
    return keras.Model([x, x2], z)


def channels_first():
    return keras.Sequential([
        keras.Input((3, 10)),
        layers.SeparableConv1D(4, 3, data_format="channels_first", dilation_rate=2, name="cf_sep"),
        layers.BatchNormalization(axis=1, epsilon=0.005),
        layers.Softmax(axis=-1),
    ])


def float64():
    return keras.Sequential([
        keras.Input((11, 2), dtype="float64"),
        layers.SeparableConv1D(3, 4, padding="same", dtype="float64", name="sep64", activation="tanh"),
        layers.BatchNormalization(center=False, scale=False, epsilon=0.02, dtype="float64"),
        layers.ReLU(dtype="float64"),
    ])


def custom_names():
    x = keras.Input((7, 2))
    y = layers.SeparableConv1D(3, 2, name="conv-1", padding="same")(x)
    y = layers.SeparableConv1D(3, 2, name="while", padding="same")(y)
    y = layers.SeparableConv1D(2, 2, name="2nd")(y)
    return keras.Model(x, y)


def mixed_policy():
    return keras.Sequential([
        keras.Input((6, 2)),
        layers.SeparableConv1D(2, 2, dtype="mixed_float16", name="half"),
        layers.SeparableConv1D(2, 2, dtype="mixed_bfloat16", name="brain"),
    ])


CASES = {
    "seq_basic": seq_basic,
    "seq_bn_relu": seq_bn_relu,
    "func_fork": func_fork,
    "nested": nested,
    "channels_first": channels_first,
    "float64": float64,
    "custom_names": custom_names,
    "mixed_policy": mixed_policy,
}
# Models whose layers cannot be generated (dtype policy): files only, no outputs.
REJECTED = {"mixed_policy"}


# ------------------------------------------------------------ graph walking

def graph(model):
    """(consumers, producers): every layer's consumers and sources, by layer id.

    Built from each model's call graph; nested models are flattened through
    their boundaries. "<output>" marks a tensor that leaves the outermost model
    (or a nested model whose output is also used outside it).
    """
    cons, prods = {}, {}

    def edge(src, dst):
        cons.setdefault(id(src), []).append(dst)
        prods.setdefault(id(dst), []).append(src)

    def outputs_of(m):
        """The innermost layers producing a nested model's outputs."""
        if isinstance(m, keras.Sequential):
            last = m.layers[-1]
            return outputs_of(last) if isinstance(last, keras.Model) else [last]
        res = []
        for t in m.outputs:
            op = t._keras_history.operation
            res += outputs_of(op) if isinstance(op, keras.Model) else [op]
        return res

    def inputs_of(m):
        """The innermost layers reading a nested model's inputs."""
        if isinstance(m, keras.Sequential):
            first = m.layers[0]
            return inputs_of(first) if isinstance(first, keras.Model) else [first]
        ids = set(id(t) for t in m.inputs)
        res = []
        for layer in m.layers:
            for node in layer._inbound_nodes:
                if node.operation is layer and any(id(t) in ids for t in node.input_tensors):
                    res += inputs_of(layer) if isinstance(layer, keras.Model) else [layer]
        return res

    def link(src, dst):
        srcs = outputs_of(src) if isinstance(src, keras.Model) else [src]
        dsts = inputs_of(dst) if isinstance(dst, keras.Model) else [dst]
        for s in srcs:
            for d in dsts:
                edge(s, d)

    def walk(m):
        if isinstance(m, keras.Sequential):
            for a, b in zip(m.layers, m.layers[1:]):
                link(a, b)
        else:
            own = set(id(layer) for layer in m.layers)
            for layer in m.layers:
                for node in layer._inbound_nodes:
                    for t in node.input_tensors:
                        src = t._keras_history.operation
                        if id(src) in own:
                            link(src, layer)
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                walk(layer)

    walk(model)
    for s in outputs_of(model):
        cons.setdefault(id(s), []).append("<output>")
    return cons, prods


def fused_chain(layer, cons, prods):
    """The layers fuse: true folds after `layer` (SPEC.md section 5)."""
    chain = []
    current = layer
    want_bn = True
    while True:
        following = cons.get(id(current), [])
        if len(following) != 1 or following[0] == "<output>":
            return chain
        nxt = following[0]
        if len(prods.get(id(nxt), [])) != 1:
            return chain
        cls = type(nxt).__name__
        if want_bn and cls == "BatchNormalization":
            chain.append(nxt)
            want_bn = False
            current = nxt
            continue
        if cls in ACTIVATION_CLASSES:
            chain.append(nxt)
        return chain


def all_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if not isinstance(layer, keras.Model)]


# ------------------------------------------------------------------ writing

def save_npy(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array))


def h5_paths(file):
    import h5py
    groups = []
    with h5py.File(file, "r") as f:
        f.visit(groups.append)
    return groups


def write_broken():
    """Damaged models made from seq_basic's real files, each a different failure."""
    import h5py
    import io
    import zipfile
    folder = OUT / "broken"
    folder.mkdir(parents=True, exist_ok=True)
    src = zipfile.ZipFile(OUT / "seq_basic.keras")
    members = {name: src.read(name) for name in src.namelist()}

    def rezip(name, replace):
        with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as out:
            for member, data in members.items():
                data = replace(member, data)
                if data is not None:
                    out.writestr(zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0)), data)

    def edited_weights(edit):
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "r") as f_in:
            out = io.BytesIO()
            with h5py.File(out, "w") as f_out:
                for key in f_in:
                    f_in.copy(key, f_out)
                edit(f_out)
            return out.getvalue()

    def drop_bias(f):
        del f["layers/separable_conv1d/vars/2"]

    def misshape(f):
        del f["layers/separable_conv1d/vars/0"]
        f["layers/separable_conv1d/vars/0"] = np.zeros((2, 4, 1), "float32")

    rezip("no_config.keras", lambda m, d: None if m == "config.json" else d)
    rezip("no_weights.keras", lambda m, d: None if m == "model.weights.h5" else d)
    rezip("bad_json.keras", lambda m, d: b'{"class_name": "Sequential", "config": ' if m == "config.json" else d)
    rezip("weights_not_hdf5.keras", lambda m, d: b"not an hdf5 file" if m == "model.weights.h5" else d)
    rezip("missing_dataset.keras", lambda m, d: edited_weights(drop_bias) if m == "model.weights.h5" else d)
    rezip("misshapen_dataset.keras", lambda m, d: edited_weights(misshape) if m == "model.weights.h5" else d)
    with zipfile.ZipFile(folder / "not_a_model.keras", "w") as out:
        out.writestr(zipfile.ZipInfo("readme.txt", date_time=(2026, 1, 1, 0, 0, 0)), b"hello")
    data = (OUT / "seq_basic.keras").read_bytes()
    (folder / "truncated.keras").write_bytes(data[: len(data) // 2])
    data = (OUT / "seq_basic.h5").read_bytes()
    (folder / "truncated.h5").write_bytes(data[: len(data) // 2])
    (folder / "garbage.keras").write_bytes(bytes(rng_for("garbage").integers(0, 256, 512, dtype=np.uint8)))


def write_example(model):
    """Examples/keras: the model, and Keras's output on main.c's fixed input."""
    folder = ROOT / "Examples" / "keras"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kws.keras").write_bytes((OUT / "seq_bn_relu.keras").read_bytes())
    cons, prods = graph(model)
    layer = next(l for l in all_layers(model) if l.name == "sep_plain")
    steps, channels = layer._build_shapes_dict["input_shape"][1:]
    x = np.array([[[((t * 7 + c * 13 + b * 5) % 17 - 8) / 8 for c in range(channels)] for t in range(steps)]
                  for b in range(2)], dtype="float32")
    y = layer(x)
    for nxt in fused_chain(layer, cons, prods):
        y = nxt(y, training=False) if type(nxt).__name__ == "BatchNormalization" else nxt(y)
    y = np.asarray(y)
    lines = [f"item {b} step {t}:" + "".join(f" {v:.6f}" for v in y[b, t]) for b in range(y.shape[0]) for t in range(y.shape[1])]
    (folder / "expected.txt").write_text("\n".join(lines) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = {"keras": keras.__version__, "cases": {}}
    for case, build in CASES.items():
        keras.backend.clear_session()
        model = build()
        rng = rng_for(case)
        randomize(model, rng)
        model.save(OUT / f"{case}.keras")
        model.save(OUT / f"{case}.h5")
        model.save_weights(OUT / f"{case}.weights.h5")
        entry = {"models": [f"{case}.keras", f"{case}.h5"], "weights": f"{case}.weights.h5",
                 "layers": {}}
        if case == "seq_bn_relu":
            write_example(model)
        if case in REJECTED:
            entry["rejected"] = True
            manifest["cases"][case] = entry
            continue
        cons, prods = graph(model)
        weight_groups = [p for p in h5_paths(OUT / f"{case}.weights.h5") if p.endswith("/vars")]
        for layer in all_layers(model):
            if type(layer).__name__ != "SeparableConv1D":
                continue
            in_shape = tuple(layer.input.shape[1:]) if hasattr(layer, "input") else None
            build_shape = layer._build_shapes_dict["input_shape"] if layer._build_shapes_dict else None
            shape = tuple(build_shape[1:])
            dtype = layer.dtype_policy.compute_dtype
            x = rng.normal(0.0, 1.0, (BATCH,) + shape).astype(dtype)
            y = np.asarray(layer(x))
            out = y
            chain = fused_chain(layer, cons, prods)
            for nxt in chain:
                out = np.asarray(nxt(out, training=False)) if type(nxt).__name__ == "BatchNormalization" else np.asarray(nxt(out))
            folder = OUT / case / layer.name
            save_npy(folder / "input.npy", x)
            save_npy(folder / "output.npy", y)
            save_npy(folder / "fused.npy", out)
            entry["layers"][layer.name] = {
                "class": "SeparableConv1D",
                "path": layer.path,
                "input_shape": list(shape),
                "dtype": dtype,
                "data_format": layer.data_format,
                "activation": keras.activations.serialize(layer.activation),
                "use_bias": layer.use_bias,
                "chain": [{"name": n.name, "class": type(n).__name__} for n in chain],
                "output_shape": list(y.shape[1:]),
                "fused_shape": list(out.shape[1:]),
            }
        entry["weight_groups"] = sorted(weight_groups)
        manifest["cases"][case] = entry
    write_broken()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(manifest['cases'])} model cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
