"""Model files: architecture, weights, optimizer state and training state, safely.

A glassnet model file is a ZIP archive laid out like NumPy's ``.npz``:

* ``glassnet.json`` -- ``{"format": "glassnet-model", "version": 2, "model": ...,
  "optimizer": ..., "training": ..., "metadata": ..., "arrays": {member: {"sha256",
  "shape", "dtype"}}, "description_sha256": ...}``: the architecture
  (``Stack.config()``), the optimizer's name, options and scalar state, the
  state of an interrupted training run, free-form metadata (dataset, class names,
  image shape), and a checksum of all of that;
* ``params.npy`` -- the flat parameter vector (see :class:`glassnet.Stack`);
* ``state.npy`` -- the flat vector of what layers keep besides parameters
  (batch normalization's running statistics), for models that have any;
* ``optimizer/<slot>.npy`` -- the optimizer's buffers (momentum, moments);
* ``training/<name>.npy`` -- arrays of an interrupted run (the best epoch's weights
  and running statistics).

Loading never executes code: the JSON is parsed as data, arrays are read with
``allow_pickle=False``. Before anything is allocated or built, the checks of
:mod:`glassnet.io.file_checks` bound the cost of every member from the ZIP
directory and the ``.npy`` headers. The description's SHA-256 and each
array's must match the ones recorded, so a truncated, damaged or edited file
is refused with a message rather than loaded wrong. (Checksums catch damage and
accidental edits; someone who edits a file on purpose can recompute them. To
know where a file comes from, compare its SHA-256 with one its author
publishes, or sign it.)

Saving writes a temporary file beside the target, flushes it to disk and
renames it over the target in one step: a crash mid-save leaves the previous
file intact, and the next save removes what the crash left. The file keeps the
target's permissions (a new file follows the umask), and a symbolic link is
written through, not replaced.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..core._validation import as_file_path, not_a_file, short
from ..core.arrays import to_numpy
from ..errors import GlassnetError, ModelFileError, OptionError, OptionTypeError
from ..nn import Stack, layer_from_config
from ..nn.stack import check_model
from ..optim import OPTIMIZERS, SCHEDULES, Optimizer
from .atomic import write_atomically
from .file_checks import (
    FORMAT,
    MAX_LAYERS,
    VERSION,
    check_array_header,
    check_members,
    description_digest,
    json_values,
    parameter_count,
    read_description,
    read_member,
    state_count,
)
from .metadata import check_metadata as check_metadata  # it lived here: re-exported
from .metadata import savable_metadata


@dataclass
class Checkpoint:
    """What :func:`load` returns.

    Attributes
    ----------
    model : Stack
    optimizer : Optimizer or None
        With its state, when the file was saved with one.
    training : dict
        The state of an interrupted run (for :func:`glassnet.resume`).
    metadata : dict
        Free-form data kept with the model (dataset, classes, image shape).
    training_arrays : dict of str to numpy.ndarray
        Arrays of the interrupted run (``best_params``: the weights of its best epoch so far).
    path : pathlib.Path or None
        The file it was read from.
    verified : bool
        Whether the file's description carried a checksum that matched (every
        format but the first, version 1, which is read but reported as unverified).
    """

    model: Stack
    optimizer: Optimizer | None = None
    training: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    training_arrays: dict = field(default_factory=dict)
    path: Path | None = None
    verified: bool = True

    def __getattr__(self, name: str) -> Any:
        """Only for names this class lacks: one of the model's (``predict``) is refused with the way to it."""
        if not name.startswith("_") and hasattr(Stack, name):
            raise AttributeError(f"a Checkpoint has no attribute {name!r}; its model has: "
                                 f"glassnet.load(path).model.{name}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(to_numpy(array)), allow_pickle=False)
    return buf.getvalue()


def save(path: str | os.PathLike, model: Stack, optimizer: Optimizer | None = None,
         training: dict | None = None, metadata: dict | None = None,
         training_arrays: dict | None = None) -> Path:
    """Write a model (and optionally its optimizer and training state) to a file, atomically.

    Parameters
    ----------
    path : str or path_like
        The file to write; its folder must exist.
    model : Stack
    optimizer : Optimizer, optional
        Saved with its state, so that training can resume exactly.
    training : dict, optional
        JSON-ready state of an interrupted run (see :func:`glassnet.resume`).
    metadata : dict, optional
        Any JSON-ready data kept with the model: the command line records the
        dataset, class names and image shape there.
    training_arrays : dict of str to array, optional
        Arrays of the run's state with one value per parameter (``best_params``),
        or per entry of the model's state for names ending in ``_state``,
        stored as ``training/<name>.npy``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OptionError
        Before anything is written, for what :func:`load` would refuse:
        metadata that does not fit the model (three class names for two
        outputs), values JSON cannot hold, an optimizer with the state of
        another model.
    """
    check_model(model)
    model.require_built("saving a model")
    path = _as_path(path, writing=True)
    if len(model.layers) > MAX_LAYERS:  # load would refuse the file
        raise OptionError(f"model has {len(model.layers):,} layers; model files hold up to {MAX_LAYERS:,}")
    metadata, training = savable_metadata(metadata, model, path), json_values(training, "training")
    arrays = {"params.npy": model.params}
    if model.state.size:
        arrays["state.npy"] = model.state
    opt_meta = None
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise OptionTypeError(f"optimizer must be an Optimizer whose state to keep (the one fit used), or None; "
                              f"received {short(optimizer)}")
    if optimizer is not None:
        scalars, slots = optimizer.state_dict()
        for slot, value in slots.items():
            if value.shape != model.params.shape:
                raise OptionError(f"optimizer holds {slot!r} for {value.size:,} parameters, where this model has "
                                  f"{model.params.size:,}: it trained another model; {path} was not written")
        opt_meta = {
            "name": optimizer.name, "config": optimizer.config(),
            "schedule": {"name": optimizer.schedule.name, "config": optimizer.schedule.config()},
            "state": scalars,
        }
        arrays.update({f"optimizer/{k}.npy": v for k, v in slots.items()})
    for name, value in (training_arrays or {}).items():
        like = model.state if isinstance(name, str) and name.endswith("_state") else model.params
        if not isinstance(name, str) or not name.isidentifier() or getattr(value, "shape", None) != like.shape:
            raise OptionError(f"training_arrays[{name!r}] must be named like a variable and hold one value per "
                              f"{'state entry' if like is model.state else 'parameter'}, shape {like.shape}; "
                              f"received {short(value)}")
        arrays[f"training/{name}.npy"] = value
    arrays = {name: to_numpy(a) for name, a in arrays.items()}  # from a GPU: copied to the host
    blobs = {name: _npy_bytes(a) for name, a in arrays.items()}
    meta = {
        "format": FORMAT, "version": VERSION, "model": model.config(),
        "optimizer": opt_meta, "training": training, "metadata": metadata,
        "arrays": {name: {"sha256": hashlib.sha256(b).hexdigest(), "shape": list(arrays[name].shape),
                          "dtype": np.dtype(arrays[name].dtype).str} for name, b in blobs.items()},
    }
    meta["description_sha256"] = description_digest(meta)
    text = json.dumps(meta, indent=1, allow_nan=True)
    def write(f) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("glassnet.json", text)
            for name, b in blobs.items():
                zf.writestr(name, b)

    write_atomically(path, write)
    return path


def load(path: str | os.PathLike, model_class: type[Stack] = Stack,
         allow_nonfinite: bool = False, device: str | ModuleType | None = None) -> Checkpoint:
    """Read a model file written by :func:`save`.

    Parameters
    ----------
    path : str or path_like
    model_class : type
        The class of the model to build (:class:`~glassnet.nn.Stack` or a subclass).
    allow_nonfinite : bool
        Load weights that hold NaN or infinity (to inspect a broken model)
        instead of refusing them.
    device : str or module, optional
        Where to put the model (``"cpu"``, ``"gpu"``, ``"gpu:1"``; see
        :meth:`~glassnet.nn.Stack.to`); by default NumPy's memory. The file is
        checked on the host first.

    Returns
    -------
    Checkpoint
        The model, and the optimizer and training state if they were saved.

    Raises
    ------
    ModelFileError
        If the file is not a readable glassnet model file of a supported
        version, or its weights are not all finite numbers.
    """
    path = _as_path(path)
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; give the path of a model file (such as {path / 'model.glassnet'})")
    if not path.is_file():  # a device, a FIFO (/dev/null, a pipe), a loop of links, or nothing
        raise not_a_file(path, "model file", ModelFileError)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ModelFileError(
            f"{path} is not a glassnet model file (not a ZIP archive: truncated, or another format)"
        ) from None
    except NotImplementedError as exc:  # "zip file version 23.5": a version no ZIP tool writes, a damaged byte
        raise ModelFileError(f"{path} is not a glassnet model file (a damaged or foreign ZIP archive: {exc})") \
            from None
    with zf:
        try:
            check_members(zf, path)
            meta = read_description(zf, path)
            count = parameter_count(meta, path)
            n_state = state_count(meta, path)
            if n_state and "state.npy" not in meta["arrays"]:
                raise ModelFileError(f"{path} is missing state.npy, the running statistics of its batch "
                                     "normalization")
            for name in meta["arrays"]:
                of_state = name == "state.npy" or (name.startswith("training/") and name.endswith("_state.npy"))
                check_array_header(zf, path, name, n_state if of_state else count, meta["model"]["dtype"])
            arrays = {name: _read_array(zf, path, name, info) for name, info in meta["arrays"].items()}
        except (NotImplementedError, RuntimeError, zipfile.BadZipFile) as exc:  # a member encrypted, compressed
            # by a method zipfile lacks, or "needing" a ZIP version it does not know: glassnet writes none of these
            raise ModelFileError(f"{path} is not a glassnet model file (a damaged or foreign ZIP archive: "
                                 f"{short(str(exc), 120)})") from None
    saved = np.concatenate([arrays["params.npy"], arrays.get("state.npy", arrays["params.npy"][:0])])
    if not allow_nonfinite and not np.isfinite(saved).all():
        bad = int(np.count_nonzero(~np.isfinite(saved)))
        raise ModelFileError(f"{path} holds {bad} weights that are NaN or infinite, so every prediction would be "
                             "too: the model was saved from a run that diverged, or edited. Train it again.")
    try:
        model = _build_model(meta["model"], model_class)
        model.params[...] = arrays["params.npy"]
        if n_state:
            model.state[...] = arrays["state.npy"]
        optimizer = _build_optimizer(meta["optimizer"], arrays) if meta.get("optimizer") else None
        training = meta.get("training") or {}
        if "rng_state" in training:  # the model's generator, and those of layers with one of their own
            model.set_generator_states(training)
    except ModelFileError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError, OverflowError) as exc:  # GlassnetError too
        raise ModelFileError(f"{path}: invalid model description ({type(exc).__name__}: {exc})") from None
    if device is not None:
        model.to(device)
    if optimizer is not None:
        with model.device_context():
            optimizer.bind(model)
    extra = {k[len("training/"):-len(".npy")]: v for k, v in arrays.items() if k.startswith("training/")}
    metadata = meta.get("metadata") or {}
    check_metadata(metadata, model, path)
    return Checkpoint(model=model, optimizer=optimizer, training=training, metadata=metadata,
                      training_arrays=extra, path=Path(path), verified=meta["version"] >= 2)


def _as_path(path: object, writing: bool = False) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise OptionTypeError(f"path must be a str or path-like naming a model file; received {short(path)}")
    return as_file_path(path) if writing else Path(path)  # save("models/") is refused, not written as a file


def _read_array(zf: zipfile.ZipFile, path: Path, name: str, info: dict) -> np.ndarray:
    try:
        raw = read_member(zf, name)
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


def _build_model(config: dict, model_class: type[Stack]) -> Stack:
    """The architecture described, its parameters placeholders for the file's values."""
    layers = []
    for i, spec in enumerate(config["layers"]):
        try:
            layers.append(layer_from_config(spec))
        except GlassnetError as exc:
            raise OptionError(f"layers[{i}]: {exc}") from None
    return model_class(layers, input_shape=config.get("input_shape"), dtype=np.dtype(config["dtype"]))


def _build_optimizer(meta: dict, arrays: dict) -> Optimizer:
    name = meta["name"]
    if name not in OPTIMIZERS:
        raise OptionError(f"unknown optimizer {name!r}")
    schedule_meta = meta.get("schedule") or {"name": "constant", "config": {}}
    schedule = SCHEDULES[schedule_meta["name"]](**schedule_meta["config"])
    optimizer = OPTIMIZERS[name](**meta["config"], schedule=schedule)
    slots = {k[len("optimizer/"):-len(".npy")]: v for k, v in arrays.items() if k.startswith("optimizer/")}
    optimizer.load_state_dict(meta["state"], slots)
    return optimizer
