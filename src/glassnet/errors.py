"""glassnet's exceptions: one family, so that callers catch by class, never by message.

Every error glassnet raises about what it was given derives from
:class:`GlassnetError`, itself a ``ValueError``::

    GlassnetError (ValueError)
    ├── OptionError                 an argument or option glassnet cannot use
    │   └── OptionTypeError         ... because of its type (also a TypeError)
    ├── DataError                   data that cannot be read or used (a CSV, a target)
    ├── ModelFileError              a file that is not a readable glassnet model file
    ├── ImageError                  a picture that is not one, or shows no digit
    │   └── ImageTooLargeError      ... too many pixels or bytes to decode safely
    ├── DivergenceError             training whose cost became NaN or infinite
    ├── NonFiniteError              a model whose output is NaN for finite input (also a FloatingPointError)
    ├── DeviceMemoryError           the GPU has not the memory asked for (also a MemoryError)
    └── MissingDependencyError      an optional package is not installed (also an ImportError)

A front-end maps these classes to what its user sees: the command line prints
one line and exits 2 (3 for divergence), the web app answers 400 or 413. Anything else that
escapes is a bug in glassnet and keeps its traceback.
"""

from __future__ import annotations

import sys


class GlassnetError(ValueError):
    """Base class of every error about what glassnet was given."""


class OptionError(GlassnetError):
    """An argument or option has a value glassnet cannot use; the message names it."""


class OptionTypeError(OptionError, TypeError):
    """An argument or option has the wrong type (a string where a number belongs, say)."""


class DataError(GlassnetError):
    """Data that cannot be read or used: a malformed CSV file, a target of the wrong kind."""


class ModelFileError(GlassnetError):
    """A file that is not a readable glassnet model file of a supported version."""


class ImageError(GlassnetError):
    """The input is not a readable picture, or shows no digit."""


class ImageTooLargeError(ImageError):
    """A picture with more pixels (or bytes) than can be decoded safely."""


class ServerBusyError(GlassnetError):
    """A shared resource (the pixels being decoded, a session's lock) stayed taken longer than a request may
    wait; the request may be sent again shortly. The web app answers 503 with ``Retry-After``.

    Parameters
    ----------
    message : str
    retry_after : int
        Seconds after which a new try is likely to succeed.

    Attributes
    ----------
    retry_after : int
        Seconds after which a new try is likely to succeed.
    """

    def __init__(self, message: str, retry_after: int = 2) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DivergenceError(GlassnetError):
    """Training diverged, or ended no better than chance (see :mod:`glassnet.training.guard`)."""


class NonFiniteError(GlassnetError, FloatingPointError):
    """A model's output is NaN or infinite although its input is finite (its weights are broken)."""


class DeviceMemoryError(GlassnetError, MemoryError):
    """A GPU ran out of memory; the message names the size asked for and what to change."""


class MissingDependencyError(GlassnetError, ImportError):
    """An optional package a feature needs is not installed; the message says which extra has it."""


def missing(package: str, extra: str, feature: str) -> MissingDependencyError:
    """The error for ``feature`` when ``package`` cannot be imported.

    Parameters
    ----------
    package : str
        The import name that failed (``"flask"``).
    extra : str
        glassnet's optional extra that installs it (``"web"``).
    feature : str
        What the user asked for, in words (``"the web app"``).

    Returns
    -------
    MissingDependencyError
        To be raised by the caller.
    """
    return MissingDependencyError(
        f"{feature} needs {package}, which is not installed. glassnet installs from its source folder, with the "
        f"{extra!r} extra: cd to that folder and run {_python()} -m pip install -e '.[{extra}]'"
    )


def _python() -> str:
    """This interpreter, as a user would type it (the environment glassnet runs in)."""
    return sys.executable or "python3"
