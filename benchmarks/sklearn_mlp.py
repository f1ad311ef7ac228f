"""GlassnetClassifier/GlassnetRegressor against scikit-learn's MLPClassifier/MLPRegressor.

Ten data sets that need no download; 5-fold cross-validation on the same
folds, a StandardScaler in front (and one on the target for regression);
three settings: every parameter at its default, and two matched settings
given to both: SGD (hidden (64, 32), solver="sgd", learning_rate_init=0.01,
batch_size=32) and L-BFGS (hidden (50,), solver="lbfgs", max_iter=500). For each data set: both mean
scores (accuracy or R^2), their difference, both mean fit times and their
ratio, and how many of the 5 fits ended with a ConvergenceWarning. The two
estimators alternate fold by fold in one process, with BLAS held to one
thread so that the timing is stable. Target: glassnet's mean score at least
scikit-learn's minus 0.005 on every data set and setting.

    python benchmarks/sklearn_mlp.py [--folds 5] [--only iris,wine]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_circles,
    make_classification,
    make_friedman1,
    make_moons,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor


def datasets():
    """(name, X, y, is_classification) for the ten sets."""
    yield "iris", *load_iris(return_X_y=True), True
    yield "wine", *load_wine(return_X_y=True), True
    yield "breast_cancer", *load_breast_cancer(return_X_y=True), True
    yield "digits", *load_digits(return_X_y=True), True
    yield "moons", *make_moons(1000, noise=0.25, random_state=0), True
    yield "circles", *make_circles(1000, noise=0.1, factor=0.5, random_state=0), True
    yield "classification", *make_classification(5000, 40, n_informative=20, random_state=0), True
    yield "diabetes", *load_diabetes(return_X_y=True), False
    yield "friedman1", *make_friedman1(2000, noise=1.0, random_state=0), False
    yield "regression", *make_regression(1000, 20, n_informative=10, noise=10.0, random_state=0), False


SETTINGS = {"defaults": {},
            "sgd": {"hidden_layer_sizes": (64, 32), "solver": "sgd", "learning_rate_init": 0.01, "batch_size": 32},
            "lbfgs": {"hidden_layer_sizes": (50,), "solver": "lbfgs", "max_iter": 500}}


def pipeline(estimator, classify: bool):
    if classify:
        return make_pipeline(StandardScaler(), estimator)
    return make_pipeline(StandardScaler(), TransformedTargetRegressor(estimator, transformer=StandardScaler()))


def one_fit(make, X, y, train, test, classify):
    """(score, seconds, warned) of one fold."""
    model = pipeline(make(), classify)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X[train], y[train])
        seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return model.score(X[test], y[test]), seconds, warned


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated data set names")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    print(f"{args.folds}-fold CV, same folds, BLAS threads: 1; score = accuracy or R^2; "
          "warn = fits with a ConvergenceWarning\n")
    print("| setting | data set | glassnet | scikit-learn | difference | glassnet s | scikit-learn s | time ratio "
          "| warn gn/sk |")
    print("|---|---|---|---|---|---|---|---|---|")
    worst = np.inf
    with threadpool_limits(1):
        for setting, params in SETTINGS.items():
            for name, X, y, classify in datasets():
                if only and name not in only:
                    continue
                split = (StratifiedKFold if classify else KFold)(args.folds, shuffle=True, random_state=0)
                ours_cls, theirs_cls = (GlassnetClassifier, MLPClassifier) if classify else (GlassnetRegressor,
                                                                                            MLPRegressor)
                ours, theirs = [], []
                for fold, (train, test) in enumerate(split.split(X, y)):
                    kw = {**params, "random_state": fold}
                    ours.append(one_fit(lambda kw=kw, c=ours_cls: c(**kw), X, y, train, test, classify))
                    theirs.append(one_fit(lambda kw=kw, c=theirs_cls: c(**kw), X, y, train, test, classify))
                g, s = np.mean([r[0] for r in ours]), np.mean([r[0] for r in theirs])
                gt, st = np.mean([r[1] for r in ours]), np.mean([r[1] for r in theirs])
                worst = min(worst, g - s)
                print(f"| {setting} | {name} | {g:.4f} | {s:.4f} | {g - s:+.4f} | {gt:.3f} | {st:.3f} | {gt / st:.2f} "
                      f"| {sum(r[2] for r in ours)}/{sum(r[2] for r in theirs)} |", flush=True)
    verdict = "met" if worst >= -0.005 else "NOT met"
    print(f"\nlowest difference: {worst:+.4f} (target: at least -0.005, {verdict})")


if __name__ == "__main__":
    main()
