"""``glassnet evaluate``, ``predict`` and ``info``: using a trained model file.

``predict`` handles each input on its own: one that cannot be read gets one
line naming it on standard error, the others are still predicted, and the
exit status is 1 when some failed (2 when all did).
"""

from __future__ import annotations

import os
import shlex
import sys
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image

from ..core._validation import check_array, check_writable
from ..core.arrays import to_numpy
from ..datasets import read_features
from ..errors import DataError, GlassnetError
from ..io.onnx import OPSET, to_onnx, write_onnx
from ..io.photos import preparation_of
from ..playground.data import FEATURES, inputs_from_points
from ..tools.figures import check_path
from ..tools.plots import saliency_maps
from ..tools.saliency import gradient_saliency, occlusion
from ..training.models import Sequential, load
from ..training.resuming import checkpoint_epochs
from .data import (
    UserError,
    check_width,
    model_data,
    scale_inputs,
    scale_target,
    unscale_target,
    width,
)
from .options import printable
from .outputs import format_prediction, format_regression, print_class_scores, regression_scores


def cmd_evaluate(args) -> int:
    """Score a model on the test split of its dataset.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    ck = load(args.model)
    model = ck.model
    assert isinstance(model, Sequential)  # glassnet.load builds the facade's models
    meta = ck.metadata
    dataset = args.dataset or meta.get("dataset")
    _, test = model_data(meta, args.dataset, args.data, args.target, source=args.model)
    Xt = scale_inputs(test.X, meta, model.dtype)
    check_width(model, width(Xt), f"the {dataset} data")
    if test.task == "classification":  # numbered as the model's classes (see model_data)
        pred = model.predict_classes(Xt)
        print(f"{dataset} test set: {len(test)} samples, accuracy {np.mean(pred == test.y):.2%}")
        print_class_scores(test.y, pred, test.classes)
    else:
        scores = regression_scores(test.y, unscale_target(model.predict(Xt)[:, 0], meta))
        cost = model.evaluate(Xt, scale_target(test.y, meta), "mse")["loss"]
        units = "on the standardized target, as trained" if "target_mean" in meta else "as trained"
        print(f"{dataset} test set: {len(test)} samples, {format_regression(scores)} (in the target's units; "
              f"cost {cost:.4g} {units})")
    return 0


def cmd_predict(args) -> int:
    """Predict each CSV file's rows or each picture; a bad input is reported and skipped.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        0; 1 when some inputs could not be predicted; 2 when none could.
    """
    heat = check_path(args.explain, "--explain", inputs=[args.model, *args.inputs]) if args.explain else None
    ck = load(args.model, device=args.device)
    meta = ck.metadata
    # a model of a table's rows (or of the playground's points) reads an input as rows whatever its name (rows.txt,
    # /dev/stdin) but a picture's (photo.png: refused as a picture); another reads .csv files as rows
    rows = meta.get("dataset") == "csv" or isinstance(meta.get("points"), dict)
    pictures = Image.registered_extensions()
    as_rows = [item.lower().endswith(".csv") or rows and Path(item).suffix.lower() not in pictures
               for item in args.inputs]
    if heat is not None and (rows or all(as_rows)):
        raise UserError("--explain draws pictures; " + ("this model reads rows of a table" if rows else
                                                        "every input is a CSV file"))  # before any prediction
    classes = [printable(c) for c in meta.get("classes") or range(max(2, ck.model.out_features or 0))]
    failed = 0
    explained: list[tuple] = []
    for item, table in zip(args.inputs, as_rows):
        try:
            if table:
                predict_csv(ck.model, meta, item, classes)
            else:
                explained.append(predict_image(ck.model, meta, item, classes))
        except BrokenPipeError:  # the reader stopped reading (| head): not this input's fault; main ends quietly
            raise
        except (GlassnetError, OSError) as exc:
            failed += 1
            text = str(exc)
            if Path(item).is_dir():  # "is a folder, not a picture file", and nothing of what to do
                text += (f": give its pictures ({item.rstrip('/')}/*.jpg), or score a folder of class folders with "
                         f"glassnet evaluate {shlex.quote(str(args.model))} --data {shlex.quote(str(item))}")
            print(f"glassnet: error: {text if item in text else f'{item}: {text}'}", file=sys.stderr)
    if failed and len(args.inputs) > 1:
        print(f"glassnet: {failed} of {len(args.inputs)} inputs could not be predicted", file=sys.stderr)
    if heat is not None and explained:
        explain(ck.model.to("cpu"), meta, explained, heat, inputs=[args.model, *args.inputs])
    return 0 if not failed else 1 if failed < len(args.inputs) else 2


def explain(model, meta: dict, explained: list[tuple], path, inputs: tuple | list = ()) -> None:
    """Write the saliency of each picture's prediction: gradient map and occlusion map.

    Parameters
    ----------
    model : Sequential
    meta : dict
    explained : list of (file name, prepared picture, predicted class name)
    path : pathlib.Path
    inputs : list of paths
        The command's inputs, which the picture must not overwrite.
    """
    prep = preparation_of(model.in_features, meta, model.input_shape)
    c, rows, columns = prep.shape
    pictures = np.stack([image.reshape(-1) for _, image, _ in explained])
    # a colour picture's map is its channels' sum: which places mattered, whatever their colour
    gradients = gradient_saliency(model, pictures).reshape(len(explained), c, rows, columns).sum(axis=1)
    # covered with paper for a digit, with the picture's own mean for a photo
    covered = [occlusion(model, image.reshape(prep.shape), (rows, columns), patch=max(2, rows // 7),
                         stride=max(1, rows // 14), fill=0.0 if prep.kind == "digit" else float(image.mean()))
               for _, image, _ in explained]
    titles = [f"{middle(Path(name).name, 15)}\n{label}" for name, _, label in explained]
    shown = [image.reshape(prep.shape).transpose(1, 2, 0) for _, image, _ in explained]  # rows, columns, channels
    shown = [picture[..., 0] if c == 1 else picture for picture in shown]
    saliency_maps(shown, list(gradients), path, titles, checks=covered, inputs=inputs, ink=prep.kind == "digit")
    print(f"saliency written to {path}")


def middle(text: str, width: int) -> str:
    """``text`` cut in the middle to at most ``width`` characters: ``circle-0…hes.png``, whose ends tell files apart.

    Parameters
    ----------
    text : str
    width : int

    Returns
    -------
    str
    """
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def class_probabilities(model, X) -> np.ndarray:
    """Each class's probability, one column per class, on the host: a model with one output (a sigmoid, as
    the playground's two-class networks) gives class 1's, so class 0's is the rest.

    Parameters
    ----------
    model : Sequential
    X : array

    Returns
    -------
    numpy.ndarray, shape (n, max(2, outputs))
    """
    proba = to_numpy(model.predict_proba(X))
    return np.column_stack([1 - proba[:, 0], proba[:, 0]]) if proba.shape[1] == 1 else proba


def predict_csv(model, meta: dict, path: str, classes: list) -> None:
    """Print a prediction for each data row of a CSV file, numbered by its line in the file.

    Parameters
    ----------
    model : Sequential
    meta : dict
    path : str
    classes : list of str
    """
    points, names = meta.get("points"), meta.get("feature_names") or []
    if isinstance(points, dict) and names and set(names) <= set(FEATURES):
        # a playground model of features of the points (x1^2, sin(x1), ...): the file holds the points
        X, first_line = read_features(path, ["x1", "x2"], 2, f"reads 2 columns, x1 and x2, and makes its "
                                                            f"{len(names)} inputs ({', '.join(names)}) from them")
        X = check_array(X, path, ndim=2, dtype=model.dtype)  # 1e39 named, as for any CSV
        with np.errstate(all="ignore"):
            X = inputs_from_points(X, names, points.get("centre"), points.get("half")).astype(model.dtype)
        if not np.isfinite(X).all():
            raise DataError(f"{path} holds points too far out for the model's inputs ({', '.join(names)}): they "
                            f"overflow its {np.dtype(model.dtype).name}")
    else:
        X, first_line = read_features(path, names, model.in_features)
        X = scale_inputs(X, meta, model.dtype, path)
    check_width(model, X.shape[1], path)
    if first_line == 1:
        print(f"{path}: no header row, so every line is data")
    if meta.get("task", "classification") == "classification":
        for i, p in enumerate(class_probabilities(model, X)):
            print(f"{path} line {i + first_line}: {classes[int(p.argmax())]}  (p={p.max():.3f})")
    else:
        for i, v in enumerate(unscale_target(to_numpy(model.predict(X))[:, 0], meta)):
            print(f"{path} line {i + first_line}: {format_prediction(v, meta.get('target_scale'))}")


def predict_image(model, meta: dict, path: str, classes: list) -> tuple[str, np.ndarray, str]:
    """Print the class of a picture and every class's probability, the picture prepared as the model's were.

    Parameters
    ----------
    model : Sequential
    meta : dict
    path : str
    classes : list of str

    Returns
    -------
    (path, the prepared picture, the predicted class's name)
    """
    prep = preparation_of(model.in_features, meta, model.input_shape)
    image = prep.prepare(path, name=path)
    check_width(model, image.size, "a {}x{}x{} picture".format(*prep.shape))
    proba = class_probabilities(model, image.reshape(1, -1))[0]
    best = int(proba.argmax())
    print(f"{path}: {classes[best]}  (p={proba[best]:.3f})")
    print("  " + "  ".join(f"{c}:{p:.3f}" for c, p in zip(classes, proba)))
    return path, image, classes[best]


def cmd_info(args) -> int:
    """Print a model file's size, architecture and metadata (also for a model with broken weights).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    ck = load(args.model, allow_nonfinite=True)
    size = os.path.getsize(args.model)
    print(f"{args.model}: {size:,} bytes")
    print(ck.model.summary())
    if not np.isfinite(ck.model.params).all():
        print("  WARNING: some weights are NaN or infinite; the model cannot predict")
    if not ck.verified:
        print("  unverified: a file of the first format, whose description has no checksum to check")
    hidden = ("input_mean", "input_scale", "settings", "outputs")
    for k, v in ck.metadata.items():
        if k not in hidden and v not in (None, [], ""):
            print("  " + textwrap.shorten(printable(f"{k}: {metadata_value(k, v)}"), 78, placeholder=" ..."))
    if ck.optimizer is not None:
        print(f"  optimizer: {ck.optimizer!r}, {ck.optimizer.t} steps")
    if "epoch" in ck.training:
        print("  a checkpoint after {} of {} epochs".format(*checkpoint_epochs(ck.training, args.model)))
    return 0


def metadata_value(key: str, value: object) -> str:
    """A metadata value as a person reads it: ``98.27%`` for an accuracy, ``152.85`` for a float.

    Parameters
    ----------
    key : str
    value : object

    Returns
    -------
    str
    """
    if isinstance(value, float):
        return f"{value:.2%}" if key.endswith("accuracy") else f"{value:.6g}"
    if isinstance(value, list):
        items = [metadata_value(key, v) for v in value]
        # quoted where a name holds a comma: classes "no" and "yes, big" read as two, not three
        return ", ".join(repr(item) for item in items) if any("," in item for item in items) else ", ".join(items)
    return str(value)


def cmd_export(args) -> int:
    """Write a model file as an ONNX file, its metadata and input scaling included.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    to_stdout = args.output == "-"
    if not to_stdout:
        check_writable(args.output, "output", inputs=[args.model])
    ck = load(args.model)
    proto = to_onnx(ck.model, metadata=ck.metadata)
    import onnx

    tensor = proto.graph.input[0].type.tensor_type  # float64 for a model that scales raw features
    kind = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
    dims = [d.dim_param or str(d.dim_value) for d in tensor.shape.dim]
    summary = (f"opset {OPSET}; input: {kind} ({', '.join(dims)}); outputs: "
               f"{', '.join(o.name for o in proto.graph.output)}")
    if to_stdout:  # the file on standard output, the report on standard error
        sys.stdout.buffer.write(proto.SerializeToString())
        sys.stdout.flush()
        print(f"ONNX model written to standard output ({summary})", file=sys.stderr)
        return 0
    write_onnx(proto, args.output, inputs=[args.model])
    print(f"ONNX model written to {args.output} ({summary})")
    return 0


__all__ = ["UserError", "cmd_evaluate", "cmd_export", "cmd_info", "cmd_predict",
           "predict_csv", "predict_image"]
