"""The MNIST test set through glassnet, ONNX Runtime and onnx's reference evaluator.

Trains the default MLP (784-256-128-10, Adam, 4 epochs) and the default conv
net (gn.cnn(), one epoch on 6,000 training images) as the test suite does, or
takes model files; exports each with glassnet.io.onnx.to_onnx; and runs all
10,000 test images through ONNX Runtime and through onnx.reference's
ReferenceEvaluator (plain NumPy, slow: about 4 minutes for the conv net).
Prints the largest difference of the probabilities from glassnet's and the
number of labels that differ. Target: every difference within 1e-5, no label
different.

    python benchmarks/onnx_mnist.py --mnist DIR [--models MLP.glassnet CNN.glassnet] [--n 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import onnxruntime as ort
from _args import counting
from onnx.reference import ReferenceEvaluator

import glassnet as gn
from glassnet.datasets import load_mnist
from glassnet.io.onnx import OPSET, to_onnx


def default_models(train):
    mlp = gn.mlp([784, 256, 128, 10], rng=0)
    mlp.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", epochs=4, batch_size=128, verbose=False)
    cnn = gn.cnn(rng=0)
    cnn.fit(train.X[:6000], train.y[:6000], loss="cross_entropy", optimizer=gn.Adam(0.003), epochs=1,
            batch_size=64, verbose=False)
    return {"default MLP": mlp, "default CNN": cnn}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist", required=True, help="folder of the four MNIST files")
    ap.add_argument("--models", nargs="*", help="model files to check instead of training the two defaults")
    ap.add_argument("--n", type=counting(), default=10000, help="test images")
    args = ap.parse_args()
    train, test = load_mnist(args.mnist)
    models = ({path: gn.load(path).model for path in args.models} if args.models else default_models(train))
    print(f"{args.n} MNIST test images; ONNX opset {OPSET}, onnxruntime {ort.__version__}\n")
    print("| model | runtime | largest probability difference | labels that differ | seconds |")
    print("|---|---|---|---|---|")
    for name, model in models.items():
        X = test.X[:args.n].reshape(-1, *model.input_shape).astype(np.float32)
        expected = gn.functional.softmax(model.predict(X).astype(np.float64))
        proto = to_onnx(model, classes=list(range(10)))
        session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        start = time.perf_counter()
        label, probabilities = session.run(None, {"input": X})
        results = [("ONNX Runtime", label, probabilities, time.perf_counter() - start)]
        reference = ReferenceEvaluator(proto)
        start = time.perf_counter()
        parts = [reference.run(None, {"input": X[i:i + 500]}) for i in range(0, len(X), 500)]
        results.append(("onnx ReferenceEvaluator", np.concatenate([p[0] for p in parts]),
                        np.concatenate([p[1] for p in parts]), time.perf_counter() - start))
        for runtime, label, probabilities, seconds in results:
            diff = np.abs(probabilities - expected).max()
            wrong = int(np.sum(label != np.argmax(expected, axis=1)))
            print(f"| {name} | {runtime} | {diff:.2e} | {wrong} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
