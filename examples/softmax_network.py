"""Tutorial 03: a 4-layer network with every activation it teaches and a softmax output.

The tutorial's weights have shape (n[l], n[l-1]) and its samples are
columns; glassnet's W has shape (n[l-1], n[l]) and samples are rows: the same
network transposed. Labels are one-hot rows, as the softmax needs; glassnet
also takes the integer labels directly. Three interleaved spirals, which
no single straight cut separates, and the class regions the network draws.

    python examples/softmax_network.py [--quick] [--out DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.functional import one_hot
from glassnet.tools import plots


def spirals(n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X, y = [], []
    for c in range(3):
        r = np.linspace(0.1, 1, n_per_class)
        t = np.linspace(c * 4, (c + 1) * 4, n_per_class) + rng.normal(0, 0.2, n_per_class)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(n_per_class, c))
    return np.concatenate(X), np.concatenate(y)


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    X, y = spirals(100, rng)
    Y = one_hot(y, 3)
    model = gn.Sequential([
        gn.Dense(2, 32, init="xavier_uniform", rng=rng), gn.Tanh(),
        gn.Dense(32, 32, init="he_normal", rng=rng), gn.ReLU(),
        gn.Dense(32, 16, init="he_normal", rng=rng), gn.LeakyReLU(0.01),
        gn.Dense(16, 3, init="xavier_uniform", rng=rng), gn.Softmax(),
    ], rng=rng)
    history = model.fit(X, Y, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=150 if quick else 600,
                        batch_size=32, verbose=False)
    accuracy = float(np.mean(model.predict_classes(X) == y))
    plots.learning_curves(history, out / "softmax_learning_curve.png", title="Tutorial 03: 2-32-32-16-3")
    plots.decision_boundary(model, X, y, out / "softmax_regions.png", title="Three spirals, softmax output")
    probs = model.predict(X[[0, 150, 250]])  # one sample of each class
    print("Tutorial 03: tanh, ReLU, leaky ReLU and softmax layers, one-hot labels")
    print(f"  training accuracy {accuracy:.1%} after {history.n_epochs} epochs, final cost {history.loss[-1]:.4f}")
    print("  the softmax output for one sample of each class (each row sums to 1):")
    for p in probs:
        print("   ", np.round(p, 3), f"sum {p.sum():.6f}")
    print(f"  plots in {out}/softmax_*.png")
    return {"accuracy": accuracy, "row_sums": probs.sum(axis=1)}


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
