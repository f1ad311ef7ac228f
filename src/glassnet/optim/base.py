"""The optimizer base: bookkeeping shared by every update rule."""

from __future__ import annotations

import inspect
import weakref
from typing import Any

import numpy as np

from ..core._validation import check_real
from ..core.arrays import namespace
from ..errors import OptionError
from .schedules import Schedule, get_schedule

Array = Any


class Optimizer:
    """Updates a model's flat parameter vector in place from its flat gradient vector.

    A subclass declares its state ``slots`` (buffers shaped like the
    parameters) and writes one rule twice: :meth:`update`, fast and in place,
    and :meth:`reference_update`, the rule as its paper writes it, which the
    tests use as the oracle for the fast one. The base binds to a model,
    counts steps, applies the learning-rate schedule at each epoch, and saves
    and restores state for checkpoints.

    Parameters
    ----------
    lr : float
        The base learning rate ``lr0``; the schedule derives each epoch's rate from it.
    schedule : None, str or Schedule
        None keeps the rate constant. A name of a schedule with a period
        (``"cosine"``, ``"onecycle"``) spans the run that ``fit`` makes.

    Attributes
    ----------
    t : int
        Steps taken.
    lr : float
        The current learning rate.
    state : dict of str to array
        The state buffers by slot name, each shaped like the parameters.
    """

    slots: tuple[str, ...] = ()
    name = "optimizer"
    #: a weak reference to the model last bound; None before the first bind, and after
    #: :meth:`keep_state` (:meth:`load_state_dict`) or a copy, whose state the next bind keeps
    _bound: weakref.ref | None = None
    #: how often (in steps) state buffers are cleared of values on their way to denormals
    flush_every = 64

    def __init__(self, lr: float, schedule: object = None) -> None:
        self.lr0 = check_real(lr, "lr", low=0.0, low_open=True)
        self.lr = self.lr0
        self.schedule: Schedule = get_schedule(schedule)
        self.t = 0
        self.params: Array | None = None
        self.grads: Array | None = None
        self.state: dict[str, Array] = {}
        self.n_decayed = 0

    def bind(self, model: Any) -> Optimizer:
        """Attach to ``model.params`` and ``model.grads``; new state buffers start at zero.

        Bound to another model than the last, the optimizer starts again: its step
        count, moments and schedule as made (the same model moved to another device
        keeps them). State restored by :meth:`load_state_dict`, kept by
        :meth:`keep_state`, or held by a copy, is kept by the next bind.

        Parameters
        ----------
        model : Stack

        Returns
        -------
        Optimizer
            This optimizer.
        """
        if self._bound is not None and self._bound() is not model:  # a new run: nothing carries over
            self.t, self.lr, self.state = 0, self.lr0, {}
            self.schedule.restart()
        self._bound = weakref.ref(model)
        if self.params is not model.params:
            xp = namespace(model.params)
            self.params, self.grads = model.params, model.grads
            self.n_decayed = model.n_decayed
            for slot in self.slots:
                old = self.state.get(slot)
                if old is None or tuple(old.shape) != tuple(model.params.shape):
                    self.state[slot] = xp.zeros_like(model.params)
                else:  # restored from a checkpoint before binding
                    self.state[slot] = xp.asarray(old, dtype=model.params.dtype)
            self._tmp = xp.empty_like(model.params)
        return self

    def begin_epoch(self, epoch: int) -> None:
        """Set the learning rate for ``epoch`` from the schedule.

        Parameters
        ----------
        epoch : int
            Counted from 0.
        """
        self.lr = self.schedule.rate(self.lr0, epoch)

    def begin_step(self, progress: float) -> None:
        """Set the learning rate before a step, for schedules that change within an epoch.

        Parameters
        ----------
        progress : float
            Epochs done so far, with the share of this epoch's batches already taken.
        """
        if self.schedule.per_step:
            self.lr = self.schedule.rate(self.lr0, progress)

    def end_epoch(self, metric: float) -> None:
        """Report the epoch's monitored metric to the schedule.

        Parameters
        ----------
        metric : float
        """
        self.schedule.observe(metric)

    def step(self) -> None:
        """One update of every parameter from the current gradients."""
        if self.params is None:
            raise RuntimeError("the optimizer is not bound to a model: call optimizer.bind(model)")
        self.t += 1
        self.update(self.params, self.grads, self.lr)
        if self.slots and self.t % self.flush_every == 0:
            self._flush_tiny()

    def preview(self) -> Array:
        """What the next :meth:`step` would add to every parameter with the current gradients; nothing changes.

        The step is taken and undone, state and all, so it is the rule's own,
        whatever the rule: ``-lr * g`` for SGD, ``-lr * m_hat / (sqrt(v_hat) + eps)``
        for Adam, from its running averages.

        Returns
        -------
        array, shape (n_params,)
        """
        if self.params is None:
            raise RuntimeError("the optimizer is not bound to a model: call optimizer.bind(model)")
        scalars, slots = self.state_dict()
        kept = {name: buffer.copy() for name, buffer in slots.items()}
        before = self.params.copy()
        try:
            self.t += 1
            self.update(self.params, self.grads, self.lr)
            return self.params - before
        finally:
            self.params[...] = before
            self.restore_state(scalars, kept)

    def _flush_tiny(self) -> None:
        """Zero state entries too small to matter, before they decay into denormals.

        A coordinate whose gradient is exactly zero (a pixel that is always
        blank, a dead ReLU unit) has its momentum or moment estimates multiplied
        by beta < 1 at every step. After a few hundred steps they reach the
        denormal range, where every arithmetic operation on them is many times
        slower: Adam on MNIST lost more than half its speed this way. Values
        below ``2**-100`` (float32; ``2**-1000`` for float64) are zeroed where
        this step's gradient is 0: there they move no weight by a representable
        amount. Where a gradient is tiny but not 0, the state is kept: with a
        small ``eps``, Adam's and RMSProp's step is the gradient over its root
        mean square, whatever their size (a gradient of 1e-17 with eps 1e-20
        moved a weight 0.76 in 300 steps where the rule moves it 0.30).
        """
        xp = namespace(self._tmp)
        threshold = 2.0**-100 if self._tmp.dtype == np.float32 else 2.0**-1000
        idle = self.grads == 0
        for slot in self.slots:
            state = self.state[slot]
            xp.abs(state, out=self._tmp)
            xp.copyto(state, 0, where=(self._tmp < threshold) & idle)

    def update(self, p: Array, g: Array, lr: float) -> None:
        """The fast rule: update ``p`` in place from ``g`` at step :attr:`t`.

        Parameters
        ----------
        p : array, shape (n_params,)
            The parameters, updated in place.
        g : array, shape (n_params,)
            Their gradients.
        lr : float
            This step's learning rate.
        """
        raise NotImplementedError

    def reference_update(self, p: Array, g: Array, lr: float, state: dict) -> None:
        """The rule as its paper writes it, in plain NumPy: the oracle for :meth:`update`.

        Parameters
        ----------
        p : array, shape (n_params,)
            Updated in place.
        g : array, shape (n_params,)
        lr : float
        state : dict
            The rule's own state (moments, velocity), empty at the first step;
            the step number is :attr:`t`.
        """
        raise NotImplementedError

    # -- checkpoints --------------------------------------------------------
    def config(self) -> dict:
        """The constructor's arguments (without the schedule).

        Returns
        -------
        dict
        """
        return {"lr": self.lr0}

    def state_dict(self) -> tuple[dict, dict[str, Array]]:
        """What restores this optimizer exactly.

        Returns
        -------
        scalars : dict
            JSON-ready: step count, learning rate, schedule state.
        arrays : dict of str to array
            The state buffers.
        """
        scalars = {"t": self.t, "lr": self.lr, "schedule": self.schedule.state()}
        return scalars, {slot: self.state[slot] for slot in self.slots if slot in self.state}

    def load_state_dict(self, scalars: dict, arrays: dict[str, Array]) -> None:
        """Restore what :meth:`state_dict` returned (a checkpoint's); the next bind keeps it, whatever the model.

        Parameters
        ----------
        scalars : dict
        arrays : dict of str to array
        """
        self.restore_state(scalars, arrays)
        self.keep_state()

    def keep_state(self) -> None:
        """Keep this state (step count, moments, schedule) at the next bind, even to another model object: a
        checkpoint's, or a model rebuilt around the same weights."""
        self._bound = None

    def restore_state(self, scalars: dict, arrays: dict[str, Array]) -> None:
        """Put back what :meth:`state_dict` returned, bound as before: a step taken back (a preview, a run rolled
        back to its last good epoch), after which another model still starts afresh.

        Parameters
        ----------
        scalars : dict
        arrays : dict of str to array
        """
        self.t = int(scalars["t"])
        self.lr = float(scalars["lr"])
        self.schedule.load_state(scalars.get("schedule", {}))
        for slot in self.slots:
            if slot in arrays:
                if slot in self.state and self.state[slot].shape == arrays[slot].shape:
                    self.state[slot][...] = arrays[slot]
                else:
                    self.state[slot] = np.array(arrays[slot])

    def __getstate__(self) -> dict:
        """The optimizer's attributes but the weak reference to its model: a copy keeps its state when bound."""
        state = self.__dict__.copy()
        state.pop("_bound", None)
        return state

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def check_options(cls: type[Optimizer], options: dict, name: str) -> None:
    """Refuse option names that ``cls`` does not take, before any value is looked at.

    Parameters
    ----------
    cls : type
        An optimizer class.
    options : dict
        Keyword arguments for its constructor.
    name : str
        How the user named the optimizer, for the message.
    """
    known = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise OptionError(f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                          f"for optimizer={name!r}; its options are {', '.join(known)}")
