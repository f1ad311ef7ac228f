"""The command line's own pictures: a folder of class folders, split into training and test pictures.

``glassnet train --dataset folder --data DIR`` reads DIR's class folders
through :func:`glassnet.datasets.load_folder`, and tests on ``--test-data``'s
pictures or on a share of DIR's. A photo model's file remembers its picture
preparation (its ``picture`` metadata), so ``evaluate`` reads its folders again
the same way, or scores a new folder of the same classes.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from .. import datasets
from ..core._validation import _same_file, short
from ..datasets.csv import class_name
from ..datasets.folder import MAX_FILES, class_files
from ..errors import GlassnetError, OptionError
from ..io.photos import check_picture
from .options import UserError

#: what a run on a folder lacks without one
NEEDS_DATA = "--dataset folder needs --data FOLDER, holding one sub-folder of pictures per class"


def load_pictures(data: str | None, picture: dict, test_fraction: float, seed: int):
    """(train, test) pictures from class folders: ``picture["test_data"]``'s for testing, or a share of ``data``'s.

    What the folder reader skips or leaves out is printed, a line each, and
    its errors come back as :class:`UserError` naming the option.

    Parameters
    ----------
    data : str
        The folder of class folders.
    picture : dict
        ``size`` (default 32), ``color`` ("auto", "rgb" or "grey"), ``fit``
        ("pad" or "crop"), ``test_data`` (a folder of the same classes, or None).
    test_fraction : float
        The share of ``data`` tested on when there is no ``test_data``.
    seed : int

    Returns
    -------
    (train, test) : Dataset
        Images ``(samples, channels, size, size)``; the test set has the training set's
        channels and class numbers.
    """
    if not data:
        raise UserError(NEEDS_DATA)
    size, fit = picture.get("size") or 32, picture.get("fit") or "pad"
    if picture.get("test_data") and _same_file(picture["test_data"], data):
        raise UserError(f"--test-data {picture['test_data']} is the --data folder itself: the test score would be "
                        "of the pictures trained on; leave --test-data out to test on --test-fraction of them")
    train = read_folder(data, size, picture.get("color") or "auto", fit, "--data", min_classes=2)
    if not picture.get("test_data"):
        try:
            return datasets.train_test_split(train, test_fraction, rng=seed, name="--test-fraction")
        except OptionError as exc:  # in the command's terms, naming the folder
            raise UserError(f"{exc} (the pictures of {data})") from None
    test = read_folder(picture["test_data"], size, "grey" if train.X.shape[1] == 1 else "rgb", fit, "--test-data")
    return train, same_classes(test, train.classes, "--test-data")


def read_folder(path: str, size: int, color: str, fit: str, option: str, min_classes: int = 1) -> datasets.Dataset:
    """:func:`glassnet.datasets.load_folder`, its warnings printed and its errors a :class:`UserError`.

    Parameters
    ----------
    path : str
    size : int
    color, fit : str
    option : str
        The command-line option that named the folder, for messages.
    min_classes : int
        2 for training pictures; a folder of test pictures may hold one class.

    Returns
    -------
    Dataset
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = datasets.load_folder(path, size=size, color=color, fit=fit, min_classes=min_classes)
        except GlassnetError as exc:
            raise UserError(f"{option}: {exc}") from None
    for w in caught:
        print(f"{option} {path}: {w.message}")
    assert isinstance(data, datasets.Dataset)  # no validation share asked for
    lost = [name for name in class_files(Path(path))[0] if name not in data.classes]
    if lost:  # the run went on without it, exit status 0, and the model knew one class fewer
        raise UserError(f"{option} {path}: {lost[0]}/ holds no picture that could be read (see above why), so "
                        f"the model would not know the class {lost[0]!r}: mend or remove its pictures, or remove "
                        "the folder")
    return data


def same_classes(test: datasets.Dataset, classes: list[str], option: str,
                 kind: str = "class folder(s)") -> datasets.Dataset:
    """A data set's samples numbered as the model's classes are (a set's own numbering counts only its
    own classes, in sorted order). Numeric names match however they are written (``1`` and ``1.0``).

    Parameters
    ----------
    test : Dataset
    classes : list of str
        The training set's class names (the model's).
    option : str
        What named the data, for messages.
    kind : str
        What its classes are, for messages: class folders, or a CSV column's classes.

    Returns
    -------
    Dataset

    Raises
    ------
    UserError
        When the data has a class the model does not know.
    """
    # numeric names as one name; exact names where that would merge two classes ('01', '1')
    merges = any(len({class_name(c) for c in names}) < len(names) for names in (classes, test.classes))
    name: Callable[[object], str] = str if merges else class_name
    index = {name(c): i for i, c in enumerate(classes)}
    unknown = [c for c in test.classes if name(c) not in index]
    if unknown:
        raise UserError(f"{option} has {kind} that are not the model's classes: {', '.join(map(short, unknown[:8]))}"
                        f"{', ...' if len(unknown) > 8 else ''}; the model knows "
                        f"{', '.join(map(short, classes[:8]))}{', ...' if len(classes) > 8 else ''}")
    numbers = np.array([index[name(c)] for c in test.classes], dtype=np.int64)
    return replace(test, y=numbers[test.y], classes=list(classes))


def folder_fingerprint(path: str | None, hidden: bool = False) -> dict | None:
    """A folder of class folders known again: the SHA-256 of its listing (each file's class, name and size).

    Only the listing is read, never the pictures, and at most
    :data:`glassnet.datasets.folder.MAX_FILES` entries of it.

    Parameters
    ----------
    path : str, optional
    hidden : bool
        Count hidden files (``.DS_Store``), which the reader leaves out, as glassnet did before 2026-12-07:
        :func:`same_folder` knows a folder again by either listing.

    Returns
    -------
    dict or None
        ``{"files": n, "sha256": hex}``; None for no path or one that is not a folder.
    """
    if not path or not Path(path).is_dir():
        return None
    digest, n = hashlib.sha256(), 0
    for folder in sorted(p for p in Path(path).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for entry in sorted(folder.iterdir()):
            if n >= MAX_FILES:
                break
            if entry.is_file() and (hidden or not entry.name.startswith(".")):  # as the reader: no .DS_Store
                digest.update(f"{folder.name}/{entry.name}\0{entry.stat().st_size}\n".encode("utf-8", "replace"))
                n += 1
    return {"files": n, "sha256": digest.hexdigest()}


def same_folder(path: str | None, expected: object) -> bool:
    """Whether the folder at ``path`` has the listing of a stored fingerprint (as now, or as model files written
    before hidden files were left out of it).

    Parameters
    ----------
    path : str, optional
    expected : object
        The fingerprint a model file kept.

    Returns
    -------
    bool
    """
    return expected is not None and expected in (folder_fingerprint(path), folder_fingerprint(path, hidden=True))


def check_folder(path: str | None, expected: object, option: str, source: str) -> None:
    """Refuse to read a folder named by a file (a model or a checkpoint) unless it is the one trained on.

    A model file's metadata can be edited to name any folder on the machine:
    it is read only when its listing matches the fingerprint stored at
    training time (see :func:`folder_fingerprint`).

    Parameters
    ----------
    path : str, optional
    expected : dict, optional
        The stored fingerprint.
    option : str
        The option that gives the folder instead, for the message.
    source : str
        The file that names the folder.
    """
    if path and not same_folder(path, expected):
        raise UserError(f"{source} names a picture folder that is not there or is not the one it was trained on "
                        f"(its files' names or sizes differ): give the folder with {option} FOLDER")


def model_pictures(meta: dict, data: str | None, fraction: float, seed: int, source: str):
    """(train, test) pictures of a photo model: its own folders, or every picture of ``data`` as the test set.

    Parameters
    ----------
    meta : dict
        The model file's metadata, with its ``picture`` preparation.
    data : str, optional
        A folder of class folders to test on, in place of the model's own; the model's own folder, named
        again, gives its test pictures, not all of them.
    fraction, seed
        The model's split.
    source : str
        The model file, for messages.

    Returns
    -------
    (train, test) : Dataset
    """
    if meta.get("picture") is None:
        raise UserError(f"{source} is not a model of pictures from a folder (its metadata has no picture)")
    size, channels, fit = check_picture(meta["picture"], None)
    color = "grey" if channels == 1 else "rgb"
    classes = meta.get("classes") or []
    # the model's own folder, by its path or, copied or moved, by its listing (as a CSV file's copy is known)
    own = data is not None and ((isinstance(meta.get("data"), str) and Path(data).resolve() == Path(meta["data"]))
                                or same_folder(data, meta.get("data_fingerprint")))
    if data is not None and not own:  # new pictures of the model's classes: all of them are tested
        test = same_classes(read_folder(data, size, color, fit, "--data"), classes, "--data")
        return test, test
    # the model's own folder, named or not: its test pictures, split as training split it (as a CSV file's own;
    # a folder changed since splits afresh). Unnamed, model_data checked it (cli.data.check_fingerprint); the
    # test folder is checked here
    settings = meta.get("settings")
    test_data = settings.get("test_data") if isinstance(settings, dict) else None
    check_folder(test_data if isinstance(test_data, str) else None, meta.get("test_data_fingerprint"),
                 "--data (the test pictures)", source)
    train, test = load_pictures(data or meta.get("data"), {"size": size, "color": color, "fit": fit,
                                                   "test_data": test_data if isinstance(test_data, str) else None},
                                fraction, seed)
    return same_classes(train, classes, f"{source}'s training folder"), same_classes(test, classes, f"{source}'s test")


__all__ = ["NEEDS_DATA", "check_folder", "folder_fingerprint", "load_pictures", "model_pictures", "read_folder",
           "same_classes", "same_folder"]
