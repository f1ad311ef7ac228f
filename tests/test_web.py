"""The web app's JSON API: predictions, the model description, and a 4xx for each bad input."""

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet.web import create_app


@pytest.fixture(scope="module")
def digits_checkpoint(digits_run):
    """The model `glassnet train` makes by default (shared with the CLI tests), and its test split."""
    from glassnet import datasets

    cwd, _ = digits_run
    _, test = datasets.train_test_split(datasets.load_digits(), 0.2, rng=0)
    return gn.load(cwd / "glassnet-out" / "model.glassnet"), test


@pytest.fixture(scope="module")
def client(digits_checkpoint):
    app = create_app(digits_checkpoint[0], max_upload_bytes=200_000)
    return app.test_client()


def digit_png(x8: np.ndarray, size=120, fmt="PNG") -> bytes:
    img = Image.fromarray(((1 - x8.reshape(8, 8)) * 255).astype(np.uint8)).resize((size, size))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def test_page_and_model_description(client):
    page = client.get("/")
    assert page.status_code == 200 and b'id="canvas"' in page.data and b'src="/static/page.js"' in page.data
    with client.get("/static/page.js") as script:
        assert script.status_code == 200 and b"/api/predict" in script.data
    for path in ("/static/page.css", "/favicon.ico"):
        with client.get(path) as res:
            assert res.status_code == 200
    info = client.get("/api/model").get_json()
    assert info["dataset"] == "digits" and info["image_shape"] == [8, 8] and info["parameters"] == 50826
    assert [layer["type"] for layer in info["layers"]] == ["Dense", "ReLU", "Dense", "ReLU", "Dense"]


def test_predict_multipart_and_raw_body(client, digits_checkpoint):
    _, test = digits_checkpoint
    hits = 0
    for i in range(30):
        data = digit_png(test.X[i])
        a = client.post("/api/predict", data={"image": (io.BytesIO(data), "d.png")},
                        content_type="multipart/form-data")
        b = client.post("/api/predict", data=data, content_type="image/png")
        assert a.status_code == b.status_code == 200
        ja, jb = a.get_json(), b.get_json()
        assert ja == jb and len(ja["probabilities"]) == 10 and abs(sum(ja["probabilities"]) - 1) < 1e-4
        assert np.array(ja["input"]).shape == (8, 8)
        hits += ja["prediction"] == str(test.y[i])
    assert hits >= 27
    # the saliency map is the gradient of the predicted class's score, its largest 1 % at full strength
    heat = np.array(ja["saliency"])
    assert heat.shape == (8, 8) and np.abs(heat).max() == 1.0
    model = digits_checkpoint[0].model
    x = np.array(ja["input"]).reshape(1, 64)
    expected = gn.saliency.gradient_saliency(model, x, [ja["classes"].index(ja["prediction"])]).reshape(8, 8)
    expected = np.clip(expected / np.percentile(np.abs(expected), 99), -1, 1)
    np.testing.assert_allclose(heat, expected, atol=1e-3)


@pytest.mark.parametrize(("kwargs", "status", "message"), [
    ({"data": b"x" * 300_000, "content_type": "image/png"}, 413, "larger than this server accepts (200,000 bytes)"),
    ({"data": b"%PDF-1.4 not an image", "content_type": "image/png"}, 400, "is not a picture glassnet can read"),
    ({"data": b'{"pixels": []}', "content_type": "application/json"}, 415, "received content type 'application/json'"),
    ({"data": b"", "content_type": "image/png"}, 400, "The upload is empty."),
    ({"data": {"other": (io.BytesIO(b"x"), "x.png")}, "content_type": "multipart/form-data"}, 400,
     "no file field named 'image'"),
])
def test_bad_uploads_get_a_clear_4xx(client, kwargs, status, message):
    res = client.post("/api/predict", **kwargs)
    assert res.status_code == status
    assert message in res.get_json()["error"]
    assert client.get("/api/model").status_code == 200  # still serving


def test_decompression_bomb_and_blank_picture(client):
    bomb = io.BytesIO()
    Image.new("1", (7000, 7000), 1).save(bomb, "PNG")  # 7 kB on the wire, 49 megapixels decoded
    assert len(bomb.getvalue()) < 200_000
    res = client.post("/api/predict", data=bomb.getvalue(), content_type="image/png")
    assert res.status_code == 413 and "too large" in res.get_json()["error"]
    blank = io.BytesIO()
    Image.new("L", (50, 50), 255).save(blank, "PNG")
    res = client.post("/api/predict", data=blank.getvalue(), content_type="image/png")
    assert res.status_code == 400 and "no digit found" in res.get_json()["error"]


def test_uploads_never_touch_the_disk(client, digits_checkpoint, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", refuse)
    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    big = digit_png(digits_checkpoint[1].X[0], size=300, fmt="BMP")  # ~ 90 kB, above Werkzeug's in-memory cap
    res = client.post("/api/predict", data={"image": (io.BytesIO(big), "big.bmp")},
                      content_type="multipart/form-data")
    assert res.status_code == 200


def test_memory_stays_flat_over_many_requests(client, digits_checkpoint):
    data = digit_png(digits_checkpoint[1].X[0])
    for _ in range(50):  # warm up caches and buffers
        client.post("/api/predict", data=data, content_type="image/png")
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(300):
        assert client.post("/api/predict", data=data, content_type="image/png").status_code == 200
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert growth < 300_000, growth


def test_a_decode_that_waits_too_long_is_answered_busy_with_retry_after(client, monkeypatch):
    from glassnet.io import decoding

    budget = decoding.PixelBudget(1_500_000)
    monkeypatch.setattr(decoding, "_BUDGET", budget)
    monkeypatch.setattr(decoding, "DECODE_WAIT", 0.05)
    buf = io.BytesIO()
    Image.new("L", (1100, 1100), 255).save(buf, "PNG")  # 1.2 megapixels: a large picture, compressed small
    with budget.hold(1_000_000):  # other decodes hold most of the budget
        answer = client.post("/api/predict", data=buf.getvalue(), content_type="image/png")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    assert "send the picture again in a few seconds" in answer.get_json()["error"]
