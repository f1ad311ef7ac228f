"""Tutorial 02: predict a test score from hours of sleep and of study.

The 2-3-1 sigmoid network without biases; inputs divided by their column
maxima and scores by 100 (so both lie in [0, 1]); the cost
J = 1/2 * sum((y - yhat)**2). Then: a gradient check, gradient descent
against BFGS, and overfitting on a train/test split cured by L2
regularization (the cost gains lambda/2 * sum(W**2)).

    python examples/test_scores.py [--quick] [--out DIR]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.tools import plots

HOURS = np.array([[3, 5], [5, 1], [10, 2]], dtype=float)  # (sleep, study)
SCORES = np.array([75, 82, 93], dtype=float)


def network(seed: int = 0, hidden: int = 3) -> gn.Sequential:
    rng = np.random.default_rng(seed)
    return gn.Sequential([gn.Dense(2, hidden, bias=False, init="xavier_normal", rng=rng, dtype=np.float64),
                          gn.Sigmoid(),
                          gn.Dense(hidden, 1, bias=False, init="xavier_normal", rng=rng, dtype=np.float64),
                          gn.Sigmoid()])


def more_students(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Made-up students whose score rises with sleep and study, with noise: for the overfitting part."""
    sleep, study = rng.uniform(2, 10, n), rng.uniform(0, 6, n)
    score = 50 + 3 * sleep + 4 * study + rng.normal(0, 6, n)
    return np.column_stack([sleep, study]), np.clip(score, 0, 100)


def main(quick: bool = False, out: str | Path = "examples/out") -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    X, y = HOURS / HOURS.max(axis=0), SCORES / 100
    loss = gn.SquaredError("sum")

    model = network()
    results["untrained"] = model.predict(X).ravel() * 100
    report = gn.gradcheck(model, loss, X, y)
    results["gradcheck_passed"] = report.passed
    print(report, end="\n\n")

    epochs = 300 if quick else 1000
    gd, bfgs = network(), network()
    h_gd = gd.fit(X, y, loss=loss, optimizer=gn.SGD(lr=1.0), epochs=epochs, batch_size=None, verbose=False)
    h_bfgs = bfgs.fit(X, y, loss=loss, optimizer="bfgs", epochs=200, verbose=False)
    results["gd_cost"], results["bfgs_cost"] = h_gd.loss[-1], h_bfgs.loss[-1]
    results["bfgs_iterations"], results["bfgs_evals"] = h_bfgs.n_epochs, h_bfgs.n_grad_evals
    results["bfgs_scores"] = bfgs.predict(X).ravel() * 100
    plots.loss_curves({f"gradient descent ({epochs} epochs)": h_gd.loss, "BFGS": h_bfgs.loss},
                      out / "scores_gd_vs_bfgs.png", title="Test scores: cost per iteration")

    # overfitting: 8 training students, 40 test students, a wide network
    rng = np.random.default_rng(1)
    Xtr, ytr = more_students(8, rng)
    Xte, yte = more_students(40, rng)
    scale = np.array([10.0, 6.0])
    curves = {}
    # lambda = 1e-4 cuts the test cost six-fold; 1e-2 pulls this bias-free network to no better than
    # predicting the mean score (glassnet then warns that training learned nothing)
    for lam in (0.0, 1e-4):
        m = network(seed=2, hidden=12)
        h = m.fit(Xtr / scale, ytr / 100, loss=gn.SquaredError(), optimizer="bfgs", epochs=300 if quick else 2000,
                  l2=lam, validation_data=(Xte / scale, yte / 100), verbose=False, tol=1e-12)
        data_cost = {"train": m.evaluate(Xtr / scale, ytr / 100)["loss"],
                     "test": m.evaluate(Xte / scale, yte / 100)["loss"]}
        results[f"lambda={lam:g}"] = data_cost
        curves[lam] = h
        plots.learning_curves(h, out / f"scores_overfitting_lambda_{lam:g}.png",
                              title=f"8 training students, lambda = {lam:g}", log_scale=True,
                              xlabel="BFGS iteration")

    print("Test scores (tutorial 02)")
    print("  untrained predictions          ", np.round(results["untrained"], 1), "(targets 75 82 93)")
    print(f"  gradient check                  {'passed' if results['gradcheck_passed'] else 'FAILED'}")
    print(f"  gradient descent, {epochs} epochs cost {results['gd_cost']:.3e}")
    print(f"  BFGS, {results['bfgs_iterations']} iterations       cost {results['bfgs_cost']:.3e}  "
          f"predictions {np.round(results['bfgs_scores'], 2)}")
    for lam in (0.0, 1e-4):
        r = results[f"lambda={lam:g}"]
        print(f"  lambda={lam:<6g} train cost {r['train']:.4f}   test cost {r['test']:.4f}"
              f"   (1/2 mean squared error, scores / 100)")
    print(f"  plots in {out}/scores_*.png")
    return results


if __name__ == "__main__":
    from _cli import run

    run(main, __doc__)
