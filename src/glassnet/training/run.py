"""What every solver shares: the state of one training run, evaluation, divergence, checkpoints."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..arrays import to_numpy
from ..functional import l2_penalty
from ..io import model_file
from ..nn import Sequential
from ..objective import Objective
from ..optim import Optimizer
from .data import accuracy, is_classifier_loss
from .history import History

Array = Any


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the cost became NaN or infinite."""


class Run:
    """The state of one ``fit``: what callbacks see, and what a checkpoint saves.

    Parameters
    ----------
    model : Sequential
    objective : Objective
    optimizer : Optimizer or None
        The update rule of gradient descent; None for the quasi-Newton solvers.
    history : History
        Filled in as the run goes.
    epochs : int
        The epoch (iteration) at which the run ends.
    initial_epoch : int
        The epoch it starts from (non-zero when resumed).
    has_validation : bool
    settings : dict
        JSON-ready fit arguments that :func:`glassnet.resume` needs.

    Attributes
    ----------
    stop : bool
        Set by a callback to end training after the current epoch.
    """

    def __init__(self, model: Sequential, objective: Objective, optimizer: Optimizer | None, history: History,
                 epochs: int, initial_epoch: int, has_validation: bool, settings: dict) -> None:
        self.model, self.objective, self.optimizer = model, objective, optimizer
        self.history, self.epochs, self.initial_epoch = history, epochs, initial_epoch
        self.has_validation = has_validation
        self.settings = settings
        self.stop = False
        #: what a diverging run does once it has restored its last finite weights: "warn" or "raise"
        self.on_divergence = "warn"

    def save_checkpoint(self, path: str | Path, next_epoch: int) -> None:
        """Write the model, the optimizer and the training state, to resume at ``next_epoch``.

        Parameters
        ----------
        path : str or path-like
        next_epoch : int
        """
        training = {"epoch": next_epoch, "epochs": self.epochs, "rng_state": self.model.rng.bit_generator.state,
                    "history": self.history.as_dict(), "settings": self.settings}
        model_file.save(path, self.model, self.optimizer, training)

    def diverged(self, epoch: int, batch: int | None, cost: float, last_good: Array) -> None:
        """Restore the last weights with a finite cost, record why, and warn (see :attr:`on_divergence`).

        Parameters
        ----------
        epoch : int
        batch : int or None
            Where the cost stopped being finite.
        cost : float
            The non-finite cost.
        last_good : array, shape (n_params,)
            The parameters at the end of the last finite epoch.
        """
        self.model.params[...] = last_good
        self.history.diverged = True
        self.stop = True
        where = f"epoch {epoch}" + (f", batch {batch}" if batch is not None else "")
        kept = f"epoch {self.history.epochs[-1]}" if self.history.epochs else "the start of training"
        advice = (f" Try a smaller learning rate (lr={self.optimizer.lr:g} now)." if self.optimizer is not None
                  else "")
        self.history.message = (f"training diverged at {where}: the cost became {cost}. The weights of {kept}, "
                                f"the last with a finite cost, were kept.{advice}")
        if self.on_divergence == "warn":  # else fit raises DivergenceError once the run has ended
            warnings.warn(self.history.message, DivergenceWarning, stacklevel=5)


def evaluate(model: Sequential, X: Array, y: Array, objective: Objective, batch_size: int = 4096) -> dict[str, float]:
    """Cost and, for classifiers, accuracy on ``(X, y)`` in inference mode, in chunks.

    Parameters
    ----------
    model : Sequential
    X, y : arrays
        As ``objective.prepare`` returned them.
    objective : Objective
    batch_size : int
        Rows per chunk.

    Returns
    -------
    dict
        ``{"loss": cost with the L2 term}``, and ``"accuracy"`` for classification losses.
    """
    loss = objective.loss
    n = X.shape[0]
    total = correct = 0.0
    for start in range(0, n, batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out = model.forward(xb, stop=objective.stop)
        cost = objective.cost_and_grad(out, yb)[0]
        total += cost * xb.shape[0] if loss.is_mean else cost
        if is_classifier_loss(loss):
            correct += accuracy(out, yb, objective.output_is_logits) * xb.shape[0]
    l2 = l2_penalty(model.params[: model.n_decayed], objective.l2) if objective.l2 else 0.0
    result = {"loss": (total / n if loss.is_mean else total) + l2}
    if is_classifier_loss(loss):
        result["accuracy"] = correct / n
    return result


def params_host_copy(model: Sequential) -> Array:
    """A NumPy copy of the flat parameters (for SciPy).

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    numpy.ndarray, shape (n_params,), float64
    """
    return to_numpy(model.params).astype("float64")
