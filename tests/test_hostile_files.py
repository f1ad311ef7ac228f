"""Hostile input, round 2: files and paths that must not be turned against the user.

Writers never replace what is not a regular file (a device, a FIFO, a socket, a folder), named directly or
through a link, nor one of the command's own inputs; a checkpoint decides neither where a resumed run writes
nor what it reads; every setting and metadata field read back from a file is checked like the command line's
own options.
"""

import io
import os
import re
import stat

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet import cli
from glassnet.io.atomic import write_atomically
from helpers import rewrite_description as rewrite

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


@pytest.fixture
def nodes(tmp_path):
    """A FIFO, a character device (where the tests run as root) and a symbolic link to each."""
    made = {"fifo": tmp_path / "fifo"}
    os.mkfifo(made["fifo"])
    if ROOT:
        made["device"] = tmp_path / "null"
        os.mknod(made["device"], stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a second /dev/null
    for name in list(made):
        made[f"link to {name}"] = tmp_path / f"link-{name}"
        made[f"link to {name}"].symlink_to(made[name])
    return made


def kind(path):
    return stat.S_IFMT(os.lstat(path).st_mode)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A small digits model file, a picture of a digit, and a CSV model with its data."""
    folder = tmp_path_factory.mktemp("files")
    model = gn.mlp([64, 16, 10], rng=0)
    gn.save(folder / "m.glassnet", model, metadata={"image_shape": [8, 8], "classes": [str(d) for d in range(10)]})
    Image.fromarray(np.pad(np.full((40, 12), 255, np.uint8), 30)).save(folder / "one.png")
    return folder


def commands(files, target):
    """Every command that writes a file, writing to ``target``."""
    m, picture = str(files / "m.glassnet"), str(files / "one.png")
    out = [["trace", "--output", target], ["compare-solvers", "--epochs", "5", "--plot", target],
           ["predict", m, picture, "--explain", target], ["train", "--epochs", "1", "--quiet", "--model", target],
           ["train", "--epochs", "1", "--quiet", "--checkpoint", target], ["train", "--epochs", "1", "--quiet",
                                                                          "--plot", target]]
    try:
        import onnx  # noqa: F401

        out.append(["export", m, target])
    except ImportError:
        pass
    return out


def test_no_writer_replaces_a_device_a_fifo_or_what_a_link_leads_to(files, nodes, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, node in nodes.items():
        before = kind(node), kind(os.path.realpath(node))
        suffix = node.with_suffix(".png")  # the plot options want a picture format: a link named so
        if not suffix.exists():
            suffix.symlink_to(os.path.realpath(node))
        for argv in commands(files, str(node)) + commands(files, str(suffix)):
            if "--plot" in argv or "--explain" in argv:
                argv = [str(suffix) if a == str(node) else a for a in argv]
            status = cli.main(argv)
            err = capsys.readouterr().err
            assert status == 2, (name, argv, err)
            assert "which glassnet does not replace" in err and ("FIFO" in err or "device" in err), (argv, err)
            assert (kind(node), kind(os.path.realpath(node))) == before, (name, argv)
        with pytest.raises(FileExistsError, match="does not replace"):
            gn.save(node, gn.mlp([2, 1], rng=0))
        with pytest.raises(FileExistsError, match="does not replace"):
            write_atomically(node, lambda f: f.write(b"x"))
        assert (kind(node), kind(os.path.realpath(node))) == before


def test_a_link_to_a_regular_file_is_written_through_and_a_folder_is_refused(tmp_path):
    real = tmp_path / "real.glassnet"
    real.write_bytes(b"old")
    (tmp_path / "link.glassnet").symlink_to(real)
    gn.save(tmp_path / "link.glassnet", gn.mlp([2, 1], rng=0))
    assert (tmp_path / "link.glassnet").is_symlink() and gn.load(real).model.n_params == 3
    (tmp_path / "folder").mkdir()
    with pytest.raises(FileExistsError, match=r"'.*folder' is a folder"):
        write_atomically(tmp_path / "folder", lambda f: f.write(b"x"))
    with pytest.raises(FileExistsError, match="never through a link"):
        write_atomically(tmp_path / "link.glassnet", lambda f: f.write(b"x"), follow_links=False)
    # a name ending with a slash means a folder: Path() dropped the slash and a file "new.onnx" was written
    with pytest.raises(IsADirectoryError, match="ends with a slash, which names a folder: give a file name"):
        write_atomically(f"{tmp_path}/new.onnx/", lambda f: f.write(b"x"))
    assert not (tmp_path / "new.onnx").exists()


def test_a_full_disk_names_the_file_that_was_not_written(tmp_path):
    """A write to the temporary file fails without a file name ("[Errno 28] No space left on device"): the
    error names the file asked for, the old file stays, and no temporary is left."""
    model = tmp_path / "m.glassnet"
    model.write_bytes(b"the old model")

    def full(f):
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match=rf"No space left on device: {model} was not written") as caught:
        write_atomically(model, full)
    assert caught.value.errno == 28
    assert model.read_bytes() == b"the old model" and [p.name for p in tmp_path.iterdir()] == ["m.glassnet"]


def test_an_input_is_never_written_over(files, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    picture = tmp_path / "in.png"
    picture.write_bytes((files / "one.png").read_bytes())
    before = picture.read_bytes()
    assert cli.main(["predict", str(files / "m.glassnet"), str(picture), "--explain", str(picture)]) == 2
    assert "is also one of the command's inputs" in capsys.readouterr().err and picture.read_bytes() == before
    r = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in r.random((40, 2)))
    data = tmp_path / "data.csv"
    data.write_text("a,b,label\n" + rows + "\n")
    text = data.read_text()
    for option in ("--model", "--plot", "--checkpoint"):
        target = str(data) if option != "--plot" else str(tmp_path / "data.png")
        if option == "--plot":
            (tmp_path / "data.png").symlink_to(data)
        status = cli.main(["train", "--dataset", "csv", "--data", str(data), "--target", "label", "--quiet",
                           option, target])
        assert status == 2 and "is also one of the command's inputs" in capsys.readouterr().err
        assert data.read_text() == text
    model = files / "m.glassnet"
    saved = model.read_bytes()
    assert cli.main(["export", str(model), str(model)]) == 2
    assert "is also one of the command's inputs" in capsys.readouterr().err and model.read_bytes() == saved


def test_a_dash_writes_to_standard_output(files, capsysbinary):
    assert cli.main(["trace", "--output", "-"]) == 0
    assert b"OR gate" in capsysbinary.readouterr().out
    pytest.importorskip("onnx")
    assert cli.main(["export", str(files / "m.glassnet"), "-"]) == 0
    captured = capsysbinary.readouterr()
    import onnx

    assert onnx.load_from_string(captured.out).graph.input[0].name and b"standard output" in captured.err


# -- checkpoints: where --resume writes, what it reads -------------------------------------


@pytest.fixture
def checkpoint(tmp_path):
    r = np.random.default_rng(1)
    rows = "\n".join(f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in r.random((60, 2)))
    data = tmp_path / "data.csv"
    data.write_text("a,b,label\n" + rows + "\n")
    out = tmp_path / "run"
    assert cli.main(["train", "--dataset", "csv", "--data", str(data), "--target", "label", "--epochs", "2",
                     "--quiet", "--out", str(out)]) == 0
    return out / "checkpoint.glassnet", data


def test_resume_writes_where_the_command_line_says_not_where_the_file_says(checkpoint, tmp_path, capsys):
    ck, data = checkpoint
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rewrite(ck, lambda m: m["metadata"].update(outputs={
        "folder": str(elsewhere), "model": str(elsewhere / "m"), "checkpoint": str(elsewhere / "c"),
        "plot": str(elsewhere / "p.png")}))
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(ck), "--epochs", "3", "--quiet"]) == 0
    assert not any(elsewhere.iterdir())  # nothing where the file pointed
    assert gn.load(ck.parent / "model.glassnet").model  # beside the checkpoint named on the command line
    assert gn.load(ck).training["epoch"] == 3
    # --out sends all of the run's files there, its checkpoint too (as --help says): the checkpoint resumed from
    # was written over, at epoch 4 beside a model of epoch 3
    out = tmp_path / "chosen"
    assert cli.main(["train", "--resume", str(ck), "--epochs", "4", "--quiet", "--out", str(out)]) == 0
    assert (out / "model.glassnet").exists() and gn.load(out / "checkpoint.glassnet").training["epoch"] == 4
    assert gn.load(ck).training["epoch"] == 3


def test_a_data_path_read_from_a_file_is_read_only_if_the_file_there_is_unchanged(checkpoint, tmp_path, capsys):
    ck, data = checkpoint
    secret = tmp_path / "secret.csv"
    secret.write_text("TOPSECRET,credentials\n1,2\n")
    rewrite(ck, lambda m: m["metadata"]["settings"].update(data=str(secret)))
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(ck), "--epochs", "3", "--quiet"]) == 2
    captured = capsys.readouterr()
    assert "is not the one it was trained on" in captured.err and "--data" in captured.err
    assert "TOPSECRET" not in captured.out + captured.err
    model = ck.parent / "model.glassnet"
    rewrite(model, lambda m: m["metadata"].update(data=str(secret)))
    assert cli.main(["evaluate", str(model)]) == 2
    captured = capsys.readouterr()
    assert "TOPSECRET" not in captured.out + captured.err and "give the data with --data" in captured.err
    assert cli.main(["evaluate", str(model), "--data", str(data)]) == 0  # the real data, given: read


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("epochs", 1e9, r"--epochs is not one glassnet train takes: expected a whole number from 1 to 100000; "
                    r"received '1000000000.0'"),
    ("epochs", True, r"--epochs is not one glassnet train takes: received True"),
    ("lr", -1.0, r"--lr is not one glassnet train takes: expected a number greater than 0; received '-1.0'"),
    ("batch_size", "32", r"--batch-size is not one glassnet train takes: received '32'"),
    ("optimizer", "evil", r"--optimizer is not one glassnet train takes: expected one of sgd, rmsprop"),
    ("layers", [64, "x"], r"--layers is not one glassnet train takes: received \[64, 'x'\]"),
    ("dataset", "x" * 5000,
     r"--dataset is not one glassnet train takes: expected one of .*\.\.\. \(5,002 characters\)"),
])
def test_tampered_settings_are_refused_with_the_command_lines_own_words(checkpoint, capsys, setting, value, message):
    ck, _ = checkpoint
    rewrite(ck, lambda m: m["metadata"]["settings"].update({setting: value}))
    capsys.readouterr()
    assert cli.main(["train", "--resume", str(ck), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    import re

    assert re.search(message, err), err


# -- format versions, both ways ------------------------------------------------------------


def test_a_file_claiming_the_first_format_to_skip_the_checksum_is_refused(tmp_path):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([2, 3, 1], rng=0))
    rewrite(path, lambda m: m.update(version=1))  # the checksum still there: a later file, relabelled
    with pytest.raises(gn.ModelFileError, match="claims model file format 1, which has no checksum, but holds a "
                                                "checksum of its description"):
        gn.load(path)
    cnn = gn.save(tmp_path / "c.glassnet", gn.cnn((1, 8, 8), 2, channels=(2,), hidden=0, rng=0))
    rewrite(cnn, lambda m: (m.update(version=1), m.pop("description_sha256")))
    with pytest.raises(gn.ModelFileError, match=r"the member\(s\) state.npy and layers of later versions"):
        gn.load(cnn)


def test_a_device_or_fifo_given_as_a_model_file_is_named_for_what_it_is(nodes, capsys):
    """/dev/null was reported as a model file "not found"."""
    for path, kind in [("/dev/null", "a character device"), (nodes["fifo"], "a FIFO")]:
        with pytest.raises(gn.ModelFileError, match=f"{path} is {kind}"):
            gn.load(path)
    assert cli.main(["info", "/dev/null"]) == 2
    assert "/dev/null is a character device, not a model file" in capsys.readouterr().err


def test_a_genuine_first_format_file_loads_and_is_reported_unverified(tmp_path, capsys):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([2, 3, 1], rng=0))
    rewrite(path, lambda m: (m.update(version=1), m.pop("description_sha256")))
    ck = gn.load(path)
    assert not ck.verified and ck.model.n_params == 13
    assert gn.load(gn.save(tmp_path / "new.glassnet", ck.model)).verified
    assert cli.main(["info", str(path)]) == 0
    assert "unverified" in capsys.readouterr().out


# -- metadata that does not fit the model ----------------------------------------------------


@pytest.mark.parametrize(("metadata", "message"), [
    ({"classes": ["a", "b"]}, r"classes must name one class per output of the model \(10\)"),
    ({"classes": "0123456789"}, "classes must be a list of class names"),
    ({"image_shape": [7, 7]}, r"image_shape must be \[rows, columns\] of the model's 64 input values"),
    ({"feature_names": ["x"]}, "feature_names must name the model's 64 input features"),
    ({"input_scale": [0.0] * 64}, "input_scale must be 64 finite numbers, one per input feature, each above 0"),
    ({"target_mean": "nan"}, "target_mean must be a finite number"),
    ({"task": "guess"}, "task must be 'classification' or 'regression'"),
    # half a pair: export and predict then stopped with KeyError: 'input_scale'
    ({"input_mean": [0.0] * 64}, "gives input_mean without input_scale: the two go together"),
    ({"target_scale": 2.0}, "gives target_scale without target_mean"),
    ({"points": {"columns": ["x1", "x2"], "centre": [0, "a"], "half": [1, 1]}}, "points must be {columns, centre"),
    ({"points": {"centre": [0, 0], "half": [1, 0]}}, "the half-widths above 0"),
])
def test_metadata_is_checked_against_the_network_on_save_and_on_load(tmp_path, metadata, message):
    model = gn.mlp([64, 10], rng=0)
    path = tmp_path / "m.glassnet"
    with pytest.raises(gn.errors.OptionError, match=message):
        gn.save(path, model, metadata=metadata)
    assert not path.exists()
    gn.save(path, model)
    rewrite(path, lambda m: m["metadata"].update(metadata))
    with pytest.raises(gn.ModelFileError, match=message):
        gn.load(path)


def test_a_short_class_list_is_one_line_from_predict_not_an_index_error(files, tmp_path, capsys):
    path = tmp_path / "m.glassnet"
    path.write_bytes((files / "m.glassnet").read_bytes())
    rewrite(path, lambda m: m["metadata"].update(classes=["0", "1"]))
    assert cli.main(["predict", str(path), str(files / "one.png")]) == 2
    err = capsys.readouterr().err
    assert "classes must name one class per output" in err and "IndexError" not in err


# -- CSV and JSON inputs -------------------------------------------------------------------------


def test_csv_files_that_are_not_tables_are_one_bounded_line(tmp_path):
    from glassnet.datasets import load_csv

    big = tmp_path / "big.csv"
    big.write_text("a,b,label\n" + "x" * 200_000 + ",1,0\n")
    with pytest.raises(gn.DataError, match=r"is not a readable CSV file: field larger than field limit \(131072\) "
                                           r"\(line 2\)"):
        load_csv(big, "label")
    picture = tmp_path / "picture.csv"
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "PNG")
    picture.write_bytes(buf.getvalue())
    with pytest.raises(gn.DataError, match="is not a CSV text file: it starts like a picture or an archive"):
        load_csv(picture, "label")
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(200_000)) + "\n" + ",".join("1" * 200_000) + "\n")
    with pytest.raises(gn.DataError) as caught:
        load_csv(wide, "label")
    assert len(str(caught.value)) < 500 and "and 199,980 more" in str(caught.value)  # not a 2 MB message


def test_a_csv_in_another_encoding_is_named_with_its_line_and_how_to_save_it(tmp_path):
    """"is not UTF-8 text", and nothing of where or what to do, for Excel's Latin-1 export (here past the first
    megabyte, which the search reads first)."""
    from glassnet.datasets import load_csv, read_rows

    path = tmp_path / "cafes.csv"
    path.write_bytes(b"a,b,label\n" + b"1,2,tea\n" * 150_000 + "3,4,café\n".encode("latin-1"))
    for read in (lambda: load_csv(path, "label"), lambda: read_rows(path)):
        with pytest.raises(gn.DataError, match=r"line 150002: not UTF-8 text \(the bytes b'\\xe9\\n', of Latin-1 "
                                               r"or another encoding\): save the file as UTF-8"):
            read()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be", "utf-32-le"])
def test_a_utf16_csv_is_named_as_such(tmp_path, encoding):
    """Excel's "Unicode Text" and Notepad's "Unicode" write UTF-16 with a byte-order mark: the message called it
    Latin-1 (the bytes b'\\xff\\xfea\\x00'). Without the mark, the csv module read every other byte, a NUL,
    into the column names: "no column 'label'; its columns are 'a\\x00', '\\x00b\\x00', ...". UTF-32 was called
    UTF-16 (its little-endian mark begins as UTF-16's does)."""
    from glassnet.datasets import load_csv, read_rows

    path = tmp_path / "u16.csv"
    path.write_text("a,b,label\n1,2,yes\n3,4,no\n", encoding=encoding)  # "utf-16" alone writes the mark
    for read in (lambda: load_csv(path, "label"), lambda: read_rows(path)):
        with pytest.raises(gn.DataError, match=r"u16.csv is not UTF-8 text: it starts with the bytes b'.*', as "
                                               rf"{encoding[:6].upper()} text does: save the file as UTF-8"):
            read()
    path.write_bytes(b"\x93NUMPY\x01\x00v\x00{'descr': '<f8'}")  # binary data named .csv: not called UTF-16
    with pytest.raises(gn.DataError, match=r"u16.csv is not UTF-8 text: it starts with the bytes b'\\x93NUM', and "
                                           r"NUL bytes are not text"):
        load_csv(path, "label")


def test_a_nul_byte_in_a_class_name_is_refused_with_its_line(tmp_path):
    """Python's csv module reads a NUL byte as a character: 'y\\x00es' trained as a third class beside yes and no."""
    from glassnet.datasets import load_csv

    path = tmp_path / "nul.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{2 * i},{'yes' if i % 2 else 'no'}\n" for i in range(40))
                    .replace("yes", "y\x00es", 2).replace("y\x00es", "yes", 1))
    with pytest.raises(gn.DataError, match=r"nul.csv, line 5: target column 'label' holds a NUL byte "
                                           r"\('y\\x00es'\): the file is not plain text"):
        load_csv(path, "label")


def test_a_quote_left_open_is_named_with_its_line_not_read_as_one_long_class_name(tmp_path):
    """The csv module took a quote never closed, on line 502 of 1001, as the start of a field running to the end
    of the file: 501 rows of 1000 were read, and the rest became a class named 'dog\\n501,1002,cat\\n...'."""
    from glassnet.datasets import load_csv, read_rows

    rows = ["x1,x2,species"] + [f"{i},{2 * i},{'cat' if i % 2 else 'dog'}" for i in range(1000)]
    rows[501] = '500,1000,"dog'
    path = tmp_path / "q.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(gn.DataError, match=r"q.csv, line 502: a quote opened in this row is never closed, so the "
                                           r"rest of the file would be one field"):
        load_csv(path, "species")
    rows[700] = '699,1398,"cat"'  # a later quote closes it: the lines between would be one class name
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(gn.DataError, match=r"q.csv, line 502: a quoted field runs on to line 701: a quote left open, "
                                           r"or a line break inside quotes"):
        load_csv(path, "species")
    rows[501] = '500,1000,"a ""quoted"", name"'  # quoted as it should be: read
    rows[502] = '"501" ,1002 ,"cat" '  # spaces after closing quotes, as aligned files have them: read as before
    path.write_text("\n".join(rows) + "\n")
    data = load_csv(path, "species")
    assert 'a "quoted", name' in data.classes and len(data) == 1000 and data.X[501, 0] == 501
    # a quoted cell over two lines is a CSV's right, but in a column left unread (predict reads the model's
    # features only) a quote left open there took rows with it unseen: each row is one line, or the file is refused
    notes = tmp_path / "notes.csv"
    notes.write_text('x1,x2,comment\n1,2,"first line\nsecond line"\n3,4,ok\n')
    with pytest.raises(gn.DataError, match=r"notes.csv, line 2: a quoted field runs on to line 3"):
        read_rows(notes)
    aligned = tmp_path / "aligned.csv"  # the same after a space that sends the reading to its lenient form
    aligned.write_text('id,x1,x2,note\n1,2,2,"aligned" \n2,-2,-2,"never closed\n3,2,2,x\n4,-2,-2,y\n')
    with pytest.raises(gn.DataError, match=r"aligned.csv, line 3: a quoted field runs on to line 5"):
        read_rows(aligned)


@pytest.mark.parametrize("written", ["inf", "-Infinity", "+INF"])
def test_an_infinite_value_among_numbers_in_the_target_is_refused_not_made_a_class(tmp_path, written):
    """inf is not a number to is_number, so a price column with one inf was read as text: 100 classes."""
    from glassnet.datasets import load_csv

    path = tmp_path / "inf.csv"
    path.write_text("size,price\n" + "".join(f"{i},{i * 1.37 + .5:.2f}\n" for i in range(1, 100)) + f"100,{written}\n")
    for task in ("auto", "regression", "classification"):
        with pytest.raises(gn.DataError, match=rf"inf.csv, line 101: target column 'price' holds "
                                               rf"'{re.escape(written)}', not a finite number"):
            load_csv(path, "price", task=task)
    path.write_text("a,label\n1,inf\n2,sup\n")  # among words it is a word
    assert load_csv(path, "label").classes == ["inf", "sup"]


def test_numbers_read_as_class_labels_take_bounded_time_whatever_their_exponent(tmp_path):
    """Fraction('1e-10000000') worked out 10**10000000 (9.9 s; 1e-999999999 never ended), and a label of 5001
    decimals raised Python's ValueError on integers of over 4300 digits."""
    from glassnet.datasets import load_csv
    from glassnet.datasets.csv import class_name

    path = tmp_path / "labels.csv"
    path.write_text("a,label\n1,0\n2,1\n3,1e-10000000\n4,1e-999999999\n5,1.0\n6,0." + "1" * 5001 + "\n")
    data = load_csv(path, "label", task="classification")  # before, it never returned
    assert data.classes == ["0", "0.0", "0.1111111111111111", "1"]  # 1e-10000000 is not 0, though as a float it is
    assert class_name("1e999999999") == "1e999999999"  # a folder's name, beyond any float: as written
    assert class_name("1e3") == class_name("1000.0") == "1000" and class_name("-0") == "0"


def test_a_byte_order_mark_and_blank_lines_at_the_end_are_read(tmp_path):
    from glassnet.datasets import load_csv

    path = tmp_path / "excel.csv"
    path.write_bytes("a,b,label\r\n1,2,0\r\n3,4,1\r\n\r\n\r\n".encode("utf-8-sig"))  # as a spreadsheet saves it
    data = load_csv(path, "a")  # the first column's name, not "\ufeffa"
    assert data.feature_names == ["b", "label"] and len(data) == 2


@pytest.mark.parametrize("text", ["1_0", "１０", "nan", "0x10", "1,5", " ", "1e", "--1"])
def test_loose_numbers_in_a_csv_field_are_not_numbers(tmp_path, text):
    from glassnet.datasets import is_number, load_csv

    assert not is_number(text)
    path = tmp_path / "d.csv"
    path.write_text(f'a,label\n"{text}",0\n2,1\n')
    with pytest.raises(gn.DataError, match="(must be numeric|missing value)"):
        load_csv(path, "label")


# -- numbers and options ---------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--epochs", "1_0"], "argument --epochs: expected a whole number from 1 to 100000; received '1_0'"),
    (["--epochs", "１０"], "argument --epochs: expected a whole number from 1 to 100000; received '１０'"),
    (["--lr", "1_0"], "argument --lr: expected a number greater than 0; received '1_0'"),
    (["--layers", "１２８"], "argument --layers: expected whole numbers of at least 1"),
    (["--threads", "100000"], "argument --threads: expected a whole number from 1 to "),
    (["--threads", "99999999999999999999"], "(the cores this process may use); received 99999999999999999999"),
])
def test_loose_and_unbounded_numbers_are_refused_by_the_options(capsys, args, message):
    with pytest.raises(SystemExit) as caught:
        cli.main(["train", *args])
    assert caught.value.code == 2 and message in capsys.readouterr().err


def test_the_thread_bound_is_the_cores_available():
    from glassnet.core.threads import available_cores

    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(gn.OptionError, match=f"threads must be at most {available_cores()}, the cores this process"):
        gn.mlp([2, 1], rng=0).fit(X, y, threads=available_cores() + 1)


def test_a_refused_value_is_repeated_as_a_short_prefix_only(capsys):
    huge = "x" * 3_000_000
    for call in (lambda: gn.get_loss(huge), lambda: gn.get_activation(huge), lambda: gn.init.get_initializer(huge),
                 lambda: gn.mlp([2, 1], activation=huge)):
        with pytest.raises(gn.GlassnetError) as caught:
            call()
        assert len(str(caught.value)) < 400 and "3,000,002 characters" in str(caught.value)
    with pytest.raises(SystemExit):
        cli.main(["train", "--activation", "y" * 100_000])
    err = capsys.readouterr().err
    assert len(err) < 400 and "yyyy..." in err


# -- the address to serve on -------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "address"), [("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("[::1]", "::1"),
                                                ("0.0.0.0", "0.0.0.0"), ("localhost", "localhost"),
                                                ("digits.lan", "digits.lan")])
def test_an_address_to_serve_on_is_checked_and_ipv6_is_taken(given, address):
    from glassnet.web import check_address

    assert check_address(given) == address


@pytest.mark.parametrize("bad", ["256.1.1.1", "1.2.3", "bad-.lan", "a b", "", "x" * 300])
def test_a_bad_address_is_one_line_before_anything_starts(bad, capsys):
    assert cli.main(["playground", "--host", bad, "--no-browser"]) == 2
    err = capsys.readouterr().err
    said = "argument --host: expected a value; received an empty string" if bad == "" else \
        "--host must be an IPv4 or IPv6 address"
    assert said in err and err.count("\n") == 1


def test_an_ipv6_host_header_is_recognised(tmp_path):
    from glassnet.web import create_app
    from glassnet.web.app import url_for

    app = create_app(None)  # the playground alone, on the loopback names (IPv6's among them)
    client = app.test_client()
    assert client.get("/playground", headers={"Host": "[::1]:8000"}).status_code == 200
    assert client.get("/playground", headers={"Host": "[::2]:8000"}).status_code == 400
    assert url_for("::1", 8000) == "http://[::1]:8000/" and url_for("0.0.0.0", 80) == "http://127.0.0.1:80/"
