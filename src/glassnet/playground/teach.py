"""A lesson: classes a learner names, pictures they give each one, and the conv net trained on them.

This is the model behind the teach page (``glassnet teach``): the web page
only carries pictures in and numbers out. Each picture is prepared the way
``glassnet train --dataset folder`` prepares a folder's
(:func:`glassnet.io.photos.prepare_photo`: :data:`SIZE` pixels a side, colour,
padded to a square) and kept as bytes, :data:`PICTURE_BYTES` each; a lesson
holds at most :data:`MAX_CLASSES` classes of :data:`MAX_EXAMPLES` pictures, so
its memory is bounded before the first picture comes (:meth:`Lesson.resident_bytes`).

Training is ``glassnet train --dataset folder``'s recipe on fewer pictures: a
conv net whose first layer normalizes colour (:class:`glassnet.nn.Normalize`),
Adam along a cosine, mirrored, shifted and colour-jittered pictures
(:class:`glassnet.datasets.PhotoAugment`). It runs in the caller's thread and
records every epoch, so a page can draw the learning curve as it grows;
:meth:`Lesson.stop` ends it after the current epoch.

Examples
--------
>>> import numpy as np
>>> lesson = Lesson()
>>> rng = np.random.default_rng(0)
>>> for k in range(6):  # dark pictures in class 0, light ones in class 1
...     dark = lesson.add(0, rng.uniform(0.0, 0.3, (3, SIZE, SIZE)))
...     light = lesson.add(1, rng.uniform(0.7, 1.0, (3, SIZE, SIZE)))
>>> lesson.train(["dark", "light"], epochs=3)
>>> lesson.state, len(lesson.losses)
('trained', 3)
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata

import numpy as np

from ..core._validation import WHOLE, short
from ..datasets import PhotoAugment
from ..errors import DataError, OptionError
from ..nn import Normalize, picture_channels
from ..optim import Adam
from ..optim.schedules import Cosine
from ..tools.saliency import picture_saliency
from ..training import Callback
from ..training.models import Sequential, cnn

#: the side of the square pictures a lesson's network reads, and their channels (colour)
SIZE = 32
CHANNELS = 3
PICTURE_BYTES = CHANNELS * SIZE * SIZE
#: classes one lesson may have, pictures one class may hold, and the fewest each needs to train
MAX_CLASSES = 10
MAX_EXAMPLES = 200
MIN_EXAMPLES = 3
#: the longest class name
NAME_LENGTH = 40
#: what the network and Adam's state take at most: about 90,000 parameters, float32, four copies
MODEL_BYTES = 2 * 2**20
STATES = ("collecting", "queued", "training", "trained", "stopped", "failed")


#: Unicode's variation selectors, which choose how a character is drawn, not which it is
VARIATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def epochs_for(n_pictures: int) -> int:
    """How many epochs a lesson trains: 40 for a few dozen pictures, fewer as they grow, never under 10.

    Each epoch costs time in proportion to the pictures; this keeps a run to
    a few seconds for the pictures a webcam gives in a minute.

    Parameters
    ----------
    n_pictures : int

    Returns
    -------
    int
    """
    return int(min(40, max(10, 4000 // max(1, n_pictures))))


class _Record(Callback):
    """Writes each epoch's cost and accuracy into the lesson, and ends the run when the lesson is stopped."""

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson

    def on_epoch_end(self, run, epoch, logs):
        self.lesson.losses.append(float(logs["loss"]))
        self.lesson.accuracies.append(float(logs["accuracy"]))
        self.lesson.epoch = epoch + 1
        run.stop = self.lesson._stop.is_set()


class Lesson:
    """Classes, their pictures, and the network trained on them; see the module's docstring.

    Parameters
    ----------
    seed : int
        Seeds the network's weights and the order and changes of its pictures.

    Attributes
    ----------
    state : str
        One of :data:`STATES`.
    classes : list of str
        The names of the trained model's classes, in its output order.
    losses, accuracies : list of float
        Per epoch of the last run, on the training pictures as changed.
    epoch, epochs : int
        Epochs done, and the run's total.
    message : str
        Why the last run failed or stopped, or how it ended.
    model : Sequential or None
        The network of the last finished run.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._pictures: list[list[np.ndarray]] = [[] for _ in range(MAX_CLASSES)]
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the pictures, the state and the run in line change under it
        self._pending: tuple | None = None  # (pictures per class, names, epochs) of the run in line
        self._in_line = False
        self.state = "collecting"
        self.losses: list[float] = []
        self.accuracies: list[float] = []
        self.epoch = self.epochs = 0
        self.message = ""
        self._trained: tuple[Sequential | None, list[str]] = (None, [])  # one attribute: read and set at once

    @property
    def model(self) -> Sequential | None:
        """The network of the last finished run, or None."""
        return self._trained[0]

    @property
    def classes(self) -> list[str]:
        """Its classes' names, in its output order."""
        return self._trained[1]

    def resident_bytes(self) -> int:
        """The most this lesson can hold between runs: every picture it may take, twice (the run in line keeps
        its own lists while new pictures come), and a network with its optimizer. A run's float32 copy of its
        pictures is made only while it trains: at most ``TRAINERS`` of those at once (see the web page).

        Returns
        -------
        int
            Bytes.
        """
        return 2 * MAX_CLASSES * MAX_EXAMPLES * PICTURE_BYTES + MODEL_BYTES

    def counts(self) -> list[int]:
        """Pictures held per class slot, all :data:`MAX_CLASSES` of them."""
        return [len(p) for p in self._pictures]

    def add(self, slot: object, picture: np.ndarray) -> int:
        """Keep a prepared picture in class ``slot``; the class's count.

        Parameters
        ----------
        slot : int or str
            From 0 to ``MAX_CLASSES - 1`` (as text, too: a form's field).
        picture : array, shape (3, SIZE, SIZE)
            Values in [0, 1], as :func:`glassnet.io.photos.prepare_photo` gives them.

        Returns
        -------
        int

        Raises
        ------
        OptionError
            A slot out of range, a picture of another shape, or a full class.
        """
        slot = self._slot(slot)
        picture = np.asarray(picture)
        if picture.shape != (CHANNELS, SIZE, SIZE):
            raise OptionError(f"picture must have shape {(CHANNELS, SIZE, SIZE)}; received {picture.shape}")
        kept = np.round(np.clip(picture, 0.0, 1.0) * 255).astype(np.uint8)
        with self._lock:
            if len(self._pictures[slot]) >= MAX_EXAMPLES:
                raise OptionError(f"a class holds at most {MAX_EXAMPLES} pictures; class {slot + 1} is full")
            self._pictures[slot] = [*self._pictures[slot], kept]  # a new list: a snapshot in line keeps its own
            return len(self._pictures[slot])

    def clear(self, slot: object) -> None:
        """Forget the pictures of class ``slot``.

        Parameters
        ----------
        slot : int
        """
        slot = self._slot(slot)
        with self._lock:
            self._pictures[slot] = []

    def check(self, names: object) -> list[tuple[int, str]]:
        """The classes to train: ``names[k]`` names slot k; an empty name leaves the slot out.

        Parameters
        ----------
        names : list of str
            At most :data:`MAX_CLASSES`.

        Returns
        -------
        list of (slot, name)

        Raises
        ------
        OptionError, DataError
            Names that are not text or too long, repeated names, fewer than two
            classes, or a class with fewer than :data:`MIN_EXAMPLES` pictures.
        """
        if not isinstance(names, list) or len(names) > MAX_CLASSES or not all(isinstance(n, str) for n in names):
            raise OptionError(f"names must be a list of at most {MAX_CLASSES} class names; received {short(names)}")
        # one spelling of each name: "é" typed as one character or as "e" and an accent are the same class
        chosen = [(k, unicodedata.normalize("NFC", n.strip())) for k, n in enumerate(names) if n.strip()]
        for _, name in chosen:
            if len(name) > NAME_LENGTH:
                raise OptionError(f"a class name has at most {NAME_LENGTH} characters; received {short(name)}")
            if not name.isprintable():  # ESC sequences reach whoever prints it
                raise OptionError(f"a class name must be printable text, without control characters; received "
                                  f"{short(name)}")
        # nor does a variation selector make another class: "😀" with and without U+FE0F look the same
        if len({VARIATION.sub("", n) for _, n in chosen}) < len(chosen):
            raise OptionError("two classes have the same name: give each its own")
        if len(chosen) < 2:
            raise DataError("name at least two classes to train")
        few = [name for k, name in chosen if len(self._pictures[k]) < MIN_EXAMPLES]
        if few:
            raise DataError(f"each class needs at least {MIN_EXAMPLES} pictures; {', '.join(few)} "
                            f"{'has' if len(few) == 1 else 'have'} fewer")
        return chosen

    def queue(self, names: object, epochs: int | None = None) -> bool:
        """Check the classes (see :meth:`check`), take their pictures as they are now, and wait in line to train.

        The state becomes "queued" and :meth:`run` trains on this snapshot; a
        picture added meanwhile waits for the next run.

        Parameters
        ----------
        names : list of str
            ``names[k]`` names class slot k.
        epochs : int, optional
            By default :func:`epochs_for` the number of pictures.

        Returns
        -------
        bool
            Whether the lesson must be put in line: False when a place it holds already serves.

        Raises
        ------
        OptionError, DataError
            As :meth:`check`, or when the lesson is queued or training already.
        """
        with self._lock:
            if self.state in ("queued", "training"):
                raise OptionError("this lesson is already training: wait for it, or press Stop")
            chosen = self.check(names)
            self._pending = ([list(self._pictures[k]) for k, _ in chosen], [name for _, name in chosen], epochs)
            self._stop.clear()
            self.state, self.message = "queued", "waiting for a free trainer"
            first, self._in_line = not self._in_line, True
            return first

    def run(self) -> None:
        """Train the run :meth:`queue` put in line, if it is still wanted; in the calling thread.

        Every epoch is recorded as it ends; :meth:`stop` from another thread
        ends the run after the current epoch, keeping the network as it is
        then. Whatever goes wrong ends in the state "failed" with its message,
        never in an exception.
        """
        with self._lock:
            self._in_line = False
            if self._pending is None or self.state != "queued":  # stopped while it waited
                return
            pictures, classes, epochs = self._pending
            self._pending = None
            n = sum(len(p) for p in pictures)
            self.epochs, self.epoch = epochs or epochs_for(n), 0
            self.losses, self.accuracies, self.message = [], [], ""
            self.state = "training"
        try:
            X = np.concatenate([np.stack(p) for p in pictures]).astype(np.float32) / 255
            y = np.concatenate([np.full(len(p), i) for i, p in enumerate(pictures)])
            del pictures
            model = cnn((CHANNELS, SIZE, SIZE), len(classes), channels=picture_channels(SIZE), hidden=64,
                        dropout=0.25, normalize=Normalize.fit(X), rng=self.seed)
            history = model.fit(X, y, loss="cross_entropy", optimizer=Adam(lr=0.003, schedule=Cosine(self.epochs)),
                                epochs=self.epochs, batch_size=min(32, len(X)), callbacks=[_Record(self)],
                                augment=PhotoAugment(flip=True, shift=0.1, jitter=0.1), verbose=False)
        except Exception as exc:  # a page reports it; the server goes on
            self.state, self.message = "failed", f"training failed: {exc}"
            return
        if history.diverged:
            self.state, self.message = "failed", f"training diverged: {history.message}"
            return
        self._trained = (model, classes)
        stopped = self.epoch < self.epochs
        accuracy = self.accuracies[-1] if self.accuracies else math.nan
        self.message = (f"stopped after epoch {self.epoch} of {self.epochs}" if stopped else
                        f"trained {self.epochs} epochs on {n} pictures") + \
            f"; accuracy on the changed training pictures {accuracy:.0%}"
        self.state = "stopped" if stopped else "trained"

    def train(self, names: object, epochs: int | None = None) -> None:
        """Queue a run (see :meth:`queue`) and train it now, in the calling thread.

        Parameters
        ----------
        names : list of str
        epochs : int, optional
        """
        self.queue(names, epochs)
        self.run()

    def stop(self) -> None:
        """End a run after its current epoch, or before it starts if it waits in line (from another thread)."""
        with self._lock:
            self._stop.set()
            if self.state == "queued":
                self._pending = None
                self.state, self.message = "collecting", "stopped before it started"

    def close(self) -> None:
        """Stop (see :meth:`stop`) and let go of the pictures and the trained network: the lesson has ended,
        though a trainer's line may still hold it until its turn comes."""
        self.stop()
        with self._lock:
            self._pictures = [[] for _ in range(MAX_CLASSES)]
            self._trained = (None, [])

    def predict(self, picture: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The trained network's class probabilities for one picture, and its saliency.

        Parameters
        ----------
        picture : array, shape (3, SIZE, SIZE)

        Returns
        -------
        (probabilities, saliency, classes)
            Arrays of shape (n_classes,) and (SIZE, SIZE) (the predicted class's
            gradient summed over the colour channels, scaled to [-1, 1]), and the
            names of the classes of the network that answered (a run that ends
            meanwhile replaces both at once).
        """
        model, metadata = self.trained()
        x = np.asarray(picture, np.float32).reshape(CHANNELS, SIZE, SIZE)
        proba = np.asarray(model.predict_proba(x[None]))[0]
        return proba, picture_saliency(model, x, int(proba.argmax())), metadata["classes"]

    def trained(self) -> tuple[Sequential, dict]:
        """The last finished run's network and its model-file metadata (its classes and picture preparation, as
        ``glassnet predict`` reads them), taken together.

        Returns
        -------
        (Sequential, dict)

        Raises
        ------
        DataError
            When nothing has been trained yet.
        """
        model, classes = self._trained
        if model is None:
            raise DataError("nothing has been trained yet: press Train first")
        return model, {"dataset": "teach", "classes": list(classes), "task": "classification",
                       "picture": {"size": SIZE, "channels": CHANNELS, "fit": "pad"}}

    @staticmethod
    def _slot(slot: object) -> int:
        """A class slot from a number or its text (a form field): a whole number from 0 to MAX_CLASSES - 1."""
        text = str(slot).strip() if isinstance(slot, (str, int, np.integer)) and not isinstance(slot, bool) else ""
        # a form field has no length bound of its own: 5,000 digits are past what int() reads
        if not WHOLE.fullmatch(text) or len(text) > 20 or not 0 <= int(text) < MAX_CLASSES:
            raise OptionError(f"class must be a whole number from 0 to {MAX_CLASSES - 1}; received {short(slot)}")
        return int(text)


__all__ = ["CHANNELS", "MAX_CLASSES", "MAX_EXAMPLES", "MIN_EXAMPLES", "NAME_LENGTH", "SIZE", "STATES", "Lesson",
           "epochs_for"]
