"""The Python script that rebuilds a playground run with glassnet's public API and prints its numbers."""

from __future__ import annotations

from ..errors import OptionError
from .spec import Spec


def script(spec: Spec, steps: int) -> str:
    """Python that rebuilds the run of ``spec`` with glassnet's public API, trains ``steps`` steps and prints
    the numbers the playground shows.

    Parameters
    ----------
    spec : Spec
        Not for uploaded points (``data="csv"``).
    steps : int

    Returns
    -------
    str
    """
    if spec.data == "csv":
        raise OptionError("a run on uploaded points cannot be written as a script without the points")
    return SCRIPT.format(query=spec.to_query(), steps=int(steps))


SCRIPT = '''"""A glassnet playground run, rebuilt with the Python API.

Settings: {query}
"""
import numpy as np

import glassnet as gn
from glassnet.playground import Spec, build, make_optimizer
from glassnet.playground.data import features, make

spec = Spec.from_query("{query}")
steps = {steps}

# the points, and the split into training and test points
X, y = make(spec.data, spec.points, spec.noise, spec.seed, spec.classes)
order = np.random.default_rng(spec.seed + 1).permutation(len(X))
n_train = max(1, min(len(X) - 1, int(round(spec.train_fraction * len(X)))))
train, test = np.sort(order[:n_train]), np.sort(order[n_train:])
inputs = features(X, list(spec.features))

# the network, its cost and its optimizer
model, loss = build(spec, int(y.max()) + 1 if spec.task == "classification" else 1)
objective = gn.Objective(model, loss, spec.l2, spec.l1)
X_train, y_train = objective.prepare(inputs[train], y[train])
X_test, y_test = objective.prepare(inputs[test], y[test])
optimizer = make_optimizer(spec).bind(model)
dense = [layer for layer in model.layers if isinstance(layer, gn.Dense)]
edits = {{}}
for step, layer, i, j, value in spec.edits:
    edits.setdefault(step, []).append((layer, i, j, value))

# training: each epoch shuffles the training points with the model's generator, then steps batch by batch
for layer, i, j, value in edits.get(0, []):
    dense[layer].W[i, j] = value
n, batch = len(X_train), min(spec.batch_size, len(X_train))
position, rows_order = 0, np.arange(n)
for step in range(1, steps + 1):
    if position == 0 and batch < n:
        rows_order = model.rng.permutation(n)
    rows = rows_order[position:position + batch]
    objective(X_train[rows], y_train[rows])   # the cost; the gradient goes into model.grads
    optimizer.step()
    position = 0 if position + len(rows) >= n else position + len(rows)
    for layer, i, j, value in edits.get(step, []):
        dense[layer].W[i, j] = value

print("train loss", repr(objective.value(X_train, y_train)))
print("test loss", repr(objective.value(X_test, y_test)))
print("weight layer 0 (0, 0)", repr(float(dense[0].W[0, 0])))
print("its gradient from the last step", repr(float(dense[0].grads["W"][0, 0])))
print("the bias gradient of neuron 1 of layer 1", repr(float(dense[0].grads["b"][0])))
'''
