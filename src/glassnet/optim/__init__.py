"""Optimizers over the flat parameter vector, and learning-rate schedules."""

import inspect

from ..core._validation import meant, short
from ..errors import OptionError
from .adaptive import Adam, AdamW, RMSProp
from .base import Optimizer, check_options
from .schedules import (
    SCHEDULES,
    Constant,
    Cosine,
    ExponentialDecay,
    InverseScaling,
    OneCycle,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
    get_schedule,
)
from .sgd import SGD

#: every optimizer class by its short name ("sgd", "adam", ...)
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, RMSProp, Adam, AdamW)
}

#: Each optimizer's default learning rate, read from its class's signature, so that the library,
#: the command line and its help text say the same.
DEFAULT_LR: dict[str, float] = {
    name: inspect.signature(cls).parameters["lr"].default for name, cls in OPTIMIZERS.items()
}


def get_optimizer(optimizer: object, name: str = "optimizer", **options) -> Optimizer:
    """An optimizer from a name and options, or the optimizer itself.

    Parameters
    ----------
    optimizer : str or Optimizer
        "sgd", "rmsprop", "adam", "adamw", or an Optimizer.
    name : str
        The argument's name, for messages.
    **options
        The optimizer's options by name (``lr=0.1, momentum=0.9``). Names are
        checked first, so a bad value is reported as a bad value.

    Returns
    -------
    Optimizer
    """
    if isinstance(optimizer, Optimizer):
        if options:
            raise OptionError(f"options {sorted(options)} apply only when {name} is given by name")
        return optimizer
    if isinstance(optimizer, str) and optimizer in OPTIMIZERS:
        cls = OPTIMIZERS[optimizer]
        check_options(cls, options, optimizer)
        return cls(**options)
    raise OptionError(
        f"{name} must be an Optimizer or one of {', '.join(map(repr, OPTIMIZERS))}; received {short(optimizer)}"
        f"{meant(optimizer, list(OPTIMIZERS))}"
    )


__all__ = [
    "DEFAULT_LR", "OPTIMIZERS", "SCHEDULES", "SGD", "Adam", "AdamW", "Constant", "Cosine", "ExponentialDecay",
    "InverseScaling", "OneCycle", "Optimizer", "RMSProp", "ReduceOnPlateau", "Schedule", "StepDecay",
    "check_options", "get_optimizer", "get_schedule",
]
