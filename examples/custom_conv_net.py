"""A conv net of your own, built from layers the way PyTorch and Keras users write one: no recipe, no --arch.

The sizes a layer can learn from the layer before are left out (``Conv2D(out_channels=8, kernel_size=3)``,
``Dense(10)``), and the model takes its input shape from the first pictures it sees. Then it trains on the
8x8 digits, says what it built, predicts, saves, loads and exports to ONNX, each checked against the other.

    python examples/custom_conv_net.py [--quick] [--out DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import datasets


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    train, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
    # samples, channels, height, width: the layout of PyTorch, and of glassnet
    images, test_images = train.X.reshape(-1, 1, 8, 8), test.X.reshape(-1, 1, 8, 8)

    model = gn.Sequential(
        gn.Conv2D(out_channels=8, kernel_size=3, padding=1),    # in_channels from the pictures: 1
        gn.ReLU(),
        gn.MaxPool2D(2),                                        # 8x8 -> 4x4
        gn.Conv2D(out_channels=16, kernel_size=3, padding=1),   # in_channels from the layer before: 8
        gn.ReLU(),
        gn.Flatten(),                                           # 16 x 4 x 4 = 256 values a picture
        gn.Dense(64), gn.ReLU(),                                # in_features from Flatten: 256
        gn.Dense(10),                                           # logits for softmax cross-entropy
        rng=0,                                                  # the seed of every weight left to the model
    )
    print(model.summary(), end="\n\n")                         # sizes not known yet: "?"

    history = model.fit(images, train.y, loss="cross_entropy", optimizer="adam", lr=0.005,
                        epochs=8 if quick else 25, batch_size=32, verbose=False)
    print(model.summary(), end="\n\n")                         # built on the first batch
    accuracy = float(np.mean(model.predict_classes(test_images) == test.y))
    print(f"{history.n_epochs} epochs: training cost {history.loss[-1]:.4f}, test accuracy {accuracy:.2%}")

    path = model.save(out / "custom_conv_net.glassnet")
    loaded = gn.load(path).model
    same_file = bool(np.array_equal(loaded.predict(test_images), model.predict(test_images)))
    print(f"saved and loaded again: the same outputs, bit for bit: {same_file}")
    results = {"accuracy": accuracy, "params": model.n_params, "same_after_loading": same_file,
               "input_shape": model.input_shape}
    try:
        import onnxruntime as ort
    except ImportError:
        print("ONNX step skipped: install the onnx extra, pip install -e '.[onnx]' in the glassnet folder")
        return results
    gn.export_onnx(model, out / "custom_conv_net.onnx")
    session = ort.InferenceSession(str(out / "custom_conv_net.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(None, {session.get_inputs()[0].name: test_images.astype(np.float32)})[0]
    results["onnx_max_difference"] = float(np.abs(logits - model.predict(test_images)).max())
    print(f"ONNX Runtime's logits differ from glassnet's by at most {results['onnx_max_difference']:.1e}")
    return results


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
