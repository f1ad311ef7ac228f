"""Files written whole or not at all: a temporary file beside the target, then one rename.

A run killed mid-write (Ctrl-C, a full disk, a power cut) leaves the old file
as it was; the temporary file it leaves is named ``.NAME.PID.XXXX.tmp`` and
removed by the next write to the same name once process PID is gone.
"""

from __future__ import annotations

import glob
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(f)`` on a temporary file beside ``path``, then rename it onto ``path``.

    Parameters
    ----------
    path : str or path-like
        A symbolic link is written through. An existing file keeps its permissions.
    write : callable
        Writes the whole content to the binary file it is given.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path  # write through a link
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"path's folder does not exist: {directory}")
    if target.is_dir():
        raise IsADirectoryError(f"path is a folder, not a file: {path}")
    _remove_stale_temporaries(directory, target.name)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
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


def _remove_stale_temporaries(directory: Path, name: str) -> None:
    """Delete the temporary files that earlier saves of ``name`` left when they were killed.

    A temporary file is named ``.NAME.PID.XXXX.tmp``: it is stale when process
    PID is gone. Older glassnet named them ``.NAME.XXXX.tmp``; those are removed
    once they are an hour old.
    """
    for tmp in directory.glob(f".{glob.escape(name)}.*.tmp"):
        parts = tmp.name[len(name) + 2:].split(".")
        try:
            if len(parts) == 3 and parts[0].isdigit():
                if _alive(int(parts[0])):
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
