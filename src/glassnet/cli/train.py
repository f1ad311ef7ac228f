"""``glassnet train``: a run that loses nothing.

Before the first epoch every output path is checked. During the run the
weights of the best epoch by validation cost are kept, and a checkpoint is
written every few epochs. Ctrl-C saves the best weights so far and the
checkpoint, then exits 130; ``--resume CHECKPOINT`` continues the run to the
same final weights as if it had never stopped. A run that diverges writes
nothing and exits 3.

The run's settings come from :mod:`glassnet.cli.settings`; the paths it
writes, and what it prints and writes after training, from
:mod:`glassnet.cli.outputs`.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..core.arrays import resolve_device
from ..datasets import PhotoAugment, RandomAffine
from ..datasets.mnist import MNIST_FILES, source_of
from ..errors import DivergenceError, OptionError, missing
from ..nn import Normalize, picture_channels
from ..optim import get_optimizer
from ..optim.schedules import Cosine
from ..tools.diagnose import Diagnostics, diagnose
from ..training import EarlyStopping, ModelCheckpoint
from ..training.models import Sequential, cnn, load, mlp, resume
from ..training.recipes import Recipe, get_recipe
from ..training.solvers import is_full_batch
from .data import (
    UserError,
    check_fingerprint,
    fingerprint,
    load_data,
    scale_inputs,
    scale_target,
    split_validation,
    standardize,
    width,
)
from .options import printable
from .outputs import Outputs as Outputs  # Outputs and the settings below lived here: re-exported
from .outputs import (
    check_outputs,
    left_empty_removed,
    model_sizes,
    report,
    restored_on_failure,
    save_interrupted,
    save_trained,
    say_kept,
)
from .pictures import check_folder, folder_fingerprint
from .settings import AUGMENT, DEFAULT_LR, DEFAULTS, PICTURE, resumed_settings, settings_from
from .settings import CNN_DEFAULTS as CNN_DEFAULTS
from .settings import COMMON as COMMON
from .settings import SETTINGS as SETTINGS
from .settings import check_saved_settings as check_saved_settings
from .settings import recipe_settings as recipe_settings


def cmd_train(args) -> int:
    """Train, report and save; see the module's docstring.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
        The exit status.
    """
    comm = mpi_world() if args.distributed else None
    try:
        if comm is not None and comm.Get_rank():  # the other ranks compute; rank 0 prints and writes
            with contextlib.redirect_stdout(io.StringIO()):
                return _train(args, comm)
        return _train(args, comm)
    except OptionError as exc:  # fit's refusals name its argument: here it is the option
        if "comm (data-parallel training)" not in str(exc):
            raise
        raise OptionError(str(exc).replace("comm (data-parallel training)", "--distributed")) from None


def mpi_world() -> Any:
    """MPI's world communicator, for ``--distributed`` (started by ``mpiexec -n K glassnet train ...``)."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise missing("mpi4py", "mpi", "--distributed") from exc
    return MPI.COMM_WORLD


def _train(args, comm: Any) -> int:
    on_host = resolve_device(args.device)[0] is np  # a GPU asked for where there is none fails before any reading
    ck = load(args.resume) if args.resume else None
    s = resumed_settings(args, ck) if ck is not None else settings_from(args)
    # MNIST's folder is read by its four file names: those files are the inputs, and the folder may take outputs
    data = [source_of(Path(s["data"]), name) for name in MNIST_FILES] if s["dataset"] == "mnist" and s["data"] \
        else [s["data"]]  # (published, or unzipped)
    out = check_outputs(args, [*data, s.get("test_data"), args.resume])
    with left_empty_removed(out.folder, out.made):  # a run refused after it made --out leaves no empty folder
        return _trained(args, comm, on_host, ck, s, out)


def _trained(args, comm: Any, on_host: bool, ck: Any, s: dict, out: Outputs) -> int:
    """The run itself, its outputs checked: the data, the model, training, the scores and the files."""
    if ck is not None and args.data is None:  # a path read from a file: only where its file is unchanged
        check_fingerprint(s["data"], ck.metadata.get("data_fingerprint"), s["dataset"], args.resume)
    if ck is not None and args.test_data is None and s["dataset"] == "folder":
        check_folder(s["test_data"], ck.metadata.get("test_data_fingerprint"), "--test-data", args.resume)
    train, test = load_data(s["dataset"], s["data"], s["target"], s["test_fraction"], s["seed"], s["task"],
                            picture={k: s.get(k) for k in PICTURE},
                            lazy=on_host and not is_full_batch(s["optimizer"]))
    if train.task_reason:
        print(f"task: {train.task_reason}")
    train, val = split_validation(train, s["validation_fraction"], s["seed"])
    classify = train.task == "classification"
    if classify and len(train.classes) < 2:  # it was refused by the loss, in its terms, after the model's summary
        raise UserError(f"the training rows hold one class only, {printable(train.classes[0])!r}: a classifier "
                        "needs two or more" + (f" (--target {s['target']} names a column of one value)"
                                               if s["dataset"] == "csv" else ""))
    if not classify and len(train.y) and np.all(train.y == train.y[0]):  # its spread is 0: nothing to learn
        raise UserError(f"the training rows' target holds one value, {train.y[0]:g}: a regression needs values "
                        "that vary" + (f" (--target {s['target']} names a column of one value)"
                                       if s["dataset"] == "csv" else ""))
    meta: dict[str, Any] = {
        "dataset": s["dataset"], "data": s["data"], "target": s["target"], "task": train.task,
        "classes": train.classes, "feature_names": train.feature_names, "image_shape": train.image_shape,
        # MNIST has its own test set; the others are split from the seed
        "test_fraction": None if s["dataset"] == "mnist" else s["test_fraction"], "seed": s["seed"], "settings": s,
        "data_fingerprint": fingerprint(s["data"]) if s["dataset"] == "csv" else
        folder_fingerprint(s["data"]) if s["dataset"] == "folder" else None}
    photo = s["dataset"] == "folder"  # a photo model says how its pictures are made, for predict and serve
    if photo:
        meta["image_shape"] = None
        meta["picture"] = {"size": s["size"], "channels": int(train.X.shape[1]), "fit": s["fit"]}
        meta["test_data_fingerprint"] = folder_fingerprint(s["test_data"])
    if s["dataset"] == "csv":
        meta["input_mean"], meta["input_scale"] = standardize(train.X)
    if not classify:
        (meta["target_mean"],), (meta["target_scale"],) = standardize(train.y)
    X, Xt = scale_inputs(train.X, meta, s["dtype"]), scale_inputs(test.X, meta, s["dtype"])
    y = scale_target(train.y, meta)
    validation = None if val is None else (scale_inputs(val.X, meta, s["dtype"]), scale_target(val.y, meta))
    loss = "cross_entropy" if classify else "mse"
    if "accuracy" in s["keep_best"] and not classify:
        raise UserError(f"--keep-best {s['keep_best']} applies to classification; this is regression")
    keep_best = False if s["keep_best"] == "last" else s["keep_best"]
    n_out = len(train.classes) if classify else 1
    sizes = [width(X), *s.get("layers", []), n_out]
    image: tuple | None = tuple(X.shape[1:]) if photo else None if train.image_shape is None else \
        (1, *train.image_shape)
    inputs = "pictures of {}x{}x{} (channels, rows, columns)".format(*X.shape[1:]) if photo else \
        f"{X.shape[1]} features"
    print(f"dataset {s['dataset']}: {len(train)} training, {0 if val is None else len(val)} validation and "
          f"{len(test)} test samples, {inputs}" + (f", {n_out} classes" if classify else ""))
    if val is None and s["schedule"] != "constant" and ck is None:
        print("no validation share: the learning rate falls to 0 over the run, so its last epoch is the one kept "
              "(--validation-fraction holds some rows out)")

    if val is None and s["patience"] is not None:
        print(f"--patience {s['patience']} watches the training cost: no rows are held out for validation "
              "(--validation-fraction holds some out)")
    quasi = is_full_batch(s["optimizer"])
    callbacks: list = [] if s["patience"] is None else [EarlyStopping(patience=s["patience"], restore_best=False)]
    if not quasi:  # a quasi-Newton run cannot be resumed exactly, so it writes no checkpoint
        callbacks.append(ModelCheckpoint(out.checkpoint, every=args.checkpoint_every or 10**9, metadata=meta))
    if args.diagnose:  # after every epoch, a resumed run's too (diagnose reads its own sample of the rows)
        callbacks.append(Diagnostics(X, y, loss))
    common = dict(validation_data=validation, callbacks=callbacks, verbose=not args.quiet,
                  on_divergence="raise", on_interrupt="stop", threads=args.threads, comm=comm)
    augment = augmenter(s, image)
    writes = not quasi and (comm is None or comm.Get_rank() == 0)  # the checkpoint, as it goes
    with restored_on_failure(out.checkpoint) if writes else contextlib.nullcontext():  # a failed run writes nothing
        try:
            if ck is not None:
                print(f"resuming {args.resume} at epoch {ck.training['epoch'] + 1} of {s['epochs']}")
                # a cosine to 0 ends at the run's last epoch: taken further, it stretches to the new last epoch
                stretch = s["schedule"] == "cosine" and s["epochs"] != ck.training["epochs"]
                model, history = resume(args.resume, X, y, epochs=s["epochs"], augment=augment, device=args.device,
                                        schedule=schedule_for(s) if stretch else None, **common)
            else:
                model = build_model(s, sizes, image, normalize=Normalize.fit(X) if photo else None)
                model.to(args.device)
                print(model.summary())
                optimizer: Any = s["optimizer"]
                if not quasi:
                    optimizer = get_optimizer(s["optimizer"], lr=s["lr"], schedule=schedule_for(s),
                                              **({"momentum": s["momentum"]} if s["momentum"] else {}))
                if args.diagnose:  # and before the first: the fresh network, with a trial step of its optimizer
                    print(diagnose(model, X, y, loss, optimizer=None if quasi else optimizer, l2=s["l2"]))
                history = model.fit(X, y, loss=loss, optimizer=optimizer, epochs=s["epochs"],
                                    batch_size=s["batch_size"] or None, l2=s["l2"], keep_best=keep_best,
                                    augment=augment, **common)
        except DivergenceError as exc:
            raise DivergenceError(f"{exc} Nothing was written.") from None
    model.to("cpu")  # scored and saved from the host

    say_kept(history, s["keep_best"])
    if comm is not None and comm.Get_rank():
        return 130 if history.interrupted else 0
    if history.interrupted:
        return save_interrupted(model, history, meta, out, resumable=not quasi,
                                started=0 if ck is None else ck.training["epoch"],
                                resumed=None if ck is None else args.resume)
    if history.message:
        print(history.message)
    try:
        meta.update(report(model, X, train.y, Xt, test.y, meta, loss, train.classes, out.confusion))
    except KeyboardInterrupt:  # trained, and its checkpoint written: its model too, rather than the last run's
        save_trained(model, history, meta, out, train.name, s["arch"])
        print("glassnet: interrupted while scoring the trained model: it was written without its test scores",
              file=sys.stderr)
        return 130
    save_trained(model, history, meta, out, train.name, s["arch"])
    if writes:  # its last epoch's, which ModelCheckpoint wrote at the end of the run
        print(f"checkpoint written to {out.checkpoint} (glassnet train --resume it, for more --epochs)")
    return 0


def schedule_for(s: dict) -> Any:
    """The learning-rate schedule of a run: a recipe's one cycle, a cosine down to 0, or none.

    Parameters
    ----------
    s : dict
        The run's settings.

    Returns
    -------
    Schedule or None
    """
    if s.get("recipe"):  # the recipe's own cycle, over the epochs this run was given
        return get_recipe(s["recipe"], s["arch"]).with_(epochs=s["epochs"]).schedule()
    return Cosine(period=s["epochs"]) if s["schedule"] == "cosine" else None


def augmenter(s: dict, image: tuple | None) -> RandomAffine | PhotoAugment | None:
    """How a run changes its training pictures: photos mirrored, shifted and jittered; digits moved and turned.

    Parameters
    ----------
    s : dict
        The run's settings.
    image : (channels, rows, columns) or None

    Returns
    -------
    RandomAffine, PhotoAugment or None
    """
    if not s["augment"] or image is None:
        return None
    if s["dataset"] == "folder":
        return PhotoAugment(flip=True, shift=0.1, jitter=0.1)
    # moves in proportion to the picture: AUGMENT's shift is for MNIST's 28 rows
    return RandomAffine(**{**AUGMENT, "shift": AUGMENT["shift"] * image[1] / 28}, image_shape=image[1:])


def build_model(s: dict, sizes: list[int], image: tuple[int, int, int] | None,
                normalize: Normalize | None = None) -> Sequential:
    """The network a run trains: the MLP of ``sizes``, or the default conv net for pictures of ``image``'s shape.

    Parameters
    ----------
    s : dict
        The run's settings.
    sizes : list of int
        Input, hidden and output widths of the MLP.
    image : (channels, rows, columns) or None
    normalize : Normalize, optional
        For photos: the first layer, which centres and scales each colour channel.

    Returns
    -------
    Sequential
    """
    if s["arch"] == "cnn" and s.get("recipe"):
        assert image is not None
        recipe: Recipe = get_recipe(s["recipe"], "cnn")
        return recipe.build(n_classes=sizes[-1], image_shape=image, rng=s["seed"], dtype=s["dtype"],
                            dropout=s["dropout"])
    if s["arch"] == "cnn" and s["dataset"] == "folder":  # blocks that halve the pictures to about 4 pixels
        assert image is not None
        return cnn(image, sizes[-1], channels=picture_channels(image[1]), hidden=64, dropout=s["dropout"],
                   normalize=normalize, rng=s["seed"], dtype=s["dtype"])
    if s["arch"] == "cnn":
        assert image is not None
        return cnn(image, sizes[-1], dropout=s["dropout"], rng=s["seed"], dtype=s["dtype"])
    return mlp(sizes, activation=s["activation"], dropout=s["dropout"], rng=s["seed"], dtype=s["dtype"])


__all__ = ["DEFAULTS", "DEFAULT_LR", "cmd_train", "model_sizes", "report"]
