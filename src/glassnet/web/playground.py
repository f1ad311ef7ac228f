"""The playground's routes: sessions that train on the server, one frame per request.

A page creates a session from its settings (the URL query of a
:class:`~glassnet.playground.Spec`, and an uploaded CSV for ``data=csv``),
then asks for frames: each ``train`` request takes up to
:data:`MAX_STEPS` steps and answers where training stands. Sessions are
bounded: at most :data:`MAX_SESSIONS` at once (the oldest idle one makes room,
never an active one), dropped after :data:`IDLE_SECONDS` without a request,
one request at a time each, and each request's steps stop after
:data:`STEP_SECONDS`.

Endpoints, under ``/api/playground``:

* ``POST /sessions`` -- ``{"query": ..., "csv": ...}``: a new session and its first frame.
* ``POST /<id>/train`` -- ``{"steps": k}`` (or ``{"epochs": k}``): train, then a frame.
* ``GET /<id>/neuron?layer=L&j=J`` and ``/<id>/weight?layer=L&i=I&j=J``: one piece explained.
* ``POST /<id>/weight`` -- ``{"layer", "i", "j", "value"}``: edit a weight.
* ``GET /<id>/gradcheck``: backpropagation against central differences on the training points.
* ``GET /<id>/export.py`` and ``/<id>/model.glassnet``: the script and the model file.
"""

from __future__ import annotations

import base64
import functools
import secrets
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import WHOLE, json_number, short
from ..errors import DataError, OptionError
from ..gradcheck import gradcheck
from ..io import model_file
from ..playground import Session, Spec, read_csv, script

MAX_SESSIONS = 16
IDLE_SECONDS = 600
MAX_STEPS = 1000
STEP_SECONDS = 0.25
GRID = 24


class Sessions:
    """The live sessions, by id, with their last use; thread-safe.

    Parameters
    ----------
    limit : int
        Sessions held at once; a new one replaces the oldest idle one (idle 5 s or more), never an active one.
    idle : float
        Seconds without a request after which a session is dropped.
    """

    def __init__(self, limit: int = MAX_SESSIONS, idle: float = IDLE_SECONDS) -> None:
        self.limit, self.idle = limit, idle
        self._lock = threading.Lock()
        self._items: dict[str, tuple[Session, threading.Lock, float]] = {}

    def add(self, session: Session) -> str:
        """Keep ``session``; its id.

        Parameters
        ----------
        session : Session

        Returns
        -------
        str
            A random token, the session's only name.

        Raises
        ------
        OptionError
            Every place is taken by a session used in the last 5 seconds.
        """
        with self._lock:
            self._expire()
            if len(self._items) >= self.limit:
                oldest = min(self._items, key=lambda k: self._items[k][2])
                if time.monotonic() - self._items[oldest][2] < 5:
                    raise OptionError(f"the server holds its limit of {self.limit} playground sessions; "
                                      "try again in a minute")
                del self._items[oldest]
            token = secrets.token_urlsafe(16)
            self._items[token] = (session, threading.Lock(), time.monotonic())
            return token

    def get(self, token: str) -> tuple[Session, threading.Lock]:
        """The session of ``token`` and its lock, marked as used now.

        Parameters
        ----------
        token : str

        Returns
        -------
        (Session, threading.Lock)

        Raises
        ------
        KeyError
            No such session (never was, or expired).
        """
        with self._lock:
            self._expire()
            item = self._items.get(token)
            if item is None:
                raise KeyError(token)
            self._items[token] = (item[0], item[1], time.monotonic())
            return item[0], item[1]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, (_, _, last) in self._items.items() if now - last > self.idle]:
            del self._items[token]


def frame_json(session: Session, full: bool = False) -> dict:
    """A frame as JSON-ready data, values rounded for the wire; its losses join the session's history.

    Parameters
    ----------
    session : Session
    full : bool
        Add what does not change while a session lives (the points, labels,
        split and loss history), for its first frame.

    Returns
    -------
    dict
    """
    f = session.frame(GRID)
    losses = {k: v for k, v in f.items() if k.endswith(("_loss", "_accuracy"))}
    history = session.history
    if not history or history[-1]["step"] != f["step"]:
        history.append({"step": f["step"], **losses})
        del history[:-1000]
    answer = {"step": f["step"], "epoch": f["epoch"], **losses, "grid": GRID,
              "output": np.round(f["output"], 3).tolist(), "task": session.spec.task,
              "neurons": [quantized(layer) for layer in f["neurons"]],
              "weights": [np.round(w, 4).tolist() for w in f["weights"]],
              "biases": [np.round(b, 4).tolist() for b in f["biases"]], "query": session.spec.to_query()}
    if full:  # later frames carry only their own losses; the page keeps the curve
        answer["history"] = history
        answer.update(points=np.round(session.points, 3).tolist(), labels=np.asarray(session.labels).tolist(),
                      train_rows=session.train_rows.tolist())
    return answer


def quantized(values: np.ndarray) -> str:
    """Activations for the page's pictures, clipped to [-1, 1] as its colours are, one byte each, in base64.

    Byte ``k`` stands for ``k / 127 - 1``: a 24 x 24 picture is 768 characters instead of several thousand.

    Parameters
    ----------
    values : array
        Any shape; sent in C order.

    Returns
    -------
    str
    """
    return base64.b64encode(np.round((np.clip(values, -1, 1) + 1) * 127).astype(np.uint8).tobytes()).decode()


def register(app: Any, flask: Any) -> None:
    """Add the playground's page and routes to ``app``.

    Parameters
    ----------
    app : flask.Flask
    flask : module
        Flask itself, imported by the caller.
    """
    sessions = Sessions()

    def error(status: int, message: str):
        return flask.jsonify(error=message), status

    def refusals_answered(view):
        """A route whose OptionError or DataError (a bad setting, upload or index) is answered 400 with its message."""
        @functools.wraps(view)
        def answered(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except (OptionError, DataError) as exc:
                return error(400, str(exc))
        return answered

    def lookup(token: str):
        try:
            return sessions.get(token)
        except KeyError:
            flask.abort(404, "This playground session has ended (idle too long, or the server restarted). "
                             "Reload the page to start again from its link.")

    def body() -> dict:
        try:
            data = flask.request.get_json(silent=True)
        except RecursionError:  # json's parser recurses once per level of nesting
            flask.abort(400, "The JSON is nested too deeply.")
        if not isinstance(data, dict):
            flask.abort(400, "Send a JSON object.")
        return data

    def integer(value: Any, name: str, low: int, high: int) -> int:
        # a query's text, or a JSON number that is whole: not "1.5", "1_0", true or full-width digits
        if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
            number = int(value)
        else:
            try:
                number = int(json_number(value, name, whole=True))
            except (OptionError, TypeError):
                flask.abort(400, f"{name} must be a whole number; received {short(value)}")
        if not low <= number <= high:
            flask.abort(400, f"{name} must be from {low} to {high}; received {short(number)}")
        return number

    page = resources.files(__package__).joinpath("playground.html").read_text(encoding="utf-8")

    @app.get("/playground")
    def playground_page():
        return flask.Response(page, mimetype="text/html")

    @app.post("/api/playground/sessions")
    @refusals_answered
    def new_session():
        data = body()
        spec = Spec.from_query(str(data.get("query", "")))
        points = None
        if spec.data == "csv":
            if not isinstance(data.get("csv"), str):
                raise OptionError("data=csv needs a CSV file: upload one")
            points = read_csv(data["csv"], "classification")
        session = Session(spec, points)
        token = sessions.add(session)
        return flask.jsonify(id=token, frame=frame_json(session, full=True))

    @app.post("/api/playground/<token>/train")
    def train(token: str):
        session, lock = lookup(token)
        data = body()
        n = session.X_train.shape[0]
        per_epoch = -(-n // min(session.spec.batch_size, n))
        steps = integer(data.get("steps", 1), "steps", 1, MAX_STEPS) if "epochs" not in data else \
            integer(data["epochs"], "epochs", 1, 10) * per_epoch
        if not lock.acquire(timeout=5):
            return error(429, "This session is busy with another request.")
        try:
            deadline = time.monotonic() + STEP_SECONDS
            done = 0
            while done < steps and time.monotonic() < deadline and not session.diverged:
                take = min(steps - done, 10)
                session.train(take)
                done += take
            if session.diverged:
                return error(400, f"Training diverged at step {session.step + 1}: the cost became "
                                  f"{session.last_cost}. Reset with a smaller learning rate "
                                  f"(now {session.spec.lr:g}).")
            return flask.jsonify(frame_json(session))
        finally:
            lock.release()

    @app.get("/api/playground/<token>/neuron")
    @refusals_answered
    def neuron(token: str):
        session, lock = lookup(token)
        args = flask.request.args
        with lock:
            return flask.jsonify(session.neuron(integer(args.get("layer"), "layer", 0, 10),
                                                integer(args.get("j"), "j", 0, 100)))

    @app.get("/api/playground/<token>/weight")
    @refusals_answered
    def weight(token: str):
        session, lock = lookup(token)
        args = flask.request.args
        with lock:
            return flask.jsonify(session.weight(integer(args.get("layer"), "layer", 0, 10),
                                                integer(args.get("i"), "i", 0, 100),
                                                integer(args.get("j"), "j", 0, 100)))

    @app.post("/api/playground/<token>/weight")
    @refusals_answered
    def edit_weight(token: str):
        session, lock = lookup(token)
        data = body()
        try:
            value = json_number(data.get("value"), "value")
        except OptionError as exc:  # true is not 1, "2" is not 2
            return error(400, str(exc))
        with lock:
            session.set_weight(integer(data.get("layer"), "layer", 0, 10), integer(data.get("i"), "i", 0, 100),
                               integer(data.get("j"), "j", 0, 100), value)
            session.spec.edits = tuple(session.edits)
            return flask.jsonify(frame_json(session))

    @app.get("/api/playground/<token>/gradcheck")
    def check(token: str):
        session, lock = lookup(token)
        with lock:
            report = gradcheck(session.model, session.objective.loss, session.X_train[:50],
                               session.y_train[:50], l2=session.spec.l2, l1=session.spec.l1)
        rows = [{"parameter": r.label, "shape": list(r.shape), "checked": r.checked,
                 "max_abs_error": r.max_abs_error, "rel_error": r.rel_error, "passed": r.passed,
                 "kinks": r.kinks} for r in report.rows]
        return flask.jsonify(rows=rows, passed=report.passed)

    @app.get("/api/playground/<token>/export.py")
    @refusals_answered
    def export_script(token: str):
        session, lock = lookup(token)
        with lock:
            text = script(session.spec, session.step)
        return flask.Response(text, mimetype="text/x-python",
                              headers={"Content-Disposition": "attachment; filename=playground.py"})

    @app.get("/api/playground/<token>/model.glassnet")
    def export_model(token: str):
        session, lock = lookup(token)
        with lock, tempfile.TemporaryDirectory() as folder:
            path = model_file.save(Path(folder) / "playground.glassnet", session.model,
                                   metadata={"playground": session.spec.to_query(), "step": session.step})
            data = path.read_bytes()
        return flask.Response(data, mimetype="application/octet-stream",
                              headers={"Content-Disposition": "attachment; filename=playground.glassnet"})
