"""The computational graph of one forward and backward pass, every node with its value and its gradient.

The chain rule runs backwards through a graph of small operations: the product
with the weights, the bias add, each activation, the cost. :func:`draw_graph`
builds that graph for a model on a few samples: each node holds its value and
the gradient of the cost with respect to it, each edge the shape of the array
it carries. A cost with an L2 term branches: the weights feed both the
products and the penalty, and their gradient is the sum of both paths.

The graph shows itself in Jupyter (``_repr_svg_``) and saves as SVG or PNG
(:meth:`Graph.save`); :mod:`glassnet.tools.graph_layout` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core._svg import MatplotlibCanvas, SvgCanvas
from ..core._validation import as_path, check_writable, short
from ..core.arrays import is_sparse, to_numpy
from ..core.rows import LazyRows
from ..errors import OptionError
from ..io.atomic import write_atomically
from ..losses.costs import Loss, get_loss
from ..losses.objective import Objective
from ..nn import Dense, Stack
from ..nn.stack import check_model
from ..ops.functional import l2_penalty
from .graph_layout import draw, layout
from .trace_rules import formulas, layer_names, layer_outputs, loss_formulas, training_pass


@dataclass
class Node:
    """One operation of the graph, or one of its inputs.

    Attributes
    ----------
    key : str
        Its name: ``X``, ``W1``, ``M1`` (the matrix product), ``Z1``, ``A1``, ``C``, ...
    title : str
        The rule that made it (``Z1 = P1 + b1``), or what it is.
    kind : str
        "input", "param", "op", "target", "loss" or "penalty".
    value : float or ndarray
    grad : float, ndarray or None
        The gradient of the cost (with its L2 term) with respect to this value;
        None for the targets.
    inputs : list of str
        The keys of the nodes it is computed from.
    """

    key: str
    title: str
    kind: str
    value: Any
    grad: Any
    inputs: list[str] = field(default_factory=list)


@dataclass
class Graph:
    """The nodes of one forward and backward pass, in the order they are computed.

    Attributes
    ----------
    nodes : list of Node
    title : str
    """

    nodes: list[Node]
    title: str = ""

    def __getitem__(self, key: str) -> Node:
        """The node called ``key``."""
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)

    def edges(self) -> list[tuple[str, str]]:
        """Every (from, to) pair of keys.

        Returns
        -------
        list of (str, str)
        """
        return [(source, node.key) for node in self.nodes for source in node.inputs]

    def to_svg(self) -> str:
        """The graph drawn as an SVG document, left to right.

        Returns
        -------
        str
        """
        boxes, size = layout(self)
        canvas = SvgCanvas(*size)
        draw(self, boxes, canvas)
        return canvas.render()

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def to_png(self, scale: float = 2.0) -> bytes:
        """The graph drawn with matplotlib, as PNG bytes.

        Parameters
        ----------
        scale : float
            Pixels of the picture per pixel of the SVG.

        Returns
        -------
        bytes
        """
        boxes, size = layout(self)
        canvas = MatplotlibCanvas(*size, scale=scale)
        draw(self, boxes, canvas)
        return canvas.png()

    def save(self, path: str | Path) -> Path:
        """Write the graph to ``path``: SVG for ``.svg``, PNG for ``.png``; atomically.

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Path
        """
        path = as_path(path)
        suffix = path.suffix.lower()
        if suffix not in (".svg", ".png"):
            raise OptionError(f"path must end in .svg or .png; received {short(str(path))}, which ends in "
                              f"{short(path.suffix) if path.suffix else 'no suffix'}")
        check_writable(path)  # a missing folder or a device is an OptionError here, as for the other pictures
        data = self.to_svg().encode() if suffix == ".svg" else self.to_png()
        write_atomically(path, lambda f: f.write(data), name="path")
        return path

    def __repr__(self) -> str:
        return f"Graph({len(self.nodes)} nodes: {', '.join(n.key for n in self.nodes)})"

    def __str__(self) -> str:
        lines = [self.title] if self.title else []
        for node in self.nodes:
            came = f"  <- {', '.join(node.inputs)}" if node.inputs else ""
            lines.append(f"{node.key:<4} {node.title}{came}")
        return "\n".join(lines)


def _copy(value: Any) -> Any:
    return None if value is None else np.array(to_numpy(value), dtype=np.float64, copy=True)


def draw_graph(model: Stack, X: Any, y: Any, loss: str | Loss = "mse", *, l2: float = 0.0,
               title: str | None = None) -> Graph:
    """The computational graph of one forward and backward pass of ``model`` on ``X``.

    Parameters
    ----------
    model : Stack
        Not changed: the values are computed in float64 on a copy, dropout off.
    X : array_like, shape (n_samples, *input_shape)
    y : array_like
        Targets for ``loss``.
    loss : str or Loss
    l2 : float
        The L2 strength; with one, the graph branches into the penalty and the total cost ``J``.
    title : str, optional

    Returns
    -------
    Graph
        Its nodes' values are :func:`glassnet.trace`'s and their gradients the
        ones a step would take (a softmax or sigmoid that training fuses with
        its cost is shown unfused, with the gradient of its own output).
    """
    check_model(model)
    m = model.copy(dtype=np.float64).to("cpu")  # on the host, where every value is read
    objective = Objective(m, get_loss(loss), l2)
    X, y = objective.prepare(X if is_sparse(X) else to_numpy(X), to_numpy(y))
    if isinstance(X, LazyRows):  # a memmap or a file's rows: read them
        X = X.take(np.arange(X.shape[0]))
    ws, outs = layer_outputs(m, X)
    training = training_pass(m)
    grads: list[Any] = [None] * len(outs)
    last = len(m.layers)
    cost_loss = objective.loss
    if objective.fused:  # the model ends in the loss's activation: the cost and dZ exactly as training has them,
        cost, dz = objective.loss.fused_value_and_grad(outs[-2], y)  # from the logits
        cost_loss = type(cost_loss)(**{**cost_loss.config(), "from_logits": False})
        with np.errstate(all="ignore"):  # and the probabilities' own gradient, shown (it is clipped where p ~ 0)
            grads[-1] = _copy(cost_loss.value_and_grad(outs[-1], y)[1])
        grads[-2], last = _copy(dz), last - 1
    else:
        cost, top = cost_loss.value_and_grad(outs[-1], y)
        grads[-1] = _copy(top)
    param_grads: dict[tuple[int, str], Any] = {}
    for i in range(last - 1, -1, -1):
        layer = m.layers[i]
        grads[i] = _copy(layer.backward(grads[i + 1], ws.contexts[i], need_input_grad=True))
        for name in layer.params:
            g = _copy(layer.grads[name])
            param_grads[i, name] = g + l2 * layer.params[name] if l2 and name in layer.decayed else g

    nodes = [Node("X", f"X: input, {X.shape[0]} samples in rows", "input", _copy(X), grads[0])]
    prev, decayed = "X", []
    for i, (layer, entry) in enumerate(zip(m.layers, layer_names(m))):
        if entry is None:  # a layer the trace leaves out (dropout, the identity outside training)
            continue
        name, _, k = entry
        params = [Node(f"{p}{k}", f"{p}{k}: {p} of layer {k}, shape {v.shape}", "param", _copy(v),
                       param_grads[i, p]) for p, v in layer.params.items()]
        decayed += [f"{p}{k}" for p in layer.params if p in layer.decayed]
        if isinstance(layer, Dense) and outs[i].ndim == 2:
            product = f"M{k}" if layer.bias else name
            nodes += [params[0], Node(product, f"{product} = {prev} @ W{k}", "op", outs[i] @ layer.params["W"],
                                      grads[i + 1], [prev, f"W{k}"])]
            if layer.bias:
                nodes += [params[1], Node(name, f"{name} = {product} + b{k}", "op", outs[i + 1], grads[i + 1],
                                          [product, f"b{k}"])]
        else:
            nodes += params
            nodes.append(Node(name, formulas(layer, k, prev, training)[0], "op", outs[i + 1], grads[i + 1],
                              [prev] + [p.key for p in params]))
        prev = name
    nodes.append(Node("Y", "Y: targets", "target", _copy(y), None))
    formula = loss_formulas(cost_loss, False)[0]
    if objective.fused:  # the cost of the probabilities the last layer gave
        formula = formula.replace("log(softmax(Z))", f"log({prev})")
    nodes.append(Node("C", formula, "loss", float(cost), 1.0, [prev, "Y"]))
    if l2:
        penalty = float(l2_penalty(m.params[: m.n_decayed], l2))
        nodes.append(Node("L2", f"L2 = {l2:g} / 2 * sum of all W**2", "penalty", penalty, 1.0, decayed))
        nodes.append(Node("J", "J = C + L2", "loss", float(cost) + penalty, 1.0, ["C", "L2"]))
    return Graph(nodes, title or f"{len(m.layers)} layers on {X.shape[0]} samples: one forward and backward pass")


__all__ = ["Graph", "Node", "draw_graph"]
