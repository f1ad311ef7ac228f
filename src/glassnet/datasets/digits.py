"""The 8x8 handwritten digits that ship with scikit-learn (1,797 images, no download)."""

from __future__ import annotations

import numpy as np

from ..errors import missing
from .base import Dataset


def load_digits() -> Dataset:
    """The UCI optical digits as scikit-learn ships them: 8x8 images, 17 grey levels (0-16).

    Pixels are scaled to [0, 1] (divided by 16). Needs scikit-learn
    (the ``app`` extra: ``pip install -e '.[app]'`` in the glassnet folder), which carries the data itself.

    Returns
    -------
    Dataset
        1,797 samples of 64 features.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise missing("scikit-learn", "app", "the digits dataset (it ships with scikit-learn)") from None
    bunch = sk_load_digits()
    return Dataset(
        X=(bunch.data / 16.0).astype(np.float32),
        y=bunch.target.astype(np.intp),
        name="digits",
        classes=[str(c) for c in range(10)],
        image_shape=(8, 8),
    )
