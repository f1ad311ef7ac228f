"""Costs for classes: binary cross-entropy (one sigmoid per output) and softmax cross-entropy (one label per sample).

Both are fused with the activation a classifier ends in: a model ending in a
sigmoid or a softmax is trained from the logits before it, which is simpler
and numerically safer than chaining the two.
"""

from __future__ import annotations

import numpy as np

from ..core._validation import check_array
from ..core.arrays import namespace
from ..errors import OptionError
from ..ops import functional as F
from .base import Loss


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

    Targets are integer class labels of shape ``(n,)``, or rows ``(n, k)``: one-hot,
    soft labels, or any entries of at least 0, as PyTorch's ``CrossEntropyLoss``
    takes them. A row ``Y`` that does not sum to 1 scales the softmax in the
    gradient: ``dC/dZ = (P * sum(Y) - Y) / n``.
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
        """Integer labels in ``0..k-1`` (a vector, or a column), or rows checked as by :meth:`Loss.validate_target`.

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
        if y.ndim == 2 and y.shape[1] == 1:  # a column of labels (a one-column frame, a reshaped vector)
            y = y[:, 0]
        if y.ndim == 2:  # one probability per class and sample: a negative one makes the cost fall without end
            y = super().validate_target(y, output_shape, dtype, name, xp)
            if float(y.min()) < 0:
                raise OptionError(f"{name} must hold class labels, or rows of class probabilities (one-hot, or "
                                  f"soft labels of at least 0); received a value of {float(y.min()):g}")
            return y
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
