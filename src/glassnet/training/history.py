"""What a training run records."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core._html import table
from ..core._svg import SvgCanvas
from ..core._validation import short
from ..errors import OptionTypeError


@dataclass
class History:
    """Per-epoch (or, for BFGS and L-BFGS, per-iteration) records of one ``fit``.

    ``history["loss"]`` is the training cost of each epoch (the mean over its
    batches, L2 term included), ``history["val_loss"]`` the validation cost at
    the epoch's end; ``accuracy`` and ``val_accuracy`` for classification;
    ``lr`` the learning rate used.

    Attributes
    ----------
    history : dict of str to list of float
        Each metric, one value per epoch.
    epochs : list of int
        The epochs recorded (from ``initial_epoch`` on).
    n_grad_evals : int
    seconds : float
    stopped_early, diverged : bool
    learned : bool or None
        False when the run ended no better than chance (see :mod:`glassnet.training.guard`);
        None when that was not checked (a run that diverged, was interrupted or ran no epoch).
    converged : bool or None
        Whether a quasi-Newton solver reported convergence.
    interrupted : bool
        Whether Ctrl-C ended the run (the model then holds the last complete epoch's weights).
    best_epoch : int or None
        With ``keep_best``: the epoch whose weights the model ended with.
    message : str
        Why the run ended, when it was not by reaching ``epochs``.
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    n_grad_evals: int = 0
    seconds: float = 0.0
    stopped_early: bool = False
    diverged: bool = False
    learned: bool | None = None
    converged: bool | None = None
    interrupted: bool = False
    best_epoch: int | None = None
    message: str = ""

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append an epoch's metrics.

        Parameters
        ----------
        epoch : int
        logs : dict of str to float
        """
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def record_late(self, logs: Mapping[str, object]) -> None:
        """Add the logs a callback wrote into the last epoch's after it was recorded: metrics of its own.

        A log first written at a later epoch, or not at every epoch, holds NaN
        at the epochs without it, so that each list keeps one value per epoch
        and a resumed run reads it back (``EarlyStopping(monitor="val_f1", mode="max", restore_best=False)``).

        Parameters
        ----------
        logs : dict of str to float
        """
        n = len(self.epochs)
        for key, value in logs.items():
            values = self.history.setdefault(key, [])
            if len(values) < n:
                try:
                    number = float(value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise OptionTypeError(f"logs[{key!r}] must be a number, as the history keeps one each epoch; a "
                                          f"callback wrote {short(value)}") from None
                values.extend([math.nan] * (n - 1 - len(values)))
                values.append(number)

    def truncate(self, n_epochs: int) -> None:
        """Forget the records after the first ``n_epochs`` (an interrupted epoch's, half written).

        Parameters
        ----------
        n_epochs : int
        """
        del self.epochs[n_epochs:]
        for values in self.history.values():
            del values[n_epochs:]

    def __getitem__(self, key: str) -> list[float]:
        """The values of metric ``key``, one per epoch."""
        return self.history[key]

    def __getattr__(self, name: str) -> list[float]:
        """A recorded metric by attribute, as ``loss`` is: ``history.accuracy``, ``history.val_loss``."""
        records = self.__dict__.get("history", {})  # (absent while a copy or unpickling builds the object)
        if name.startswith("_") or name not in records:
            raise AttributeError(f"History has no {name!r}: its metrics are {', '.join(map(repr, records)) or 'none'}")
        return records[name]

    @property
    def loss(self) -> list[float]:
        """The training cost of each epoch."""
        return self.history.get("loss", [])

    @property
    def n_epochs(self) -> int:
        """The number of epochs recorded."""
        return len(self.epochs)

    def as_dict(self) -> dict:
        """The records as JSON-ready data, as checkpoints store them.

        Returns
        -------
        dict
        """
        data = {"history": self.history, "epochs": self.epochs, "n_grad_evals": self.n_grad_evals}
        return {**data, "stopped_early": True} if self.stopped_early else data  # a resume says the run had ended

    @classmethod
    def from_dict(cls, data: dict) -> History:
        """Rebuild from :meth:`as_dict`.

        Parameters
        ----------
        data : dict

        Returns
        -------
        History
        """
        return cls(history={k: list(v) for k, v in data.get("history", {}).items()},
                   epochs=list(data.get("epochs", [])), n_grad_evals=int(data.get("n_grad_evals", 0)),
                   stopped_early=data.get("stopped_early") is True)

    def __repr__(self) -> str:
        last = f", loss {self.loss[-1]:.6g} at the end" if self.loss else ""
        return f"History({self.n_epochs} epochs{last})"

    def _repr_html_(self) -> str:
        """The learning curve and the last epoch's metrics, for Jupyter."""
        last = [[key, f"{values[-1]:.6g}"] for key, values in self.history.items() if values and key != "lr"]
        ended = f"; {self.message}" if self.message else ""
        caption = f"{self.n_epochs:,} epochs in {self.seconds:.2f}\u00a0s{ended}"  # the unit kept beside its number
        return f'<div>{curve_svg(self)}{table(["metric", "last epoch"], last, caption=caption)}</div>'


def curve_svg(history: History, width: float = 420.0, height: float = 220.0) -> str:
    """The training and validation costs against the epoch, as an SVG picture.

    Parameters
    ----------
    history : History
    width, height : float

    Returns
    -------
    str
    """
    canvas = SvgCanvas(width, height)
    left, top, right, bottom = 58.0, 14.0, width - 22.0, height - 34.0  # room for the last epoch's number
    series = [(key, colour) for key, colour in (("loss", "#1f6fb4"), ("val_loss", "#e0701b"))
              if history.history.get(key)]
    values = [v for key, _ in series for v in history.history[key] if math.isfinite(v)]
    canvas.line([(left, top), (left, bottom), (right, bottom)], stroke="#444", width=1.0)
    if not values or not history.epochs:
        canvas.text(left + 10, top + 20, "no epoch recorded")
        return canvas.render()
    # a cost that falls over more than two decades on a log axis, as plots.learning_curves draws it: on a
    # linear one, 0.84 to 9e-5 over 10,000 epochs was an L, flat after the first hundred
    log = min(values) > 0 and max(values) / min(values) > 100
    scale = math.log10 if log else float
    low, high = scale(min(values)), scale(max(values))
    high = high if high > low else low + 1.0
    first, last = history.epochs[0], history.epochs[-1]
    span = max(last - first, 1)

    def point(epoch: int, v: float) -> tuple[float, float]:
        return left + (epoch - first) / span * (right - left), bottom - (scale(v) - low) / (high - low) * (bottom - top)

    every = max(1, len(history.epochs) // 400)  # a long run drawn from at most about 400 points
    for key, colour in series:
        pts = [point(e, v) for e, v in list(zip(history.epochs, history.history[key]))[::every] if math.isfinite(v)]
        canvas.line(pts if len(pts) > 1 else pts * 2, stroke=colour, width=2.0)
    for v in (min(values), max(values)):
        canvas.text(left - 4, point(first, v)[1] + 4, f"{v:.3g}", size=10.0, anchor="end")
    for e in sorted({first, last}):
        canvas.text(point(e, min(values))[0], bottom + 14, f"{e + 1:,}", size=10.0, anchor="middle")
    canvas.text((left + right) / 2, height - 4, "epoch" + (" (cost on a log scale)" if log else ""), size=10.0,
                anchor="middle")
    for i, (key, colour) in enumerate(series):
        canvas.line([(right - 110, top + 8 + 14 * i), (right - 92, top + 8 + 14 * i)], stroke=colour, width=2.0)
        canvas.text(right - 86, top + 12 + 14 * i, key, size=10.0)
    return canvas.render()
