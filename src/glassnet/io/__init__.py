"""Reading and writing files: model files (and, later, datasets)."""

from .model_file import Checkpoint, ModelFileError, load, save

__all__ = ["Checkpoint", "ModelFileError", "load", "save"]
