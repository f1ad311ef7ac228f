"""Saliency: which pixels drove a prediction.

Two answers that check each other:

* :func:`gradient_saliency` -- the gradient of the predicted class's score
  (its logit) with respect to every input pixel: how much a small change of
  that pixel would move the score. One backward pass, through the very
  backpropagation that trains the network.
* :func:`occlusion` -- the drop in the predicted class's probability when a
  small square of the picture is blanked out, averaged over the squares that
  cover each pixel. No gradients at all: only predictions.

Pixels where both are large are the ones the network looks at.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..core._validation import check_positive_int, short
from ..core.arrays import to_numpy
from ..errors import OptionError
from ..nn import Stack
from ..nn.activations import probability_output
from ..nn.flat import on_its_device
from ..nn.stack import check_model

Array = Any

_BACKWARD = threading.Lock()  # backward writes the model's shared gradient vector


def _score_stop(model: Stack) -> int:
    """How many layers produce the scores: all but a final softmax or sigmoid, whose inputs are the logits."""
    return len(model.layers) - 1 if probability_output(model.layers) else len(model.layers)


def check_class(value: object, k: int, name: str) -> np.ndarray:
    """Whole class numbers in ``0..k-1``: a negative one counted from the end, one beyond ``k`` was an IndexError.

    Parameters
    ----------
    value : int or int array_like
    k : int
        The model's classes (its outputs).
    name : str
        The argument, for the message.

    Returns
    -------
    numpy.ndarray of intp
    """
    given = np.asarray(value)
    if given.dtype.kind not in "iu" or given.size == 0 or int(given.min()) < 0 or int(given.max()) >= k:
        raise OptionError(f"{name} must be class numbers from 0 to {k - 1}; received {short(value)}")
    return given.astype(np.intp)


@on_its_device
def gradient_saliency(model: Stack, X: object, classes: object = None) -> np.ndarray:
    """``d score[class] / d X`` for each sample: the predicted class's, unless ``classes`` says which.

    Parameters
    ----------
    model : Stack
    X : array_like, shape (n_samples, *input_shape)
    classes : int array_like, shape (n_samples,), optional
        The class whose score to explain for each sample; the predicted one by default.

    Returns
    -------
    numpy.ndarray, shape (n_samples, *input_shape), float64
        Positive where brightening a pixel raises the score.

    Notes
    -----
    Backward passes write the model's gradient vector, so calls take turns
    (one lock for all models); predictions from other threads are not held up.
    """
    check_model(model)
    batch = model.check_input(X)
    wanted = None if classes is None else check_class(classes, model.out_features or 0, "classes")
    if wanted is not None and wanted.shape not in ((), (1,), (batch.shape[0],)):
        raise OptionError(f"classes must be one class for every sample, or one for all {batch.shape[0]}; "
                          f"received shape {wanted.shape}")
    if wanted is not None:
        wanted = np.broadcast_to(wanted, (batch.shape[0],))
    stop = _score_stop(model)
    chunk = max(1, model.chunk_size() // 3)  # a backward pass keeps about three times a forward's arrays
    parts = []
    with _BACKWARD:
        ws = model.workspace(training=False)
        for start in range(0, batch.shape[0], chunk):
            scores = model.forward(batch[start:start + chunk], stop=stop, workspace=ws)
            picked = (np.argmax(to_numpy(scores), axis=1) if wanted is None else wanted[start:start + chunk])
            seed = model.xp.zeros(scores.shape, dtype=scores.dtype)
            seed[np.arange(scores.shape[0]), picked] = 1.0  # d score[class] / d scores
            parts.append(to_numpy(model.backward(seed, ws, start=stop, need_input_grad=True)).astype(np.float64))
    return np.concatenate(parts)


def picture_saliency(model: Stack, image: np.ndarray, target: int) -> np.ndarray:
    """The gradient map of one picture, as the web pages draw it: colour channels summed, scaled to [-1, 1].

    Summing the channels says which places mattered, whatever their colour;
    the top 1 % of the map by size shows at full strength.

    Parameters
    ----------
    model : Stack
    image : array, shape (channels, height, width)
    target : int
        The class whose score is explained.

    Returns
    -------
    numpy.ndarray, shape (height, width)
    """
    image = np.asarray(image)
    heat = gradient_saliency(model, image.reshape(1, -1), [target]).reshape(image.shape).sum(axis=0)
    return np.clip(heat / (np.percentile(np.abs(heat), 99) or 1.0), -1.0, 1.0)


def occlusion(model: Stack, image: object, image_shape: tuple[int, int] | None = None, patch: int = 4,
              stride: int = 2, fill: float = 0.0, target: int | None = None) -> np.ndarray:
    """How much the predicted class's probability drops when each part of one picture is blanked out.

    Parameters
    ----------
    model : Stack
        A classifier of pictures: a conv net, or an MLP on flattened pictures.
    image : array_like
        One picture: shape (channels, height, width), or its values in one row.
    image_shape : (height, width), optional
        The picture's size; by default the last two axes of the model's input shape.
    patch : int
        Side of the blanked square, in pixels.
    stride : int
        Pixels between squares; the last square of each row and column lies against the picture's edge.
    fill : float
        The value blanked pixels take (0: the background of MNIST-like digits).
    target : int, optional
        The class to watch; the predicted one by default.

    Returns
    -------
    numpy.ndarray, shape (height, width)
        For each pixel, the mean drop in probability over the squares that
        cover it.
    """
    check_model(model)
    if image_shape is None:
        if model.input_shape is None:
            raise OptionError("image_shape is needed for a model not yet built: give the picture's (height, "
                              "width), or build the model first (model.build((channels, height, width)))")
        if len(model.input_shape) < 3:
            raise OptionError("image_shape is needed for a model that takes rows: give the picture's "
                              f"(height, width); the model's input shape is {model.input_shape}")
        image_shape = (model.input_shape[-2], model.input_shape[-1])
    patch, stride = check_positive_int(patch, "patch"), check_positive_int(stride, "stride")
    h, w = (check_positive_int(v, "image_shape") for v in tuple(image_shape)[-2:])
    picture = np.asarray(image, dtype=np.float64)
    if picture.size == 0 or picture.size % (h * w):
        raise OptionError(f"image must hold pictures of {h}x{w} pixels (image_shape); received "
                          f"{picture.size} values, shape {picture.shape}")
    picture = picture.reshape(-1, h, w)
    base = to_numpy(model.predict_proba(picture.reshape(1, -1)))[0]
    target = int(np.argmax(base)) if target is None else int(check_class(target, base.size, "target"))
    # squares stride apart, and one against the far edge, so that every pixel is covered
    rows, cols = ([*range(0, max(size - patch, 0) + 1, stride), max(size - patch, 0)] for size in (h, w))
    corners = [(i, j) for i in sorted(set(rows)) for j in sorted(set(cols))]
    batch = np.broadcast_to(picture, (len(corners), *picture.shape)).copy()
    for k, (i, j) in enumerate(corners):
        batch[k, :, i:i + patch, j:j + patch] = fill
    drops = base[target] - to_numpy(model.predict_proba(batch.reshape(len(corners), -1)))[:, target]
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for drop, (i, j) in zip(drops, corners):
        total[i:i + patch, j:j + patch] += drop
        count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


__all__ = ["gradient_saliency", "occlusion"]
