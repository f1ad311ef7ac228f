"""Learning-rate schedules: the rate to use in each epoch.

A schedule maps the epoch number (from 0) to a learning rate, given the
optimizer's base rate ``lr0``. A schedule whose ``per_step`` is true is asked
before every step instead, with the run's progress in epochs as a float
(epoch 2, half-way through its batches, is 2.5). :class:`ReduceOnPlateau` also watches a metric
reported at the end of every epoch. Each schedule's state (only the plateau
schedule has any) goes into checkpoints, so a resumed run continues exactly.
"""

from __future__ import annotations

import math

from ..core._validation import check_positive_int, check_real, short
from ..errors import OptionError


class Schedule:
    """Constant rate; the base class. ``rate(lr0, epoch)`` returns the rate for ``epoch``."""

    name = "constant"
    #: asked before every step (with a fractional epoch), not once per epoch
    per_step = False
    #: made from a name, so with no period of the user's: ``fit`` sets it to the run's epochs
    spans_run = False
    #: the period was set that way, by the first fit of the run the schedule was named for
    period_from_fit = False
    #: epochs of a schedule that has a period (Cosine, OneCycle); an annotation only, so others have none
    period: float

    def rate(self, lr0: float, epoch: float) -> float:
        """The learning rate for ``epoch``.

        Parameters
        ----------
        lr0 : float
            The optimizer's base rate.
        epoch : int or float
            Counted from 0; fractional for schedules that change within an epoch.

        Returns
        -------
        float
        """
        return lr0

    def observe(self, metric: float) -> None:
        """Called with the monitored metric at the end of each epoch (most schedules ignore it).

        Parameters
        ----------
        metric : float
        """

    def config(self) -> dict:
        """The constructor's arguments.

        Returns
        -------
        dict
        """
        return {}

    def span(self, epochs: int) -> str | None:
        """Give a schedule named by string (:attr:`spans_run`) the period of the run that ends at ``epochs``.

        Only the first run it trains sets the period; a fit that continues the run keeps it. A run that
        goes on past a period set that way would train at the schedule's last rate (0 by default), which
        is said rather than done in silence.

        Parameters
        ----------
        epochs : int
            The epoch at which the run ends.

        Returns
        -------
        str or None
            A warning's text when this run ends past such a period, else None.
        """
        if self.spans_run:
            self.period = max(epochs, 1)
            self.spans_run, self.period_from_fit = False, True
        elif self.period_from_fit and epochs > self.period:
            period = self.period
            return (f"the schedule {self.name!r} spans the {period:g} epoch{'s' * (period != 1)} of the fit it was "
                    f"named for, and this fit trains to epoch {epochs}, past its end, at its last rate; to train in "
                    f"pieces, give the optimizer {type(self).__name__}(period=...) with the whole run's epochs")
        return None

    def state(self) -> dict:
        """What a checkpoint must keep to continue the schedule exactly.

        Returns
        -------
        dict
            ``{"period_from_fit": True}`` for a period a fit set (see :meth:`span`), so that a resumed run
            past it is warned too; otherwise nothing.
        """
        return {"period_from_fit": True} if self.period_from_fit else {}

    def load_state(self, state: dict) -> None:
        """Restore what :meth:`state` returned.

        Parameters
        ----------
        state : dict
        """
        self.period_from_fit = state.get("period_from_fit") is True

    def restart(self) -> None:
        """Start again as made, for another model's run: a period a fit set is set by the next one."""
        if self.period_from_fit:
            self.spans_run, self.period_from_fit = True, False

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


#: a constant rate: another name for ``Schedule``, the base class
Constant = Schedule


class StepDecay(Schedule):
    """``lr0 * gamma ** (epoch // step_size)``: divide the rate every ``step_size`` epochs.

    Parameters
    ----------
    step_size : int
    gamma : float
    """

    name = "step"

    def __init__(self, step_size: int = 10, gamma: float = 0.1) -> None:
        self.step_size = check_positive_int(step_size, "step_size")
        self.gamma = check_real(gamma, "gamma", low=0.0, low_open=True)

    def rate(self, lr0, epoch):
        return lr0 * self.gamma ** (epoch // self.step_size)

    def config(self):
        return {"step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    """``lr0 * gamma ** epoch``.

    Parameters
    ----------
    gamma : float
    """

    name = "exponential"

    def __init__(self, gamma: float = 0.95) -> None:
        self.gamma = check_real(gamma, "gamma", low=0.0, low_open=True)

    def rate(self, lr0, epoch):
        return lr0 * self.gamma**epoch

    def config(self):
        return {"gamma": self.gamma}


class InverseScaling(Schedule):
    """``lr0 / (epoch + 1) ** power``: scikit-learn's "invscaling", counted in epochs.

    Parameters
    ----------
    power : float
    """

    name = "invscaling"

    def __init__(self, power: float = 0.5) -> None:
        self.power = check_real(power, "power", low=0.0)

    def rate(self, lr0, epoch):
        return lr0 / (epoch + 1) ** self.power

    def config(self):
        return {"power": self.power}


class Cosine(Schedule):
    """Cosine annealing from ``lr0`` to ``min_lr`` over ``period`` epochs, then ``min_lr``.

    ``min_lr + (lr0 - min_lr) * (1 + cos(pi * epoch / period)) / 2`` (Loshchilov & Hutter, 2017).

    Parameters
    ----------
    period : int
    min_lr : float
    """

    name = "cosine"

    def __init__(self, period: int = 100, min_lr: float = 0.0) -> None:
        self.period = check_positive_int(period, "period")
        self.min_lr = check_real(min_lr, "min_lr", low=0.0)

    def rate(self, lr0, epoch):
        t = min(epoch, self.period) / self.period
        return self.min_lr + (lr0 - self.min_lr) * 0.5 * (1 + math.cos(math.pi * t))

    def config(self):
        return {"period": self.period, "min_lr": self.min_lr}


class OneCycle(Schedule):
    """A linear warm-up from 0 to ``lr0``, then a cosine down to ``min_lr``, step by step.

    Over the first ``warmup`` share of ``period`` epochs the rate climbs in a
    straight line from 0 to ``lr0``; over the rest it falls along half a cosine
    to ``min_lr``, and stays there. The rate changes at every step: the loop
    passes the progress in epochs as a float. Small early steps keep Adam's
    first, poorly estimated moments from throwing the weights far; the long
    decay lets the last epoch settle into a minimum (Smith & Topin, 2018, use a
    cycle of this shape to train in few epochs).

    Parameters
    ----------
    period : float
        Epochs of the whole cycle, usually the run's.
    warmup : float
        Share of the cycle spent warming up, in [0, 1).
    min_lr : float
    """

    name = "onecycle"
    per_step = True

    def __init__(self, period: float = 10, warmup: float = 0.2, min_lr: float = 0.0) -> None:
        self.period = check_real(period, "period", low=0.0, low_open=True)
        self.warmup = check_real(warmup, "warmup", low=0.0, high=1.0, high_open=True)
        self.min_lr = check_real(min_lr, "min_lr", low=0.0)

    def rate(self, lr0, epoch):
        t = min(epoch / self.period, 1.0)
        if t < self.warmup:
            return lr0 * t / self.warmup
        t = (t - self.warmup) / (1 - self.warmup)
        return self.min_lr + (lr0 - self.min_lr) * 0.5 * (1 + math.cos(math.pi * t))

    def config(self):
        return {"period": self.period, "warmup": self.warmup, "min_lr": self.min_lr}


class ReduceOnPlateau(Schedule):
    """Multiply the rate by ``factor`` once the metric has not improved for more than ``patience`` epochs.

    As PyTorch's ``ReduceLROnPlateau``: ``patience=2`` lets two epochs pass without improvement and lowers
    the rate after the third (:class:`~glassnet.EarlyStopping`, as Keras's, stops after the second).

    Improvement means falling below the best value so far by more than
    ``threshold`` times its size, ``metric < best - threshold * |best|``: for
    the positive values that losses take, PyTorch's ``best * (1 - threshold)``.
    (For negative values PyTorch's rule counts a value a little above the best
    as an improvement.) The rate never drops below ``min_lr``.

    Parameters
    ----------
    factor : float
        In (0, 1).
    patience : int
    threshold : float
    min_lr : float
    """

    name = "plateau"

    def __init__(self, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 min_lr: float = 0.0) -> None:
        self.factor = check_real(factor, "factor", low=0.0, high=1.0, low_open=True, high_open=True)
        self.patience = check_positive_int(patience, "patience", minimum=0)
        self.threshold = check_real(threshold, "threshold", low=0.0)
        self.min_lr = check_real(min_lr, "min_lr", low=0.0)
        self.scale = 1.0
        self.best = math.inf
        self.wait = 0

    def rate(self, lr0, epoch):
        return max(lr0 * self.scale, min(self.min_lr, lr0))  # a min_lr above lr0 never raises the rate

    def observe(self, metric):
        if metric < self.best - self.threshold * abs(self.best) if math.isfinite(self.best) else metric < self.best:
            self.best, self.wait = metric, 0
            return
        self.wait += 1
        if self.wait > self.patience:
            self.scale *= self.factor
            self.wait = 0

    def config(self):
        return {"factor": self.factor, "patience": self.patience, "threshold": self.threshold,
                "min_lr": self.min_lr}

    def state(self):
        return {"scale": self.scale, "best": self.best, "wait": self.wait}

    def load_state(self, state):
        self.scale, self.best, self.wait = float(state["scale"]), float(state["best"]), int(state["wait"])

    def restart(self):
        super().restart()
        self.scale, self.best, self.wait = 1.0, math.inf, 0


#: every learning-rate schedule by its short name ("constant", "cosine", ...)
SCHEDULES: dict[str, type[Schedule]] = {
    cls.name: cls for cls in (Schedule, StepDecay, ExponentialDecay, InverseScaling, Cosine, OneCycle,
                                  ReduceOnPlateau)
}


def get_schedule(schedule: object, name: str = "schedule") -> Schedule:
    """A schedule object from None (constant), a name or a Schedule.

    Parameters
    ----------
    schedule : None, str or Schedule
        A name is a key of :data:`SCHEDULES`. A schedule with a period made
        from its name (``"cosine"``, ``"onecycle"``) spans the run: the first
        ``fit`` sets its period to the run's epochs, and a later ``fit`` that
        trains past that period warns (see :meth:`Schedule.span`).
    name : str
        The argument's name, for the message.

    Returns
    -------
    Schedule
    """
    if schedule is None:
        return Schedule()
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str) and schedule in SCHEDULES:
        made = SCHEDULES[schedule]()
        made.spans_run = hasattr(made, "period")  # "cosine" and "onecycle" span the run fit makes
        return made
    raise OptionError(
        f"{name} must be a Schedule or one of {', '.join(map(repr, SCHEDULES))}; received {short(schedule)}"
    )
