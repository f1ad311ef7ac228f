"""The optimizer base: bookkeeping shared by every update rule."""

from __future__ import annotations

import numpy as np

from .._validation import check_real
from .schedules import Schedule, get_schedule


class Optimizer:
    """Updates a model's flat parameter vector in place from its flat gradient vector.

    A subclass declares its state ``slots`` (buffers shaped like the
    parameters) and writes one rule, :meth:`update`. The base binds to a model,
    counts steps, applies the learning-rate schedule at each epoch, and saves
    and restores state for checkpoints.

    Parameters
    ----------
    lr : float
        The base learning rate ``lr0``; the schedule derives each epoch's rate from it.
    schedule : None, str or Schedule
        None keeps the rate constant.
    """

    slots: tuple[str, ...] = ()
    name = "optimizer"
    #: how often (in steps) state buffers are cleared of values on their way to denormals
    flush_every = 64

    def __init__(self, lr: float, schedule: object = None) -> None:
        self.lr0 = check_real(lr, "lr", low=0.0, low_open=True)
        self.lr = self.lr0
        self.schedule: Schedule = get_schedule(schedule)
        self.t = 0
        self.params: np.ndarray | None = None
        self.grads: np.ndarray | None = None
        self.state: dict[str, np.ndarray] = {}
        self.n_decayed = 0

    def bind(self, model) -> Optimizer:
        """Attach to ``model.params`` and ``model.grads``; state buffers start at zero."""
        if self.params is not model.params:
            self.params, self.grads = model.params, model.grads
            self.n_decayed = model.n_decayed
            for slot in self.slots:
                old = self.state.get(slot)
                if old is None or old.shape != model.params.shape:
                    self.state[slot] = np.zeros_like(model.params)
                else:  # restored from a checkpoint before binding
                    self.state[slot] = old.astype(model.params.dtype)
            self._tmp = np.empty_like(model.params)
        return self

    def begin_epoch(self, epoch: int) -> None:
        self.lr = self.schedule.rate(self.lr0, epoch)

    def end_epoch(self, metric: float) -> None:
        self.schedule.observe(metric)

    def step(self) -> None:
        """One update of every parameter from the current gradients."""
        if self.params is None:
            raise RuntimeError("the optimizer is not bound to a model: call optimizer.bind(model)")
        self.t += 1
        self.update(self.params, self.grads, self.lr)
        if self.slots and self.t % self.flush_every == 0:
            self._flush_tiny()

    def _flush_tiny(self) -> None:
        """Zero state entries too small to matter, before they decay into denormals.

        A coordinate whose gradient is exactly zero (a pixel that is always
        blank, a dead ReLU unit) has its momentum or moment estimates multiplied
        by beta < 1 at every step. After a few hundred steps they reach the
        denormal range, where every arithmetic operation on them is many times
        slower: Adam on MNIST lost more than half its speed this way. Values
        below ``2**-100`` (float32; ``2**-1000`` for float64) move no weight by
        a representable amount, so setting them to zero changes no result.
        """
        threshold = 2.0**-100 if self.params.dtype == np.float32 else 2.0**-1000
        for slot in self.slots:
            state = self.state[slot]
            np.abs(state, out=self._tmp)
            np.copyto(state, 0, where=self._tmp < threshold)

    def update(self, p: np.ndarray, g: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    # -- checkpoints --------------------------------------------------------
    def config(self) -> dict:
        return {"lr": self.lr0}

    def state_dict(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-ready scalars, arrays) that restore this optimizer exactly."""
        scalars = {"t": self.t, "lr": self.lr, "schedule": self.schedule.state()}
        return scalars, {slot: self.state[slot] for slot in self.slots if slot in self.state}

    def load_state_dict(self, scalars: dict, arrays: dict[str, np.ndarray]) -> None:
        self.t = int(scalars["t"])
        self.lr = float(scalars["lr"])
        self.schedule.load_state(scalars.get("schedule", {}))
        for slot in self.slots:
            if slot in arrays:
                if slot in self.state and self.state[slot].shape == arrays[slot].shape:
                    self.state[slot][...] = arrays[slot]
                else:
                    self.state[slot] = np.array(arrays[slot])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"
