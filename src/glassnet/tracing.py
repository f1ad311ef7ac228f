"""One training iteration of a small network, every intermediate value beside its formula.

This is the hand calculation of the tutorials done by the machine: the
forward pass (Z and A of each layer), the cost and its L2 term, the backward
pass (dA, dZ, dW, db), and the gradient-descent update with the weights
before and after. Samples are rows, so the tutorials' ``W X`` is glassnet's
``A @ W`` and their ``dZ X.T`` is ``A.T @ dZ``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .functional import l2_penalty
from .losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, SquaredError, get_loss
from .nn import Dense, Dropout, Identity, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh
from .objective import Objective

FORWARD = {
    Sigmoid: "A{k} = sigmoid(Z{k}) = 1 / (1 + exp(-Z{k}))",
    Tanh: "A{k} = tanh(Z{k})",
    ReLU: "A{k} = max(Z{k}, 0)",
    LeakyReLU: "A{k} = Z{k} where Z{k} > 0, else alpha * Z{k}",
    Softmax: "A{k} = exp(Z{k}) / row sums of exp(Z{k})",
    Identity: "A{k} = Z{k}",
}
BACKWARD = {
    Sigmoid: "dZ{k} = dA{k} * A{k} * (1 - A{k})",
    Tanh: "dZ{k} = dA{k} * (1 - A{k}**2)",
    ReLU: "dZ{k} = dA{k} * [Z{k} > 0]",
    LeakyReLU: "dZ{k} = dA{k} * (1 where Z{k} > 0, else alpha)",
    Softmax: "dZ{k} = A{k} * (dA{k} - row sums of dA{k} * A{k})",
    Identity: "dZ{k} = dA{k}",
}


@dataclass
class Step:
    name: str
    formula: str
    value: np.ndarray | float
    section: str


@dataclass
class Trace:
    """The ordered steps of one iteration; ``str()`` for a terminal, :meth:`to_markdown` for docs."""

    steps: list[Step] = field(default_factory=list)
    title: str = "One training iteration"
    decimals: int = 4

    def add(self, section: str, name: str, formula: str, value) -> None:
        v = value if np.isscalar(value) else np.array(value, dtype=np.float64, copy=True)
        self.steps.append(Step(name, formula, v, section))

    def __getitem__(self, name: str):
        for step in self.steps:
            if step.name == name:
                return step.value
        raise KeyError(name)

    def _fmt(self, value) -> str:
        if np.isscalar(value):
            return f"{value:.{self.decimals + 2}g}"
        with np.printoptions(precision=self.decimals, suppress=True, floatmode="fixed", linewidth=100):
            return np.array2string(np.asarray(value))

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

    def to_markdown(self) -> str:
        lines, section = [f"# {self.title}"], None
        for s in self.steps:
            if s.section != section:
                section = s.section
                lines += ["", f"## {section}", ""]
            lines += [f"**{s.name}** &nbsp; `{s.formula}`", "", "```", self._fmt(s.value), "```", ""]
        return "\n".join(lines)


def _loss_formula(loss: Loss, fused: bool) -> tuple[str, str]:
    if isinstance(loss, SquaredError):
        mean = loss.reduction == "mean"
        return ("C = 1/2 * sum((A - Y)**2)" + (" / n" if mean else ""),
                "dA = (A - Y)" + (" / n" if mean else ""))
    if isinstance(loss, SoftmaxCrossEntropy):
        return ("C = -sum(Y * log(softmax(Z))) / n", "dZ = (softmax(Z) - Y) / n" if fused else
                "dA = -Y / A / n")
    if isinstance(loss, BinaryCrossEntropy):
        return ("C = -sum(Y log A + (1 - Y) log(1 - A)) / n",
                "dZ = (sigmoid(Z) - Y) / n" if fused else "dA = (A - Y) / (A (1 - A)) / n")
    return (f"C = {type(loss).__name__}(A, Y)", "dA = dC/dA")


def _dense_layers(model: Sequential):
    """(k, layer) for the Dense layers, numbered from 1 as the tutorials number W1, W2, ..."""
    return enumerate((layer for layer in model.layers if isinstance(layer, Dense)), start=1)


def trace(model: Sequential, X, y, loss: str | Loss = "mse", *, lr: float = 1.0, l2: float = 0.0,
          title: str | None = None) -> Trace:
    """Trace one full-batch gradient-descent step of ``model`` on ``(X, y)``; the model is not changed.

    Values are computed in float64 on a copy, dropout off.
    """
    m = model.copy(dtype=np.float64)
    objective = Objective(m, get_loss(loss), l2)
    X, y = objective.prepare(X, y)
    t = Trace(title=title or f"One step of gradient descent, learning rate {lr:g}")
    t.add("data", "X", f"input, {X.shape[0]} samples in rows", X)
    t.add("data", "Y", "targets", y)

    for k, layer in _dense_layers(m):
        t.add("parameters before", f"W{k}", f"weights of layer {k}, shape {layer.W.shape}", layer.W)
        if layer.bias:
            t.add("parameters before", f"b{k}", f"biases of layer {k}", layer.b)

    names, a, k = [], X, 0  # k numbers the Dense layers as the forward pass meets them
    last = len(m.layers) - (1 if objective.fused else 0)
    for i, layer in enumerate(m.layers):
        if isinstance(layer, Dense):
            k += 1
            prev = "X" if k == 1 else f"A{k - 1}"
            a = layer.forward(a).copy()
            t.add("forward", f"Z{k}", f"Z{k} = {prev} @ W{k}" + (f" + b{k}" if layer.bias else ""), a)
            names.append(("dense", k))
        elif isinstance(layer, Dropout):
            names.append(("skip", k))
        else:
            a_in = a
            a = layer.forward(a_in).copy()
            label = FORWARD.get(type(layer), f"A{{k}} = {type(layer).__name__}(Z{{k}})").format(k=k)
            if i >= last:
                label += "   (fused with the cost below)"
            t.add("forward", f"A{k}", label, a)
            names.append(("act", k))

    cost_formula, grad_formula = _loss_formula(objective.loss, objective.fused)
    cost = objective(X, y, training=False)
    data_cost = cost - (l2_penalty(m.params[: m.n_decayed], l2) if l2 else 0.0)
    t.add("cost", "C", cost_formula, data_cost)
    if l2:
        t.add("cost", "L2", f"{l2:g} / 2 * sum of all W**2", cost - data_cost)
        t.add("cost", "J", "J = C + L2", cost)

    # backward, replayed layer by layer from the loss's gradient to show each value
    grad = objective.cost_and_grad(m.forward(X, stop=objective.stop).copy(), y)[1]
    k_top = names[-1][1]
    t.add("backward", f"dZ{k_top}" if objective.fused else f"dA{k_top}",
          grad_formula.replace("dZ", f"dZ{k_top}").replace("dA", f"dA{k_top}"), grad)
    for i in range(len(m.layers[: objective.stop]) - 1, -1, -1):
        layer, (kind, k) = m.layers[i], names[i]
        if kind == "act":
            grad = layer.backward(grad).copy()
            t.add("backward", f"dZ{k}", BACKWARD.get(type(layer), "dZ = dA * f'(Z)").format(k=k), grad)
        elif kind == "dense":
            prev = "X" if k == 1 else f"A{k - 1}"
            dx = layer.backward(grad, need_input_grad=k > 1)
            gW = layer.gradients()["W"].copy()
            if l2:
                gW += l2 * layer.W
            t.add("backward", f"dW{k}", f"dW{k} = {prev}.T @ dZ{k}" + (f" + {l2:g} * W{k}" if l2 else ""), gW)
            if layer.bias:
                t.add("backward", f"db{k}", f"db{k} = sum of the rows of dZ{k}", layer.gradients()["b"])
            if k > 1:
                grad = dx.copy()
                t.add("backward", f"dA{k - 1}", f"dA{k - 1} = dZ{k} @ W{k}.T", grad)

    objective(X, y, training=False)  # gradients of the whole model, L2 included
    m.params -= lr * m.grads
    for k, layer in _dense_layers(m):
        t.add("update", f"W{k}'", f"W{k} - {lr:g} * dW{k}", layer.W)
        if layer.bias:
            t.add("update", f"b{k}'", f"b{k} - {lr:g} * db{k}", layer.b)
    t.add("after the step", "C'", "the cost with the updated parameters", objective.value(X, y))
    return t


def example(name: str):
    """(model, X, y, loss, title) for the tutorials' worked examples: "or", "xor", "341"."""
    from .nn import mlp

    if name == "or":
        model = Sequential([Dense(2, 1, dtype=np.float64), Sigmoid()])
        model.layers[0].W = [[0.1], [0.6]]
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
        return model, X, np.array([0, 1, 1, 1.0]), SquaredError(), "OR gate, w = (0.1, 0.6), b = 0"
    if name == "xor":
        model = mlp([2, 3, 1], activation="sigmoid", output="sigmoid", rng=0, dtype=np.float64)
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
        return model, X, np.array([0, 1, 1, 0.0]), SquaredError(), "XOR, one hidden layer of 3 sigmoid units"
    if name == "341":
        rs = np.random.RandomState(1)
        model = Sequential([Dense(3, 4, bias=False, dtype=np.float64), Sigmoid(),
                            Dense(4, 1, bias=False, dtype=np.float64), Sigmoid()])
        model.set_weights([rs.random_sample((3, 4)), rs.random_sample((4, 1))])
        X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
        return model, X, np.array([0, 1, 1, 0.0]), SquaredError("sum"), "3-4-1 network, np.random.seed(1)"
    raise ValueError(f"example must be 'or', 'xor' or '341'; received {name!r}")


def trace_example(name: str, *, markdown: bool = False, lr: float = 1.0, l2: float = 0.0) -> str:
    model, X, y, loss, title = example(name)
    t = trace(model, X, y, loss, lr=lr, l2=l2, title=f"{title}: one step, learning rate {lr:g}")
    return t.to_markdown() if markdown else str(t)
