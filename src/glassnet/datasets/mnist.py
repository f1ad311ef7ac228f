"""MNIST: download the four original files once, check their SHA-256, cache, read.

The files are the original IDX files (gzip, or unzipped), 60,000 training and 10,000 test images of 28x28
grey pixels, 0 = background. ``load_mnist(folder)`` reads them from a folder (nothing is downloaded);
``load_mnist()`` looks in the cache (``$GLASSNET_DATA`` or ``~/.cache/glassnet``) and downloads what is missing.

Unzipping the images takes most of a load (a whole load took 0.3-0.8 s), so the first load keeps their pixels,
as uint8 ``.npy`` files named by the checksum of the file they came from, in that same cache folder; later
loads map those and only divide by 255 (about 0.07 s in all).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import os
import shutil
import tempfile
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..core._check_paths import as_path
from ..core.rows import LazyRows
from ..errors import DataError, OptionError
from ..io.atomic import write_atomically
from .base import Dataset, data_home, make_folder

#: MNIST's four files and the SHA-256 each must have; a download that differs is refused
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
#: the SHA-256 of each file's contents unzipped, as browsers and Kaggle's copies give them (under the name without
#: .gz, with "." or "-" before "idx", or still named .gz): the same data, read and verified as well
UNZIPPED = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
#: the files and where to get them, for messages
WHERE = f"MNIST's four files ({', '.join(MNIST_FILES)}, as published at {MIRRORS[0]})"


def default_cache() -> Path:
    """Where MNIST's files and unzipped pixels are kept: ``mnist`` in :func:`~glassnet.datasets.base.data_home`.

    Returns
    -------
    pathlib.Path
    """
    return data_home() / "mnist"


def not_a_folder(root: Path) -> Exception:
    """The error for an MNIST folder that is not one: missing, or a file (one of MNIST's own, given for its folder).

    Parameters
    ----------
    root : pathlib.Path

    Returns
    -------
    Exception
    """
    if not root.exists():
        return FileNotFoundError(f"MNIST folder not found: {root}")
    hint = f": give the folder that holds it, {root.parent}" if root.name in MNIST_FILES else ""
    return DataError(f"{root} is not a folder; MNIST's four files are read from a folder{hint}")


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as hex.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    str
    """
    if not path.is_file():  # a pipe would be read for ever, a folder is IsADirectoryError
        raise DataError(f"{path} is not a regular file")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(folder: Path, mirrors: tuple[str, ...] | None = None) -> None:
    """Download each missing file into ``folder``, verify it, and only then move it in place.

    Parameters
    ----------
    folder : pathlib.Path
    mirrors : tuple of str, optional
        Base URLs tried in turn; by default :data:`MIRRORS` as it is at the call.
    """
    import urllib.request  # here, not with glassnet: it takes 28 ms (http, email, ssl) that no other use needs

    mirrors = MIRRORS if mirrors is None else mirrors
    made = not folder.exists()
    make_folder(folder, "to download MNIST into",
                "give a folder that holds the four files (load_mnist(folder), glassnet train --data DIR)")
    for name, digest in MNIST_FILES.items():
        target = folder / name
        if target.exists() and sha256(target) == digest:
            continue
        errors = []
        for mirror in mirrors:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
            try:
                with os.fdopen(fd, "wb") as out, urllib.request.urlopen(mirror + name, timeout=60) as r:
                    shutil.copyfileobj(r, out)
                if sha256(Path(tmp)) != digest:
                    raise ValueError("SHA-256 mismatch")
                os.replace(tmp, target)
                break
            except (OSError, ValueError) as exc:
                errors.append(f"{mirror}{name}: {exc}")
            finally:  # a failed download, or one stopped by Ctrl-C, leaves no part behind
                Path(tmp).unlink(missing_ok=True)
        else:
            if made and not any(folder.iterdir()):  # nothing downloaded: no empty folder left behind
                folder.rmdir()
            raise OSError(f"could not download MNIST's {name}:\n  " + "\n  ".join(errors) + "\n"
                          f"Without the internet, copy {WHERE}: into {folder}, or into any folder given as "
                          "load_mnist(folder) or glassnet train --dataset mnist --data DIR")


#: the most values an MNIST file holds (the training images): an unverified file is read no further
MOST_VALUES = 60_000 * 28 * 28


def source_of(root: Path, name: str) -> Path:
    """The file of ``root`` that holds MNIST's ``name``: the published .gz, or else its contents unzipped.

    Parameters
    ----------
    root : pathlib.Path
    name : str
        A name of :data:`MNIST_FILES`.

    Returns
    -------
    pathlib.Path
        ``root / name`` where no form of it is there (the caller refuses it as missing).
    """
    plain = name[:-3]
    for candidate in (name, plain, plain.replace("-idx", ".idx")):
        if (root / candidate).exists():
            return root / candidate
    return root / name


def _read_idx(path: Path, magic: int, name: str) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"{path} is not a regular file")
    with open(path, "rb") as f:
        zipped = f.read(2) == b"\x1f\x8b"  # gzip's mark: a file unzipped (whatever its name) is read as it is
    try:  # the header first, then the values it announces and one more: a file of 1.5 GiB of zeros behind a
        with (gzip.open if zipped else open)(path, "rb") as f:  # header of 60,000 labels took 3 GiB to refuse
            head = f.read(4)
            if len(head) < 4 or int.from_bytes(head, "big") != magic:
                raise DataError(f"{path} is not an IDX {name} file (magic number {head.hex()})")
            shape = f.read(4 * head[3])
            dims = [int.from_bytes(shape[4 * i: 4 * i + 4], "big") for i in range(len(shape) // 4)]
            size = math.prod(dims)  # Python's ints: NumPy's product of (2**22, 2**21, 2**21) wrapped to 0
            if len(dims) != head[3] or size > MOST_VALUES:
                raise DataError(f"{path}: its header announces shape {tuple(dims)}, which no MNIST file has")
            raw = f.read(size + 1)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable gzip file: {exc}") from None
    if len(raw) != size:
        raise DataError(f"{path} is {'truncated' if len(raw) < size else 'longer than its header says'}: "
                        f"{len(raw):,}{'' if len(raw) < size else ' or more'} values for shape {tuple(dims)}")
    data = np.frombuffer(raw, np.uint8).reshape(dims)
    if magic == 0x801 and data.size and data.max() > 9:  # labels, unverified: a digit each
        raise DataError(f"{path} holds the label {int(data.max())}, where MNIST's labels are the digits 0 to 9")
    return data


def check_folder(root: Path, verify: bool = True) -> dict[str, Path]:
    """Refuse a folder that lacks one of MNIST's four files, or (``verify``) holds one that is not MNIST's.

    A folder that passes holds the very files that were published: a model trained from any was trained alike.

    Parameters
    ----------
    root : pathlib.Path
    verify : bool
        Check each file's SHA-256 against the published one.

    Returns
    -------
    dict of str to pathlib.Path
        Each of :data:`MNIST_FILES`' names, and the file that holds it (:func:`source_of`).
    """
    if not root.is_dir():
        raise not_a_folder(root)
    files = {}
    for name, digest in MNIST_FILES.items():
        path = files[name] = source_of(root, name)
        if not path.exists():
            raise FileNotFoundError(f"{name} is missing from {root} (nor is it there unzipped, as {name[:-3]}), "
                                    f"which must hold {WHERE}")
        if not path.is_file():
            raise DataError(f"{path} is not a regular file; {root} must hold {WHERE}")
        if verify and sha256(path) not in (digest, UNZIPPED[name]):
            raise DataError(f"{path} does not match the published SHA-256 of MNIST's {name}, nor that of its "
                            "contents unzipped")
    return files


def load_mnist(folder: str | os.PathLike | None = None, *, download: bool = True,
               verify: bool = True, memmap: str | os.PathLike | None = None,
               cache: bool = True, lazy: bool = False) -> tuple[Dataset, Dataset]:
    """The MNIST training and test sets.

    Parameters
    ----------
    folder : str or path_like, optional
        A folder with the four files, read as they are and never downloaded.
        Without it, the cache (:func:`default_cache`), downloading what is missing.
    download : bool
        Allow the download.
    verify : bool
        Check each file's SHA-256 against the published one.
    memmap : str or path_like, optional
        A folder for the images as ``.npy`` files of uint8 pixels: written there (atomically) by the first call,
        and from then on checked and opened as read-only memory maps, so that ``X`` is a
        :class:`~glassnet.core.rows.LazyRows` read from disk as training asks for rows, in [0, 1] as float32,
        instead of held in memory. A cache file that does not match is written again with a
        :class:`CacheRebuiltWarning`; a symbolic link there is refused, never followed.
    cache : bool
        Keep the unzipped pixels in :func:`default_cache` the same way (for
        verified files only), so that the next load skips the unzipping; the
        images still come back in memory. Where that folder cannot be
        written, the files are unzipped as they would be without it.
    lazy : bool
        Keep the pixels as uint8 (those kept by ``cache``, mapped from disk, or else
        the unzipped ones in memory) and give ``X`` as a
        :class:`~glassnet.core.rows.LazyRows` that divides by 255 the rows
        asked for: the same float32 values, batch by batch, in a quarter of the
        memory and without converting all 70,000 images first (what ``glassnet
        train --dataset mnist`` does).

    Returns
    -------
    (train, test) : Dataset
        ``X`` float32 in [0, 1], shape (n, 784) (rows read on demand with ``memmap`` or ``lazy``); ``y`` int labels;
        60,000 and 10,000 samples.
    """
    memmap_folder = None if memmap is None else as_path(memmap, "memmap").expanduser()
    if memmap is not None and not str(memmap).strip():  # "" wrote 54 MB into the current folder
        raise OptionError("memmap must name a folder for the unzipped pixels; received an empty path")
    if folder is not None:
        root = Path(folder)
        if not root.is_dir():
            raise not_a_folder(root)
    else:
        root = default_cache()
        missing = [n for n in MNIST_FILES if not (root / n).exists()]
        if missing:
            if not download:
                raise FileNotFoundError(f"MNIST is not in {root} and download=False")
            fetch(root)
    try:
        files = check_folder(root, verify)
    except DataError as damaged:
        if folder is not None or not download:
            raise
        try:  # a damaged file of glassnet's own download is fetched again, not refused at every load
            fetch(root)
        except OSError as exc:  # offline: why a download was tried at all, not only that it failed
            raise OSError(f"{damaged}, and fetching it again failed: {exc}") from None
        files = check_folder(root, verify)

    def part(prefix: str, name: str) -> Dataset:
        labels = _read_idx(files[f"{prefix}-labels-idx1-ubyte.gz"], 0x801, "label")
        n, source = labels.shape[0], f"{prefix}-images-idx3-ubyte.gz"

        def unzip() -> np.ndarray:
            images = _read_idx(files[source], 0x803, "image")
            if images.shape[1:] != (28, 28) or images.shape[0] != n:
                raise DataError(f"{files[source]} holds {images.shape[0]:,} images of "
                                f"{' x '.join(map(str, images.shape[1:]))} where MNIST's {prefix} set has {n:,} "
                                "labels and 28 x 28 images")
            return images.reshape(n, -1)

        if memmap_folder is not None:  # the cache is named by the file it is made from: unverified files by their own
            digest = MNIST_FILES[source] if verify else sha256(files[source])
            pixels = _pixel_cache(memmap_folder, prefix, n, digest, unzip)
        else:
            pixels = _kept_pixels(prefix, n, MNIST_FILES[source], unzip) if cache and verify else unzip()
        X: Any = LazyRows(pixels, dtype=np.float32, divisor=255.0) if memmap is not None or lazy else \
            np.divide(pixels, np.float32(255.0), dtype=np.float32)
        return Dataset(X, labels.astype(np.intp), name, [str(c) for c in range(10)],
                       image_shape=(28, 28))

    return part("train", "mnist-train"), part("t10k", "mnist-test")


def _kept_pixels(prefix: str, n: int, digest: str, unzip: Callable[[], np.ndarray]) -> np.ndarray:
    """The pixels from the default cache folder, kept there first if need be; unzipped afresh where it fails.

    A cache is a shortcut, never a reason for a load to fail: a folder that
    cannot be written (read-only, full, or a symbolic link, which is never
    followed) leaves the load as it was without one, unzipping once. A kept
    file that does not match is written again without a word: the user never
    named this folder.
    """
    unzip_once = functools.cache(unzip)
    try:
        return _pixel_cache(default_cache(), prefix, n, digest, unzip_once, warn=False)
    except (OSError, DataError):
        return unzip_once()


class CacheRebuiltWarning(UserWarning):
    """A cache file did not match what it should hold and was written again."""


def _pixel_cache(folder: Path, prefix: str, n: int, digest: str, make: Callable[[], np.ndarray],
                 warn: bool = True) -> np.ndarray:
    """MNIST's ``prefix`` images from a cache of uint8 pixels in ``folder``, mapped read-only, shape (n, 784).

    The file's name carries the start of the SHA-256 of the IDX file it was
    made from, so a cache of other pixels is never taken for this one. Its
    ``.npy`` header is checked (shape, dtype, order), its size against that
    header, and its pixels against the CRC-32 written after them (about 11 ms
    for the training set's 47 MB, where unzipping takes 190): a file that
    does not match, damaged or written by an older glassnet, is written
    again, with a warning (``warn``). The folder and the file are never
    reached through a symbolic link.
    """
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        what = "a symbolic link" if folder.is_symlink() else "a file"
        raise DataError(f"memmap must be a folder of glassnet's own for the cache; {str(folder)!r} is {what}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"mnist-{prefix}-images-uint8-{digest[:16]}.npy"
    if path.is_symlink():
        raise DataError(f"the cache file {str(path)!r} is a symbolic link; glassnet writes and reads its caches only "
                        "as files of their own: remove the link")
    existed = path.exists()  # before reading: another process may put its copy there meanwhile, whole
    pixels = _open_cache(path, n)
    if pixels is None:
        if existed and warn:
            warnings.warn(f"the cache file {path} did not hold MNIST's {n} {prefix} images as uint8 rows of 784 "
                          "with their checksum (damaged, or written by an older glassnet); written again",
                          CacheRebuiltWarning, stacklevel=4)
        data = np.ascontiguousarray(make(), dtype=np.uint8)

        def save(f: BinaryIO) -> None:
            np.save(f, data, allow_pickle=False)
            f.write(zlib.crc32(data.data).to_bytes(4, "little"))  # after the array: np.load stops before it

        write_atomically(path, save, follow_links=False, name="the cache file")
        pixels = _open_cache(path, n)
        if pixels is None:
            raise DataError(f"the cache file {path} could not be read back after it was written")
    return pixels


def _open_cache(path: Path, n: int) -> np.ndarray | None:
    """The cache mapped read-only when its header says uint8, C order, (n, 784), its size agrees and its pixels
    match the CRC-32 after them; else None."""
    if not path.is_file():  # missing, or a pipe a read would wait on for ever
        return None
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read(f)
            offset = f.tell()
            f.seek(offset + n * 784)
            crc = f.read(4)
        if (shape != (n, 784) or fortran or np.dtype(dtype) != np.uint8
                or os.path.getsize(path) != offset + n * 784 + 4):
            return None
        pixels = np.memmap(path, dtype=np.uint8, mode="r", offset=offset, shape=(n, 784))
        return pixels if zlib.crc32(pixels.data) == int.from_bytes(crc, "little") else None
    except (OSError, ValueError, EOFError):  # missing, empty, or not an .npy file
        return None
