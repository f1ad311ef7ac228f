"""Tutorial 01: a 5-sample, 3-feature network with a hidden layer of 5 sigmoid units.

The tutorial's loop adds ``a.T @ (2 (y - out) out (1 - out))`` to each weight:
gradient descent with learning rate 1 on the sum of squared errors without
the one-half, which is glassnet's ``SquaredError("sum")`` at learning rate 2.
Weights start uniform in [0, 1) as ``np.random.rand`` draws them; there are no
biases. Published outputs for labels 0 1 1 0 0:

* 10,000 epochs:  0.0068 0.9942 0.9918 0.0058 0.0072
* 100,000 epochs: 0.0019 0.9983 0.9983 0.0018 0.0002

The tutorial's input rows were lost from its text and its weights were not
seeded, so this example uses rows of its own (below) and reproduces the
behaviour, not the digits: every output within 0.01 of its label after
10,000 epochs, and closer still after 100,000.

    python examples/sigmoid_network.py [--quick] [--out DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.tools import plots

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0]], dtype=float)
Y = np.array([0, 1, 1, 0, 0], dtype=float)
PUBLISHED = {10_000: [0.0068427, 0.99415196, 0.99178343, 0.00575189, 0.00715451],
             100_000: [1.87429403e-03, 9.98297263e-01, 9.98299114e-01, 1.84753683e-03, 1.58679526e-04]}


def uniform01(shape, rng, dtype):
    return rng.random(shape).astype(dtype)


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    model = gn.Sequential([gn.Dense(3, 5, bias=False, init=uniform01, rng=rng, dtype=np.float64), gn.Sigmoid(),
                           gn.Dense(5, 1, bias=False, init=uniform01, rng=rng, dtype=np.float64), gn.Sigmoid()])
    results, done, loss = {}, 0, []
    for target in (10_000,) if quick else (10_000, 100_000):
        h = model.fit(X, Y, loss=gn.SquaredError("sum"), optimizer=gn.SGD(lr=2.0), epochs=target - done,
                      batch_size=None, shuffle=False, verbose=False)
        loss += h.loss
        done = target
        results[target] = model.predict(X).ravel()
    plots.learning_curves({"loss": loss}, out / "sigmoid_network_learning_curve.png",
                          title="Tutorial 01: 3-5-1 sigmoid network", log_scale=True)
    print("Tutorial 01, outputs for labels 0 1 1 0 0")
    for epochs, outputs in results.items():
        print(f"  {epochs:>7,} epochs  published " + " ".join(f"{v:.4f}" for v in PUBLISHED[epochs]))
        print(f"  {'':>7}         glassnet  " + " ".join(f"{v:.4f}" for v in outputs))
    print(f"  plot in {out}/sigmoid_network_learning_curve.png")
    return results


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
