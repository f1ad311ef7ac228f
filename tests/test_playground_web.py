"""The playground's routes, through Flask's test client: sessions, frames, inspection, edits, exports, limits."""

import base64
import json
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.playground import Session, Spec
from glassnet.web import create_app
from glassnet.web import playground as routes

QUERY = "data=spiral&noise=0.1&layers=8,8&activations=tanh,tanh&optimizer=adam&lr=0.03&batch_size=10"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.glassnet"
    gn.save(path, gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8], "classes": list("0123456789")})
    return create_app(gn.load(path)).test_client()


def start(client, query=QUERY, **extra):
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
    epoch = client.post(f"/api/playground/{first['id']}/train", json={"epochs": 1}).get_json()
    assert epoch["step"] == 55


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
    assert [r["parameter"] for r in report["rows"]][:2] == ["layers[0] Dense.W", "layers[0] Dense.b"]


@pytest.mark.parametrize("body, message", [
    ({"query": "lr=1e6"}, "lr must be above 0 and at most 10"),
    ({"query": "layers=8,8,8,8,8,8,8&activations=" + ",".join(["tanh"] * 7)}, "at most 6 hidden layers"),
    ({"query": "data=csv"}, "data=csv needs a CSV file"),
    ({"query": "data=csv", "csv": "1,2,0\n3,oops,1\n"}, "row 2, column 2 must be a number; received 'oops'"),
    ({"query": "data=csv", "csv": "1,2,3,0\n3,4,5,1\n"}, "every row must hold 3 values"),
    ({"query": "data=csv", "csv": "1,2,0\n3,4,0\n"}, "at least 2 classes; received only class 0"),
    ({"query": "data=csv", "csv": "1,2,0\n" * 200_000}, "at most 1,000,000 characters"),
    ({"query": "data=csv", "csv": "1,2,0\n" * 10**6}, "The CSV file is larger than this server accepts"),
])
def test_bad_settings_and_uploads_are_answered_400_with_a_message(client, body, message):
    answer = client.post("/api/playground/sessions", json=body)
    assert answer.status_code == (413 if len(body.get("csv", "")) > 4 * 2**20 else 400)
    assert message in answer.get_json()["error"]


def test_bad_requests_to_a_session(client):
    token = start(client)["id"]
    assert client.post(f"/api/playground/{token}/train", json={"steps": 10**6}).status_code == 400
    assert "steps must be from 1 to 1000" in client.post(f"/api/playground/{token}/train",
                                                         json={"steps": 10**6}).get_json()["error"]
    assert client.post(f"/api/playground/{token}/train", data="steps").status_code == 400
    bad = client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 0, "j": 0, "value": "1e400"})
    assert bad.status_code == 400 and "value must be a number; received '1e400'" in bad.get_json()["error"]
    for loose in (True, "2", None):  # true is not 1.0, a string is not a number
        answer = client.post(f"/api/playground/{token}/weight", json={"layer": 0, "i": 0, "j": 0, "value": loose})
        assert answer.status_code == 400 and "value must be a number" in answer.get_json()["error"]
    half = client.post(f"/api/playground/{token}/train", json={"steps": 1.5})  # not 1
    assert half.status_code == 400 and "steps must be a whole number; received 1.5" in half.get_json()["error"]
    deep = client.post(f"/api/playground/{token}/weight", data="[" * 100_000 + "]" * 100_000,
                       content_type="application/json")
    assert deep.status_code == 400 and "nested too deeply" in deep.get_json()["error"]
    assert client.get(f"/api/playground/{token}/neuron?layer=5&j=0").status_code == 400
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
    info = client.get(f"/api/playground/{token}/weight?layer=0&i=0&j=0").get_json()
    assert np.isfinite(info["value"])


def test_sessions_are_bounded_and_expire(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(routes.time, "monotonic", lambda: clock[0])
    store = routes.Sessions(limit=2, idle=60)
    spec = Spec(data="xor", points=40)
    a, b = store.add(Session(spec)), store.add(Session(spec))
    with pytest.raises(gn.errors.OptionError, match="limit of 2 playground sessions"):
        store.add(Session(spec))  # both just used: no room is taken from an active session
    clock[0] += 10
    store.get(b)
    c = store.add(Session(spec))  # a, idle for 10 s, makes room
    with pytest.raises(KeyError):
        store.get(a)
    clock[0] += 61
    with pytest.raises(KeyError):
        store.get(c)
    assert len(store) == 0


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
