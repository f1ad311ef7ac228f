"""Pictures of training: learning curves, decision boundaries, cost surfaces, first-layer weights.

Each function draws a matplotlib ``Figure`` of its own, without pyplot (so a script's or notebook's
backend and figures are left alone), and writes a picture in the format its file name's suffix names
(PNG, JPEG, SVG, PDF); it returns the path. matplotlib is needed (the ``app`` extra).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..core._validation import check_array, check_positive_int, short
from ..core.arrays import to_numpy
from ..errors import OptionError
from .figures import check_path, figure, save_figure


def learning_curves(history, path: str | os.PathLike, title: str = "Learning curves",
                    log_scale: bool | None = None, xlabel: str = "epoch") -> Path:
    """Training and validation cost (and accuracy, when recorded) against epochs.

    Parameters
    ----------
    history : History or dict
    path : str or path_like
        The PNG to write.
    title : str
    log_scale : bool, optional
        By default when the cost spans more than two decades.
    xlabel : str

    Returns
    -------
    pathlib.Path
    """
    h = history.history if hasattr(history, "history") else history
    if not h.get("loss"):
        raise OptionError("the history holds no epoch to plot (training stopped before the first one ended)")
    has_acc = "accuracy" in h
    fig, axes = figure(1, 2 if has_acc else 1, figsize=(10 if has_acc else 6, 4), squeeze=False)
    epochs = np.arange(1, len(h["loss"]) + 1)
    ax = _panel(axes[0, 0], epochs, h, "loss", "cost", title, xlabel)
    costs = np.array([v for key in ("loss", "val_loss") for v in h.get(key, [])], dtype=float)
    costs = costs[np.isfinite(costs)]  # each curve counts: a validation cost over four decades was drawn flat
    if log_scale or (log_scale is None and costs.size and costs.min() > 0 and costs.max() / costs.min() > 100):
        ax.set_yscale("log")
    panels = [ax]
    if has_acc:
        panels.append(_panel(axes[0, 1], epochs, h, "accuracy", "accuracy", "Accuracy", xlabel))
    best = getattr(history, "best_epoch", None)
    if best is not None and getattr(history, "epochs", None) and best in history.epochs:
        kept = history.epochs.index(best) + 1
        for panel in panels:  # the epoch whose weights the model kept (fit(keep_best=...))
            panel.axvline(kept, color="grey", linestyle="--", linewidth=1, label=f"kept (epoch {kept})")
            panel.legend()
    return save_figure(fig, path)


def _panel(ax, epochs, h: dict, key: str, ylabel: str, title: str, xlabel: str):
    """One metric against epochs: training, and validation where it was recorded.

    A short run's epochs are marked (one epoch was a line of one point: nothing), and the first epoch whose
    value is NaN or infinite is marked by a red line (matplotlib leaves such values out without a word).
    """
    marker = "o" if len(epochs) <= 20 else None
    for name, label in ((key, "training"), (f"val_{key}", "validation")):
        if name not in h:
            continue
        values = np.asarray(h[name], dtype=float)
        ax.plot(epochs, values, label=label, marker=marker, markersize=4)
        if not np.isfinite(values).all():
            bad = int(epochs[np.flatnonzero(~np.isfinite(values))[0]])
            ax.axvline(bad, color="tab:red", linestyle=":", label=f"{label} not finite from {xlabel} {bad}")
    ax.set_xlim(0.5, len(epochs) + 0.5)  # every epoch in view, the last ones too when their values are not finite
    ax.set_xlabel(xlabel)
    if len(epochs) <= 10:  # whole epochs: no tick at 1.5 in a short run, nor at 0.8 in a run of one epoch
        ax.set_xticks(epochs)
    else:
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def decision_boundary(model, X: np.ndarray, y: np.ndarray, path: str | os.PathLike,
                      title: str = "Decision boundary", resolution: int = 300,
                      transform=None) -> Path:
    """Shade the plane by the class a 2-D classifier predicts, with the samples on top.

    Parameters
    ----------
    model : Sequential
    X : array, shape (n_samples, 2)
    y : array, shape (n_samples,)
        Class labels.
    path : str or path_like
    title : str
    resolution : int
        Grid points per axis.
    transform : callable, optional
        Maps the two plotted coordinates to the model's input (a feature
        cross, for example); by default the model takes them as they are.

    Returns
    -------
    pathlib.Path
    """
    path = check_path(path)  # before the grid's 90,000 predictions
    X = check_array(X, "X", ndim=2, dtype=np.dtype(np.float64))
    if X.shape[1] != 2 or X.shape[0] == 0:
        raise OptionError(f"X must hold points of two coordinates, one row each; received shape {X.shape}")
    n_in = model.input_shape[0] if model.input_shape is not None and len(model.input_shape) == 1 else None
    if transform is None and n_in not in (None, 2):
        raise OptionError(f"the model takes {n_in} features, not the two coordinates drawn: give transform=..., "
                          "which makes its features of the plotted points")
    y = _class_numbers(y, X.shape[0])
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    classes = to_numpy(model.predict_classes(transform(grid) if transform else grid)).reshape(gx.shape)
    labels = np.unique(y)
    k = int(max(classes.max(), labels.max())) + 1
    fig, ax = figure(figsize=(5.5 if k <= 4 else 6.6, 5))
    from matplotlib.colors import ListedColormap

    colours = class_colours(k)  # one colour per class, the same for its region and its points
    ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colours), alpha=0.25)
    ax.contour(gx, gy, classes, levels=np.arange(k) + 0.5, colors="k", linewidths=1)
    markers = "oXs^v*PD<>"
    for c in labels:
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], marker=markers[c % len(markers)], s=70, edgecolors="k",
                   label=f"class {c}", color=colours[c])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    if k <= 4:
        ax.legend(loc="best")
    else:  # beside the plane, not over it
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", ncols=1 + (len(labels) > 12))
    return save_figure(fig, path)


def class_colours(k: int) -> list:
    """``k`` colours, told apart: red and green for two classes, matplotlib's tab10 and tab20 up to 20 (whose
    last colour tab10 repeats for every class from 10 on), then evenly spaced hues.

    Parameters
    ----------
    k : int

    Returns
    -------
    list of colours
    """
    from matplotlib import colormaps

    if k <= 2:
        return ["tab:red", "tab:green"]
    if k <= 20:
        name = "tab10" if k <= 10 else "tab20"
        return [colormaps[name](i) for i in range(k)]
    return [colormaps["hsv"](i / k) for i in range(k)]


def _class_numbers(y: object, n: int) -> np.ndarray:
    """``y`` as class numbers 0, 1, ... (what ``predict_classes`` gives), one per point, or a message."""
    a = np.asarray(y)
    if a.ndim != 1 or a.shape[0] != n:
        raise OptionError(f"y must hold one class per point of X ({n}); received shape {a.shape}")
    if a.dtype.kind not in "iub" and not (a.dtype.kind == "f" and np.isfinite(a).all() and (a == np.round(a)).all()):
        raise OptionError(f"y must hold class numbers 0, 1, 2, ... as predict_classes gives them (a decision "
                          f"boundary is a classifier's); received values such as {a.ravel()[:3].tolist()}")
    a = a.astype(np.int64)
    if a.min() < 0:
        raise OptionError(f"y must hold class numbers 0, 1, 2, ... as predict_classes gives them; received "
                          f"{int(a.min())} (labels of -1 and 1 are classes 0 and 1: give (y + 1) // 2)")
    return a


def cost_surface(values: np.ndarray, axes: list[np.ndarray], path: str | os.PathLike,
                 labels: tuple[str, ...] = ("w",), title: str = "Cost", marks=()) -> Path:
    """The cost over one weight (a curve) or two weights (contours).

    Parameters
    ----------
    values : array, shape (n,) or (m, n)
    axes : list of arrays
        One grid (a curve) or two meshgrids (contours).
    path : str or path_like
    labels : tuple of str
    title : str
    marks : sequence of (x,) or (x, y) points to mark

    Returns
    -------
    pathlib.Path
    """
    fig, ax = figure(figsize=(6, 4.5))
    if len(axes) == 1:
        ax.plot(axes[0], values)
        ax.set_xlabel(labels[0])
        ax.set_ylabel("cost")
        for m in marks:
            ax.axvline(m[0], color="tab:red", linestyle="--")
    else:
        cs = ax.contourf(axes[0], axes[1], values, levels=30, cmap="viridis")
        fig.colorbar(cs, ax=ax, label="cost")
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        for m in marks:
            ax.plot(m[0], m[1], "r*", markersize=12)
    ax.set_title(title)
    return save_figure(fig, path)


def first_layer_weights(model, image_shape: tuple[int, int] | None, path: str | os.PathLike,
                        max_units: int = 64, title: str = "First-layer weights") -> Path:
    """What the first layer looks for: each Dense unit's incoming weights as a picture, or each conv kernel.

    Parameters
    ----------
    model : Sequential
        Its first layer is a Dense layer (on flattened pictures) or a Conv2D layer.
    image_shape : (rows, columns) or None
        The pictures' shape, for a Dense first layer.
    path : str or path_like
    max_units : int
    title : str

    Returns
    -------
    pathlib.Path
    """
    max_units = check_positive_int(max_units, "max_units")
    first = next((layer for layer in model.layers if "W" in layer.params), None)  # past a Dropout or Flatten
    if first is None:
        raise OptionError("the model has no layer of weights to draw")
    if hasattr(first, "kernel_size"):  # Conv2D: kernels (out, in, kh, kw), the first input channel shown
        pictures = [np.asarray(k[0], np.float64) for k in to_numpy(first.W)]
    else:
        W = np.asarray(to_numpy(first.W), np.float64)  # a device model's weights, on the host
        whole = isinstance(image_shape, (tuple, list)) and len(image_shape) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in image_shape)
        if not whole or math.prod(image_shape) != W.shape[0]:  # type: ignore[arg-type]
            raise OptionError(f"image_shape must be the (rows, columns) of pictures of the first layer's "
                              f"{W.shape[0]} inputs; received {short(image_shape)}")
        pictures = [W[:, k].reshape(image_shape) for k in range(W.shape[1])]
    return _grid(pictures[:max_units], path, title, cmap="seismic", symmetric=True)


def feature_maps(model, image: np.ndarray, path: str | os.PathLike, layer: int = 0, max_maps: int = 64,
                 title: str | None = None) -> Path:
    """The output channels of one layer of a conv net, for one picture.

    Parameters
    ----------
    model : Sequential
    image : array, shape (channels, height, width), or flattened
    path : str or path_like
    layer : int
        Show the output of ``model.layers[layer]``.
    max_maps : int
    title : str, optional

    Returns
    -------
    pathlib.Path
    """
    if not isinstance(layer, (int, np.integer)) or isinstance(layer, bool) or not 0 <= layer < len(model.layers):
        raise OptionError(f"layer must be the number of one of the model's {len(model.layers)} layers, from 0 to "
                          f"{len(model.layers) - 1}; received {short(layer)}")  # -1 showed the input, named
    x = model.check_input(np.asarray(image).reshape(1, -1))
    out = to_numpy(model.forward(x, stop=layer + 1))[0]
    if out.ndim != 3:
        raise OptionError(f"layer must name a layer whose output is a stack of pictures; layers[{layer}] "
                          f"{type(model.layers[layer]).__name__} gives shape {out.shape}")
    name = type(model.layers[layer]).__name__
    return _grid(list(out[:max_maps]), path, title or f"What layers[{layer}] {name} sees", cmap="viridis")


def saliency_maps(images: list, maps: list, path: str | os.PathLike, titles: list[str] | None = None,
                  title: str = "Which pixels drove each prediction", checks: list | None = None,
                  inputs: Iterable[str | os.PathLike] = (), ink: bool = True) -> Path:
    """Pictures side by side with their saliency drawn over them in red (raising the score) and blue (lowering it).

    Parameters
    ----------
    images : list of arrays, shape (height, width), or (height, width, 3) for colour
    maps : list of arrays, shape (height, width)
        From :func:`glassnet.saliency.gradient_saliency` or :func:`~glassnet.saliency.occlusion`.
    path : str or path_like
    titles : list of str, optional
        One per picture.
    title : str
    checks : list of arrays, shape (height, width), optional
        A second opinion drawn in a third row (occlusion maps).
    inputs : iterable of paths
        Files the picture must not overwrite (the pictures explained).
    ink : bool
        Grey pictures are dark ink on light paper (digits), drawn with 1 as black; else photos, 1 as white.

    Returns
    -------
    pathlib.Path
    """
    n = len(images)
    grey = "gray_r" if ink else "gray"
    rows = 2 if checks is None else 3
    fig, axes = figure(rows, n, figsize=(max(1.6 * n, 4.0), 1.7 * rows), squeeze=False)
    labels = ["picture", "gradient", "occlusion"]
    for k in range(n):
        picture = np.asarray(images[k], np.float64)
        axes[0, k].imshow(picture, cmap=grey)
        for row, heat in enumerate([maps[k]] + ([] if checks is None else [checks[k]]), start=1):
            heat = np.asarray(heat, np.float64)
            lim = np.abs(heat).max() or 1.0
            axes[row, k].imshow(picture, cmap=grey, alpha=0.35)
            axes[row, k].imshow(heat, cmap="seismic", vmin=-lim, vmax=lim, alpha=0.75)
        if titles:
            axes[0, k].set_title(titles[k], fontsize=8)
        for ax in axes[:, k]:
            ax.set_xticks([])
            ax.set_yticks([])
    for row in range(rows):
        axes[row, 0].set_ylabel(labels[row], fontsize=8)
    fig.suptitle(title)
    # the legend: one colour scale for every map, each map scaled to its own largest effect
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    fig.subplots_adjust(right=0.8, bottom=0.16 if checks is not None else 0.2)
    bar = fig.colorbar(ScalarMappable(Normalize(-1, 1), "seismic"), ax=list(axes[1:, :].ravel()), fraction=0.05,
                       pad=0.04, ticks=[-1, 0, 1])
    bar.ax.set_yticklabels(["lowers", "none", "raises"], fontsize=7)
    bar.set_label("effect on the predicted class", fontsize=7)
    caption = "Red: the pixel raises the predicted class's score; blue: lowers it. Each map is scaled to its largest."
    if checks is not None:
        caption += ("\nGradient: the score's slope at each pixel. "
                    "Occlusion: the probability lost when a patch is covered.")
    fig.text(0.02, 0.01, caption, fontsize=6.5, va="bottom")
    return save_figure(fig, path, inputs)


def _grid(pictures: list, path: str | os.PathLike, title: str, cmap: str, symmetric: bool = False) -> Path:
    """Small pictures in a square grid, each scaled to its own range."""
    n = len(pictures)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = figure(rows, cols, figsize=(cols * 1.1, rows * 1.1), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k < n:
            picture = np.asarray(pictures[k], np.float64)
            lim = np.abs(picture).max() or 1.0
            ax.imshow(picture, cmap=cmap, **({"vmin": -lim, "vmax": lim} if symmetric else {}))
    fig.suptitle(title)
    return save_figure(fig, path)


def loss_curves(curves: dict[str, list[float]], path: str | os.PathLike,
                title: str = "Cost per iteration", xlabel: str = "iteration") -> Path:
    """Several runs' cost curves overlaid on a log scale (solver comparisons).

    Parameters
    ----------
    curves : dict of str to list of float
    path : str or path_like
    title, xlabel : str

    Returns
    -------
    pathlib.Path
    """
    fig, ax = figure(figsize=(7, 4.5))
    for name, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.set_yscale("log")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cost")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    return save_figure(fig, path)
