"""Costs for numbers: the squared error, the absolute error, Huber's cost, the Poisson deviance for counts.

Each is a mean over samples, except :class:`SquaredError` with
``reduction="sum"``, the sum that tutorials 02 and 05 minimize. Its baseline,
the best output that ignores the input, is the mean, the median or the mean
rate's logarithm.
"""

from __future__ import annotations

import numpy as np

from ..core._validation import check_choice, check_real
from ..errors import OptionError
from ..ops import functional as F
from .base import Loss


class SquaredError(Loss):
    """``C = 1/2 * sum((A - Y)**2) / n`` (``reduction="mean"``) or without ``/ n`` (``"sum"``).

    The one-half cancels the two of the derivative: ``dC/dA = (A - Y) / n``.

    Parameters
    ----------
    reduction : "mean" or "sum"
        Divide by the number of samples (the mean cost) or not (tutorials 02 and 05).
    """

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = check_choice(reduction, "reduction", ("mean", "sum"))
        self.is_mean = self.reduction == "mean"

    def value_and_grad(self, output, target, weight=None):
        return F.squared_error(output, target, self.reduction, weight)

    def config(self) -> dict:
        return {"reduction": self.reduction}


class PoissonDeviance(Loss):
    """Half the Poisson deviance, for counts and rates: the model's output is the logarithm of the rate.

    ``C = sum(exp(z) - y*z + y*log(y) - y) / n`` and ``dC/dz = (exp(z) - y) / n``:
    the exponential is the canonical link of the Poisson distribution, so its
    derivative cancels as the sigmoid's does in binary cross-entropy. Predict
    the rate as ``exp(output)``. Targets must be non-negative.
    """

    def validate_target(self, target, output_shape, dtype, name="y", xp=None):
        """As :meth:`Loss.validate_target`, and every target must be non-negative.

        Parameters
        ----------
        target, output_shape, dtype, name, xp
            As for :meth:`Loss.validate_target`.

        Returns
        -------
        array, shape (n_samples, n_outputs)
        """
        y = super().validate_target(target, output_shape, dtype, name, xp)
        if y.min() < 0:
            raise OptionError(f"{name} must be non-negative for the Poisson deviance (counts or rates); "
                              f"received a minimum of {y.min()}")
        return y

    def baseline(self, target, weight, logits, n_outputs):
        """The logarithm of each column's mean rate (see :meth:`Loss.baseline`).

        Parameters
        ----------
        target, weight, logits, n_outputs
            As for :meth:`Loss.baseline`.

        Returns
        -------
        numpy array, shape (n_outputs,)
        """
        return np.log(np.clip(np.average(target, axis=0, weights=weight), 1e-12, None))

    def value_and_grad(self, output, target, weight=None):
        return F.poisson_deviance(output, target, weight)


class AbsoluteError(Loss):
    """``C = sum(|A - Y|) / n``: the median's cost, which outliers pull less than the square's."""

    def baseline(self, target, weight, logits, n_outputs):
        """Each column's (weighted) median, the minimizer of the absolute error (see :meth:`Loss.baseline`).

        Parameters
        ----------
        target, weight, logits, n_outputs
            As for :meth:`Loss.baseline`.

        Returns
        -------
        numpy array, shape (n_outputs,)
        """
        return median(target, weight)

    def value_and_grad(self, output, target, weight=None):
        return F.absolute_error(output, target, weight)


class Huber(Loss):
    """Huber's cost: ``(A - Y)**2 / 2`` within ``delta`` of the target, a straight line beyond.

    Parameters
    ----------
    delta : float
        Where the square gives way to the line, as ``delta`` in PyTorch's ``HuberLoss``; the cost
        is summed over the outputs and averaged over the samples, where PyTorch's default averages
        over both (its cost is this one divided by the number of outputs).
    """

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = check_real(delta, "delta", low=0.0, low_open=True)

    def baseline(self, target, weight, logits, n_outputs):
        """Each column's (weighted) median: a constant whose cost is at least the best one's (see
        :meth:`Loss.baseline`).

        Parameters
        ----------
        target, weight, logits, n_outputs
            As for :meth:`Loss.baseline`.

        Returns
        -------
        numpy array, shape (n_outputs,)
        """
        return median(target, weight)

    def value_and_grad(self, output, target, weight=None):
        return F.huber(output, target, self.delta, weight)

    def config(self) -> dict:
        return {"delta": self.delta}


def median(target: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """Each column's median, weighted by ``weight``: the smallest value with at least half the weight at or below it.

    Parameters
    ----------
    target : numpy array, shape (n_samples, n_outputs)
    weight : numpy array, shape (n_samples,), optional

    Returns
    -------
    numpy array, shape (n_outputs,)
    """
    if weight is None:
        return np.median(target, axis=0)
    order = np.argsort(target, axis=0, kind="stable")
    below = np.cumsum(np.asarray(weight, dtype=np.float64)[order], axis=0)
    first = np.argmax(below >= below[-1] / 2, axis=0)  # the first row, in each column's order, past half
    return np.take_along_axis(target, np.take_along_axis(order, first[None], axis=0), axis=0)[0]
