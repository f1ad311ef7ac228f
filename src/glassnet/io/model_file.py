"""Model files: architecture, weights, optimizer state and training state, safely.

A glassnet model file is a ZIP archive laid out like NumPy's ``.npz``:

* ``glassnet.json`` -- ``{"format": "glassnet-model", "version": 1, "model": ...,
  "optimizer": ..., "training": ..., "metadata": ..., "arrays": {member: {"sha256",
  "shape", "dtype"}}}``: the architecture (``Sequential.config()``), the optimizer's
  name, options and scalar state, the state of an interrupted training run, and
  free-form metadata (dataset, class names, image shape);
* ``params.npy`` -- the flat parameter vector (see :class:`glassnet.Sequential`);
* ``optimizer/<slot>.npy`` -- the optimizer's buffers (momentum, moments).

Loading never executes code: the JSON is parsed as data, arrays are read with
``allow_pickle=False``, and each array's SHA-256 must match the one recorded,
so a truncated or edited file is refused with a message rather than loaded
wrong. Saving writes a temporary file beside the target, flushes it to disk
and renames it over the target in one step: a crash mid-save leaves the
previous file intact.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..arrays import to_numpy
from ..errors import GlassnetError, ModelFileError, OptionTypeError
from ..nn import LAYERS, Sequential, layer_from_config
from ..optim import OPTIMIZERS, SCHEDULES, Optimizer

FORMAT = "glassnet-model"
VERSION = 1


@dataclass
class Checkpoint:
    """What :func:`load` returns.

    Attributes
    ----------
    model : Sequential
    optimizer : Optimizer or None
        With its state, when the file was saved with one.
    training : dict
        The state of an interrupted run (for :func:`glassnet.resume`).
    metadata : dict
        Free-form data kept with the model (dataset, classes, image shape).
    """

    model: Sequential
    optimizer: Optimizer | None = None
    training: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)


def _npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(to_numpy(array)), allow_pickle=False)
    return buf.getvalue()


def save(path: str | os.PathLike, model: Sequential, optimizer: Optimizer | None = None,
         training: dict | None = None, metadata: dict | None = None) -> Path:
    """Write a model (and optionally its optimizer and training state) to a file, atomically.

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.
    model : Sequential
    optimizer : Optimizer, optional
        Saved with its state, so that training can resume exactly.
    training : dict, optional
        JSON-ready state of an interrupted run (see :func:`glassnet.resume`).
    metadata : dict, optional
        Any JSON-ready data kept with the model: the command line records the
        dataset, class names and image shape there.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if not isinstance(model, Sequential):
        raise OptionTypeError(f"model must be a glassnet Sequential; received {type(model).__name__}")
    path = Path(path)
    arrays = {"params.npy": model.params}
    opt_meta = None
    if optimizer is not None:
        scalars, slots = optimizer.state_dict()
        opt_meta = {
            "name": optimizer.name, "config": optimizer.config(),
            "schedule": {"name": optimizer.schedule.name, "config": optimizer.schedule.config()},
            "state": scalars,
        }
        arrays.update({f"optimizer/{k}.npy": v for k, v in slots.items()})
    blobs = {name: _npy_bytes(a) for name, a in arrays.items()}
    meta = {
        "format": FORMAT, "version": VERSION, "model": model.config(),
        "optimizer": opt_meta, "training": training or {}, "metadata": metadata or {},
        "arrays": {name: {"sha256": hashlib.sha256(b).hexdigest(), "shape": list(arrays[name].shape),
                          "dtype": arrays[name].dtype.str} for name, b in blobs.items()},
    }
    text = json.dumps(meta, indent=1, allow_nan=True)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"path's folder does not exist: {directory}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr("glassnet.json", text)
                for name, b in blobs.items():
                    zf.writestr(name, b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def load(path: str | os.PathLike, model_class: type[Sequential] = Sequential) -> Checkpoint:
    """Read a model file written by :func:`save`.

    Parameters
    ----------
    path : str or path-like
    model_class : type
        The class of the model to build (:class:`~glassnet.nn.Sequential` or a subclass).

    Returns
    -------
    Checkpoint
        The model, and the optimizer and training state if they were saved.

    Raises
    ------
    ModelFileError
        If the file is not a readable glassnet model file of a supported version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ModelFileError(
            f"{path} is not a glassnet model file (not a ZIP archive: truncated, or another format)"
        ) from None
    with zf:
        try:
            meta = json.loads(zf.read("glassnet.json"))
        except KeyError:
            raise ModelFileError(f"{path} is not a glassnet model file (no glassnet.json)") from None
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise ModelFileError(f"{path} is damaged: glassnet.json unreadable ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelFileError(f"{path} is not a glassnet model file (format {meta.get('format')!r})"
                                 if isinstance(meta, dict) else f"{path} has a malformed glassnet.json")
        if meta.get("version") != VERSION:
            raise ModelFileError(
                f"{path} has format version {meta.get('version')!r}; this glassnet reads version {VERSION}"
            )
        arrays = {name: _read_array(zf, path, name, info) for name, info in meta["arrays"].items()}
    try:
        model = _build_model(meta["model"], model_class)
        model_params = arrays["params.npy"]
        if model_params.shape != model.params.shape:
            raise ModelFileError(
                f"{path}: params.npy holds {model_params.size} values, but the architecture "
                f"needs {model.params.size}"
            )
        model.params[...] = model_params
        optimizer = _build_optimizer(meta["optimizer"], arrays) if meta.get("optimizer") else None
    except ModelFileError:
        raise
    except (KeyError, TypeError, GlassnetError) as exc:
        raise ModelFileError(f"{path}: invalid model description ({exc})") from None
    training = meta.get("training") or {}
    if "rng_state" in training:
        model.rng.bit_generator.state = training["rng_state"]
    if optimizer is not None:
        optimizer.bind(model)
    metadata = meta.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{path}: metadata must be a JSON object")
    return Checkpoint(model=model, optimizer=optimizer, training=training, metadata=metadata)


def _read_array(zf: zipfile.ZipFile, path: Path, name: str, info: dict) -> np.ndarray:
    try:
        raw = zf.read(name)
    except KeyError:
        raise ModelFileError(f"{path} is missing {name}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path} is damaged: {name} unreadable ({exc})") from None
    if hashlib.sha256(raw).hexdigest() != info.get("sha256"):
        raise ModelFileError(f"{path} is damaged or was edited: {name} does not match its checksum")
    try:
        return np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    except ValueError as exc:  # object arrays would need pickle: refused
        raise ModelFileError(f"{path}: {name} is not a plain numeric array ({exc})") from None


def _build_model(config: dict, model_class: type[Sequential]) -> Sequential:
    """The architecture described, its parameters placeholders for the file's values."""
    layers = []
    for i, spec in enumerate(config["layers"]):
        if spec.get("type") not in LAYERS:
            raise ModelFileError(f"layers[{i}] has unknown type {spec.get('type')!r}; the known types are "
                                 f"{', '.join(LAYERS)}")
        try:
            layers.append(layer_from_config(spec))
        except GlassnetError as exc:
            raise ModelFileError(f"layers[{i}]: {exc}") from None
    return model_class(layers, input_shape=config.get("input_shape"), dtype=np.dtype(config["dtype"]))


def _build_optimizer(meta: dict, arrays: dict) -> Optimizer:
    name = meta["name"]
    if name not in OPTIMIZERS:
        raise ModelFileError(f"unknown optimizer {name!r}")
    schedule_meta = meta.get("schedule") or {"name": "constant", "config": {}}
    schedule = SCHEDULES[schedule_meta["name"]](**schedule_meta["config"])
    optimizer = OPTIMIZERS[name](**meta["config"], schedule=schedule)
    slots = {k[len("optimizer/"):-len(".npy")]: v for k, v in arrays.items() if k.startswith("optimizer/")}
    optimizer.load_state_dict(meta["state"], slots)
    return optimizer
