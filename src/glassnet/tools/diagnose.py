"""Why a network will not learn: one forward and backward pass on a sample, read for what experienced people
check by hand.

:func:`diagnose` looks at the data (unscaled or constant columns, a rare
class), at each layer's outputs (dead ReLUs, saturated sigmoid and tanh
units, values that are not finite), at the cost before training against the
chance level, at how the gradient changes with depth, and, given an
optimizer, at one trial step on a copy: its size against the weights, and
whether it blows the cost up by the divergence guard's own rule
(:func:`glassnet.training.guard.blown_up`). The thresholds, with their
reasons, are in :mod:`glassnet.tools.findings`.

:class:`Diagnostics` does the same during ``fit``, every few epochs, and warns
once per finding.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..core._check_arrays import all_finite
from ..core._validation import check_positive_int, short
from ..core.arrays import is_sparse, to_numpy
from ..core.rows import LazyRows
from ..errors import NonFiniteError, OptionError
from ..losses.costs import Loss, get_loss
from ..losses.objective import Objective
from ..nn import Stack
from ..nn.stack import check_model
from ..optim import Optimizer, get_optimizer
from ..training.callbacks import Callback
from ..training.data import is_classifier_loss
from ..training.guard import FACTOR, SAMPLE, Guard, blown_up, broken_weights, spread_rows
from . import findings as T
from .checks import data_findings, frobenius, gradient_findings, layer_findings
from .findings import Diagnosis, Finding
from .trace_rules import layer_outputs, training_pass


class DiagnosisWarning(UserWarning):
    """A finding of :class:`Diagnostics` during training."""


def initial_findings(objective: Objective, guard: Guard, start: float) -> list[Finding]:
    """The cost before training against where a fresh network should start.

    A classifier's reference is the higher of the chance level and the cost of
    guessing every class alike (log k for k classes, Karpathy's check), so that
    rare classes do not make a fresh network look sick; a regression's is the
    cost of predicting the target's mean.

    Parameters
    ----------
    objective : Objective
    guard : Guard
        The divergence guard's levels on the sample.
    start : float
        The cost per row on the guard's rows in the pass a training step takes (batch normalization on
        the batch's statistics).

    Returns
    -------
    list of Finding
    """
    reference, words = guard.chance, guard.chance_words().split(" (")[0]
    if guard.classify and objective.output_is_logits:
        out = guard.X[:1] if guard.X.ndim > 1 else guard.X
        width = objective.model.forward(out, stop=objective.stop).shape[1]
        zeros = objective.model.xp.zeros((guard.m, width), dtype=objective.model.dtype)
        uniform = guard.per_row(float(objective.cost_and_grad(zeros, guard.y, guard.w)[0]))
        if uniform > reference:
            reference, words = uniform, "guessing every class alike"
    if reference <= 0 or start <= T.INITIAL_FACTOR * reference:
        return []
    advice = ("Initialize with smaller weights, and scale the inputs." if guard.classify
              else "Standardize the target (or scale it to about 1), and scale the inputs.")
    return [Finding("initial_cost", None, start / reference, T.INITIAL_FACTOR,
                    f"the cost before training is {start:.4g}, {start / reference:.3g} times that of "
                    f"{words} ({reference:.4g}; over {T.INITIAL_FACTOR:g} times)", advice)]


def step_findings(objective: Objective, guard: Guard, optimizer: Optimizer, start: float,
                  training: bool) -> list[Finding]:
    """One trial step on the (copied) model: its size against the weights, and the cost it leads to.

    Parameters
    ----------
    objective : Objective
        Of the copy, its gradients filled.
    guard : Guard
        Its rows, where the cost is measured.
    optimizer : Optimizer
        A copy, which is bound to the copied model (keeping any state it has) and steps at its current rate.
    start : float
        The cost per row on the guard's rows before the step, in the pass ``training`` names.
    training : bool
        Whether that pass is a training one (see :func:`glassnet.tools.trace_rules.training_pass`); the cost
        after the step is taken the same way, and the running statistics are left as they were.

    Returns
    -------
    list of Finding
    """
    model = objective.model
    old = [layer.params["W"].copy() if "W" in layer.params else None for layer in model.layers]
    optimizer.bind(model)  # at its current rate: a fresh one's first, a run's where its schedule has it
    optimizer.step()
    # layers with no gradient at all (dead units upstream) are left out: their stillness is not the rate's
    ratios = {i: frobenius(layer.params["W"] - w) / max(frobenius(w), 1e-300)
              for i, (layer, w) in enumerate(zip(model.layers, old))
              if w is not None and frobenius(layer.grads["W"])}
    out = []
    name = f"{optimizer.name} at lr={optimizer.lr:g}"
    if ratios:
        worst = max(ratios, key=lambda i: ratios[i])
        if ratios[worst] > T.HIGH_STEP:
            out.append(Finding("step_ratio", worst, ratios[worst], T.HIGH_STEP,
                               f"one step of {name} changes its weights by {ratios[worst]:.3g} of their size "
                               f"(over {T.HIGH_STEP:g})", "Lower the learning rate (glassnet lr-find suggests one)."))
        elif ratios[worst] < T.LOW_STEP:
            out.append(Finding("step_ratio", worst, ratios[worst], T.LOW_STEP,
                               f"one step of {name} changes the weights by at most {ratios[worst]:.3g} of their "
                               f"size (below {T.LOW_STEP:g})", "Raise the learning rate."))
    with np.errstate(all="ignore"), state_kept(model):  # the cost on the rows the level before was measured on
        before, after = start, guard.per_row(float(objective.value(guard.X, guard.y, training=training)))
    if blown_up(after, before):
        out.append(Finding("exploding_gradient", None, after / before if before else np.inf, FACTOR,
                           f"one step of {name} took the cost from {before:.4g} to {after:.4g} (over {FACTOR:g} "
                           "times, the divergence guard's rule)", "Lower the learning rate."))
    return out


def diagnose(model: Stack, X: Any, y: Any, loss: str | Loss = "mse", *, optimizer: str | Optimizer | None = None,
             lr: float | None = None, l2: float = 0.0, l1: float = 0.0, samples: int = SAMPLE) -> Diagnosis:
    """Look for the usual reasons a network does not learn, on one pass over a sample; nothing is changed.

    Parameters
    ----------
    model : Stack
    X : array_like, shape (n_samples, *input_shape)
    y : array_like
        Targets for ``loss``.
    loss : str or Loss
    optimizer : str or Optimizer, optional
        With one, a trial step is taken on a copy of the model (and of the optimizer): its size
        against the weights (``step_ratio``), and whether it blows the cost up (``exploding_gradient``).
        The step is over the whole sample: for a cost that sums over rows (``SquaredError("sum")``)
        it is larger than a training batch's.
    lr : float, optional
        The optimizer's learning rate, when it is given by name.
    l2, l1 : float
        The penalties of the cost, as ``fit`` takes them.
    samples : int
        Rows for the pass, spread evenly over the data.

    Returns
    -------
    Diagnosis
        ``.findings``, each with a code, a layer, its evidence and advice; printable in 80 columns.
    """
    check_model(model)
    samples = check_positive_int(samples, "samples")
    if lr is not None and not isinstance(optimizer, str):
        raise OptionError(f"lr applies when optimizer is given by name; received optimizer={short(optimizer)}")
    m = model.copy(dtype=np.float64).to("cpu")  # on the host, where every value is read
    objective = Objective(m, get_loss(loss), l2, l1)
    bad, total, varies = whole_data(X)  # NaN outside the sample was missed, where fit refuses it
    if bad:
        return Diagnosis([Finding("nonfinite", None, bad / total, 0.0, f"{bad:,} of the {total:,} input values "
                                  f"({100 * bad / total:.2g} %) are NaN or infinite", "Clean or impute the data.")],
                         int(X.shape[0] if hasattr(X, "shape") else len(X)), ["the data"])
    X, y = sample_rows(X, y, samples)  # the rows first: never the whole data set in float64
    m.check_input(X, "X", finite=False)
    Xs, ys = objective.prepare(X, y)
    checked = ["the data", "each layer's outputs", "the cost against chance"]
    dense = Xs.toarray() if is_sparse(Xs) else np.asarray(Xs)
    with np.errstate(over="ignore", invalid="ignore"):  # values near the dtype's end: their spread is infinite
        found = data_findings(dense, np.asarray(ys), is_classifier_loss(objective.loss), m.out_features or 2, varies)
    broken = broken_weights(m, "before any step")
    if broken is not None:  # every output and gradient is NaN then, whatever the data or the rate
        return Diagnosis([Finding("nonfinite", broken[0], 1.0, 0.0, broken[1],
                                  "Build the model again, or load a sound copy of it.")] + found, Xs.shape[0], checked)
    training = training_pass(m)  # each pass below leaves the running statistics as found (state_kept)
    with state_kept(m), np.errstate(over="ignore", invalid="ignore"):  # an overflow is a finding, not a warning
        _, outs = layer_outputs(m, Xs)  # batch normalization on the batch's statistics, as a training step has it
    layers = layer_findings(m, outs)
    try:
        with np.errstate(all="ignore"):
            guard = Guard(objective, Xs, ys)
    except (NonFiniteError, OptionError) as e:
        return Diagnosis(layers + [Finding("nonfinite", None, 1.0, 0.0, str(e).rstrip("."),
                                           "Scale the inputs and targets, or train in float64.")] + found,
                         Xs.shape[0], checked)
    with np.errstate(all="ignore"):  # the cost a first training step sees: batch normalization on the batch
        with state_kept(m):
            start = guard.per_row(float(objective.value(guard.X, guard.y, training=training)))
        with state_kept(m):
            objective(Xs, ys, training=training)
    layers += initial_findings(objective, guard, start)
    explained = any(f.code in ("dead_relu", "saturated") for f in layers)  # they explain a vanishing gradient
    layers += gradient_findings(m, depth=not explained)
    checked.append("the gradients" + ("" if explained else " by depth"))
    if optimizer is not None and "nonfinite" not in [f.code for f in layers]:
        options: dict[str, Any] = {} if lr is None else {"lr": lr}
        trial = get_optimizer(optimizer, **options) if isinstance(optimizer, str) else \
            copy.deepcopy(get_optimizer(optimizer))  # an Optimizer, checked as one
        trial.state = {slot: to_numpy(a) for slot, a in trial.state.items()}  # a GPU run's state, to the host
        layers += step_findings(objective, guard, trial, start, training)
        checked.append("one trial step")
    ordered = sorted((f for f in layers if f.layer is not None), key=lambda f: f.layer)  # type: ignore
    return Diagnosis(ordered + [f for f in layers if f.layer is None] + found, Xs.shape[0], checked)


@contextlib.contextmanager
def state_kept(model: Stack) -> Iterator[None]:
    """The model's running statistics put back as the block found them, whatever its passes did to them.

    Parameters
    ----------
    model : Stack

    Yields
    ------
    None
    """
    state = model.state.copy()
    try:
        yield
    finally:
        model.state[...] = state


def whole_data(X: Any, chunk: int = 4096) -> tuple[int, int, np.ndarray | None]:
    """What the sample cannot tell of a table in memory: its values that are not finite, and which of its columns
    vary anywhere (reductions over the whole table, without a temporary as large as it).

    Parameters
    ----------
    X : array_like, lazily read rows or a sparse matrix
    chunk : int
        Rows read at a time to count the values that are not finite, where there are some.

    Returns
    -------
    (int, int, array of bool or None)
        The count of NaN and infinite values, the count of values, and for a 2-d array a mask of the
        columns whose values are not all one (None otherwise: lazily read rows hold finite pixels).
    """
    if isinstance(X, LazyRows):
        return 0, 1, None
    if is_sparse(X):
        return int(np.count_nonzero(~np.isfinite(X.data))), max(int(np.prod(X.shape)), 1), None
    X = X if hasattr(X, "shape") and hasattr(X, "dtype") else np.asarray(X)  # a device's array stays there
    size = max(int(np.prod(X.shape)), 1)
    if np.dtype(X.dtype).kind not in "fc" or X.ndim == 0 or X.size == 0:
        return 0, size, None
    if not all_finite(X):  # two reductions; the count, a chunk of rows at a time to the host, only then
        return sum(int(np.count_nonzero(~np.isfinite(to_numpy(X[s:s + chunk])))) for s in
                   range(0, X.shape[0], chunk)), size, None
    return 0, size, np.asarray(to_numpy(X.max(axis=0) > X.min(axis=0))) if X.ndim == 2 else None


def sample_rows(X: Any, y: Any, samples: int) -> tuple[Any, np.ndarray]:
    """At most ``samples`` rows of ``X`` and ``y``, spread evenly over them (data sorted by class is sampled
    fairly), on the host.

    Parameters
    ----------
    X : array_like, lazily read rows or a sparse matrix
    y : array_like
    samples : int

    Returns
    -------
    (X rows, y rows)
    """
    X = X if hasattr(X, "shape") else np.asarray(X)
    y = to_numpy(y) if hasattr(y, "shape") else np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or y.shape[0] != X.shape[0]:  # the rows of one must be the rows of the other
        raise OptionError(f"X and y must hold one row per sample alike; received X of shape {tuple(X.shape)} and "
                          f"y of shape {tuple(y.shape)}")
    rows = spread_rows(X.shape[0], samples)
    part = X.take(rows) if isinstance(X, LazyRows) else X[rows]
    return (part if is_sparse(part) else np.asarray(to_numpy(part))), y[rows]


class Diagnostics(Callback):
    """Diagnose the model during ``fit`` every ``every`` epochs, warning once per finding.

    Each check takes a trial step with a copy of the run's own optimizer (its
    state and its current learning rate), so ``step_ratio`` and
    ``exploding_gradient`` see the steps training is taking.

    Parameters
    ----------
    X, y : array_like
        The rows to diagnose on: at most 512 of them are read each time, spread evenly over them.
    loss : str or Loss, optional
        By default the run's.
    every : int
        Epochs between checks.

    Attributes
    ----------
    diagnoses : list of (epoch, Diagnosis)
    """

    every_rank = False

    def __init__(self, X: Any, y: Any, loss: str | Loss | None = None, every: int = 1) -> None:
        self.X, self.y, self.loss, self.every = X, y, loss, check_positive_int(every, "every")
        self.diagnoses: list[tuple[int, Diagnosis]] = []
        self._said: set[tuple[str, int | None]] = set()

    def on_epoch_end(self, run, epoch: int, logs: dict) -> None:
        """Diagnose, and warn about each finding not warned about before.

        Parameters
        ----------
        run : glassnet.training.Run
        epoch : int
        logs : dict
        """
        if (epoch + 1) % self.every:
            return
        # the trial step is the run's own next step: a copy of its optimizer keeps its state and its rate
        result = diagnose(run.model, self.X, self.y, self.loss or run.objective.loss, l2=run.objective.l2,
                          l1=run.objective.l1, optimizer=run.optimizer)
        self.diagnoses.append((epoch, result))
        for finding in result.findings:
            if (finding.code, finding.layer) not in self._said:
                self._said.add((finding.code, finding.layer))
                warnings.warn(f"epoch {epoch + 1}: {finding}", DiagnosisWarning, stacklevel=2)


__all__ = ["Diagnosis", "DiagnosisWarning", "Diagnostics", "Finding", "diagnose"]
