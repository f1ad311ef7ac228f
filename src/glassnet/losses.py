"""Cost functions: a value for a batch and its gradient with respect to the network's output.

Every cost is a mean over samples (the "cost" of tutorial 04, an average of
per-sample losses), except :class:`SquaredError` with ``reduction="sum"``, the
sum that tutorials 02 and 05 minimize.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from ._validation import check_array, check_choice
from .nn.activations import Sigmoid, Softmax
from .nn.base import Layer


class Loss:
    """Base class. ``loss(output, target)`` returns the cost as a float.

    ``fused_activation``: when a model ends in this activation, training feeds
    the loss the activation's input and uses :meth:`fused_value_and_grad`,
    which is both simpler and numerically safer than chaining the two.
    """

    fused_activation: type[Layer] | None = None
    #: whether the cost is a mean over samples (a batch's share of an epoch is then its size)
    is_mean = True

    def value_and_grad(self, output: np.ndarray, target: np.ndarray,
                       weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Cost and ``dC/d(output)``; ``target`` already passed :meth:`validate_target`.

        ``weight`` (n,), optional, multiplies each sample's term of the cost.
        """
        raise NotImplementedError

    def fused_value_and_grad(self, z: np.ndarray, target: np.ndarray,
                             weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Cost of ``fused_activation(z)`` and ``dC/dz``."""
        raise NotImplementedError

    def validate_target(self, target: object, output_shape: tuple[int, int], dtype: np.dtype,
                        name: str = "y") -> np.ndarray:
        """Check ``target`` against the model's output shape ``(n_samples, n_outputs)``."""
        y = check_array(target, name, ndim=(1, 2), dtype=dtype)
        if y.ndim == 1 and output_shape[1] == 1:
            y = y.reshape(-1, 1)
        if y.shape != tuple(output_shape):
            raise ValueError(
                f"{name} must have shape {tuple(output_shape)} to match the model's output; "
                f"received shape {np.shape(target)}"
            )
        return y

    def __call__(self, output: object, target: object) -> float:
        out = check_array(output, "output", ndim=2)
        if out.dtype not in (np.float32, np.float64):
            out = out.astype(np.float64)
        y = self.validate_target(target, out.shape, out.dtype)
        return self.value_and_grad(out.copy(), y)[0]

    def config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class SquaredError(Loss):
    """``C = 1/2 * sum((A - Y)**2) / n`` (``reduction="mean"``) or without ``/ n`` (``"sum"``).

    The one-half cancels the two of the derivative: ``dC/dA = (A - Y) / n``.
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

    ``from_logits=True`` takes the output before the sigmoid. A model that ends
    in :class:`~glassnet.nn.Sigmoid` is trained from its logits either way.
    """

    fused_activation = Sigmoid

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def validate_target(self, target, output_shape, dtype, name="y"):
        y = super().validate_target(target, output_shape, dtype, name)
        if y.min() < 0 or y.max() > 1:
            raise ValueError(
                f"{name} must lie in [0, 1] for binary cross-entropy; "
                f"received values from {y.min()} to {y.max()}"
            )
        return y

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
    :class:`~glassnet.nn.Softmax` is trained from the logits before it. With
    ``from_logits=False`` the output is taken as probabilities.
    """

    fused_activation = Softmax

    def __init__(self, from_logits: bool = True) -> None:
        self.from_logits = bool(from_logits)

    def validate_target(self, target, output_shape, dtype, name="y"):
        n, k = output_shape
        y = check_array(target, name, ndim=(1, 2))
        if y.ndim == 2:
            return super().validate_target(y, output_shape, dtype, name)
        if y.shape[0] != n:
            raise ValueError(f"{name} must hold {n} labels, one per sample; received {y.shape[0]}")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.mod(y, 1) == 0):
                raise ValueError(
                    f"{name} must hold integer class labels 0..{k - 1} or one-hot rows; "
                    f"received non-integer values of dtype {y.dtype}"
                )
        labels = y.astype(np.intp)
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(
                f"{name} must hold class labels in 0..{k - 1} for a model with {k} outputs; "
                f"received labels from {labels.min()} to {labels.max()}"
            )
        return labels

    def value_and_grad(self, output, target, weight=None):
        if self.from_logits:
            return F.softmax_cross_entropy(output, target, weight)
        return F.cross_entropy_from_probs(output, target, weight)

    def fused_value_and_grad(self, z, target, weight=None):
        return F.softmax_cross_entropy(z, target, weight)

    def config(self) -> dict:
        return {"from_logits": self.from_logits}


LOSSES: dict[str, type[Loss]] = {
    "squared_error": SquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
}
ALIASES = {"mse": "squared_error", "bce": "binary_cross_entropy", "cross_entropy": "softmax_cross_entropy"}


def loss_from_config(config: dict) -> Loss:
    """Rebuild a loss from ``{"name": class name, **loss.config()}`` (as checkpoints store it)."""
    config = dict(config)
    by_class = {cls.__name__: cls for cls in LOSSES.values()}
    return by_class[config.pop("name")](**config)


def get_loss(loss: str | Loss, name: str = "loss") -> Loss:
    """A loss object from a name ("squared_error", "mse", "bce", "cross_entropy", ...) or as is."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        key = ALIASES.get(loss, loss)
        if key in LOSSES:
            return LOSSES[key]()
    names = list(LOSSES) + list(ALIASES)
    raise ValueError(f"{name} must be a Loss or one of {', '.join(map(repr, names))}; received {loss!r}")
