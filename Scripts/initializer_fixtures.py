#!/usr/bin/env python3
"""Writes the Keras initializer fixtures the Swift tests compare against.

For every case below, Keras 3.15.1 (JAX backend, jax 0.10.2, CPU) fills a
weight of the case's shape and dtype, and the values are saved as
Tests/SepconvGenTests/Fixtures/initializers/<case>.npy; manifest.json lists
each case's initializer config, shape, dtype and seed, and the cases where
Keras refuses a shape or seed (or silently returns unusable values), with
what Keras did.

float32 cases run with JAX's defaults; float64 cases run in a second process
with jax_enable_x64 on, since without it JAX silently makes float64 weights
float32.

Usage (in any virtual environment with keras==3.15.1 and jax==0.10.2):

    python Scripts/initializer_fixtures.py [--out DIR]
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "Tests", "SepconvGenTests", "Fixtures", "initializers")

KERAS_VERSION = "3.15.1"
JAX_VERSION = "0.10.2"

# Shapes of the three weights of a SeparableConv1D: depthwise (K, C, M),
# pointwise (1, C*M, F), bias (F,); and a few more.
D = [3, 4, 2]
P = [1, 8, 16]
B = [16]
S = [5, 1, 1]
BIG = [7, 16, 3]

SEEDS = [0, 1, 42, 2**31 + 5]


def case(name, class_name, config, shape, dtype, seed=0, seed_in_config=True):
    """One fixture: Keras's `class_name` initializer built from `config`
    (plus `seed` when the initializer is random) filling `shape` in `dtype`.
    With seed_in_config False the Swift side passes the seed as the spec's
    default seed instead of the initializer's own."""
    return {
        "name": name,
        "class_name": class_name,
        "config": config,
        "shape": shape,
        "dtype": dtype,
        "seed": seed,
        "seed_in_config": seed_in_config,
    }


RANDOM = {
    "random_uniform", "uniform", "random_normal", "normal", "truncated_normal", "variance_scaling",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "orthogonal",
}


def cases():
    out = [
        case("zeros_f32_depthwise", "zeros", {}, D, "float32"),
        case("zeros_f64_bias", "zeros", {}, B, "float64"),
        case("ones_f32_bias", "ones", {}, B, "float32"),
        case("ones_f64_pointwise", "ones", {}, P, "float64"),
        case("constant_f32_bias", "constant", {"value": 0.3}, B, "float32"),
        case("constant_f64_bias", "constant", {"value": 0.3}, B, "float64"),
        case("constant_f32_negative_depthwise", "constant", {"value": -1e-3}, D, "float32"),
        case("random_uniform_f32_depthwise_s0", "random_uniform", {}, D, "float32", seed=0),
        case("random_uniform_f64_depthwise_s1", "random_uniform", {}, D, "float64", seed=1),
        case("uniform_f32_pointwise_s42", "uniform", {"minval": -1.5, "maxval": 2.25}, P, "float32", seed=42),
        case("uniform_f64_small_sbig", "uniform", {"minval": -1.5, "maxval": 2.25}, S, "float64", seed=2**31 + 5),
        case("uniform_f32_big_default_seed", "random_uniform", {"minval": 0.1, "maxval": 0.7}, BIG, "float32",
             seed=7, seed_in_config=False),
        case("random_normal_f32_depthwise_s1", "random_normal", {}, D, "float32", seed=1),
        case("random_normal_f64_pointwise_s42", "random_normal", {}, P, "float64", seed=42),
        case("normal_f32_bias_sbig", "normal", {"mean": 0.5, "stddev": 2.0}, B, "float32", seed=2**31 + 5),
        case("normal_f32_big_s0", "normal", {"mean": 0.0, "stddev": 1.0}, BIG, "float32", seed=0),
        case("normal_f64_big_s3", "normal", {"mean": -0.25, "stddev": 0.75}, BIG, "float64", seed=3),
        case("truncated_normal_f32_pointwise_s0", "truncated_normal", {}, P, "float32", seed=0),
        case("truncated_normal_f64_depthwise_s42", "truncated_normal", {}, D, "float64", seed=42),
        case("truncated_normal_f32_bias_s1", "truncated_normal", {"mean": -1.0, "stddev": 0.3}, B, "float32", seed=1),
        case("truncated_normal_f32_big_s5", "truncated_normal", {"mean": 0.0, "stddev": 1.0}, BIG, "float32", seed=5),
        case("truncated_normal_f64_big_sbig", "truncated_normal", {"mean": 0.0, "stddev": 1.0}, BIG, "float64",
             seed=2**31 + 5),
        case("variance_scaling_f32_fan_avg_uniform", "variance_scaling",
             {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform"}, D, "float32", seed=7),
        case("variance_scaling_f64_fan_out_untruncated", "variance_scaling",
             {"scale": 0.5, "mode": "fan_out", "distribution": "untruncated_normal"}, P, "float64", seed=0),
        case("variance_scaling_f32_fan_in_truncated", "variance_scaling",
             {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}, S, "float32", seed=42),
        case("variance_scaling_f32_normal_alias_bias", "variance_scaling",
             {"scale": 3.0, "mode": "fan_in", "distribution": "normal"}, B, "float32", seed=1),
        case("variance_scaling_f32_axes", "variance_scaling",
             {"scale": 1.0, "mode": "fan_in", "distribution": "uniform", "input_axes": [0, 1], "output_axes": [2]},
             D, "float32", seed=1),
        case("variance_scaling_f64_negative_axes", "variance_scaling",
             {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal", "input_axes": [-2],
              "output_axes": [-1]}, P, "float64", seed=2**31 + 5),
        case("variance_scaling_f32_input_axes_only", "variance_scaling",
             {"scale": 1.0, "mode": "fan_in", "distribution": "uniform", "input_axes": [2]}, D, "float32", seed=3),
        case("glorot_uniform_f32_depthwise_default_seed", "glorot_uniform", {}, D, "float32", seed=0,
             seed_in_config=False),
        case("glorot_uniform_f64_pointwise_s1", "glorot_uniform", {}, P, "float64", seed=1),
        case("glorot_uniform_f32_bias_s42", "glorot_uniform", {}, B, "float32", seed=42),
        case("glorot_normal_f32_pointwise_s42", "glorot_normal", {}, P, "float32", seed=42),
        case("glorot_normal_f64_depthwise_sbig", "glorot_normal", {}, D, "float64", seed=2**31 + 5),
        case("he_uniform_f32_bias_s0", "he_uniform", {}, B, "float32", seed=0),
        case("he_uniform_f64_small_s1", "he_uniform", {}, S, "float64", seed=1),
        case("he_normal_f32_depthwise_s42", "he_normal", {}, D, "float32", seed=42),
        case("he_normal_f64_bias_s0", "he_normal", {}, B, "float64", seed=0),
        case("lecun_uniform_f32_pointwise_sbig", "lecun_uniform", {}, P, "float32", seed=2**31 + 5),
        case("lecun_uniform_f64_depthwise_s0", "lecun_uniform", {}, D, "float64", seed=0),
        case("lecun_normal_f32_small_s1", "lecun_normal", {}, S, "float32", seed=1),
        case("lecun_normal_f64_pointwise_s42", "lecun_normal", {}, P, "float64", seed=42),
        case("lecun_normal_f32_big_axes", "lecun_normal", {"input_axes": [0, 1], "output_axes": [2]}, BIG,
             "float32", seed=9),
        case("orthogonal_f32_depthwise_s0", "orthogonal", {}, D, "float32", seed=0),
        case("orthogonal_f32_pointwise_s1", "orthogonal", {}, P, "float32", seed=1),
        case("orthogonal_f64_depthwise_s42", "orthogonal", {}, D, "float64", seed=42),
        case("orthogonal_f64_pointwise_sbig", "orthogonal", {}, P, "float64", seed=2**31 + 5),
        case("orthogonal_f32_small_gain", "orthogonal", {"gain": 1.5}, S, "float32", seed=42),
        case("orthogonal_f32_square", "orthogonal", {"gain": -0.5}, [3, 16, 16], "float32", seed=1),
        case("orthogonal_f64_wide", "orthogonal", {}, [1, 32, 64], "float64", seed=0, seed_in_config=False),
        case("stft_f32_hann_density", "stft", {"side": "real", "window": "hann", "scaling": "density",
                                             "periodic": False}, [16, 1, 9], "float32"),
        case("stft_f64_hann_density", "stft", {"side": "imag", "window": "hann", "scaling": "density",
                                             "periodic": False}, [16, 1, 9], "float64"),
        case("stft_f32_no_window", "stft", {"side": "imag", "window": None, "scaling": None, "periodic": False},
             [33, 1, 17], "float32"),
        case("stft_f64_hamming_spectrum_periodic", "stft", {"side": "real", "window": "hamming",
                                                           "scaling": "spectrum", "periodic": True},
             [12, 1, 7], "float64"),
        case("stft_f32_pointwise", "stft", {}, [1, 1, 16], "float32"),
    ]
    windows = ["barthann", "bartlett", "blackman", "blackmanharris", "bohman", "boxcar", "cosine", "exponential",
               "flattop", "hamming", "hann", "lanczos", "nuttall", "parzen", "taylor", "triang", "tukey"]
    for index, window in enumerate(windows):
        out.append(case(f"stft_f32_window_{window}", "stft",
                        {"side": "real" if index % 2 == 0 else "imag", "window": window,
                         "scaling": "density", "periodic": False}, [9, 1, 5], "float32"))
        out.append(case(f"stft_f64_window_{window}_periodic", "stft",
                        {"side": "imag" if index % 2 == 0 else "real", "window": window,
                         "scaling": "spectrum", "periodic": True}, [10, 1, 6], "float64"))
    for alias in ["hann_periodic", "blackman_symmetric", "rect", "tri"]:
        out.append(case(f"stft_f32_window_alias_{alias}", "stft",
                        {"side": "real", "window": alias, "scaling": "density", "periodic": False},
                        [8, 1, 4], "float32"))
    return out


def error_cases():
    """Shapes, seeds and arguments Keras refuses or turns into unusable
    values; `kind` says which the script checks."""
    return [
        case("identity_depthwise", "identity", {}, D, "float32"),
        case("identity_bias", "identity", {"gain": 2.0}, B, "float64"),
        case("orthogonal_bias", "orthogonal", {}, B, "float32", seed=0),
        case("stft_bias", "stft", {}, B, "float32"),
        case("stft_channels", "stft", {}, D, "float32"),
        case("stft_single_bin", "stft", {}, S, "float32"),
        case("stft_parameter_window", "stft", {"window": "kaiser"}, [8, 1, 4], "float32"),
        case("stft_unknown_window", "stft", {"window": "no_such_window"}, [8, 1, 4], "float32"),
        case("seed_too_large", "random_uniform", {}, D, "float32", seed=2**32),
        case("seed_negative", "glorot_uniform", {}, D, "float32", seed=-1),
        case("variance_scaling_axis_out_of_range", "variance_scaling",
             {"input_axes": [3], "output_axes": [0]}, D, "float32", seed=0),
        case("variance_scaling_zero_scale", "variance_scaling", {"scale": 0.0}, D, "float32", seed=0),
        case("constant_overflow_f32", "constant", {"value": 1e39}, B, "float32"),
    ]


def build(keras, spec):
    config = dict(spec["config"])
    if spec["class_name"] in RANDOM:
        config["seed"] = spec["seed"]
    return keras.initializers.get({"class_name": spec["class_name"], "config": config})


def run_worker(precision, out_dir):
    """Runs in a child process: fills every case of one dtype."""
    os.environ["KERAS_BACKEND"] = "jax"
    import jax

    if precision == "float64":
        jax.config.update("jax_enable_x64", True)
    import keras
    import numpy as np

    report = {"keras": keras.__version__, "jax": jax.__version__,
              "jax_enable_x64": bool(jax.config.jax_enable_x64),
              "jax_threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
              "cases": [], "errors": []}
    for spec in cases():
        if spec["dtype"] != precision:
            continue
        values = np.asarray(build(keras, spec)(tuple(spec["shape"]), dtype=precision))
        if values.dtype != np.dtype(precision) or list(values.shape) != spec["shape"]:
            raise SystemExit(f"{spec['name']}: Keras returned {values.dtype} {values.shape}")
        if not np.all(np.isfinite(values)):
            raise SystemExit(f"{spec['name']}: Keras returned non-finite values")
        np.save(os.path.join(out_dir, spec["name"] + ".npy"), np.ascontiguousarray(values, dtype="<" + values.dtype.str[1:]))
        report["cases"].append(dict(spec, file=spec["name"] + ".npy"))
    for spec in error_cases():
        if spec["dtype"] != precision:
            continue
        try:
            values = np.asarray(build(keras, spec)(tuple(spec["shape"]), dtype=precision))
        except Exception as error:  # noqa: BLE001 - any Keras refusal is what is recorded
            outcome = f"raises {type(error).__name__}: {error}"
        else:
            if list(values.shape) != spec["shape"]:
                outcome = f"returns shape {tuple(values.shape)} instead of {tuple(spec['shape'])}"
            elif not np.all(np.isfinite(values)):
                outcome = "returns non-finite values"
            else:
                raise SystemExit(f"{spec['name']}: Keras accepted it and returned usable values")
        report["errors"].append(dict(spec, keras_outcome=outcome))
    json.dump(report, sys.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="fixture folder (default: %(default)s)")
    parser.add_argument("--worker", choices=["float32", "float64"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    out_dir = os.path.abspath(args.out)
    if args.worker:
        run_worker(args.worker, out_dir)
        return

    import importlib.metadata as metadata

    versions = {name: metadata.version(name) for name in ("keras", "jax")}
    if versions != {"keras": KERAS_VERSION, "jax": JAX_VERSION}:
        raise SystemExit(f"needs keras {KERAS_VERSION} and jax {JAX_VERSION}; this environment has {versions}")
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if name.endswith(".npy") or name == "manifest.json":
            os.remove(os.path.join(out_dir, name))

    manifest = {"generator": "Scripts/initializer_fixtures.py", "cases": [], "errors": []}
    for precision in ("float32", "float64"):
        env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
        env.pop("JAX_ENABLE_X64", None)
        result = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", precision, "--out", out_dir],
                                env=env, check=True, stdout=subprocess.PIPE, text=True)
        report = json.loads(result.stdout)
        for key in ("keras", "jax", "jax_threefry_partitionable"):
            manifest[key] = report[key]
        manifest[f"jax_enable_x64_for_{precision}"] = report["jax_enable_x64"]
        manifest["cases"] += report["cases"]
        manifest["errors"] += report["errors"]
    manifest["cases"].sort(key=lambda item: item["name"])
    manifest["errors"].sort(key=lambda item: item["name"])
    with open(os.path.join(out_dir, "manifest.json"), "w") as file:
        json.dump(manifest, file, indent=1, sort_keys=True)
        file.write("\n")
    print(f"wrote {len(manifest['cases'])} cases and {len(manifest['errors'])} error cases to {out_dir}")


if __name__ == "__main__":
    main()
