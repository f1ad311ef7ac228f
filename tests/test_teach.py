"""The teach page's lesson and routes: pictures in, a trained model out, and every bound held against hostile
requests (classes, pictures per class, picture size, lessons per browser and in total)."""

import io
import time

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet.cli import main
from glassnet.playground import teach
from glassnet.playground.teach import MAX_CLASSES, SIZE, Lesson, epochs_for

flask = pytest.importorskip("flask")
from glassnet.web import create_app  # noqa: E402
from glassnet.web import teach as routes  # noqa: E402


def png(colour, size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def noisy(low, rng, size=(40, 30)):
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(low, low + 80, (*size[::-1], 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def client():
    return create_app(None).test_client()


def new_lesson(client):
    answer = client.post("/api/teach/sessions", json={})
    assert answer.status_code == 200
    return answer.get_json()["id"]


def add(client, token, k, data, name="p.png"):
    return client.post(f"/api/teach/{token}/example", data={"class": str(k), "image": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def wait(client, token, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(f"/api/teach/{token}/status").get_json()
        if status["state"] not in ("queued", "training"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"still {status['state']} after {seconds} s")


def test_a_lesson_learns_two_classes_and_its_model_file_predicts_like_the_page(client, tmp_path, capsys):
    rng = np.random.default_rng(0)
    token = new_lesson(client)
    for _ in range(6):
        assert add(client, token, 0, noisy(0, rng)).status_code == 200
        assert add(client, token, 3, noisy(170, rng)).status_code == 200
    counts = client.get(f"/api/teach/{token}/status").get_json()["counts"]
    assert counts[0] == 6 and counts[3] == 6 and sum(counts) == 12
    names = ["dark", "", "", "light"] + [""] * (MAX_CLASSES - 4)
    assert client.post(f"/api/teach/{token}/train", json={"names": names}).status_code == 200
    status = wait(client, token)
    assert status["state"] == "trained" and status["classes"] == ["dark", "light"]
    assert len(status["losses"]) == status["epochs"] == epochs_for(12) and status["losses"][-1] < status["losses"][0]
    answer = client.post(f"/api/teach/{token}/predict", data={"image": (io.BytesIO(noisy(170, rng)), "t.png")},
                         content_type="multipart/form-data").get_json()
    assert answer["prediction"] == "light" and np.asarray(answer["input"]).shape == (SIZE, SIZE, 3)
    assert np.asarray(answer["saliency"]).shape == (SIZE, SIZE)
    # the downloaded model is a model file glassnet predict reads, with the page's preparation
    model = client.get(f"/api/teach/{token}/model.glassnet")
    assert model.status_code == 200 and "attachment" in model.headers["Content-Disposition"]
    (tmp_path / "taught.glassnet").write_bytes(model.data)
    (tmp_path / "light.png").write_bytes(noisy(170, rng))
    assert main(["predict", str(tmp_path / "taught.glassnet"), str(tmp_path / "light.png")]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'light.png'}: light  (p=")
    ort = pytest.importorskip("onnxruntime")
    onnx_file = client.get(f"/api/teach/{token}/model.onnx")
    assert onnx_file.status_code == 200
    x = gn.io.photos.prepare_photo(tmp_path / "light.png", SIZE, 3, "pad")[None]
    _, probabilities = ort.InferenceSession(onnx_file.data).run(None, {"input": x})
    np.testing.assert_allclose(probabilities, gn.load(tmp_path / "taught.glassnet").model.predict_proba(x), atol=1e-5)


def test_training_is_refused_until_there_is_something_to_learn(client):
    token = new_lesson(client)
    train = lambda names: client.post(f"/api/teach/{token}/train", json={"names": names})  # noqa: E731
    assert "name at least two classes" in train(["only"]).get_json()["error"]
    assert add(client, token, 0, png("red")).status_code == 200
    answer = train(["red", "blue"])
    assert answer.status_code == 400 and "each class needs at least 3 pictures; red, blue have fewer" in \
        answer.get_json()["error"]
    assert "the same name" in train(["a", "a"]).get_json()["error"]
    assert "at most 40 characters" in train(["x" * 41, "b"]).get_json()["error"]
    for name in ("\x1b[2Jcat", "\x1b]0;title\x07dog", "a\nb", "\u202egod"):  # reached terminals raw, via predict
        assert "must be printable text" in train([name, "b"]).get_json()["error"]
    assert "names must be a list" in train("red,blue").get_json()["error"]
    assert "at most 10 class names" in train(["a"] * 11).get_json()["error"]
    for path in ("predict", "model.glassnet"):
        method = client.post if path == "predict" else client.get
        kwargs = {"data": {"image": (io.BytesIO(png("red")), "p.png")}, "content_type": "multipart/form-data"} \
            if path == "predict" else {}
        refused = method(f"/api/teach/{token}/{path}", **kwargs)
        assert refused.status_code == 400 and "press Train first" in refused.get_json()["error"]


def test_hostile_pictures_and_fields_are_refused_with_their_reason(client, monkeypatch):
    token = new_lesson(client)
    assert "class must be a whole number from 0 to 9" in add(client, token, 10, png("red")).get_json()["error"]
    assert "class must be a whole number" in add(client, token, "1.5", png("red")).get_json()["error"]
    long = add(client, token, "1" * 5000, png("red"))  # past what int() reads: it was a 500
    assert long.status_code == 400 and "class must be a whole number" in long.get_json()["error"]
    bad = add(client, token, 0, b"GIF89a not really")
    assert bad.status_code == 400 and "picture" in bad.get_json()["error"]
    huge = io.BytesIO()
    Image.new("L", (20000, 20000)).save(huge, "PNG")  # 400 million pixels, a few hundred kilobytes compressed
    answer = add(client, token, 0, huge.getvalue())
    assert answer.status_code == 413 and "400,000,000 pixels (pictures of up to" in answer.get_json()["error"]
    none = client.post(f"/api/teach/{token}/example", data={"class": "0"}, content_type="multipart/form-data")
    assert "a field named 'image'" in none.get_json()["error"]
    monkeypatch.setattr(teach, "MAX_EXAMPLES", 2)
    assert add(client, token, 1, png("red")).status_code == 200
    assert add(client, token, 1, png("red")).status_code == 200
    full = add(client, token, 1, png("red"))
    assert full.status_code == 400 and "at most 2 pictures; class 2 is full" in full.get_json()["error"]
    assert client.post(f"/api/teach/{token}/clear", json={"class": 1}).get_json()["counts"][1] == 0
    assert client.post(f"/api/teach/{token}/clear", json={"class": -1}).status_code == 400
    big = client.post(f"/api/teach/{token}/clear", data="x" * 10000, content_type="application/json")
    assert big.status_code == 413  # its own limit, not the pictures' ("The picture is larger ...")
    assert big.get_json()["error"] == "The request body is larger than this endpoint takes (4,096 bytes)."
    gone = client.get("/api/teach/not-a-lesson/status")
    assert gone.status_code == 404 and "Reload the page" in gone.get_json()["error"]


def test_lessons_are_bounded_per_browser_and_in_total(monkeypatch):
    app = create_app(None)
    browser = app.test_client()
    first = browser.post("/api/teach/sessions", json={})
    assert "glassnet_teach=" in first.headers["Set-Cookie"]
    for _ in range(routes.PER_CLIENT):  # the first came without the cookie; these four count as the browser's
        assert browser.post("/api/teach/sessions", json={}).status_code == 200
    refused = browser.post("/api/teach/sessions", json={})  # the same browser's fifth tab with its cookie
    assert refused.status_code == 429 and "this browser holds 4 teach sessions" in refused.get_json()["error"]
    assert refused.headers["Retry-After"]
    app = create_app(None)  # clients that drop their cookie: one address holds a third of what the budget can
    answers = [app.test_client().post("/api/teach/sessions", json={}) for _ in range(routes.PER_ADDRESS + 1)]
    assert [a.status_code for a in answers] == [200] * routes.PER_ADDRESS + [429]
    assert "holds 12 sessions from your network address" in answers[-1].get_json()["error"]
    assert routes.PER_ADDRESS <= routes.MEMORY_BUDGET // Lesson().resident_bytes() // 3
    monkeypatch.setattr(routes, "MEMORY_BUDGET", 3 * Lesson().resident_bytes())
    app = create_app(None)
    for _ in range(3):
        assert app.test_client().post("/api/teach/sessions", json={}).status_code == 200
    full = app.test_client().post("/api/teach/sessions", json={})
    assert full.status_code == 429 and "the server is full: its 3 teach sessions hold" in full.get_json()["error"]


def test_another_site_cannot_start_lessons_to_fill_the_teachers_quota():
    """A page anywhere could post a plain form to /api/teach/sessions: twelve made the teacher's own tab's next
    lesson a 429 for two minutes. A lesson is begun with a JSON body, which a form or no-cors request cannot send."""
    app = create_app(None)
    for kind, data in [("application/x-www-form-urlencoded", "a=1"), ("text/plain", "{}"), (None, None)]:
        answers = [app.test_client().post("/api/teach/sessions", data=data, content_type=kind,
                                          headers={"Origin": "http://evil.example"})
                   for _ in range(routes.PER_ADDRESS + 1)]
        assert {a.status_code for a in answers} == {400}
        assert answers[0].get_json()["error"] == "Send a JSON object."
    assert app.test_client().post("/api/teach/sessions", json={}).status_code == 200  # the page's own


def test_a_closed_lesson_stops_its_training_and_a_stop_in_line_keeps_it_from_starting(client):
    rng = np.random.default_rng(1)
    token = new_lesson(client)
    for _ in range(100):  # 200 pictures: 20 epochs of about 0.2 s each
        add(client, token, 0, noisy(0, rng))
        add(client, token, 1, noisy(170, rng))
    lesson, _ = client.application.extensions["glassnet_teach"].get(token)
    assert client.post(f"/api/teach/{token}/train", json={"names": ["a", "b"]}).status_code == 200
    deadline = time.monotonic() + 30
    while lesson.epoch < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.post(f"/api/teach/{token}/close").get_json() == {"closed": True}
    while lesson.state == "training" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lesson.state == "stopped" and lesson.epoch < lesson.epochs == 20
    assert f"stopped after epoch {lesson.epoch} of 20" in lesson.message
    waiting = Lesson()
    for _ in range(3):
        waiting.add(0, rng.uniform(0, 0.4, (3, SIZE, SIZE)))
        waiting.add(1, rng.uniform(0.6, 1, (3, SIZE, SIZE)))
    waiting.queue(["a", "b"])
    waiting.stop()  # while it waits for a trainer
    assert waiting.state == "collecting" and waiting.message == "stopped before it started"
    waiting.train(["a", "b"], epochs=2)  # a fresh run: an old stop does not carry over
    assert waiting.state == "trained" and waiting.epoch == 2


def test_a_lesson_closed_while_it_waits_in_line_lets_go_of_its_pictures(client):
    """A lesson closed in line was dropped by the store but held, pictures and all, by the trainers' line until
    its turn came: a client could queue and close lessons without bound while the trainers were busy."""
    rng = np.random.default_rng(2)
    token = new_lesson(client)
    for _ in range(3):
        add(client, token, 0, noisy(0, rng))
        add(client, token, 1, noisy(170, rng))
    lesson, _ = client.application.extensions["glassnet_teach"].get(token)
    lesson.queue(["a", "b"])  # in line, as a busy trainer leaves it
    assert client.post(f"/api/teach/{token}/close").get_json() == {"closed": True}
    assert lesson.counts() == [0] * MAX_CLASSES and lesson.model is None and lesson.state == "collecting"


def test_names_spelled_two_ways_are_one_class():
    lesson = Lesson()
    two_classes(lesson, np.random.default_rng(0))
    with pytest.raises(gn.OptionError, match="two classes have the same name"):
        lesson.queue(["\u00e9t\u00e9", "e\u0301te\u0301"])  # "été" as three characters, and as five
    with pytest.raises(gn.OptionError, match="two classes have the same name"):
        lesson.queue(["\U0001f600", "\U0001f600\ufe0f"])  # an emoji, and the same drawn as an emoji


def two_classes(lesson, rng, n=3):
    for _ in range(n):
        lesson.add(0, rng.uniform(0, 0.4, (3, SIZE, SIZE)))
        lesson.add(1, rng.uniform(0.6, 1, (3, SIZE, SIZE)))


def test_a_lesson_is_in_line_once_and_trains_the_last_run_asked_for():
    """Train, Stop, Train again while the first place in line waits: one place, the second run's names."""
    lesson = Lesson()
    two_classes(lesson, np.random.default_rng(2))
    assert lesson.queue(["a", "b"], epochs=2) is True  # put in line
    with pytest.raises(gn.OptionError, match="already training"):
        lesson.queue(["a", "b"])
    lesson.stop()
    assert lesson.queue(["x", "y"], epochs=2) is False  # its place in line still serves
    lesson.add(0, np.zeros((3, SIZE, SIZE)))  # after the snapshot: for the next run
    lesson.run()
    assert lesson.state == "trained" and lesson.classes == ["x", "y"]
    assert "trained 2 epochs on 6 pictures" in lesson.message
    lesson.run()  # the same place taken twice: nothing more happens
    assert lesson.epoch == 2 and lesson.state == "trained"


def test_whatever_goes_wrong_in_a_run_ends_in_failed_with_its_message(monkeypatch):
    lesson = Lesson()
    two_classes(lesson, np.random.default_rng(3))
    lesson.queue(["a", "b"], epochs=2)
    lesson.clear(0)  # while it waits: the run has its own snapshot
    monkeypatch.setattr(teach, "cnn", lambda *a, **k: (_ for _ in ()).throw(MemoryError("no room for the network")))
    lesson.run()
    assert lesson.state == "failed" and lesson.message == "training failed: no room for the network"
    monkeypatch.undo()
    two_classes(lesson, np.random.default_rng(3))
    lesson.train(["a", "b"], epochs=2)  # a failed lesson trains again
    assert lesson.state == "trained"


def test_a_stop_after_the_last_epoch_is_no_stop(monkeypatch):
    lesson = Lesson()
    two_classes(lesson, np.random.default_rng(4))

    class LateStop(gn.training.Callback):
        def on_epoch_end(self, run, epoch, logs):
            if epoch == 2:
                lesson.stop()

    original = gn.training.models.Sequential.fit
    monkeypatch.setattr(gn.training.models.Sequential, "fit",
                        lambda self, *a, **k: original(self, *a, **{**k, "callbacks": [*k["callbacks"], LateStop()]}))
    lesson.train(["a", "b"], epochs=3)
    assert lesson.state == "trained" and lesson.message.startswith("trained 3 epochs")


def test_json_nested_past_the_parser_is_a_400(client):
    token = new_lesson(client)
    deep = "[" * 4000  # within the 4,096 bytes the routes take; Python's parser recurses once per level
    for path in (f"/api/teach/{token}/train", f"/api/teach/{token}/clear"):
        answer = client.post(path, data=deep, content_type="application/json")
        assert answer.status_code == 400 and answer.get_json()["error"] == "The JSON is nested too deeply."


def test_a_lesson_dropped_by_the_store_is_stopped():
    from glassnet.web.sessions import Sessions

    dropped = []
    store = Sessions(per_client=1, live=1000, what="teach", on_drop=dropped.append)
    first, second = Lesson(), Lesson()
    token = store.add(first, "1.2.3.4", "c" * 22)
    assert store.close(token) and dropped == [first]
    store.add(second, "1.2.3.4", "")
    store.live = -1  # everything is quiet too long now
    with pytest.raises(KeyError):
        store.get("any")  # which frees the quiet ones first
    assert len(store) == 0 and dropped == [first, second]
