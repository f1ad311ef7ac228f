"""What a model file's metadata may say: the fields glassnet reads, checked against the network they describe.

:func:`~glassnet.io.model_file.save` writes nothing that :func:`~glassnet.io.model_file.load` would refuse,
and :class:`~glassnet.training.ModelCheckpoint` asks before the first epoch.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core._validation import finite_number, short
from ..errors import ModelFileError, OptionError
from ..nn import Stack
from .file_checks import json_values
from .images import MAX_SIDE
from .photos import check_picture


def savable_metadata(metadata: dict | None, model: Stack, path: str | os.PathLike) -> dict:
    """``metadata`` as :func:`save` writes it (JSON values), refused now if :func:`load` would refuse it.

    :class:`~glassnet.training.ModelCheckpoint` asks before the first epoch,
    so that three class names for two outputs are not found after an epoch.

    Parameters
    ----------
    metadata : dict or None
    model : Stack
    path : str or path_like
        The file it is for, for messages.

    Returns
    -------
    dict
    """
    values = json_values(metadata, "metadata")
    try:  # what load checks, checked now: a file that would not load back is not written over a good one
        check_metadata(values, model, Path(path))
    except ModelFileError as exc:
        raise OptionError(f"{str(exc).replace(f'{path}: its ', '', 1)}; {path} was not written") from None
    return values


def check_metadata(metadata: dict, model: Stack, path: Path) -> None:
    """Check the metadata fields glassnet reads against the network they describe.

    The fields the command line, the web page and ONNX export use must fit
    the model: as many class names as outputs (two for a single sigmoid
    output), an image shape, feature names and input scaling that match the
    input width, finite scales. Other fields pass as they are.

    Parameters
    ----------
    metadata : dict
    model : Stack
    path : pathlib.Path
        For messages.
    """
    n_in, n_out = model.in_features, model.out_features

    def refuse(key: str, what: str) -> ModelFileError:
        return ModelFileError(f"{path}: its metadata's {key} {what}; received {short(metadata[key])}")

    def numbers(key: str, per_feature: bool, positive: bool = False) -> None:
        value = metadata.get(key)
        if value is None:
            return
        values = value if per_feature else [value]
        ok = isinstance(values, list) and (not per_feature or n_in is None or len(values) == n_in) and all(
            isinstance(v, (int, float)) and finite_number(v) and (v > 0 or not positive)
            for v in values)
        if not ok:
            what = f"{n_in} finite numbers, one per input feature" if per_feature else "a finite number"
            raise refuse(key, f"must be {what}{', each above 0' if positive else ''}")

    classes = metadata.get("classes")
    if classes not in (None, []):  # a regression model's list is empty
        if not isinstance(classes, list) or not all(isinstance(c, (str, int)) for c in classes):
            raise refuse("classes", "must be a list of class names")
        if n_out is not None and len(classes) != n_out and not (n_out == 1 and len(classes) == 2):
            raise refuse("classes", f"must name one class per output of the model ({n_out})")
    shape = metadata.get("image_shape")
    if shape is not None and (not isinstance(shape, list) or len(shape) != 2
                              or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_SIDE
                                         for v in shape)
                              or (n_in is not None and shape[0] * shape[1] != n_in)):
        raise refuse("image_shape", f"must be [rows, columns] of the model's {n_in} input values, each side "
                                    f"at most {MAX_SIDE:,} pixels")
    if metadata.get("picture") is not None:
        try:
            check_picture(metadata["picture"], n_in)
        except OptionError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
    names = metadata.get("feature_names")
    if names and (not isinstance(names, list) or not all(isinstance(v, str) for v in names)
                  or (n_in is not None and len(names) != n_in)):
        raise refuse("feature_names", f"must name the model's {n_in} input features")
    numbers("input_mean", per_feature=True)
    numbers("input_scale", per_feature=True, positive=True)
    numbers("target_mean", per_feature=False)
    numbers("target_scale", per_feature=False, positive=True)
    for mean, scale in (("input_mean", "input_scale"), ("target_mean", "target_scale")):  # read as a pair
        if (metadata.get(mean) is None) != (metadata.get(scale) is None):
            given, missing = (mean, scale) if metadata.get(mean) is not None else (scale, mean)
            raise ModelFileError(f"{path}: its metadata gives {given} without {missing}: the two go together, "
                                 "as (x - mean) / scale")
    points = metadata.get("points")  # a playground model's inputs made from x1 and x2 (see cli.use.predict_csv)
    if points is not None:
        def two_numbers(v: object) -> bool:
            return isinstance(v, list) and len(v) == 2 and all(
                isinstance(x, (int, float)) and finite_number(x) for x in v)

        centre, half = (points.get("centre"), points.get("half")) if isinstance(points, dict) else (0, 0)
        ok = (centre is None and half is None) or (two_numbers(centre) and two_numbers(half)
                                                   and min(half) > 0)  # type: ignore[arg-type]
        if not ok:
            raise refuse("points", "must be {columns, centre, half}: the centre and half-width of x1 and x2, "
                                   "2 finite numbers each, the half-widths above 0")
    task = metadata.get("task")
    if task is not None and task not in ("classification", "regression"):
        raise refuse("task", "must be 'classification' or 'regression'")
