"""Training: the gradient-descent loop, quasi-Newton solvers, callbacks and history."""

from .callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint, ProgressBar
from .history import History
from .loop import QUASI_NEWTON, fit, resume
from .run import DivergenceWarning, Run, evaluate

__all__ = [
    "Callback", "DivergenceWarning", "EarlyStopping", "History", "LambdaCallback",
    "ModelCheckpoint", "ProgressBar", "QUASI_NEWTON", "Run", "evaluate", "fit", "resume",
]
