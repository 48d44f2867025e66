"""The int8 benchmark layers of Benchmarks/cortexm.sh, made with the real converter.

For each benchmark shape (Specs/kws_block1 and Benchmarks/bench.py's S, M, L
and D), a Keras 3 model of one SeparableConv1D (relu) with seeded weights is
converted by TensorFlow's TFLiteConverter with full-integer quantization,
and written to Benchmarks/int8/:

  <case>.tflite        the model
  <case>.yaml          a spec taking its layer from the model (SPEC.md section 7)
  <case>.params.json   the chain's int8 tensors as TFLite's interpreter reports
                       them (weights, biases, scales, zero points), read by
                       Benchmarks/cortexm_count.py to give the looped int8
                       baseline the same layer, independently of sepconv-gen's reader

Run (the TensorFlow venv of Scripts/requirements-tflite.txt):
    /work/venv-tf/bin/python Scripts/tflite_bench_models.py
The converter's output is deterministic for a fixed seed on one TF version.
"""
import ast
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Benchmarks", "int8")


def bench_cases():
    """bench.py's CASES (steps, channels, filters, kernel, padding, depth multiplier, strides, dilation)."""
    with open(os.path.join(ROOT, "Benchmarks", "bench.py")) as source:
        tree = ast.parse(source.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "CASES" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("no CASES in Benchmarks/bench.py")


def cases():
    table = {"kws_block1": (49, 10, 16, 3, "same", 1, 1, 1)}
    for name, case in bench_cases().items():
        if name != "X":  # X does not fit a Cortex-M4 part (Benchmarks/cortexm_cases.py)
            table[name] = case
    return table


def convert(model, steps, channels, seed):
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(64):
            yield [rng.normal(0.3, 1.2, size=(1, steps, channels)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def quantization(detail):
    q = detail["quantization_parameters"]
    return {"scales": [float(s) for s in q["scales"]], "zero_points": [int(z) for z in q["zero_points"]]}


def chain_params(path):
    """The DEPTHWISE_CONV_2D and CONV_2D operators' tensors, as the interpreter holds them."""
    interpreter = tf.lite.Interpreter(model_path=path, experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    operators = interpreter._get_ops_details()
    depthwise = next(op for op in operators if op["op_name"] == "DEPTHWISE_CONV_2D")
    pointwise = next(op for op in operators if op["op_name"] == "CONV_2D")

    def tensor(index):
        detail = details[index]
        return {"shape": [int(n) for n in detail["shape"]], "values": interpreter.get_tensor(index).reshape(-1).tolist(),
                **quantization(detail)}

    def operands(op):
        inputs = [i for i in op["inputs"] if i >= 0]
        return {"input": quantization(details[inputs[0]]), "filter": tensor(inputs[1]),
                "bias": tensor(inputs[2]) if len(inputs) > 2 else None, "output": quantization(details[op["outputs"][0]])}

    # relu is fused into CONV_2D (no RELU operator is left); the depthwise operator has none.
    if any(op["op_name"] not in ("RESHAPE", "EXPAND_DIMS", "DEPTHWISE_CONV_2D", "CONV_2D", "DELEGATE") for op in operators):
        raise SystemExit(f"{path}: unexpected operators {[op['op_name'] for op in operators]}")
    return {"depthwise": {**operands(depthwise), "activation": "NONE"}, "pointwise": {**operands(pointwise), "activation": "RELU"}}


def main():
    os.makedirs(OUT, exist_ok=True)
    for number, (name, (steps, channels, filters, kernel, padding, multiplier, strides, dilation)) in enumerate(cases().items()):
        keras.utils.set_random_seed(1000 + number)
        layer = keras.layers.SeparableConv1D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                                             depth_multiplier=multiplier, activation="relu", name=name)
        model = keras.Sequential([keras.Input((steps, channels), batch_size=1), layer])
        rng = np.random.default_rng(2000 + number)
        depthwise, pointwise, bias = layer.get_weights()
        layer.set_weights([rng.normal(0, (1 / kernel) ** 0.5, depthwise.shape).astype(np.float32),
                           rng.normal(0, (1 / (channels * multiplier)) ** 0.5, pointwise.shape).astype(np.float32),
                           rng.normal(0.05, 0.1, bias.shape).astype(np.float32)])
        path = os.path.join(OUT, name + ".tflite")
        with open(path, "wb") as file:
            file.write(convert(model, steps, channels, 3000 + number))
        with open(os.path.join(OUT, name + ".params.json"), "w") as file:
            json.dump(chain_params(path), file, separators=(",", ":"))
            file.write("\n")
        with open(os.path.join(OUT, name + ".yaml"), "w") as file:
            file.write(f"# int8 benchmark layer {name} (Scripts/tflite_bench_models.py): {steps} steps x {channels} channels,\n"
                       f"# {filters} filters, kernel {kernel}, {padding}, depth multiplier {multiplier}, strides {strides}, relu.\n"
                       f"name: {name}_q\nfrom:\n  model: {name}.tflite\n")
        print(f"{name}: {os.path.getsize(path):,} bytes")


if __name__ == "__main__":
    sys.exit(main())
