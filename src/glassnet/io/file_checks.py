"""What a model file must pass before anything in it is allocated, built or trusted.

A model file comes from anywhere. Before :func:`glassnet.io.load` reads an
array or builds a layer, these checks bound what that will cost, from the ZIP
directory and the ``.npy`` headers alone:

* the description (``glassnet.json``) is at most :data:`MAX_DESCRIPTION_BYTES`
  and :data:`MAX_DEPTH` levels deep, describes at most :data:`MAX_LAYERS` layers,
  and every field has the type it must have;
* the architecture's parameter count is computed by arithmetic from the
  description (each layer type's ``parameter_count``), never by building it;
* each array's ``.npy`` header must declare exactly that many values of a
  float dtype, and its member exactly that many bytes;
* no member expands more than :data:`MAX_EXPANSION` times its stored size
  (a decompression bomb), and all of them together at most that many times
  the file's own size.

Every failure is a :class:`~glassnet.errors.ModelFileError` that names the file.

The writer's side: :func:`json_values` turns what :func:`glassnet.io.save` is given
as metadata into the JSON values a description holds, or refuses it by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..core._validation import short
from ..errors import GlassnetError, ModelFileError, OptionTypeError
from ..nn import LAYERS

FORMAT = "glassnet-model"
#: the version written, and the versions read (version 1 files carry no checksum of their description)
VERSION = 2
READABLE = (1, 2)
MAX_DESCRIPTION_BYTES = 16 * 2**20
MAX_DEPTH = 64
#: the most layers a model file may describe (glassnet's largest networks have tens)
MAX_LAYERS = 10_000
MAX_EXPANSION = 20
DESCRIPTION = "glassnet.json"


def description_digest(meta: dict) -> str:
    """The SHA-256 of a description, its own checksum field left out.

    Parameters
    ----------
    meta : dict
        The parsed ``glassnet.json``.

    Returns
    -------
    str
        Hex digest of the description as canonical JSON (sorted keys, no spaces).
    """
    body = {k: v for k, v in meta.items() if k != "description_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def check_members(zf: zipfile.ZipFile, path: Path) -> None:
    """Refuse decompression bombs: from the ZIP directory, before anything is read.

    Parameters
    ----------
    zf : zipfile.ZipFile
    path : pathlib.Path
        For messages.
    """
    total = 0
    for info in zf.infolist():
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise ModelFileError(f"{path} is damaged: {info.filename} says it stores {info.compress_size} bytes "
                                 f"that hold {info.file_size}")
        if info.file_size > MAX_EXPANSION * max(info.compress_size, 1024):
            raise ModelFileError(f"{path}: {info.filename} would expand from {info.compress_size:,} to "
                                 f"{info.file_size:,} bytes; refused as a decompression bomb")
        total += info.file_size
    if total > MAX_EXPANSION * max(os.path.getsize(path), 1024):
        raise ModelFileError(f"{path} declares {total:,} bytes of content in a file of "
                             f"{os.path.getsize(path):,}; refused as a decompression bomb")


def read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, inflated no further than the size the ZIP directory declares for it.

    ``ZipFile.read`` inflates a member in one call of up to 2 GiB and only then cuts the result to the
    declared size, so a member that lies about its size (a few hundred kilobytes declaring a thousand bytes)
    would fill memory before its checksum fails. Read through ``ZipFile.open`` with the declared size, it
    inflates a block at a time and stops there; the CRC then refuses the cut-off data.

    Parameters
    ----------
    zf : zipfile.ZipFile
    name : str

    Returns
    -------
    bytes

    Raises
    ------
    KeyError
        No member of that name.
    zipfile.BadZipFile
        The member is damaged, or holds more or less than it declares.
    """
    info = zf.getinfo(name)
    with zf.open(info) as member:
        data = member.read(info.file_size)
        if len(data) != info.file_size:
            raise zipfile.BadZipFile(f"{name} holds {len(data):,} of the {info.file_size:,} bytes it declares")
        return data


def read_description(zf: zipfile.ZipFile, path: Path) -> dict:
    """The parsed ``glassnet.json``, bounded in size and depth, its fields type-checked.

    Parameters
    ----------
    zf : zipfile.ZipFile
    path : pathlib.Path
        For messages.

    Returns
    -------
    dict
    """
    try:
        info = zf.getinfo(DESCRIPTION)
    except KeyError:
        raise ModelFileError(f"{path} is not a glassnet model file (no {DESCRIPTION})") from None
    if info.file_size > MAX_DESCRIPTION_BYTES:
        raise ModelFileError(f"{path}: {DESCRIPTION} is {info.file_size:,} bytes; descriptions of up to "
                             f"{MAX_DESCRIPTION_BYTES:,} are read")
    try:
        meta = json.loads(read_member(zf, DESCRIPTION))
    except RecursionError:
        raise ModelFileError(f"{path}: {DESCRIPTION} is nested too deeply") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{path} is damaged: {DESCRIPTION} unreadable ({exc})") from None
    if _depth(meta) > MAX_DEPTH:
        raise ModelFileError(f"{path}: {DESCRIPTION} is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path} has a malformed {DESCRIPTION}: not a JSON object")
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a glassnet model file (format {meta.get('format')!r})")
    version = meta.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise ModelFileError(f"{path} was written by a newer glassnet (model file format {version}; this glassnet "
                             f"reads formats {' and '.join(map(str, READABLE))}): upgrade glassnet to read it")
    if isinstance(version, bool) or not isinstance(version, int) or version not in READABLE:  # True == 1, 2.0 == 2
        raise ModelFileError(f"{path} has format version {short(version)}; this glassnet reads versions "
                             f"{' and '.join(map(str, READABLE))}")
    _check_fields(meta, path)
    if meta["version"] == 1:
        _check_version_1(meta, path)
    elif meta.get("description_sha256") != description_digest(meta):
        raise ModelFileError(f"{path} is damaged or was edited: {DESCRIPTION} does not match its checksum")
    return meta


#: what a file of format version 1 could hold: it predates the description's checksum, running
#: statistics, training arrays and the convolution layers. A file that claims version 1 but holds any
#: of those was rewritten to skip the checksum, and is refused.
V1_LAYERS = ("Dense", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "Dropout", "Flatten")


def json_values(value: object, name: str) -> dict:
    """``value`` (a dict or None) as the JSON data a description will read back: NumPy's numbers and
    arrays become Python's numbers and lists, keys become strings as ``json`` writes them, and anything
    else JSON cannot hold is refused, naming where it is (``metadata['f']``).

    Parameters
    ----------
    value : dict or None
        What a caller of :func:`glassnet.io.save` gives as ``metadata`` or ``training``.
    name : str
        Its name, for the message.

    Returns
    -------
    dict
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OptionTypeError(f"{name} must be a dict of JSON data; received {type(value).__name__}")

    def convert(item: object, where: str) -> object:
        if isinstance(item, np.ndarray | np.generic):
            item = item.tolist()
        if isinstance(item, dict):
            return {key(k, where): convert(v, f"{where}[{k!r}]") for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [convert(v, f"{where}[{i}]") for i, v in enumerate(item)]
        if item is None or isinstance(item, str | bool | int | float):
            return item
        raise OptionTypeError(f"{where} is of type {type(item).__name__}, which a model file cannot hold: use "
                              "strings, numbers, lists and dicts")

    def key(k: object, where: str) -> str:  # as JSON writes them: 1 -> "1", True -> "true"
        k = k.item() if isinstance(k, np.generic) else k
        if k is None or isinstance(k, str | bool | int | float):
            return k if isinstance(k, str) else json.dumps(k)
        raise OptionTypeError(f"{where} has a key of type {type(k).__name__}; a model file's keys are strings")

    return cast(dict, convert(value, name))


def _check_version_1(meta: dict, path: Path) -> None:
    newer = []
    if "description_sha256" in meta:
        newer.append("a checksum of its description")
    members = [n for n in meta["arrays"] if n != "params.npy" and not n.startswith("optimizer/")]
    if members:
        newer.append(f"the member(s) {', '.join(sorted(members)[:3])}")
    layers = sorted({spec["type"] for spec in meta["model"]["layers"]} - set(V1_LAYERS))
    if layers:
        newer.append(f"layers of later versions ({', '.join(short(t, 30) for t in layers[:3])})")
    if newer:
        raise ModelFileError(f"{path} claims model file format 1, which has no checksum, but holds "
                             f"{' and '.join(newer)}, which came later: it was edited, and is refused")


def _depth(value: Any) -> int:
    """The nesting depth of parsed JSON (a number is 1 deep), level by level, without recursion; at most
    ``MAX_DEPTH + 1``. A level at a time in one comprehension: 900,000 small objects in 0.3 s, where one
    (item, depth) pair at a time took 2.5 s."""
    depth, level = 0, [value]
    while level and depth <= MAX_DEPTH:
        depth += 1
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
    return depth


def _expect(condition: bool, path: Path, what: str) -> None:
    if not condition:
        raise ModelFileError(f"{path} has a malformed {DESCRIPTION}: {what}")


def _check_fields(meta: dict, path: Path) -> None:
    """Each field of the description has the type glassnet will use it as."""
    model = meta.get("model")
    _expect(isinstance(model, dict), path, "'model' must be an object")
    model = cast(dict, model)
    _expect(model.get("dtype") in ("float32", "float64"), path, "'model.dtype' must be 'float32' or 'float64'")
    layers = model.get("layers")
    _expect(isinstance(layers, list) and len(layers) > 0, path, "'model.layers' must be a non-empty list")
    layers = cast(list, layers)
    # 160,000 layers fit in a description of 16 MiB, and took 16 s and 478 MB to build
    _expect(len(layers) <= MAX_LAYERS, path, f"'model.layers' lists {len(layers):,} layers; models of up to "
            f"{MAX_LAYERS:,} are read")
    for i, spec in enumerate(layers):
        _expect(isinstance(spec, dict) and isinstance(spec.get("type"), str), path,
                f"'model.layers[{i}]' must be an object with a 'type'")
    shape = model.get("input_shape")
    _expect(shape is None or (isinstance(shape, list) and all(_is_count(v) for v in shape)), path,
            "'model.input_shape' must be a list of positive integers")
    arrays = meta.get("arrays")
    _expect(isinstance(arrays, dict) and "params.npy" in arrays, path, "'arrays' must list params.npy")
    arrays = cast(dict, arrays)
    for name, info in arrays.items():
        member = name in ("params.npy", "state.npy") or (
            name.split("/")[0] in ("optimizer", "training") and name.count("/") == 1 and name.endswith(".npy"))
        _expect(member, path,
                f"'arrays' lists an unexpected member {name!r}")
        _expect(isinstance(info, dict) and isinstance(info.get("sha256"), str), path,
                f"'arrays.{name}' must be an object with a 'sha256'")
    optimizer = meta.get("optimizer")
    _expect(optimizer is None or (isinstance(optimizer, dict) and isinstance(optimizer.get("name"), str)
                                  and isinstance(optimizer.get("config"), dict)
                                  and isinstance(optimizer.get("state"), dict)), path,
            "'optimizer' must be null or an object with 'name', 'config' and 'state'")
    for key in ("training", "metadata"):
        _expect(meta.get(key) is None or isinstance(meta.get(key), dict), path, f"'{key}' must be an object")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def parameter_count(meta: dict, path: Path) -> int:
    """The architecture's number of parameters, by arithmetic on the description.

    Parameters
    ----------
    meta : dict
        A description that passed :func:`read_description`.
    path : pathlib.Path
        For messages.

    Returns
    -------
    int
    """
    return _count(meta, path, "parameter_count")


def state_count(meta: dict, path: Path) -> int:
    """The architecture's number of state values (running statistics), by arithmetic on the description.

    Parameters
    ----------
    meta : dict
        A description that passed :func:`read_description`.
    path : pathlib.Path
        For messages.

    Returns
    -------
    int
    """
    return _count(meta, path, "state_count")


def _count(meta: dict, path: Path, method: str) -> int:
    total = 0
    for i, spec in enumerate(meta["model"]["layers"]):
        cls = LAYERS.get(spec["type"])
        if cls is None:
            raise ModelFileError(f"{path}: layers[{i}] has unknown type {short(spec['type'])}; this process knows "
                                 f"{', '.join(LAYERS)}. A layer of your own becomes known when the module that "
                                 "defines it, with @glassnet.register_layer on its class, is imported before loading")
        try:
            total += getattr(cls, method)({k: v for k, v in spec.items() if k != "type"})
        except GlassnetError as exc:
            raise ModelFileError(f"{path}: layers[{i}] {spec['type']}: {exc}") from None
    return total


def check_array_header(zf: zipfile.ZipFile, path: Path, name: str, count: int, dtype: str) -> None:
    """An array member's ``.npy`` header declares ``count`` values of ``dtype``, and its size agrees.

    Parameters
    ----------
    zf : zipfile.ZipFile
    path : pathlib.Path
        For messages.
    name : str
        The member.
    count : int
        The values it must hold.
    dtype : str
        The model's dtype.
    """
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{path} is missing {name}") from None
    try:
        with zf.open(name) as f:
            version = np.lib.format.read_magic(f)
            header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, _, found = header(f)
            offset = f.tell()
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: {name} is not a plain .npy array ({exc})") from None
    if found.hasobject:
        raise ModelFileError(f"{path}: {name} is not a plain numeric array: it holds Python objects, which "
                             "loading would have to unpickle")
    if found != np.dtype(dtype):
        raise ModelFileError(f"{path}: {name} holds {found}, but the model is {dtype}")
    if tuple(shape) != (count,):
        raise ModelFileError(f"{path}: {name} declares shape {tuple(shape)}, but the architecture needs ({count},)")
    if info.file_size != offset + count * found.itemsize:
        raise ModelFileError(f"{path}: {name} is {info.file_size:,} bytes, but its header declares "
                             f"{offset + count * found.itemsize:,}")


__all__ = ["FORMAT", "READABLE", "VERSION", "check_array_header", "check_members", "description_digest",
           "parameter_count", "read_description", "state_count"]
