"""The log a setting follows (``keep_best``, ``EarlyStopping``, ``ModelCheckpoint``): which way it improves."""

from __future__ import annotations

import difflib

from ..core._validation import check_choice, short
from ..errors import OptionError, OptionTypeError


def check_log(key: str, names: list[str], has_validation: bool, what: str, strict: bool = True) -> None:
    """Refuse a setting that names a log a run does not write (see :meth:`Run.check_log`).

    Parameters
    ----------
    key : str
        The log named (``"val_acc"``).
    names : list of str
        The logs the run writes.
    has_validation : bool
        Whether it has validation data (and so ``val_`` logs).
    what : str
        The setting, for the message.
    strict : bool
        Refuse any other name; else only a ``val_`` log of the run's where it has no validation data.
    """
    if key in names:
        return
    if key.startswith("val_") and not has_validation and key[4:] in names:
        hint = "; give validation data for the val_ logs"
    elif strict:
        near = difflib.get_close_matches(key, names, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
    else:
        return
    raise OptionError(f"{what}={key!r} is not among the logs this run writes: {', '.join(names)}{hint}")


def better(key: str, mode: str, own: list[str], what: str) -> str:
    """Whether a followed log improves as it falls ("min") or rises ("max"), for the settings that follow one.

    Parameters
    ----------
    key : str
        The log followed ("val_loss").
    mode : "auto", "min" or "max"
        "auto" knows the run's own logs (:meth:`Run.log_names`, ``own``): accuracies rise, losses and ``lr``
        fall. It refuses a log of the user's callback (an f1 score rises, an error falls), as Keras 3 does.
    own : list of str
    what : str
        The setting, for messages ("EarlyStopping monitor").

    Returns
    -------
    "min" or "max"
    """
    if mode != "auto":
        return str(mode)
    if key in own:
        return "max" if "accuracy" in key else "min"
    raise OptionError(f"{what}={key!r} is a log of your own, so whether it is better higher or lower is not known: "
                      f"give mode='max' (an f1 score, say) or mode='min' (an error)")


def monitored(logs: dict[str, float], key: str, what: str, mode: str = "min") -> float:
    """An epoch's ``logs[key]`` with lower as better (negated where ``mode`` is "max"), for a setting that follows it.

    Parameters
    ----------
    logs : dict of str to float
    key, what : str
        The log followed, and the setting that follows it, for the message when nothing wrote it.
    mode : "min" or "max"
        As :func:`better` decided it.

    Returns
    -------
    float
    """
    if key not in logs:
        raise OptionError(f"{what}={key!r} is not among the logs {sorted(logs)}")
    return oriented(logs[key], mode)


def oriented(value: float, mode: str) -> float:
    """``value`` with lower as better: negated where ``mode`` is "max".

    Parameters
    ----------
    value : float
    mode : "min" or "max"

    Returns
    -------
    float
    """
    return -value if mode == "max" else value


def check_monitor(monitor: object, mode: object, owner: str) -> tuple[str | None, str]:
    """A callback's ``monitor`` (the name of a log, or None for the run's own, :meth:`Run.default_log`) and
    ``mode``, checked.

    Parameters
    ----------
    monitor, mode : object
    owner : str
        The callback, for the messages.

    Returns
    -------
    (str or None, "auto", "min" or "max")
    """
    if monitor is not None and not isinstance(monitor, str):
        raise OptionTypeError(f"{owner} monitor must be the name of a log ('val_loss') or None; received "
                              f"{short(monitor)}")
    return monitor, check_choice(mode, f"{owner} mode", ("auto", "min", "max"))
