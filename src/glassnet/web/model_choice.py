"""Which model ``glassnet serve`` serves: the one given, the one ``glassnet train`` just wrote, or a default.

A default digit model is trained at the first start and cached, one per
dataset (MNIST when it can be had, else the 8x8 digits); later starts serve
it from the cache. Each choice is announced with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import datasets
from ..datasets.base import data_home, make_folder
from ..errors import DataError, GlassnetError
from ..io import Checkpoint
from ..io.photos import Preparation, preparation_of
from ..optim import Adam
from ..optim.schedules import Cosine
from ..training.models import CNN_RECIPES, cnn, load, save

#: where ``glassnet train`` writes its model by default, relative to the folder it runs in
LOCAL_MODEL = Path("glassnet-out") / "model.glassnet"


def picture_preparation(checkpoint: Checkpoint) -> Preparation:
    """How a checkpoint's model takes pictures: a digit's shape, or a photo model's preparation.

    See :func:`glassnet.io.photos.preparation_of`; a model that takes no
    pictures is refused with an :class:`~glassnet.errors.OptionError`.

    Parameters
    ----------
    checkpoint : Checkpoint

    Returns
    -------
    Preparation
    """
    return preparation_of(checkpoint.model.in_features, checkpoint.metadata, checkpoint.model.input_shape)


def describe(checkpoint: Checkpoint) -> str:
    """A model in a few words: ``mnist, test accuracy 98.27 %``.

    Parameters
    ----------
    checkpoint : Checkpoint

    Returns
    -------
    str
    """
    meta = checkpoint.metadata
    accuracy = meta.get("test_accuracy")
    words = [str(meta.get("dataset") or "unknown data")]
    if isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool) and 0 <= accuracy <= 1:
        words.append(f"test accuracy {accuracy:.2%}")
    return ", ".join(words)


def choose_model(model: str | None = None, data: str | None = None, cache: str | os.PathLike | None = None,
                 announce: Callable[[str], object] = print) -> Checkpoint:
    """The model ``glassnet serve`` serves, saying which file it is and why.

    Parameters
    ----------
    model : str, optional
        A model file given on the command line: served as it is.
    data : str, optional
        A folder with MNIST's files, for the default MNIST model (see :func:`default_model`).
    cache : str or path_like, optional
        Where the default models are kept.
    announce : callable
        Receives the line that says which model is served and why.

    Returns
    -------
    Checkpoint
        ``model`` when given; else ``glassnet-out/model.glassnet`` in the
        working folder when it is a picture model (what ``glassnet train``
        just wrote there), read and checked like any model file; else the
        default model for the data.
    """
    if model:
        checkpoint = load(model)
        announce(f"serving {model} ({describe(checkpoint)})")
        return checkpoint
    if data is None and LOCAL_MODEL.is_file():
        try:
            checkpoint = load(LOCAL_MODEL)
            picture_preparation(checkpoint)
        except GlassnetError as exc:
            announce(f"not serving {LOCAL_MODEL}: {exc}")
        else:
            announce(f"serving {LOCAL_MODEL}, the model glassnet train wrote in this folder ({describe(checkpoint)}); "
                     "give a model file to serve another")
            return checkpoint
    return default_model(data, cache, announce)


def default_model(data: str | None = None, cache: str | os.PathLike | None = None,
                  announce: Callable[[str], object] = print) -> Checkpoint:
    """A digit model for the page, trained at the first start and cached, one per dataset.

    Parameters
    ----------
    data : str, optional
        A folder with MNIST's files: the model is then an MNIST model. The
        folder's files are checked against MNIST's published checksums (an
        unreadable folder is an error, never a fallback), so a cached MNIST
        model was trained on the same data and is served without training again.
    cache : str or path_like, optional
        Where the models are kept (``$GLASSNET_DATA/models`` by default).
    announce : callable
        Receives the lines that say which model is served and why.

    Returns
    -------
    Checkpoint
        Without ``data``: the MNIST model when it is cached or MNIST can be had
        (the loader's cache or a download), else the 8x8 digits model.
    """
    root = (Path(cache).expanduser() if cache else data_home()) / "models"
    mnist_path, digits_path = root / "digits-mnist-cnn.glassnet", root / "digits-8x8-cnn.glassnet"
    if data is not None:
        try:
            datasets.mnist.check_folder(Path(data))
        except (OSError, DataError) as exc:  # asked for MNIST from a folder: say what is wrong with it
            raise DataError(f"--data {data}: {exc}") from None
    if mnist_path.exists():
        checkpoint = load(mnist_path)
        why = "" if data is None else f"; the files in {data} are MNIST's, on which it was trained"
        announce(f"serving the default MNIST model, cached in {mnist_path} ({describe(checkpoint)}){why}")
        return checkpoint
    try:
        train, test = datasets.load_mnist(data)
    except (OSError, DataError) as exc:
        if data is not None:
            raise DataError(f"--data {data}: {exc}") from None
        if digits_path.exists():
            checkpoint = load(digits_path)
            announce(f"serving the default 8x8-digits model, cached in {digits_path} ({describe(checkpoint)}): "
                     f"MNIST is not available ({exc}); give --data with MNIST's files for an MNIST model")
            return checkpoint
        announce(f"MNIST not available ({exc}); training on the 8x8 digits instead")
        train, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
        return _train_default(train, test, "digits", digits_path, announce)
    return _train_default(train, test, "mnist", mnist_path, announce)


def _train_default(train, test, dataset: str, path: Path, announce: Callable[[str], object]) -> Checkpoint:
    """Train the default conv net by its recipe for ``dataset``, save it to ``path`` and load it back."""
    recipe = CNN_RECIPES[dataset]
    rows, columns = train.image_shape
    make_folder(path.parent, "to keep the default model in", "serve a model file of your own (glassnet serve MODEL)")
    announce(f"training the default conv net on {train.name} ({recipe['epochs']} epochs), once: later starts "
             f"serve it from {path}")
    model = cnn((1, rows, columns), len(train.classes), dropout=recipe["dropout"], rng=0)
    optimizer = Adam(recipe["lr"], schedule=Cosine(period=recipe["epochs"]))
    model.fit(train.X, train.y, loss="cross_entropy", optimizer=optimizer, epochs=recipe["epochs"],
              batch_size=recipe["batch_size"], verbose=True, on_divergence="raise")
    accuracy = float(np.mean(model.predict_classes(test.X) == test.y))
    meta = {"dataset": dataset, "classes": train.classes, "image_shape": [rows, columns],
            "task": "classification", "test_accuracy": accuracy}
    save(path, model, metadata=meta)
    announce(f"test accuracy {accuracy:.2%}; serving the model cached in {path}")
    return load(path)
