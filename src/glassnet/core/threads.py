"""How many threads glassnet's arithmetic may use, and a bound on them while it runs.

glassnet's threads are those of the BLAS that NumPy calls for its matrix
products (OpenBLAS in NumPy's wheels); :mod:`glassnet.ops._blas` calls the same
library, so one pool serves both. By default OpenBLAS starts one thread per
core, and its threads spin while they wait for each other. That is fine on an
idle machine and very slow on a busy one: three trainings on two cores, each
with two spinning threads, took about three times their fair share in the
benchmark of ``benchmarks/oversubscription.py``.

:func:`limit` bounds the pool for the length of a ``with`` block through
threadpoolctl, and puts it back afterwards. ``threads`` may be

- a positive int: exactly that many threads;
- None (the default everywhere): :func:`auto_threads`, the cores this process
  may fairly use now. It starts from the cores the process may run on, and
  takes the smallest of these bounds:

  1. ``GLASSNET_THREADS``, or else the thread counts already set for the BLAS
     (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``), as
     joblib's workers and Dask's nannies set them;
  2. inside a Dask worker, the cores divided among the worker's task threads;
  3. the cores not already busy with other running tasks, read from the
     kernel's count of runnable tasks (``/proc/loadavg``), at least 1;
  4. unless ``GLASSNET_THREADS`` is set, the BLAS pool's size outside
     glassnet's own limits, so that a bound set around the call holds:
     ``threadpoolctl.threadpool_limits(1)`` (as scikit-learn's users and
     benchmarks set it) was raised back to the cores.

The third bound is measured when a training or prediction starts (at most
once a second).

The BLAS's pool belongs to the whole process: threads of one process that
train or predict at the same time share one bound (which one depends on
threadpoolctl's version), and when the last of glassnet's limits ends, the
pool is put back at the size it had before the first began, in whatever
order overlapping limits ended.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import OptionError
from ._validation import check_positive_int, short

#: environment variables that already bound the BLAS's threads, in the order they are read
ENVIRONMENT = ("GLASSNET_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: seconds a measured count of runnable tasks is used again
REMEASURE = 1.0

_controller: Any = None
_last_count: tuple[float, int] | None = None
#: glassnet's limits in force in this process (threads may overlap them), and the pool's size found outside them
_LOCK = threading.Lock()
_active = 0
_outside: int | None = None


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), or the machine's count.

    Returns
    -------
    int
    """
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def environment_bound() -> int | None:
    """The thread count the environment asks for: ``GLASSNET_THREADS`` first, else the smallest BLAS setting.

    Returns
    -------
    int or None
        None when none of :data:`ENVIRONMENT` is set.

    Raises
    ------
    OptionError
        ``GLASSNET_THREADS`` is not a positive integer.
    """
    own = os.environ.get("GLASSNET_THREADS", "").strip()
    if own:
        if not own.isdigit() or int(own) < 1:
            raise OptionError(f"the environment variable GLASSNET_THREADS must be a positive integer; "
                              f"received {short(own)}")
        return int(own)
    values = [os.environ.get(name, "").strip() for name in ENVIRONMENT[1:]]
    counts = [int(v) for v in values if v.isdigit() and int(v) > 0]
    return min(counts) if counts else None


def dask_worker_share(cores: int) -> int | None:
    """Inside a Dask worker, its cores divided among its task threads; else None.

    Parameters
    ----------
    cores : int

    Returns
    -------
    int or None
    """
    if "distributed" not in sys.modules:  # never imports Dask itself
        return None
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):  # not in a worker
        return None
    nthreads = getattr(getattr(worker, "state", worker), "nthreads", None) or 1
    return max(1, cores // int(nthreads))


def runnable_others(samples: int = 5, interval: float = 0.002) -> int:
    """Other tasks running or waiting for a core now: the fewest seen in a few reads of ``/proc/loadavg``.

    A task that holds a core is runnable in every read, 2 ms apart; a
    momentary one is not (a kernel worker, or this process's BLAS worker
    falling asleep between the read of the kernel's count and that of this
    process's threads). Counting those took a core from training: a conv
    net's fit on 2 cores went on one thread, 25-30 % slower.

    A read that finds no other task ends the count at once. A count is kept
    for :data:`REMEASURE` seconds, so that many short calls (predictions one
    after another) measure once.

    Parameters
    ----------
    samples : int
    interval : float
        Seconds between reads.

    Returns
    -------
    int
        0 where the kernel does not say (not Linux).
    """
    global _last_count
    now = time.monotonic()
    if _last_count is not None and now - _last_count[0] < REMEASURE:
        return _last_count[1]
    counts = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as f:
                running = f.read().split()[3].split("/")[0]
        except (OSError, IndexError):
            return 0
        # this process's own running threads (the reader, BLAS workers still spinning after the last
        # product) are among them: they are not other work
        counts.append(int(running) - own_running())
        if counts[-1] <= 0:  # none can be fewer: an idle machine is read once, without waiting
            break
        if i + 1 < samples:
            time.sleep(interval)
    count = max(0, min(counts))
    _last_count = (now, count)
    return count


def own_running() -> int:
    """This process's threads that are running or runnable now (state R in ``/proc/self/task/*/stat``).

    Returns
    -------
    int
        At least 1: the calling thread.
    """
    count = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/stat") as f:
                state = f.read().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        count += state == "R"
    return max(1, count)


def auto_threads() -> int:
    """The cores this process may fairly use now (see the module's description).

    Returns
    -------
    int
        At least 1.
    """
    cores = available_cores()
    bounds = [cores, max(1, cores - runnable_others())]
    pool = None if os.environ.get("GLASSNET_THREADS", "").strip() else _outside_pool()  # glassnet's own goes first
    for bound in (environment_bound(), dask_worker_share(cores), pool):
        if bound is not None:
            bounds.append(bound)
    return max(1, min(bounds))


def resolve(threads: object, name: str = "threads") -> int:
    """``threads`` as a thread count: a positive int as is, None as :func:`auto_threads`.

    Parameters
    ----------
    threads : int or None
    name : str
        The argument's name, for messages.

    Returns
    -------
    int
    """
    if threads is None:
        return auto_threads()
    n = check_positive_int(threads, name)
    cores = available_cores()
    if n > cores:  # more BLAS threads than cores only spin and wait on each other (64 on 2 cores: 15x slower)
        raise OptionError(f"{name} must be at most {cores}, the cores this process may use; received {short(n)}")
    return n


def blas_threads() -> int | None:
    """The BLAS pool's current size (the largest, if NumPy and others load several), or None.

    Returns
    -------
    int or None
    """
    counts = [lib.num_threads for lib in _blas_controller().lib_controllers if lib.user_api == "blas"]
    return max(counts) if counts else None


@contextmanager
def limit(threads: int | None = None, name: str = "threads") -> Iterator[int]:
    """Bound the BLAS's threads for the length of a ``with`` block.

    Parameters
    ----------
    threads : int or None
        A thread count, or None for :func:`auto_threads`.
    name : str
        The argument's name, for messages.

    Yields
    ------
    int
        The bound in force.

    Examples
    --------
    >>> import glassnet as gn
    >>> with gn.limit_threads(1) as n:
    ...     print(n)
    1
    """
    global _active, _outside
    n = resolve(threads, name)
    with _LOCK:
        if not _active:  # the first of glassnet's limits: the pool as found outside them all
            _outside = blas_threads()
        _active += 1
    try:
        if blas_threads() in (None, n):  # nothing to change: no cost
            yield n
        else:
            with _blas_controller().limit(limits=n, user_api="blas"):
                yield n
    finally:
        with _LOCK:
            _active -= 1
            # limits of several threads that overlap end in any order, and each puts back what it found: the last
            # one out gives the pool back as it was found outside them all, not the size another had set
            if not _active and _outside is not None and blas_threads() != _outside:
                _blas_controller().limit(limits=_outside, user_api="blas")


def _outside_pool() -> int | None:
    """The BLAS pool's size outside glassnet's own limits: as found by the first that is still in force."""
    with _LOCK:
        return _outside if _active else blas_threads()


def _blas_controller() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded, made once (after NumPy loaded its own)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller
