"""What a training run records."""

from __future__ import annotations

from dataclasses import dataclass, field


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
        return {"history": self.history, "epochs": self.epochs, "n_grad_evals": self.n_grad_evals}

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
                   epochs=list(data.get("epochs", [])), n_grad_evals=int(data.get("n_grad_evals", 0)))
