"""Cost functions by name: the table of costs, and the look-ups that build one from a name or a model file.

Every cost is a mean over samples (the "cost" of tutorial 04, an average of
per-sample losses), except :class:`SquaredError` with ``reduction="sum"``, the
sum that tutorials 02 and 05 minimize. The base class is in :mod:`.base`; the
costs for numbers are in :mod:`.regression`, those for classes in
:mod:`.classification`. All of them can be imported from here as well.
"""

from __future__ import annotations

from ..core._validation import meant, short
from ..errors import OptionError
from .base import Array, Loss
from .classification import BinaryCrossEntropy, SoftmaxCrossEntropy
from .regression import AbsoluteError, Huber, PoissonDeviance, SquaredError

__all__ = ["ALIASES", "LOSSES", "AbsoluteError", "Array", "BinaryCrossEntropy", "Huber", "Loss", "PoissonDeviance",
           "SoftmaxCrossEntropy", "SquaredError", "get_loss", "loss_from_config"]


#: every cost by its short name, as ``get_loss``, model files and the command line spell it
LOSSES: dict[str, type[Loss]] = {
    "squared_error": SquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "poisson": PoissonDeviance,
    "absolute_error": AbsoluteError,
    "huber": Huber,
}
ALIASES = {"mse": "squared_error", "bce": "binary_cross_entropy", "cross_entropy": "softmax_cross_entropy"}


def loss_from_config(config: dict) -> Loss:
    """Rebuild a loss from its description, as checkpoints store it.

    Parameters
    ----------
    config : dict
        ``{"name": class name, **loss.config()}``.

    Returns
    -------
    Loss
    """
    config = dict(config)
    by_class = {cls.__name__: cls for cls in LOSSES.values()}
    name = config.pop("name", None)
    if name not in by_class:
        raise OptionError(f"unknown loss {name!r}; known losses: {', '.join(by_class)}")
    return by_class[name](**config)


def get_loss(loss: str | Loss, name: str = "loss") -> Loss:
    """A loss object from a name, or the loss itself.

    Parameters
    ----------
    loss : str or Loss
        "squared_error" ("mse"), "binary_cross_entropy" ("bce"),
        "softmax_cross_entropy" ("cross_entropy"), "poisson",
        "absolute_error", "huber", or a Loss.
    name : str
        The argument's name, for the message.

    Returns
    -------
    Loss
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        key = ALIASES.get(loss, loss)
        if key in LOSSES:
            return LOSSES[key]()
    names = list(LOSSES) + list(ALIASES)
    raise OptionError(f"{name} must be a Loss or one of {', '.join(map(repr, names))}; received {short(loss)}"
                      f"{meant(loss, names)}")
