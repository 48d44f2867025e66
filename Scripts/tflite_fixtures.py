#!/usr/bin/env python3
"""int8 TFLite fixtures for sepconv-gen (SPEC.md section 7), made with real
TensorFlow and TFLite.

Run (about two minutes on one core; the venv is ~2.2 GB, keep it outside the repo):

  python3 -m venv /work/venv-tf
  /work/venv-tf/bin/pip install -r Scripts/requirements-tflite.txt
  /work/venv-tf/bin/python Scripts/tflite_fixtures.py

It (re)writes Tests/SepconvGenTests/Fixtures/tflite/:

  <case>.tflite               tf.lite.TFLiteConverter, full-integer int8
                              (Optimize.DEFAULT, a representative dataset,
                              TFLITE_BUILTINS_INT8, int8 model input/output)
  <case>.c<N>.input.npy       |i1 (batch, steps, channels): chain N's input
  <case>.c<N>.expected.npy    |i1 (batch, out_steps, filters): chain N's output
  manifest.json               every case, every chain, and the refusals

A chain is the operators the converter writes for one SeparableConv1D
([PAD] [RESHAPE|EXPAND_DIMS] [PAD] [SPACE_TO_BATCH_ND] DEPTHWISE_CONV_2D
[BATCH_TO_SPACE_ND] [STRIDED_SLICE] CONV_2D [RESHAPE]); N is its index in
operator order. (STRIDED_SLICE: Keras 3 writes strides > 1 with dilation > 1
as a stride-1 dilated depthwise after a PAD, then keeps every strides-th step.)
The chain input and output are read from the whole model run by TFLite's
reference kernels (ai_edge_litert Interpreter, OpResolverType.BUILTIN_REF,
experimental_preserve_all_tensors=True) on random int8 model inputs that
cover the full range (-128 and 127 included): batch 1, then batch 3 stacked
after it when the model has a dynamic batch (the files then hold 4 rows:
row 0 is the batch-1 run, rows 1..3 the batch-3 run). BUILTIN_REF is the
truth: no expected value comes from anywhere else.

Each chain is also cut out of the model (a model of only its operators, its
input and output tensors as the model's) and run with the same chain input
through BUILTIN_REF (must equal the whole-model run), TFLite's default
interpreter (XNNPACK delegate) and TFLite Micro's Python interpreter
(tflite-micro, three fresh interpreters): the manifest records per chain how
many values each differs from BUILTIN_REF (tflm_agrees / xnnpack_agrees are
true only when none does).

Models are built in a child process per flavour: Keras 3 (the Keras that
TensorFlow 2.21 brings; models go through model.export() to a SavedModel)
and tf.keras 2 (tf-keras, TF_USE_LEGACY_KERAS=1 set before TensorFlow is
imported; TFLiteConverter.from_keras_model). Weights, biases, inputs and the
representative datasets come from NumPy generators seeded with the CRC-32 of
the case name. Conversion was byte-stable across reruns when this was
written (TF 2.21.0); the .npy files are fully determined by the .tflite files.
"""

import copy
import json
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "SepconvGenTests" / "Fixtures" / "tflite"

# --------------------------------------------------------------------------
# The cases. A layer: dict(name, filters, kernel, strides=1, dilation=1,
# padding="valid", dm=1, bias=True, act=None). Representative data:
# (kind, a, b): uniform on [a, b] or normal(mean a, std b).
# --------------------------------------------------------------------------


def L(name, filters, kernel, **kw):
    d = dict(name=name, filters=filters, kernel=kernel, strides=1, dilation=1,
             padding="valid", dm=1, bias=True, act=None)
    d.update(kw)
    return d


POSITIVE = [
    # Keras 3 -----------------------------------------------------------------
    dict(case="k3_k1_valid", flavour="keras3", batch=1, steps=8, channels=3,
         rep=("uniform", -1.0, 2.0), layers=[L("sep_k1", 5, 1)]),
    dict(case="k3_k2_same_dm2_relu", flavour="keras3", batch=1, steps=12, channels=4,
         rep=("uniform", 0.0, 3.0), layers=[L("sep_k2", 6, 2, padding="same", dm=2, act="relu")]),
    dict(case="k3_k3_s2_same_relu6", flavour="keras3", batch=1, steps=16, channels=5,
         rep=("uniform", -3.0, -0.5), layers=[L("sep_k3", 8, 3, strides=2, padding="same", act="relu6")]),
    dict(case="k3_k4_s3_valid_dm3_linear", flavour="keras3", batch=1, steps=20, channels=2,
         rep=("normal", 0.5, 2.0), layers=[L("sep_k4", 4, 4, strides=3, dm=3, act="linear")]),
    dict(case="k3_k5_d2_same_relu", flavour="keras3", batch=1, steps=24, channels=6,
         rep=("uniform", -0.2, 4.0), layers=[L("sep_k5", 8, 5, dilation=2, padding="same", act="relu")]),
    dict(case="k3_k6_s2_valid_nobias", flavour="keras3", batch=1, steps=32, channels=1,
         rep=("uniform", -5.0, 1.0), layers=[L("sep_k6", 3, 6, strides=2, bias=False)]),
    dict(case="k3_k7_d3_valid_dm2", flavour="keras3", batch=1, steps=40, channels=3,
         rep=("normal", -1.0, 0.7), layers=[L("sep_k7", 7, 7, dilation=3, dm=2)]),
    dict(case="k3_k8_s2_same", flavour="keras3", batch=1, steps=32, channels=8,
         rep=("uniform", -2.0, 2.0), layers=[L("sep_k8", 16, 8, strides=2, padding="same")]),
    dict(case="k3_k9_same_relu", flavour="keras3", batch=1, steps=64, channels=16,
         rep=("uniform", -0.5, 1.5), layers=[L("sep_k9", 24, 9, padding="same", act="relu")]),
    dict(case="k3_k3_s3_same_dm3_nobias_relu6", flavour="keras3", batch=1, steps=17, channels=3,
         rep=("uniform", 1.0, 6.0), layers=[L("sep_s3", 5, 3, strides=3, padding="same", dm=3, bias=False, act="relu6")]),
    dict(case="k3_k3_hard_tanh", flavour="keras3", batch=1, steps=10, channels=4,
         rep=("normal", 0.0, 1.0), layers=[L("sep_ht", 4, 3, padding="same", act="hard_tanh")]),
    dict(case="k3_k3_tanh", flavour="keras3", batch=1, steps=10, channels=2,
         rep=("normal", 0.0, 1.0), layers=[L("sep_tanh", 3, 3, act="tanh")]),
    dict(case="k3_d2_s2_same", flavour="keras3", batch=1, steps=16, channels=3,
         rep=("uniform", -1.0, 1.0), layers=[L("sep_ds", 4, 3, strides=2, dilation=2, padding="same")]),
    # dynamic batch: dilated layers become SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND
    dict(case="k3_dyn_k3_same", flavour="keras3", batch=None, steps=16, channels=4,
         rep=("uniform", -1.0, 3.0), layers=[L("sep_b", 6, 3, padding="same", dm=2, act="relu")]),
    dict(case="k3_dyn_k3_d2_same", flavour="keras3", batch=None, steps=16, channels=4,
         rep=("uniform", -1.0, 3.0), layers=[L("sep_b", 6, 3, dilation=2, padding="same", dm=2, act="relu")]),
    dict(case="k3_dyn_k5_d3_valid", flavour="keras3", batch=None, steps=30, channels=3,
         rep=("normal", 0.3, 1.5), layers=[L("sep_d3", 5, 5, dilation=3, dm=3)]),
    dict(case="k3_dyn_k4_d2_same_odd", flavour="keras3", batch=None, steps=19, channels=2,
         rep=("uniform", -4.0, 0.5), layers=[L("sep_d2odd", 3, 4, dilation=2, padding="same", act="relu6")]),
    # several chains
    dict(case="k3_multi3", flavour="keras3", batch=1, steps=24, channels=4,
         rep=("uniform", -1.0, 2.0),
         layers=[L("sep_a", 8, 3, padding="same", act="relu"),
                 L("sep_b", 6, 5, strides=2, dm=2),
                 L("sep_c", 5, 3, dilation=2, padding="same", act="relu6")]),
    dict(case="k3_dyn_multi2_d2", flavour="keras3", batch=None, steps=20, channels=3,
         rep=("uniform", -2.0, 1.0),
         layers=[L("sep_a", 6, 3, dilation=2, padding="same", act="relu"),
                 L("sep_b", 4, 3, dilation=3, dm=2)]),
    dict(case="k3_dense_sep_dense", flavour="keras3", batch=1, steps=12, channels=3,
         rep=("uniform", -1.0, 1.0), dense_before=6, dense_after=5,
         layers=[L("sep_mid", 8, 3, padding="same", act="relu")]),
    dict(case="k3_dyn_dense_sep_dense", flavour="keras3", batch=None, steps=12, channels=3,
         rep=("uniform", -1.0, 1.0), dense_before=6, dense_after=5,
         layers=[L("sep_mid", 8, 3, padding="same", act="relu")]),
    dict(case="k3_dup_names", flavour="keras3", batch=1, steps=12, channels=3,
         rep=("uniform", -1.0, 1.0), blocks=["block_a", "block_b"],
         layers=[L("sep", 4, 3, padding="same", act="relu"),
                 L("sep", 5, 3, padding="same")]),
    # tf.keras 2 ----------------------------------------------------------------
    dict(case="tf2_k3_causal_relu", flavour="tf_keras2", batch=1, steps=16, channels=4,
         rep=("uniform", -1.0, 2.0), layers=[L("sep_b", 6, 3, padding="causal", act="relu")]),
    dict(case="tf2_k5_causal_d3_dm2", flavour="tf_keras2", batch=1, steps=24, channels=3,
         rep=("uniform", 0.5, 2.5), layers=[L("sep_c", 5, 5, dilation=3, padding="causal", dm=2)]),
    dict(case="tf2_k4_causal_s2", flavour="tf_keras2", batch=1, steps=18, channels=2,
         rep=("normal", -0.5, 1.0), layers=[L("sep_cs", 4, 4, strides=2, padding="causal")]),
    dict(case="tf2_k4_same_dm2_relu6", flavour="tf_keras2", batch=1, steps=20, channels=5,
         rep=("uniform", -3.0, 1.0), layers=[L("sep_b", 7, 4, padding="same", dm=2, act="relu6")]),
    dict(case="tf2_k2_valid_s2_nobias", flavour="tf_keras2", batch=1, steps=15, channels=6,
         rep=("uniform", -0.5, 0.5), layers=[L("sep_v", 9, 2, strides=2, bias=False)]),
    dict(case="tf2_dyn_k3_same", flavour="tf_keras2", batch=None, steps=16, channels=4,
         rep=("uniform", -1.0, 3.0), layers=[L("sep_b", 6, 3, padding="same", act="relu")]),
    dict(case="tf2_dyn_k3_d2_same", flavour="tf_keras2", batch=None, steps=16, channels=4,
         rep=("uniform", -1.0, 3.0), layers=[L("sep_b", 6, 3, dilation=2, padding="same", act="relu")]),
    dict(case="tf2_dyn_k3_d2_causal", flavour="tf_keras2", batch=None, steps=16, channels=3,
         rep=("normal", 1.0, 1.0), layers=[L("sep_cd", 4, 3, dilation=2, padding="causal", dm=2)]),
    dict(case="tf2_multi2_dense", flavour="tf_keras2", batch=1, steps=16, channels=3,
         rep=("uniform", -1.0, 2.0), dense_after=4,
         layers=[L("sep_a", 6, 3, padding="causal", act="relu"),
                 L("sep_b", 8, 3, strides=2, padding="same", dm=2, act="relu")]),
]

# Refusals: what a spec must refuse, with the reason.
NEGATIVE = [
    dict(case="neg_float32", flavour="keras3", quant="float32", steps=12, channels=3,
         description="float32 model (no quantization)"),
    dict(case="neg_int16_act", flavour="keras3", quant="int16", steps=12, channels=3,
         description="int16 activations, int8 weights (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8)"),
    dict(case="neg_hybrid", flavour="keras3", quant="hybrid", steps=12, channels=3,
         description="hybrid / dynamic range: float activations, int8 weights (Optimize.DEFAULT without a representative dataset)"),
    dict(case="neg_uint8_input", flavour="keras3", quant="uint8", steps=12, channels=3,
         description="uint8 model input and output (inference_input_type=tf.uint8): QUANTIZE uint8->int8 before the chain, int8 chain, QUANTIZE int8->uint8 after"),
]


def seed_of(name):
    return zlib.crc32(name.encode())


# --------------------------------------------------------------------------
# Child process: build and convert one flavour's models.
# --------------------------------------------------------------------------


def child(flavour, outdir):
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if flavour == "tf_keras2":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
    import numpy as np
    import tensorflow as tf
    if flavour == "tf_keras2":
        import tf_keras as keras
    else:
        import keras
    outdir = Path(outdir)
    report = {}

    def act_of(a):
        return a

    def build(c):
        keras.utils.set_random_seed(seed_of(c["case"]))
        shape = (c["steps"], c["channels"])
        batch = c.get("batch")
        if flavour == "tf_keras2":
            x = keras.Input(shape, batch_size=batch, name="x")
        else:
            x = keras.Input(shape, name="x")
        y = x
        if c.get("dense_before"):
            y = keras.layers.Dense(c["dense_before"], name="dense_in")(y)
        blocks = c.get("blocks")
        for i, ld in enumerate(c["layers"]):
            lay = keras.layers.SeparableConv1D(
                ld["filters"], ld["kernel"], strides=ld["strides"], padding=ld["padding"],
                dilation_rate=ld["dilation"], depth_multiplier=ld["dm"], use_bias=ld["bias"],
                activation=act_of(ld["act"]), name=ld["name"])
            if blocks:
                inner = keras.Sequential([lay], name=blocks[i])
                y = inner(y)
            else:
                y = lay(y)
        if c.get("dense_after"):
            y = keras.layers.Dense(c["dense_after"], name="dense_out")(y)
        model = keras.Model(x, y, name=c["case"])
        rng = np.random.default_rng(seed_of(c["case"]))
        for lay in _all_layers(model):
            ws = lay.get_weights()
            if not ws:
                continue
            new = []
            for w in ws:
                if w.ndim == 1:  # bias
                    new.append(rng.uniform(-0.6, 0.6, w.shape).astype(np.float32))
                else:
                    if lay.__class__.__name__ == "Dense":
                        std = 1.0 / np.sqrt(w.shape[0])
                    elif w.shape[0] == 1 and w.ndim == 3 and len(new) == 1:  # pointwise (1, C*dm, F)
                        std = 1.0 / np.sqrt(w.shape[1])
                    else:  # depthwise (k, C, dm)
                        std = 0.9 / np.sqrt(w.shape[0])
                    new.append(rng.normal(0.0, std, w.shape).astype(np.float32))
            lay.set_weights(new)
        return model

    def _all_layers(model):
        out = []
        for lay in model.layers:
            if hasattr(lay, "layers") and lay.layers:
                out.extend(_all_layers(lay))
            else:
                out.append(lay)
        return out

    def rep_data(c, shape):
        kind, a, b = c.get("rep", ("uniform", -1.0, 1.0))
        rng = np.random.default_rng(seed_of(c["case"]) + 1)

        def gen():
            for _ in range(32):
                if kind == "uniform":
                    v = rng.uniform(a, b, (1,) + shape)
                else:
                    v = rng.normal(a, b, (1,) + shape)
                yield [v.astype(np.float32)]
        return gen

    def converter_for(model, c):
        shape = (c["steps"], c["channels"])
        if flavour == "tf_keras2":
            return tf.lite.TFLiteConverter.from_keras_model(model)
        d = tempfile.mkdtemp(prefix="fx_sm_")
        model.export(d, format="tf_saved_model", verbose=False,
                     input_signature=[tf.TensorSpec((c.get("batch"),) + shape, tf.float32, name="x")])
        return tf.lite.TFLiteConverter.from_saved_model(d)

    cases = [c for c in POSITIVE if c["flavour"] == flavour]
    negs = [c for c in NEGATIVE if c["flavour"] == flavour]
    for c in cases + negs:
        shape = (c["steps"], c["channels"])
        if "quant" in c:  # a negative: one plain layer
            c = dict(c, batch=1, rep=("uniform", -1.0, 2.0),
                     layers=[L("sep_neg", 4, 3, padding="same", act="relu")])
        try:
            model = build(c)
        except Exception as e:  # a form this Keras refuses: recorded, not fatal
            report[c["case"]] = dict(error=f"Keras: {type(e).__name__}: {e}".splitlines()[0])
            print(f"  {c['case']}: Keras refused: {e}".splitlines()[0], flush=True)
            continue
        conv = converter_for(model, c)
        q = c.get("quant", "int8")
        if q != "float32":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        if q in ("int8", "uint8", "int16"):
            conv.representative_dataset = rep_data(c, shape)
        if q in ("int8", "uint8"):
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv.inference_input_type = conv.inference_output_type = (tf.uint8 if q == "uint8" else tf.int8)
        if q == "int16":
            conv.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            conv.inference_input_type = conv.inference_output_type = tf.int16
        try:
            blob = conv.convert()
        except Exception as e:
            report[c["case"]] = dict(error=f"converter: {type(e).__name__}: {e}".splitlines()[0])
            print(f"  {c['case']}: converter refused: {e}".splitlines()[0], flush=True)
            continue
        (outdir / f"{c['case']}.tflite").write_bytes(blob)
        seps = [lay for lay in _all_layers(model) if lay.__class__.__name__ == "SeparableConv1D"]
        info = []
        for lay in seps:
            cfg = lay.get_config()
            act = cfg.get("activation")
            info.append(dict(
                name=lay.name,
                steps=int(lay.input.shape[1]) if flavour == "tf_keras2" or not c.get("blocks") else None,
                channels=int(lay.input.shape[2]) if flavour == "tf_keras2" or not c.get("blocks") else None,
                out_steps=int(lay.output.shape[1]) if flavour == "tf_keras2" or not c.get("blocks") else None,
                filters=cfg["filters"], kernel_size=list(cfg["kernel_size"])[0],
                strides=list(cfg["strides"])[0], dilation_rate=list(cfg["dilation_rate"])[0],
                padding=cfg["padding"], depth_multiplier=cfg["depth_multiplier"],
                use_bias=cfg["use_bias"], activation=act if isinstance(act, str) else str(act)))
        report[c["case"]] = dict(layers=info, keras_version=keras.__version__ if hasattr(keras, "__version__") else None,
                                 tf_version=tf.__version__)
        print(f"  {c['case']}: {len(blob)} bytes, {len(info)} SeparableConv1D", flush=True)
    (outdir / f"report_{flavour}.json").write_text(json.dumps(report, indent=1))


# --------------------------------------------------------------------------
# Parent: read the flatbuffers, find the chains, run the interpreters.
# --------------------------------------------------------------------------

CHAIN_BEFORE = ("PAD", "RESHAPE", "EXPAND_DIMS", "SPACE_TO_BATCH_ND")
ACT = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT", 6: "SIGMOID"}
PAD = {0: "SAME", 1: "VALID"}


def analyse(path):
    import numpy as np
    from tensorflow.lite.tools import flatbuffer_utils as fu
    m = fu.read_model(str(path))
    sg = m.subgraphs[0]
    ops = sg.operators
    names = [fu.opcode_to_name(m, op.opcodeIndex) for op in ops]
    producer, consumers = {}, {}
    for i, op in enumerate(ops):
        for t in op.outputs:
            producer[t] = i
        for t in op.inputs:
            if t >= 0:
                consumers.setdefault(t, []).append(i)

    def tname(t):
        n = sg.tensors[t].name
        return n.decode() if isinstance(n, bytes) else n

    def rank(t):
        return len(sg.tensors[t].shape)

    chains = []
    for i, n in enumerate(names):
        if n != "DEPTHWISE_CONV_2D":
            continue
        chain = [i]
        # backwards: [PAD] [RESHAPE|EXPAND_DIMS (rank 3 -> 4)] [PAD] [SPACE_TO_BATCH_ND]
        allowed = ["SPACE_TO_BATCH_ND", "PAD", "RESHAPE|EXPAND_DIMS", "PAD"]
        k = 0
        while k < len(allowed):
            t = ops[chain[0]].inputs[0]
            p = producer.get(t)
            if p is None or len(consumers.get(t, [])) != 1:
                break
            if names[p] in allowed[k].split("|"):
                if names[p] in ("RESHAPE", "EXPAND_DIMS") and rank(ops[p].inputs[0]) != 3:
                    break
                chain.insert(0, p)
            k += 1
        # forwards: [BATCH_TO_SPACE_ND] CONV_2D (1x1) [RESHAPE to rank 3]
        t = ops[i].outputs[0]
        c = consumers.get(t, [])
        for extra_op in ("BATCH_TO_SPACE_ND", "STRIDED_SLICE"):
            if len(c) == 1 and names[c[0]] == extra_op:
                chain.append(c[0])
                c = consumers.get(ops[c[0]].outputs[0], [])
        if not (len(c) == 1 and names[c[0]] == "CONV_2D"):
            continue
        chain.append(c[0])
        c = consumers.get(ops[c[0]].outputs[0], [])
        if len(c) == 1 and names[c[0]] == "RESHAPE" and rank(ops[c[0]].outputs[0]) == 3:
            chain.append(c[0])
        chains.append(chain)

    def quant(t):
        q = sg.tensors[t].quantization
        if q is None or q.scale is None:
            return None
        sc = [float(v) for v in q.scale]
        zp = [int(v) for v in q.zeroPoint]
        return dict(scale=sc[0] if len(sc) == 1 else sc, zero_point=zp[0] if len(zp) == 1 else zp)

    def nscales(t):
        q = sg.tensors[t].quantization
        return 0 if q is None or q.scale is None else len(q.scale)

    out = []
    for chain in chains:
        dw = next(j for j in chain if names[j] == "DEPTHWISE_CONV_2D")
        cv = next(j for j in chain if names[j] == "CONV_2D")
        dwo, cvo = ops[dw].builtinOptions, ops[cv].builtinOptions
        tin, tout = ops[chain[0]].inputs[0], ops[chain[-1]].outputs[0]
        extra = {}
        for j in [j for j in chain if names[j] in ("PAD", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "STRIDED_SLICE")]:
            consts = []
            for t in ops[j].inputs[1:]:
                b = m.buffers[sg.tensors[t].buffer].data
                arr = None
                if b is not None and len(b):
                    arr = np.frombuffer(bytes(bytearray(b)), dtype=np.int32).reshape(list(sg.tensors[t].shape)).tolist()
                consts.append(arr)
            extra[f"{names[j]}@{j}"] = consts
        ti = sg.tensors[tin]
        out.append(dict(
            operators=chain, opcodes=[names[j] for j in chain],
            tensor_names=[tname(ops[j].outputs[0]) for j in chain],
            input_tensor=dict(index=tin, name=tname(tin), shape=[int(v) for v in ti.shape],
                              shape_signature=[int(v) for v in ti.shapeSignature] if ti.shapeSignature is not None else None,
                              type=fu.type_to_name(ti.type)),
            output_tensor=dict(index=tout, name=tname(tout), shape=[int(v) for v in sg.tensors[tout].shape]),
            depthwise=dict(padding=PAD[dwo.padding], stride_w=dwo.strideW, stride_h=dwo.strideH,
                           dilation_w=dwo.dilationWFactor, dilation_h=dwo.dilationHFactor,
                           depth_multiplier=dwo.depthMultiplier, fused_activation=ACT[dwo.fusedActivationFunction],
                           filter_shape=[int(v) for v in sg.tensors[ops[dw].inputs[1]].shape],
                           has_bias=len(ops[dw].inputs) > 2 and ops[dw].inputs[2] >= 0),
            pointwise=dict(padding=PAD[cvo.padding], stride_w=cvo.strideW, stride_h=cvo.strideH,
                           fused_activation=ACT[cvo.fusedActivationFunction],
                           filter_shape=[int(v) for v in sg.tensors[ops[cv].inputs[1]].shape],
                           has_bias=len(ops[cv].inputs) > 2 and ops[cv].inputs[2] >= 0),
            fused_activation=[ACT[o.fusedActivationFunction] for o in (dwo, cvo)],
            constants=extra,
            input_quant=quant(tin), output_quant=quant(tout),
            intermediate_quant=quant(ops[dw].outputs[0]),
            depthwise_filter_scales=nscales(ops[dw].inputs[1]),
            pointwise_filter_scales=nscales(ops[cv].inputs[1]),
        ))
    io = dict(inputs=[dict(name=tname(t), type=fu.type_to_name(sg.tensors[t].type),
                           shape_signature=[int(v) for v in sg.tensors[t].shapeSignature] if sg.tensors[t].shapeSignature is not None else [int(v) for v in sg.tensors[t].shape])
                      for t in sg.inputs],
              outputs=[dict(name=tname(t), type=fu.type_to_name(sg.tensors[t].type)) for t in sg.outputs])
    return m, names, out, io


def cut_chain(m, chain, batch):
    """A model of only the chain's operators; batch rewritten where it is -1."""
    from tensorflow.lite.tools import flatbuffer_utils as fu
    m2 = copy.deepcopy(m)
    sg = m2.subgraphs[0]
    ops = [sg.operators[j] for j in chain["operators"]]
    sg.operators = ops
    sg.inputs = [chain["input_tensor"]["index"]]
    sg.outputs = [chain["output_tensor"]["index"]]
    m2.signatureDefs = []
    used = {t for op in ops for t in list(op.inputs) + list(op.outputs) if t >= 0}
    for t in used:
        ten = sg.tensors[t]
        if ten.shapeSignature is not None and len(ten.shapeSignature) and ten.shapeSignature[0] == -1:
            ten.shape[0] = batch
    return bytes(fu.convert_object_to_bytearray(m2))


def run_litert(blob, x, ref, preserve=False, read=()):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    kw = dict(model_content=blob)
    if ref:
        kw.update(experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    if preserve:
        kw.update(experimental_preserve_all_tensors=True)
    it = Interpreter(**kw)
    inp = it.get_input_details()[0]
    if list(inp["shape"]) != list(x.shape):
        it.resize_tensor_input(inp["index"], list(x.shape), strict=True)
    it.allocate_tensors()
    it.set_tensor(inp["index"], x)
    it.invoke()
    if read:
        return [it.get_tensor(t).copy() for t in read]
    return it.get_tensor(it.get_output_details()[0]["index"]).copy()


def run_tflm(blob, x):
    from tflite_micro.python.tflite_micro import runtime
    it = runtime.Interpreter.from_bytes(blob, arena_size=1 << 20)
    it.set_input(x, 0)
    it.invoke()
    return it.get_output(0).copy()


def _plain(o):
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(type(o).__name__)


def parent():
    import numpy as np
    OUT.mkdir(parents=True, exist_ok=True)
    for p in list(OUT.glob("*.tflite")) + list(OUT.glob("*.npy")) + list(OUT.glob("manifest.json")):
        p.unlink()
    work = Path(tempfile.mkdtemp(prefix="fx_tflite_"))
    reports = {}
    for flavour in ("keras3", "tf_keras2"):
        print(f"converting {flavour} models ...", flush=True)
        env = dict(os.environ, PYTHONHASHSEED="0", CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("TF_USE_LEGACY_KERAS", None)
        r = subprocess.run([sys.executable, __file__, "--child", flavour, str(work)], env=env)
        if r.returncode != 0:
            sys.exit(f"child {flavour} failed ({r.returncode})")
        reports.update(json.loads((work / f"report_{flavour}.json").read_text()))

    manifest = dict(
        generator="Scripts/tflite_fixtures.py",
        truth="ai_edge_litert Interpreter, OpResolverType.BUILTIN_REF",
        versions={}, cases=[], refusals=[], not_made=[])
    try:
        from importlib.metadata import version
        for pkg in ("tensorflow", "tf-keras", "keras", "ai-edge-litert", "tflite-micro", "numpy"):
            manifest["versions"][pkg] = version(pkg)
    except Exception:
        pass
    rows = []
    for c in POSITIVE:
        rep = reports.get(c["case"])
        if rep is None or "error" in rep:
            manifest["not_made"].append(dict(case=c["case"], flavour=c["flavour"],
                                             reason=(rep or {}).get("error", "missing")))
            continue
        src = work / f"{c['case']}.tflite"
        blob = src.read_bytes()
        (OUT / src.name).write_bytes(blob)
        m, names, chains, io = analyse(src)
        dynamic = io["inputs"][0]["shape_signature"][0] == -1
        if len(chains) != len(rep["layers"]):
            sys.exit(f"{c['case']}: {len(chains)} chains, {len(rep['layers'])} SeparableConv1D layers")
        rng = np.random.default_rng(seed_of(c["case"]) + 2)
        shape = (c["steps"], c["channels"])
        batches = [1, 3] if dynamic else [1]
        xs = []
        for b in batches:
            x = rng.integers(-128, 128, (b,) + shape, dtype=np.int8)
            x.flat[0], x.flat[1] = -128, 127
            xs.append(x)
        reads = [t for ch in chains for t in (ch["input_tensor"]["index"], ch["output_tensor"]["index"])]
        runs = []
        for x in xs:
            runs.append(run_litert(blob, x, ref=True, preserve=True, read=reads))
        entry = dict(case=c["case"], file=src.name, flavour=c["flavour"], dynamic_batch=dynamic,
                     batches=batches, model_input=io["inputs"][0], model_output=io["outputs"][0],
                     operators=names, chains=[])
        for n, (ch, lay) in enumerate(zip(chains, rep["layers"])):
            ins, outs = [], []
            for got in runs:
                ins.append(got[2 * n])
                outs.append(got[2 * n + 1])
            # shape (batch, steps, channels) whatever the rank TFLite gave (4 with
            # the reshapes dropped, 2 after a FULLY_CONNECTED)
            chin = ch["input_tensor"]["shape"][-1]
            fin = lay["filters"]
            cin = np.concatenate([a.reshape(b, -1, chin) for a, b in zip(ins, batches)], axis=0).astype(np.int8)
            cout = np.concatenate([a.reshape(b, -1, fin) for a, b in zip(outs, batches)], axis=0).astype(np.int8)
            np.save(OUT / f"{c['case']}.c{n}.input.npy", cin)
            np.save(OUT / f"{c['case']}.c{n}.expected.npy", cout)
            # agreement on the cut-out chain, with the same chain input
            agree = dict(builtin_ref_cut=[], xnnpack_diff=[], xnnpack_maxabs=[], tflm_diff=[])
            row0 = 0
            for b, a_in, a_out in zip(batches, ins, outs):
                cut = cut_chain(m, ch, b)
                r = run_litert(cut, a_in, ref=True)
                agree["builtin_ref_cut"].append(bool(np.array_equal(r, a_out)))
                xn = run_litert(cut, a_in, ref=False)
                d = xn.astype(np.int32) - a_out.astype(np.int32)
                agree["xnnpack_diff"].append(int(np.count_nonzero(d)))
                agree["xnnpack_maxabs"].append(int(np.abs(d).max()))
                tl = []
                for _ in range(3):
                    try:
                        t = run_tflm(cut, a_in)
                        tl.append(int(np.count_nonzero(t.reshape(a_out.shape).astype(np.int32) - a_out)) if t.size == a_out.size else f"shape {list(t.shape)}")
                    except Exception as e:
                        tl.append(f"error: {str(e).splitlines()[0][:120]}")
                agree["tflm_diff"].append(tl)
            if not all(agree["builtin_ref_cut"]):
                sys.exit(f"{c['case']} chain {n}: the cut-out chain differs from the whole model under BUILTIN_REF")
            values = [int(np.prod(o.shape)) for o in outs]
            ce = dict(index=n, layer=lay["name"], **{k: lay[k] for k in (
                "steps", "channels", "out_steps", "filters", "kernel_size", "strides", "dilation_rate", "padding",
                "depth_multiplier", "use_bias", "activation")})
            if ce["steps"] is None:
                ce["steps"], ce["channels"], ce["out_steps"] = int(cin.shape[1]), int(cin.shape[2]), int(cout.shape[1])
            ce.update(dict(
                operators=ch["operators"], opcodes=ch["opcodes"], tensor_names=ch["tensor_names"],
                input_tensor=ch["input_tensor"], output_tensor=ch["output_tensor"],
                fused_activation=ch["fused_activation"], depthwise=ch["depthwise"], pointwise=ch["pointwise"],
                constants=ch["constants"],
                input_quant=ch["input_quant"], intermediate_quant=ch["intermediate_quant"], output_quant=ch["output_quant"],
                filter_scales=dict(depthwise=ch["depthwise_filter_scales"], pointwise=ch["pointwise_filter_scales"]),
                input_file=f"{c['case']}.c{n}.input.npy", expected_file=f"{c['case']}.c{n}.expected.npy",
                values_per_batch=values,
                xnnpack_agrees=all(v == 0 for v in agree["xnnpack_diff"]),
                xnnpack_diff_count=agree["xnnpack_diff"], xnnpack_max_abs_diff=agree["xnnpack_maxabs"],
                tflm_agrees=all(v == 0 for runs_ in agree["tflm_diff"] for v in runs_),
                tflm_diff_count=agree["tflm_diff"]))
            entry["chains"].append(ce)
            rows.append((c["case"], n, " ".join(o.replace("DEPTHWISE_CONV_2D", "DW").replace("CONV_2D", "CONV")
                                               .replace("SPACE_TO_BATCH_ND", "S2B").replace("BATCH_TO_SPACE_ND", "B2S")
                                               .replace("EXPAND_DIMS", "EXP").replace("RESHAPE", "RSH") for o in ch["opcodes"]),
                         (ch["input_quant"]["zero_point"], ch["intermediate_quant"]["zero_point"], ch["output_quant"]["zero_point"]),
                         "/".join(ch["fused_activation"]), agree["xnnpack_diff"], values, agree["tflm_diff"]))
        manifest["cases"].append(entry)

    for c in NEGATIVE:
        rep = reports.get(c["case"])
        if rep is None or "error" in rep:
            manifest["not_made"].append(dict(case=c["case"], reason=(rep or {}).get("error", "missing")))
            continue
        src = work / f"{c['case']}.tflite"
        (OUT / src.name).write_bytes(src.read_bytes())
        m, names, chains, io = analyse(src)
        manifest["refusals"].append(dict(
            case=c["case"], file=src.name, flavour=c["flavour"], description=c["description"],
            operators=names, model_input=io["inputs"][0], model_output=io["outputs"][0],
            chains=[dict(opcodes=ch["opcodes"], input_type=ch["input_tensor"]["type"],
                         tensor_names=ch["tensor_names"]) for ch in chains]))
    # not a TFLite flatbuffer: the first 64 bytes of one
    first = manifest["cases"][0]
    (OUT / "neg_truncated.tflite").write_bytes((OUT / first["file"]).read_bytes()[:64])
    manifest["refusals"].append(dict(case="neg_truncated", file="neg_truncated.tflite", flavour=None,
                                     description=f"not a valid TFLite flatbuffer: the first 64 bytes of {first['file']}"))
    # two chains that match one name
    for e in manifest["cases"]:
        names_ = [ch["layer"] for ch in e["chains"]]
        for nm in sorted(set(names_)):
            if names_.count(nm) > 1:
                manifest["refusals"].append(dict(
                    case=e["case"], file=e["file"], flavour=e["flavour"], layer=nm,
                    description=f"layer: {nm} matches chains {[i for i, x in enumerate(names_) if x == nm]} (ambiguous); the chains by index are positive cases"))

    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, default=_plain) + "\n")
    print()
    print(f"{'case':34} ch  {'opcodes':44} zp(in,mid,out)   fused      xnnpack diffs / values   tflm diffs (3 runs per batch)")
    for case, n, opc, zp, fa, xd, vals, td in rows:
        print(f"{case:34} {n:2}  {opc:44} {str(zp):16} {fa:10} {str(xd)+' / '+str(vals):24} {td}")
    nchains = len(rows)
    xn_ok = sum(1 for r in rows if all(v == 0 for v in r[5]))
    tl_ok = sum(1 for r in rows if all(v == 0 for rr in r[7] for v in rr))
    xv = sum(sum(r[5]) for r in rows)
    tv = sum(sum(r[6]) for r in rows)
    print(f"\n{len(manifest['cases'])} cases, {nchains} chains; XNNPACK agrees on {xn_ok}, "
          f"{xv} values differ of {tv}; TFLM agrees on {tl_ok}; refusals {len(manifest['refusals'])}; "
          f"not made {[x['case'] for x in manifest['not_made']]}")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{OUT}: {len(list(OUT.iterdir()))} files, {total} bytes")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        parent()
