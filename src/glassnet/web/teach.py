"""The teach page's routes: name classes, give them pictures, train on the server, try it live.

A front-end over :class:`glassnet.playground.teach.Lesson`. Each tab holds one
lesson, kept by :class:`~glassnet.web.sessions.Sessions` with bounds like the
playground's: lessons per browser (its own cookie), per network address and
for the whole server, each counted at the most a lesson can hold. A lesson
freed (closed, quiet too long, replaced) stops its training. :data:`TRAINERS`
threads train, taking lessons from one line in which a lesson stands at most
once; the page polls the lesson's state to draw the learning curve.

Endpoints, under ``/api/teach``:

* ``POST /sessions`` -- a new lesson: its id and limits.
* ``POST /<id>/example`` -- a picture for a class (form fields ``class`` and ``image``).
* ``POST /<id>/clear`` -- ``{"class": k}``: forget a class's pictures.
* ``POST /<id>/train`` -- ``{"names": [...]}``: train on the named classes; ``POST /<id>/stop``.
* ``GET /<id>/status`` -- the state, the epochs so far, the counts.
* ``POST /<id>/predict`` -- a picture (field ``image``): the trained network's answer and saliency.
* ``GET /<id>/model.glassnet`` and ``/<id>/model.onnx`` -- the trained model.
* ``POST /<id>/heartbeat``, ``/<id>/close``.

Pictures are read by the guarded decoder and never written to disk.
"""

from __future__ import annotations

import functools
import queue
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, ImageError, ImageTooLargeError, MissingDependencyError, OptionError, ServerBusyError
from ..io import model_file
from ..io.onnx import to_onnx
from ..io.photos import prepare_photo
from ..playground.teach import CHANNELS, MAX_CLASSES, MAX_EXAMPLES, MIN_EXAMPLES, NAME_LENGTH, SIZE, Lesson
from .answers import browser_id, give_browser_id, json_body, json_error
from .sessions import HEARTBEAT_SECONDS, LIVE_SECONDS, Sessions, SessionsFull

#: lessons training at once on the server; the rest wait in line
TRAINERS = 2
#: lessons one browser may hold (tabs), one network address (a third of the most the budget holds: one client
#: that drops its cookie cannot take the whole page), and what all lessons together may hold
PER_CLIENT = 4
PER_ADDRESS = 12
MEMORY_BUDGET = 512 * 2**20
COOKIE = "glassnet_teach"
SMALL_BODY = 4096


def register(app: Any, flask: Any) -> None:
    """Add the teach page and its routes to ``app``.

    Parameters
    ----------
    app : flask.Flask
    flask : module
        Flask itself, imported by the caller.
    """
    lessons = app.extensions["glassnet_teach"] = Sessions(per_client=PER_CLIENT, per_address=PER_ADDRESS,
                                                          budget=MEMORY_BUDGET, what="teach",
                                                          on_drop=lambda lesson: lesson.close())
    line: queue.SimpleQueue[Lesson] = queue.SimpleQueue()  # a lesson is in line at most once (Lesson.queue)

    trainers: list[threading.Thread] = []  # started with the first run, so that an app no one teaches has none

    def trainer() -> None:
        while True:
            line.get().run()  # a lesson stopped or dropped while it waited does nothing

    def put_in_line(lesson: Lesson) -> None:
        line.put(lesson)
        with starting:
            while len(trainers) < TRAINERS:
                trainers.append(threading.Thread(target=trainer, name=f"glassnet-teach-{len(trainers)}", daemon=True))
                trainers[-1].start()

    starting = threading.Lock()

    def error(status: int, message: str, retry_after: int | None = None):
        return json_error(flask, status, message, retry_after)

    def answered(view):
        """A route whose refusals answer with their message: 400, 413, 429 or 503."""
        @functools.wraps(view)
        def answer(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ImageTooLargeError as exc:
                return error(413, str(exc))
            except (OptionError, DataError, ImageError) as exc:
                return error(400, str(exc))
            except ServerBusyError as exc:
                return error(503, str(exc), exc.retry_after)
            except SessionsFull as exc:
                return error(429, str(exc), exc.retry_after)
        return answer

    def lookup(token: str) -> Lesson:
        try:
            lesson, _ = lessons.get(token)
        except KeyError:
            flask.abort(404, "This lesson has ended (its tab was closed, it was quiet for more than "
                             f"{LIVE_SECONDS // 60} minutes, or the server restarted). Reload the page to start again.")
        assert isinstance(lesson, Lesson)
        return lesson

    def body() -> dict:
        return json_body(flask, SMALL_BODY)

    def picture() -> np.ndarray:
        upload = flask.request.files.get("image")
        if upload is None:
            raise OptionError("send the picture as multipart/form-data in a field named 'image'")
        data = upload.read()
        if not data:
            raise OptionError("the picture is empty")
        return prepare_photo(data, SIZE, CHANNELS, "pad", name="the picture")

    def status(lesson: Lesson) -> dict:
        return {"state": lesson.state, "epoch": lesson.epoch, "epochs": lesson.epochs, "losses": lesson.losses,
                "accuracies": lesson.accuracies, "message": lesson.message, "classes": lesson.classes,
                "counts": lesson.counts(), "trained": lesson.model is not None}

    page = resources.files(__package__).joinpath("teach.html").read_text(encoding="utf-8")

    @app.get("/teach")
    def teach_page():
        return flask.Response(page, mimetype="text/html")

    @app.post("/api/teach/sessions")
    @answered
    def teach_new_lesson():
        body()  # a JSON object, which another site's form or no-cors request cannot send: no lessons made for it
        client = browser_id(flask, COOKIE)
        token = lessons.add(Lesson(), flask.request.remote_addr or "", client)
        response = flask.jsonify(id=token, heartbeat=HEARTBEAT_SECONDS, size=SIZE, max_classes=MAX_CLASSES,
                                 max_examples=MAX_EXAMPLES, min_examples=MIN_EXAMPLES, name_length=NAME_LENGTH)
        if not client:
            give_browser_id(response, COOKIE, "/api/teach")
        return response

    @app.post("/api/teach/<token>/example")
    @answered
    def teach_example(token: str):
        lesson = lookup(token)
        k = flask.request.form.get("class")
        count = lesson.add(k, picture())  # the lesson checks the class
        return flask.jsonify(counts=lesson.counts(), added=count)

    @app.post("/api/teach/<token>/clear")
    @answered
    def teach_clear(token: str):
        lesson = lookup(token)
        lesson.clear(body().get("class"))
        return flask.jsonify(counts=lesson.counts())

    @app.post("/api/teach/<token>/train")
    @answered
    def teach_train(token: str):
        lesson = lookup(token)
        try:
            if lesson.queue(body().get("names")):  # checked now, not in the trainer
                put_in_line(lesson)
        except OptionError as exc:
            if lesson.state in ("queued", "training"):
                return error(409, str(exc))
            raise
        return flask.jsonify(status(lesson))

    @app.post("/api/teach/<token>/stop")
    @answered
    def teach_stop(token: str):
        lesson = lookup(token)
        lesson.stop()
        return flask.jsonify(status(lesson))

    @app.get("/api/teach/<token>/status")
    @answered
    def teach_lesson_status(token: str):
        lesson = lookup(token)
        return flask.jsonify(status(lesson))

    @app.post("/api/teach/<token>/predict")
    @answered
    def teach_predict(token: str):
        lesson = lookup(token)
        x = picture()
        proba, heat, classes = lesson.predict(x)
        best = int(proba.argmax())
        return flask.jsonify(prediction=classes[best], confidence=float(proba[best]),
                             probabilities=[round(float(p), 6) for p in proba], classes=classes,
                             input=np.round(x.transpose(1, 2, 0), 3).tolist(), saliency=np.round(heat, 3).tolist())

    @app.post("/api/teach/<token>/heartbeat")
    @answered
    def teach_heartbeat(token: str):
        lookup(token)
        return flask.jsonify(alive=True)

    @app.post("/api/teach/<token>/close")
    @answered
    def teach_close(token: str):
        return flask.jsonify(closed=lessons.close(token))  # which stops its training (on_drop)

    def download(data: bytes, name: str):
        return flask.Response(data, mimetype="application/octet-stream",
                              headers={"Content-Disposition": f"attachment; filename={name}"})

    @app.get("/api/teach/<token>/model.glassnet")
    @answered
    def teach_model(token: str):
        model, metadata = lookup(token).trained()
        with tempfile.TemporaryDirectory() as folder:
            path = model_file.save(Path(folder) / "taught.glassnet", model, metadata=metadata)
            return download(path.read_bytes(), "taught.glassnet")

    @app.get("/api/teach/<token>/model.onnx")
    @answered
    def teach_onnx(token: str):
        model, metadata = lookup(token).trained()
        try:
            proto = to_onnx(model, metadata=metadata)
        except MissingDependencyError as exc:
            return error(501, f"{exc}: download the model file and export it with glassnet export")
        return download(proto.SerializeToString(), "taught.onnx")


__all__ = ["COOKIE", "MEMORY_BUDGET", "PER_CLIENT", "TRAINERS", "register"]
