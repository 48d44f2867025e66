"""Random Keras weights for sepconv-gen's fixture scripts (model_fixtures.py, network_fixtures.py).

Import it after keras, once KERAS_BACKEND is set.
"""

import keras
from keras import layers


def randomize(model, rng):
    """Random weights everywhere; BatchNormalization statistics non-trivial."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.Model) or not layer.weights:
            continue
        if isinstance(layer, layers.BatchNormalization):
            values = []
            for w in layer.weights:
                shape = tuple(w.shape)
                key = w.path.rsplit("/", 1)[-1]
                if key == "gamma":
                    values.append(rng.uniform(0.5, 1.5, shape))
                elif key == "beta":
                    values.append(rng.normal(0.0, 0.5, shape))
                elif key == "moving_mean":
                    values.append(rng.normal(0.4, 0.8, shape))
                else:  # moving_variance
                    values.append(rng.uniform(0.3, 2.5, shape))
            layer.set_weights([v.astype(w.dtype) for v, w in zip(values, layer.weights)])
        else:
            layer.set_weights([rng.normal(0.0, 0.6, tuple(w.shape)).astype(w.dtype) for w in layer.weights])
