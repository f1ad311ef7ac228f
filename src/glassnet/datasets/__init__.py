"""Datasets: the 8x8 digits that ship with scikit-learn, MNIST, CSV files, and folders of your own pictures.

Every loader returns ``Dataset`` objects whose ``X`` has samples in rows: pictures in
float32, scaled to [0, 1]; a CSV file's numbers in float64, as read (standardize them
before a float32 model takes them, as the command line does).
"""

from .augment import PhotoAugment, RandomAffine, affine_warp
from .base import Dataset, train_test_split
from .csv import MAX_AUTO_CLASSES, infer_task, is_number, load_csv, read_rows
from .digits import load_digits
from .features import read_features
from .folder import load_folder
from .mnist import MNIST_FILES, load_mnist

__all__ = ["MAX_AUTO_CLASSES", "MNIST_FILES", "Dataset", "PhotoAugment", "RandomAffine", "affine_warp", "infer_task",
           "is_number", "load_csv", "load_digits", "load_folder", "load_mnist", "read_features", "read_rows",
           "train_test_split"]
