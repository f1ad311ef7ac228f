"""The playground's routes, through Flask's test client: sessions, frames, inspection, edits, exports, limits."""

import base64
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.playground import Session, Spec
from glassnet.playground.data import read_csv
from glassnet.web import create_app
from glassnet.web import playground as routes

QUERY = "data=spiral&noise=0.1&layers=8,8&activations=tanh,tanh&optimizer=adam&lr=0.03&batch_size=10"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.glassnet"
    gn.save(path, gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8], "classes": list("0123456789")})
    return create_app(gn.load(path)).test_client()


def predicted_on_the_command_line(client, token, steps, points, tmp_path, capsys):
    """Train a session ``steps`` steps, download its model, and run ``glassnet predict`` on a CSV of ``points``
    (columns x1 and x2): the model file's path, the model, and what predict said for each row."""
    client.post(f"/api/playground/{token}/train", json={"steps": steps})
    path = tmp_path / "pg.glassnet"
    path.write_bytes(client.get(f"/api/playground/{token}/model.glassnet").data)
    np.savetxt(tmp_path / "points.csv", points, delimiter=",", header="x1,x2", comments="")
    capsys.readouterr()
    assert cli.main(["predict", str(path), str(tmp_path / "points.csv")]) == 0
    said = [line.split(": ", 1)[1].split()[0] for line in capsys.readouterr().out.splitlines() if " line " in line]
    return path, gn.load(path).model, said


def start(client, query=QUERY, **extra):
    client.delete_cookie(routes.COOKIE, path="/api/playground")  # each test's sessions as a new browser's
    answer = client.post("/api/playground/sessions", json={"query": query, **extra})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_page_is_served_with_the_security_headers(client):
    page = client.get("/playground")
    assert page.status_code == 200 and b"glassnet playground" in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert b"<script src=\"/static/playground.js\"></script>" in page.data
    assert b'href="/playground"' in client.get("/").data  # linked from the digit page
    with client.get("/static/playground.js") as response:
        js = response.data.decode()
    assert "innerHTML" not in js and "eval(" not in js


def test_a_session_trains_and_its_frames_are_the_engines_numbers(client):
    first = start(client)
    frame = first["frame"]
    assert frame["step"] == 0 and len(frame["points"]) == 400 and len(frame["neurons"]) == 2
    assert Spec.from_query(frame["query"]) == Spec.from_query(QUERY)
    answer = client.post(f"/api/playground/{first['id']}/train", json={"steps": 35}).get_json()
    assert answer["step"] == 35 and "points" not in answer
    same = Session(Spec.from_query(QUERY))
    same.train(35)
    assert answer["train_loss"] == same.losses()["train_loss"]  # float64, every digit
    assert [h["step"] for h in first["frame"]["history"]] == [0] and "history" not in answer
    # one epoch ends where the epoch ends (20 steps of 10 of the 200 training points): at step 40, not 35 + 20
    epoch = client.post(f"/api/playground/{first['id']}/train", json={"epochs": 1}).get_json()
    assert epoch["step"] == 40 and epoch["epoch"] == 2
    two = client.post(f"/api/playground/{first['id']}/train", json={"epochs": 2}).get_json()
    assert two["step"] == 80 and two["epoch"] == 4


def test_inspect_edit_and_export_agree_with_a_script_run_to_1e_12(client, tmp_path):
    token = start(client)["id"]
    client.post(f"/api/playground/{token}/train", json={"steps": 40})
    neuron = client.get(f"/api/playground/{token}/neuron?layer=1&j=2").get_json()
    assert "tanh(z) =" in neuron["formula"] and len(neuron["weights"]) == 8
    edited = client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 1, "j": 3, "value": -1.5})
    assert edited.status_code == 200 and "edits=40%2C0%2C1%2C3%2C-1.5" in edited.get_json()["query"]
    after = client.post(f"/api/playground/{token}/train", json={"steps": 20}).get_json()
    weight = client.get(f"/api/playground/{token}/weight?layer=0&i=0&j=0").get_json()
    script = client.get(f"/api/playground/{token}/export.py")
    assert script.headers["Content-Disposition"] == "attachment; filename=playground.py"
    (tmp_path / "run.py").write_bytes(script.data)
    done = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines())
    assert abs(float(printed["train loss"]) - after["train_loss"]) <= 1e-12
    assert abs(float(printed["test loss"]) - after["test_loss"]) <= 1e-12
    assert abs(float(printed["weight layer 0 (0, 0)"]) - weight["value"]) <= 1e-12
    assert abs(float(printed["its gradient from the last step"]) - weight["grad"]) <= 1e-12
    neuron = client.get(f"/api/playground/{token}/neuron?layer=0&j=0").get_json()
    assert abs(float(printed["the bias gradient of neuron 1 of layer 1"]) - neuron["bias_grad"]) <= 1e-12
    model_file = client.get(f"/api/playground/{token}/model.glassnet")
    (tmp_path / "m.glassnet").write_bytes(model_file.data)
    loaded = gn.load(tmp_path / "m.glassnet")
    assert loaded.metadata["step"] == 60 and loaded.model.layers[0].W[0, 0] == weight["value"]
    report = client.get(f"/api/playground/{token}/gradcheck").get_json()
    assert report["passed"]
    # the page's numbering: "layer 1" is the first Dense layer (the engine's layers[0])
    assert [r["parameter"] for r in report["rows"]] == ["layer 1 W", "layer 1 b", "layer 2 W", "layer 2 b",
                                                        "layer 3 W", "layer 3 b"]


@pytest.mark.parametrize("query", ["data=circle&seed=3", "data=plane&seed=3"])
def test_the_downloaded_model_predicts_on_the_command_line_as_it_does_in_python(client, tmp_path, capsys, query):
    """The file had no task or classes: glassnet predict named class 0 for every row of a two-class model
    (its one sigmoid output read as one class), and a regression model's values as classes too."""
    points = np.random.default_rng(0).uniform(-1, 1, (40, 2))
    _, model, said = predicted_on_the_command_line(client, start(client, query)["id"], 60, points, tmp_path, capsys)
    if "circle" in query:
        expected = model.predict_classes(points)
        assert 0 < expected.sum() < len(points), "the test needs both classes among the answers"
        assert said == [str(c) for c in expected]
    else:
        np.testing.assert_allclose([float(v) for v in said], model.predict(points)[:, 0], rtol=1e-5)


def test_a_model_trained_on_uploaded_points_reads_them_in_their_own_coordinates(client, tmp_path, capsys):
    """The points of an uploaded CSV are scaled into [-1, 1] to train; the download did not say how, so
    glassnet predict read the file's own coordinates (here 0 to 10) as if they were scaled."""
    r = np.random.default_rng(0)
    raw = r.uniform(0, 10, (200, 2))
    labels = (raw[:, 0] > 3).astype(int)  # the line x1 = 3: unscaled, every point is on its right
    text = "".join(f"{a:.4f},{b:.4f},{k}\n" for (a, b), k in zip(raw, labels))
    token = start(client, "data=csv&seed=3", csv=text)["id"]
    _, model, said = predicted_on_the_command_line(client, token, 200, raw[:40], tmp_path, capsys)
    scaled = (raw[:40] - raw.min(axis=0)) / (raw.max(axis=0) - raw.min(axis=0)) * 2 - 1  # as the page trained
    expected = model.predict_classes(scaled)
    assert 0 < expected.sum() < 40, "the test needs both classes among the answers"
    assert said == [str(c) for c in expected]


@pytest.mark.parametrize("uploaded", [False, True], ids=["drawn points", "uploaded points"])
def test_a_model_of_features_of_the_points_predicts_from_the_points(client, tmp_path, capsys, uploaded):
    """A network given x1^2 and sin(x1) as inputs was downloaded with those names: glassnet predict asked the
    CSV for columns named 'x1^2' and 'sin(x1)', and for uploaded points knew no scaling to make them with."""
    r = np.random.default_rng(1)
    raw = r.uniform(0, 10, (200, 2)) if uploaded else r.uniform(-1, 1, (200, 2))
    query = "seed=3&features=x1%5E2,sin(x1),x2&layers=6&activations=tanh"
    if uploaded:
        labels = ((raw[:, 0] - 5) ** 2 > 6).astype(int)  # both sides of a band: the square helps
        text = "".join(f"{a:.4f},{b:.4f},{k}\n" for (a, b), k in zip(raw, labels))
        token = start(client, "data=csv&" + query, csv=text)["id"]
    else:
        token = start(client, "data=circle&" + query)["id"]
    path, model, said = predicted_on_the_command_line(client, token, 200, raw[:40], tmp_path, capsys)
    x = (raw[:40] - raw.min(axis=0)) / (raw.max(axis=0) - raw.min(axis=0)) * 2 - 1 if uploaded else raw[:40]
    inputs = np.column_stack([x[:, 0] ** 2, np.sin(np.pi * x[:, 0]), x[:, 1]])  # the features, by hand
    expected = model.predict_classes(inputs.astype(model.dtype))
    assert 0 < expected.sum() < 40, "the test needs both classes among the answers"
    assert said == [str(c) for c in expected]
    assert model.dtype == np.float64  # the playground's networks: its points overflow only past 1e154
    for text, message in [("x1,x2\n1e200,0\n", "holds points too far out for the model's inputs (x1^2, sin(x1), "
                                                 "x2): they overflow its float64"),  # NumPy's warnings before
                          ("1,2,3\n", "has no header row and 3 columns, but the model reads 2 columns, x1 and x2, "
                                       "and makes its 3 inputs (x1^2, sin(x1), x2) from them")]:
        (tmp_path / "bad.csv").write_text(text)
        assert cli.main(["predict", str(path), str(tmp_path / "bad.csv")]) == 2
        assert message in capsys.readouterr().err


@pytest.mark.parametrize("body, message", [
    ({"query": "lr=1e6"}, "lr must be above 0 and at most 10"),
    ({"query": "layers=8,8,8,8,8,8,8&activations=" + ",".join(["tanh"] * 7)}, "at most 6 hidden layers"),
    ({"query": "data=csv"}, "data=csv needs a CSV file"),
    ({"query": "data=csv", "csv": "1,2,0\n3,oops,1\n"}, "line 2, column 2 must be a number; received 'oops'"),
    ({"query": "data=csv", "csv": "1,2,3,0\n3,4,5,1\n"}, "every row must hold 3 values"),
    ({"query": "data=csv", "csv": "1,2,0\n3,4,0\n"}, "at least 2 classes; received only class 0"),
    ({"query": "data=csv", "csv": "1,2,0\n" * 200_000}, "at most 1,000,000 characters"),
    ({"query": "data=csv", "csv": "1,2,0\n" * 10**6}, "The request body is larger than this endpoint takes"),
    ({"query": "layers=8&" * 5000}, "query must be the settings of a link, at most 16,384 characters"),
    ({"query": "seed=2147483648"}, "seed must be from 0 to 2,147,483,647; received 2147483648"),  # was 2.14748e+09
])
def test_bad_settings_and_uploads_are_answered_400_with_a_message(client, body, message):
    answer = client.post("/api/playground/sessions", json=body)
    assert answer.status_code == (413 if len(body.get("csv", "")) > 2_100_000 else 400)
    assert message in answer.get_json()["error"]


def test_bad_requests_to_a_session(client):
    token = start(client)["id"]
    assert client.post(f"/api/playground/{token}/train", json={"steps": 10**6}).status_code == 400
    assert "steps must be from 1 to 1000" in client.post(f"/api/playground/{token}/train",
                                                         json={"steps": 10**6}).get_json()["error"]
    assert client.post(f"/api/playground/{token}/train", data="steps").status_code == 400
    bad = client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 0, "j": 0, "value": "1e400"})
    assert bad.status_code == 400 and "value must be a number; received '1e400'" in bad.get_json()["error"]
    # a whole number too long for a float: math.isfinite raised OverflowError, answered 500
    huge = int("1" + "0" * 400)
    for path, body in (("train", {"steps": huge}), ("train", {"epochs": huge}),
                       ("weight", {"layer": 0, "i": 0, "j": 0, "value": huge}),
                       ("weight", {"layer": huge, "i": 0, "j": 0, "value": 1})):
        answer = client.post(f"/api/playground/{token}/{path}", json=body)
        assert answer.status_code == 400 and "must be a" in answer.get_json()["error"], (path, body)
    for setting in ("seed", "points", "batch_size"):
        client.delete_cookie(routes.COOKIE, path="/api/playground")
        answer = client.post("/api/playground/sessions", json={"query": f"{QUERY}&{setting}={huge}"})
        assert answer.status_code == 400 and setting in answer.get_json()["error"], setting
    for loose in (True, "2", None):  # true is not 1.0, a string is not a number
        answer = client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 0, "j": 0, "value": loose})
        assert answer.status_code == 400 and "value must be a number" in answer.get_json()["error"]
    half = client.post(f"/api/playground/{token}/train", json={"steps": 1.5})  # not 1
    assert half.status_code == 400 and "steps must be a whole number; received 1.5" in half.get_json()["error"]
    deep = client.post(f"/api/playground/{token}/weight", data="[" * 2000 + "]" * 2000,
                       content_type="application/json")
    assert deep.status_code == 400 and "nested too deeply" in deep.get_json()["error"]
    big = client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 0, "j": 0, "value": 1,
                                                               "padding": "x" * 3_000_000})
    assert big.status_code == 413 and "larger than this endpoint takes" in big.get_json()["error"]
    small = client.post(f"/api/playground/{token}/train", json={"steps": 1, "padding": "x" * 5000})
    assert small.get_json()["error"] == "The request body is larger than this endpoint takes (4,096 bytes)."
    assert client.get(f"/api/playground/{token}/neuron?layer=5&j=0").status_code == 400
    for query in (f"neuron?layer={'0' * 5000}&j=0", f"weight?layer=1&i=0&j={'9' * 4400}"):  # int() refused: a 500
        answer = client.get(f"/api/playground/{token}/{query}")
        assert answer.status_code == 400 and " must be from 0 to " in answer.get_json()["error"]
    assert client.get(f"/api/playground/{token}/neuron?layer={'0' * 30}1&j=0").status_code == 200
    gone = client.post("/api/playground/not-a-session/train", json={"steps": 1})
    assert gone.status_code == 404 and "session has ended" in gone.get_json()["error"]


def test_a_diverging_run_says_so(client):
    token = start(client, "data=bumps&optimizer=sgd&lr=10&layers=16,16&activations=identity,identity"
                          "&batch_size=1")["id"]
    answer = client.post(f"/api/playground/{token}/train", json={"steps": 1000})
    assert answer.status_code == 400
    assert "Training diverged at step" in answer.get_json()["error"] and "(now 10)" in answer.get_json()["error"]
    again = client.post(f"/api/playground/{token}/train", json={"steps": 1})
    assert again.status_code == 400  # it stays stopped, with finite weights
    check = client.get(f"/api/playground/{token}/gradcheck")  # it advised to scale the inputs
    assert check.status_code == 400 and "the run diverged, so its gradients cannot be checked: reset it, with a " \
        "smaller learning rate than 10" in check.get_json()["error"]
    info = client.get(f"/api/playground/{token}/weight?layer=0&i=0&j=0").get_json()
    assert np.isfinite(info["value"])
    # the gradients shown are those of the last step taken, as the exported script prints them (they read 0)
    script = client.get(f"/api/playground/{token}/export.py").data.decode()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    printed = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines())
    assert info["grad"] != 0 and abs(float(printed["its gradient from the last step"]) - info["grad"]) <= 1e-12


def test_sessions_live_as_long_as_their_tab_and_nobody_elses_make_room(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(routes.time, "monotonic", lambda: clock[0])
    store = routes.Sessions(per_client=2, per_address=3, live=120)
    spec = Spec(data="xor", points=40)
    mine = store.add(Session(spec), "10.0.0.1", "browser-a")
    with pytest.raises(routes.SessionsFull, match="this browser holds 2 playground sessions") as full:
        store.add(Session(spec), "10.0.0.1", "browser-b")
        store.add(Session(spec), "10.0.0.1", "browser-b")
        store.add(Session(spec), "10.0.0.1", "browser-b")  # b at its own bound, its sessions just made
    assert full.value.retry_after > 0
    with pytest.raises(routes.SessionsFull, match="3 sessions from your network address"):
        store.add(Session(spec), "10.0.0.1", "")  # a client without its cookie counts against its address
    clock[0] += 100
    store.get(mine)  # a heartbeat: heard from, never removed
    clock[0] += 60  # b's sessions quiet for 160 s, over 2 minutes: freed
    other = store.add(Session(spec), "10.0.0.1", "browser-c")
    store.get(mine)
    assert len(store) == 2 and store.close(other) and not store.close(other)
    clock[0] += 50  # b's own oldest, quiet for 45 s or more, makes room for b: nobody else's does
    b1 = store.add(Session(spec), "10.0.0.2", "browser-b")
    clock[0] += 50
    b2 = store.add(Session(spec), "10.0.0.2", "browser-b")
    clock[0] += 50
    store.get(b2)
    store.add(Session(spec), "10.0.0.2", "browser-b")
    with pytest.raises(KeyError):
        store.get(b1)
    with pytest.raises(KeyError):
        store.get(mine)  # quiet since the last look, 150 s ago


def test_the_total_is_bounded_by_memory_not_by_a_count(monkeypatch):
    spec = Spec(data="xor", points=40)
    one = Session(spec).resident_bytes()
    store = routes.Sessions(per_address=100, budget=int(2.5 * one))
    store.add(Session(spec), "a", "")
    store.add(Session(spec), "b", "")
    with pytest.raises(routes.SessionsFull, match="the server is full: its 2 playground sessions hold the"):
        store.add(Session(spec), "c", "")
    assert len(store) == 2  # nothing removed to make room


def test_an_uploaded_csv_counts_in_the_memory_of_its_session():
    """The CSV text a session keeps for its run file was not counted: 5,000 rows held 1.44 MB a session where
    the bound counted 0.26 MB, so the 192 MiB of sessions could hold about 1 GiB."""
    text = "".join(f"{i % 97 / 97:.6f},{i % 89 / 89:.6f},{i % 2}\n" for i in range(5000))
    session = Session(Spec(data="csv"), read_csv(text, "classification"))
    before = session.resident_bytes()
    session.csv = text
    assert len(text) <= session.resident_bytes() - before <= len(text) + 100
    wide = "\U0001F600" + text  # one emoji: the string takes 4 bytes a character, counted as 1 before
    session.csv = wide
    assert session.resident_bytes() - before >= 4 * len(wide)


def test_neuron_pictures_travel_as_one_byte_a_cell(client):
    query = "layers=16,16,16,16,16,16&activations=" + ",".join(["tanh"] * 6)
    answer = start(client, query)
    client.post(f"/api/playground/{answer['id']}/train", json={"steps": 30})
    frame = client.post(f"/api/playground/{answer['id']}/train", json={"steps": 1}).get_json()
    same = Session(Spec.from_query(query))
    same.train(31)
    expected = same.frame(routes.GRID)["neurons"]
    for text, layer in zip(frame["neurons"], expected):
        cells = np.frombuffer(base64.b64decode(text), np.uint8).reshape(16, routes.GRID, routes.GRID) / 127 - 1
        np.testing.assert_allclose(cells, layer, atol=0.5 / 127 + 1e-12)
    # 96 pictures of 576 cells at 4/3 characters a cell (base64), and the rest; as rounded floats it was 360 kB
    assert len(json.dumps(frame)) < 96 * 576 * 4 / 3 + 20_000


def test_the_playground_alone(tmp_path):
    alone = create_app(None).test_client()
    assert alone.get("/").status_code == 302 and alone.get("/").headers["Location"].endswith("/playground")
    assert alone.get("/playground").status_code == 200
    assert alone.get("/api/model").status_code == 404
    assert start(alone)["frame"]["step"] == 0
    # the digit page is not served here: the header does not link to it
    assert b"digit recogniser" not in alone.get("/playground").data


def test_the_playground_beside_the_digit_page_links_to_it(client):
    assert b'<a href="/">The digit recogniser</a>' in client.get("/playground").data


def strict_json(text):
    """Parse as a strict parser does: NaN, Infinity and -Infinity are not JSON."""
    def refuse(token):
        raise AssertionError(f"{token} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_strict_turns_numbers_that_are_not_finite_into_strings():
    value = {"a": float("nan"), "b": [np.float32("inf"), -np.inf, np.float64(0.5)], "c": np.bool_(True),
             "d": np.arange(3), "e": (np.int64(7), "text")}
    assert routes.strict(value) == {"a": "NaN", "b": ["Infinity", "-Infinity", 0.5], "c": True, "d": [0, 1, 2],
                                    "e": [7, "text"]}
    assert strict_json(routes.encode(value)) == routes.strict(value)
    finite = {"x": np.float32(1.5), "y": np.array([[1, 2]]), "z": np.bool_(False)}
    assert strict_json(routes.encode(finite)) == {"x": 1.5, "y": [[1, 2]], "z": False}


def test_after_divergence_every_answer_is_strict_json(client):
    token = start(client, "data=plane&layers=8,8&activations=identity,identity&optimizer=sgd&lr=10")["id"]
    for _ in range(20):
        answer = client.post(f"/api/playground/{token}/train", json={"steps": 50})
        if answer.status_code != 200:
            break
    assert answer.status_code == 400 and "Training diverged at step" in answer.get_json()["error"]
    session = client.application.extensions["glassnet_playground"].get(token)[0]
    assert session.diverged
    session.model.params[:3] = [np.inf, -np.inf, np.nan]  # the worst a run can hold: its numbers are not finite
    gets = ["neuron?layer=0&j=0", "neuron?layer=1&j=0", "weight?layer=0&i=0&j=0", "weight?layer=1&i=2&j=0",
            "gradcheck", "run.json"]
    for path in gets:
        answer = client.get(f"/api/playground/{token}/{path}")
        assert answer.status_code == 200 or 400 <= answer.status_code < 500, (path, answer.status_code)
        data = strict_json(answer.data)
        assert answer.status_code == 200 or data["error"], path
    checked = client.get(f"/api/playground/{token}/gradcheck")
    assert checked.status_code == 400  # a gradient check needs finite weights: it says which are not
    assert "layers[0] Dense.W holds 3 values that are NaN or infinite" in checked.get_json()["error"]
    edited = client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 0, "j": 1, "value": 0.5})
    assert edited.status_code == 200 and strict_json(edited.data)["weights"][0][0][0] == "Infinity"
    again = client.post(f"/api/playground/{token}/train", json={"steps": 1})
    assert again.status_code == 400 and "diverged" in strict_json(again.data)["error"]
    model = client.get(f"/api/playground/{token}/model.glassnet")
    assert model.status_code == 200 and zipfile.ZipFile(io.BytesIO(model.data)).namelist()
    assert client.get(f"/api/playground/{token}/export.py").status_code == 200


def test_a_link_copied_after_200_steps_reopens_at_step_200_with_the_same_weights(client):
    store = client.application.extensions["glassnet_playground"]
    token = start(client)["id"]

    def train_to(token, step):
        while store.get(token)[0].step < step:  # a request stops at a quarter of a second
            answer = client.post(f"/api/playground/{token}/train", json={"steps": step - store.get(token)[0].step})
            assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    train_to(token, 60)
    for layer, i, j, value in [(0, 1, 2, 0.75), (1, 3, 0, -1.25)]:  # hand edits at step 60, in order
        assert client.post(f"/api/playground/{token}/weight",
                           json={"layer": layer, "i": i, "j": j, "value": value}).status_code == 200
    train_to(token, 120)
    client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 1, "j": 2, "value": -0.5})
    frame = train_to(token, 200)
    assert frame["step"] == 200
    link = frame["query"]  # the page's address: this query and steps=200
    assert "edits=" in link
    reopened = start(client, link)
    assert reopened["frame"]["step"] == 0
    again = train_to(reopened["id"], 200)
    before, after = store.get(token)[0], store.get(reopened["id"])[0]
    np.testing.assert_allclose(after.model.params, before.model.params, rtol=0, atol=1e-12)
    assert after.edits == before.edits and again["train_loss"] == frame["train_loss"]


def test_a_run_file_carries_the_csv_that_a_link_cannot(client):
    rows = np.random.default_rng(0).uniform(-1, 1, (80, 2))
    csv = "".join(f"{a:.4f},{b:.4f},{int(a * b > 0)}\n" for a, b in rows)
    token = start(client, "data=csv&layers=4&activations=tanh", csv=csv)["id"]
    client.post(f"/api/playground/{token}/train", json={"steps": 30})
    answer = client.get(f"/api/playground/{token}/run.json")
    assert answer.status_code == 200 and "playground-run.json" in answer.headers["Content-Disposition"]
    run = json.loads(answer.data)
    assert len(run["query"]) < 300  # the link holds the settings, not the data
    assert run["format"] == "glassnet-playground-run" and run["steps"] == 30 and run["csv"] == csv
    reopened = start(client, run["query"], csv=run["csv"])
    fresh = start(client, "data=csv&layers=4&activations=tanh", csv=csv)
    assert reopened["frame"]["points"] == fresh["frame"]["points"]


def test_a_session_busy_past_the_wait_is_answered_send_again(client, monkeypatch):
    monkeypatch.setattr(routes, "LOCK_WAIT", 0.05)
    token = start(client)["id"]
    lock = client.application.extensions["glassnet_playground"].get(token)[1]
    with lock:  # another request of this session's, taking long
        busy = client.get(f"/api/playground/{token}/neuron?layer=0&j=0")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert "busy with another request: send it again" in busy.get_json()["error"]
    assert client.get(f"/api/playground/{token}/neuron?layer=0&j=0").status_code == 200


def test_a_request_that_waits_past_its_turn_is_answered_send_again(client, monkeypatch):
    token = start(client)["id"]
    turns = client.application.extensions["glassnet_playground"].turns
    monkeypatch.setattr(turns, "wait", 0.05)
    with turns.turn():  # another learner's request, computing
        busy = client.post(f"/api/playground/{token}/train", json={"steps": 1})
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert "busy with other learners' requests: send it again" in busy.get_json()["error"]
    assert client.post(f"/api/playground/{token}/train", json={"steps": 1}).status_code == 200


def test_heartbeats_keep_a_session_and_closing_frees_it(client):
    token = start(client)["id"]
    assert client.post(f"/api/playground/{token}/heartbeat").get_json() == {"alive": True}
    assert client.post(f"/api/playground/{token}/close").get_json() == {"closed": True}
    assert client.post(f"/api/playground/{token}/heartbeat").status_code == 404


def test_one_client_cannot_take_the_others_places_or_the_servers_memory(tmp_path):
    """100 sessions of the largest settings from one client, then 100 maximal edits: another client's
    session stays, and what the server allocates stays under 100 MB."""
    import tracemalloc

    app = create_app(None)
    learner, hostile = app.test_client(), app.test_client()
    theirs = learner.post("/api/playground/sessions", json={"query": QUERY}).get_json()["id"]
    biggest = ("data=spiral&classes=5&points=2000&batch_size=2000&features=x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)&"
               "layers=16,16,16,16,16,16&activations=" + ",".join(["tanh"] * 6))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    statuses = []
    for k in range(100):
        if k % 2:
            hostile.delete_cookie(routes.COOKIE, path="/api/playground")  # a client that drops its cookie
        answer = hostile.post("/api/playground/sessions", json={"query": biggest})
        statuses.append(answer.status_code)
        if answer.status_code == 200:
            token = answer.get_json()["id"]
            hostile.post(f"/api/playground/{token}/train", json={"steps": 5})
    refused = [s for s in statuses if s == 429]
    assert statuses.count(200) == routes.PER_ADDRESS - 1 and len(refused) == 100 - statuses.count(200)
    edits = [hostile.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 0, "j": k % 16,
                                                                   "value": 100.0}).status_code for k in range(250)]
    assert edits.count(200) == 200 and set(edits[200:]) == {400}  # at most 200 hand edits a run
    grown = (tracemalloc.get_traced_memory()[0] - before) / 2**20
    tracemalloc.stop()
    assert grown < 100, grown
    assert learner.post(f"/api/playground/{theirs}/heartbeat").status_code == 200  # still there


def test_a_request_that_loses_its_turn_midway_answers_the_steps_it_took(client, monkeypatch):
    """A 503 ("busy, send again") came after some of the steps were taken: the page kept its last frame and
    asked for them all again, so a link replayed to step 300 ended at step 430. The steps taken are answered,
    in a frame computed in a turn of its own, or in the busy answer's ``step`` (the frame had been computed
    outside any turn, while another learner's request held it)."""
    import threading
    import time

    store = client.application.extensions["glassnet_playground"]
    link = "data=spiral&layers=16,16,16&activations=tanh,tanh,tanh&batch_size=200&points=2000&train_fraction=0.9"
    token = start(client, link)["id"]
    session = store.get(token)[0]
    wait, store.turns.wait = store.turns.wait, 0.2
    started, theirs, intrusions = threading.Event(), threading.Event(), []
    frame_json = routes.frame_json

    def watched(*args, **kwargs):
        intrusions.append(theirs.is_set())
        return frame_json(*args, **kwargs)
    monkeypatch.setattr(routes, "frame_json", watched)

    def other_learner():  # a long frame of another learner's, asked for while this one trains
        started.wait()
        time.sleep(0.02)
        with store.turns.turn():
            theirs.set()
            time.sleep(0.6)
            theirs.clear()

    other = threading.Thread(target=other_learner)
    other.start()
    try:
        started.set()
        step, answers = 0, []
        while step < 300:
            answer = client.post(f"/api/playground/{token}/train", json={"steps": 300 - step})
            answers.append(answer.status_code)
            step = answer.get_json().get("step", step)  # what the page is told is where the session is
            assert step == session.step
            if answer.status_code == 503:
                time.sleep(0.1)
    finally:
        other.join()
        store.turns.wait = wait
    assert session.step == 300, answers
    assert 503 in answers and intrusions and not any(intrusions)
    # the page asks for the frame where the session stands without training, after a busy answer that took steps
    frame = client.get(f"/api/playground/{token}/frame").get_json()
    assert frame["step"] == session.step == 300 and frame["train_loss"] == session.losses()["train_loss"]
    assert client.get("/api/playground/not-a-session/frame").status_code == 404
