"""Argument types the benchmark scripts share: a bad count or folder is one line from argparse, not a
traceback after minutes, nor a table of nothing."""

from __future__ import annotations

import argparse
from pathlib import Path


def counting(least: int = 1):
    """An argparse type: a whole number of at least ``least`` (0 seeds, rounds or passes measure nothing)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number; received {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}; received {value}")
        return value
    return parse


def source_tree(text: str) -> str:
    """An argparse type: another glassnet's ``src`` folder (one that does not exist would fall back, through
    PYTHONPATH, to the installed glassnet: this tree timed against itself)."""
    if not (Path(text) / "glassnet" / "__init__.py").is_file():
        raise argparse.ArgumentTypeError(f"must be a glassnet source tree, a folder holding glassnet/__init__.py; "
                                         f"received {text!r}")
    return str(Path(text).resolve())


def sizes(text: str) -> list[int]:
    """An argparse type: batch sizes separated by commas, each at least 1 ("" for none)."""
    values = [part.strip() for part in text.split(",") if part.strip()]
    return [counting()(v) for v in values]
