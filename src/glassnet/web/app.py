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

Which model is served is chosen in :mod:`glassnet.web.model_choice`; the
addresses and host names a server answers to are checked in
:mod:`glassnet.web.addresses`; both are importable from here too.
"""

from __future__ import annotations

import errno
import io
import socket
from collections.abc import Callable
from importlib import resources

import numpy as np

from ..core._validation import check_positive_int, short
from ..errors import ImageError, ImageTooLargeError, OptionError, ServerBusyError, missing
from ..io import Checkpoint
from ..tools.saliency import picture_saliency
from .addresses import LOOPBACK_HOSTS, allowed_hosts_for, check_address, host_name, url_for
from .answers import encode, json_error
from .model_choice import LOCAL_MODEL, choose_model, default_model, describe, picture_preparation
from .playground import register as register_playground
from .teach import register as register_teach

__all__ = ["CHANNEL_TIMEOUT", "CLEANUP_INTERVAL", "CONNECTION_LIMIT", "ENVELOPE", "LOCAL_MODEL", "LOOPBACK_HOSTS",
           "MAX_UPLOAD_BYTES", "SECURITY_HEADERS", "THREADS", "allowed_hosts_for", "check_address",
           "check_web_dependencies", "choose_model", "create_app", "default_model", "describe", "host_name",
           "make_server", "picture_preparation", "serve", "url_for", "waitress_options"]

MAX_UPLOAD_BYTES = 4 * 1024 * 1024

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
        said = exc.description or ""  # json_body names the endpoint's own limit; a body cut off does not
        if exc.code == 413 and said.startswith("The request body is larger"):
            return error(413, said)
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
    register_teach(app, flask)
    if checkpoint is None:  # the playground alone
        @app.get("/")
        def to_playground():
            return flask.redirect("/playground")

        return app
    model, meta = checkpoint.model, checkpoint.metadata
    if model.out_features is None:
        raise OptionError(f"the web app serves models with a fixed output size; this one has output shape "
                          f"{model.output_shape}")
    prep = picture_preparation(checkpoint)
    channels, shape = prep.shape[0], prep.shape[1:]
    classes = [str(c) for c in meta.get("classes") or range(model.out_features)]
    page = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")

    @app.get("/")
    def index():
        return flask.Response(page, mimetype="text/html")

    accuracy = meta.get("test_accuracy")  # from the file: a share, or nothing (NaN made the answer invalid JSON)
    if not (isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool) and 0 <= accuracy <= 1):
        accuracy = None

    @app.get("/api/model")
    def describe():
        about = dict(layers=model.config()["layers"], parameters=model.n_params, dtype=model.dtype.name,
                     dataset=meta.get("dataset"), classes=classes, image_shape=list(shape), channels=channels,
                     kind=prep.kind, test_accuracy=accuracy,
                     file=None if checkpoint.path is None else checkpoint.path.name)
        return flask.Response(encode(about), mimetype="application/json")  # strict JSON, whatever the file says

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
            image = prep.prepare(data, name="the picture")
        except ImageTooLargeError as exc:
            return error(413, str(exc))
        except ImageError as exc:
            return error(400, str(exc))
        except ServerBusyError as exc:
            return busy(exc)
        proba = model.predict_proba(image.reshape(1, -1))[0]
        best = int(np.argmax(proba))
        heat = picture_saliency(model, image, best)
        seen = image[0] if channels == 1 else image.transpose(1, 2, 0)  # rows of grey values, or of RGB triples
        return flask.jsonify(prediction=classes[best], confidence=float(proba[best]),
                             probabilities=[round(float(p), 6) for p in proba], classes=classes,
                             input=np.round(seen, 4).tolist(), image_shape=list(shape), channels=channels,
                             saliency=np.round(heat, 3).tolist())

    return app


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
    # the address is tried first with a socket of our own, closed whatever happens: waitress leaves the socket
    # of a failed bind open. A port in use fails here, before anything is announced, and so does an address
    # that is not this machine's
    _check_listenable(host, port)
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        return create_server(app, listen=listen, threads=threads, ident="glassnet",
                             **waitress_options(max_upload_bytes))
    except ValueError as exc:
        raise OptionError(f"--host {short(host)} cannot be listened on here: {short(str(exc))}") from None


def _check_listenable(host: str, port: int) -> None:
    """Refuse, naming the option at fault, an address this process cannot listen on."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):  # taken by another server, or below 1024 without the right
            raise OptionError(f"--port {port} cannot be listened on at {host}: {exc.strerror}; choose another port "
                              "(--port 0 picks a free one)") from None
        raise OptionError(f"--host {short(host)} cannot be listened on here: {exc.strerror or exc}") from None


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
