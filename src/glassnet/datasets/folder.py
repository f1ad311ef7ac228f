"""Your own pictures: a folder with one sub-folder per class, as Keras and torchvision read them.

``photos/cat/*.jpg`` and ``photos/dog/*.png`` make two classes, named and
numbered by their folders in sorted order. Every picture is read through the
same guarded decoder as the web page (:func:`glassnet.io.decoding.open_image`:
the size checked from the header before decoding, a pixel budget, JPEGs
decoded at a reduced scale), so a folder cannot hold a picture that exhausts
memory. Pictures of any size and mode are taken: grey, RGB, RGBA and palette
ones (transparency counts as white paper), 16-bit ones (each level divided
by 65,535, as an 8-bit one by 255: :func:`glassnet.io.decoding.to_grey` with
``stretch=False``).

Each picture is resized with its aspect kept, then either padded to a square
with the colour of its own border (``fit="pad"``: nothing is cut off) or
centre-cropped (``fit="crop"``: nothing is added). A file that cannot be read
is skipped, and one warning says how many were skipped and why, a line each.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..core._validation import as_generator, check_choice, check_memory, check_positive_int, check_real, short
from ..errors import DataError, GlassnetError
from ..io.decoding import open_image, pixel_budget
from ..io.photos import FITS, fit_square, picture_array
from .base import Dataset, train_test_split

#: files read from one folder at most, all classes together: a folder of more is refused before any is read
MAX_FILES = 200_000
#: skipped files named one by one in the warning; the rest are counted
NAMED_SKIPS = 20
COLORS = ("auto", "rgb", "grey")


def class_files(root: Path) -> tuple[list[str], list[list[Path]], list[str]]:
    """The class names (sub-folders, sorted; hidden ones left out), each one's files, and lines on what was left out.

    Parameters
    ----------
    root : Path

    Returns
    -------
    (classes, files per class, notes)
    """
    notes = []
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    if loose:
        notes.append(f"{len(loose)} file(s) beside the class folders, not in one, were left out (such as "
                     f"{short(loose[0])})")
    files = []
    for folder in folders:
        entries = sorted(folder.iterdir())
        nested = [p for p in entries if p.is_dir()]
        if nested:
            notes.append(f"{folder.name}/: {len(nested)} folder(s) inside a class folder were left out")
        other = [p for p in entries if not p.is_dir() and not p.is_file() and not p.name.startswith(".")]
        if other:  # a link to nothing, a pipe, a device: left out silently before
            notes.append(f"{folder.name}/: {len(other)} entries that are not files (such as {short(other[0].name)}, "
                         "a link to nothing or a pipe) were left out")
        files.append([p for p in entries if p.is_file() and not p.name.startswith(".")])
    return [f.name for f in folders], files, notes


def load_folder(path: str | os.PathLike, size: int = 32, color: str = "auto", fit: str = "pad",
                validation: float = 0.0, rng: object = 0, min_classes: int = 2) -> Dataset | tuple[Dataset, Dataset]:
    """Pictures from a folder with one sub-folder per class, as images ``(samples, channels, size, size)``.

    Parameters
    ----------
    path : str or path_like
        The folder; each sub-folder is a class named by it (sorted: the labels 0, 1, ...).
    size : int
        The side of the square pictures returned.
    color : "auto", "rgb" or "grey" ("gray" too)
        "auto": three channels if any picture has colour, else one (grey pictures are held as one
        channel while the folder is read).
    fit : "pad" or "crop"
        How a picture that is not square becomes one: padded with its border's colour, or centre-cropped.
    validation : float
        A share in [0, 1) held out, stratified by class and drawn by ``rng``; with one,
        ``(train, validation)`` is returned.
    rng : int or numpy.random.Generator
    min_classes : int
        The fewest classes with a readable picture the folder must hold: 2 to
        train on, 1 for a folder of test pictures.

    Returns
    -------
    Dataset, or (Dataset, Dataset)
        ``X`` float32 in [0, 1], ``y`` the class numbers, ``classes`` the folder names,
        ``image_shape`` (size, size).

    Raises
    ------
    DataError
        When the folder holds fewer than ``min_classes`` classes with a picture that could be read.
    """
    size = check_positive_int(size, "size")
    min_classes = check_positive_int(min_classes, "min_classes")  # 2.5 needed "2.5 class folder(s)"; 0 and -3 passed
    color = "grey" if color == "gray" else color  # the American spelling too
    color, fit = check_choice(color, "color", COLORS), check_choice(fit, "fit", FITS)
    # checked before any picture is decoded, which may take minutes
    validation = check_real(validation, "validation", low=0.0, high=1.0, high_open=True)
    rng = as_generator(rng)
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"path must be a folder with one sub-folder per class; received {short(str(path))}")
    names, files, notes = class_files(root)
    total = sum(len(f) for f in files)
    if total > MAX_FILES:
        raise DataError(f"{root} holds {total:,} files in its class folders; at most {MAX_FILES:,} are read")
    # checked before any picture is decoded; "auto" counts on grey pictures (held as one channel) until
    # it reads one in colour, and checks again then
    channels = 3 if color == "rgb" else 1
    check_room(total, size, channels, validation)
    pictures: list[np.ndarray] = []
    labels: list[int] = []
    skipped: list[str] = []
    budget = pixel_budget((size, size))
    for label, (name, paths) in enumerate(zip(names, files)):
        before = len(labels)
        for p in paths:
            relative = f"{name}/{p.name}"
            try:
                img = open_image(p, short(relative), max_pixels=budget)
                a = fit_square(picture_array(img, "grey" if color == "grey" else "rgb"), size, fit)
            except (GlassnetError, OSError, ValueError) as exc:  # ImageError, too large, unreadable
                reason = str(exc)
                skipped.append(reason if short(relative) in reason else f"{short(relative)}: {reason}")
                continue
            if color == "auto" and grey_levels(a):  # a grey picture read as RGB: its first channel serves
                a = a[..., :1].copy()
            elif color == "auto" and channels == 1:  # the first in colour: three channels for every picture
                channels = 3  # (less what the pictures read so far already take of the memory that is free)
                check_room(total, size, channels, validation, held=sum(kept.nbytes for kept in pictures))
            pictures.append(a)
            labels.append(label)
        if len(labels) == before:
            notes.append(f"{name}/ holds no picture that could be read: the class is left out")
    kept = sorted(set(labels))
    if len(kept) < min_classes:
        splits = not kept and names and all(not f and any(p.is_dir() for p in (root / n).iterdir()) for n, f in
                                            zip(names, files))
        hint = (f". Its folders ({', '.join(names)}) hold class folders themselves, as splits do: give one split, "
                f"such as {root / next((n for n in names if 'train' in n.lower()), names[0])}, as the folder to "
                "train on (and another as its test pictures)"
                if splits else "".join(f"; {n}" for n in notes))
        raise DataError(f"{root} needs at least {min_classes} class folder(s) with pictures; found {len(kept)} "
                        f"({', '.join(names[k] for k in kept) or 'none'}){hint}")
    say(skipped, total, notes)
    X = np.empty((len(pictures), channels, size, size), dtype=np.float32)
    for i, a in enumerate(pictures):  # a grey picture among pictures in colour: its one channel three times
        X[i] = a.transpose(2, 0, 1)
    y = np.searchsorted(kept, labels)  # the classes left out do not leave gaps in the labels
    data = Dataset(X, y.astype(np.int64), root.name, [names[k] for k in kept], image_shape=(size, size))
    if validation:
        return train_test_split(data, validation, rng, name="validation")
    return data


def check_room(total: int, size: int, channels: int, validation: float, held: int = 0) -> None:
    """Refuse pictures that cannot fit in memory: at most the decoded pictures, the array made of them and,
    for a validation split, its copy.

    Parameters
    ----------
    total : int
        The files to read.
    size : int
        The side of the square pictures.
    channels : int
        1 or 3.
    validation : float
        The share held out (its copy counts when it is not 0).
    held : int
        Bytes of pictures already decoded and held: no longer free, so not asked for again.
    """
    check_memory((3 if validation else 2) * total * channels * size * size * 4 - held,
                 f"{total:,} pictures of {size}x{size}" + (" in colour" if channels == 3 else ""))


def grey_levels(a: np.ndarray) -> bool:
    """Whether an RGB picture's three channels are equal (a grey picture read as colour).

    Parameters
    ----------
    a : float32 array, shape (height, width, channels)

    Returns
    -------
    bool
    """
    return a.shape[2] == 1 or (np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]))


def say(skipped: list[str], total: int, notes: list[str]) -> None:
    """One warning: how many files were skipped and why (a line each, the first :data:`NAMED_SKIPS`), and notes.

    Parameters
    ----------
    skipped : list of str
        A line per file that could not be read.
    total : int
        The files there were.
    notes : list of str
        What else was left out (loose files, nested folders, empty classes).
    """
    if not skipped and not notes:
        return
    lines = [f"skipped {len(skipped)} of {total} files:"] if skipped else []
    lines += [f"  {line}" for line in skipped[:NAMED_SKIPS]]
    if len(skipped) > NAMED_SKIPS:
        lines.append(f"  ... and {len(skipped) - NAMED_SKIPS} more")
    warnings.warn("\n".join(lines + notes), stacklevel=3)


__all__ = ["COLORS", "FITS", "MAX_FILES", "class_files", "fit_square", "grey_levels", "load_folder",
           "picture_array"]  # fit_square, picture_array and FITS live in glassnet.io.photos
