"""The optional accelerator: a few hot spots compiled by numba, each beside the NumPy code it replaces.

NumPy runs an element-wise formula as one pass over memory per operation: 2x2 max pooling's forward pass is
four strided reads, its backward pass four comparisons and four strided writes. A kernel compiled by numba
does the same work in one pass. With numba installed (``pip install -e '.[fast]'``)
and the environment variable ``GLASSNET_ACCELERATE`` not ``0``, the engine asks :func:`kernel` for the
compiled version of a hot spot and calls it; otherwise, and for any array that :func:`fits` refuses, it runs
its NumPy code, which stays the reference: the tests hold every kernel to its NumPy twin, and run the whole
suite both ways.

numba is imported, and a kernel compiled, only when a kernel is first needed, never by ``import glassnet``.
Compiled kernels are cached on disk (numba's cache: ``__pycache__`` beside ``ops/kernels.py``, or numba's
own folder where that is not writable), so a run pays the compilation once per machine.

A kernel stays only where it makes the benchmark it serves at least 15 % faster, counting numba's own start
(about 0.6 s a process: its import, and its runtime at the first compiled call) on a warm cache. 2x2 max
pooling does, on the conv recipe of the speedrun. Adam's update in one pass did not: 3.3 times faster per
step, but the MLP recipe trains in under 3 s, and numba's start made it 13 % slower.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy as np

#: the environment variable that turns the accelerator off ("0") where numba is installed
SWITCH = "GLASSNET_ACCELERATE"

_state: dict[str, Any] = {"on": None}


def enabled() -> bool:
    """Whether the compiled kernels are used: numba is installed and ``GLASSNET_ACCELERATE`` is not ``0``.

    Read once, at the first kernel asked for.

    Returns
    -------
    bool
    """
    if _state["on"] is None:
        _state["on"] = os.environ.get(SWITCH, "1") != "0" and importlib.util.find_spec("numba") is not None
    return bool(_state["on"])


def use(on: bool | None) -> None:
    """Turn the accelerator on or off for this process (``None``: as the environment says).

    Parameters
    ----------
    on : bool or None
        ``True`` still needs numba installed.
    """
    _state["on"] = None if on is None else bool(on) and importlib.util.find_spec("numba") is not None


def kernel(name: str) -> Callable[..., Any] | None:
    """The compiled kernel ``name`` from ``glassnet.ops.kernels``, or None when the accelerator is off.

    The first call imports numba and the kernels (compiling each at its first use, or loading it from
    numba's cache).

    Parameters
    ----------
    name : str

    Returns
    -------
    callable or None
    """
    if not enabled():
        return None
    return getattr(importlib.import_module("glassnet.ops.kernels"), name)  # after the first call, from sys.modules


def fits(*arrays: Any) -> bool:
    """Whether a kernel can take these arrays: NumPy arrays, C-contiguous, of one dtype, float32 or float64.

    Arrays of another namespace (CuPy), strided views and other dtypes take the NumPy path.

    Parameters
    ----------
    *arrays : array

    Returns
    -------
    bool
    """
    first = arrays[0]
    return (type(first) is np.ndarray and first.dtype in (np.float32, np.float64)
            and all(type(a) is np.ndarray and a.dtype == first.dtype and a.flags.c_contiguous for a in arrays))
