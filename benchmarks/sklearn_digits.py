"""GlassnetClassifier against scikit-learn's MLPClassifier on the 8x8 digits.

Same hidden sizes, solver, max_iter and everything else at its default, on
the same stratified split, for several seeds; prints test accuracy and fit
time of both. Target: glassnet's accuracy at least scikit-learn's.

    python benchmarks/sklearn_digits.py
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _args import counting
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from glassnet.sklearn import GlassnetClassifier


def run(make, X, y, Xt, yt):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = make().fit(X, y)
    return est.score(Xt, yt), time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=counting(), default=5)
    ap.add_argument("--max-iter", type=int, help="cap every configuration's max_iter (a smoke run)")
    args = ap.parse_args()
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X, Xt, y, yt = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    configs = [((100,), "adam", 200), ((256, 128), "adam", 200), ((64,), "sgd", 300), ((64,), "lbfgs", 300)]
    print(f"digits: {len(X)} training, {len(Xt)} test samples; mean over {args.seeds} seeds\n")
    print(f"{'hidden':<12}{'solver':<8}{'max_iter':>9}{'glassnet':>11}{'sklearn':>10}{'diff':>8}"
          f"{'gn s':>8}{'sk s':>8}")
    for hidden, solver, max_iter in configs:
        max_iter = min(max_iter, args.max_iter or max_iter)
        g, s = [], []
        for seed in range(args.seeds):
            kw = dict(hidden_layer_sizes=hidden, solver=solver, max_iter=max_iter, random_state=seed)
            g.append(run(lambda kw=kw: GlassnetClassifier(**kw), X, y, Xt, yt))
            s.append(run(lambda kw=kw: MLPClassifier(**kw), X, y, Xt, yt))
        ga, sa = np.mean([a for a, _ in g]), np.mean([a for a, _ in s])
        print(f"{str(hidden):<12}{solver:<8}{max_iter:>9}{ga:>11.2%}{sa:>10.2%}{ga - sa:>+8.2%}"
              f"{np.mean([t for _, t in g]):>8.2f}{np.mean([t for _, t in s]):>8.2f}")


if __name__ == "__main__":
    main()
