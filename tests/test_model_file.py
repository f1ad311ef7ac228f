"""Model files: round trips, exact resumption, refusal of bad files, and crash safety."""

import io
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import ModelFileError
from glassnet.io.file_checks import description_digest
from helpers import mechanics_only, rewrite_description


def trained(tmp_path, dtype="float32"):
    r = np.random.default_rng(0)
    X, y = r.normal(size=(40, 4)), r.integers(0, 3, 40)
    model = gn.mlp([4, 6, 3], activation="leaky_relu", output="softmax", dropout=0.1, rng=1, dtype=dtype)
    opt = gn.AdamW(lr=0.01, weight_decay=0.1, schedule=gn.optim.ReduceOnPlateau(patience=1))
    model.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=3, batch_size=8)
    return model, opt, X, y


@mechanics_only  # trained() runs three epochs on random labels
def test_roundtrip_architecture_weights_and_optimizer(tmp_path):
    model, opt, X, _ = trained(tmp_path)
    path = gn.save(tmp_path / "m.glassnet", model, opt)
    ck = gn.load(path)
    assert ck.model.config() == model.config()
    np.testing.assert_array_equal(ck.model.params, model.params)
    np.testing.assert_array_equal(ck.model.predict(X), model.predict(X))
    assert isinstance(ck.optimizer, gn.AdamW) and ck.optimizer.config() == opt.config()
    assert ck.optimizer.t == opt.t and ck.optimizer.schedule.state() == opt.schedule.state()
    for slot in ("m", "v"):
        np.testing.assert_array_equal(ck.optimizer.state[slot], opt.state[slot])
    model.save(tmp_path / "plain.glassnet")
    assert gn.load(tmp_path / "plain.glassnet").optimizer is None


@mechanics_only  # trained() runs three epochs on random labels
def test_file_is_a_zip_of_json_and_npy_without_pickle(tmp_path):
    model, opt, _, _ = trained(tmp_path)
    path = gn.save(tmp_path / "m.glassnet", model, opt)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        meta = json.loads(zf.read("glassnet.json"))
    assert names == {"glassnet.json", "params.npy", "optimizer/m.npy", "optimizer/v.npy"}
    assert meta["format"] == "glassnet-model" and meta["version"] == 2
    assert meta["description_sha256"] == description_digest(meta)
    with np.load(path, allow_pickle=False) as npz:  # also readable as a plain .npz
        np.testing.assert_array_equal(npz["params"], model.params)


@mechanics_only  # a replay on random labels
@pytest.mark.parametrize("every", [2, 3])
def test_resumed_run_ends_bit_for_bit_like_an_uninterrupted_one(tmp_path, every):
    r = np.random.default_rng(4)
    X, y = r.normal(size=(50, 5)), r.integers(0, 3, 50)
    Xv, yv = r.normal(size=(10, 5)), r.integers(0, 3, 10)

    def new():
        model = gn.mlp([5, 7, 3], dropout=0.2, rng=9, dtype="float64")
        opt = gn.Adam(lr=0.02, schedule=gn.optim.ReduceOnPlateau(factor=0.5, patience=0))
        return model, opt

    full, opt = new()
    h_full = full.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=7, batch_size=8, l2=0.01,
                      validation_data=(Xv, yv))

    part, opt = new()
    path = tmp_path / "ck.glassnet"

    class Interrupt(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            if epoch + 1 == every:
                run.stop = True  # as if the process had been killed after this checkpoint

    part.fit(X, y, loss="cross_entropy", optimizer=opt, epochs=7, batch_size=8, l2=0.01,
             validation_data=(Xv, yv), callbacks=[gn.ModelCheckpoint(path), Interrupt()])
    resumed, h = gn.resume(path, X, y, validation_data=(Xv, yv))
    np.testing.assert_array_equal(resumed.params, full.params)
    assert h.history == h_full.history and h.epochs == list(range(7))


def _corrupt(path, transform):
    data = path.read_bytes()
    path.write_bytes(transform(data))


@mechanics_only  # trained() runs three epochs on random labels
def test_truncated_file(tmp_path):
    model, _, _, _ = trained(tmp_path)
    path = gn.save(tmp_path / "m.glassnet", model)
    _corrupt(path, lambda b: b[: len(b) // 2])
    with pytest.raises(ModelFileError, match="not a glassnet model file .*truncated"):
        gn.load(path)


@mechanics_only  # trained() runs three epochs on random labels
def test_edited_weights_fail_the_checksum(tmp_path):
    model, _, _, _ = trained(tmp_path)
    path = gn.save(tmp_path / "m.glassnet", model)
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "params.npy":
                arr = np.lib.format.read_array(io.BytesIO(data))
                arr[0] += 1
                out = io.BytesIO()
                np.lib.format.write_array(out, arr)
                data = out.getvalue()
            dst.writestr(name, data)
    path.write_bytes(buf.getvalue())
    with pytest.raises(ModelFileError, match="damaged or was edited: params.npy does not match"):
        gn.load(path)


def test_wrong_format_version(tmp_path):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([2, 1], rng=0))
    rewrite_description(path, lambda m: m.update(version=99))
    with pytest.raises(ModelFileError, match=r"written by a newer glassnet \(model file format 99; this glassnet "
                                             r"reads formats 1 and 2\): upgrade glassnet to read it"):
        gn.load(path)
    for version in (0, "2", True, 2.0):
        rewrite_description(path, lambda m, v=version: m.update(version=v))
        with pytest.raises(ModelFileError, match="this glassnet reads versions 1 and 2"):
            gn.load(path)


def test_edited_architecture(tmp_path):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([2, 3, 1], rng=0))
    rewrite_description(path, lambda m: m["model"]["layers"][0].update(out_features=4))
    with pytest.raises(ModelFileError, match=r"params.npy declares shape \(13,\), but the architecture needs \(16,\)"):
        gn.load(path)
    path = gn.save(tmp_path / "m3.glassnet", gn.mlp([2, 3, 1], rng=0))  # the same count, shapes that disagree
    rewrite_description(path, lambda m: m["model"]["layers"][2].update(in_features=1, out_features=2))
    with pytest.raises(ModelFileError, match=r"layers\[2\] Dense expects 1 input features, but layers\[0\] Dense "
                                             r"produces 3"):
        gn.load(path)
    path = gn.save(tmp_path / "m2.glassnet", gn.mlp([2, 3, 1], rng=0))
    rewrite_description(path, lambda m: m["model"]["layers"].__setitem__(1, {"type": "Evil"}))
    with pytest.raises(ModelFileError, match=r"layers\[1\] has unknown type 'Evil'"):
        gn.load(path)


def test_unknown_optimizer_option_in_file(tmp_path):
    model = gn.mlp([2, 1], rng=0)
    path = gn.save(tmp_path / "m.glassnet", model, gn.SGD(lr=0.1).bind(model))
    rewrite_description(path, lambda m: m["optimizer"]["config"].update(warp=9))
    with pytest.raises(ModelFileError, match="invalid model description.*warp"):
        gn.load(path)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_a_pickle_is_refused_and_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.glassnet"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError, match="not a glassnet model file"):
        gn.load(path)
    # a pickled object array inside a well-formed archive is refused as well
    good = gn.save(tmp_path / "m.glassnet", gn.mlp([2, 1], rng=0))
    buf = io.BytesIO()
    evil = io.BytesIO()
    np.lib.format.write_array(evil, np.array([Boom()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(buf, "w") as dst:
        meta = json.loads(src.read("glassnet.json"))
        import hashlib
        meta["arrays"]["params.npy"]["sha256"] = hashlib.sha256(evil.getvalue()).hexdigest()
        meta["description_sha256"] = description_digest(meta)  # a forger recomputes the checksums
        dst.writestr("glassnet.json", json.dumps(meta))
        dst.writestr("params.npy", evil.getvalue())
    good.write_bytes(buf.getvalue())
    with pytest.raises(ModelFileError, match="params.npy is not a plain numeric array"):
        gn.load(good)
    assert not (tmp_path / "pwned.txt").exists()


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="model file not found"):
        gn.load(tmp_path / "nope.glassnet")
    with pytest.raises(FileNotFoundError, match="folder does not exist"):
        gn.save(tmp_path / "no" / "m.glassnet", gn.mlp([2, 1], rng=0))


@pytest.mark.parametrize("kwargs, message", [
    ({"metadata": {"classes": ["a", "b", "c"]}},
     r"metadata's classes must name one class per output of the model \(2\); received \['a', 'b', 'c'\]; "
     r".*m.glassnet was not written"),
    ({"metadata": {"image_shape": [3, 3]}}, "image_shape must be"),
    ({"metadata": [1, 2]}, "metadata must be a dict of JSON data; received list"),
    ({"metadata": {"when": object()}}, r"metadata\['when'\] is of type object"),
    ({"training": {"k": {1j: 2}}}, r"training\['k'\] has a key of type complex"),
])
def test_what_load_would_refuse_is_not_saved_over_a_good_file(tmp_path, kwargs, message):
    model = gn.mlp([3, 4, 2], rng=0)
    path = gn.save(tmp_path / "m.glassnet", model, metadata={"classes": ["x", "y"]})
    before = path.read_bytes()
    with pytest.raises(gn.GlassnetError, match=message):
        gn.save(path, model, **kwargs)
    assert path.read_bytes() == before and gn.load(path).metadata == {"classes": ["x", "y"]}
    assert [p.name for p in tmp_path.iterdir()] == ["m.glassnet"]


def test_an_optimizer_that_trained_another_model_is_refused(tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 3))
    other, optimizer = gn.mlp([3, 5, 2], rng=0), gn.Adam(lr=0.05)
    other.fit(X, X[:, 0] > 0, loss="cross_entropy", optimizer=optimizer, epochs=5)
    with pytest.raises(gn.OptionError, match="optimizer holds 'm' for 32 parameters, where this model has 26"):
        gn.save(tmp_path / "m.glassnet", gn.mlp([3, 4, 2], rng=0), optimizer=optimizer)
    assert not list(tmp_path.iterdir())


def test_numpy_values_in_metadata_are_kept_as_json_numbers_and_lists(tmp_path):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([3, 4, 2], rng=0),
                   metadata={"classes": [np.int64(0), np.int64(1)], "means": np.arange(3.0), 7: np.float32(0.5)})
    assert gn.load(path).metadata == {"classes": [0, 1], "means": [0.0, 1.0, 2.0], "7": 0.5}


def test_paths_of_the_wrong_type_and_folders_are_named(tmp_path):
    with pytest.raises(gn.errors.OptionTypeError,
                       match="path must be a str or path-like naming a model file; received None"):
        gn.load(None)
    with pytest.raises(gn.errors.OptionTypeError, match="received 3"):
        gn.save(3, gn.mlp([2, 1], rng=0))
    with pytest.raises(ModelFileError, match="is a folder; give the path of a model file"):
        gn.load(tmp_path)


def test_fault_between_write_and_rename_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.glassnet"
    old = gn.mlp([3, 4, 2], rng=0)
    gn.save(path, old)

    def fail(src, dst):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="injected"):
        gn.save(path, gn.mlp([3, 4, 2], rng=1))
    monkeypatch.undo()
    np.testing.assert_array_equal(gn.load(path).model.params, old.params)
    assert [p.name for p in tmp_path.iterdir()] == ["m.glassnet"]  # no temporary file left


def test_an_error_without_errno_while_writing_names_the_file_not_written(tmp_path, monkeypatch):
    """NumPy's own full-disk error, "Not enough free space to write 47040000 bytes after offset 128", has no errno:
    it went out naming no file."""
    from glassnet.io.atomic import write_atomically

    def full(f):
        raise OSError("Not enough free space to write 47040000 bytes after offset 128")

    with pytest.raises(OSError, match=r"Not enough free space to write 47040000 bytes .*: .*cache\.npy was not "
                                      r"written"):
        write_atomically(tmp_path / "cache.npy", full)
    assert not list(tmp_path.iterdir())


SAVER = """
import sys, numpy as np, glassnet as gn
path = sys.argv[1]
models = [gn.mlp([300, 400, 300, 10], rng=s) for s in range(2)]
print("ready", flush=True)
i = 0
while True:
    gn.save(path, models[i % 2])
    i += 1
"""


def test_process_killed_mid_save_leaves_a_loadable_file(tmp_path):
    path = tmp_path / "m.glassnet"
    expected = [gn.mlp([300, 400, 300, 10], rng=s).params for s in range(2)]
    gn.save(path, gn.mlp([300, 400, 300, 10], rng=0))
    for delay in (0.05, 0.13, 0.31):
        with subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as proc:
            assert proc.stdout.readline().strip() == b"ready", proc.stderr.read().decode()
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        assert proc.returncode == -signal.SIGKILL  # killed while saving, not finished
        params = gn.load(path).model.params
        assert any(np.array_equal(params, e) for e in expected)
    gn.save(path, gn.mlp([300, 400, 300, 10], rng=1))  # the next save cleans up after the killed ones
    assert [p.name for p in tmp_path.iterdir()] == ["m.glassnet"]


def test_a_checkpoint_asked_for_its_models_methods_says_where_they_are(tmp_path):
    """gn.load(path).predict(X), as Keras's load_model returns a model, ended in a bare AttributeError."""
    ck = gn.load(gn.save(tmp_path / "m.glassnet", gn.mlp([2, 3, 1], rng=0)))
    with pytest.raises(AttributeError, match=r"a Checkpoint has no attribute 'predict'; its model has: "
                                             r"glassnet.load\(path\).model.predict"):
        ck.predict(np.zeros((1, 2)))
    with pytest.raises(AttributeError, match="'Checkpoint' object has no attribute 'fly'"):
        ck.fly  # noqa: B018
    assert not hasattr(ck, "predict") and ck.model.predict(np.zeros((1, 2))).shape == (1, 1)
