"""Image recognition: train an MLP on digits (8x8, or MNIST's 28x28 with --mnist DIR) and look at
what its first layer learned, each hidden unit's 64 or 784 incoming weights drawn as an image.

    python examples/digit_weights.py [--quick] [--out DIR] [--mnist DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import datasets
from glassnet.tools import plots


def main(quick: bool = False, out: str | Path = "examples/out", mnist: str | None = None) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if mnist:
        train, test = datasets.load_mnist(mnist)
        hidden, epochs, name = 64, 2 if quick else 8, "mnist"
    else:
        train, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
        hidden, epochs, name = 36, 20 if quick else 100, "digits"
    model = gn.mlp([train.X.shape[1], hidden, 10], rng=0)
    model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=0.003, epochs=epochs,
              batch_size=64, l2=1e-4, verbose=False)
    accuracy = float(np.mean(model.predict_classes(test.X) == test.y))
    path = plots.first_layer_weights(model, train.image_shape, out / f"weights_{name}.png",
                                     title=f"{name}: weights into each of {hidden} hidden units "
                                           f"(test accuracy {accuracy:.1%})")
    print(f"{name}: {model.in_features}-{hidden}-10, test accuracy {accuracy:.2%}; weights drawn in {path}")
    return {"accuracy": accuracy}


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__, mnist="folder with the four MNIST files")
