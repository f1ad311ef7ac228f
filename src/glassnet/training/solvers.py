"""The two kinds of solver behind one interface: ``fit`` asks its solver, and never tests a name.

A :class:`GradientDescent` solver steps batch by batch with an optimizer's
update rule (:mod:`glassnet.optim`); a :class:`QuasiNewton` solver hands the
whole set's cost and gradient to SciPy's BFGS or L-BFGS-B. :func:`get_solver`
turns what a user writes (``"adam"``, ``gn.SGD(0.1)``, ``"lbfgs"``) into one,
for the library, the estimators and the command line alike.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core._validation import check_memory, check_positive_int, meant, short
from ..core.rows import LazyRows
from ..errors import OptionError
from ..optim import OPTIMIZERS, Optimizer, get_optimizer
from .callbacks import Callback
from .descent import gradient_descent
from .quasi_newton import METHODS, quasi_newton
from .run import Run

Array = Any

#: the names of the quasi-Newton solvers
QUASI_NEWTON = tuple(METHODS)
#: the matrices of n_params x n_params that SciPy's BFGS holds at once during an update: its identity, the
#: inverse Hessian and the new one, the two rank-one corrections and the two products between them
BFGS_MATRICES = 7
#: every solver's name: the optimizers' for gradient descent, then the quasi-Newton ones
SOLVERS = (*OPTIMIZERS, *QUASI_NEWTON)


class Solver:
    """How a run steps. Subclasses set :attr:`name` and :attr:`full_batch` and write :meth:`train`.

    Attributes
    ----------
    name : str
        As model files and checkpoints record it ("adam", "lbfgs").
    full_batch : bool
        Whether every step sees the whole training set (no batches, augmentation, rows read lazily or
        data-parallel training).
    optimizer : Optimizer or None
        The update rule of gradient descent, bound to the model by :meth:`bind`.
    """

    name = ""
    full_batch = False
    optimizer: Optimizer | None = None

    def check(self, X: Array, augment: object, parallel: object, max_fun: int | None) -> int | None:
        """Refuse, by name, what this solver cannot take; ``max_fun`` checked.

        Parameters
        ----------
        X : array
            The prepared training rows.
        augment : callable or None
        parallel : DataParallel or None
        max_fun : int or None

        Returns
        -------
        int or None
            ``max_fun``.
        """
        return max_fun

    def bind(self, model: Any) -> Optimizer | None:
        """Attach the update rule to ``model`` (see :meth:`Optimizer.bind`); None for a quasi-Newton solver.

        Parameters
        ----------
        model : Stack

        Returns
        -------
        Optimizer or None
        """
        return None if self.optimizer is None else self.optimizer.bind(model)

    def train(self, run: Run, X: Array, y: Array, w: Array | None, X_val: Array | None, y_val: Array | None,
              callbacks: list[Callback], *, batch_size: int | None, shuffle: bool,
              augment: Callable[[Any, np.random.Generator], Any] | None, tol: float, max_fun: int | None) -> None:
        """Train ``run.model`` until ``run.epochs``, firing the callbacks.

        Parameters
        ----------
        run : Run
        X, y, w, X_val, y_val : arrays
            Prepared training rows, targets, sample weights and validation data.
        callbacks : list of Callback
        batch_size, shuffle, augment
            For gradient descent.
        tol, max_fun
            For the quasi-Newton solvers.
        """
        raise NotImplementedError


class GradientDescent(Solver):
    """Batch, mini-batch or stochastic gradient descent with ``optimizer``'s rule.

    Parameters
    ----------
    optimizer : Optimizer
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.name = optimizer.name

    def check(self, X: Array, augment: object, parallel: object, max_fun: int | None) -> int | None:
        """``max_fun`` is refused: epochs and batch_size count gradient descent's steps (see :meth:`Solver.check`).

        Parameters
        ----------
        X : array
        augment : callable or None
        parallel : DataParallel or None
        max_fun : int or None

        Returns
        -------
        None
        """
        if max_fun is not None:
            raise OptionError(f"max_fun limits the quasi-Newton solvers ('lbfgs', 'bfgs'); received "
                              f"optimizer={self.name!r}, whose steps epochs and batch_size count")
        return None

    def train(self, run: Run, X: Array, y: Array, w: Array | None, X_val: Array | None, y_val: Array | None,
              callbacks: list[Callback], *, batch_size: int | None, shuffle: bool,
              augment: Callable[[Any, np.random.Generator], Any] | None, tol: float, max_fun: int | None) -> None:
        """One optimizer step per batch (see :func:`glassnet.training.descent.gradient_descent`).

        Parameters
        ----------
        run : Run
        X, y, w, X_val, y_val : arrays
        callbacks : list of Callback
        batch_size, shuffle, augment, tol, max_fun
            As :meth:`Solver.train` takes them.
        """
        gradient_descent(run, X, y, w, X_val, y_val, batch_size, shuffle, callbacks, augment)


class QuasiNewton(Solver):
    """SciPy's BFGS or L-BFGS-B on the whole set (see :func:`glassnet.training.quasi_newton.quasi_newton`).

    Parameters
    ----------
    method : "bfgs" or "lbfgs"
    """

    full_batch = True

    def __init__(self, method: str) -> None:
        self.name = method

    def check(self, X: Array, augment: object, parallel: object, max_fun: int | None) -> int | None:
        """Rows read lazily and augmentation are refused; ``max_fun`` must be positive (see :meth:`Solver.check`).

        Parameters
        ----------
        X : array
        augment : callable or None
        parallel : DataParallel or None
        max_fun : int or None

        Returns
        -------
        int or None
        """
        if isinstance(X, LazyRows):
            raise OptionError(f"X is read lazily ({X!r}), but optimizer={self.name!r} evaluates the whole set at "
                              f"every step; load X into memory or choose a gradient-descent optimizer")
        if augment is not None:
            raise OptionError(f"augment needs a gradient-descent optimizer, which sees new batches at every step; "
                              f"received optimizer={self.name!r}")
        return None if max_fun is None else check_positive_int(max_fun, "max_fun")

    def bind(self, model: Any) -> None:
        """No update rule to attach; BFGS's matrices are checked to fit in memory first.

        SciPy's BFGS keeps an estimate of the inverse Hessian, a float64 matrix of
        ``n_params`` squared, and makes about six more of that size at each update: a
        network of 50,000 parameters would ask for 130 GiB. L-BFGS keeps a few vectors.

        Parameters
        ----------
        model : Stack

        Returns
        -------
        None
        """
        if self.name == "bfgs":
            n = int(model.n_params)
            check_memory(BFGS_MATRICES * 8 * n * n,
                         f"optimizer='bfgs' on {n:,} parameters (its {n:,} x {n:,} matrices; use optimizer='lbfgs', "
                         f"which keeps a few vectors instead)")
        return None

    def train(self, run: Run, X: Array, y: Array, w: Array | None, X_val: Array | None, y_val: Array | None,
              callbacks: list[Callback], *, batch_size: int | None, shuffle: bool,
              augment: Callable[[Any, np.random.Generator], Any] | None, tol: float, max_fun: int | None) -> None:
        """Minimize with SciPy, one epoch per iteration.

        Parameters
        ----------
        run : Run
        X, y, w, X_val, y_val : arrays
        callbacks : list of Callback
        batch_size, shuffle, augment, tol, max_fun
            As :meth:`Solver.train` takes them.
        """
        quasi_newton(run, X, y, w, X_val, y_val, method=self.name, tol=tol, callbacks=callbacks, max_fun=max_fun)


def get_solver(optimizer: object, **options: Any) -> Solver:
    """The solver that ``optimizer`` names, with its options.

    Parameters
    ----------
    optimizer : str, Optimizer or Solver
        A name of :data:`SOLVERS`, an optimizer (gradient descent with its rule) or a solver.
    **options
        The optimizer's options (``lr=0.1``); none for a quasi-Newton solver.

    Returns
    -------
    Solver
    """
    if isinstance(optimizer, Solver):
        if options:
            raise OptionError(f"options {sorted(options)} apply only when the optimizer is given by name")
        return optimizer
    if isinstance(optimizer, str) and optimizer in METHODS:
        if options:
            raise OptionError(f"unknown option(s) for optimizer={optimizer!r}: {', '.join(sorted(options))}")
        return QuasiNewton(optimizer)
    if isinstance(optimizer, Optimizer) or (isinstance(optimizer, str) and optimizer in OPTIMIZERS):
        return GradientDescent(get_optimizer(optimizer, **options))
    raise OptionError(f"optimizer must be an Optimizer or one of {', '.join(map(repr, SOLVERS))}; "
                      f"received {short(optimizer)}{meant(optimizer, list(SOLVERS))}")


#: other libraries' names for fit's arguments and the optimizers' options (Keras, scikit-learn, PyTorch)
ALIASES = {"learning_rate": "lr", "learning_rate_init": "lr", "max_iter": "epochs", "n_epochs": "epochs",
           "num_epochs": "epochs", "validation_fraction": "validation_split", "weight_decay": "l2"}


def misspelt(optimizer: object, options: dict, arguments: list[str]) -> str:
    """A hint for an option that no optimizer takes and that looks like one of ``arguments`` (fit's own,
    misspelt: ``epocs=5``) or is another library's name for one (:data:`ALIASES`), or "".

    Parameters
    ----------
    optimizer : object
        As given to :func:`get_solver`.
    options : dict
        The options that it refused.
    arguments : list of str
        The names the option may have been meant as.

    Returns
    -------
    str
    """
    known = OPTIMIZERS.get(optimizer) if isinstance(optimizer, str) else None
    unknown = sorted(set(options) - (set(inspect.signature(known).parameters) if known is not None else set()))
    for name in unknown:
        if name in ALIASES:
            return f"; glassnet calls {name} {ALIASES[name]}: did you mean {ALIASES[name]}=?"
        near = difflib.get_close_matches(name, arguments, n=1, cutoff=0.8)
        if near:
            return f"; fit's own arguments include {near[0]}: did you mean {near[0]}= where you wrote {name}=?"
    return "; fit hands the arguments that are not its own to the optimizer" if unknown else ""


def is_full_batch(name: str) -> bool:
    """Whether the solver called ``name`` takes the whole set at every step (the quasi-Newton ones).

    Parameters
    ----------
    name : str

    Returns
    -------
    bool
    """
    return name in METHODS
