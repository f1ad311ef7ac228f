"""The divergence guard: one check, for every solver, of a run that blows up or learns nothing.

Before the first step the guard scores the model on a fixed sample of the
training rows, and scores the best constant output there: the chance level,
what a model that ignores its inputs achieves (for classification the cost
of predicting the class frequencies, for the squared error the variance of
the target, so that ending no lower means R² <= 0). Then:

* a model with layers that work otherwise in training (batch
  normalization's batch statistics, dropout) is scored as a training batch
  scores it, in training mode, its running statistics and generators left
  as they were: at the start, batch normalization's running statistics
  (0 and 1) make it the identity outside training, which scored tiny inputs
  far below any batch and huge ones far above;
* every batch's cost is checked as it comes: a cost that is not finite, or
  one that has grown :data:`FACTOR` times over the level before training
  (smoothed over :data:`WINDOW` samples, so that one unlucky batch of a few
  rows does not count), ends the run as diverged. The run goes back to the
  end of its last complete epoch, or one epoch further when the cost was
  that of the weights the last epoch ended with (the first batch of an
  epoch): that epoch's last step is what sent it up;
* after the last epoch, the weights its last step left are scored on the
  sample (:meth:`Guard.blown_up_now`), as the next batch would have scored
  them, and undone in the same way;
* at the end, the model that training leaves is scored on the same sample:
  a cost no lower than the chance level means it learned nothing (for a
  classifier, only if it is also right no more often than always naming
  the most frequent class; see :meth:`Guard.learned`).

The gradient-descent loop checks every batch, the quasi-Newton solvers every
iteration; :func:`glassnet.fit`, the command line and the scikit-learn
estimators all report what the guard found.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.arrays import is_numpy, to_numpy
from ..core.rows import LazyRows
from ..errors import NonFiniteError, OptionError
from ..losses.costs import SquaredError
from ..losses.objective import Objective
from ..nn.predicting import PREDICT_BYTES
from .data import accuracy, is_classifier_loss

Array = Any

#: a smoothed batch cost this many times above the level before training (or the chance level, when
#: higher) is divergence. A network that is learning lowers its cost, and a noisy one at a high but
#: workable rate strays above its starting cost by a factor of two or three at most; ten times means
#: the weights have grown until the outputs are confidently wrong (a cross-entropy of 23 nats for ten
#: classes, where guessing costs 2.3), which no schedule recovers from in practice. Adam at lr=1 on the
#: digits went from 2.5 to 41,611 in one step.
FACTOR = 10.0
#: the smoothing of batch costs, in samples: a batch of b rows moves the smoothed cost b / WINDOW of the
#: way (at most all of it, and WINDOW is at most the training set), so a whole-set batch counts at once
#: and single samples only in numbers
WINDOW = 256
#: the rows (spread evenly over the set, so that data sorted by class is sampled fairly) that the
#: level before training, the chance level and the final score are measured on
SAMPLE = 512


def spread_rows(n: int, k: int = SAMPLE) -> np.ndarray:
    """At most ``k`` row numbers of ``n``, spread evenly from the first to the last: data sorted by class is
    sampled fairly, and the same rows every time.

    Parameters
    ----------
    n, k : int

    Returns
    -------
    int array
    """
    return np.unique(np.linspace(0, n - 1, min(n, k)).astype(np.intp))


def blown_up(cost: float, level: float, factor: float = FACTOR) -> bool:
    """The guard's rule: a cost that is not finite, or more than ``factor`` (:data:`FACTOR`) times ``level``.

    The divergence guard checks each batch's smoothed cost with it, and
    :func:`glassnet.diagnose` a trial step's cost.

    Parameters
    ----------
    cost : float
    level : float
        The cost to compare with (before training, or before the step).
    factor : float
        ``math.inf`` counts only a cost that is not finite.

    Returns
    -------
    bool
    """
    return not math.isfinite(cost) or cost > factor * level


def _sampled_rows(n: int, w: Array | None) -> np.ndarray:
    """The sample's rows: :func:`spread_rows` of the rows that weigh something (all rows without weights).

    A sample of rows that all weigh 0 had no level at all: its cost was 0, or NumPy's mean of no weight.
    """
    if w is None:
        return spread_rows(n)
    weighed = np.flatnonzero(to_numpy(w) > 0)
    return spread_rows(n) if weighed.size == 0 else weighed[spread_rows(weighed.size)]


def broken_weights(model: Any, when: str) -> tuple[int, str] | None:
    """The first layer whose weights hold NaN or infinity, and a sentence that names them; None if none do.

    No step mends them, and every cost, gradient and check computed from them is NaN: what would be blamed
    (the learning rate, the regularization, backpropagation) is not the cause.

    Parameters
    ----------
    model : Stack
    when : str
        When they were found, for the sentence ("before any step").

    Returns
    -------
    (int, str) or None
        The layer's index, and "layers[2] Dense.W holds 1 value that is NaN or infinite before any step".
    """
    if model.n_params == 0 or bool(model.xp.isfinite(model.params).all()):
        return None
    for label, i, _, part in model.named_parameters():
        bad = int(np.count_nonzero(~np.isfinite(to_numpy(model.params[part]))))
        if bad:
            values = f"{bad:,} values that are" if bad > 1 else "1 value that is"
            return i, f"{label} holds {values} NaN or infinite {when}"
    return None


def check_weights(model: Any, when: str) -> None:
    """Refuse a model whose weights hold NaN or infinity (see :func:`broken_weights`).

    Parameters
    ----------
    model : Stack
    when : str

    Raises
    ------
    NonFiniteError
    """
    broken = broken_weights(model, when)
    if broken is not None:
        raise NonFiniteError(f"{broken[1]}: the model is broken; build it again, or load a sound copy")


def _fits(objective: Objective, penalty: float) -> bool:
    """Whether the regularization term and its gradient, ``l2 * W`` or ``l1``, fit the model's dtype."""
    model = objective.model
    largest = float(np.finfo(model.dtype).max)
    w = model.params[: model.n_decayed]
    steepest = objective.l2 * float(abs(w).max()) if w.shape[0] else 0.0
    return penalty <= largest and max(steepest, objective.l1) <= largest


class Guard:
    """The reference levels of one run, and the smoothed cost that is checked against them.

    Parameters
    ----------
    objective : Objective
    X, y : arrays
        The prepared training data.
    w : array, shape (n_samples,), optional
        Per-sample weights.
    factor : float
        How many times :attr:`level` the smoothed cost may reach (:data:`FACTOR`); ``math.inf`` counts
        only costs that are not finite.

    Attributes
    ----------
    before : float
        The cost on the sample before training (regularization included).
    chance : float
        The cost on the sample of the best constant output (the data term alone).
    level : float
        The higher of the two: what a batch's cost is compared with.
    limit : float
        The smoothed batch cost beyond which the run has diverged.
    """

    def __init__(self, objective: Objective, X: Array, y: Array, w: Array | None = None,
                 factor: float = FACTOR) -> None:
        self.objective, self.factor = objective, factor
        self.n = n = X.shape[0]
        rows = _sampled_rows(n, w)
        if w is not None and not float(w[rows[0]]) > 0:  # no row weighs anything: the rows alike
            w = None
        xp = objective.model.xp
        idx = rows if is_numpy(xp) or isinstance(X, LazyRows) else xp.asarray(rows)
        self.X = X.take(rows) if isinstance(X, LazyRows) else X[idx]
        self.y, self.w = y[idx], None if w is None else w[idx]
        self.m = rows.shape[0]
        self.classify = is_classifier_loss(objective.loss)
        model = objective.model
        #: whether the sample is scored in training mode, as a batch is (see the module's notes)
        layers = model.layers[:objective.stop]
        self.training = self.m >= 2 and (bool(model.state.size) or any(layer.draws_in_training() for layer in layers))
        self.chance_accuracy: float | None = None
        check_weights(objective.model, "before any step")
        penalty = float(objective.penalty())
        if not _fits(objective, penalty):  # before any step: the learning rate is not the cause
            raise OptionError(f"the regularization term is {penalty:g} at the starting weights, before any step: "
                              f"l2={objective.l2:g}, l1={objective.l1:g} overflow {objective.model.dtype.name}; "
                              "choose smaller ones")
        self.before = float(self.per_row(objective.value_of(self.output(self.training), self.y, self.w)))
        if not math.isfinite(self.before):
            raise NonFiniteError(f"the cost is {self.before:g} at the starting weights, before any step: the inputs "
                              f"or targets overflow the network's {objective.model.dtype.name}; scale them (or "
                              "train in float64)")
        self.chance = self.per_row(self.baseline_cost())
        self.level = max(self.before, self.chance)
        self.limit = factor * self.level
        #: the batches' costs, smoothed; it starts at the cost before training, which the first batches
        #: (costs of the starting weights, before any step) blend into as any others do
        self.smoothed = self.before

    def per_row(self, cost: float, rows: int | None = None) -> float:
        """A cost on ``rows`` rows as a mean per row (losses that sum grow with the batch).

        Parameters
        ----------
        cost : float
        rows : int, optional
            The rows it was computed on; by default the sample's.

        Returns
        -------
        float
        """
        return cost if self.objective.loss.is_mean else cost / (rows or self.m)

    def baseline_cost(self) -> float:
        """The data term of the cost of the loss's best constant output on the sample.

        Also sets :attr:`chance_accuracy`, the accuracy of that output (always
        the most frequent class) for classification losses, else None.

        Returns
        -------
        float
        """
        objective, model = self.objective, self.objective.model
        n_out = model.out_features or int(objective.model.forward(self.X[:1], stop=objective.stop).shape[1])
        target, weight = to_numpy(self.y), None if self.w is None else to_numpy(self.w)
        row = objective.loss.baseline(target, weight, objective.output_is_logits, n_out)
        out = model.xp.asarray(np.tile(np.asarray(row, dtype=model.dtype).reshape(1, -1), (self.m, 1)))
        self.chance_accuracy = accuracy(out, self.y, objective.output_is_logits) if self.classify else None
        w = objective.evaluation_shares(self.m, self.w)[0]  # with batch_mean, the weights' mean, as a step's
        return float(objective.cost_and_grad(out, self.y, w)[0])

    def check(self, cost: float, rows: int) -> bool:
        """Take one batch's cost; whether the run has diverged with it.

        Parameters
        ----------
        cost : float
            The batch's cost, regularization included.
        rows : int
            The rows of the batch.

        Returns
        -------
        bool
            True for a cost that is not finite, or a smoothed cost above :attr:`limit`.
        """
        if not math.isfinite(cost):
            return True
        cost = self.per_row(cost, rows)
        share = rows / max(rows, min(WINDOW, self.n))  # 1 for the whole set at once: nothing to smooth
        self.smoothed = (1 - share) * self.smoothed + share * cost
        return blown_up(self.smoothed, self.level, self.factor)

    def blown_up_now(self) -> tuple[bool, float]:
        """Whether the weights as they are now cost too much on the sample, as :func:`blown_up` judges.

        The cost is the one :attr:`before` measured (regularization
        included, per row, in training mode where a batch's is). A run's
        last step is checked by no later batch: this checks it.

        Returns
        -------
        (bool, float)
            The verdict and the cost.
        """
        cost = float(self.per_row(self.objective.value_of(self.output(self.training), self.y, self.w)))
        return blown_up(cost, self.level, self.factor), cost

    def output(self, training: bool = False) -> Array:
        """The model's output on the sample, a chunk at a time.

        Chunks of :data:`~glassnet.nn.predicting.PREDICT_BYTES`, as predict
        takes: the conv recipe's 512 pictures at once took 250 MiB more than
        its whole training run.

        Parameters
        ----------
        training : bool
            In training mode (batch statistics, dropout), with the model's
            running statistics and generators put back as they were after.

        Returns
        -------
        array, shape (m, n_outputs)
        """
        model, stop = self.objective.model, self.objective.stop
        step = model.chunk_size(PREDICT_BYTES)
        # chunks as even as they come (a last one of one row: batch normalization cannot train on it)
        bounds = np.linspace(0, self.m, -(-self.m // step) + 1).astype(int) if training else \
            list(range(0, self.m, step)) + [self.m]
        kept = (model.state.copy(), model.generator_states()) if training else None
        try:
            parts = [model.forward(self.X[a:b], training=training, stop=stop) for a, b in zip(bounds, bounds[1:])]
        finally:
            if kept is not None:
                model.state[...] = kept[0]
                model.set_generator_states(kept[1])
        return parts[0] if len(parts) == 1 else model.xp.concatenate(parts)

    def final_scores(self) -> tuple[float, float | None]:
        """The data term of the model's cost on the sample now, in inference mode, and its accuracy.

        Returns
        -------
        (float, float or None)
            The accuracy is None for regression losses.
        """
        objective = self.objective
        out = self.output()
        right = accuracy(out, self.y, objective.output_is_logits) if self.classify else None
        return self.per_row(float(objective.cost_and_grad(out, self.y, self.w)[0])), right

    def learned(self) -> bool:
        """Whether the model now does better than chance on the sample.

        A regression model must cost less than the best constant (R² > 0 for
        the squared error). A classifier must cost less than predicting the
        class frequencies, or be right more often than always naming the
        most frequent class: a network that ranks the classes better than
        that has learned something, even while its probabilities are still
        poorly calibrated (as after a few steps from large inputs).

        Returns
        -------
        bool
        """
        if self.chance <= 1e-9 * self.before:  # a constant target: nothing to learn beyond the constant
            return True
        cost, right = self.final_scores()
        if not math.isfinite(cost):
            return False
        return cost < self.chance or (right is not None and right > self.chance_accuracy)  # type: ignore[operator]

    def chance_words(self) -> str:
        """What the chance level is, in words."""
        loss = self.objective.loss
        if self.classify:
            return "predicting the class frequencies (always naming the most frequent one)"
        if isinstance(loss, SquaredError):
            return "predicting the target's mean (R² <= 0)"
        return "predicting one constant for every sample"
