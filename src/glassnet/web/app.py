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
import ipaddress
import os
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from .. import datasets
from ..core._validation import check_positive_int, short
from ..errors import DataError, GlassnetError, ImageError, ImageTooLargeError, OptionError, ServerBusyError, missing
from ..io import Checkpoint
from ..io.images import model_image_shape, prepare_digit
from ..optim import Adam
from ..optim.schedules import Cosine
from ..tools.saliency import gradient_saliency
from ..training.models import CNN_RECIPES, cnn, load, save
from .playground import json_error
from .playground import register as register_playground

MAX_UPLOAD_BYTES = 4 * 1024 * 1024

#: the names a browser may use to reach a server on this machine; others are refused (400), so that
#: a page on another site cannot read the API through DNS rebinding
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def host_name(header: str) -> str:
    """The host of a ``Host`` header, lower case, without its port; an IPv6 literal without brackets.

    Parameters
    ----------
    header : str
        ``127.0.0.1:8000``, ``[::1]:8000``, ``Digits.Lan``.

    Returns
    -------
    str
        ``127.0.0.1``, ``::1``, ``digits.lan``; an IP address in its standard form.
    """
    host = header.strip().lower()
    if host.startswith("["):
        host = host[1:host.index("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.rstrip(".")


def check_address(host: str) -> str:
    """A ``--host`` to listen on: an IPv4 or IPv6 address, or a host name; anything else is refused by name.

    Parameters
    ----------
    host : str

    Returns
    -------
    str
        The address, IPv6 in its standard form, brackets removed.
    """
    text = host.strip()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return ipaddress.ip_address(bare).compressed
    except ValueError:
        pass
    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    if re.fullmatch(rf"{label}(\.{label})*\.?", bare.lower()) and not re.fullmatch(r"[0-9.]+", bare):
        return bare
    raise OptionError(f"--host must be an IPv4 or IPv6 address (127.0.0.1, 0.0.0.0, ::1) or a host name; received "
                      f"{short(host)}")


def url_for(host: str, port: int) -> str:
    """The address to open in a browser: ``http://[::1]:8000/``; a wildcard bind is reached through loopback.

    Parameters
    ----------
    host : str
    port : int

    Returns
    -------
    str
    """
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

#: sent with every response: no script, style or frame from anywhere but this server, no sniffing,
#: no embedding in another site's page, no referrer to other sites
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _flask():
    try:
        import flask
    except ImportError:
        raise missing("Flask", "web", "the web app") from None
    return flask


def check_web_dependencies() -> None:
    """Raise :class:`~glassnet.errors.MissingDependencyError` unless Flask and waitress can be imported."""
    _flask()
    try:
        import waitress  # noqa: F401
    except ImportError:
        raise missing("waitress", "web", "the web app") from None


def image_shape_of(checkpoint: Checkpoint) -> tuple[int, int]:
    """The picture size a checkpoint's model takes (see :func:`glassnet.io.images.model_image_shape`).

    Parameters
    ----------
    checkpoint : Checkpoint

    Returns
    -------
    (rows, columns)
    """
    return model_image_shape(checkpoint.model.in_features, checkpoint.metadata)


def create_app(checkpoint: Checkpoint | None, max_upload_bytes: int = MAX_UPLOAD_BYTES,
               allowed_hosts: tuple[str, ...] | list[str] = LOOPBACK_HOSTS):
    """A Flask app serving a model, and the playground (:mod:`glassnet.web.playground`).

    Parameters
    ----------
    checkpoint : Checkpoint or None
        As :func:`glassnet.load` returns it; its metadata gives the classes and
        image shape. None serves the playground alone (``/`` leads there).
    max_upload_bytes : int
        Larger bodies are answered 413.
    allowed_hosts : sequence of str
        The host names requests may be addressed to (the ``Host`` header); ``"*"`` allows any.

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

    app = flask.Flask(__name__, static_folder="static")
    app.request_class = InMemoryRequest
    app.config["MAX_CONTENT_LENGTH"] = max_upload_bytes
    allowed = None if "*" in allowed_hosts else {host_name(h) for h in allowed_hosts}

    @app.before_request
    def known_host():
        if allowed is not None and host_name(flask.request.headers.get("Host", "")) not in allowed:
            return error(400, "This server answers only to the host names it was started for; start it with "
                              "--allowed-host NAME to add one.")

    def error(status: int, message: str):
        return json_error(flask, status, message)

    def busy(exc: ServerBusyError):
        return json_error(flask, 503, str(exc), exc.retry_after)

    @app.after_request
    def security_headers(response):
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 413 and flask.request.path.startswith("/api/playground"):
            return error(413, "The request body is larger than this endpoint takes (a CSV file: at most "
                              "1,000,000 bytes).")
        if exc.code == 413:
            return error(413, f"The picture is larger than this server accepts ({max_upload_bytes:,} bytes).")
        return error(exc.code or 500, exc.description or exc.name)

    @app.get("/favicon.ico")
    def favicon():
        return app.send_static_file("favicon.svg")

    register_playground(app, flask, digits=checkpoint is not None)
    if checkpoint is None:  # the playground alone
        @app.get("/")
        def to_playground():
            return flask.redirect("/playground")

        return app
    model, meta = checkpoint.model, checkpoint.metadata
    if model.out_features is None:
        raise OptionError(f"the web app serves models with a fixed output size; this one has output shape "
                          f"{model.output_shape}")
    shape = image_shape_of(checkpoint)
    classes = [str(c) for c in meta.get("classes") or range(model.out_features)]
    page = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")

    @app.get("/")
    def index():
        return flask.Response(page, mimetype="text/html")

    @app.get("/api/model")
    def describe():
        return flask.jsonify(
            layers=model.config()["layers"], parameters=model.n_params, dtype=model.dtype.name,
            dataset=meta.get("dataset"), classes=classes, image_shape=list(shape),
            test_accuracy=meta.get("test_accuracy"), file=None if checkpoint.path is None else checkpoint.path.name)

    @app.post("/api/predict")
    def predict():
        req = flask.request
        mimetype = req.mimetype or ""
        if mimetype == "multipart/form-data":
            upload = req.files.get("image")
            if upload is None:
                return error(400, "The form has no file field named 'image'.")
            data = upload.read()
        elif mimetype.startswith("image/"):
            data = req.get_data()
        else:
            return error(415, "Send a picture: as multipart/form-data with a field 'image', or as an image/* "
                              f"body (received content type {short(mimetype or 'none')}).")
        if not data:
            return error(400, "The upload is empty.")
        try:
            image = prepare_digit(data, shape, name="the picture")
        except ImageTooLargeError as exc:
            return error(413, str(exc))
        except ImageError as exc:
            return error(400, str(exc))
        except ServerBusyError as exc:
            return busy(exc)
        proba = model.predict_proba(image.reshape(1, -1))[0]
        best = int(np.argmax(proba))
        heat = gradient_saliency(model, image.reshape(1, -1), [best]).reshape(shape)
        heat = np.clip(heat / (np.percentile(np.abs(heat), 99) or 1.0), -1.0, 1.0)  # the top 1 % at full strength
        return flask.jsonify(prediction=classes[best], confidence=float(proba[best]),
                             probabilities=[round(float(p), 6) for p in proba], classes=classes,
                             input=np.round(image, 4).tolist(), image_shape=list(shape),
                             saliency=np.round(heat, 3).tolist())

    return app


#: where ``glassnet train`` writes its model by default, relative to the folder it runs in
LOCAL_MODEL = Path("glassnet-out") / "model.glassnet"


def describe(checkpoint: Checkpoint) -> str:
    """A model in a few words: ``mnist, test accuracy 98.27 %``.

    Parameters
    ----------
    checkpoint : Checkpoint

    Returns
    -------
    str
    """
    meta = checkpoint.metadata
    accuracy = meta.get("test_accuracy")
    words = [str(meta.get("dataset") or "unknown data")]
    if isinstance(accuracy, (int, float)):
        words.append(f"test accuracy {accuracy:.2%}")
    return ", ".join(words)


def choose_model(model: str | None = None, data: str | None = None, cache: str | os.PathLike | None = None,
                 announce: Callable[[str], object] = print) -> Checkpoint:
    """The model ``glassnet serve`` serves, saying which file it is and why.

    Parameters
    ----------
    model : str, optional
        A model file given on the command line: served as it is.
    data : str, optional
        A folder with MNIST's files, for the default MNIST model (see :func:`default_model`).
    cache : str or path-like, optional
        Where the default models are kept.
    announce : callable
        Receives the line that says which model is served and why.

    Returns
    -------
    Checkpoint
        ``model`` when given; else ``glassnet-out/model.glassnet`` in the
        working folder when it is a picture model (what ``glassnet train``
        just wrote there), read and checked like any model file; else the
        default model for the data.
    """
    if model:
        checkpoint = load(model)
        announce(f"serving {model} ({describe(checkpoint)})")
        return checkpoint
    if data is None and LOCAL_MODEL.is_file():
        try:
            checkpoint = load(LOCAL_MODEL)
            image_shape_of(checkpoint)
        except GlassnetError as exc:
            announce(f"not serving {LOCAL_MODEL}: {exc}")
        else:
            announce(f"serving {LOCAL_MODEL}, the model glassnet train wrote in this folder ({describe(checkpoint)}); "
                     "give a model file to serve another")
            return checkpoint
    return default_model(data, cache, announce)


def default_model(data: str | None = None, cache: str | os.PathLike | None = None,
                  announce: Callable[[str], object] = print) -> Checkpoint:
    """A digit model for the page, trained at the first start and cached, one per dataset.

    Parameters
    ----------
    data : str, optional
        A folder with MNIST's files: the model is then an MNIST model. The
        folder's files are checked against MNIST's published checksums (an
        unreadable folder is an error, never a fallback), so a cached MNIST
        model was trained on the same data and is served without training again.
    cache : str or path-like, optional
        Where the models are kept (``$GLASSNET_DATA/models`` by default).
    announce : callable
        Receives the lines that say which model is served and why.

    Returns
    -------
    Checkpoint
        Without ``data``: the MNIST model when it is cached or MNIST can be had
        (the loader's cache or a download), else the 8x8 digits model.
    """
    root = Path(cache or os.environ.get("GLASSNET_DATA") or Path.home() / ".cache" / "glassnet") / "models"
    mnist_path, digits_path = root / "digits-mnist-cnn.glassnet", root / "digits-8x8-cnn.glassnet"
    if data is not None:
        try:
            datasets.mnist.check_folder(Path(data))
        except (OSError, DataError) as exc:  # asked for MNIST from a folder: say what is wrong with it
            raise DataError(f"--data {data}: {exc}") from None
    if mnist_path.exists():
        checkpoint = load(mnist_path)
        why = "" if data is None else f"; the files in {data} are MNIST's, on which it was trained"
        announce(f"serving the default MNIST model, cached in {mnist_path} ({describe(checkpoint)}){why}")
        return checkpoint
    try:
        train, test = datasets.load_mnist(data)
    except (OSError, DataError) as exc:
        if data is not None:
            raise DataError(f"--data {data}: {exc}") from None
        if digits_path.exists():
            checkpoint = load(digits_path)
            announce(f"serving the default 8x8-digits model, cached in {digits_path} ({describe(checkpoint)}): "
                     f"MNIST is not available ({exc}); give --data with MNIST's files for an MNIST model")
            return checkpoint
        announce(f"MNIST not available ({exc}); training on the 8x8 digits instead")
        train, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
        return _train_default(train, test, "digits", digits_path, announce)
    return _train_default(train, test, "mnist", mnist_path, announce)


def _train_default(train, test, dataset: str, path: Path, announce: Callable[[str], object]) -> Checkpoint:
    """Train the default conv net by its recipe for ``dataset``, save it to ``path`` and load it back."""
    recipe = CNN_RECIPES[dataset]
    rows, columns = train.image_shape
    announce(f"training the default conv net on {train.name} ({recipe['epochs']} epochs), once: later starts "
             f"serve it from {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    model = cnn((1, rows, columns), len(train.classes), dropout=recipe["dropout"], rng=0)
    optimizer = Adam(recipe["lr"], schedule=Cosine(period=recipe["epochs"]))
    model.fit(train.X, train.y, loss="cross_entropy", optimizer=optimizer, epochs=recipe["epochs"],
              batch_size=recipe["batch_size"], verbose=True, on_divergence="raise")
    accuracy = float(np.mean(model.predict_classes(test.X) == test.y))
    meta = {"dataset": dataset, "classes": train.classes, "image_shape": [rows, columns],
            "task": "classification", "test_accuracy": accuracy}
    save(path, model, metadata=meta)
    announce(f"test accuracy {accuracy:.2%}; serving the model cached in {path}")
    return load(path)


#: how waitress guards the server (see serve): stalled or slow clients are dropped after
#: CHANNEL_TIMEOUT seconds of silence, checked every CLEANUP_INTERVAL, and up to CONNECTION_LIMIT
#: connections are held at once, so that a hundred stalled ones cannot lock others out
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 10
CLEANUP_INTERVAL = 2
#: room for the multipart envelope around an upload of max_upload_bytes
ENVELOPE = 64 * 1024


def waitress_options(max_upload_bytes: int) -> dict:
    """waitress's settings for an app that takes uploads of at most ``max_upload_bytes``.

    Parameters
    ----------
    max_upload_bytes : int

    Returns
    -------
    dict
        A body larger than the limit is refused (413) as soon as its length is
        known, before it is read; smaller ones are buffered in memory
        (``inbuf_overflow`` above the limit), never in a temporary file.
    """
    body = max_upload_bytes + ENVELOPE
    return {"max_request_body_size": body, "inbuf_overflow": body + ENVELOPE, "connection_limit": CONNECTION_LIMIT,
            "channel_timeout": CHANNEL_TIMEOUT, "cleanup_interval": CLEANUP_INTERVAL}


def allowed_hosts_for(host: str, extra: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """The host names a server bound to ``host`` answers to: loopback, ``host`` itself, and ``extra``.

    Parameters
    ----------
    host : str
        The address the server binds to.
    extra : sequence of str
        More names (``--allowed-host``); ``"*"`` allows any.

    Returns
    -------
    tuple of str
    """
    names = list(LOOPBACK_HOSTS)
    if host not in ("0.0.0.0", "::", ""):
        names.append(host)
    return tuple(dict.fromkeys([*names, *extra]))


#: waitress's worker threads: one for each browser of a classroom with a request in flight, so that the digit
#: page and a small request find a free thread while playground requests wait for their turn to compute
#: (glassnet.web.sessions.Turns) and large pictures for the decoder's budget. A waiting thread costs little:
#: with 12, a picture waited behind 18 queued frames (p50 121 ms; 10 ms with 48)
THREADS = 48


def make_server(checkpoint: Checkpoint | None, host: str = "127.0.0.1", port: int = 8000, threads: int = THREADS,
                max_upload_bytes: int = MAX_UPLOAD_BYTES, allowed_hosts: list[str] | tuple[str, ...] = ()):
    """The waitress server :func:`serve` runs, bound to its port and configured, not yet serving.

    Parameters
    ----------
    checkpoint : Checkpoint or None
        None serves the playground alone.
    host : str
        The address to bind to.
    port : int
        1 to 65535; 0 picks a free port.
    threads : int
        waitress's worker threads.
    max_upload_bytes : int
        Larger uploads are refused before they are read.
    allowed_hosts : sequence of str
        Host names to answer besides loopback and ``host`` (see :func:`allowed_hosts_for`).

    Returns
    -------
    waitress server
        Its ``effective_port`` is the port bound; ``run()`` serves until ``close()``.
    """
    host = check_address(host)
    port = check_positive_int(port, "port", minimum=0)
    if port > 65535:
        raise OptionError(f"port must be between 1 and 65535; received {short(port)}")
    max_upload_bytes = check_positive_int(max_upload_bytes, "max_upload_bytes")
    try:
        from waitress.server import create_server
    except ImportError:
        raise missing("waitress", "web", "the web app") from None
    app = create_app(checkpoint, max_upload_bytes, allowed_hosts_for(host, allowed_hosts))
    # create_server binds the socket: a port in use fails here, before anything is announced; an
    # address waitress cannot bind (not this machine's) is one line too
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        return create_server(app, listen=listen, threads=threads, ident="glassnet",
                             **waitress_options(max_upload_bytes))
    except ValueError as exc:
        raise OptionError(f"--host {short(host)} cannot be listened on here: {short(str(exc))}") from None


def serve(checkpoint: Checkpoint | None, host: str = "127.0.0.1", port: int = 8000, threads: int = THREADS,
          max_upload_bytes: int = MAX_UPLOAD_BYTES, allowed_hosts: list[str] | tuple[str, ...] = (),
          on_start: Callable[[str], object] | None = None) -> None:
    """Serve the page with waitress until interrupted.

    Parameters
    ----------
    checkpoint, host, port, threads, max_upload_bytes, allowed_hosts
        As for :func:`make_server`.
    on_start : callable, optional
        Called with the server's address once it listens (``glassnet playground`` opens a browser there).
    """
    server = make_server(checkpoint, host, port, threads, max_upload_bytes, allowed_hosts)
    address = url_for(check_address(host), server.effective_port)
    print(f"glassnet: serving on {address}  (open it in a browser; Ctrl-C to stop)", flush=True)
    if on_start is not None:
        on_start(address)
    server.run()
