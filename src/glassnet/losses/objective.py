"""The function training minimizes: cost and gradient over the flat parameter vector."""

from __future__ import annotations

from typing import Any

from ..core._validation import check_flag, check_real
from ..errors import OptionError
from ..nn.activations import PROBABILITIES
from ..nn.predicting import output_layer
from ..nn.stack import Stack, Workspace, check_model
from ..ops._blas import axpy
from ..ops.functional import l1_penalty, l1_penalty_grad, l2_penalty
from .costs import Loss, get_loss

Array = Any


class Objective:
    """``J(theta) = loss(model(X), y) + l2 / 2 * sum(W**2) + l1 * sum(|W|)``, with its gradient in ``model.grads``.

    Parameters
    ----------
    model : Stack
    loss : str or Loss
    l2 : float
        The L2 strength lambda; only weights (``params[:n_decayed]``), not
        biases, are penalized: the regularized cost of tutorial 02.
    l1 : float
        The L1 strength, on the same weights; its gradient is ``l1 * sign(W)``.
    batch_mean : bool
        Take each call's cost as scikit-learn's MLP takes a batch's:
        ``(sum(w_i c_i) + penalty) / sum(w_i)`` over the call's rows (``sum(w_i)``
        is their number without sample weights), where by default it is
        ``sum(w_i c_i) / n + penalty``. A last batch of fewer rows then takes a
        larger share of the penalty, and each batch is its own weighted mean.

    Attributes
    ----------
    penalty_rows : float or None
        With ``batch_mean``: a training batch's weight, which ``fit`` sets, for
        the penalty's share in costs outside a step (validation, the divergence guard).
    penalty_cost : float or 0-d array
        The regularization term the last call added to its cost (its share included), 0 without one.
    fused : bool
        Whether the model's last layer is the loss's fused activation (Softmax
        before softmax cross-entropy, Sigmoid before binary cross-entropy).
        That layer is then skipped and the loss takes its input: the same cost
        with a simpler, stabler gradient.
    stop : int or None
        ``layers[:stop]`` produce what the loss takes.
    output_is_logits : bool
        Whether that is logits (before a sigmoid or softmax) rather than probabilities.
    output, input_grad : array or None
        What the last call computed: the model's output (as the loss took it)
        and ``dJ/dX``. They live in the objective's workspace and change at the next call.

    Notes
    -----
    An objective is a training-run object: it owns a :class:`~glassnet.nn.Workspace`
    whose buffers its calls reuse, so one objective serves one thread.
    """

    def __init__(self, model: Stack, loss: str | Loss, l2: float = 0.0, l1: float = 0.0,
                 batch_mean: bool = False) -> None:
        check_model(model)
        self.model = model
        self.loss = get_loss(loss)
        self.l2 = check_real(l2, "l2", low=0.0)
        self.l1 = check_real(l1, "l1", low=0.0)
        self.batch_mean = check_flag(batch_mean, "batch_mean")
        #: with batch_mean, the weight of a whole training batch (its rows times their mean weight), which
        #: ``fit`` sets: the penalty's share in a cost outside a step (see :meth:`evaluation_shares`); None
        #: takes each cost as a batch of its own, as a call does
        self.penalty_rows: float | None = None
        self.penalty_cost: Any = 0.0
        fused = self.loss.fused_activation
        self.fused = fused is not None and getattr(model.layers[-1], "name", None) == fused
        self.stop = len(model.layers) - 1 if self.fused else None
        self.output_is_logits = self.fused or bool(getattr(self.loss, "from_logits", False))
        _check_probabilities(model, self.loss, self.output_is_logits, self.fused)
        self.output: Array | None = None
        self.input_grad: Array | None = None
        self._workspaces: dict[bool, Workspace] = {}

    def workspace(self, training: bool) -> Workspace:
        """The objective's workspace for training or inference passes, made at first use.

        Parameters
        ----------
        training : bool

        Returns
        -------
        Workspace
        """
        ws = self._workspaces.get(training)
        if ws is None or len(ws.contexts) != len(self.model.layers) or ws.contexts[0].xp is not self.model.xp:
            ws = self._workspaces[training] = self.model.workspace(training)
        return ws

    def release(self) -> None:
        """Drop the workspaces and their buffers; the next call makes them again (a long pause coming)."""
        self._workspaces.clear()

    def __call__(self, X: Array, y: Array, training: bool = True, need_input_grad: bool = False,
                 weight: Array | None = None) -> Any:
        """The cost at the current parameters; writes the gradient into ``model.grads``.

        Parameters
        ----------
        X : array, shape (n_samples, *input_shape)
            Taken as validated (see :meth:`prepare`).
        y : array
            Targets as :meth:`prepare` returned them.
        training : bool
            Dropout on.
        need_input_grad : bool
            Also compute ``dJ/dX`` into :attr:`input_grad`.
        weight : array, shape (n_samples,), optional
            Weighs each sample's term of the cost.

        Returns
        -------
        float or 0-d array
            ``J``, the L2 term included: a float on NumPy; on a device the 0-d
            array, which ``float()`` reads (waiting for the device).
        """
        model = self.model
        model.own_layers()  # gradients into this model's vector, even if another model took a shared layer
        ws = self.workspace(training)
        self.output = out = model.forward(X, stop=self.stop, workspace=ws)
        weight, share = self._shares(X.shape[0], weight)
        cost, grad = self.cost_and_grad(out, y, weight)
        self.input_grad = model.backward(grad, ws, start=self.stop, need_input_grad=need_input_grad)
        self.penalty_cost = share * self.penalty() if self.l2 or self.l1 else 0.0
        if self.l2 or self.l1:
            cost += self.penalty_cost
            self.add_penalty_grad(model.grads[: model.n_decayed], share)
        return cost

    def evaluation_shares(self, rows: int, weight: Array | None) -> tuple[Array | None, float]:
        """As :meth:`_shares`, for a cost outside a training step (the divergence guard's sample, validation).

        With :attr:`batch_mean` the weights become their mean over ``rows`` as in a step, and the penalty's
        share is that of a whole training batch, ``1 / penalty_rows``, so that such costs compare with the
        steps' (the guard's sample of 512 rows took 1/512 of the penalty, batches of 4 a quarter). Before
        ``fit`` sets :attr:`penalty_rows`, the cost is that of a call on these rows.

        Parameters
        ----------
        rows : int
        weight : array, shape (rows,), optional

        Returns
        -------
        (weight, share)
        """
        if not self.batch_mean or self.penalty_rows is None:
            return self._shares(rows, weight)
        return self._shares(rows, weight)[0], 1.0 / self.penalty_rows

    def _shares(self, rows: int, weight: Array | None) -> tuple[Array | None, float]:
        """The weights a call's cost takes, and the penalty's share in it: as given and 1, unless :attr:`batch_mean`.

        Then the weights are scaled to sum to ``rows`` (the data term becomes their weighted mean) and the
        penalty is divided by their sum. A batch whose weights are all 0, where scikit-learn's cost is NaN,
        takes the penalty over its rows.
        """
        if not self.batch_mean:
            return weight, 1.0
        total = float(rows if weight is None else weight.sum())
        if total <= 0:
            return weight, 1.0 / rows
        return (None if weight is None else weight * (rows / total)), 1.0 / total

    def penalty(self) -> Any:
        """The regularization terms at the current weights: ``l2 / 2 * sum(W**2) + l1 * sum(|W|)``.

        Returns
        -------
        float or 0-d array
            As :meth:`__call__` returns the cost.
        """
        w = self.model.params[: self.model.n_decayed]
        return (l2_penalty(w, self.l2) if self.l2 else 0.0) + (l1_penalty(w, self.l1) if self.l1 else 0.0)

    def add_penalty_grad(self, out: Array, scale: float = 1.0) -> None:
        """Add ``scale`` times the regularization terms' gradient to ``out`` (the weights' part of the gradient).

        Parameters
        ----------
        out : array, shape (n_decayed,)
        scale : float
        """
        w = self.model.params[: self.model.n_decayed]
        if self.l2:
            axpy(scale * self.l2, w, out)
        if self.l1:
            out += l1_penalty_grad(w, scale * self.l1)

    def cost_and_grad(self, out: Array, y: Array, weight: Array | None = None) -> tuple[float, Array]:
        """The loss, without the L2 term, and its gradient with respect to ``out``.

        Parameters
        ----------
        out : array
            ``model.forward(X, stop=self.stop)``.
        y : array
            Prepared targets.
        weight : array, shape (n_samples,), optional

        Returns
        -------
        cost : float or 0-d array
            As :meth:`__call__` returns it.
        grad : array like ``out``
            Through the fused formula when the last activation was skipped.
        """
        fn = self.loss.fused_value_and_grad if self.fused else self.loss.value_and_grad
        return fn(out, y, weight)

    def value(self, X: Array, y: Array, training: bool = False, weight: Array | None = None) -> float:
        """The cost only (L2 term included), no gradient.

        Parameters
        ----------
        X, y : arrays
            As :meth:`prepare` returned them.
        training : bool
        weight : array, shape (n_samples,), optional

        Returns
        -------
        float
        """
        return self.value_of(self.model.forward(X, training, stop=self.stop), y, weight)

    def value_of(self, out: Array, y: Array, weight: Array | None = None) -> float:
        """The cost (L2 term included) of an output already computed by ``model.forward(X, stop=self.stop)``.

        Parameters
        ----------
        out : array
        y : array
        weight : array, shape (n_samples,), optional

        Returns
        -------
        float
        """
        weight, share = self.evaluation_shares(out.shape[0], weight)
        return float(self.cost_and_grad(out, y, weight)[0] + share * self.penalty())

    def prepare(self, X: Any, y: Any, names: tuple[str, str] = ("X", "y")) -> tuple[Array, Array]:
        """Validate ``X`` and ``y`` once, in the model's dtype and namespace, for repeated calls.

        Parameters
        ----------
        X : array_like, shape (n_samples, *input_shape)
        y : array_like
            Targets for the loss.
        names : (str, str)
            The arguments' names, for messages.

        Returns
        -------
        (X, y) : arrays
        """
        X = self.model.check_input(X, names[0])
        n_out = self.model.out_features
        if n_out is None:  # a model whose output width follows its input
            n_out = self.model.forward(X[:1]).shape[1]
        y = self.loss.validate_target(y, (X.shape[0], n_out), self.model.dtype, names[1], xp=self.model.xp)
        return X, y


def _check_probabilities(model: Stack, loss: Loss, logits: bool, fused: bool) -> None:
    """Refuse a cross-entropy that takes probabilities where the model's output comes from one of glassnet's
    layers that gives none (a Dense layer's outputs are any real numbers: their logarithms fail, and the cost
    is NaN), and one that takes logits where they are probabilities. Layers that keep their inputs' range
    (Flatten, pooling) are looked through; a layer of the user's own is trusted."""
    if loss.fused_activation is None:
        return
    last = output_layer(model.layers, inference=logits)  # Softmax then Dropout: logits no more in any pass
    if last is None or not type(last).__module__.startswith("glassnet."):
        return
    kind, probabilities = type(loss).__name__, getattr(last, "name", None) in PROBABILITIES
    if logits and probabilities and not fused and getattr(last, "name", None) == loss.fused_activation:
        # Softmax, then Flatten: the loss would apply softmax to its probabilities a second time
        at = next(i for i, layer in enumerate(model.layers) if layer is last)
        after = ", ".join(type(layer).__name__ for layer in model.layers[at + 1:])
        raise OptionError(f"the loss {kind} takes logits and applies {loss.fused_activation} itself, but the "
                          f"model's {type(last).__name__} is followed by {after}, so its outputs are "
                          f"probabilities already and would go through {loss.fused_activation} twice: put "
                          f"{type(last).__name__}() last, after {after}, or leave it out")
    if logits and probabilities and getattr(last, "name", None) != loss.fused_activation:
        # Sigmoid before a softmax cross-entropy: logits squeezed into (0, 1), a cost that cannot fall far
        raise OptionError(f"the loss {kind} takes logits and applies {loss.fused_activation} itself, but the "
                          f"model ends with {type(last).__name__}, whose outputs are probabilities: leave out the "
                          f"last {type(last).__name__}(), or end with {loss.fused_activation.capitalize()}()")
    if logits or probabilities:
        return
    raise OptionError(f"the loss {kind} takes probabilities, but the model's outputs come from "
                      f"{type(last).__name__}, whose outputs are not probabilities: end the model with "
                      f"{loss.fused_activation.capitalize()}(), or take them as logits with "
                      f"loss=gn.{kind}(from_logits=True)")
