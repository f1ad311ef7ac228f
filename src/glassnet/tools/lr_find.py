"""A learning-rate finder: a short run whose rate grows exponentially step by step, until the cost blows up.

The cost first barely moves (the rate is too small to matter), then falls,
then rises and explodes (the rate is too large). A good rate for training is
where the cost falls fastest: :func:`lr_find` smooths the costs, takes the
steepest fall against the logarithm of the rate on the way down to the
lowest cost, and keeps it at least ten times below the rate where the cost blew up (by the divergence guard's rule).
It works on copies: the model's weights and the optimizer's state are left
exactly as they were.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core._validation import as_generator, check_positive_int, check_real
from ..errors import OptionError
from ..losses.costs import Loss, get_loss
from ..losses.objective import Objective
from ..nn import Stack
from ..nn.flat import on_its_device
from ..nn.stack import check_model
from ..optim import Optimizer, get_optimizer
from ..training.guard import Guard, blown_up
from .figures import check_path, save_figure

#: the smoothing of the costs (an exponential moving average, corrected for its start as Adam's is)
SMOOTHING = 0.9


@dataclass
class LRFind:
    """The sweep: each rate with the smoothed cost after the steps so far, and the suggested rate.

    Attributes
    ----------
    rates, costs : list of float
    suggestion : float
    blew_up_at : float or None
        The rate at which the smoothed cost blew up (None if it never did).
    optimizer : str
    chance, start : float or None
        The cost a row of the best constant output (the divergence guard's chance level), and of the
        network before the sweep, on the guard's sample of the rows.
    """

    rates: list[float]
    costs: list[float]
    suggestion: float
    blew_up_at: float | None
    optimizer: str
    chance: float | None = None
    start: float | None = None

    @property
    def trained(self) -> bool:
        """Whether the network started far below the chance level: a trained one, whose cost hardly falls.

        Both costs are a row's, on the same sample. The batches' noise then decides where the cost falls
        fastest, and the suggestion says nothing.

        Returns
        -------
        bool
        """
        return self.chance is not None and self.start is not None and self.start < 0.5 * self.chance

    def __str__(self) -> str:
        end = f"the cost blew up at {self.blew_up_at:.3g}" if self.blew_up_at else "the cost never blew up"
        text = (f"{self.optimizer}: suggested learning rate {self.suggestion:.3g} (the steepest fall of the "
                f"smoothed cost over {len(self.rates)} steps from {self.rates[0]:.3g}; {end})")
        if self.trained:
            text += (f"\nbut the network started at a cost of {self.start:.3g} a row, far below chance "
                     f"({self.chance:.3g}): it seems trained already, so its cost hardly falls and the "
                     "suggestion says little; sweep a fresh network of the same shape")
        return text

    def plot(self, path: str | os.PathLike | None = None) -> Any:
        """The smoothed cost against the rate (logarithmic), the suggestion marked.

        Parameters
        ----------
        path : str or path_like, optional
            Where to save the picture (PNG); without it the figure is returned (Jupyter shows it).

        Returns
        -------
        Path or matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.6))
        ax = fig.add_subplot()
        ax.plot(self.rates, self.costs, color="#1f6fb4")
        ax.axvline(self.suggestion, color="#e0701b", linestyle="--", label=f"suggestion {self.suggestion:.3g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("smoothed cost")
        ax.set_title(f"Learning-rate finder ({self.optimizer})")
        ax.legend()
        fig.tight_layout()
        if path is None:
            return fig
        return save_figure(fig, check_path(path))


@on_its_device
def lr_find(model: Stack, X: Any, y: Any, loss: str | Loss = "mse", optimizer: str | Optimizer = "adam", *,
            start: float = 1e-6, stop: float = 10.0, steps: int = 100, batch_size: int = 64, l2: float = 0.0,
            rng: object = 0) -> LRFind:
    """Sweep the learning rate from ``start`` to ``stop`` over ``steps`` steps, one batch each.

    Parameters
    ----------
    model : Stack
        Not changed: the sweep trains a copy.
    X : array_like, shape (n_samples, *input_shape)
    y : array_like
    loss : str or Loss
    optimizer : str or Optimizer
        By name, or an optimizer whose copy is used (its own state is left alone).
    start, stop : float
        The first and the largest rate.
    steps : int
    batch_size : int
    l2 : float
    rng : int or numpy.random.Generator
        Draws the batches.

    Returns
    -------
    LRFind
    """
    check_model(model)
    start = check_real(start, "start", low=0.0, low_open=True)
    stop = check_real(stop, "stop", low=0.0, low_open=True)
    if stop <= start:
        raise OptionError(f"stop must be larger than start; received start={start:g}, stop={stop:g}")
    steps = check_positive_int(steps, "steps")
    if steps < 3:
        raise OptionError(f"steps must be at least 3 (a fall needs three costs to be seen); received {steps}")
    batch_size = check_positive_int(batch_size, "batch_size")
    m = model.copy()
    objective = Objective(m, get_loss(loss), l2)
    X, y = objective.prepare(X, y)
    opt = copy.deepcopy(get_optimizer(optimizer))  # a name, or an optimizer whose own state stays as it is
    opt.bind(m)
    batch_size = min(batch_size, X.shape[0])  # each row once a batch at most, as scikit-learn clips it
    order = as_generator(rng).permutation(X.shape[0])
    guard = Guard(objective, X, y)  # the network's cost and the best constant output's, on one sample, before any step
    rates, costs, average, best, blew = [], [], 0.0, np.inf, None
    grid = np.geomspace(start, stop, steps)
    # each rate's cost is the next batch's, after the step at that rate (the cost read before a step measured the
    # rate before it, so the suggestion was a rate too high, and with 3 steps the stop never measured); the first
    # batch's cost, before any step, starts the average
    for k in range(steps + 1):
        rows = order[np.arange(k * batch_size, (k + 1) * batch_size) % order.size]
        with np.errstate(all="ignore"):
            cost = float(objective(X[rows], y[rows]))
        average = SMOOTHING * average + (1 - SMOOTHING) * cost
        smoothed = average / (1 - SMOOTHING ** (k + 1))
        if k:
            if blown_up(smoothed, best):
                blew = float(grid[k - 1])
                break
            rates.append(float(grid[k - 1]))
            costs.append(smoothed)
        best = min(best, smoothed)  # from the cost before any step: a sweep that blew up at its first step did
        # not "never blow up" (it suggested a rate that left the network at chance)
        if k < steps:
            opt.lr = float(grid[k])
            opt.step()
    if len(rates) < 3:
        raise OptionError(f"the cost blew up after the step at rate {blew:g} (step {len(rates) + 1} of {steps}), "
                          f"before a fall could be seen: start or stop lower, or take more steps; received "
                          f"start={start:g}, stop={stop:g}")
    lowest = max(int(np.argmin(costs)), 2) + 1  # the fall to the lowest cost; later falls recover from spikes
    slope = np.gradient(np.asarray(costs[:lowest]), np.log(rates[:lowest]))
    # the average's first steps settle on the costs so far (one dear first batch made the sweep's first rate,
    # 1e-6, the steepest fall): the fall is looked for after them, where there are enough steps to look at
    skip = max(0, min(round(1 / (1 - SMOOTHING)), lowest - 3))
    suggestion = rates[skip + int(np.argmin(slope[skip:]))]
    if blew is not None:
        suggestion = min(suggestion, blew / 10)
    return LRFind(rates, costs, float(suggestion), blew, opt.name, guard.chance, guard.before)


__all__ = ["LRFind", "lr_find"]
