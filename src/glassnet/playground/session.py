"""One playground run: its settings, its network, its steps, and what it shows of itself.

A :class:`Spec` holds every setting of a run (data, network, training) and
reads and writes itself as a URL query, so that a link names a run exactly.
A :class:`Session` builds the data and the network from a spec (float64, so
that its numbers can be checked to the last digits), and trains step by step
with glassnet's own objective and optimizers:

- each epoch draws its batch order from the model's generator, as
  :func:`glassnet.fit` does, so whole epochs equal ``fit``'s;
- :meth:`Session.frame` reports the losses, the output over a grid of the
  input plane, and each neuron's output over that grid;
- :meth:`Session.neuron` and :meth:`Session.weight` give one piece's value,
  gradient and formula with the numbers filled in;
- :meth:`Session.set_weight` edits a weight by hand (the edit is recorded);
- :func:`script` writes the Python that rebuilds the run with the public API
  and reaches the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np

from ..core._validation import WHOLE, is_number_text, short
from ..errors import OptionError
from ..losses.objective import Objective
from ..nn import Dense, Stack, get_activation
from ..optim import SGD, Adam
from ..training import evaluate
from .data import FEATURES, SETS, features, make

#: bounds that keep one session's step to a few milliseconds
MAX_LAYERS = 6
MAX_NEURONS = 16
MAX_POINTS = 2000
#: hand edits a run (and its link) may hold: each is replayed at its step
MAX_EDITS = 200
#: frames' losses a session keeps for the page's curve
MAX_HISTORY = 1000
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "identity")
OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass
class Spec:
    """Every setting of a playground run.

    Attributes
    ----------
    data : str
        A key of :data:`glassnet.playground.data.SETS`, or "csv" for uploaded points.
    classes : int
        For ``gauss`` and ``spiral``: 2 to 5.
    noise : float
        0 to 1.
    points : int
        How many points to draw (20 to :data:`MAX_POINTS`).
    train_fraction : float
        The share of points trained on (0.1 to 0.9); the rest are the test points.
    seed : int
        Seeds the points, the split, the starting weights and the batch order.
    features : tuple of str
        Keys of :data:`glassnet.playground.data.FEATURES`.
    layers : tuple of int
        Hidden layer widths (up to :data:`MAX_LAYERS` layers of up to :data:`MAX_NEURONS`).
    activations : tuple of str
        One per hidden layer, from :data:`ACTIVATIONS`.
    optimizer : str
        "sgd", "momentum" (SGD with momentum 0.9) or "adam".
    lr : float
        Learning rate, above 0 and at most 10.
    batch_size : int
        Points per step, at least 1.
    l2 : float
        L2 strength, 0 to 1.
    l1 : float
        L1 strength, 0 to 1.
    edits : tuple of (step, layer, i, j, value)
        Weights set by hand, and the step after which each was set.
    """

    data: str = "spiral"
    classes: int = 2
    noise: float = 0.0
    points: int = 400
    train_fraction: float = 0.5
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (8, 8)
    activations: tuple[str, ...] = ("tanh", "tanh")
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int = 10
    l2: float = 0.0
    l1: float = 0.0
    edits: tuple[tuple[int, int, int, int, float], ...] = field(default=())

    def __post_init__(self) -> None:
        self.check()

    @property
    def task(self) -> str:
        return "regression" if self.data in ("plane", "bumps") else "classification"

    def check(self) -> None:
        """Refuse any setting out of its bounds, naming it.

        Raises
        ------
        OptionError
        """
        if self.data not in SETS and self.data != "csv":
            raise OptionError(f"data must be one of {', '.join(SETS)}; received {short(self.data)}")
        allowed = SETS.get(self.data, ("classification", (2, 3, 4, 5)))[1]
        if self.task == "classification" and self.classes not in allowed:
            raise OptionError(f"classes must be one of {list(allowed)} for {self.data}; received {self.classes}")
        _within("noise", self.noise, 0, 1)
        _within("points", self.points, 20, MAX_POINTS, whole=True)
        _within("train_fraction", self.train_fraction, 0.1, 0.9)
        _within("seed", self.seed, 0, 2**31 - 1, whole=True)
        if not self.features or len(set(self.features)) != len(self.features) or \
                any(f not in FEATURES for f in self.features):
            raise OptionError(f"features must be distinct names from {', '.join(FEATURES)}; "
                              f"received {list(self.features)}")
        if len(self.layers) > MAX_LAYERS:
            raise OptionError(f"the network may have at most {MAX_LAYERS} hidden layers; received {len(self.layers)}")
        for i, width in enumerate(self.layers):
            _within(f"layers[{i}]", width, 1, MAX_NEURONS, whole=True)
        if len(self.activations) != len(self.layers) or any(a not in ACTIVATIONS for a in self.activations):
            raise OptionError(f"activations must name one of {', '.join(ACTIVATIONS)} for each of the "
                              f"{len(self.layers)} hidden layers; received {list(self.activations)}")
        if self.optimizer not in OPTIMIZERS:
            raise OptionError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; received {short(self.optimizer)}")
        if not 0 < self.lr <= 10:
            raise OptionError(f"lr must be above 0 and at most 10; received {self.lr:g}")
        _within("batch_size", self.batch_size, 1, MAX_POINTS, whole=True)
        _within("l2", self.l2, 0, 1)
        _within("l1", self.l1, 0, 1)
        if len(self.edits) > MAX_EDITS:
            raise OptionError(f"a run may hold at most {MAX_EDITS} hand edits; received {len(self.edits):,}")

    # -- the URL ---------------------------------------------------------------------------------
    def to_query(self) -> str:
        """The spec as a URL query string (``data=spiral&layers=8,8&...``).

        Returns
        -------
        str
        """
        items = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "edits":
                value = ";".join(",".join(repr(v) for v in e) for e in value)
            elif isinstance(value, tuple):
                value = ",".join(map(str, value))
            items[f.name] = repr(value) if isinstance(value, float) else str(value)
        return urlencode(items)

    @classmethod
    def from_query(cls, query: str) -> Spec:
        """Read a spec from a URL query; settings left out keep their defaults.

        Parameters
        ----------
        query : str

        Returns
        -------
        Spec

        Raises
        ------
        OptionError
            An unknown setting, or a value that is not of its kind or out of its bounds.
        """
        kinds = {f.name: f.type for f in fields(cls)}
        given: dict[str, Any] = {}
        for name, text in parse_qsl(query.lstrip("?"), keep_blank_values=True):
            if name not in kinds:
                raise OptionError(f"unknown setting {short(name)}; the settings are {', '.join(kinds)}")
            try:
                given[name] = _parse(name, text)
            except ValueError:
                raise OptionError(f"{name} could not be read from {short(text)}") from None
        return cls(**given)


def _parse(name: str, text: str) -> Any:
    if name in ("data", "optimizer"):
        return text
    if name in ("classes", "points", "seed", "batch_size"):
        return _whole(text)
    if name in ("noise", "train_fraction", "lr", "l2", "l1"):
        return _real(text)
    if name == "edits":
        return tuple(_edit(e) for e in text.split(";") if e)
    parts = tuple(p for p in text.split(",") if p)
    return tuple(_whole(p) for p in parts) if name == "layers" else parts


def _whole(text: str) -> int:
    """A whole number in ASCII digits: not "1.5", "1_0" or full-width digits, which ``int`` would take."""
    if not WHOLE.fullmatch(text.strip()):
        raise ValueError(text)
    return int(text)


def _real(text: str) -> float:
    if not is_number_text(text):
        raise ValueError(text)
    return float(text)


def _edit(text: str) -> tuple[int, int, int, int, float]:
    step, layer, i, j, value = text.split(",")
    return _whole(step), _whole(layer), _whole(i), _whole(j), _real(value)


def _within(name: str, value: Any, low: float, high: float, whole: bool = False) -> None:
    if whole and (not isinstance(value, (int, np.integer)) or isinstance(value, bool)):
        raise OptionError(f"{name} must be a whole number; received {short(value)}")
    if not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value) or \
            not low <= value <= high:
        raise OptionError(f"{name} must be from {low:g} to {high:g}; received {short(value)}")


class Session:
    """A playground run: data, network, optimizer, and where training stands.

    Parameters
    ----------
    spec : Spec
    points : (X, y), optional
        Uploaded points (``spec.data == "csv"``), as :func:`glassnet.playground.data.read_csv` returns them.

    Attributes
    ----------
    model : Stack
        float64.
    step, epoch : int
        Optimizer steps taken, and whole epochs.
    """

    def __init__(self, spec: Spec, points: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.spec = spec
        if spec.data == "csv":
            if points is None:
                raise OptionError("data='csv' needs the uploaded points")
            X, y = points
        else:
            X, y = make(spec.data, spec.points, spec.noise, spec.seed, spec.classes)
        self.points, self.labels = X, y
        order = np.random.default_rng(spec.seed + 1).permutation(X.shape[0])
        n_train = max(1, min(X.shape[0] - 1, int(round(spec.train_fraction * X.shape[0]))))
        self.train_rows, self.test_rows = np.sort(order[:n_train]), np.sort(order[n_train:])
        inputs = features(X, list(spec.features))
        self.X_train, self.X_test = inputs[self.train_rows], inputs[self.test_rows]
        self.model, loss = build(spec, int(y.max()) + 1 if spec.task == "classification" else 1)
        self.objective = Objective(self.model, loss, spec.l2, spec.l1)
        self.y_train, self.y_test = (self.objective.prepare(self.X_train, y[self.train_rows])[1],
                                     self.objective.prepare(self.X_test, y[self.test_rows])[1])
        self.optimizer = make_optimizer(spec).bind(self.model)
        self.step = self.epoch = 0
        self._position = 0
        self._order = np.arange(self.X_train.shape[0])
        self.last_cost: float | None = None
        #: the training rows of the last step's batch (the gradients in the model are theirs)
        self.last_rows = np.arange(0)
        #: the losses of the frames shown so far, for the page's curves
        self.history: list[dict] = []
        #: set when a step's cost was not finite; training then stops where it was
        self.diverged = False
        #: the uploaded CSV's text (``data="csv"``), kept for the run file that reopens the run
        self.csv: str | None = None
        self.edits: list[tuple[int, int, int, int, float]] = []
        for step, layer, i, j, value in spec.edits:  # every edit checked now; those at step 0 come before training
            W = self._dense(layer).W
            if step < 0 or not 0 <= i < W.shape[0] or not 0 <= j < W.shape[1] or not math.isfinite(value) \
                    or abs(value) > 100:
                raise OptionError(f"edits: ({step}, {layer}, {i}, {j}, {value}) is not a step from 0 and a weight "
                                  f"of layer {layer} ({W.shape[0]} x {W.shape[1]}) set to at most 100 in size")
        for edit in spec.edits:
            if edit[0] == 0:
                self.set_weight(*edit[1:])

    # -- training ----------------------------------------------------------------------------------
    def train(self, steps: int = 1) -> None:
        """Take ``steps`` optimizer steps, each on the next batch of the epoch's order.

        A step whose cost is NaN or infinite is not taken: :attr:`diverged` is
        set and training stops there.

        Parameters
        ----------
        steps : int
        """
        if self.diverged:
            return
        n = self.X_train.shape[0]
        bs = min(self.spec.batch_size, n)
        pending: dict[int, list] = {}
        for edit in self.spec.edits:
            if edit[0] > self.step:
                pending.setdefault(edit[0], []).append(edit)
        for _ in range(steps):
            if self._position == 0 and bs < n:  # a new epoch: a new order, drawn as fit draws it
                self._order = self.model.rng.permutation(n)
            rows = self._order[self._position:self._position + bs]
            self.last_rows = rows
            with np.errstate(over="ignore", invalid="ignore"):
                self.last_cost = self.objective(self.X_train[rows], self.y_train[rows], training=True)
            if not math.isfinite(self.last_cost):  # diverged: the weights stay those of the last finite cost
                self.diverged = True
                self.model.grads[...] = 0  # no step was taken with them
                return
            self.optimizer.step()
            self.step += 1
            self._position += rows.size
            if self._position >= n:
                self._position, self.epoch = 0, self.epoch + 1
            for edit in pending.get(self.step, []):
                self.set_weight(*edit[1:])

    def release(self) -> None:
        """Drop the training pass's buffers (sized by the batch); the next step makes them again.

        A session waits between requests far longer than it trains: between
        them it holds only its points, weights and history.
        """
        self.objective.release()

    def resident_bytes(self) -> int:
        """About how many bytes the session holds between requests: points, weights, optimizer, history.

        Returns
        -------
        int
        """
        arrays = [self.points, self.labels, self.X_train, self.X_test, self.y_train, self.y_test,
                  self.model.params, self.model.grads, self.model.state, *self.optimizer.state.values()]
        return int(sum(a.nbytes for a in arrays) + 400 * len(self.history) + 100 * len(self.edits) + 20_000)

    def train_epoch(self) -> None:
        """Steps to the end of the current epoch."""
        n, bs = self.X_train.shape[0], min(self.spec.batch_size, self.X_train.shape[0])
        self.train(math.ceil((n - self._position) / bs))

    # -- editing -------------------------------------------------------------------------------------
    def set_weight(self, layer: int, i: int, j: int, value: float) -> None:
        """Set the weight from input ``i`` to neuron ``j`` of Dense layer ``layer`` (counted from 0).

        Parameters
        ----------
        layer, i, j : int
        value : float
            Finite, at most 100 in size.
        """
        W = self._dense(layer).W
        if not 0 <= i < W.shape[0] or not 0 <= j < W.shape[1]:
            raise OptionError(f"layer {layer} has weights {W.shape[0]} x {W.shape[1]}; received ({i}, {j})")
        if not math.isfinite(value) or abs(value) > 100:
            raise OptionError(f"a weight must be a finite number from -100 to 100; received {short(value)}")
        if len(self.edits) >= MAX_EDITS:
            raise OptionError(f"a run may hold at most {MAX_EDITS} hand edits; apply and reset to start a new one")
        W[i, j] = value
        self.edits.append((self.step, layer, i, j, float(value)))

    # -- what the page shows ---------------------------------------------------------------------------
    def losses(self) -> dict[str, float]:
        """Training and test cost (regularization included) and, for classification, accuracy.

        One forward pass per part, through the training loop's own :func:`~glassnet.training.evaluate`.

        Returns
        -------
        dict
        """
        result = {}
        for part, X, y in (("train", self.X_train, self.y_train), ("test", self.X_test, self.y_test)):
            result.update({f"{part}_{k}": v for k, v in evaluate(self.model, X, y, self.objective).items()})
        return result

    def frame(self, grid: int = 32) -> dict:
        """Where training stands, with the output and every neuron's output over a grid of the plane.

        Parameters
        ----------
        grid : int
            Cells per side over [-1, 1]^2.

        Returns
        -------
        dict
            ``step``, ``epoch``, the :meth:`losses`, ``output`` (grid x grid: the probability of
            class 1, the most likely class, or the regression value), ``neurons`` (per hidden layer,
            per neuron, grid x grid activations), ``weights`` and ``biases`` per Dense layer.
        """
        axis = np.linspace(-1, 1, grid)
        x1, x2 = np.meshgrid(axis, axis)
        x = features(np.column_stack([x1.ravel(), x2.ravel()]), list(self.spec.features))
        # one pass through a workspace of its own, dropped after: every hidden activation on the way
        ws = self.model.workspace()
        neurons = []
        for layer, ctx in zip(self.model.layers, ws.contexts):
            x = layer.forward(x, ctx)
            if layer is not self.model.layers[-1] and not isinstance(layer, Dense):
                neurons.append(x.T.reshape(-1, grid, grid).copy())
        out = x
        if self.spec.task == "regression" or out.shape[1] == 1:
            output = out[:, 0].reshape(grid, grid)
        else:
            output = out.argmax(axis=1).reshape(grid, grid)
        return {"step": self.step, "epoch": self.epoch, **self.losses(), "output": output, "neurons": neurons,
                "weights": [d.W.copy() for d in self._denses()],
                "biases": [d.b.copy() for d in self._denses()]}

    def neuron(self, layer: int, j: int, point: int = 0) -> dict:
        """Neuron ``j`` of hidden layer ``layer`` on training point ``point``: its numbers and formula.

        Parameters
        ----------
        layer : int
            Hidden layer, from 0.
        j : int
            Neuron, from 0.
        point : int
            Which training point to fill the formula in with.

        Returns
        -------
        dict
            ``inputs`` (the layer's input for that point), ``weights`` (column j), ``bias``, ``z``,
            ``a`` (the activation's output), ``bias_grad`` (from the last step), and ``formula``:
            the sum and the activation, written out with these numbers.
        """
        dense = self._dense(layer)
        if layer >= len(self.spec.layers) or not 0 <= j < dense.W.shape[1]:
            raise OptionError(f"hidden layer {layer} has no neuron {j}")
        if not 0 <= point < self.X_train.shape[0]:
            raise OptionError(f"point must be from 0 to {self.X_train.shape[0] - 1}; received {point}")
        k = self.model.layers.index(dense)
        x = self.X_train[point:point + 1]
        inputs = self.model.forward(x, stop=k)[0] if k else x[0]
        z = float(inputs @ dense.W[:, j] + dense.b[j])
        a = float(self.model.forward(x, stop=k + 2)[0, j])
        act = self.spec.activations[layer]
        terms = " + ".join(f"({w:.4g})({v:.4g})" for w, v in zip(dense.W[:, j], inputs))
        bias = float(dense.b[j])
        formula = f"z = {terms} + ({bias:.4g}) = {z:.6g};  a = {act}(z) = {a:.6g}"
        return {"layer": layer, "neuron": j, "inputs": inputs.tolist(), "weights": dense.W[:, j].tolist(),
                "bias": bias, "z": z, "a": a, "bias_grad": float(dense.grads["b"][j]), "formula": formula}

    def weight(self, layer: int, i: int, j: int) -> dict:
        """The weight from input ``i`` to neuron ``j`` of Dense layer ``layer``: value, last gradient, next step.

        Parameters
        ----------
        layer, i, j : int

        Returns
        -------
        dict
            ``value``, ``grad`` (dJ/dw of the last step's batch, regularization
            included), ``step`` (what the chosen optimizer adds to the weight
            with that gradient, from its own state: its running averages for
            Adam, its velocity for momentum) and ``formula``: that step written
            out with its numbers.
        """
        dense = self._dense(layer)
        if not 0 <= i < dense.W.shape[0] or not 0 <= j < dense.W.shape[1]:
            raise OptionError(f"layer {layer} has weights {dense.W.shape[0]} x {dense.W.shape[1]}; "
                              f"received ({i}, {j})")
        index = self._flat_index(dense, i, j)
        w, g = float(dense.W[i, j]), float(dense.grads["W"][i, j])
        step = float(self.optimizer.preview()[index])
        return {"layer": layer, "i": i, "j": j, "value": w, "grad": g, "step": step,
                "formula": step_formula(self.optimizer, self.spec.optimizer, index, w, g, step)}

    def _flat_index(self, dense: Dense, i: int, j: int) -> int:
        """Where ``dense.W[i, j]`` lies in the model's flat parameter vector."""
        k = self.model.layers.index(dense)
        span = next(s for _, layer, name, s in self.model.named_parameters() if layer == k and name == "W")
        return span.start + i * dense.W.shape[1] + j

    def _denses(self) -> list[Dense]:
        return [layer for layer in self.model.layers if isinstance(layer, Dense)]

    def _dense(self, index: int) -> Dense:
        denses = self._denses()
        if not 0 <= index < len(denses):
            raise OptionError(f"layer must be from 0 to {len(denses) - 1}; received {index}")
        return denses[index]


def build(spec: Spec, n_out: int) -> tuple[Stack, str]:
    """The network of ``spec`` (float64, weights drawn from ``spec.seed``) and the loss that fits its task.

    Parameters
    ----------
    spec : Spec
    n_out : int
        Classes, or 1 for regression.

    Returns
    -------
    (Stack, str)
        The model, and "bce" (two classes: one sigmoid output), "cross_entropy"
        (several: softmax) or "mse" (regression: a linear output).
    """
    rng = np.random.default_rng(spec.seed)
    widths = [len(spec.features), *spec.layers]
    layers = []
    for n_in, width, act in zip(widths[:-1], widths[1:], spec.activations):
        layers += [Dense(n_in, width, rng=rng, dtype=np.float64), get_activation(act)]
    if spec.task == "regression":
        return Stack([*layers, Dense(widths[-1], 1, rng=rng, dtype=np.float64)], rng=spec.seed), "mse"
    if n_out == 2:
        return Stack([*layers, Dense(widths[-1], 1, rng=rng, dtype=np.float64), get_activation("sigmoid")],
                          rng=spec.seed), "bce"
    return Stack([*layers, Dense(widths[-1], n_out, rng=rng, dtype=np.float64), get_activation("softmax")],
                      rng=spec.seed), "cross_entropy"


def make_optimizer(spec: Spec) -> SGD | Adam:
    """The optimizer ``spec`` names, at its learning rate.

    Parameters
    ----------
    spec : Spec

    Returns
    -------
    Optimizer
    """
    if spec.optimizer == "adam":
        return Adam(lr=spec.lr)
    return SGD(lr=spec.lr, momentum=0.9 if spec.optimizer == "momentum" else 0.0)


def step_formula(optimizer: Any, kind: str, index: int, w: float, g: float, step: float) -> str:
    """The next step of parameter ``index`` written out with its numbers, as the optimizer will take it.

    Parameters
    ----------
    optimizer : SGD or Adam
        Bound, with its state.
    kind : "sgd", "momentum" or "adam"
    index : int
        The parameter's place in the flat vector.
    w, g : float
        Its value and gradient.
    step : float
        What :meth:`~glassnet.optim.Optimizer.preview` says the step adds.

    Returns
    -------
    str
    """
    lr, after = optimizer.lr, w + step
    if kind == "adam":
        t = optimizer.t + 1
        b1, b2, eps = optimizer.beta1, optimizer.beta2, optimizer.eps
        m_before, v_before = (float(a[index]) for a in optimizer.moments())
        m = b1 * m_before + (1 - b1) * g
        v = b2 * v_before + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return (f"Adam, step {t}: m = {b1:g} m + {1 - b1:.3g} dJ/dw = {m:.6g}; v = {b2:g} v + {1 - b2:.3g} "
                f"(dJ/dw)^2 = {v:.6g}; w - lr m_hat / (sqrt(v_hat) + eps) = {w:.6g} - {lr:g} x {m_hat:.6g} / "
                f"(sqrt({v_hat:.6g}) + {eps:g}) = {after:.6g}")
    if kind == "momentum":
        mu = optimizer.momentum
        velocity = mu * float(optimizer.state["velocity"][index]) + g
        return (f"momentum: v = {mu:g} v + dJ/dw = {velocity:.6g}; w - lr v = {w:.6g} - {lr:g} x "
                f"({velocity:.6g}) = {after:.6g}")
    return f"SGD: w - lr dJ/dw = {w:.6g} - {lr:g} x ({g:.6g}) = {after:.6g}"


def script(spec: Spec, steps: int) -> str:
    """Python that rebuilds the run of ``spec`` with glassnet's public API, trains ``steps`` steps and prints
    the numbers the playground shows.

    Parameters
    ----------
    spec : Spec
        Not for uploaded points (``data="csv"``).
    steps : int

    Returns
    -------
    str
    """
    if spec.data == "csv":
        raise OptionError("a run on uploaded points cannot be written as a script without the points")
    return SCRIPT.format(query=spec.to_query(), steps=int(steps))


SCRIPT = '''"""A glassnet playground run, rebuilt with the Python API.

Settings: {query}
"""
import numpy as np

import glassnet as gn
from glassnet.playground import Spec, build, make_optimizer
from glassnet.playground.data import features, make

spec = Spec.from_query("{query}")
steps = {steps}

# the points, and the split into training and test points
X, y = make(spec.data, spec.points, spec.noise, spec.seed, spec.classes)
order = np.random.default_rng(spec.seed + 1).permutation(len(X))
n_train = max(1, min(len(X) - 1, int(round(spec.train_fraction * len(X)))))
train, test = np.sort(order[:n_train]), np.sort(order[n_train:])
inputs = features(X, list(spec.features))

# the network, its cost and its optimizer
model, loss = build(spec, int(y.max()) + 1 if spec.task == "classification" else 1)
objective = gn.Objective(model, loss, spec.l2, spec.l1)
X_train, y_train = objective.prepare(inputs[train], y[train])
X_test, y_test = objective.prepare(inputs[test], y[test])
optimizer = make_optimizer(spec).bind(model)
dense = [layer for layer in model.layers if isinstance(layer, gn.Dense)]
edits = {{}}
for step, layer, i, j, value in spec.edits:
    edits.setdefault(step, []).append((layer, i, j, value))

# training: each epoch shuffles the training points with the model's generator, then steps batch by batch
for layer, i, j, value in edits.get(0, []):
    dense[layer].W[i, j] = value
n, batch = len(X_train), min(spec.batch_size, len(X_train))
position, rows_order = 0, np.arange(n)
for step in range(1, steps + 1):
    if position == 0 and batch < n:
        rows_order = model.rng.permutation(n)
    rows = rows_order[position:position + batch]
    objective(X_train[rows], y_train[rows])   # the cost; the gradient goes into model.grads
    optimizer.step()
    position = 0 if position + len(rows) >= n else position + len(rows)
    for layer, i, j, value in edits.get(step, []):
        dense[layer].W[i, j] = value

print("train loss", repr(objective.value(X_train, y_train)))
print("test loss", repr(objective.value(X_test, y_test)))
print("weight layer 0 (0, 0)", repr(float(dense[0].W[0, 0])))
print("its gradient from the last step", repr(float(dense[0].grads["W"][0, 0])))
print("the bias gradient of neuron 1 of layer 1", repr(float(dense[0].grads["b"][0])))
'''
