"""Training recipes: a network, an optimizer and a schedule chosen together to reach a target fast.

A :class:`Recipe` is everything about a run except the data and the seed: the
network's shape, the batch size, the number of epochs, and Adam's rate under a
one-cycle schedule (:class:`~glassnet.optim.OneCycle`). :data:`FAST` holds the
two recipes of ``glassnet train --dataset mnist --recipe fast``:

- ``FAST["mlp"]``: 784-256-128-10 with ReLU, batch 128, 3 epochs, peak rate
  0.005. On two CPU cores it passes 98 % test accuracy in about 2 seconds.
- ``FAST["cnn"]``: :func:`glassnet.cnn` with 16 and 32 channels and a 64-wide
  hidden layer, batch 64, 3 epochs, peak rate 0.003: 99 % in under a minute.

docs/speedrun.md gives the reasoning behind each choice, what did not help,
and the measurements (``benchmarks/speedrun.py``).

    >>> import glassnet as gn
    >>> model = gn.recipes.FAST["mlp"].build(n_features=784, n_classes=10, rng=0)
    >>> history = gn.recipes.FAST["mlp"].fit(model, X, y)      # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from ..core._validation import check_choice, check_flag, check_positive_int, check_real, short
from ..errors import OptionError
from ..optim import Adam
from ..optim.schedules import OneCycle
from . import History
from .models import Sequential, cnn, mlp


@dataclass(frozen=True)
class Recipe:
    """A network and the way to train it.

    Parameters
    ----------
    arch : "mlp" or "cnn"
    hidden : tuple of int
        The MLP's hidden widths; for the conv net, its convolution channels.
    dense : int
        The conv net's fully connected hidden width (unused by the MLP).
    batch_norm : bool
        The conv net normalizes each block's output (its convolutions then have no bias).
    batch_size : int
    epochs : int
    lr : float
        Adam's peak rate, reached at the end of the warm-up.
    warmup : float
        Share of the run spent warming up (see :class:`~glassnet.optim.OneCycle`).
    """

    arch: str
    hidden: tuple[int, ...]
    batch_size: int
    epochs: int
    lr: float
    warmup: float = 0.2
    dense: int = 0
    batch_norm: bool = True

    def __post_init__(self) -> None:  # a recipe made or changed by hand is checked as fit checks its arguments
        hidden = self.hidden
        if not isinstance(hidden, (tuple, list)) or not hidden:
            raise OptionError(f"hidden must be a tuple of one or more widths; received {short(hidden)}")
        checked = {"arch": check_choice(self.arch, "arch", ("mlp", "cnn")),
                   "hidden": tuple(check_positive_int(h, "hidden") for h in hidden),
                   "batch_size": check_positive_int(self.batch_size, "batch_size"),
                   "epochs": check_positive_int(self.epochs, "epochs"),
                   "lr": check_real(self.lr, "lr", low=0.0, low_open=True),
                   "warmup": check_real(self.warmup, "warmup", low=0.0, high=1.0, high_open=True),
                   "dense": check_positive_int(self.dense, "dense", minimum=0),
                   "batch_norm": check_flag(self.batch_norm, "batch_norm")}
        for name, value in checked.items():
            object.__setattr__(self, name, value)  # frozen: NumPy's numbers and lists stored as Python's

    def build(self, n_features: int | None = None, n_classes: int = 10, *,
              image_shape: tuple[int, int, int] = (1, 28, 28), rng: object = None,
              dtype: object = "float32", dropout: float = 0.0) -> Sequential:
        """The recipe's network, with fresh weights from ``rng``.

        Parameters
        ----------
        n_features : int, optional
            The MLP's input width (default: the pixels of ``image_shape``).
        n_classes : int
        image_shape : (channels, rows, columns)
            The conv net's input.
        rng : None, int or numpy.random.Generator
        dtype : float32 (default) or float64
        dropout : float
            The share of units dropped in training: before the conv net's last layer, after each of the
            MLP's hidden ones (the recipe's own: none).

        Returns
        -------
        Sequential
        """
        if self.arch == "cnn":
            return cnn(image_shape, n_classes, channels=self.hidden, hidden=self.dense,
                       batch_norm=self.batch_norm, dropout=dropout, rng=rng, dtype=dtype)
        if n_features is None:
            c, h, w = image_shape
            n_features = c * h * w
        return mlp([n_features, *self.hidden, n_classes], activation="relu", dropout=dropout, rng=rng, dtype=dtype)

    def schedule(self) -> OneCycle:
        """The recipe's one cycle, spanning all its epochs.

        Returns
        -------
        OneCycle
        """
        return OneCycle(period=self.epochs, warmup=self.warmup)

    def optimizer(self) -> Adam:
        """Adam under :meth:`schedule`.

        Returns
        -------
        Adam
        """
        return Adam(self.lr, schedule=self.schedule())

    def fit(self, model: Sequential, X: object, y: object, **kwargs: Any) -> History:
        """Train ``model`` by the recipe; see :func:`glassnet.fit`.

        Parameters
        ----------
        model : Sequential
            From :meth:`build`.
        X, y : array_like
            Images are (samples, channels, rows, columns) for the conv net, flat rows for the MLP.
        **kwargs
            Any other keyword of :func:`glassnet.fit` (``validation_data``, ``callbacks``, ``verbose``...).

        Returns
        -------
        History
        """
        fixed = {"loss", "optimizer", "epochs", "batch_size", "lr"}
        if clash := sorted(fixed & set(kwargs)):
            raise OptionError(f"the recipe sets {', '.join(clash)}; change them with recipe.with_(...) instead")
        return model.fit(X, y, loss="cross_entropy", optimizer=self.optimizer(), epochs=self.epochs,
                         batch_size=self.batch_size, **kwargs)

    def with_(self, **changes: Any) -> Recipe:
        """A copy with some settings changed (``FAST["mlp"].with_(epochs=4)``).

        Parameters
        ----------
        **changes
            New values of the recipe's fields, by name.

        Returns
        -------
        Recipe
        """
        names = [f.name for f in fields(self)]
        if unknown := sorted(set(changes) - set(names)):
            raise OptionError(f"a recipe has no setting {', '.join(map(repr, unknown))}; its settings are "
                              f"{', '.join(names)}")
        return replace(self, **changes)


#: glassnet train --recipe fast: MNIST to 98 % (MLP) and 99 % (conv net) on two CPU cores
FAST: dict[str, Recipe] = {
    "mlp": Recipe("mlp", (256, 128), batch_size=128, epochs=3, lr=0.005),
    "cnn": Recipe("cnn", (16, 32), dense=64, batch_size=64, epochs=3, lr=0.003),
}


def get_recipe(name: str, arch: str = "mlp") -> Recipe:
    """A recipe by name (only "fast" so far) and architecture.

    Parameters
    ----------
    name : str
    arch : "mlp" or "cnn"

    Returns
    -------
    Recipe
    """
    if name != "fast":
        raise OptionError(f"recipe must be 'fast'; received {short(name)}")
    if arch not in FAST:
        raise OptionError(f"arch must be one of {', '.join(map(repr, FAST))}; received {short(arch)}")
    return FAST[arch]


__all__ = ["FAST", "Recipe", "get_recipe"]
