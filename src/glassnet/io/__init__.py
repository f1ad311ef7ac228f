"""Reading and writing files: model files (and, later, datasets)."""

from ..errors import ModelFileError
from .model_file import Checkpoint, load, save

__all__ = ["Checkpoint", "ModelFileError", "load", "save"]
