"""The base of every cost: :class:`Loss`, which checks targets against the model's output and names its baseline.

A cost gives a value for a batch and its gradient with respect to the
network's output; the costs themselves are in :mod:`.regression` and
:mod:`.classification`, and :mod:`.costs` finds them by name.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ..core._validation import check_array
from ..core.arrays import namespace
from ..errors import OptionError

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
        target : array_like
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
        output : array_like, shape (n_samples, n_outputs)
        target : array_like

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
