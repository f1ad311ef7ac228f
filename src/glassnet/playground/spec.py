"""A playground run's settings: what they may be, and how a URL query holds them.

A :class:`Spec` holds every setting of a run (data, network, training),
refuses any out of its bounds by name, and reads and writes itself as a URL
query, so that a link names a run exactly. The bounds (:data:`MAX_LAYERS`,
:data:`MAX_NEURONS`, :data:`MAX_POINTS`, :data:`MAX_EDITS`) keep one
session's step to a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np

from ..core._validation import WHOLE, finite_number, is_number_text, short
from ..errors import OptionError
from .data import FEATURES, SETS

#: the most hidden layers a playground network may have (a bound that keeps one session's step to a few ms)
MAX_LAYERS = 6
#: the most neurons a playground layer may have (a bound that keeps one session's step to a few ms)
MAX_NEURONS = 16
MAX_POINTS = 2000
#: hand edits a run (and its link) may hold: each is replayed at its step
MAX_EDITS = 200
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "identity")
OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass
class Spec:
    """Every setting of a playground run.

    Attributes
    ----------
    data : str
        A key of :data:`glassnet.playground.data.SETS`, or "csv" for uploaded points.
    classes : int
        For ``gauss`` and ``spiral``: 2 to 5.
    noise : float
        0 to 1.
    points : int
        How many points to draw (20 to :data:`MAX_POINTS`).
    train_fraction : float
        The share of points trained on (0.1 to 0.9); the rest are the test points.
    seed : int
        Seeds the points, the split, the starting weights and the batch order.
    features : tuple of str
        Keys of :data:`glassnet.playground.data.FEATURES`.
    layers : tuple of int
        Hidden layer widths (up to :data:`MAX_LAYERS` layers of up to :data:`MAX_NEURONS`).
    activations : tuple of str
        One per hidden layer, from :data:`ACTIVATIONS`.
    optimizer : str
        "sgd", "momentum" (SGD with momentum 0.9) or "adam".
    lr : float
        Learning rate, above 0 and at most 10.
    batch_size : int
        Points per step, at least 1.
    l2 : float
        L2 strength, 0 to 1.
    l1 : float
        L1 strength, 0 to 1.
    edits : tuple of (step, layer, i, j, value)
        Weights set by hand, and the step after which each was set.
    """

    data: str = "spiral"
    classes: int = 2
    noise: float = 0.0
    points: int = 400
    train_fraction: float = 0.5
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (8, 8)
    activations: tuple[str, ...] = ("tanh", "tanh")
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int = 10
    l2: float = 0.0
    l1: float = 0.0
    edits: tuple[tuple[int, int, int, int, float], ...] = field(default=())

    def __post_init__(self) -> None:
        counts = SETS.get(self.data, ("", ()))[1]
        if self.task == "classification" and len(counts) == 1:  # a set of its own classes: the page's Classes
            self.classes = counts[0]  # field, left at 3 from the spiral, is not a wrong setting for moons
        self.check()

    @property
    def task(self) -> str:
        return "regression" if self.data in ("plane", "bumps") else "classification"

    def check(self) -> None:
        """Refuse any setting out of its bounds, naming it.

        Raises
        ------
        OptionError
        """
        if self.data not in SETS and self.data != "csv":
            raise OptionError(f"data must be one of {', '.join(SETS)}; received {short(self.data)}")
        allowed = SETS.get(self.data, ("classification", (2, 3, 4, 5)))[1]
        if self.task == "classification" and self.classes not in allowed:
            raise OptionError(f"classes must be one of {list(allowed)} for {self.data}; received {self.classes}")
        _within("noise", self.noise, 0, 1)
        _within("points", self.points, 20, MAX_POINTS, whole=True)
        _within("train_fraction", self.train_fraction, 0.1, 0.9)
        _within("seed", self.seed, 0, 2**31 - 1, whole=True)
        if not self.features or len(set(self.features)) != len(self.features) or \
                any(f not in FEATURES for f in self.features):
            raise OptionError(f"features must be distinct names from {', '.join(FEATURES)}; "
                              f"received {list(self.features)}")
        if len(self.layers) > MAX_LAYERS:
            raise OptionError(f"the network may have at most {MAX_LAYERS} hidden layers; received {len(self.layers)}")
        for i, width in enumerate(self.layers):
            _within(f"layers[{i}]", width, 1, MAX_NEURONS, whole=True)
        if len(self.activations) != len(self.layers) or any(a not in ACTIVATIONS for a in self.activations):
            raise OptionError(f"activations must name one of {', '.join(ACTIVATIONS)} for each of the "
                              f"{len(self.layers)} hidden layers; received {list(self.activations)}")
        if self.optimizer not in OPTIMIZERS:
            raise OptionError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; received {short(self.optimizer)}")
        if not 0 < self.lr <= 10:
            raise OptionError(f"lr must be above 0 and at most 10; received {self.lr:g}")
        _within("batch_size", self.batch_size, 1, MAX_POINTS, whole=True)
        _within("l2", self.l2, 0, 1)
        _within("l1", self.l1, 0, 1)
        if len(self.edits) > MAX_EDITS:
            raise OptionError(f"a run may hold at most {MAX_EDITS} hand edits; received {len(self.edits):,}")

    # -- the URL ---------------------------------------------------------------------------------
    def to_query(self) -> str:
        """The spec as a URL query string (``data=spiral&layers=8,8&...``).

        Returns
        -------
        str
        """
        items = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "edits":
                value = ";".join(",".join(repr(v) for v in e) for e in value)
            elif isinstance(value, tuple):
                value = ",".join(map(str, value))
            items[f.name] = repr(value) if isinstance(value, float) else str(value)
        return urlencode(items)

    @classmethod
    def from_query(cls, query: str) -> Spec:
        """Read a spec from a URL query; settings left out keep their defaults.

        Parameters
        ----------
        query : str

        Returns
        -------
        Spec

        Raises
        ------
        OptionError
            An unknown setting, or a value that is not of its kind or out of its bounds.
        """
        kinds = {f.name: f.type for f in fields(cls)}
        given: dict[str, Any] = {}
        for name, text in parse_qsl(query.lstrip("?"), keep_blank_values=True):
            if name not in kinds:
                raise OptionError(f"unknown setting {short(name)}; the settings are {', '.join(kinds)}")
            try:
                given[name] = _parse(name, text)
            except ValueError:
                raise OptionError(f"{name} could not be read from {short(text)}") from None
        return cls(**given)


def _parse(name: str, text: str) -> Any:
    if name in ("data", "optimizer"):
        return text
    if name in ("classes", "points", "seed", "batch_size"):
        return _whole(text)
    if name in ("noise", "train_fraction", "lr", "l2", "l1"):
        return _real(text)
    if name == "edits":
        return tuple(_edit(e) for e in text.split(";") if e)
    parts = tuple(p for p in text.split(",") if p)
    return tuple(_whole(p) for p in parts) if name == "layers" else parts


def _whole(text: str) -> int:
    """A whole number in ASCII digits: not "1.5", "1_0" or full-width digits, which ``int`` would take."""
    if not WHOLE.fullmatch(text.strip()):
        raise ValueError(text)
    return int(text)


def _real(text: str) -> float:
    if not is_number_text(text):
        raise ValueError(text)
    return float(text)


def _edit(text: str) -> tuple[int, int, int, int, float]:
    step, layer, i, j, value = text.split(",")
    return _whole(step), _whole(layer), _whole(i), _whole(j), _real(value)


def _within(name: str, value: Any, low: float, high: float, whole: bool = False) -> None:
    if whole and (not isinstance(value, (int, np.integer)) or isinstance(value, bool)):
        raise OptionError(f"{name} must be a whole number; received {short(value)}")
    if not finite_number(value) or not low <= value <= high:
        bounds = " to ".join(f"{b:,}" if isinstance(b, int) else f"{b:g}" for b in (low, high))  # not 2.14748e+09
        raise OptionError(f"{name} must be from {bounds}; received {short(value)}")
