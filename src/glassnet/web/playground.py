"""The playground's routes: sessions that train on the server, one frame per request, a classroom at once.

A page creates a session from its settings (the URL query of a
:class:`~glassnet.playground.Spec`, and an uploaded CSV for ``data=csv``),
then asks for frames: each ``train`` request takes up to :data:`MAX_STEPS`
steps, at most :data:`STEP_SECONDS` of them, and answers where training
stands. A link holds a run's settings, its hand edits and its step count; the
page replays it, and the engine's determinism brings back the same weights.

Sessions live as long as their tab and are bounded by what they would take,
never by removing others (see :mod:`glassnet.web.sessions`, which also lets
one request compute at a time, in turn). Every request is bounded before work
starts (body size, steps, indices, edits), waits at most
:data:`~glassnet.web.sessions.LOCK_WAIT` seconds for its session and its turn
(then 503 with ``Retry-After``: busy, send again), and answers JSON in which a
number that is not finite is sent as the string ``"NaN"``, ``"Infinity"`` or
``"-Infinity"``. What the routes answer (frames, links, strict JSON, refusals)
is made in :mod:`glassnet.web.answers`.

Endpoints, under ``/api/playground``:

* ``POST /sessions`` -- ``{"query": ..., "csv": ...}``: a new session and its first frame.
* ``POST /<id>/train`` -- ``{"steps": k}`` (or ``{"epochs": k}``): train, then a frame.
* ``POST /<id>/heartbeat`` and ``/<id>/close``: the page is still open; it was closed.
* ``GET /<id>/neuron?layer=L&j=J`` and ``/<id>/weight?layer=L&i=I&j=J``: one piece explained.
* ``POST /<id>/weight`` -- ``{"layer", "i", "j", "value"}``: edit a weight.
* ``GET /<id>/gradcheck``: backpropagation against central differences on the training points.
* ``GET /<id>/export.py``, ``/<id>/model.glassnet`` and ``/<id>/run.json``: the script, the model
  file, and the run itself (its link's settings, its step count and its CSV) to open again.
"""

from __future__ import annotations

import contextlib
import functools
import json
import tempfile
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..core._validation import WHOLE, json_number, short
from ..errors import DataError, NonFiniteError, OptionError, ServerBusyError
from ..io import model_file
from ..playground import Session, Spec, read_csv, script
from ..playground.data import MAX_CSV_BYTES, csv_scaling
from .answers import GRID as GRID
from .answers import (
    browser_id,
    encode,
    frame_json,
    give_browser_id,
    gradcheck_rows,
    json_body,
    json_error,
    link_query,
    strict,
)
from .answers import quantized as quantized
from .sessions import HEARTBEAT_SECONDS, LIVE_SECONDS, LOCK_WAIT, PER_ADDRESS, PER_CLIENT, Sessions, SessionsFull

__all__ = ["register", "json_error", "strict", "frame_json", "link_query", "gradcheck_rows", "Sessions", "SessionsFull",
           "PER_ADDRESS", "PER_CLIENT"]

MAX_STEPS = 1000
STEP_SECONDS = 0.25
#: request bodies: a new session's (settings and a CSV of up to 1 MB, which JSON's escapes may double),
#: and every other
SESSION_BODY = 2 * MAX_CSV_BYTES + 64 * 1024
SMALL_BODY = 4096
#: the longest settings query a link may hold
MAX_QUERY = 16 * 1024
COOKIE = "glassnet_playground"


def register(app: Any, flask: Any, digits: bool = True) -> None:
    """Add the playground's page and routes to ``app``.

    Parameters
    ----------
    app : flask.Flask
    flask : module
        Flask itself, imported by the caller.
    digits : bool
        Whether the app also serves the digit page (the playground's header links to it only then).
    """
    sessions = app.extensions["glassnet_playground"] = Sessions()

    def error(status: int, message: str, retry_after: int | None = None, **fields: Any):
        return json_error(flask, status, message, retry_after, **fields)

    def answered(view):
        """A route whose refusals answer with their message: 400 for a bad setting, upload or index (or weights
        a gradient check cannot use); 503 (send again) for a session busy past the wait; 429 for no room."""
        @functools.wraps(view)
        def answer(*args, **kwargs):
            try:
                # a run that diverged keeps large weights: what overflows is reported, as "Infinity" or "NaN"
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    return view(*args, **kwargs)
            except (OptionError, DataError, NonFiniteError) as exc:  # NonFiniteError: a gradient check of NaN
                return error(400, str(exc))
            except ServerBusyError as exc:
                return error(503, str(exc), exc.retry_after)
            except SessionsFull as exc:
                return error(429, str(exc), exc.retry_after)
        return answer

    def lookup(token: str):
        try:
            return sessions.get(token)
        except KeyError:
            flask.abort(404, "This playground session has ended (its tab was closed, it was quiet for more than "
                             f"{LIVE_SECONDS // 60} minutes, or the server restarted). Reload the page to start again "
                             "from its link.")

    @contextlib.contextmanager
    def held(lock: threading.Lock):
        """Hold the session's lock and the turn to compute, each taken within :data:`LOCK_WAIT`; else the
        request is told to come back."""
        if not lock.acquire(timeout=LOCK_WAIT):
            raise ServerBusyError("this session is busy with another request: send it again", retry_after=1)
        try:
            with sessions.turns.turn() as turn:
                yield turn
        finally:
            lock.release()

    def body(limit: int = SMALL_BODY) -> dict:
        return json_body(flask, limit)

    def integer(value: Any, name: str, low: int, high: int) -> int:
        # a query's text, or a JSON number that is whole: not "1.5", "1_0", true or full-width digits
        if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
            if len(value) > 100:  # no index is this long; int() of 4,300 digits raised ValueError: a 500
                flask.abort(400, f"{name} must be from {low} to {high}; received {short(value)}")
            number = int(value)
        else:
            try:
                number = int(json_number(value, name, whole=True))
            except (OptionError, TypeError):
                flask.abort(400, f"{name} must be a whole number; received {short(value)}")
        if not low <= number <= high:
            flask.abort(400, f"{name} must be from {low} to {high}; received {short(number)}")
        return number

    def jsonify(data: Any):
        return flask.Response(encode(data), mimetype="application/json")

    page = resources.files(__package__).joinpath("playground.html").read_text(encoding="utf-8")
    if not digits:  # the playground alone: no digit page to link to
        start, end = page.index("<!-- digit link -->"), page.index("<!-- end digit link -->")
        page = page[:start] + page[end + len("<!-- end digit link -->"):]

    @app.get("/playground")
    def playground_page():
        return flask.Response(page, mimetype="text/html")

    @app.post("/api/playground/sessions")
    @answered
    def new_session():
        data = body(SESSION_BODY)
        query = data.get("query", "")
        if not isinstance(query, str) or len(query) > MAX_QUERY:
            raise OptionError(f"query must be the settings of a link, at most {MAX_QUERY:,} characters")
        spec = Spec.from_query(query)
        points = None
        if spec.data == "csv":
            if not isinstance(data.get("csv"), str):
                raise OptionError("data=csv needs a CSV file: upload one")
            points = read_csv(data["csv"], "classification")
        client = browser_id(flask, COOKIE)
        with sessions.turns.turn():
            session = Session(spec, points)
            session.csv = data.get("csv") if spec.data == "csv" else None
            token = sessions.add(session, flask.request.remote_addr or "", client)
            response = jsonify({"id": token, "frame": frame_json(session, full=True), "heartbeat": HEARTBEAT_SECONDS})
        if not client:  # the browser's own id: its sessions count together
            give_browser_id(response, COOKIE, "/api/playground")
        return response

    @app.post("/api/playground/<token>/train")
    @answered
    def train(token: str):
        session, lock = lookup(token)
        data = body()
        n = session.X_train.shape[0]
        per_epoch = -(-n // min(session.spec.batch_size, n))
        epochs = integer(data["epochs"], "epochs", 1, 10) if "epochs" in data else 0
        steps = integer(data.get("steps", 1), "steps", 1, MAX_STEPS) if not epochs else 0
        with held(lock) as turn:
            if epochs:  # epochs end where an epoch ends: after a step, one is the rest of the current one
                steps = (epochs - 1) * per_epoch + session.steps_left_in_epoch()  # read holding the session
            try:
                deadline = time.monotonic() + STEP_SECONDS
                done = 0
                while done < steps and time.monotonic() < deadline and not session.diverged:
                    take = min(steps - done, 10)
                    session.train(take)
                    done += take
                    try:  # after its quantum: the next learner in line computes, then this one goes on
                        turn.pass_on()
                    except ServerBusyError:  # the turn did not come back in time: the steps taken are answered,
                        break  # and the page goes on from them (a 503 after them made a replay overshoot its link)
                if session.diverged:
                    return error(400, f"Training diverged at step {session.step + 1}: the cost became "
                                      f"{session.last_cost}. Reset with a smaller learning rate "
                                      f"(now {session.spec.lr:g}).")
                if turn.held:
                    return jsonify(frame_json(session))
                try:  # the frame is work too: it waits for a turn of its own, as any request's does
                    with sessions.turns.turn():
                        return jsonify(frame_json(session))
                except ServerBusyError as exc:  # the steps taken stand: the page counts them, then asks again
                    return error(503, str(exc), exc.retry_after, step=session.step)
            finally:
                session.release()

    @app.get("/api/playground/<token>/frame")
    @answered
    def current_frame(token: str):  # after a busy answer that took steps: their frame, without training
        session, lock = lookup(token)
        with held(lock):
            return jsonify(frame_json(session))

    @app.post("/api/playground/<token>/heartbeat")
    @answered
    def heartbeat(token: str):
        lookup(token)
        return jsonify({"alive": True})

    @app.post("/api/playground/<token>/close")
    @answered
    def close(token: str):
        return jsonify({"closed": sessions.close(token)})

    @app.get("/api/playground/<token>/neuron")
    @answered
    def neuron(token: str):
        session, lock = lookup(token)
        args = flask.request.args
        layer, j = integer(args.get("layer"), "layer", 0, 10), integer(args.get("j"), "j", 0, 100)
        with held(lock):
            return jsonify(session.neuron(layer, j))

    @app.get("/api/playground/<token>/weight")
    @answered
    def weight(token: str):
        session, lock = lookup(token)
        args = flask.request.args
        layer, i, j = (integer(args.get("layer"), "layer", 0, 10), integer(args.get("i"), "i", 0, 100),
                       integer(args.get("j"), "j", 0, 100))
        with held(lock):
            return jsonify(session.weight(layer, i, j))

    @app.post("/api/playground/<token>/weight")
    @answered
    def edit_weight(token: str):
        session, lock = lookup(token)
        data = body()
        value = json_number(data.get("value"), "value")  # true is not 1, "2" is not 2
        layer, i, j = (integer(data.get("layer"), "layer", 0, 10), integer(data.get("i"), "i", 0, 100),
                       integer(data.get("j"), "j", 0, 100))
        with held(lock):
            session.set_weight(layer, i, j, value)
            return jsonify(frame_json(session))

    @app.get("/api/playground/<token>/gradcheck")
    @answered
    def check(token: str):
        session, lock = lookup(token)
        with held(lock):
            return jsonify(gradcheck_rows(session))

    @app.get("/api/playground/<token>/export.py")
    @answered
    def export_script(token: str):
        session, lock = lookup(token)
        with held(lock):
            text = script(Spec.from_query(link_query(session)), session.step)
        return flask.Response(text, mimetype="text/x-python",
                              headers={"Content-Disposition": "attachment; filename=playground.py"})

    @app.get("/api/playground/<token>/run.json")
    @answered
    def export_run(token: str):
        session, lock = lookup(token)
        with held(lock):
            run = {"format": "glassnet-playground-run", "query": link_query(session), "steps": session.step,
                   "csv": session.csv}
        return flask.Response(json.dumps(run), mimetype="application/json",
                              headers={"Content-Disposition": "attachment; filename=playground-run.json"})

    @app.get("/api/playground/<token>/model.glassnet")
    @answered
    def export_model(token: str):
        session, lock = lookup(token)
        with held(lock), tempfile.TemporaryDirectory() as folder:
            spec = session.spec  # what the command line needs to read the model: its task, classes and inputs
            meta = {"playground": link_query(session), "step": session.step, "task": spec.task,
                    "feature_names": list(spec.features)}
            if spec.task == "classification":
                meta["classes"] = [str(c) for c in range(int(session.labels.max()) + 1)]
            scaling = None if session.csv is None else csv_scaling(session.csv)  # the file's own coordinates
            if tuple(spec.features) == ("x1", "x2"):  # the inputs are the points, scaled as they were to train
                if scaling is not None:
                    meta["input_mean"], meta["input_scale"] = scaling
            else:  # features of the points (x1^2, sin(x1), ...): predict reads x1 and x2 and makes them
                meta["points"] = {"columns": ["x1", "x2"], **({} if scaling is None else
                                                               {"centre": scaling[0], "half": scaling[1]})}
            path = model_file.save(Path(folder) / "playground.glassnet", session.model, metadata=meta)
            data = path.read_bytes()
        return flask.Response(data, mimetype="application/octet-stream",
                              headers={"Content-Disposition": "attachment; filename=playground.glassnet"})
