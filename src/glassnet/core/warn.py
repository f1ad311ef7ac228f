"""Warnings pointed at the user's own line, however deep inside glassnet they arise."""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType

#: the folder of the glassnet package: frames whose code lies under it are glassnet's own
PACKAGE = os.path.normcase(os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep)


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the stack level of the first caller outside glassnet.

    A fixed ``stacklevel`` is right for one way in only: ``model.fit`` reaches the
    training loop through one more frame than ``glassnet.fit`` does.

    Parameters
    ----------
    message : str
    category : Warning subclass
    """
    level = 2  # the caller of this function
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.normcase(os.path.abspath(frame.f_code.co_filename)).startswith(PACKAGE):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)
