"""Checks of the paths glassnet writes to: a file that can be written, and never over something else.

:func:`check_target` refuses to replace what is not a regular file (a folder,
a device, a FIFO, a socket) or a file the command reads;
:func:`check_writable` also proves, with a trial file, that the folder takes writes.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import OptionError, OptionTypeError


def as_path(path: object, name: str = "path") -> Path:
    """``path`` as a :class:`pathlib.Path`, refused by name when it is not a path at all (``Path(3)`` says
    only "expected str, bytes or os.PathLike object").

    Parameters
    ----------
    path : object
    name : str
        The argument's name, for the message.

    Returns
    -------
    pathlib.Path
    """
    if not isinstance(path, (str, os.PathLike)):
        raise OptionTypeError(f"{name} must be a file path (a str or os.PathLike); received {type(path).__name__}")
    return Path(path)


def as_file_path(path: object, name: str = "path") -> Path:
    """:func:`as_path` for a file to write: a path that ends with a slash names a folder, which ``Path()`` would
    drop, and a file would be written where the folder was meant (``save("models/")`` wrote a file ``models``).

    Parameters
    ----------
    path : object
    name : str
        The argument's name, for the message.

    Returns
    -------
    pathlib.Path
    """
    if isinstance(path, str) and path.endswith(("/", os.sep)):
        raise IsADirectoryError(f"{name} {path!r} ends with a slash, which names a folder: give a file name")
    return as_path(path, name)


def check_writable(path: str | os.PathLike, name: str = "path", inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Check that a file can be written at ``path``, by writing and removing a trial file beside it.

    Parameters
    ----------
    path : str or path_like
        The file to be written later; its folder must exist. A target that is
        not a regular file, or is one of ``inputs``, is refused (see :func:`check_target`).
    name : str
        The argument's name, for messages.
    inputs : iterable of paths
        The files the command reads.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    if path.is_dir():
        raise OptionError(f"{name} must name a file, but {str(path)!r} is a folder")
    try:
        target = check_target(path, inputs=inputs, name=name)
    except (FileExistsError, PermissionError) as exc:
        raise OptionError(str(exc)) from None
    folder = target.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise OptionError(f"{name}: the folder {str(folder)!r} of {str(path)!r} {what}")
    try:
        fd, trial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".trial", dir=folder)
    except OSError as exc:
        raise OptionError(f"{name}: cannot write in the folder {str(folder)!r} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(trial)
    return path


#: what a path that is not a regular file is, by the type bits of its mode
KINDS = {stat.S_IFDIR: "a folder", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link"}


def check_target(path: str | os.PathLike, *, follow_links: bool = True, inputs: Iterable[str | os.PathLike] = (),
                 name: str = "path") -> Path:
    """The file a write to ``path`` would replace, refused where replacing it would destroy something else.

    Parameters
    ----------
    path : str or path_like
    follow_links : bool
        Follow a symbolic link to the file it names (True), or refuse it.
    inputs : iterable of paths
        Files and folders the command reads: writing over one of the files,
        or anywhere inside one of the folders, is refused.
    name : str
        What the path is, for messages (``"--model"``).

    Returns
    -------
    pathlib.Path
        ``path`` itself, or the file a symbolic link at ``path`` leads to.

    Raises
    ------
    FileExistsError
        When the target exists and is not a regular file (a device, a FIFO,
        a socket, a folder), whether named directly or through a link; when
        ``path`` is a link and ``follow_links`` is false; or when the target is
        one of ``inputs`` or inside a folder of them. The message names the
        path and what it is.
    PermissionError
        When the target is a file that may not be written (read-only for
        everyone, or for this user): replacing it is refused too.
    """
    path = Path(path)
    target = path
    info: os.stat_result | None
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        if not follow_links:
            raise FileExistsError(f"{name} {str(path)!r} is a symbolic link; this folder is written only through "
                                  "files of its own, never through a link")
        target = Path(os.path.realpath(path))
        try:
            info = os.stat(target)
        except FileNotFoundError:
            info = None
    mode = None if info is None else info.st_mode
    if mode is not None and not stat.S_ISREG(mode):
        via = "" if target == path else f", through the link {str(path)!r},"
        raise FileExistsError(f"{name} {str(target)!r}{via} is {KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, "
                              "which glassnet does not replace: give the path of a regular file")
    # a rename needs only the folder's leave: a file made read-only (chmod 444) would go, even for its owner
    if info is not None and (not info.st_mode & 0o222 or not os.access(target, os.W_OK)):
        owner = info.st_uid  # the target's: a link was followed above
        if hasattr(os, "geteuid") and owner != os.geteuid():
            raise PermissionError(f"{name} {str(path)!r} belongs to another user (uid {owner}) and may not be "
                                  "written, which glassnet does not replace: give another path")
        raise PermissionError(f"{name} {str(path)!r} is read-only (mode {stat.S_IMODE(info.st_mode):o}), which "
                              "glassnet does not replace: make it writable (chmod u+w) or give another path")
    inputs = list(inputs)
    if mode is not None and any(_same_file(target, source) for source in inputs):
        raise FileExistsError(f"{name} {str(path)!r} is also one of the command's inputs, which would be "
                              "overwritten: give another path")
    folder = input_folder_around(target, inputs)
    if folder is not None:  # a file written into a folder of pictures becomes one of them (or a class) next time
        raise FileExistsError(f"{name} {str(path)!r} is inside {str(folder)!r}, a folder the command reads, "
                              "which it would change: give a path outside it")
    return target


def input_folder_around(path: str | os.PathLike, inputs: Iterable[str | os.PathLike]) -> str | os.PathLike | None:
    """The first of ``inputs`` that is a folder holding ``path`` (at any depth, links resolved), or None.

    Parameters
    ----------
    path : str or path_like
        Need not exist yet.
    inputs : iterable of paths

    Returns
    -------
    path or None
    """
    return next((source for source in inputs if os.path.isdir(source)
                 and Path(os.path.realpath(path)).is_relative_to(os.path.realpath(source))), None)


def not_a_file(path: str | os.PathLike, what: str, error: type[Exception] = OptionError) -> Exception:
    """The error for ``path``, which names no regular file where a ``what`` was expected: FileNotFoundError
    where nothing is there, else ``error`` naming what is (a folder, a device, a FIFO), where every one was
    "not found" (``/dev/null``, a pipe, or a file given for a folder).

    Parameters
    ----------
    path : str or path_like
    what : str
        What was expected ("CSV file").
    error : exception class
        For something there that is not a file.

    Returns
    -------
    Exception
        To raise.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # links that lead to each other
            return error(f"{path} is a symbolic link that leads back to itself, not a {what}")
        if not isinstance(exc, FileNotFoundError) and os.path.lexists(path):  # a folder we may not look into
            return error(f"{path} cannot be read ({exc.strerror}), so it is not a {what} glassnet can use")
        return FileNotFoundError(f"{what} not found: {path}")
    return error(f"{path} is {KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not a {what}")


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # b is not there (yet), or cannot be looked at: not the same file
        return False
