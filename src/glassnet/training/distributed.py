"""Data-parallel training over MPI: one model trained by several processes at once.

Every process (rank) holds the same model and the same data, and draws the
same batch order from the model's generator. Each global batch of
``batch_size`` rows is cut into one contiguous shard per rank; each rank
computes the gradient of its shard, weighted by its share of the batch, and
one ``Allreduce`` sums those flat gradient vectors, so that every rank holds
the gradient of the whole batch and applies the same update. The cost and
the count of right answers travel in a second ``Allreduce`` of two numbers.
The result is the one-process run at the same batch size, up to the order of
the floating-point additions.

``comm`` is an mpi4py communicator (``MPI.COMM_WORLD``), or anything with
the same ``Get_rank``, ``Get_size``, ``Allreduce``, ``Bcast`` and ``bcast``.
mpi4py is imported only to name ``MPI.IN_PLACE`` and ``MPI.MAX``. Before the first step the ranks check
that each could start the same run (:meth:`DataParallel.agree`): one that could not stops them all.

Not supported: layers whose training pass draws random numbers or keeps
running statistics (Dropout, BatchNorm), ``augment``, and the full-batch
quasi-Newton solvers; :func:`check_supported` refuses them by name.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from ..core.arrays import is_numpy, is_sparse
from ..core.rows import LazyRows
from ..core.threads import available_cores
from ..errors import OptionError, OptionTypeError
from ..losses.objective import Objective
from ..nn import Stack
from .data import correct, evaluate, is_classifier_loss

Array = Any


class DataParallel:
    """The ranks of ``comm`` training one model: shards, sums and the start they share.

    Parameters
    ----------
    comm : mpi4py communicator

    Attributes
    ----------
    rank, size : int
        This process's rank and the number of ranks.
    """

    def __init__(self, comm: Any) -> None:
        for method in ("Get_rank", "Get_size", "Allreduce", "Bcast", "bcast"):
            if not callable(getattr(comm, method, None)):
                raise OptionTypeError(f"comm must be an MPI communicator (mpi4py's MPI.COMM_WORLD); received "
                                      f"{type(comm).__name__}, which has no {method}")
        self.comm = comm
        self.rank, self.size = int(comm.Get_rank()), int(comm.Get_size())
        self._small = np.zeros(2)

    def shard(self, start: int, stop: int) -> tuple[int, int]:
        """This rank's contiguous part of rows ``start:stop``; the first ``(stop - start) % size`` ranks get one more.

        Parameters
        ----------
        start, stop : int

        Returns
        -------
        (lo, hi) : int
        """
        n = stop - start
        base, extra = divmod(n, self.size)
        lo = start + self.rank * base + min(self.rank, extra)
        return lo, lo + base + (self.rank < extra)

    def threads(self) -> int:
        """This rank's share of the cores it may run on, among the ranks of its machine.

        Returns
        -------
        int
        """
        local = self.size
        split = getattr(self.comm, "Split_type", None)
        try:
            from mpi4py import MPI
            node = split(MPI.COMM_TYPE_SHARED) if split is not None else None
        except ImportError:
            node = None
        if node is not None:
            local = node.Get_size()
            node.Free()
        return max(1, available_cores() // local)

    def agree(self, failure: BaseException | None = None, facts: dict[str, float] | None = None) -> None:
        """Check that every rank can start the same run, before the first message that all of them must send.

        A rank that could not start (its data refused, say) raises its own error, and every other rank an
        error that says so, where they would otherwise wait for it forever. Ranks given different runs
        (other rows, epochs or batch size) all refuse it, naming what differs.

        Parameters
        ----------
        failure : exception, optional
            Why this rank cannot start.
        facts : dict of str to float, optional
            What every rank must hold alike (:func:`run_facts`), by name; the same names on every rank.
        """
        facts = facts or {}
        mine = np.zeros(1 + len(FACTS))
        mine[0] = failure is not None
        mine[1:] = [float(facts.get(name, 0.0)) for name in FACTS]
        high, low = mine.copy(), -mine
        self.comm.Allreduce(_in_place(), high, op=_op("MAX"))
        self.comm.Allreduce(_in_place(), low, op=_op("MAX"))
        if failure is not None:
            raise failure
        if high[0]:
            raise OptionError("another rank could not start this run (its own error says why), so none does: the "
                              "ranks train together or not at all")
        differ = [name for name, a, b in zip(FACTS, high[1:], -low[1:]) if a != b]
        if differ:
            raise OptionError(f"the ranks were given different runs: their {', '.join(differ)} differ; every rank "
                              "must call fit with the same data and arguments")

    def end_epoch(self, run: Any, callbacks: list, epoch: int, logs: dict[str, float]) -> None:
        """``run.end_epoch`` on this rank, then the ranks' decisions shared: a callback's stop on any rank stops
        them all, and a callback that raised on one (a checkpoint rank 0 could not write) raises on every rank,
        where the others would wait for it forever.

        Parameters
        ----------
        run : Run
        callbacks : list of Callback
        epoch : int
        logs : dict of str to float
        """
        failure = None
        try:
            run.end_epoch(callbacks, epoch, logs)
        except Exception as exc:  # told to the others first, then raised
            failure = exc
        flags = np.array([float(run.stop), float(failure is not None)])
        self.comm.Allreduce(_in_place(), flags, op=_op("MAX"))
        if failure is not None:
            raise failure
        if flags[1]:
            raise RuntimeError(f"another rank failed at the end of epoch {epoch + 1} (its own error says why), so "
                               "every rank stops")
        run.stop = bool(flags[0])

    def start_together(self, model: Stack) -> None:
        """Give every rank rank 0's parameters, running state and random generator.

        Parameters
        ----------
        model : Stack
        """
        self.comm.Bcast(model.params, root=0)
        if model.state.size:
            self.comm.Bcast(model.state, root=0)
        model.rng.bit_generator.state = self.comm.bcast(model.rng.bit_generator.state, root=0)

    def step(self, objective: Objective, xb: Array, yb: Array, wb: Array | None, n_batch: int,
             classify: bool, multilabel: bool = False) -> tuple[float, float]:
        """This rank's shard through the objective, then the sums over ranks: cost and right answers of the batch.

        Parameters
        ----------
        objective : Objective
        xb, yb : arrays
            This rank's rows of the batch (possibly none).
        wb : array, optional
            Their sample weights.
        n_batch : int
            The rows of the whole batch, over all ranks.
        classify : bool
            Count right answers.
        multilabel : bool
            Whether the targets hold several 0/1 labels a row, as decided for the whole set (a shard
            whose rows each hold one 1 would be scored as one-hot rows).

        Returns
        -------
        cost : float
            The batch's cost, as one process would compute it; ``model.grads`` holds its gradient.
        right : float
            How many rows of the batch were classified right (0 unless ``classify``).
        """
        model = objective.model
        n = xb.shape[0]
        if n:
            cost = objective(xb, yb, training=True, weight=wb)
            right = float(correct(objective.output, yb, objective.output_is_logits, multilabel)) if classify else 0.0
        else:  # a last batch smaller than the number of ranks: no rows, only the regularization terms
            model.grads[...] = 0
            objective.add_penalty_grad(model.grads[: model.n_decayed])
            objective.penalty_cost = cost = objective.penalty()
            right = 0.0
        if objective.loss.is_mean:  # shares of a mean: the regularization's shares add up to one
            share = n / n_batch
            model.grads *= share
            cost *= share
        elif self.rank:  # terms of a sum: the regularization counts on rank 0 only
            objective.add_penalty_grad(model.grads[: model.n_decayed], scale=-1.0)
            cost -= objective.penalty_cost
        self._small[:] = cost, right
        self.comm.Allreduce(_in_place(), model.grads)
        self.comm.Allreduce(_in_place(), self._small)
        return float(self._small[0]), float(self._small[1])

    def evaluate(self, model: Stack, X: Array, y: Array, objective: Objective,
                 multilabel: bool | None = None) -> dict[str, float]:
        """:func:`~glassnet.training.data.evaluate` over the ranks: each scores its contiguous share of the rows.

        Parameters
        ----------
        model : Stack
        X, y : arrays
        objective : Objective
        multilabel : bool, optional
            Whether ``y`` holds several 0/1 labels a row (decided on all of it, not on this rank's share).

        Returns
        -------
        dict
            As :func:`~glassnet.training.data.evaluate` returns for all of ``X``.
        """
        n = X.shape[0]
        lo, hi = self.shard(0, n)
        part = {}
        if hi > lo:
            rows = X.subset(np.arange(lo, hi)) if isinstance(X, LazyRows) else X[lo:hi]
            part = evaluate(model, rows, y[lo:hi], objective, multilabel=multilabel)
        penalty = objective.penalty()
        loss = part.get("loss", penalty)
        if objective.loss.is_mean:
            loss *= (hi - lo) / n
        elif self.rank:
            loss -= penalty
        self._small[:] = loss, part.get("accuracy", 0.0) * (hi - lo)
        self.comm.Allreduce(_in_place(), self._small)
        result = {"loss": float(self._small[0])}
        if is_classifier_loss(objective.loss):
            result["accuracy"] = float(self._small[1]) / n
        return result

    def same_everywhere(self, model: Stack) -> bool:
        """Whether every rank holds exactly rank 0's parameters (a check for tests and debugging).

        Parameters
        ----------
        model : Stack

        Returns
        -------
        bool
        """
        mine = np.ascontiguousarray(model.params)
        first = mine.copy()
        self.comm.Bcast(first, root=0)
        same = np.array([float(np.array_equal(mine, first, equal_nan=True))])
        self.comm.Allreduce(_in_place(), same)
        return float(same[0]) == self.size


#: what :meth:`DataParallel.agree` compares across ranks, in this order: the data, then fit's settings
FACTS = ("rows", "values per row", "targets per row", "sample weights", "digest of the data", "validation rows",
         "digest of the validation data", "parameters", "epochs", "initial_epoch", "batch_size", "validation_split",
         "l2", "l1", "shuffle", "optimizer and its settings")


def run_facts(X: Array, y: Array, w: Array | None, validation: tuple | None,
              settings: dict[str, float]) -> dict[str, float]:
    """What every rank of a data-parallel run must hold alike, by the names of :data:`FACTS`.

    Parameters
    ----------
    X, y : arrays
        The prepared training data (before any validation rows are set apart); rows read lazily from a file
        are read for the digest, about a thousand of them.
    w : array, optional
    validation : (X_val, y_val), optional
        The validation data, prepared.
    settings : dict of str to float
        The rest of :data:`FACTS`, fit's settings by name (``"optimizer and its settings"`` from
        :func:`solver_digest`).

    Returns
    -------
    dict of str to float
    """
    facts = {"rows": X.shape[0], "values per row": int(np.prod(X.shape[1:])),
             "targets per row": y[0].size if len(y) else 0, "sample weights": float(w is not None),
             "digest of the data": _sampled_digest(X, y, w), "validation rows": 0,
             "digest of the validation data": 0.0, **{k: float(v) for k, v in settings.items()}}
    if validation is not None:
        facts["validation rows"] = validation[0].shape[0]
        facts["digest of the validation data"] = _sampled_digest(*validation)
    return facts


def solver_digest(solver: Any) -> float:
    """The optimizer's name, settings and schedule as one number (48 bits of a hash), for :func:`run_facts`.

    Parameters
    ----------
    solver : Solver

    Returns
    -------
    float
    """
    opt = getattr(solver, "optimizer", None)
    about = solver.name if opt is None else [opt.name, opt.config(), opt.schedule.name, opt.schedule.config()]
    text = json.dumps(about, sort_keys=True, default=lambda v: type(v).__name__)  # no addresses: alike on each rank
    return _digest([np.frombuffer(text.encode(), np.uint8)])


def _sampled_digest(X: Array, y: Array, w: Array | None = None) -> float:
    """A digest of about a thousand rows' bytes, spread evenly: cheap, and the same on every machine."""
    step = max(1, X.shape[0] // 1024)
    rows: Any = X.take(np.arange(0, X.shape[0], step)) if isinstance(X, LazyRows) else X[::step]  # a file's, read
    parts = [rows.data, rows.indices, rows.indptr] if is_sparse(rows) else [rows]
    return _digest([*parts, y[::step], *([] if w is None else [w[::step]])])


def _digest(parts: list) -> float:
    digest = hashlib.blake2b(digest_size=6)  # 48 bits: a whole number a float holds exactly
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes())
    return float(int.from_bytes(digest.digest(), "little"))


def check_supported(model: Stack, quasi: bool, augment: object) -> None:
    """Refuse, by name, what data-parallel training cannot reproduce exactly.

    Parameters
    ----------
    model : Stack
    quasi : bool
        A quasi-Newton solver was asked for.
    augment : callable or None
    """
    if not is_numpy(model.xp):  # MPI's sums take host memory (a device's needs a CUDA-aware MPI)
        raise OptionError("comm (data-parallel training) sums the ranks' gradients in host memory: train the model "
                          "on the CPU (model.to('cpu'))")
    if quasi:
        raise OptionError("comm (data-parallel training) needs a gradient-descent optimizer; the quasi-Newton "
                          "solvers take the whole set at every step")
    if augment is not None:
        raise OptionError("comm (data-parallel training) does not take augment: each rank would draw its own "
                          "random changes and the ranks' generators would part")
    for i, layer in enumerate(model.layers):
        if layer.state or layer.draws_in_training():  # batch statistics, or random masks
            raise OptionError(f"comm (data-parallel training) does not take layers[{i}], a {type(layer).__name__}: "
                              f"its training pass would differ from rank to rank")


def _in_place() -> Any:
    """MPI's marker for a reduction into the buffer itself ("IN_PLACE" for a stand-in without mpi4py)."""
    return _mpi("IN_PLACE")


def _op(name: str) -> Any:
    """MPI's reduction ``name`` ("MAX")."""
    return _mpi(name)


def _mpi(name: str) -> Any:
    try:
        from mpi4py import MPI
    except ImportError:  # a communicator of the user's own, or a test's stand-in
        return name
    return getattr(MPI, name)
