"""A local web page to upload or draw a digit and see what a glassnet network thinks of it."""

from .app import create_app, default_model, serve

__all__ = ["create_app", "default_model", "serve"]
