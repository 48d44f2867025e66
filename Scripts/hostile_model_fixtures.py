"""Writes Tests/SepconvGenTests/Fixtures/hostile/: model files crafted to attack the reader
(issue 19), made from the Keras fixtures in Fixtures/models with h5py, and two Keras models
whose layers import cannot all take.

    python Scripts/hostile_model_fixtures.py      # needs h5py and numpy; keras for the last two

The tests read only the files written here; they never need Python.
"""
import io
import os
import shutil
import struct
import sys
import tempfile
import zipfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "Tests/SepconvGenTests/Fixtures/models")
OUT = os.path.join(ROOT, "Tests/SepconvGenTests/Fixtures/hostile")
# seq_basic's only SeparableConv1D keeps its variables here in the Keras 3 weights files.
VARS = "layers/separable_conv1d/vars"


def path(name):
    return os.path.join(OUT, name)


def weights_copy(name, edit):
    """seq_basic.weights.h5 copied to `name` and changed by `edit(file)`."""
    shutil.copy(os.path.join(MODELS, "seq_basic.weights.h5"), path(name))
    with h5py.File(path(name), "r+") as f:
        edit(f)


def keras_with(name, weights_name):
    """seq_basic.keras with its model.weights.h5 replaced by the file `weights_name`."""
    with zipfile.ZipFile(os.path.join(MODELS, "seq_basic.keras")) as source, \
            zipfile.ZipFile(path(name), "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "model.weights.h5":
                with open(path(weights_name), "rb") as f:
                    data = f.read()
            target.writestr(item.filename, data)


def external_link(f):
    # A relative target resolves against the working directory in libhdf5; the secret lies beside it.
    del f[VARS + "/1"]
    f[VARS + "/1"] = h5py.ExternalLink("secret.h5", "/d")


def external_storage(f):
    shape = f[VARS + "/1"].shape
    del f[VARS + "/1"]
    count = int(np.prod(shape))
    f.create_dataset(VARS + "/1", shape=shape, dtype="<f4", external=[("secret.txt", 0, count * 4)])


def virtual_dataset(f):
    shape = f[VARS + "/1"].shape
    del f[VARS + "/1"]
    layout = h5py.VirtualLayout(shape=shape, dtype="<f4")
    layout[...] = h5py.VirtualSource("secret.h5", "/d", shape=shape)
    f.create_virtual_dataset(VARS + "/1", layout)


def soft_and_hard_links(f):
    # Allowed: variable 1 is a soft link to a copy kept elsewhere in the file, variable 2 a hard link.
    f.create_group("elsewhere")
    f["elsewhere/pointwise"] = f[VARS + "/1"][...]
    f["elsewhere/bias"] = f[VARS + "/2"][...]
    del f[VARS + "/1"]
    del f[VARS + "/2"]
    f[VARS + "/1"] = h5py.SoftLink("/elsewhere/pointwise")
    f[VARS + "/2"] = f["elsewhere/bias"]


def soft_link_loop(f):
    del f[VARS + "/1"]
    f["loop_a"] = h5py.SoftLink("/loop_b")
    f["loop_b"] = h5py.SoftLink("/loop_a")
    f[VARS + "/1"] = h5py.SoftLink("/loop_a")


def hard_link_cycle(f):
    # A group that holds itself: a walk that follows every hard link never ends.
    f[VARS + "/cycle"] = f[VARS]


BIG = 8 << 20
ITEMS = 300


def vlen_bomb(f):
    """The vars group's 'name' attribute: 300 variable-length strings, every one pointing at
    the same 8 MiB global-heap string (patched in below; h5py would store 300 copies)."""
    del f[VARS].attrs["name"]
    items = ["x" * BIG] + ["y"] * (ITEMS - 1)
    f[VARS].attrs.create("name", items, dtype=h5py.string_dtype())


def patch_vlen_bomb(file_name):
    with open(file_name, "rb") as f:
        data = bytearray(f.read())
    # On disk each item is (u32 length, u64 heap collection address, u32 index).
    head = struct.pack("<I", BIG)
    at = 0
    while True:
        at = data.find(head, at)
        assert at >= 0, "the 8 MiB item's descriptor is not in the file"
        second = struct.unpack_from("<I", data, at + 16)[0]
        if second == 1:
            break
        at += 1
    descriptor = bytes(data[at:at + 16])
    for i in range(1, ITEMS):
        data[at + 16 * i: at + 16 * (i + 1)] = descriptor
    # Drop the now unreferenced 'y' objects' heap? Not needed: libhdf5 reads only what is pointed at.
    with open(file_name, "wb") as f:
        f.write(data)


ESCAPE = "sep\x1b[31mred\nline"


def escape_name():
    """seq_basic.keras with its SeparableConv1D renamed to hold an ANSI escape and a newline,
    in config.json and in the weights' recorded name alike."""
    import json
    with zipfile.ZipFile(os.path.join(MODELS, "seq_basic.keras")) as source:
        members = {item.filename: source.read(item.filename) for item in source.infolist()}
    config = json.loads(members["config.json"])
    first = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "SeparableConv1D")
    first["config"]["name"] = ESCAPE
    members["config.json"] = json.dumps(config).encode()
    weights = io.BytesIO(members["model.weights.h5"])
    with h5py.File(weights, "r+") as f:
        f[VARS].attrs["name"] = ESCAPE
    members["model.weights.h5"] = weights.getvalue()
    with zipfile.ZipFile(path("escape_name.keras"), "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def utf8_model_config():
    """seq_basic.h5 with its model_config attribute rewritten as a UTF-8 string (Keras writes ASCII)."""
    shutil.copy(os.path.join(MODELS, "seq_basic.h5"), path("utf8_config.h5"))
    with h5py.File(path("utf8_config.h5"), "r+") as f:
        text = f.attrs["model_config"]
        text = text.decode() if isinstance(text, bytes) else text
        del f.attrs["model_config"]
        f.attrs.create("model_config", text, dtype=h5py.string_dtype("utf-8"))


def deep_config():
    """seq_basic.keras whose config.json nests lists 600 deep."""
    with zipfile.ZipFile(os.path.join(MODELS, "seq_basic.keras")) as source:
        members = {item.filename: source.read(item.filename) for item in source.infolist()}
    members["config.json"] = b'{"class_name": "Sequential", "config": ' + b"[" * 600 + b"]" * 600 + b"}"
    with zipfile.ZipFile(path("deep_config.keras"), "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def keras_models():
    """Two Keras models `import` must take layer by layer: the same layer name in two nested
    Sequentials, and a mixed_float16 layer beside a float64 one."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    keras.utils.set_random_seed(19)
    inputs = keras.Input((8, 2))
    first = keras.Sequential([keras.layers.SeparableConv1D(3, 3, name="sep")], name="outer")
    second = keras.Sequential([keras.layers.SeparableConv1D(2, 2, name="sep")], name="inner")
    model = keras.Model(inputs, second(first(inputs)), name="twice")
    model.save(path("same_name_twice.keras"))
    inputs = keras.Input((8, 2))
    mixed = keras.layers.SeparableConv1D(3, 3, name="half", dtype="mixed_float16")(inputs)
    full = keras.layers.SeparableConv1D(2, 2, name="full", dtype="float64")(mixed)
    keras.Model(inputs, full, name="mixed").save(path("mixed_and_float64.keras"))


def main():
    os.makedirs(OUT, exist_ok=True)
    with h5py.File(path("secret.h5"), "w") as f:
        f["d"] = np.full((1, 2, 4), 1234.5, dtype="<f4")
    with open(path("secret.txt"), "wb") as f:
        f.write(b"TOP-SECRET password=hunter2 do not emit" + b"!" * 64)
    weights_copy("external_link.weights.h5", external_link)
    keras_with("external_link.keras", "external_link.weights.h5")
    weights_copy("external_storage.weights.h5", external_storage)
    keras_with("external_storage.keras", "external_storage.weights.h5")
    weights_copy("virtual.weights.h5", virtual_dataset)
    weights_copy("links_within.weights.h5", soft_and_hard_links)
    weights_copy("soft_link_loop.weights.h5", soft_link_loop)
    weights_copy("hard_link_cycle.weights.h5", hard_link_cycle)
    with tempfile.TemporaryDirectory() as scratch:
        bomb = os.path.join(scratch, "bomb.weights.h5")
        shutil.copy(os.path.join(MODELS, "seq_basic.weights.h5"), bomb)
        with h5py.File(bomb, "r+") as f:
            vlen_bomb(f)
        patch_vlen_bomb(bomb)
        shutil.copy(bomb, path("vlen_bomb.weights.h5"))
        keras_with("vlen_bomb.keras", "vlen_bomb.weights.h5")
        os.remove(path("vlen_bomb.weights.h5"))  # 8 MiB; the zip holds it in a few kilobytes
    # Issue 19's crasher: the top byte of a global-heap object's size in seq_basic.h5.
    with open(os.path.join(MODELS, "seq_basic.h5"), "rb") as f:
        data = bytearray(f.read())
    data[5071] = 0xFF
    with open(path("heap_size_crash.h5"), "wb") as f:
        f.write(data)
    escape_name()
    utf8_model_config()
    deep_config()
    if "--no-keras" not in sys.argv:
        keras_models()


if __name__ == "__main__":
    main()
