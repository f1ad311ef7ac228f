"""What the playground's routes answer: strict JSON, frames, links, a gradient check's rows, and refusals.

Everything here is a pure function of a :class:`~glassnet.playground.Session`
or of data: the routes (:mod:`glassnet.web.playground`) hold the sessions,
their locks and the requests, and send what these functions make. A number
that is not finite travels as the string ``"NaN"``, ``"Infinity"`` or
``"-Infinity"`` (see :func:`strict`); :func:`json_error` is the refusal of
both pages.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
from typing import Any

import numpy as np

from ..errors import OptionError
from ..nn import Dense
from ..playground import Session, Spec
from ..tools.gradcheck import gradcheck

#: cells per side of the grids a frame sends (the output and every neuron's picture)
GRID = 24


def strict(value: Any) -> Any:
    """``value`` made ready for strict JSON: NumPy's numbers as Python's, a non-finite float as a string.

    JSON has no NaN or infinity (``json.dumps`` writes tokens that strict
    parsers refuse): after a run diverges they travel as ``"NaN"``,
    ``"Infinity"`` or ``"-Infinity"``, which the page shows as they are.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
    """
    if isinstance(value, dict):
        return {k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    if isinstance(value, np.ndarray):
        return strict(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return x if math.isfinite(x) else "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    return value


def encode(data: Any) -> str:
    """``data`` as strict JSON text (see :func:`strict`), quickly when all its numbers are finite.

    Parameters
    ----------
    data : object

    Returns
    -------
    str
    """
    try:
        return json.dumps(data, allow_nan=False, default=_plain)
    except ValueError:  # a number that is not finite: the slow walk names it
        return json.dumps(strict(data), allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


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
              "biases": [np.round(b, 4).tolist() for b in f["biases"]], "query": link_query(session),
              "diverged": session.diverged, "health": f["health"]}
    if full:  # later frames carry only their own losses; the page keeps the curve
        answer["history"] = history
        answer.update(points=np.round(session.points, 3).tolist(), labels=np.asarray(session.labels).tolist(),
                      train_rows=session.train_rows.tolist())
    return answer


def link_query(session: Session) -> str:
    """The session's settings, its hand edits so far, as a URL query: what its link holds besides the step.

    Parameters
    ----------
    session : Session

    Returns
    -------
    str
    """
    spec = Spec(**{**session.spec.__dict__, "edits": tuple(session.edits)})
    return spec.to_query()


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
    values = np.nan_to_num(values, nan=0.0)
    return base64.b64encode(np.round((np.clip(values, -1, 1) + 1) * 127).astype(np.uint8).tobytes()).decode()


def gradcheck_rows(session: Session) -> dict:
    """A gradient check of the session's network on its training points, labelled as the page numbers layers.

    The page calls the Dense layers "layer 1", "layer 2", ... (the last is the
    output); the engine's labels count every layer from 0 (``layers[2]``).

    Parameters
    ----------
    session : Session

    Returns
    -------
    dict
        ``rows`` (one per parameter) and ``passed``.

    Raises
    ------
    OptionError
        After the run diverged: its weights are those before the cost overflowed, which the check would too.
    """
    if session.diverged and np.isfinite(session.model.params).all():  # (the check names weights that are not)
        # the check's own advice, to scale the inputs, would blame the data
        raise OptionError("the run diverged, so its gradients cannot be checked: reset it, with a smaller "
                          f"learning rate than {session.spec.lr:g}")
    report = gradcheck(session.model, session.objective.loss, session.X_train[:50], session.y_train[:50],
                       l2=session.spec.l2, l1=session.spec.l1, max_entries=40, rng=0)
    number = {k: n + 1 for n, k in enumerate(i for i, layer in enumerate(session.model.layers)
                                                   if isinstance(layer, Dense))}
    names = {label: f"layer {number[k]} {name}" for label, k, name, _ in session.model.named_parameters()}
    rows = [{"parameter": names.get(r.label, r.label), "shape": list(r.shape), "checked": r.checked,
             "max_abs_error": r.max_abs_error, "rel_error": r.rel_error, "passed": r.passed, "kinks": r.kinks}
            for r in report.rows]
    return {"rows": rows, "passed": report.passed}


def json_error(flask: Any, status: int, message: str, retry_after: int | None = None, **fields: Any) -> tuple:
    """The answer to a refused request, for both pages: ``{"error": message}`` with its status.

    Parameters
    ----------
    flask : module
    status : int
        The HTTP status (400, 413, 429, 503, ...).
    message : str
        What was wrong and what to do, for the page to show.
    retry_after : int, optional
        Seconds to wait before sending again (429 and 503), as a ``Retry-After`` header.
    **fields
        More of the answer, JSON-ready: where a playground session stands after a refusal that came
        after some of its steps (``step``).

    Returns
    -------
    (response, status, headers)
    """
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return flask.jsonify(error=message, **fields), status, headers


def json_body(flask: Any, limit: int) -> dict:
    """The request's JSON object, refused when it is over ``limit`` bytes (413) or not an object (400).

    A body that states a larger length is refused before it is read, one
    without a length is cut off at the limit, and one nested too deeply for
    the parser (which recurses once per level) is a 400, not a 500.

    Parameters
    ----------
    flask : module
    limit : int
        Bytes.

    Returns
    -------
    dict
    """
    length = flask.request.content_length
    if length is not None and length > limit:
        flask.abort(413, f"The request body is larger than this endpoint takes ({limit:,} bytes).")
    flask.request.max_content_length = limit
    try:
        data = flask.request.get_json(silent=True)
    except RecursionError:
        flask.abort(400, "The JSON is nested too deeply.")
    if not isinstance(data, dict):
        flask.abort(400, "Send a JSON object.")
    return data


def browser_id(flask: Any, cookie: str) -> str:
    """The browser's own id from its cookie, or "" when it sent none or a malformed one.

    Parameters
    ----------
    flask : module
    cookie : str
        The cookie's name.

    Returns
    -------
    str
        22 URL-safe characters, as ``secrets.token_urlsafe(16)`` makes them, or "".
    """
    client = flask.request.cookies.get(cookie, "")
    return client if len(client) == 22 and client.replace("-", "").replace("_", "").isalnum() else ""


def give_browser_id(response: Any, cookie: str, path: str) -> None:
    """Give a browser its own id (read back by :func:`browser_id`), so that its sessions count together.

    Parameters
    ----------
    response : flask.Response
    cookie : str
        The cookie's name.
    path : str
        The API path it is sent to: no other page sees it.
    """
    response.set_cookie(cookie, secrets.token_urlsafe(16), httponly=True, samesite="Strict", path=path,
                        max_age=30 * 86400)

