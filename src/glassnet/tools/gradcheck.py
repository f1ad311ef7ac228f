"""Check backpropagation against central differences, parameter by parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np

from ..core._html import table
from ..core._validation import as_generator, check_positive_int, check_real
from ..core.arrays import to_numpy
from ..errors import OptionError
from ..losses.costs import Loss
from ..losses.objective import Objective
from ..nn import Context
from ..nn.flat import on_its_device
from ..nn.stack import Stack, check_model
from ..training.guard import check_weights

#: the smallest step a central difference may take: below it, float64's rounding swamps the difference
MIN_EPS = 1e-10

@dataclass
class GradcheckRow:
    """One parameter (or the input) compared: analytic against numerical gradient.

    Attributes
    ----------
    label : str
    shape : tuple of int
    checked : int
        Entries compared.
    max_abs_error : float
    rel_error : float
    passed : bool
    kinks : int
        Entries left out of the comparison because their perturbation carried
        an input of a ReLU-like layer across its kink (see :func:`gradcheck`).
    within_noise : bool
        The row passed although its relative error did not, because every
        difference is below what central differences can resolve (tiny gradients).

    A row of which no entry could be compared (every one at a kink) has ``checked`` 0 and
    ``passed`` False, and does not fail the report: it is "not checked".
    """

    label: str
    shape: tuple[int, ...]
    checked: int
    max_abs_error: float
    rel_error: float
    passed: bool
    kinks: int = 0
    within_noise: bool = False


@dataclass
class GradcheckReport:
    """The outcome of :func:`gradcheck`: one row per parameter, in layer order.

    Attributes
    ----------
    rows : list of GradcheckRow
    tol, eps : float
        The tolerance and the step used.
    cost : float
        The objective at the model's parameters.
    notes : list of str
    """

    rows: list[GradcheckRow]
    tol: float
    eps: float
    cost: float
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every row that compared an entry passed, and one at least did."""
        return all(row.passed or not row.checked for row in self.rows) and any(row.checked for row in self.rows)

    @property
    def first_failure(self) -> GradcheckRow | None:
        """The first parameter, in forward order, whose gradients disagree."""
        return next((row for row in self.rows if row.checked and not row.passed), None)

    def _table(self) -> list[list[str]]:
        kinks = any(r.kinks for r in self.rows)
        header = ["parameter", "shape", "checked", *(["at a kink"] if kinks else []), "max abs error",
                  "relative error", "result"]
        body = [
            [r.label, "x".join(map(str, r.shape)), str(r.checked), *([str(r.kinks)] if kinks else []),
             f"{r.max_abs_error:.3e}", f"{r.rel_error:.3e}",
             "not checked" if not r.checked else ("pass (noise)" if r.within_noise else "pass") if r.passed
             else "FAIL"]
            for r in self.rows
        ]
        return [header, *body]

    def summary(self) -> str:
        """One line: all gradients agree, or where the first disagreement is.

        Returns
        -------
        str
        """
        unchecked = [r.label for r in self.rows if not r.checked]
        left = (f"; {len(unchecked)} not checked, every entry at a kink ({', '.join(unchecked)})" if unchecked
                else "")
        if self.passed:
            noise = " or within rounding noise" if any(r.within_noise for r in self.rows) else ""
            which = f"the {len(self.rows) - len(unchecked)} gradients checked" if unchecked else \
                f"all {len(self.rows)} gradients"
            return f"{which} agree (relative error < {self.tol:g}{noise}){left}"
        bad = self.first_failure
        if bad is None:
            return "gradient check inconclusive: no entry could be compared" + left
        return (f"gradient check FAILED: first disagreement at {bad.label} "
                f"(relative error {bad.rel_error:.3e} >= {self.tol:g})")

    def __str__(self) -> str:
        table = self._table()
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join([*lines, *self.notes, self.summary()])

    def __repr__(self) -> str:
        return f"GradcheckReport({len(self.rows)} parameters: {self.summary()})"

    def _repr_html_(self) -> str:
        """The report as an HTML table for Jupyter, one row per parameter, failures in red."""
        header, *body = self._table()
        notes = "".join(f"<div>{escape(note)}</div>" for note in self.notes)
        return (table(header, body, marked=[not r.passed for r in self.rows])
                + f"{notes}<div><b>{escape(self.summary())}</b></div>")

    def to_markdown(self) -> str:
        """The report as a Markdown table.

        Returns
        -------
        str
        """
        table = self._table()
        lines = ["| " + " | ".join(row) + " |" for row in table]
        lines.insert(1, "|" + "---|" * len(table[0]))
        return "\n".join([*lines, "", *self.notes, self.summary()])


@on_its_device
def gradcheck(
    model: Stack,
    loss: str | Loss,
    X: object,
    y: object,
    *,
    l2: float = 0.0,
    l1: float = 0.0,
    eps: float = 1e-6,
    tol: float = 1e-6,
    check_input: bool = False,
    max_entries: int | None = None,
    rng: object = 0,
    training: bool = False,
) -> GradcheckReport:
    """Compare backpropagation with central differences, in float64.

    Parameters
    ----------
    model : Stack
        Not changed: it is copied to float64 first (float32 rounding would swamp
        the differences).
    loss : str or Loss
    X : array_like, shape (n_samples, *input_shape)
    y : array_like
    l2 : float
        The L2 strength of the objective checked.
    l1 : float
        Its L1 strength (a weight within ``eps`` of 0 sits on the kink of ``|w|``).
    eps : float
        The step of the central differences, in (0, 1]: its truncation error
        grows as eps**2, and from a step of 1 the difference measures no derivative.
    tol : float
        A parameter passes when its relative error is below this.
    check_input : bool
        Add a row for ``dJ/dX``; needed for a model without parameters, which is refused otherwise.
    max_entries : int, optional
        Check only this many randomly chosen entries per parameter (large models).
    rng : None, int or Generator
        Chooses those entries.
    training : bool
        Check the training pass (batch normalization with each batch's own
        statistics) rather than the inference pass. Refused for models with
        dropout, whose masks change from pass to pass.

    Returns
    -------
    GradcheckReport
        One row per parameter array (each W and b of each layer), in layer order.

    Notes
    -----
    For every parameter ``theta_j`` the numerical derivative is
    ``(J(theta_j + eps) - J(theta_j - eps)) / (2 eps)``, whose error is
    O(eps**2). A row's ``relative error`` is ``|a - n| / max(|a| + |n|, 1e-12)``
    over its entries (Euclidean norms).

    ReLU and leaky ReLU have no derivative where their input is 0, and
    max-pooling none where two inputs of a window tie. When the two
    perturbations of an entry put some input of such a layer on different
    sides of its kink, the central difference averages two slopes and
    measures no derivative at all; backpropagation, which takes one side, is
    right, and the two disagree by up to the jump between the slopes. Those
    entries are detected (each layer that is ``kinked`` compares its
    :meth:`~glassnet.nn.Layer.kink_sides` at ``theta + eps`` and
    ``theta - eps``), counted in the row's ``kinks`` and left out of its
    error, so that a correct backpropagation passes.

    Rounding limits what a central difference can resolve: about
    ``10 * machine_eps * max(|J|, 1) / eps`` (2e-9 for eps=1e-6). A row
    whose gradients are so small (a well-trained model) that this noise
    dominates its relative error still passes when every difference is below
    it; the report marks it "pass (noise)".
    """
    check_model(model)
    eps = check_real(eps, "eps", low=0.0, low_open=True, high=1.0)
    if eps < MIN_EPS:  # eps=1e-20 left theta + eps equal to theta: every difference 0, any gradient "noise"
        raise OptionError(f"eps must be at least {MIN_EPS:g}: below it, float64's rounding swamps the central "
                          f"difference, and any gradient, right or wrong, would pass as noise; received {eps:g}")
    tol = check_real(tol, "tol", low=0.0, low_open=True)
    max_entries = None if max_entries is None else check_positive_int(max_entries, "max_entries")
    training = bool(training)
    if training and any(layer.draws_in_training() for layer in model.layers):
        raise OptionError("training=True cannot check a model with dropout: its masks change from one pass to "
                          "the next, so the two sides of a central difference would see different networks")
    m = model.copy(dtype=np.float64)
    objective = Objective(m, loss, l2, l1)
    X64, y64 = objective.prepare(X, y)  # builds a model given no input shape: its layers then have parameters
    check_weights(m, "before the check")  # NaN would read as backpropagation failing, infinity as passing
    if not check_input and not any(layer.params for layer in m.layers):  # a report of no rows passes
        raise OptionError("the model has no parameters, so there is no gradient to check: pass check_input=True "
                          "to check dJ/dX")
    if check_input:  # perturbed in place below: a C-ordered copy of its own, where prepare may pass the caller's
        X64 = X64[:].copy()  # array through (read-only, or Fortran-ordered: reshape(-1) copied, perturbing nothing)
    gen = as_generator(rng)

    with np.errstate(over="ignore", invalid="ignore"):  # said below, in the check's terms
        cost = float(objective(X64, y64, training=training, need_input_grad=check_input))
    analytic = to_numpy(m.grads).copy()  # on the host, beside the numerical gradients
    if not (np.isfinite(cost) and np.all(np.isfinite(analytic))):  # was "FAILED ... relative error nan"
        raise OptionError(f"the cost or its gradient overflows at these inputs and weights (the cost is {cost:g}), "
                          "so no difference can be compared: scale the inputs (standardize them) and check again")
    input_grad = None if objective.input_grad is None else to_numpy(objective.input_grad).copy()
    theta = m.params
    kinked = any(layer.kinked for layer in m.layers)

    def numeric(vector: np.ndarray, j: int) -> tuple[float, bool]:
        """The central difference for entry j, and whether it crossed a kink (of a layer, or of L1's |w| at 0)."""
        old = vector[j]
        vector[j] = old + eps
        up, up_side = _value_and_sides(objective, X64, y64, training, kinked)
        vector[j] = old - eps
        down, down_side = _value_and_sides(objective, X64, y64, training, kinked)
        vector[j] = old
        at_l1_kink = l1 > 0 and vector is theta and j < m.n_decayed and abs(float(old)) < eps
        crossed = at_l1_kink or kinked and not np.array_equal(up_side, down_side)  # type: ignore[arg-type]
        return (up - down) / (2 * eps), bool(crossed)

    noise = 10 * np.finfo(np.float64).eps * max(abs(cost), 1.0) / eps

    def compare(label: str, shape: tuple, vector: np.ndarray, start: int, size: int, a_all: np.ndarray):
        picked = _pick(size, max_entries, gen)
        results = [numeric(vector, start + j) for j in picked]
        n = np.array([r[0] for r in results])
        crossed = np.array([r[1] for r in results], dtype=bool)
        return _row(label, shape, a_all[picked], n, tol, crossed, noise)

    rows = []
    for label, layer_index, name, s in m.named_parameters():
        rows.append(compare(label, m.layers[layer_index].params[name].shape, theta, s.start, s.stop - s.start,
                            analytic[s]))
    notes = []
    if check_input and input_grad is not None:
        flat_x = X64.reshape(-1)  # a view: perturbing it perturbs X64
        rows.append(compare("input X", X64.shape, flat_x, 0, flat_x.size, input_grad.reshape(-1)))
    if any(r.within_noise for r in rows):
        notes.append(f"\"pass (noise)\": the gradients are so small that rounding dominates the relative error; "
                     f"every difference is below the {noise:.1e} that central differences with eps={eps:g} "
                     "can resolve")
    kinks = sum(r.kinks for r in rows)
    if kinks:
        weight = ", or a weight under L1 lay within eps of 0" if l1 else ""
        notes.append(f"{kinks} entries were left out (\"at a kink\"): between theta - eps and theta + eps an input "
                     f"of a ReLU crossed 0, or two inputs of a max-pooling window swapped places{weight}, where the "
                     "cost has no derivative for a central difference to measure")
    return GradcheckReport(rows=rows, tol=tol, eps=eps, cost=cost, notes=notes)


def _pick(size: int, max_entries: int | None, gen: np.random.Generator) -> np.ndarray:
    if max_entries is None or max_entries >= size:
        return np.arange(size)
    return np.sort(gen.choice(size, size=max_entries, replace=False))


def _value_and_sides(objective: Objective, X: np.ndarray, y: np.ndarray, training: bool,
                     kinked: bool) -> tuple[float, np.ndarray | None]:
    """The objective's value for ``X``, and, when ``kinked``, the side of its kink every input of every
    kinked layer is on (:meth:`~glassnet.nn.Layer.kink_sides`), from one forward pass."""
    model, sides, x = objective.model, [], X
    for layer in model.layers[:objective.stop]:
        side = layer.kink_sides(x) if kinked and layer.kinked else None
        if side is not None:
            sides.append(to_numpy(side).ravel())
        x = layer.forward(x, Context(model.xp, training))
    return objective.value_of(x, y), (np.concatenate(sides) if sides else None)


def _row(label, shape, a: np.ndarray, n: np.ndarray, tol: float, crossed: np.ndarray,
         noise: float) -> GradcheckRow:
    a, n = a[~crossed], n[~crossed]
    if not a.size:  # every entry at a kink: nothing compared, which is no pass ("relative error 0.000, pass")
        return GradcheckRow(label, tuple(shape), 0, 0.0, float("nan"), False, int(crossed.sum()))
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(n))), 1e-300)  # norms of 1e300s overflowed to nan
    a, n = a / scale, n / scale
    max_abs = scale * float(np.max(np.abs(a - n)))
    rel = float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12 / scale))
    within_noise = rel >= tol and max_abs <= noise
    return GradcheckRow(label, tuple(shape), int(a.size), max_abs, rel, rel < tol or within_noise,
                        int(crossed.sum()), within_noise)
