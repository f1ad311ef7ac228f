"""The array seam: which library's functions the engine calls.

glassnet's engine (layers, losses, the objective, optimizers, the training
step) never names NumPy for arithmetic on a model's arrays. It asks
:func:`namespace` for the module that owns them and calls that module's
functions, written against NumPy's API (``xp.matmul(x, W, out=z)``,
``xp.exp``, ``xp.take``). For NumPy arrays that module is ``numpy`` itself; an
array library that implements NumPy's API gets its own module back, and the
same code runs on its arrays. A library's arrays are recognized by the
``__array_namespace__`` protocol where they have it, else by a small registry
of known array types (:func:`register`): CuPy's arrays, for one, have no
``__array_namespace__``.

A *device* names where a model's arrays live (:func:`resolve_device`):
``"cpu"`` is NumPy, ``"gpu"`` (or ``"gpu:1"``, ``"cuda"``) is CuPy on that GPU.

Two CPU shortcuts sit behind this seam, each beside a plain equivalent that
every namespace can run: SciPy's ``expit`` for the sigmoid (else
``exp(-logaddexp(0, -z))``), and level-1 BLAS calls into NumPy's own OpenBLAS
for the optimizers' whole-vector updates (:mod:`glassnet.ops._blas`; else NumPy-API
arithmetic). Reused buffers (``out=`` arguments) are part of NumPy's API and
stay on every path.

What a GPU backend still needs is listed in ``docs/arrays.md``.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import DeviceMemoryError, MissingDependencyError, OptionError, OptionTypeError

#: array types registered with :func:`register`, and their modules
_TYPES: dict[type, ModuleType] = {}
#: libraries whose arrays are known by the package that defines their type, imported when first met
_PACKAGES = {"cupy": "cupy"}
#: the library a "gpu" device runs on
GPU_LIBRARY = "cupy"


def register(array_type: type, module: ModuleType) -> None:
    """Tell :func:`namespace` that arrays of ``array_type`` (and its subclasses) belong to ``module``.

    For libraries whose arrays lack ``__array_namespace__``; CuPy's are known already.

    Parameters
    ----------
    array_type : type
    module : module
        The library's NumPy-like module.
    """
    if not isinstance(array_type, type):
        raise OptionTypeError(f"array_type must be a class; received {array_type!r:.60}")
    if not isinstance(module, ModuleType):
        raise OptionTypeError(f"module must be a module with NumPy's API; received {module!r:.60}")
    _TYPES[array_type] = module


def namespace(*arrays: Any) -> ModuleType:
    """The array module that owns ``arrays``: NumPy unless one of them belongs to another library.

    NumPy's arrays always give ``numpy`` itself (not a wrapper of it), so that
    the CPU shortcuts apply. Another array is recognized by its
    ``__array_namespace__()``, else by its type: one registered with
    :func:`register`, or one defined by a known library (CuPy).

    Parameters
    ----------
    *arrays : array_like or None
        Arrays of one library; ``None``, Python scalars and NumPy arrays are skipped.

    Returns
    -------
    module
    """
    for a in arrays:
        if a is None or isinstance(a, (np.ndarray, np.generic, int, float, bool)):
            continue
        get = getattr(a, "__array_namespace__", None)
        if get is not None:
            return get()
        kind = type(a)
        for cls in kind.__mro__:
            if cls in _TYPES:
                return _TYPES[cls]
        package = kind.__module__.split(".", 1)[0]
        if package in _PACKAGES:
            return importlib.import_module(_PACKAGES[package])
    return np


def resolve_device(device: Any) -> tuple[ModuleType, int | None]:
    """The array module and device index that ``device`` names.

    Parameters
    ----------
    device : str or module
        ``"cpu"`` (NumPy), ``"gpu"`` or ``"cuda"`` (CuPy on the current GPU),
        ``"gpu:N"`` or ``"cuda:N"`` (GPU number N), or an array module itself
        (``numpy``, ``cupy``).

    Returns
    -------
    (module, int or None)

    Raises
    ------
    OptionError
        A name that is none of these.
    MissingDependencyError
        A GPU asked for where CuPy is not installed.
    """
    if isinstance(device, ModuleType):
        return device, None
    if not isinstance(device, str):
        raise OptionTypeError(f"device must be 'cpu', 'gpu', 'gpu:N' or an array module; received {device!r:.60}")
    name = device.strip().lower()
    if name in ("cpu", "numpy"):
        return np, None
    match = re.fullmatch(r"(?:gpu|cuda)(?::([0-9]{1,3}))?", name)
    if match is None:
        raise OptionError(f"device must be 'cpu', 'gpu' or 'gpu:N' (N a GPU's number, from 0); "
                          f"received {device!r:.60}")
    return gpu_library(), None if match.group(1) is None else int(match.group(1))


def gpu_library() -> ModuleType:
    """CuPy, imported; a clear error where it is not installed.

    Returns
    -------
    module
    """
    try:
        return importlib.import_module(GPU_LIBRARY)
    except ImportError:
        raise MissingDependencyError(
            "device='gpu' needs CuPy, which is not installed: pip install -e '.[gpu]' in glassnet's folder "
            "(CuPy for CUDA 12), or pip install cupy-cuda13x for CUDA 13 (nvidia-smi shows the version)"
        ) from None


def device_name(xp: ModuleType, index: int | None = None) -> str:
    """How a device is written: ``"cpu"`` for NumPy, else ``"gpu"`` or ``"gpu:1"``.

    Parameters
    ----------
    xp : module
    index : int, optional

    Returns
    -------
    str
    """
    if xp is np:
        return "cpu"
    return "gpu" if index is None else f"gpu:{index}"


def on_device(xp: ModuleType, index: int | None) -> contextlib.AbstractContextManager:
    """Make GPU ``index`` the current one for a block (CuPy allocates and computes on the current device).

    Parameters
    ----------
    xp : module
    index : int or None
        None leaves the current device as it is.

    Returns
    -------
    context manager
    """
    if index is None or xp is np:
        return contextlib.nullcontext()
    return xp.cuda.Device(index)


@contextlib.contextmanager
def device_errors() -> Iterator[None]:
    """Turn a GPU library's out-of-memory error into :class:`~glassnet.errors.DeviceMemoryError`.

    CuPy says ``Out of memory allocating 1,073,741,824 bytes (allocated so
    far: ...)`` from deep in a traceback; the error raised instead names the
    size asked for and what to change.

    Yields
    ------
    None
        The block runs; an out-of-memory error in it is raised as ``DeviceMemoryError``.
    """
    try:
        yield
    except Exception as exc:
        if type(exc).__name__ != "OutOfMemoryError":
            raise
        found = re.search(r"allocating ([0-9,]+) bytes", str(exc))
        size = f"{int(found.group(1).replace(',', '')) / 2**20:,.1f} MiB" if found else "more memory"
        raise DeviceMemoryError(f"the GPU ran out of memory: it was asked for {size} more than it had free. "
                                "Use a smaller batch_size or a smaller network, or free the GPU's memory "
                                "(other processes, other models)") from None


def scalar(value: Any) -> Any:
    """A reduction's result as the engine carries it: a Python float on NumPy, else the 0-d array itself.

    On a GPU, turning a result into a float waits for the device to finish; a
    training step that only adds its cost to a total need not wait, so the
    cost stays on the device until the training loop reads a batch of them
    at once (see :func:`read_floats`).

    Parameters
    ----------
    value : 0-d array or number

    Returns
    -------
    float or 0-d array
    """
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return float(value)
    return value


def read_floats(values: list) -> list[float]:
    """Python floats of ``values`` (floats or 0-d arrays of one library), read from a device in one copy.

    Parameters
    ----------
    values : list

    Returns
    -------
    list of float
    """
    pending = [v for v in values if not isinstance(v, (float, int, np.generic, np.ndarray))]
    if not pending:
        return [float(v) for v in values]
    xp = namespace(*pending)
    host = to_numpy(xp.stack([xp.asarray(v, dtype=xp.float64).reshape(()) for v in values])).tolist()
    return [float(v) for v in host]


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
    if hasattr(x, "__dlpack__"):
        return np.from_dlpack(x)
    return np.asarray(x)  # numbers and lists


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
