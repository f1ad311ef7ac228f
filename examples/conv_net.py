"""Image recognition with a conv net: train the default conv net on digits (8x8, or MNIST's 28x28 with
--mnist DIR), then look inside it: the first layer's kernels, what one picture looks like after the first
block, and which pixels drove a few predictions (the gradient of the class's score, and occlusion).

    python examples/conv_net.py [--quick] [--out DIR] [--mnist DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import datasets
from glassnet.optim.schedules import Cosine
from glassnet.saliency import gradient_saliency, occlusion
from glassnet.tools import plots


def main(quick: bool = False, out: str | Path = "examples/out", mnist: str | None = None) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if mnist:
        train, test = datasets.load_mnist(mnist)
        name, epochs, batch = "mnist", 1 if quick else 8, 128
        if quick:
            train = datasets.Dataset(train.X[:6000], train.y[:6000], train.name, train.classes,
                                     image_shape=train.image_shape)
    else:
        train, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
        name, epochs, batch = "digits", 10 if quick else 30, 32
    rows, columns = train.image_shape
    model = gn.cnn((1, rows, columns), 10, dropout=0.25, rng=0)
    model.fit(train.X, train.y, loss="cross_entropy", optimizer=gn.Adam(0.002, schedule=Cosine(period=epochs)),
              epochs=epochs, batch_size=batch, verbose=False)
    accuracy = float(np.mean(model.predict_classes(test.X) == test.y))
    print(model.summary())
    print(f"{name}: test accuracy {accuracy:.2%}")
    pictures = test.X[:6].reshape(6, rows, columns)
    predicted = model.predict_classes(test.X[:6])
    written = [
        plots.first_layer_weights(model, None, out / f"conv_kernels_{name}.png",
                                  title="The 32 kernels of the first convolution"),
        plots.feature_maps(model, test.X[0], out / f"conv_maps_{name}.png", layer=3,
                           title=f"The first block's 32 channels for a {test.y[0]}"),
        plots.saliency_maps(list(pictures), list(gradient_saliency(model, test.X[:6]).reshape(6, rows, columns)),
                            out / f"conv_saliency_{name}.png", [f"read as {p}" for p in predicted],
                            checks=[occlusion(model, x, patch=max(2, rows // 7), stride=max(1, rows // 14))
                                    for x in test.X[:6]]),
    ]
    print("pictures written:", ", ".join(str(p) for p in written))
    return {"accuracy": accuracy}


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__, mnist="folder with the four MNIST files")
