"""Training: the gradient-descent loop, quasi-Newton solvers, callbacks and history."""

from .callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint, ProgressBar
from .history import History
from .loop import DivergenceWarning, evaluate, fit, resume

__all__ = [
    "Callback", "DivergenceWarning", "EarlyStopping", "History", "LambdaCallback",
    "ModelCheckpoint", "ProgressBar", "evaluate", "fit", "resume",
]
