"""What ``glassnet train`` writes: its paths, checked before the first epoch, and what it says after the last.

Every output path is checked before any data is read, so a run never trains for an hour to fail at its
first write. After training come the scores on the training and test sets, the model file (the best weights
so far, if the run was interrupted) and the learning-curve plot.
"""

from __future__ import annotations

import contextlib
import math
import os
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core._validation import check_writable, input_folder_around
from ..errors import MissingDependencyError
from ..nn import Dense
from ..tools.confusion_plot import confusion_picture
from ..tools.figures import check_path
from ..tools.metrics import confusion_matrix, format_confusion, format_precision_recall
from ..tools.plots import learning_curves
from ..training.models import save
from .data import UserError, check_width, unscale_target, width
from .options import printable


@dataclass
class Outputs:
    """Where a run writes: checked before the first epoch."""

    folder: Path
    model: Path
    checkpoint: Path
    plot: Path | None
    confusion: Path | None = None
    #: the outermost folder this run made (``folder`` or one above it), or None
    made: Path | None = None


def check_outputs(args, inputs: list) -> Outputs:
    """Make the output folder and check that every file can be written there, before any training.

    Where to write comes from the command line alone, never from a file: a
    resumed run writes beside the checkpoint named by ``--resume`` (which it
    goes on writing), unless ``--out``, ``--model``, ``--checkpoint`` or
    ``--plot`` say otherwise.

    Parameters
    ----------
    args : argparse.Namespace
    inputs : list of paths
        The files the run reads (the data, the checkpoint it resumes): none may be written over.

    Returns
    -------
    Outputs
    """
    resume = Path(args.resume) if args.resume else None
    folder = Path(args.out) if args.out else resume.parent if resume is not None else Path("glassnet-out")
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--out must be a folder (made if missing), but {str(folder)!r} is a file")
    data = [p for p in inputs if p is not None]
    source = input_folder_around(folder, data)  # before the folder is made: an empty one would be read as a class
    if source is not None:
        raise UserError(f"--out {str(folder)!r} is inside {str(source)!r}, a folder the run reads, which its "
                        "files would change: give --out outside it")
    made = None  # the outermost folder this run makes (--out x/y may make x too)
    if not folder.exists():
        made = folder
        while not made.parent.exists():
            made = made.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out: cannot make the folder {str(folder)!r} ({exc.strerror})") from None

    with left_empty_removed(folder, made):
        def path(option: str, default: str) -> Path:
            given = getattr(args, option)
            return Path(given) if given else folder / default

        model = check_writable(path("model", "model.glassnet"), "--model", inputs=data)
        # a resumed run goes on writing its checkpoint, unless --out sends the run's files elsewhere
        checkpoint_default = resume if resume is not None and not args.checkpoint and not args.out else None
        checkpoint = check_writable(checkpoint_default or path("checkpoint", "checkpoint.glassnet"), "--checkpoint",
                                    inputs=[p for p in data if resume is None or Path(p) != resume])
        plot: Path | None = path("plot", "learning_curves.png")
        try:
            check_path(plot, "--plot", inputs=data)  # type: ignore[arg-type]
        except MissingDependencyError as exc:  # matplotlib is optional: no plot, said once, now
            print(f"no learning-curve plot: {exc}")
            plot = None
        # beside the learning curves: where --plot sends them elsewhere, --out may hold another run's files
        confusion = None if plot is None else check_path(plot.parent / "confusion_matrix.png", "--plot", inputs=data)
        written: dict[Path, str] = {}
        for option, target in (("--model", model), ("--checkpoint", checkpoint), ("--plot", plot),
                               ("the confusion-matrix picture", confusion)):
            if target is None:
                continue
            if (same := written.get(target.resolve())) is not None:  # one would silently replace the other
                raise UserError(f"{option} and {same} name the same file, {str(target)!r}: give each its own")
            written[target.resolve()] = option
        return Outputs(folder, model, checkpoint, plot, confusion, made)


@contextlib.contextmanager
def left_empty_removed(folder: Path, made: Path | None) -> Iterator[None]:
    """Remove ``folder``, and the folders above it up to ``made``, if the block raises and they are empty.

    Parameters
    ----------
    folder : pathlib.Path
    made : pathlib.Path or None
        The outermost folder this run made: ``folder`` or one above it (None: the run made none).
    """
    try:
        yield
    except BaseException:
        here = folder
        while made is not None:
            try:
                here.rmdir()
            except OSError:  # not empty (a checkpoint, a file of the user's): kept, and what holds it
                break
            if here == made:
                break
            here = here.parent
        raise


@contextlib.contextmanager
def restored_on_failure(path: Path) -> Iterator[None]:
    """Put the file at ``path`` back as it was if the block raises: a run that fails writes nothing.

    A run's checkpoint replaces an earlier run's while it trains (so that a
    crash leaves the newest state to resume); a run that then diverges or
    learns nothing must not keep it. The earlier file is kept aside as a
    hard link (a copy where links fail): saves replace files, so the link
    holds its bytes. Where there was none, the failed run's is removed.

    Parameters
    ----------
    path : pathlib.Path
    """
    path = Path(os.path.realpath(path))  # the file a link names: saves write through the link, onto it
    aside = path.with_name(f".{path.name}.{os.getpid()}.before") if path.is_file() else None
    if aside is not None:
        try:
            os.link(path, aside)
        except OSError:
            shutil.copy2(path, aside)
    try:
        yield
    except Exception:
        if aside is not None:
            os.replace(aside, path)
            aside = None
        else:
            path.unlink(missing_ok=True)
        raise
    finally:
        if aside is not None:
            aside.unlink(missing_ok=True)


def say_kept(history, key: str) -> None:
    """Print which epoch's weights a run kept, where it kept the best rather than the last.

    Parameters
    ----------
    history : History
        The run's history.
    key : str
        What "best" means: the setting ``--keep-best``.
    """
    if history.best_epoch is not None:
        best = history[key][history.epochs.index(history.best_epoch)]
        value = f"{best:.2%}" if "accuracy" in key else f"{best:.4g}"  # an accuracy of 1 as 100.00%
        print(f"kept the weights of epoch {history.best_epoch + 1} of {history.n_epochs}, the "
              f"{'highest' if 'accuracy' in key else 'lowest'} {key} ({value})")


def save_interrupted(model, history, meta: dict, out: Outputs, resumable: bool, started: int = 0,
                     resumed: str | None = None) -> int:
    """Write the best weights of an interrupted run, and say how to go on.

    A run stopped before it completed an epoch learned nothing to keep: it
    writes nothing, so a model file of an earlier run at the same path stays.

    Parameters
    ----------
    model : Sequential
    history : History
    meta : dict
        The model file's metadata.
    out : Outputs
    resumable : bool
        Whether the run writes a checkpoint to resume from.
    started : int
        The epochs done when this run began (those of the checkpoint it resumed).
    resumed : str, optional
        The checkpoint this run resumed, which still holds those epochs.

    Returns
    -------
    int
        The exit status: 130.
    """
    print(f"{history.message}.")
    go_on = "the run can go on from its checkpoint: glassnet train --resume "  # quoted: a path may hold spaces
    if history.n_epochs == started:
        print(f"no epoch was complete: nothing was written (not {out.model})")
        if resumed is not None:
            print(go_on + shlex.quote(str(resumed)))
        return 130
    save(out.model, model, metadata=meta)
    print(f"the best weights so far were written to {out.model}" + ("\n" + go_on + shlex.quote(str(out.checkpoint))
                                                                    if resumable else ""))
    return 130


def save_trained(model, history, meta: dict, out: Outputs, name: str, arch: str) -> None:
    """Write the model of a finished run, and its learning curves where matplotlib can draw them.

    Parameters
    ----------
    model : Sequential
    history : History
    meta : dict
        The model file's metadata, test scores included.
    out : Outputs
    name : str
        The dataset's name, for the plot's title.
    arch : str
        "mlp" or "cnn".
    """
    save(out.model, model, metadata=meta)
    print(f"model written to {out.model}")
    if out.plot is not None:
        title = f"{name}: " + ("conv net" if arch == "cnn" else '-'.join(map(str, model_sizes(model))))
        print(f"learning curves written to {learning_curves(history, out.plot, title=title)}")


def model_sizes(model) -> list[int]:
    """The widths of a stack of Dense layers: input, hidden layers, output.

    Parameters
    ----------
    model : Sequential

    Returns
    -------
    list of int
    """
    return [model.in_features] + [layer.out_features for layer in model.layers if isinstance(layer, Dense)]


def report(model, X, y, Xt, yt, meta: dict, loss: str, classes: list, picture: Path | None = None) -> dict[str, float]:
    """Print the scores on the training and test sets, in the target's own units.

    A classifier's scores include the confusion matrix and each class's
    precision and recall, and where ``picture`` is given the matrix is drawn there.

    Parameters
    ----------
    model : Sequential
    X, y : the training set (scaled inputs, raw targets)
    Xt, yt : the test set
    meta : dict
    loss : str
    classes : list of str
    picture : Path, optional
        Where to draw a classifier's confusion matrix.

    Returns
    -------
    dict
        The test scores, for the model file's metadata.
    """
    check_width(model, width(Xt), "the test set")
    if loss == "cross_entropy":
        train_acc = float(np.mean(model.predict_classes(X) == y))
        pred = model.predict_classes(Xt)
        test_acc = float(np.mean(pred == yt))
        print(f"training accuracy {train_acc:.2%}   test accuracy {test_acc:.2%}")
        print("confusion matrix on the test set:")
        matrix = print_class_scores(yt, pred, classes)
        if picture is not None and len(yt):
            print(f"confusion matrix drawn in {confusion_picture(matrix, classes, picture)}")
        return {"test_accuracy": test_acc}
    on_train = regression_scores(y, unscale_target(model.predict(X)[:, 0], meta))
    on_test = regression_scores(yt, unscale_target(model.predict(Xt)[:, 0], meta))
    print(f"training set: {format_regression(on_train)}")
    print(f"test set:     {format_regression(on_test)}   (in the target's units)")
    return {f"test_{k}": v for k, v in on_test.items()}


def print_class_scores(y, predicted, classes: list) -> np.ndarray:
    """Print the confusion matrix, then each class's precision, recall and number of samples.

    Parameters
    ----------
    y, predicted : int arrays, shape (n_samples,)
    classes : list of str

    Returns
    -------
    int array, shape (n_classes, n_classes)
        The confusion matrix.
    """
    matrix = confusion_matrix(y, predicted, len(classes))
    classes = [printable(c) for c in classes]  # names from files: no terminal control reaches the screen
    print(format_confusion(matrix, classes))
    print(format_precision_recall(matrix, classes))
    return matrix


def regression_scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and R² of predictions, in the target's units.

    Parameters
    ----------
    y, predicted : arrays, shape (n_samples,)

    Returns
    -------
    dict
    """
    y, predicted = np.asarray(y, np.float64), np.asarray(predicted, np.float64).reshape(y.shape)
    # in units of a power of two near the largest value: no square overflows (1e300), no value rounds
    big = float(max(np.abs(y).max(initial=0.0), np.abs(predicted).max(initial=0.0)))
    big = 2.0 ** math.frexp(big)[1] if 0 < big < math.inf else 1.0
    error, y = (predicted - y) / big, y / big
    total = float(np.sum((y - y.mean()) ** 2))
    return {"rmse": big * float(np.sqrt(np.mean(error ** 2))), "mae": big * float(np.mean(np.abs(error))),
            "r2": 1.0 - float(np.sum(error ** 2)) / total if total > 0 else float("nan")}


def format_prediction(value: float, spread: float | None) -> str:
    """A regression model's prediction in the target's units, to a ten-thousandth of the target's spread in
    training (``spread``, its standard deviation), never an exponent for everyday sizes: ``2996840``,
    ``5000000.12346``. Where the spread is not known, seven significant digits.

    Parameters
    ----------
    value : float
    spread : float or None

    Returns
    -------
    str
    """
    if spread is None or not 0 < spread < math.inf or not abs(value) < 1e15:
        return f"{value:.7g}"
    decimals = min(15, max(0, 4 - math.floor(math.log10(spread))))
    return f"{round(float(value), decimals) + 0.0:.{decimals}f}"  # + 0.0: a -0.0 reads 0


def format_value(value: float) -> str:
    """A score in the target's units with four significant digits, trailing zeros kept, never an exponent
    for everyday sizes: ``53.20``, ``0.01230``, ``65,361``.

    Parameters
    ----------
    value : float

    Returns
    -------
    str
    """
    if not np.isfinite(value) or value == 0:
        return f"{value:g}"
    magnitude = int(np.floor(np.log10(abs(value))))
    if magnitude < -4 or magnitude > 15:
        return f"{value:.3e}"
    return f"{value:,.{max(0, 3 - magnitude)}f}"


def format_regression(scores: dict[str, float]) -> str:
    """``RMSE 1.230  MAE 0.9800  R² 0.871``, in the target's units.

    Parameters
    ----------
    scores : dict

    Returns
    -------
    str
    """
    return f"RMSE {format_value(scores['rmse'])}  MAE {format_value(scores['mae'])}  R² {scores['r2']:.3f}"


__all__ = ["Outputs", "check_outputs", "format_regression", "model_sizes", "print_class_scores",
           "regression_scores", "report", "save_interrupted", "save_trained", "say_kept"]
