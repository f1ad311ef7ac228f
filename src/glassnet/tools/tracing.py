"""One training iteration of a small network, every intermediate value beside its formula.

This is the hand calculation of the tutorials done by the machine: the
forward pass (Z and A of each layer), the cost and its L2 term, the backward
pass (dA, dZ, dW, db), and the gradient-descent update with the weights
before and after. Samples are rows, so the tutorials' ``W X`` is glassnet's
``A @ W`` and their ``dZ X.T`` is ``A.T @ dZ``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np

from ..core._html import pre, table, typeset
from ..core._validation import check_real, short
from ..errors import OptionError
from ..losses.costs import Loss, SquaredError, get_loss
from ..losses.objective import Objective
from ..nn import Dense, Sigmoid, Stack, mlp
from ..nn.stack import check_model
from ..ops.functional import l2_penalty
from .trace_rules import formulas, layer_names, loss_formulas, training_pass


@dataclass
class Step:
    """One value of the trace.

    Attributes
    ----------
    name : str
    formula : str
        The rule that made it.
    value : float or array
    section : str
    """

    name: str
    formula: str
    value: np.ndarray | float
    section: str


@dataclass
class Trace:
    """The ordered steps of one iteration; ``str()`` for a terminal, :meth:`to_markdown` for docs.

    Attributes
    ----------
    steps : list of Step
    title : str
    decimals : int
        Decimals shown for arrays.
    """

    steps: list[Step] = field(default_factory=list)
    title: str = "One training iteration"
    decimals: int = 4

    def add(self, section: str, name: str, formula: str, value) -> None:
        """Append a step, copying ``value`` as float64.

        Parameters
        ----------
        section : str
        name : str
        formula : str
        value : float or array
        """
        v = float(value) if np.ndim(value) == 0 else np.array(value, dtype=np.float64, copy=True)
        self.steps.append(Step(name, formula, v, section))

    def __getitem__(self, name: str):
        """The value of the step called ``name``."""
        for step in self.steps:
            if step.name == name:
                return step.value
        raise KeyError(name)

    def _fmt(self, value: float | np.ndarray) -> str:
        if isinstance(value, float):
            return f"{value:.{self.decimals + 2}g}"
        value = np.asarray(value)
        if value.dtype.kind == "f":
            value = value + 0.0  # -0.0 (a rectifier's mask times a negative gradient) printed as -0.0000
        with np.printoptions(precision=self.decimals, suppress=True, floatmode="fixed", linewidth=100):
            if value.ndim < 3:
                return np.array2string(value)
            # images and kernels: a few positions, not a wall of numbers (trace[name] holds them all)
            corner = value[(0,) * (value.ndim - 2)][:4, :4]
            where = ", ".join(["0"] * (value.ndim - 2) + [f":{corner.shape[0]}", f":{corner.shape[1]}"])
            return (f"shape {value.shape}, min {value.min():.{self.decimals}f}, max {value.max():.{self.decimals}f}, "
                    f"mean {value.mean():.{self.decimals}f}; [{where}] =\n{np.array2string(corner)}")

    def __str__(self) -> str:
        lines, section = [self.title, "=" * len(self.title)], None
        for s in self.steps:
            if s.section != section:
                section = s.section
                lines += ["", f"-- {section} " + "-" * max(0, 60 - len(section))]
            value = self._fmt(s.value)
            if "\n" in value:
                lines.append(f"{s.name:<10} {s.formula}")
                lines += ["           " + line for line in value.splitlines()]
            else:
                lines.append(f"{s.name:<10} {s.formula:<58} = {value}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Trace({self.title!r}, {len(self.steps)} steps)"

    def _repr_html_(self) -> str:
        """The trace as an HTML table for Jupyter: a section per stage, each formula typeset beside its value."""
        rows = []
        for i, s in enumerate(self.steps):
            if i == 0 or s.section != self.steps[i - 1].section:
                rows.append([f"<b>{escape(s.section)}</b>", "", ""])
            rows.append([typeset(s.name), f'<span title="{escape(s.formula)}">{typeset(s.formula)}</span>',
                         pre(self._fmt(s.value))])
        return table(["value", "formula", "numbers"], rows, caption=self.title, raw_columns=(0, 1, 2))

    def to_markdown(self) -> str:
        """The trace as Markdown: a section per stage, each value under its formula.

        Returns
        -------
        str
        """
        lines, section = [f"# {self.title}"], None
        for s in self.steps:
            if s.section != section:
                section = s.section
                lines += ["", f"## {section}", ""]
            lines += [f"**{s.name}** &nbsp; `{s.formula}`", "", "```", self._fmt(s.value), "```", ""]
        return "\n".join(lines)


def trace(model: Stack, X, y, loss: str | Loss = "mse", *, lr: float = 1.0, l2: float = 0.0,
          title: str | None = None) -> Trace:
    """Trace one full-batch gradient-descent step, every value beside its formula.

    Parameters
    ----------
    model : Stack
        Not changed: the values are computed in float64 on a copy, dropout off.
    X : array_like, shape (n_samples, *input_shape)
    y : array_like
        Targets for ``loss``.
    loss : str or Loss
    lr : float
        The step's learning rate.
    l2 : float
        The L2 strength.
    title : str, optional

    Returns
    -------
    Trace
        Sections: data, parameters before, forward, cost, backward, update, after the step.
    """
    check_model(model)
    lr = check_real(lr, "lr", low=0.0, low_open=True)
    m = model.copy(dtype=np.float64).to("cpu")  # on the host, where every value is read (and printed)
    objective = Objective(m, get_loss(loss), l2)
    X, y = objective.prepare(X, y)
    t = Trace(title=title or f"One step of gradient descent, learning rate {lr:g}")
    t.add("data", "X", f"input, {X.shape[0]} samples in rows", X)
    t.add("data", "Y", "targets", y)
    names = layer_names(m)
    for layer, entry in zip(m.layers, names):
        for pname, value in layer.params.items():
            assert entry is not None
            t.add("parameters before", f"{pname}{entry[2]}", f"{pname} of layer {entry[2]}, shape {value.shape}",
                  value)

    # each pass below starts from the same running statistics, as one step's pass does
    training = training_pass(m)
    before = m.state.copy()
    ws = m.workspace(training=training)
    last = len(m.layers) - (1 if objective.fused else 0)
    a = X
    for i, (layer, entry) in enumerate(zip(m.layers, names)):
        a = layer.forward(a, ws.contexts[i])
        if entry is None:
            continue
        forward = formulas(layer, entry[2], entry[1], training)[0]
        t.add("forward", entry[0], forward + ("   (fused with the cost below)" if i >= last else ""), a)

    # a softmax or sigmoid fused with its loss, or logits into a loss that takes them: the gradient of Z
    cost_formula, grad_formula = loss_formulas(objective.loss, objective.output_is_logits)
    after = m.state.copy()
    m.state[...] = before
    cost = objective(X, y, training=training)
    data_cost = cost - (l2_penalty(m.params[: m.n_decayed], l2) if l2 else 0.0)
    t.add("cost", "C", cost_formula, data_cost)
    if l2:
        t.add("cost", "L2", f"{l2:g} / 2 * sum of all W**2", cost - data_cost)
        t.add("cost", "J", "J = C + L2", cost)

    # backward, replayed layer by layer from the loss's gradient to show each value
    stop = objective.stop if objective.stop is not None else len(m.layers)
    top = next(e for e in reversed(names[:stop]) if e is not None)
    m.state[...] = before
    grad = objective.cost_and_grad(m.forward(X, training, stop=objective.stop).copy(), y)[1]
    symbol = "dZ" if objective.output_is_logits else "dA"
    t.add("backward", f"d{top[0]}", grad_formula.replace(symbol, f"d{top[0]}"), grad)
    for i in range(stop - 1, -1, -1):
        layer, entry = m.layers[i], names[i]
        grad = layer.backward(grad, ws.contexts[i], need_input_grad=i > 0)
        if entry is None:
            continue
        _, backward, param_rules = formulas(layer, entry[2], entry[1], training)
        for pname, rule in param_rules.items():
            g = layer.grads[pname].copy()
            if l2 and pname in layer.decayed:
                g += l2 * layer.params[pname]
                rule += f" + {l2:g} * {pname}{entry[2]}"
            t.add("backward", f"d{pname}{entry[2]}", rule, g)
        if i > 0:
            t.add("backward", f"d{entry[1]}", backward, grad)

    m.state[...] = before
    objective(X, y, training=training)  # gradients of the whole model, L2 included
    m.state[...] = after
    m.params -= lr * m.grads
    for layer, entry in zip(m.layers, names):
        for pname, value in layer.params.items():
            assert entry is not None
            t.add("update", f"{pname}{entry[2]}'", f"{pname}{entry[2]} - {lr:g} * d{pname}{entry[2]}", value)
    m.state[...] = after
    updated = objective.value(X, y, training=training)  # the pass of C, batch norm on the batch's statistics
    m.state[...] = after
    penalty = l2_penalty(m.params[: m.n_decayed], l2) if l2 else 0.0
    t.add("after the step", "C'", "the cost with the updated parameters", updated - penalty)
    if l2:  # C' alone compares with C: the step lowers J, which C' may not
        t.add("after the step", "J'", "J' = C' + L2 with the updated weights", updated)
    return t


def example(name: str):
    """A worked example of the tutorials.

    Parameters
    ----------
    name : "or", "xor" or "341"

    Returns
    -------
    (model, X, y, loss, title)
    """
    if name == "or":
        dense = Dense(2, 1, dtype=np.float64)
        model = Stack([dense, Sigmoid()])
        dense.W = [[0.1], [0.6]]
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
        return model, X, np.array([0, 1, 1, 1.0]), SquaredError(), "OR gate, w = (0.1, 0.6), b = 0"
    if name == "xor":
        model = mlp([2, 3, 1], activation="sigmoid", output="sigmoid", rng=0, dtype=np.float64)
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
        return model, X, np.array([0, 1, 1, 0.0]), SquaredError(), "XOR, one hidden layer of 3 sigmoid units"
    if name == "341":
        rs = np.random.RandomState(1)
        model = Stack([Dense(3, 4, bias=False, dtype=np.float64), Sigmoid(),
                            Dense(4, 1, bias=False, dtype=np.float64), Sigmoid()])
        model.set_weights([rs.random_sample((3, 4)), rs.random_sample((4, 1))])
        X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
        return model, X, np.array([0, 1, 1, 0.0]), SquaredError("sum"), "3-4-1 network, np.random.seed(1)"
    raise OptionError(f"example must be 'or', 'xor' or '341'; received {short(name)}")


def trace_example(name: str, *, markdown: bool = False, lr: float = 1.0, l2: float = 0.0) -> str:
    """The trace of one of the tutorials' worked examples, as text.

    Parameters
    ----------
    name : "or", "xor" or "341"
    markdown : bool
    lr, l2 : float

    Returns
    -------
    str
    """
    model, X, y, loss, title = example(name)
    t = trace(model, X, y, loss, lr=lr, l2=l2, title=f"{title}: one step, learning rate {lr:g}")
    return t.to_markdown() if markdown else str(t)
