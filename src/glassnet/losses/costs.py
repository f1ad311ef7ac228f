"""Cost functions: a value for a batch and its gradient with respect to the network's output.

Every cost is a mean over samples (the "cost" of tutorial 04, an average of
per-sample losses), except :class:`SquaredError` with ``reduction="sum"``, the
sum that tutorials 02 and 05 minimize.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ..core._validation import check_array, check_choice, check_real, short
from ..core.arrays import namespace
from ..errors import OptionError
from ..ops import functional as F

Array = Any


class Loss:
    """Base class. ``loss(output, target)`` returns the cost as a float.

    ``fused_activation``: the name of an activation (``"softmax"``); when a
    model ends in it, training feeds the loss the activation's input and uses
    :meth:`fused_value_and_grad`, which is both simpler and numerically safer
    than chaining the two.
    """

    fused_activation: str | None = None
    #: whether the cost is a mean over samples (a batch's share of an epoch is then its size)
    is_mean = True

    def value_and_grad(self, output: Array, target: Array, weight: Array | None = None) -> tuple[float, Array]:
        """Cost and its gradient with respect to the output.

        Parameters
        ----------
        output : array, shape (n_samples, n_outputs)
            The model's output (may be overwritten).
        target : array
            As :meth:`validate_target` returned it.
        weight : array, shape (n_samples,), optional
            Multiplies each sample's term of the cost.

        Returns
        -------
        cost : float
        grad : array, shape (n_samples, n_outputs)
            ``dC/d(output)``.
        """
        raise NotImplementedError

    def fused_value_and_grad(self, z: Array, target: Array, weight: Array | None = None) -> tuple[float, Array]:
        """Cost of ``fused_activation(z)`` and its gradient with respect to ``z``.

        Parameters
        ----------
        z : array, shape (n_samples, n_outputs)
            The input of the fused activation.
        target : array
            As :meth:`validate_target` returned it.
        weight : array, shape (n_samples,), optional

        Returns
        -------
        cost : float
        grad : array, shape (n_samples, n_outputs)
            ``dC/dz``.
        """
        raise NotImplementedError

    def validate_target(self, target: object, output_shape: tuple[int, int], dtype: np.dtype,
                        name: str = "y", xp: ModuleType | None = None) -> Array:
        """Check ``target`` against the model's output.

        Parameters
        ----------
        target : array-like
        output_shape : (n_samples, n_outputs)
        dtype : numpy.dtype
            The model's dtype.
        name : str
            The argument's name, for messages.
        xp : module, optional
            The model's array namespace.

        Returns
        -------
        array, shape (n_samples, n_outputs)
        """
        y = check_array(target, name, ndim=(1, 2), dtype=dtype, xp=xp)
        if y.ndim == 1 and output_shape[1] == 1:
            y = y.reshape(-1, 1)
        if tuple(y.shape) != tuple(output_shape):
            hint = ""
            if y.ndim == 1 and output_shape[1] > 1 and bool((namespace(y).mod(y, 1) == 0).all()):
                hint = (f". These look like class labels: for a classifier with {output_shape[1]} outputs "
                        "use loss='cross_entropy', which takes labels as they are")
            raise OptionError(f"{name} must have shape {tuple(output_shape)} to match the model's output; "
                              f"received shape {tuple(y.shape)}{hint}")
        return y

    def baseline(self, target: np.ndarray, weight: np.ndarray | None, logits: bool, n_outputs: int) -> np.ndarray:
        """The best output that ignores the input: what a model that learned nothing would predict.

        Its cost is the run's chance level: a training run that ends no lower
        has learned nothing from its inputs (see :mod:`glassnet.training.guard`).

        Parameters
        ----------
        target : numpy array
            Prepared targets (:meth:`validate_target`), on the host.
        weight : numpy array, shape (n_samples,), optional
        logits : bool
            Whether the output the loss takes is before its activation (a sigmoid or softmax).
        n_outputs : int
            The model's outputs.

        Returns
        -------
        numpy array, shape (n_outputs,)
            One output row: the weighted mean of each column by default, the minimizer of the squared error.
        """
        return np.average(target, axis=0, weights=weight)

    def __call__(self, output: object, target: object) -> float:
        """The cost of ``output`` against ``target``.

        Parameters
        ----------
        output : array-like, shape (n_samples, n_outputs)
        target : array-like

        Returns
        -------
        float
        """
        out = check_array(output, "output", ndim=2)
        if out.dtype not in (np.float32, np.float64):
            out = out.astype(np.float64)
        y = self.validate_target(target, out.shape, out.dtype, xp=namespace(out))
        return self.value_and_grad(out.copy(), y)[0]

    def config(self) -> dict:
        """Arguments that rebuild this loss.

        Returns
        -------
        dict
        """
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


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


class BinaryCrossEntropy(Loss):
    """Logistic cost ``-sum(Y log A + (1 - Y) log(1 - A)) / n`` for targets in [0, 1].

    Parameters
    ----------
    from_logits : bool
        Take the output before the sigmoid. A model that ends in
        :class:`~glassnet.nn.Sigmoid` is trained from its logits either way.
    """

    fused_activation = "sigmoid"

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def validate_target(self, target, output_shape, dtype, name="y", xp=None):
        """As :meth:`Loss.validate_target`, and every target must lie in [0, 1].

        Parameters
        ----------
        target, output_shape, dtype, name, xp
            As for :meth:`Loss.validate_target`.

        Returns
        -------
        array, shape (n_samples, n_outputs)
        """
        y = super().validate_target(target, output_shape, dtype, name, xp)
        if y.min() < 0 or y.max() > 1:
            raise OptionError(
                f"{name} must lie in [0, 1] for binary cross-entropy; "
                f"received values from {y.min()} to {y.max()}"
            )
        return y

    def baseline(self, target, weight, logits, n_outputs):
        """Each column's frequency of 1, as a probability or its logit (see :meth:`Loss.baseline`).

        Parameters
        ----------
        target, weight, logits, n_outputs
            As for :meth:`Loss.baseline`.

        Returns
        -------
        numpy array, shape (n_outputs,)
        """
        p = np.clip(np.average(target, axis=0, weights=weight), 1e-12, 1 - 1e-12)
        return np.log(p / (1 - p)) if logits else p

    def value_and_grad(self, output, target, weight=None):
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(output, target, weight)
        return F.binary_cross_entropy(output, target, weight)

    def fused_value_and_grad(self, z, target, weight=None):
        return F.binary_cross_entropy_with_logits(z, target, weight)

    def config(self) -> dict:
        return {"from_logits": self.from_logits}


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of ``softmax(Z)``: ``C = -sum(Y * log_softmax(Z)) / n``; ``dC/dZ = (P - Y) / n``.

    Targets are integer class labels of shape ``(n,)`` or one-hot rows ``(n, k)``.
    By default the output is taken as logits; a model that ends in
    :class:`~glassnet.nn.Softmax` is trained from the logits before it.

    Parameters
    ----------
    from_logits : bool
        False takes the output as probabilities.
    """

    fused_activation = "softmax"

    def __init__(self, from_logits: bool = True) -> None:
        self.from_logits = bool(from_logits)

    def validate_target(self, target, output_shape, dtype, name="y", xp=None):
        """Integer labels in ``0..k-1``, or rows checked as by :meth:`Loss.validate_target`.

        Parameters
        ----------
        target, output_shape, dtype, name, xp
            As for :meth:`Loss.validate_target`.

        Returns
        -------
        int array, shape (n_samples,), or array, shape (n_samples, k)
        """
        n, k = output_shape
        if k < 2:
            raise OptionError("softmax cross-entropy needs one output per class, at least 2; the model has 1 "
                              "output, whose softmax is always 1, so it would learn nothing. For two classes "
                              "with one output use loss='bce' and a sigmoid output")
        y = check_array(target, name, ndim=(1, 2), xp=xp)
        if y.ndim == 2:
            return super().validate_target(y, output_shape, dtype, name, xp)
        if y.shape[0] != n:
            raise OptionError(f"{name} must hold {n} labels, one per sample; received {y.shape[0]}")
        if not np.issubdtype(np.dtype(y.dtype), np.integer):
            if not bool((namespace(y).mod(y, 1) == 0).all()):
                raise OptionError(
                    f"{name} must hold integer class labels 0..{k - 1} or one-hot rows; "
                    f"received non-integer values of dtype {y.dtype}"
                )
        labels = y.astype(np.intp)
        if int(labels.min()) < 0 or int(labels.max()) >= k:
            raise OptionError(
                f"{name} must hold class labels in 0..{k - 1} for a model with {k} outputs; "
                f"received labels from {labels.min()} to {labels.max()}"
            )
        return labels

    def baseline(self, target, weight, logits, n_outputs):
        """The class frequencies, as probabilities or their logarithms (see :meth:`Loss.baseline`).

        The cross-entropy of predicting them is their entropy: ``log(k)`` for ``k`` balanced classes.

        Parameters
        ----------
        target, weight, logits, n_outputs
            As for :meth:`Loss.baseline`.

        Returns
        -------
        numpy array, shape (n_outputs,)
        """
        if target.ndim == 1:
            p = np.bincount(target, weights=weight, minlength=n_outputs)
            p = p / p.sum()
        else:
            p = np.average(target, axis=0, weights=weight)
        p = np.clip(p, 1e-12, None)
        return np.log(p) if logits else p

    def value_and_grad(self, output, target, weight=None):
        if self.from_logits:
            return F.softmax_cross_entropy(output, target, weight)
        return F.cross_entropy_from_probs(output, target, weight)

    def fused_value_and_grad(self, z, target, weight=None):
        return F.softmax_cross_entropy(z, target, weight)

    def config(self) -> dict:
        return {"from_logits": self.from_logits}


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
        """Each column's median, the minimizer of the absolute error (see :meth:`Loss.baseline`).

        Parameters
        ----------
        target, weight, logits, n_outputs
            As for :meth:`Loss.baseline`.

        Returns
        -------
        numpy array, shape (n_outputs,)
        """
        return np.median(target, axis=0)

    def value_and_grad(self, output, target, weight=None):
        return F.absolute_error(output, target, weight)


class Huber(Loss):
    """Huber's cost: ``(A - Y)**2 / 2`` within ``delta`` of the target, a straight line beyond.

    Parameters
    ----------
    delta : float
        Where the square gives way to the line (PyTorch's ``HuberLoss(delta)``).
    """

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = check_real(delta, "delta", low=0.0, low_open=True)

    def baseline(self, target, weight, logits, n_outputs):
        """Each column's median: a constant whose cost is at least the best one's (see :meth:`Loss.baseline`).

        Parameters
        ----------
        target, weight, logits, n_outputs
            As for :meth:`Loss.baseline`.

        Returns
        -------
        numpy array, shape (n_outputs,)
        """
        return np.median(target, axis=0)

    def value_and_grad(self, output, target, weight=None):
        return F.huber(output, target, self.delta, weight)

    def config(self) -> dict:
        return {"delta": self.delta}


LOSSES: dict[str, type[Loss]] = {
    "squared_error": SquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "poisson": PoissonDeviance,
    "absolute_error": AbsoluteError,
    "huber": Huber,
}
ALIASES = {"mse": "squared_error", "bce": "binary_cross_entropy", "cross_entropy": "softmax_cross_entropy"}


def loss_from_config(config: dict) -> Loss:
    """Rebuild a loss from its description, as checkpoints store it.

    Parameters
    ----------
    config : dict
        ``{"name": class name, **loss.config()}``.

    Returns
    -------
    Loss
    """
    config = dict(config)
    by_class = {cls.__name__: cls for cls in LOSSES.values()}
    name = config.pop("name", None)
    if name not in by_class:
        raise OptionError(f"unknown loss {name!r}; known losses: {', '.join(by_class)}")
    return by_class[name](**config)


def get_loss(loss: str | Loss, name: str = "loss") -> Loss:
    """A loss object from a name, or the loss itself.

    Parameters
    ----------
    loss : str or Loss
        "squared_error" ("mse"), "binary_cross_entropy" ("bce"),
        "softmax_cross_entropy" ("cross_entropy"), "poisson",
        "absolute_error", "huber", or a Loss.
    name : str
        The argument's name, for the message.

    Returns
    -------
    Loss
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        key = ALIASES.get(loss, loss)
        if key in LOSSES:
            return LOSSES[key]()
    names = list(LOSSES) + list(ALIASES)
    raise OptionError(f"{name} must be a Loss or one of {', '.join(map(repr, names))}; received {short(loss)}")
