"""The web app: one page and a small JSON API, thin over glassnet's public API.

Flask was chosen because the app is a handful of synchronous routes around a
NumPy call; Flask's routing, error handlers and test client cover that with
no async machinery, and waitress (pure Python, multi-threaded) serves it
without the development server's warnings.

Endpoints:

* ``GET /`` -- the page.
* ``POST /api/predict`` -- a picture as ``multipart/form-data`` (field
  ``image``) or as a raw ``image/*`` body; answers the predicted class, the
  probabilities and the image the network saw after preparation.
* ``GET /api/model`` -- the loaded model: architecture, size, dataset, classes.

Uploads are read into memory and never written to disk. Errors answer JSON
``{"error": ...}`` with a 4xx status chosen by the error's class: 413 for a
body over the size limit or an :class:`~glassnet.errors.ImageTooLargeError`,
415 for a content type that is not a picture, 400 for any other
:class:`~glassnet.errors.ImageError` (not a readable picture, no digit).

Predictions need no lock: a model's ``predict`` only reads its parameters.
"""

from __future__ import annotations

import io
import os
from importlib import resources
from pathlib import Path

import numpy as np

from .. import datasets
from ..errors import DataError, ImageError, ImageTooLargeError, OptionError, missing
from ..io import Checkpoint
from ..io.images import prepare_digit
from ..models import load, mlp, save

MAX_UPLOAD_BYTES = 4 * 1024 * 1024


def _flask():
    try:
        import flask
    except ImportError:
        raise missing("Flask", "web", "the web app") from None
    return flask


def create_app(checkpoint: Checkpoint, max_upload_bytes: int = MAX_UPLOAD_BYTES):
    """A Flask app serving a model.

    Parameters
    ----------
    checkpoint : Checkpoint
        As :func:`glassnet.load` returns it; its metadata gives the classes and image shape.
    max_upload_bytes : int
        Larger bodies are answered 413.

    Returns
    -------
    flask.Flask
    """
    flask = _flask()
    from werkzeug.exceptions import HTTPException

    class InMemoryRequest(flask.Request):  # type: ignore[name-defined]
        """Keeps uploaded files in memory: Werkzeug would spill large ones to a temporary file."""

        def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
            return io.BytesIO()

    app = flask.Flask(__name__)
    app.request_class = InMemoryRequest
    app.config["MAX_CONTENT_LENGTH"] = max_upload_bytes
    model, meta = checkpoint.model, checkpoint.metadata
    if model.in_features is None or model.out_features is None:
        raise OptionError("the web app serves models with a fixed input and output size; this one has "
                          f"input shape {model.input_shape} and output shape {model.output_shape}")
    shape = tuple(meta.get("image_shape") or _square(model.in_features))
    classes = meta.get("classes") or [str(i) for i in range(model.out_features)]
    page = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")

    def error(status: int, message: str):
        return flask.jsonify(error=message), status

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 413:
            return error(413, f"the upload is larger than the limit of {max_upload_bytes:,} bytes")
        return error(exc.code or 500, exc.description or exc.name)

    @app.get("/")
    def index():
        return flask.Response(page, mimetype="text/html")

    @app.get("/api/model")
    def describe():
        return flask.jsonify(
            layers=model.config()["layers"], parameters=model.n_params, dtype=model.dtype.name,
            dataset=meta.get("dataset"), classes=classes, image_shape=list(shape),
            test_accuracy=meta.get("test_accuracy"))

    @app.post("/api/predict")
    def predict():
        req = flask.request
        mimetype = req.mimetype or ""
        if mimetype == "multipart/form-data":
            upload = req.files.get("image")
            if upload is None:
                return error(400, "the form has no file field named 'image'")
            data = upload.read()
        elif mimetype.startswith("image/"):
            data = req.get_data()
        else:
            return error(415, f"send a picture as multipart/form-data (field 'image') or as an image/* "
                              f"body; received content type {mimetype or 'none'!r}")
        if not data:
            return error(400, "the upload is empty")
        try:
            image = prepare_digit(data, shape, name="the upload")
        except ImageTooLargeError as exc:
            return error(413, str(exc))
        except ImageError as exc:
            return error(400, str(exc))
        proba = model.predict_proba(image.reshape(1, -1))[0]
        best = int(np.argmax(proba))
        return flask.jsonify(prediction=classes[best], confidence=float(proba[best]),
                             probabilities=[round(float(p), 6) for p in proba], classes=classes,
                             input=np.round(image, 4).tolist(), image_shape=list(shape))

    return app


def _square(n: int) -> tuple[int, int]:
    side = int(round(np.sqrt(n)))
    if side * side != n:
        raise OptionError(f"the model takes {n} features, which is not a square picture")
    return side, side


def default_model(data: str | None = None, cache: str | os.PathLike | None = None) -> Checkpoint:
    """The cached digit model, trained at the first start.

    Parameters
    ----------
    data : str, optional
        A folder with MNIST's files.
    cache : str or path-like, optional
        Where the model is kept (``$GLASSNET_DATA/models`` by default).

    Returns
    -------
    Checkpoint
        MNIST when its files can be had (``data``, or the loader's cache or
        download), else the 8x8 digits that ship with scikit-learn.
    """
    root = Path(cache or os.environ.get("GLASSNET_DATA") or Path.home() / ".cache" / "glassnet") / "models"
    path = root / "digit-recogniser.glassnet"
    if path.exists():
        return load(path)
    root.mkdir(parents=True, exist_ok=True)
    try:
        train, test = datasets.load_mnist(data)
        sizes, epochs, batch = [784, 256, 128, 10], 8, 128
    except (OSError, DataError) as exc:
        print(f"MNIST not available ({exc}); training on the 8x8 digits instead")
        train, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
        sizes, epochs, batch = [64, 256, 128, 10], 100, 32
    print(f"training a {'-'.join(map(str, sizes))} network on {train.name} ({epochs} epochs), once")
    model = mlp(sizes, rng=0)
    model.fit(train.X, train.y, loss="cross_entropy", optimizer="adam", epochs=epochs, batch_size=batch)
    accuracy = float(np.mean(model.predict_classes(test.X) == test.y))
    meta = {"dataset": train.name.split("-")[0], "classes": train.classes,
            "image_shape": list(train.image_shape or ()), "task": "classification", "test_accuracy": accuracy}
    save(path, model, metadata=meta)
    print(f"test accuracy {accuracy:.2%}; model cached in {path}")
    return load(path)


def serve(checkpoint: Checkpoint, host: str = "127.0.0.1", port: int = 8000, threads: int = 4,
          max_upload_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Serve the page with waitress until interrupted.

    Parameters
    ----------
    checkpoint : Checkpoint
    host : str
    port : int
    threads : int
        waitress's worker threads.
    max_upload_bytes : int
    """
    try:
        from waitress import serve as waitress_serve
    except ImportError:
        raise missing("waitress", "web", "the web app") from None
    app = create_app(checkpoint, max_upload_bytes)
    print(f"glassnet: serving on http://{host}:{port}/  (Ctrl-C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="glassnet")
