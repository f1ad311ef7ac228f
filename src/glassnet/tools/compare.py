"""Train one network from one starting point with every solver, and compare.

Batch gradient descent, mini-batches, stochastic gradient descent, momentum,
Adam, BFGS and L-BFGS each start from the same weights (a copy of one seeded
model) and run for the same number of epochs (iterations for the
quasi-Newton solvers). The table reports the final cost on the whole
training set, the iterations, the gradient evaluations and the time.
"""

from __future__ import annotations

import textwrap
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..datasets import load_digits
from ..losses.costs import Loss, SoftmaxCrossEntropy, SquaredError
from ..losses.objective import Objective
from ..nn import Stack, mlp
from ..optim import SGD, Adam
from ..training import DivergenceWarning, fit


@dataclass
class SolverRun:
    """One solver's run.

    Attributes
    ----------
    name : str
    final_cost : float
        The cost on the whole training set at the end.
    iterations : int
        Epochs of gradient descent, iterations of a quasi-Newton solver.
    grad_evals : int
        Gradient evaluations.
    seconds : float
    losses : list of float
        The cost after each iteration.
    lr : float or None
        The learning rate (None for the quasi-Newton solvers, which choose their steps).
    stop : str
        Why the run ended.
    converged : bool or None
        Whether a quasi-Newton solver found the gradient (nearly) zero.
    """

    name: str
    final_cost: float
    iterations: int
    grad_evals: int
    seconds: float
    losses: list[float]
    lr: float | None = None
    stop: str = ""
    converged: bool | None = None


@dataclass
class Comparison:
    """The runs of :func:`compare_solvers`.

    Attributes
    ----------
    runs : list of SolverRun
    """

    runs: list[SolverRun] = field(default_factory=list)

    def table(self) -> str:
        """The runs as a text table, lowest final cost first.

        Returns
        -------
        str
        """
        # the counts' columns as wide as their largest number: stochastic descent's gradients run to millions
        steps = max([7, *(len(f"{r.iterations:,}") + 2 for r in self.runs)])
        grads = max([7, *(len(f"{r.grad_evals:,}") + 2 for r in self.runs)])
        header = (f"{'solver':<19}{'lr':>6}{'final cost':>12}{'steps':>{steps}}{'grads':>{grads}}{'seconds':>9}  "
                  "why it stopped")
        lines = [header, "-" * 80]
        best = min((r.final_cost for r in self.runs), default=0.0)
        for r in sorted(self.runs, key=lambda r: r.final_cost):
            lr = "-" if r.lr is None else f"{r.lr:g}"
            row = (f"{r.name:<19}{lr:>6}{r.final_cost:>12.4e}{r.iterations:>{steps},}{r.grad_evals:>{grads},}"
                   f"{r.seconds:>9.3f}")
            why = self.why(r, best)
            if len(row) + 2 + len(why) <= 80:
                lines.append(f"{row}  {why}")
            else:  # a long reason goes below its row, in 80 columns
                lines.append(row)
                lines += textwrap.wrap(why, 80, initial_indent="    ", subsequent_indent="    ")
        return "\n".join(lines)

    @staticmethod
    def why(run: SolverRun, best: float) -> str:
        """Why a run stopped, with what a vanished gradient far above the best cost means.

        Parameters
        ----------
        run : SolverRun
        best : float
            The lowest final cost of all runs.

        Returns
        -------
        str
        """
        start = run.losses[0] if run.losses else run.final_cost
        # far above: ten times the best, and by a share of where the run started that matters (2e-9 against a
        # best of 1e-12, from a start of 2.3, is a minimum found, not a poor one)
        if run.converged and run.final_cost > 10 * best and run.final_cost - best > 1e-3 * abs(start):
            return (f"{run.stop} -- the gradient vanished at cost {run.final_cost:.3g}, far above the best run's: "
                    "a saddle point or a poor local minimum")
        return run.stop

    def curves(self) -> dict[str, list[float]]:
        """Each run's cost curve by solver name.

        Returns
        -------
        dict of str to list of float
        """
        return {r.name: r.losses for r in self.runs}


def compare_solvers(model: Stack, X, y, loss: Loss, *, seed: int = 0, epochs: int = 2000,
                    lr: float = 1.0, batch: int | None = None) -> Comparison:
    """Run every solver from ``model``'s current weights (the model itself is left unchanged).

    Parameters
    ----------
    model : Stack
    X, y : array_like
    loss : Loss
    seed : int
        Seeds each run's shuffles.
    epochs : int
        Epochs (iterations) per solver.
    lr : float
        The base learning rate.
    batch : int, optional
        The mini-batch size (a quarter of the set by default).

    Returns
    -------
    Comparison
    """
    n = np.asarray(X).shape[0]
    mini = batch or max(2, n // 4)
    plans: list[tuple[str, Any, dict[str, Any], int | None]] = [
        ("batch GD", "sgd", {"lr": lr}, None),
        (f"mini-batch GD ({mini})", "sgd", {"lr": lr}, mini),
        ("stochastic GD (1)", "sgd", {"lr": lr / 2}, 1),
        ("momentum 0.9", SGD(lr=lr / 10, momentum=0.9), {}, None),
        ("Adam", Adam(lr=0.05 * min(lr, 1.0)), {}, None),
        ("BFGS", "bfgs", {}, None),
        ("L-BFGS", "lbfgs", {}, None),
    ]
    result = Comparison()
    for name, optimizer, options, batch_size in plans:
        m = model.copy()
        m.rng = np.random.default_rng(seed)
        start = time.perf_counter()
        with warnings.catch_warnings():  # the table says why each run stopped, a diverged one too
            warnings.simplefilter("ignore", DivergenceWarning)
            history = fit(m, X, y, loss=loss, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                          verbose=False, tol=1e-10, **options)
        seconds = time.perf_counter() - start
        objective = Objective(m, loss)
        final = objective.value(*objective.prepare(X, y))
        rate = options.get("lr", getattr(optimizer, "lr", None))
        stop = history.message or f"ran all {epochs} epochs"
        result.runs.append(SolverRun(name, final, history.n_epochs, history.n_grad_evals, seconds,
                                     history.loss, rate, stop, history.converged))
    return result


def xor_problem():
    """XOR with one hidden layer of 3 sigmoid units (tutorial 04), squared-error cost.

    Returns
    -------
    (model, X, y, loss)
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0.0])
    model = mlp([2, 3, 1], activation="sigmoid", output="sigmoid", rng=0, dtype=np.float64)
    return model, X, y, SquaredError()


def digits_problem(seed: int = 0):
    """A 64-16-10 tanh network on 500 of the 8x8 digits, softmax cross-entropy.

    Parameters
    ----------
    seed : int

    Returns
    -------
    (model, X, y, loss)
    """
    data = load_digits()
    model = mlp([64, 16, 10], activation="tanh", rng=seed, dtype=np.float64)
    return model, data.X[:500], data.y[:500], SoftmaxCrossEntropy()
