"""Training: the gradient-descent loop, quasi-Newton solvers, callbacks and history."""

from .callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint, ProgressBar
from .data import evaluate
from .history import History
from .loop import fit
from .resuming import resume
from .run import DivergenceWarning, Run
from .solvers import QUASI_NEWTON, SOLVERS, GradientDescent, QuasiNewton, Solver, get_solver

__all__ = [
    "Callback", "DivergenceWarning", "EarlyStopping", "History", "LambdaCallback",
    "ModelCheckpoint", "ProgressBar", "QUASI_NEWTON", "Run", "evaluate", "fit", "resume",
    "GradientDescent", "QuasiNewton", "SOLVERS", "Solver", "get_solver",
]
