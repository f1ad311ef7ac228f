"""Files written whole or not at all: a temporary file beside the target, then one rename.

A run killed mid-write (Ctrl-C, a full disk, a power cut) leaves the old file
as it was; the temporary file it leaves is named ``.NAME.PID.XXXX.tmp`` and
removed by the next write to the same name once process PID is gone.
"""

from __future__ import annotations

import glob
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from ..core._validation import as_file_path, check_target


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object], *, follow_links: bool = True,
                     inputs: Iterable[str | os.PathLike] = (), name: str = "path") -> Path:
    """Call ``write(f)`` on a temporary file beside ``path``, then rename it onto ``path``.

    Parameters
    ----------
    path : str or path_like
        A symbolic link to a regular file is written through (unless
        ``follow_links`` is false). An existing file keeps its permissions.
        A target that exists and is not a regular file (a device, a FIFO, a
        socket, a folder) is refused, never replaced: see :func:`check_target`.
    write : callable
        Writes the whole content to the binary file it is given.
    follow_links : bool
        False refuses a symbolic link instead of following it: caches and data
        folders are never written through a link.
    inputs : iterable of paths
        Files the command reads: a target that is one of them is refused.
    name : str
        What the path is, for messages (``"output"``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = as_file_path(path, name)
    inputs = list(inputs)
    target = check_target(path, follow_links=follow_links, inputs=inputs, name=name)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"{name}'s folder does not exist: {directory}")
    _remove_stale_temporaries(directory, target.name)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    except OSError as exc:  # its message named the temporary file, which the user never asked for
        raise type(exc)(exc.errno, f"{exc.strerror}: cannot write in the folder {str(directory)!r}; {path} was "
                                   "not written") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        check_target(path, follow_links=follow_links, inputs=inputs, name=name)  # nothing slipped in meanwhile
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and exc.filename is None:  # a full disk: say where
            # (NumPy's own "Not enough free space to write ..." has no errno, and named no file)
            why = exc.strerror if exc.errno is not None else str(exc)
            raise OSError(exc.errno, f"{why}: {path} was not written") from exc
        raise
    return path


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


#: what follows ``.NAME.`` in a temporary's name: ``PID.XXXXXXXX.tmp``, or an older glassnet's ``XXXXXXXX.tmp``,
#: with the eight characters that Python's tempfile draws from
_TEMPORARY = re.compile(r"(?:(?P<pid>\d+)\.)?[a-z0-9_]{8}\.tmp")


def _remove_stale_temporaries(directory: Path, name: str) -> None:
    """Delete the temporary files that earlier saves of ``name`` left when they were killed.

    A temporary file is named ``.NAME.PID.XXXX.tmp``: it is stale when process
    PID is gone. Older glassnet named them ``.NAME.XXXX.tmp``; those are removed
    once they are an hour old.
    """
    for tmp in directory.glob(f".{glob.escape(name)}.*.tmp"):
        ours = _TEMPORARY.fullmatch(tmp.name[len(name) + 2:])  # a name tempfile made: not a user's own file
        try:
            if ours is None:
                continue
            if ours["pid"] is not None:
                if _alive(int(ours["pid"])):
                    continue
            elif time.time() - tmp.stat().st_mtime < 3600:
                continue
            tmp.unlink()
        except OSError:
            pass  # another process got there first, or it is not ours to remove


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
