"""Costs, and the objective that adds the L2 and L1 terms over a model's flat parameter vector."""

from .costs import (
    LOSSES,
    AbsoluteError,
    BinaryCrossEntropy,
    Huber,
    Loss,
    PoissonDeviance,
    SoftmaxCrossEntropy,
    SquaredError,
    get_loss,
    loss_from_config,
)
from .objective import Objective

__all__ = ["LOSSES", "AbsoluteError", "BinaryCrossEntropy", "Huber", "Loss", "Objective", "PoissonDeviance",
           "SoftmaxCrossEntropy", "SquaredError", "get_loss", "loss_from_config"]
