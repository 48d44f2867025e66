#!/usr/bin/env python3
"""Write Examples/network/expected.txt: what Keras 3 computes for Examples/network/main.c.

Run with a Keras 3 environment (KERAS_BACKEND=tensorflow /work/venv-tf/bin/python
Scripts/network_example.py). The model is the keyword spotter of the network
fixtures (Tests/SepconvGenTests/Fixtures/networks/kws.keras, made by
Scripts/network_fixtures.py), copied to Examples/network/kws.keras; main.c's
fixed input is rebuilt here, the whole model predicts both items, and item 0
runs through the layers conv1...relu3 (the example's stream).
"""

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="sepconv-keras-home-")

import numpy as np  # noqa: E402
import keras  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "Tests" / "SepconvGenTests" / "Fixtures" / "networks" / "kws.keras"
OUT = ROOT / "Examples" / "network"
BATCH = 2


def main():
    shutil.copyfile(MODEL, OUT / "kws.keras")
    model = keras.saving.load_model(OUT / "kws.keras")
    steps, channels = model.input_shape[1:]
    x = np.array([[[((t * 7 + c * 13 + b * 5) % 17 - 8) / 8.0 for c in range(channels)] for t in range(steps)]
                  for b in range(BATCH)], dtype=np.float32)
    probabilities = np.asarray(model.predict(x, verbose=0))
    y = x[:1]
    for layer in model.layers:
        y = layer(y, training=False)
        if layer.name == "relu3":
            break
    frames = np.asarray(keras.ops.convert_to_numpy(y))[0]
    lines = [f"predict item {b}: " + " ".join(f"{v:.6f}" for v in probabilities[b]) for b in range(BATCH)]
    lines += [f"stream frame {t}: " + " ".join(f"{v:.6f}" for v in frame) for t, frame in enumerate(frames)]
    lines.append(f"{steps} frames in, {len(frames)} output frames")
    (OUT / "expected.txt").write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT / 'expected.txt'}")


if __name__ == "__main__":
    main()
