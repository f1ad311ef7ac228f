"""``python -m glassnet`` and the ``glassnet`` command: the command line, imported inside a guard for Ctrl-C.

The command's imports (NumPy, SciPy, the parser) take a fifth of a second before
:func:`glassnet.cli.main` can catch anything: a Ctrl-C then printed Python's
traceback. Here it ends the command as an interrupt does later: exit status
130, no message.
"""

import importlib
import sys


def main() -> int:
    """Import and run the command line (see :mod:`glassnet.cli`).

    Returns
    -------
    int
        The exit status.
    """
    try:
        command = importlib.import_module("glassnet.cli").main
    except KeyboardInterrupt:
        return 130
    return command()


if __name__ == "__main__":
    sys.exit(main())
