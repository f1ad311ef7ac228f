"""The array seam: which library's functions the engine calls.

glassnet's engine (layers, losses, the objective, optimizers, the training
step) never names NumPy for arithmetic on a model's arrays. It asks
:func:`namespace` for the module that owns them and calls that module's
functions, written against NumPy's API (``xp.matmul(x, W, out=z)``,
``xp.exp``, ``xp.take``). For NumPy arrays that module is ``numpy`` itself; an
array library that implements NumPy's API and the ``__array_namespace__``
protocol (CuPy on a GPU) gets its own module back, and the same code runs on
its arrays.

Two CPU shortcuts sit behind this seam, each beside a plain equivalent that
every namespace can run: SciPy's ``expit`` for the sigmoid (else
``exp(-logaddexp(0, -z))``), and level-1 BLAS calls into NumPy's own OpenBLAS
for the optimizers' whole-vector updates (:mod:`glassnet._blas`; else NumPy-API
arithmetic). Reused buffers (``out=`` arguments) are part of NumPy's API and
stay on every path.

What a GPU backend still needs is listed in ``docs/arrays.md``.
"""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Any

import numpy as np


def namespace(*arrays: Any) -> ModuleType:
    """The array module that owns ``arrays``: NumPy unless one of them says otherwise.

    Parameters
    ----------
    *arrays : array-like or None
        Arrays of one library; ``None``, Python scalars and NumPy arrays are skipped.

    Returns
    -------
    module
        ``numpy``, or what the first non-NumPy array's ``__array_namespace__()`` returns.
    """
    for a in arrays:
        if a is None or isinstance(a, (np.ndarray, np.generic, int, float, bool)):
            continue
        get = getattr(a, "__array_namespace__", None)
        if get is not None:
            return get()
    return np


def is_sparse(x: Any) -> bool:
    """Whether ``x`` is a SciPy sparse matrix or array (without importing SciPy).

    Parameters
    ----------
    x : object

    Returns
    -------
    bool
    """
    return type(x).__module__.startswith("scipy.sparse") and hasattr(x, "tocsr")


def is_numpy(xp: ModuleType) -> bool:
    """Whether ``xp`` is NumPy, where the CPU shortcuts apply.

    Parameters
    ----------
    xp : module
        An array namespace from :func:`namespace`.

    Returns
    -------
    bool
    """
    return xp is np


def to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array: itself for NumPy, a copy to the host otherwise.

    Parameters
    ----------
    x : array of any supported namespace

    Returns
    -------
    numpy.ndarray
        The same values; for CuPy-like arrays through their ``get()`` method,
        else through DLPack.
    """
    if isinstance(x, np.ndarray):
        return x
    get = getattr(x, "get", None)
    if callable(get):
        return np.asarray(get())
    return np.from_dlpack(x)


def errstate(xp: ModuleType, **kwargs: Any) -> contextlib.AbstractContextManager:
    """NumPy's floating-point error handling for a block, where the namespace has it.

    Parameters
    ----------
    xp : module
        The array namespace in use.
    **kwargs : str
        As for ``numpy.errstate`` (``over="ignore"``, ...).

    Returns
    -------
    context manager
        ``numpy.errstate(**kwargs)`` for NumPy; a no-op otherwise (GPU libraries
        do not signal floating-point errors).
    """
    return np.errstate(**kwargs) if xp is np else contextlib.nullcontext()
