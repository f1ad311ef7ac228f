"""The ``glassnet`` command's entry point: the command line, imported inside a guard for Ctrl-C.

The command's imports (NumPy, SciPy, the parser) take a fifth of a second, before
:func:`glassnet.cli.main` can catch anything: a Ctrl-C in that time printed
Python's traceback. Here it ends the command as an interrupt does later: exit
status 130, no message.
"""

from __future__ import annotations


def main() -> int:
    """Import and run the command line (see :mod:`glassnet.cli`).

    Returns
    -------
    int
        The exit status.
    """
    try:
        from .cli import main as command
    except KeyboardInterrupt:
        return 130
    return command()
