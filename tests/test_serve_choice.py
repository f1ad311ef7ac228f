"""Which model `glassnet serve` serves with no model argument, and that it says so."""

import io

import numpy as np
import pytest

import glassnet as gn
from glassnet.training import callbacks
from glassnet.web import choose_model


@pytest.fixture
def cache(tmp_path):
    """A cache that already holds the default MNIST model, so that nothing trains."""
    folder = tmp_path / "cache"
    (folder / "models").mkdir(parents=True)
    gn.save(folder / "models" / "digits-mnist-cnn.glassnet", gn.mlp([784, 10], rng=0),
            metadata={"dataset": "mnist", "image_shape": [28, 28], "test_accuracy": 0.99})
    return folder


def test_the_model_glassnet_train_just_wrote_here_is_served_and_named(tmp_path, monkeypatch, cache):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "glassnet-out").mkdir()
    gn.save(tmp_path / "glassnet-out" / "model.glassnet", gn.mlp([784, 10], rng=1),
            metadata={"dataset": "mnist", "image_shape": [28, 28], "test_accuracy": 0.9827})
    lines = []
    ck = choose_model(None, None, cache=cache, announce=lines.append)
    np.testing.assert_array_equal(ck.model.params, gn.mlp([784, 10], rng=1).params)
    assert lines == ["serving glassnet-out/model.glassnet, the model glassnet train wrote in this folder (mnist, "
                     "test accuracy 98.27%); give a model file to serve another"]


def test_a_local_model_that_takes_no_pictures_is_passed_over_with_the_reason(tmp_path, monkeypatch, cache):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "glassnet-out").mkdir()
    gn.save(tmp_path / "glassnet-out" / "model.glassnet", gn.mlp([3, 2], rng=0), metadata={"dataset": "csv"})
    lines = []
    ck = choose_model(None, None, cache=cache, announce=lines.append)
    assert ck.model.in_features == 784
    assert lines[0].startswith("not serving glassnet-out/model.glassnet: ") and "3" in lines[0]
    assert lines[1].startswith("serving the default MNIST model, cached in ")


def test_a_model_given_is_served_as_it_is(tmp_path, cache):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8]})
    lines = []
    assert choose_model(str(path), None, cache=cache, announce=lines.append).path == path
    assert lines == [f"serving {path} (unknown data)"]


def test_a_long_epoch_shows_how_far_it_has_come_and_the_time_left(monkeypatch):
    """In a log (not a terminal) a line comes every few seconds, within an epoch too, with an estimate."""
    clock = iter(np.arange(0.0, 1000.0, 1.5))  # every look at the clock is 1.5 s later: 10 s pass in 7 steps
    monkeypatch.setattr(callbacks.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    r = np.random.default_rng(0)
    X = r.normal(size=(40, 3))
    gn.mlp([3, 4, 2], rng=0).fit(X, (X[:, 0] > 0).astype(int), loss="cross_entropy", optimizer="adam", lr=0.05,
                                 epochs=2, batch_size=5, callbacks=[gn.ProgressBar(stream, every=2.0)])
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("epoch 1/2  batch ") and "s, about " in lines[0] and lines[0].endswith(" s left)")
    assert lines[-1].startswith("epoch 2/2  loss ") and "left" not in lines[-1]  # the end: nothing left
    assert all(line.startswith("epoch ") for line in lines) and len(lines) >= 4
