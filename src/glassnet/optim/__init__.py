"""Optimizers over the flat parameter vector, and learning-rate schedules."""

from .adaptive import Adam, AdamW, RMSProp
from .base import Optimizer
from .schedules import (
    SCHEDULES,
    Constant,
    Cosine,
    ExponentialDecay,
    InverseScaling,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
    get_schedule,
)
from .sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, RMSProp, Adam, AdamW)
}


def get_optimizer(optimizer: object, name: str = "optimizer", **options) -> Optimizer:
    """An optimizer from a name ("sgd", "rmsprop", "adam", "adamw") and options, or as is."""
    if isinstance(optimizer, Optimizer):
        if options:
            raise ValueError(f"options {sorted(options)} apply only when {name} is given by name")
        return optimizer
    if isinstance(optimizer, str) and optimizer in OPTIMIZERS:
        cls = OPTIMIZERS[optimizer]
        try:
            return cls(**options)
        except TypeError as exc:
            raise ValueError(f"unknown option for {name}={optimizer!r}: {exc}") from None
    raise ValueError(
        f"{name} must be an Optimizer or one of {', '.join(map(repr, OPTIMIZERS))}; received {optimizer!r}"
    )


__all__ = [
    "OPTIMIZERS", "SCHEDULES", "SGD", "Adam", "AdamW", "Constant", "Cosine", "ExponentialDecay",
    "InverseScaling", "Optimizer", "RMSProp", "ReduceOnPlateau", "Schedule", "StepDecay",
    "get_optimizer", "get_schedule",
]
