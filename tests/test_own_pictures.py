"""``glassnet train --dataset folder`` end to end on the generated shapes: it learns shapes it has never seen on
backgrounds it has never seen, reports each class, and ``predict``, ``evaluate``, ``serve`` and ONNX read the
model's own picture preparation.

This is the small version of the tutorial's run (80 pictures per class and 40 epochs instead of 120 and
120, about 15 s); ``benchmarks/own_pictures.py`` runs the full one on five seeds.
"""

import contextlib
import io
import math
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import shapes  # noqa: E402

pytestmark = pytest.mark.slow  # trains a conv net on pictures


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The shapes set and a model trained on it, with what ``glassnet train`` printed."""
    root = shapes.make(tmp_path_factory.mktemp("shapes"), train=80, test=12, seed=0)
    out = root / "out"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["train", "--dataset", "folder", "--data", str(root / "train"), "--test-data",
                       str(root / "test"), "--color", "grey", "--epochs", "40", "--out", str(out), "--quiet",
                       "--threads", "1"])
    assert status == 0
    return root, out, buffer.getvalue()


def test_the_conv_net_learns_the_shapes_on_backgrounds_it_never_saw(trained):
    root, out, printed = trained
    assert "dataset folder: 320 training, 0 validation and 48 test samples, pictures of 1x32x32 (channels, rows, " \
           "columns), 4 classes" in printed
    assert "[0] Normalize(1 channel)" in printed
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", printed).group(1))
    assert accuracy >= 60, printed  # chance is 25 %; these 40 epochs reach 71-77 % (seeds 0-3), the full run 98 %
    header = printed.index("class     precision    recall   samples")
    rows = printed[header:].splitlines()[1:5]
    assert [r.split()[0] for r in rows] == list(shapes.CLASSES) and all(r.split()[3] == "12" for r in rows)
    assert (out / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    meta = gn.load(out / "model.glassnet").metadata
    assert meta["picture"] == {"size": 32, "channels": 1, "fit": "pad"} and meta["classes"] == list(shapes.CLASSES)
    assert meta["image_shape"] is None and meta["test_accuracy"] == pytest.approx(accuracy / 100, abs=5e-5)


def test_predict_names_the_classes_of_pictures_and_explains_them(trained, capsys):
    root, out, _ = trained
    pictures = [sorted((root / "test" / name).iterdir())[0] for name in shapes.CLASSES]
    heat = root / "heat.png"
    assert main(["predict", str(out / "model.glassnet"), *map(str, pictures), "--explain", str(heat)]) == 0
    lines = capsys.readouterr().out.splitlines()
    named = [re.fullmatch(r"(.+): (\w+)  \(p=(0\.\d{3}|1\.000)\)", line) for line in lines[0:8:2]]
    assert all(named) and [m.group(1) for m in named] == list(map(str, pictures))
    assert all(set(re.findall(r"(\w+):[01]\.\d{3}", line)) for line in lines[1:8:2])
    assert sum(m.group(2) == name for m, name in zip(named, shapes.CLASSES)) >= 2
    assert heat.read_bytes()[:4] == b"\x89PNG" and lines[-1] == f"saliency written to {heat}"


def test_evaluate_scores_the_model_folders_again_or_a_new_folder(trained, capsys):
    root, out, printed = trained
    trained_line = re.search(r"test accuracy ([\d.]+)%", printed).group(1)
    assert main(["evaluate", str(out / "model.glassnet")]) == 0
    first = capsys.readouterr().out
    assert f"folder test set: 48 samples, accuracy {trained_line}%" in first and "precision" in first
    assert main(["evaluate", str(out / "model.glassnet"), "--data", str(root / "test")]) == 0
    assert f"accuracy {trained_line}%" in capsys.readouterr().out
    # its own training folder named again: its test pictures, where all 320 training pictures were scored
    assert main(["evaluate", str(out / "model.glassnet"), "--data", str(root / "train") + "/"]) == 0
    assert f"folder test set: 48 samples, accuracy {trained_line}%" in capsys.readouterr().out
    copy = root.parent / f"{root.name}-copy"  # a copy of it, known by its listing, as a CSV file's copy is
    shutil.copytree(root / "train", copy)
    assert main(["evaluate", str(out / "model.glassnet"), "--data", str(copy)]) == 0
    assert f"folder test set: 48 samples, accuracy {trained_line}%" in capsys.readouterr().out
    # a hidden file that Finder writes, which the reader skips: the copy was taken for another folder, and all
    # 320 pictures scored, 272 of them trained on, without a word
    (copy / next(p.name for p in copy.iterdir() if p.is_dir()) / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert main(["evaluate", str(out / "model.glassnet"), "--data", str(copy)]) == 0
    assert f"folder test set: 48 samples, accuracy {trained_line}%" in capsys.readouterr().out
    assert main(["info", str(out / "model.glassnet")]) == 0
    assert "picture: {'size': 32, 'channels': 1, 'fit': 'pad'}" in capsys.readouterr().out


def test_the_web_page_serves_the_photo_model(trained):
    pytest.importorskip("flask")
    from glassnet.web import create_app

    root, out, _ = trained
    client = create_app(gn.load(out / "model.glassnet")).test_client()
    described = client.get("/api/model").get_json()
    assert described["kind"] == "photo" and described["channels"] == 1 and described["classes"] == list(shapes.CLASSES)
    picture = sorted((root / "test" / "square").iterdir())[0]
    answer = client.post("/api/predict", data={"image": (io.BytesIO(picture.read_bytes()), picture.name)},
                         content_type="multipart/form-data").get_json()
    assert answer["classes"] == list(shapes.CLASSES) and answer["image_shape"] == [32, 32]
    assert np.asarray(answer["input"]).shape == (32, 32) and np.asarray(answer["saliency"]).shape == (32, 32)
    expected = gn.load(out / "model.glassnet").model.predict_proba(
        gn.io.photos.prepare_photo(picture, 32, 1, "pad")[None])[0]
    np.testing.assert_allclose(answer["probabilities"], expected, atol=1e-6)


def test_onnx_export_takes_plain_pixels_and_says_how_to_make_them(trained, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    import json

    import onnx

    root, out, _ = trained
    target = tmp_path / "m.onnx"
    assert main(["export", str(out / "model.glassnet"), str(target)]) == 0
    proto = onnx.load(target)
    props = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(props["picture"]) == {"size": 32, "channels": 1, "fit": "pad"}
    model = gn.load(out / "model.glassnet").model
    X = np.stack([gn.io.photos.prepare_photo(p, 32, 1, "pad") for p in sorted((root / "test").rglob("*.*"))[:10]])
    label, probabilities = ort.InferenceSession(str(target)).run(None, {"input": X})
    np.testing.assert_allclose(probabilities, model.predict_proba(X), atol=1e-5)  # the normalization is inside


def test_folder_options_and_folders_are_checked(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for name, low in (("a", 0), ("b", 160)):  # dark pictures and light ones
        folder = tmp_path / "data" / name
        folder.mkdir(parents=True)
        for k in range(4):
            Image.fromarray(rng.integers(low, low + 96, (20, 24, 3), dtype=np.uint8)).save(folder / f"{k}.png")
    (tmp_path / "data" / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (tmp_path / "other" / "c").mkdir(parents=True)
    Image.new("RGB", (10, 10)).save(tmp_path / "other" / "c" / "x.png")
    data, out = str(tmp_path / "data"), str(tmp_path / "out")

    def refused(*args):
        assert main(["train", *args, "--out", out]) == 2
        return capsys.readouterr().err

    assert "--size applies to --dataset folder; received --dataset digits" in refused("--size", "16")
    assert "--dataset folder needs --data FOLDER" in refused("--dataset", "folder")
    assert "leave out --arch mlp and --layers" in refused("--dataset", "folder", "--data", data, "--arch", "mlp")
    assert "--test-data has class folder(s) that are not the model's classes: 'c'; the model knows 'a', 'b'" in refused(
        "--dataset", "folder", "--data", data, "--test-data", str(tmp_path / "other"))
    assert "--data: path must be a folder" in refused("--dataset", "folder", "--data", str(tmp_path / "nothing"))
    listing = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    # what a run writes among the pictures would be read as pictures (or a class of them) by the next run
    assert main(["train", "--dataset", "folder", "--data", data, "--out", str(tmp_path / "data" / "runs")]) == 2
    assert f"--out {str(tmp_path / 'data' / 'runs')!r} is inside {data!r}, a folder the run reads" \
        in capsys.readouterr().err
    inside = str(tmp_path / "data" / "a" / "curves.png")
    assert f"--plot {inside!r} is inside {data!r}, a folder the command reads, which it would change" \
        in refused("--dataset", "folder", "--data", data, "--plot", inside)
    assert f"--model {str(tmp_path / 'other' / 'm.glassnet')!r} is inside" in refused(
        "--dataset", "folder", "--data", data, "--test-data", str(tmp_path / "other"),
        "--model", str(tmp_path / "other" / "m.glassnet"))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == listing  # nothing made there either
    # a class whose every picture was refused (too large, damaged): left out, exit 0, a model of one class fewer
    (tmp_path / "data" / "c").mkdir()
    (tmp_path / "data" / "c" / "only.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert f"--data {data}: c/ holds no picture that could be read (see above why), so the model would not know the " \
        "class 'c'" in refused("--dataset", "folder", "--data", data, "--size", "8")
    shutil.rmtree(tmp_path / "data" / "c")
    # --test-fraction beside --test-data, which makes the test set: ignored without a word
    assert "--test-fraction does not apply with --test-data, whose pictures are the test set" in refused(
        "--dataset", "folder", "--data", data, "--test-data", str(tmp_path / "other"), "--test-fraction", "0.5")
    # the training folder as its own test folder: "test accuracy 100.00%", of the pictures it trained on
    assert "--test-data " + data + " is the --data folder itself: the test score would be of the pictures " \
        "trained on" in refused("--dataset", "folder", "--data", data, "--test-data", data + "/")
    assert main(["train", "--dataset", "folder", "--data", data, "--epochs", "5", "--size", "8", "--out", out,
                 "--quiet", "--test-fraction", "0.25"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"--data .*: skipped 1 of 9 files:\n  'a/broken.png' is a damaged picture", printed), printed
    assert "pictures of 3x8x8" in printed and "6 training, 0 validation and 2 test samples" in printed
    # every picture of one class to the test side: "1 training and 7 test samples" trained on class b alone
    assert main(["train", "--dataset", "folder", "--data", data, "--epochs", "1", "--size", "8", "--out", out,
                 "--quiet", "--test-fraction", "0.9"]) == 0
    assert "2 training, 0 validation and 6 test samples" in capsys.readouterr().out


def test_a_folder_run_stopped_by_ctrl_c_resumes_to_the_weights_of_one_never_stopped(tmp_path, capsys,
                                                                                      monkeypatch):
    root = shapes.make(tmp_path / "shapes", train=6, test=2, seed=1)
    common = ["train", "--dataset", "folder", "--data", str(root / "train"), "--size", "16", "--epochs", "4",
              "--quiet", "--threads", "1"]
    main([*common, "--out", str(tmp_path / "whole")])
    change = gn.datasets.PhotoAugment.__call__
    calls = []

    def ctrl_c_in_epoch_3(self, images, rng):  # 24 pictures: one batch per epoch
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return change(self, images, rng)

    monkeypatch.setattr(gn.datasets.PhotoAugment, "__call__", ctrl_c_in_epoch_3)
    assert main([*common, "--out", str(tmp_path / "cut")]) == 130
    monkeypatch.setattr(gn.datasets.PhotoAugment, "__call__", change)
    assert "training stopped at the end of epoch 2" in capsys.readouterr().out
    # the folder moved since: "give the folder with --data FOLDER", and then "--data cannot change when resuming"
    moved = shutil.move(root / "train", tmp_path / "moved")
    assert main(["train", "--resume", str(tmp_path / "cut" / "checkpoint.glassnet")]) == 2
    assert "give the folder with --data FOLDER" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "cut" / "checkpoint.glassnet"), "--data", str(moved)]) == 0
    assert "resuming" in capsys.readouterr().out
    whole = gn.load(tmp_path / "whole" / "checkpoint.glassnet").model.params
    resumed = gn.load(tmp_path / "cut" / "checkpoint.glassnet").model.params
    np.testing.assert_array_equal(resumed, whole)  # the normalization, the pictures' changes and all


def test_a_model_file_reads_only_the_folders_it_was_trained_on(trained, tmp_path, capsys):
    """A model file is a file anyone may edit: a folder it names is read only if its listing is unchanged."""
    root, out, _ = trained
    ck = gn.load(out / "model.glassnet")
    secret = tmp_path / "private"
    for name in ("mine", "yours"):
        (secret / name).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(secret / name / "holiday.png")
    for key, where in (("data", str(secret)), ("test_data", str(secret))):
        meta = {**ck.metadata, "settings": dict(ck.metadata["settings"])}
        if key == "data":
            meta["data"] = where
        else:
            meta["settings"]["test_data"] = where
        edited = gn.save(tmp_path / f"{key}.glassnet", ck.model, metadata=meta)
        assert main(["evaluate", str(edited)]) == 2
        err = capsys.readouterr()
        assert "names a picture folder that is not there or is not the one it was trained on" in err.err
        assert "holiday" not in err.out + err.err and "accuracy" not in err.out
    assert main(["evaluate", str(out / "model.glassnet"), "--data", str(secret)]) == 2  # given: read, and its
    assert "not the model's classes: 'mine', 'yours'" in capsys.readouterr().err  # classes are checked


def test_class_names_match_as_numbers_unless_that_would_merge_two_classes():
    from glassnet.cli.pictures import same_classes
    from glassnet.datasets import Dataset

    def data(classes):
        return Dataset(np.zeros((len(classes), 1), np.float32), np.arange(len(classes)), "t", classes=classes)

    assert same_classes(data(["2", "1"]), ["1.0", "2.0"], "--data").y.tolist() == [1, 0]  # as numbers
    assert same_classes(data(["1", "01"]), ["01", "1"], "--data").y.tolist() == [1, 0]  # two classes, kept apart


def test_a_colour_model_saved_from_python_reads_photos_as_load_folder_made_them(tmp_path, capsys):
    """A conv net of 16x16 colour pictures saved with no metadata was refused: "takes 768 features, not a
    picture". A grey one reads digits, as before: a LeNet of 32x32 or a USPS net of 16x16 is a digit model."""
    channels = 3
    rng = np.random.default_rng(0)
    folder = tmp_path / "data" / "a"
    folder.mkdir(parents=True)
    picture = folder / "p.png"
    Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(picture)
    model = gn.cnn((channels, 16, 16), 2, channels=(4, 8), hidden=8, rng=0)
    model.save(tmp_path / "m.glassnet")
    assert main(["predict", str(tmp_path / "m.glassnet"), str(picture)]) == 0
    printed = capsys.readouterr().out
    expected = model.predict_proba(gn.io.photos.prepare_photo(picture, 16, channels, "pad")[None])[0]
    assert f"0:{expected[0]:.3f}  1:{expected[1]:.3f}" in printed, printed
    for grey in ((1, 28, 28), (1, 16, 16)):  # a grey model with no word of its pictures keeps the digits' way
        assert gn.io.photos.preparation_of(math.prod(grey), {}, grey) == gn.io.photos.Preparation("digit", grey)
    for other in ((1, 16, 64), (4, 8, 8)):  # were given a 32x32 and a 16x16 digit, silently
        with pytest.raises(gn.OptionError, match=rf"this model takes input of shape \({other[0]}, {other[1]}, "
                                                 rf"{other[2]}\), not a picture glassnet makes from a file"):
            gn.io.photos.preparation_of(math.prod(other), {}, other)


def test_a_folder_is_known_by_the_listing_model_files_kept_before_hidden_files_were_left_out(tmp_path):
    """Fingerprints written before 2026-12-07 counted .DS_Store: such a model's own folder was then "not the one it
    was trained on", for evaluate and train --resume alike."""
    from glassnet.cli.pictures import check_folder, folder_fingerprint, same_folder

    (tmp_path / "a").mkdir()
    Image.new("L", (4, 4)).save(tmp_path / "a" / "p.png")
    (tmp_path / "a" / ".DS_Store").write_bytes(b"Bud1")
    old, new = folder_fingerprint(str(tmp_path), hidden=True), folder_fingerprint(str(tmp_path))
    assert old != new and same_folder(str(tmp_path), old) and same_folder(str(tmp_path), new)
    check_folder(str(tmp_path), old, "--data", "old.glassnet")  # no error
    (tmp_path / "a" / "q.png").write_bytes(b"")
    assert not same_folder(str(tmp_path), old) and not same_folder(str(tmp_path), new)
