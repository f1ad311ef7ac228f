"""Tutorial 05: the 3-4-1 sigmoid network without biases, trained 1,000 times at learning rate 1.

Weights from ``np.random.seed(1)``, then ``random((3, 4))`` and
``random((4, 1))``; the cost is the sum of squared errors with the one-half.
Published: initial outputs 0.758 0.771 0.791 0.801; after training
0.028 0.925 0.925 0.090; the input (1, 0, 1) gives 0.925.

    python examples/two_layer_341.py [--quick] [--out DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.tools import plots

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
Y = np.array([0, 1, 1, 0], dtype=float)


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    np.random.seed(1)  # the tutorial's legacy global generator, for its exact starting weights
    w1, w2 = np.random.random((3, 4)), np.random.random((4, 1))
    model = gn.Sequential([gn.Dense(3, 4, bias=False, dtype=np.float64), gn.Sigmoid(),
                           gn.Dense(4, 1, bias=False, dtype=np.float64), gn.Sigmoid()])
    model.set_weights([w1, w2])
    results = {"initial": model.predict(X).ravel()}
    history = model.fit(X, Y, loss=gn.SquaredError("sum"), optimizer=gn.SGD(lr=1.0), epochs=1000,
                        batch_size=None, shuffle=False, verbose=False)
    results["trained"] = model.predict(X).ravel()
    results["one_zero_one"] = float(model.predict([[1, 0, 1]])[0, 0])
    plots.learning_curves(history, out / "341_learning_curve.png", title="Tutorial 05: 3-4-1, learning rate 1")
    print("Tutorial 05, 3-4-1 network               published                glassnet")
    print("  initial outputs          0.758 0.771 0.791 0.801   " + " ".join(f"{v:.3f}" for v in results["initial"]))
    print("  after 1,000 iterations   0.028 0.925 0.925 0.090   " + " ".join(f"{v:.3f}" for v in results["trained"]))
    print(f"  input (1, 0, 1)          0.925                     {results['one_zero_one']:.3f}")
    print(f"  plot in {out}/341_learning_curve.png")
    return results


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
