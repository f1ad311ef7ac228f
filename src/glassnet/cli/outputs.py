"""What ``glassnet train`` writes: its paths, checked before the first epoch, and what it says after the last.

Every output path is checked before any data is read, so a run never trains
for an hour to fail at its first write. After training come the scores on the
training and test sets, the model file (the best weights so far, if the run
was interrupted) and the learning-curve plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core._validation import check_writable
from ..errors import MissingDependencyError
from ..nn import Dense
from ..tools.confusion_plot import confusion_picture
from ..tools.figures import check_path
from ..tools.metrics import confusion_matrix, format_confusion, format_precision_recall
from ..tools.plots import learning_curves
from ..training.models import save
from .data import UserError, check_width, format_regression, regression_scores, unscale_target, width


@dataclass
class Outputs:
    """Where a run writes: checked before the first epoch."""

    folder: Path
    model: Path
    checkpoint: Path
    plot: Path | None
    confusion: Path | None = None


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
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--out: cannot make the folder {str(folder)!r} ({exc.strerror})") from None

    def path(option: str, default: str) -> Path:
        given = getattr(args, option)
        return Path(given) if given else folder / default

    data = [p for p in inputs if p is not None]
    model = check_writable(path("model", "model.glassnet"), "--model", inputs=data)
    checkpoint_default = resume if resume is not None and not args.checkpoint else None
    checkpoint = check_writable(checkpoint_default or path("checkpoint", "checkpoint.glassnet"), "--checkpoint",
                                inputs=[p for p in data if resume is None or Path(p) != resume])
    if model.resolve() == checkpoint.resolve():
        raise UserError("--model and --checkpoint must be different files")
    plot: Path | None = path("plot", "learning_curves.png")
    try:
        check_path(plot, "--plot", inputs=data)  # type: ignore[arg-type]
    except MissingDependencyError as exc:  # matplotlib is optional: no plot, said once, now
        print(f"no learning-curve plot: {exc}")
        plot = None
    confusion = None if plot is None else check_path(folder / "confusion_matrix.png", "--out", inputs=data)
    if confusion is not None and confusion.resolve() == plot.resolve():  # type: ignore[union-attr]
        raise UserError(f"--plot must not be {confusion}: a classifier's confusion-matrix picture goes there")
    return Outputs(folder, model, checkpoint, plot, confusion)


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
        print(f"kept the weights of epoch {history.best_epoch + 1} of {history.n_epochs}, the "
              f"{'highest' if 'accuracy' in key else 'lowest'} {key} ({best:.4g})")


def save_interrupted(model, history, meta: dict, out: Outputs, resumable: bool) -> int:
    """Write the best weights of an interrupted run, and say how to go on.

    Parameters
    ----------
    model : Sequential
    history : History
    meta : dict
        The model file's metadata.
    out : Outputs
    resumable : bool
        Whether the run wrote a checkpoint to resume from.

    Returns
    -------
    int
        The exit status: 130.
    """
    save(out.model, model, metadata=meta)
    print(f"{history.message}.\nthe best weights so far were written to {out.model}")
    if resumable:
        print(f"the run can go on from its checkpoint: glassnet train --resume {out.checkpoint}")
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
    print(format_confusion(matrix, classes))
    print(format_precision_recall(matrix, classes))
    return matrix


__all__ = ["Outputs", "check_outputs", "model_sizes", "print_class_scores", "report", "save_interrupted",
           "save_trained", "say_kept"]
