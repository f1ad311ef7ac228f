"""The function training minimizes: cost and gradient over the flat parameter vector."""

from __future__ import annotations

import numpy as np

from ._blas import axpy
from ._validation import check_real
from .functional import l2_penalty
from .losses import Loss, get_loss
from .nn.sequential import Sequential


class Objective:
    """``J(theta) = loss(model(X), y) + l2 / 2 * sum(W**2)``, with gradient in ``model.grads``.

    ``theta`` is ``model.params``; only weights (``params[:n_decayed]``), not
    biases, are penalized: the regularized cost of tutorial 02. When the model
    ends in the loss's fused activation (Softmax before softmax cross-entropy,
    Sigmoid before binary cross-entropy), that last layer is skipped and the
    loss takes its input: the same cost with a simpler, stabler gradient.
    """

    def __init__(self, model: Sequential, loss: str | Loss, l2: float = 0.0) -> None:
        if not isinstance(model, Sequential):
            raise TypeError(f"model must be a glassnet Sequential; received {type(model).__name__}")
        self.model = model
        self.loss = get_loss(loss)
        self.l2 = check_real(l2, "l2", low=0.0)
        fused = self.loss.fused_activation
        self.fused = fused is not None and isinstance(model.layers[-1], fused)
        #: layers[:stop] produce what the loss takes (all layers, or all but the fused activation)
        self.stop = len(model.layers) - 1 if self.fused else None
        #: whether that output is logits (before a sigmoid/softmax) rather than probabilities
        self.output_is_logits = self.fused or bool(getattr(self.loss, "from_logits", False))
        self.input_grad: np.ndarray | None = None
        self.output: np.ndarray | None = None

    def __call__(
        self, X: np.ndarray, y: np.ndarray, training: bool = True, need_input_grad: bool = False,
        weight: np.ndarray | None = None,
    ) -> float:
        """Cost at the current parameters; writes the gradient into ``model.grads``.

        ``X`` and ``y`` are taken as already validated (see :meth:`prepare`);
        ``weight`` (n,), optional, weighs each sample's term of the cost.
        """
        model = self.model
        self.output = out = model.forward(X, training, stop=self.stop)
        cost, grad = self.cost_and_grad(out, y, weight)
        self.input_grad = model.backward(grad, start=self.stop, need_input_grad=need_input_grad)
        if self.l2:
            w = model.params[: model.n_decayed]
            cost += l2_penalty(w, self.l2)
            axpy(self.l2, w, model.grads[: model.n_decayed])
        return cost

    def cost_and_grad(self, out: np.ndarray, y: np.ndarray,
                      weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """The loss (without the L2 term) of ``out = model.forward(X, stop=self.stop)`` and its
        gradient: through the fused formula when the last activation was skipped."""
        fn = self.loss.fused_value_and_grad if self.fused else self.loss.value_and_grad
        return fn(out, y, weight)

    def value(self, X: np.ndarray, y: np.ndarray, training: bool = False,
              weight: np.ndarray | None = None) -> float:
        """Cost only, no gradient."""
        cost = self.cost_and_grad(self.model.forward(X, training, stop=self.stop), y, weight)[0]
        if self.l2:
            cost += l2_penalty(self.model.params[: self.model.n_decayed], self.l2)
        return cost

    def prepare(self, X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """Validate ``X`` and ``y`` once, in the model's dtype, for repeated calls."""
        X = self.model.check_input(X)
        n_out = self.model.out_features
        if n_out is None:  # a model with no Dense layer: the output is as wide as the input
            n_out = X.shape[1]
        y = self.loss.validate_target(y, (X.shape[0], n_out), self.model.dtype)
        return X, y
