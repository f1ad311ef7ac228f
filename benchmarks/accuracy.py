"""Test accuracy of glassnet MLPs: the 8x8 digits (the network `glassnet train` builds for them) and MNIST.

    python benchmarks/accuracy.py                                  # digits only
    python benchmarks/accuracy.py --mnist ../shared/data/mnist     # and MNIST

Targets: digits >= 97%, MNIST >= 98.0% with an MLP. Prints the epochs and
seconds each run took.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _args import counting

import glassnet as gn
from glassnet import datasets


def digits(seeds: list[int], epochs: int = 100) -> None:
    train, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
    print("digits: 64-256-128-10 ReLU (the network glassnet train builds for them), Adam lr 0.001, batch 32, "
          f"L2 1e-4, {epochs} epochs, 10 % of the training rows held out")
    accs = []
    for seed in seeds:
        model = gn.mlp([64, 256, 128, 10], rng=seed)
        start = time.perf_counter()
        model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=0.001, epochs=epochs,
                  batch_size=32, l2=1e-4, validation_split=0.1, verbose=False)
        acc = float(np.mean(model.predict_classes(test.X) == test.y))
        accs.append(acc)
        print(f"  seed {seed}: test accuracy {acc:.2%}  ({time.perf_counter() - start:.1f} s)")
    print(f"  mean {np.mean(accs):.2%}, min {min(accs):.2%}  (target >= 97%)")


def mnist(folder: str, epochs: int, target: float) -> None:
    train, test = datasets.load_mnist(folder)
    print(f"MNIST: 784-256-128-10 ReLU, Adam lr 0.001, batch 128, up to {epochs} epochs")
    model = gn.mlp([784, 256, 128, 10], rng=0)
    curve = []
    start = time.perf_counter()

    class Watch(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            acc = float(np.mean(model.predict_classes(test.X) == test.y))
            curve.append((epoch + 1, time.perf_counter() - start, acc))
            print(f"  epoch {epoch + 1:2d}  {curve[-1][1]:6.1f} s  train loss {logs['loss']:.4f}  "
                  f"test accuracy {acc:.2%}")

    model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", lr=0.001, epochs=epochs,
              batch_size=128, callbacks=[Watch()], verbose=False)
    hit = next(((e, t) for e, t, a in curve if a >= target), None)
    best = max(a for _, _, a in curve)
    print(f"  best {best:.2%}; " + (f"reached {target:.1%} after {hit[0]} epochs, {hit[1]:.1f} s"
                                    if hit else f"{target:.1%} not reached"))


def seed_list(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be whole numbers separated by commas; received {text!r}") from None
    return seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist", help="folder with the four MNIST files")
    ap.add_argument("--epochs", type=counting(), default=20, help="MNIST's epochs at most (default 20)")
    ap.add_argument("--digits-epochs", type=counting(), default=100, help="the digits' epochs (default 100)")
    ap.add_argument("--seeds", type=seed_list, default="0,1,2", help="seeds, such as 0,1,2")
    args = ap.parse_args()
    digits(args.seeds, args.digits_epochs)
    if args.mnist:
        mnist(args.mnist, args.epochs, 0.98)


if __name__ == "__main__":
    main()
