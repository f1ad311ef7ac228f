"""The web app refuses what it cannot safely handle: script in model metadata, foreign hosts,
bad options; and says so with the right status."""

import json
import re

import pytest

import glassnet as gn
from glassnet.io import Checkpoint
from glassnet.web import SECURITY_HEADERS, create_app, picture_preparation, serve

HOSTILE = ['<img src=x onerror="window.pwned=1">', "<script>window.pwned=2</script>", "0 & 1 < 2",
           "\"'><b>bold</b>", "4", "5", "6", "7", "8", "9"]


def hostile_checkpoint():
    model = gn.mlp([64, 16, 10], rng=0)
    return Checkpoint(model=model, metadata={"dataset": "digits", "classes": HOSTILE, "image_shape": [8, 8]})


@pytest.fixture(scope="module")
def client():
    return create_app(hostile_checkpoint()).test_client()


def test_every_response_carries_the_security_headers(client):
    for res in (client.get("/"), client.get("/api/model"), client.post("/api/predict", data=b"x",
                                                                       content_type="text/plain")):
        for name, value in SECURITY_HEADERS.items():
            assert res.headers[name] == value
        res.close()
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_the_page_has_no_inline_script_or_style(client):
    html = client.get("/").data.decode()
    assert "<script>" not in html and "<style" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)  # no inline event handlers


def test_class_names_travel_as_data(client):
    info = client.get("/api/model").get_json()
    assert info["classes"] == HOSTILE  # JSON escapes nothing away; the page inserts them as text


@pytest.mark.parametrize("accuracy", [float("nan"), float("inf"), 1e308, -0.5, "98 %", True])
def test_a_model_files_test_accuracy_that_is_no_share_is_left_out_of_strict_json(accuracy):
    """A NaN in the file's metadata went out as the token NaN, which the page's JSON reader refuses: its model
    line stayed empty, and a photo model's page never took its layout."""
    checkpoint = hostile_checkpoint()
    checkpoint.metadata["test_accuracy"] = accuracy
    answer = create_app(checkpoint).test_client().get("/api/model")
    info = json.loads(answer.data, parse_constant=lambda token: pytest.fail(f"{token} is not JSON"))
    assert info["test_accuracy"] is None and info["classes"] == HOSTILE
    checkpoint.metadata["test_accuracy"] = 0.9812
    assert create_app(checkpoint).test_client().get("/api/model").get_json()["test_accuracy"] == 0.9812


@pytest.mark.parametrize(("host", "status"), [("127.0.0.1:8000", 200), ("localhost:8000", 200),
                                              ("evil.example", 400), ("evil.example:8000", 400),
                                              ("127.0.0.1.evil.example", 400)])
def test_only_loopback_host_names_are_answered_by_default(client, host, status):
    res = client.get("/api/model", headers={"Host": host})
    assert res.status_code == status


def test_more_host_names_can_be_allowed():
    app = create_app(hostile_checkpoint(), allowed_hosts=["digits.lan"])
    assert app.test_client().get("/", headers={"Host": "digits.lan"}).status_code == 200
    assert app.test_client().get("/", headers={"Host": "localhost"}).status_code == 400
    anyone = create_app(hostile_checkpoint(), allowed_hosts=["*"])
    assert anyone.test_client().get("/", headers={"Host": "whatever.example"}).status_code == 200


def test_a_model_that_does_not_take_pictures_is_refused():
    iris = Checkpoint(model=gn.mlp([4, 8, 3], rng=0), metadata={"classes": ["a", "b", "c"]})
    with pytest.raises(gn.OptionError, match=r"this model takes 4 features, not a picture: it needs a model trained "
                                             r"on pictures \(glassnet train --dataset digits, mnist or folder\)"):
        picture_preparation(iris)
    with pytest.raises(gn.OptionError, match="not a picture"):
        create_app(iris)
    wrong = Checkpoint(model=gn.mlp([64, 10], rng=0), metadata={"image_shape": [28, 28]})
    with pytest.raises(gn.OptionError, match=r"image_shape \[28, 28\], which does not match its 64 input"):
        picture_preparation(wrong)
    # a photo model's picture metadata must describe its input: 3 x 4 x 4 is not 64 values
    photo = Checkpoint(model=gn.mlp([64, 10], rng=0), metadata={"picture": {"size": 4, "channels": 3}})
    with pytest.raises(gn.OptionError, match="channels x size x size = the model's 64 inputs"):
        create_app(photo)
    assert picture_preparation(Checkpoint(model=gn.mlp([48, 2], rng=0), metadata={
        "picture": {"size": 4, "channels": 3, "fit": "crop"}})).shape == (3, 4, 4)


@pytest.mark.parametrize(("kwargs", "message"), [({"port": 99999}, "port must be between 1 and 65535"),
                                                 ({"port": -1}, "port must be >= 0"),
                                                 ({"max_upload_bytes": 0}, "max_upload_bytes must be >= 1")])
def test_serve_checks_its_options_before_binding(kwargs, message):
    with pytest.raises(gn.OptionError, match=message):
        serve(hostile_checkpoint(), **kwargs)


def test_serve_binds_before_it_announces(tmp_path):
    """On a port already taken, `glassnet serve` says so in one line and never claims to be serving."""
    import socket

    from helpers import run_glassnet

    path = gn.save(tmp_path / "digits.glassnet", gn.mlp([64, 16, 10], rng=0), metadata={"image_shape": [8, 8]})
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        proc = run_glassnet("serve", path, "--port", port, check=False)
    finally:
        taken.close()
    # the port named, and the way out: "[Errno 98] Address already in use" had named neither
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"--port {port} cannot be listened on at 127.0.0.1: Address already in use; choose " \
        "another port (--port 0 picks a free one)" in proc.stderr
    assert "serving on" not in proc.stdout


def test_an_address_not_of_this_machine_is_named_as_the_host_at_fault():
    """Every OSError of binding was put down to the port: an address of another machine was answered "choose
    another port", where the host is what cannot be listened on."""
    with pytest.raises(gn.OptionError, match=r"--host '10.123.45.67' cannot be listened on here: Cannot assign"):
        serve(hostile_checkpoint(), host="10.123.45.67", port=0)


def test_cli_serve_refuses_bad_options_in_one_line(tmp_path):
    from helpers import run_glassnet

    path = gn.save(tmp_path / "iris.glassnet", gn.mlp([4, 8, 3], rng=0), metadata={"classes": ["a", "b", "c"]})
    for args, message in [(["--port", "99999"], "argument --port: expected a whole number from 1 to 65535"),
                          (["--max-upload-mb", "0"], "argument --max-upload-mb: expected a number in [0.001, 1024]"),
                          (["--max-upload-mb", "-1"], "expected a number in [0.001, 1024]; received '-1'"),
                          # an OverflowError's traceback, and a message naming waitress's own setting
                          (["--max-upload-mb", "1e308"], "--max-upload-mb: expected a number in [0.001, 1024]"),
                          (["--max-upload-mb", "1e-9"], "--max-upload-mb: expected a number in [0.001, 1024]"),
                          ([], "this model takes 4 features, not a picture")]:
        proc = run_glassnet("serve", path, *args, check=False)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
        assert "serving on" not in proc.stdout
