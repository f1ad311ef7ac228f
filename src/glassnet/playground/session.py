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

The spec lives in :mod:`glassnet.playground.spec`, the network and optimizer
in :mod:`glassnet.playground.network`, the script in
:mod:`glassnet.playground.scripts`; their names are importable from here too.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from ..core._validation import short
from ..errors import OptionError
from ..losses.objective import Objective
from ..nn import Dense
from ..tools.checks import unit_states
from ..tools.findings import SATURATED_SHARE
from ..training import evaluate
from .data import features, make
from .network import build, make_optimizer, step_formula
from .scripts import SCRIPT, script
from .spec import ACTIVATIONS, MAX_EDITS, MAX_LAYERS, MAX_NEURONS, MAX_POINTS, OPTIMIZERS, Spec

__all__ = ["ACTIVATIONS", "MAX_EDITS", "MAX_HISTORY", "MAX_LAYERS", "MAX_NEURONS", "MAX_POINTS", "OPTIMIZERS", "SCRIPT",
           "Session", "Spec", "build", "make_optimizer", "script", "step_formula"]

#: frames' losses a session keeps for the page's curve
MAX_HISTORY = 1000


#: what the neuron inspector says about a neuron the diagnosis marks
NEURON_FINDINGS = {
    "dead": "dead_relu: it outputs 0 for every training point, so no gradient reaches its weights and it "
            "cannot learn again. A large negative bias or a step that was too large does this: lower the "
            "learning rate, or try leaky_relu.",
    "saturated": f"saturated: for more than {SATURATED_SHARE:.0%} of the training points its output is within "
                 "0.01 of its limits, where its gradient is under 0.02 and it learns slowly. Smaller weights, "
                 "scaled inputs or relu help.",
}


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
            taken = self.model.grads.copy()  # the gradient of the last step taken (a few hundred numbers)
            with np.errstate(over="ignore", invalid="ignore"):
                self.last_cost = self.objective(self.X_train[rows], self.y_train[rows], training=True)
            if not math.isfinite(self.last_cost):  # diverged: the weights stay those of the last finite cost,
                self.diverged = True  # and the gradients those of the step that made them, as a script shows
                self.model.grads[...] = taken
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
        """About how many bytes the session holds between requests: points, weights, optimizer, history, CSV text.

        Returns
        -------
        int
        """
        arrays = [self.points, self.labels, self.X_train, self.X_test, self.y_train, self.y_test,
                  self.model.params, self.model.grads, self.model.state, *self.optimizer.state.values()]
        # an uploaded file's text, kept for the run file (945 kB for 5,000 rows): its size in memory, 4 bytes a
        # character where one character lies beyond U+FFFF (an emoji in a header), not its length
        csv = sys.getsizeof(self.csv) if self.csv else 0
        return int(sum(a.nbytes for a in arrays) + 400 * len(self.history) + 100 * len(self.edits) + csv + 20_000)

    def train_epoch(self) -> None:
        """Steps to the end of the current epoch."""
        self.train(self.steps_left_in_epoch())

    def steps_left_in_epoch(self) -> int:
        """The steps from here to the end of the current epoch (a whole epoch's at its start).

        Returns
        -------
        int
        """
        n, bs = self.X_train.shape[0], min(self.spec.batch_size, self.X_train.shape[0])
        return math.ceil((n - self._position) / bs)

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
            per neuron, grid x grid activations), ``weights`` and ``biases`` per Dense layer, and
            ``health``: per hidden layer, each neuron's state on the training points ("dead",
            "saturated" or "", as :func:`glassnet.diagnose` judges them).
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
                "biases": [d.b.copy() for d in self._denses()], "health": unit_states(self.model, self.X_train)}

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
            the sum and the activation, written out with these numbers; ``finding``: what is wrong
            with it, if anything (see :data:`NEURON_FINDINGS`).
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
                "bias": bias, "z": z, "a": a, "bias_grad": float(dense.grads["b"][j]), "formula": formula,
                "finding": NEURON_FINDINGS.get(unit_states(self.model, self.X_train)[layer][j], "")}

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
