"""Forged and damaged model files are refused by name, in bounded time and memory; saving keeps
permissions and links, and cleans up after killed saves."""

import hashlib
import io
import json
import os
import stat
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet import cli
from glassnet.io import ModelFileError
from glassnet.io.file_checks import MAX_DESCRIPTION_BYTES, description_digest


def rewrite(path, edit_meta=None, members=None, reseal=True):
    """Rewrite a model file: edit its description, replace members (name -> bytes)."""
    members = members or {}
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w") as dst:
        meta = json.loads(src.read("glassnet.json"))
        if edit_meta:
            edit_meta(meta)
        for name, data in members.items():  # a forger recomputes the checksums
            meta["arrays"][name]["sha256"] = hashlib.sha256(data).hexdigest()
        if reseal:
            meta["description_sha256"] = description_digest(meta)
        dst.writestr("glassnet.json", json.dumps(meta))
        for name in src.namelist():
            if name != "glassnet.json" and name not in members:
                dst.writestr(name, src.read(name))
        for name, data in members.items():
            dst.writestr(name, data)
    path.write_bytes(buf.getvalue())


def reading_the_description(path):
    """The CPU time that reading ``path``'s description takes, traced as a load is: what any refusal must spend.

    On a slow machine this is most of a refusal of a description of 100,000 layers (1.2 s of CPU, traced, on
    one that read it in 1.0 s); an unbounded build took 16 s where it was 1.
    """
    start = time.process_time()
    try:
        with zipfile.ZipFile(path) as z:
            json.loads(z.open("glassnet.json").read(MAX_DESCRIPTION_BYTES))  # no more than a load reads
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError):
        pass
    return time.process_time() - start


def refused(path, match):
    """Load ``path``: a ModelFileError naming it and matching ``match``, in < 100 MB of allocations and < 1 s
    of CPU time beyond three times what reading its description takes."""
    tracemalloc.start()
    try:
        allowed = 1.0 + 3 * reading_the_description(path)
        tracemalloc.reset_peak()
        start = time.process_time()  # this process's CPU time: a busy machine does not inflate it
        with pytest.raises(ModelFileError, match=match) as info:
            gn.load(path)
    finally:
        elapsed = time.process_time() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert elapsed < allowed and peak < 100 * 2**20, (elapsed, allowed, peak)


@pytest.fixture
def saved(tmp_path):
    model = gn.mlp([4, 8, 3], rng=0)
    return gn.save(tmp_path / "m.glassnet", model, gn.Adam().bind(model),
                   metadata={"classes": ["a", "b", "c"]})


def test_a_decompression_bomb_is_refused_from_the_zip_directory(saved):
    buf = io.BytesIO()
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            if name != "params.npy":
                dst.writestr(name, src.read(name))
        with dst.open("params.npy", "w", force_zip64=True) as f:
            for _ in range(64):
                f.write(bytes(1 << 20))
    saved.write_bytes(buf.getvalue())
    assert saved.stat().st_size < 2 << 20
    refused(saved, "would expand from .* to 67,108,864 bytes; refused as a decompression bomb")


def declare_size(path, member, size, crc=None):
    """Overwrite the size (and the CRC) that ``member``'s entry in the ZIP's central directory declares, as a
    forger can."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_length] == member.encode():
            data[at + 24:at + 28] = size.to_bytes(4, "little")
            if crc is not None:
                data[at + 16:at + 20] = crc.to_bytes(4, "little")
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 46)
    raise AssertionError(member)


@pytest.mark.parametrize(("member", "match"), [("glassnet.json", "is damaged: glassnet.json unreadable"),
                                              ("params.npy", "params.npy does not match its checksum")])
def test_a_member_that_lies_about_its_size_is_not_inflated_past_it(saved, member, match):
    """128 MiB of zeros in a member whose directory entry declares the size it should have. The directory's
    check passes it; for the parameters, so do a real .npy header and a CRC forged for the declared bytes."""
    header = io.BytesIO()
    if member == "params.npy":
        np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (67,)})
    size = len(header.getvalue()) + 67 * 4
    buf = io.BytesIO()
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            if name != member:
                dst.writestr(name, src.read(name))
        with dst.open(member, "w") as f:
            f.write(header.getvalue())
            for _ in range(128):
                f.write(bytes(1 << 20))
    saved.write_bytes(buf.getvalue())
    crc = zlib.crc32(header.getvalue() + bytes(size - len(header.getvalue())))
    declare_size(saved, member, size, crc if member == "params.npy" else None)
    assert saved.stat().st_size < 1 << 20
    refused(saved, match)


@pytest.mark.parametrize(("shape", "match"), [
    ([-400000000], r"layers\[2\] LayerNorm: normalized_shape must be >= 1; received -400000000"),
    (None, r"layers\[2\] LayerNorm: normalized_shape must be a positive integer or a tuple of them; received None"),
    ("ab", r"layers\[2\] LayerNorm: normalized_shape must be"),
])
def test_layer_norm_sizes_are_checked_before_anything_is_built(tmp_path, shape, match):
    """A negative size made the count of parameters 2 while a middle layer asked for 800 million: the file's
    arrays passed the check of their sizes, and building the layers allocated gigabytes."""
    model = gn.Sequential([gn.nn.LayerNorm(1), gn.nn.LayerNorm(1), gn.nn.LayerNorm(1)], input_shape=(1,))
    path = gn.save(tmp_path / "ln.glassnet", model)

    def forge(meta):
        layers = meta["model"]["layers"]
        layers[1]["normalized_shape"] = [20000, 20000]
        if shape is None:
            del layers[2]["normalized_shape"]
        else:
            layers[2]["normalized_shape"] = shape
    two = io.BytesIO()
    np.save(two, np.array([1.0, 0.0], np.float32))  # 2 + 800,000,000 - 800,000,000 parameters
    rewrite(path, forge, members={"params.npy": two.getvalue()})
    refused(path, match)


def test_an_image_shape_of_forty_thousand_pixels_a_side_is_refused_at_load(tmp_path):
    """A conv net takes pictures of any size, so nothing tied image_shape to the parameters: a 1 kB file made
    every prediction resize a picture to 40,000 x 40,000 (16 GB) before it was refused for memory."""
    model = gn.Sequential([gn.Conv2D(1, 2, 1, rng=0), gn.GlobalAvgPool2D(), gn.Softmax()], input_shape=(1, 8, 8))
    path = gn.save(tmp_path / "wide.glassnet", model, metadata={"classes": ["a", "b"], "image_shape": [8, 8]})

    def widen(meta):
        meta["model"]["input_shape"] = [1, 40000, 40000]
        meta["metadata"]["image_shape"] = [40000, 40000]
    rewrite(path, widen)
    refused(path, r"image_shape must be \[rows, columns\] .* each side at most 4,096 pixels; received \[40000, ")


def test_a_conv_net_asking_for_pictures_of_forty_thousand_pixels_a_side_is_told_no(tmp_path, capsys):
    """Without image_shape, the input's width sets the picture's side: predict allocated for 40,000 x 40,000."""
    model = gn.Sequential([gn.Conv2D(1, 2, 1, rng=0), gn.GlobalAvgPool2D(), gn.Softmax()], input_shape=(1, 8, 8))
    path = gn.save(tmp_path / "wide.glassnet", model, metadata={"classes": ["a", "b"]})
    rewrite(path, lambda meta: meta["model"].update(input_shape=[1, 40000, 40000]))
    stroke = Image.new("L", (60, 60), 255)
    stroke.paste(0, (25, 10, 35, 50))  # a one
    stroke.save(tmp_path / "one.png")
    tracemalloc.start()
    try:
        assert cli.main(["predict", str(path), str(tmp_path / "one.png")]) == 2
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert "this model takes pictures of 40,000 x 40,000 pixels; pictures are made at most 4,096 pixels a side" \
        in capsys.readouterr().err
    assert peak < 100 * 2**20


def test_a_whole_number_too_long_for_a_float_in_the_metadata_is_refused_by_name(saved):
    """JSON reads 10**400 as an int, and math.isfinite raised OverflowError on it: a traceback, not a refusal."""
    rewrite(saved, lambda m: m["metadata"].update(input_mean=[10**400] * 4, input_scale=[1.0] * 4))
    refused(saved, r"input_mean must be 4 finite numbers, one per input feature")
    rewrite(saved, lambda m: m["metadata"].update(input_mean=None, input_scale=None,
                                                 points={"centre": [10**400, 0], "half": [1, 1]}))
    refused(saved, r"points")


def test_a_description_asking_for_a_trillion_units_is_refused_by_arithmetic(saved):
    rewrite(saved, lambda m: m["model"]["layers"][0].update(out_features=10**12))
    refused(saved, r"params.npy declares shape \(67,\), but the architecture needs \(")


def test_a_description_of_a_hundred_thousand_layers_is_refused_before_any_is_built(saved):
    """160,000 Dense(1, 1) layers fit in a description of 16 MiB, and took 16 s and 478 MB to build."""
    rewrite(saved, lambda m: m["model"]["layers"].extend([{"type": "ReLU"}] * 100_000))
    refused(saved, r"'model.layers' lists 100,003 layers; models of up to 10,000 are read")
    with pytest.raises(gn.OptionError, match=r"model has 10,001 layers; model files hold up to 10,000"):
        gn.save(saved, gn.Sequential(gn.Dense(2, 2), *[gn.ReLU() for _ in range(10_000)]))
    refused(saved, r"lists 100,003 layers")  # the refused save left the file as it was


@pytest.mark.parametrize("states, match", [
    ({"-1": {}}, r"layer_rng_states must be keyed by the indices of layers with a generator; received \['-1'\]"),
    ({" 1 ": {}}, r"layer_rng_states must be keyed by the indices of layers with a generator"),
    # a Dense layer: no generator of its own
    ({"0": {}}, r"layer_rng_states must be keyed by the indices of layers with a generator"),
    ({"9": {}}, r"layer_rng_states must be keyed by the indices of layers with a generator"),
    ({"1": "1"}, r"layer_rng_states\['1'\] must name an earlier layer's"),
    ({"1": {"bit_generator": "os.system"}}, r"layer_rng_states\['1'\] must be the state of one of NumPy's"),
])
def test_forged_generator_states_are_refused_by_name(tmp_path, states, match):
    """Keys such as "-1" or " 2 " were read by int(), and "0" gave a Dense layer a generator; other values ended in
    "IndexError: cannot fit 'int' into an index-sized integer", naming no field."""
    model = gn.Sequential(gn.Dense(4, 3), gn.Dropout(0.5, rng=1), gn.Dense(3, 2), rng=0)
    path = gn.save(tmp_path / "m.glassnet", model, training={"rng_state": model.rng.bit_generator.state,
                                                            "layer_rng_states": {}})
    rewrite(path, lambda m: m["training"].update(layer_rng_states=states))
    refused(path, r"invalid model description \(ValueError: " + match)


def test_an_npy_header_declaring_a_huge_shape_is_refused_before_reading(saved):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    rewrite(saved, members={"params.npy": header.getvalue() + bytes(268)})
    refused(saved, r"params.npy declares shape \(1000000000000,\), but the architecture needs \(67,\)")
    # the description agreeing with the header changes nothing: the member is not that large
    rewrite(saved, lambda m: m["model"]["layers"][2].update(in_features=8, out_features=124999999994))
    refused(saved, r"the architecture needs|is 396 bytes, but its header declares")


@pytest.mark.parametrize("depth", [70, 200_000])
def test_deeply_nested_json_is_refused(tmp_path, depth):
    path = tmp_path / "deep.glassnet"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("glassnet.json", "[" * depth + "]" * depth)
    refused(path, "nested")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda m: m.update(model=[]), "'model' must be an object"),
    (lambda m: m["model"].update(dtype="int8"), "'model.dtype' must be 'float32' or 'float64'"),
    (lambda m: m["model"].update(layers=[]), "'model.layers' must be a non-empty list"),
    (lambda m: m["model"]["layers"].__setitem__(0, "Dense"), r"'model.layers\[0\]' must be an object"),
    (lambda m: m["model"].update(input_shape=[-4]), "'model.input_shape' must be a list of positive integers"),
    (lambda m: m["model"]["layers"][0].update(in_features="4"), r"layers\[0\] Dense: in_features must be an integer"),
    (lambda m: m["model"]["layers"][0].update(out_features=0), r"layers\[0\] Dense: out_features must be >= 1"),
    (lambda m: m["model"]["layers"][1].update(type="Evil"), r"layers\[1\] has unknown type 'Evil'"),
    (lambda m: m["arrays"].pop("params.npy"), "'arrays' must list params.npy"),
    (lambda m: m["arrays"].update({"../../etc/passwd": {"sha256": "0"}}), "unexpected member '../../etc/passwd'"),
    (lambda m: m["arrays"].update({"params.npy": "abc"}), "'arrays.params.npy' must be an object"),
    (lambda m: m.update(optimizer={"name": 3}), "'optimizer' must be null or an object"),
    (lambda m: m["optimizer"]["state"].pop("t"), r"invalid model description \(KeyError: 't'\)"),
    (lambda m: m["optimizer"].update(name="evil"), "unknown optimizer 'evil'"),
    (lambda m: m["optimizer"]["config"].update(lr="fast"), "lr must be a real number"),
    (lambda m: m.update(training=[1]), "'training' must be an object"),
    (lambda m: m.update(metadata="x"), "'metadata' must be an object"),
    (lambda m: m["training"].update(rng_state={"bit_generator": "Nope"}), "invalid model description"),
    (lambda m: m.update(version=True), "format version True"),
    # integers beyond any float were OverflowError from float() and from NumPy's generator
    (lambda m: m["optimizer"]["config"].update(lr=10**400), r"lr must be finite; received 1000"),
    (lambda m: m["training"].update(rng_state={"bit_generator": "PCG64", "state": {"state": 10**400, "inc": 1},
                                               "has_uint32": 0, "uinteger": 0}), "invalid model description"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_malformed_field_is_a_model_file_error(saved, edit, message):
    rewrite(saved, edit)
    refused(saved, message)


@pytest.mark.parametrize("edit", [
    lambda m: m["model"]["layers"][1].update(type="Sigmoid"),  # ReLU -> Sigmoid: every answer changes
    lambda m: m["metadata"]["classes"].reverse(),  # the class names swapped
])
def test_an_edited_description_is_refused(saved, edit):
    rewrite(saved, edit, reseal=False)
    refused(saved, "damaged or was edited: glassnet.json does not match its checksum")


@pytest.mark.parametrize(("offset", "value", "message"), [
    (6, 0xEB, r"a damaged or foreign ZIP archive: zip file version 23.5"),  # "version needed to extract"
    (10, 99, r"a damaged or foreign ZIP archive: 'That compression method is not supported'"),
    (8, None, r"a damaged or foreign ZIP archive: .*is encrypted, password required"),  # the flag for encryption
], ids=["version", "method", "encrypted"])
def test_a_zip_directory_that_zipfile_cannot_follow_is_a_model_file_error(saved, offset, value, message):
    """One byte of the central directory changed: NotImplementedError and RuntimeError came out of zipfile raw."""
    data = bytearray(saved.read_bytes())
    at = data.find(b"PK\x01\x02") + offset  # the first member's entry in the central directory
    data[at] = data[at] | 1 if value is None else value
    saved.write_bytes(bytes(data))
    refused(saved, message)


def test_a_loop_of_links_is_named_as_one(tmp_path):
    (tmp_path / "a.glassnet").symlink_to("b.glassnet")
    (tmp_path / "b.glassnet").symlink_to("a.glassnet")
    with pytest.raises(ModelFileError, match=r"a.glassnet is a symbolic link that leads back to itself, not a "
                                             r"model file"):
        gn.load(tmp_path / "a.glassnet")  # was "model file not found"


def test_a_read_only_model_file_is_not_replaced(tmp_path, monkeypatch):
    """The rename that makes a save atomic needs only the folder's permission: a model file made read-only
    (chmod 444) was replaced by any save, its mode kept."""
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([3, 2], rng=0))
    os.chmod(path, 0o444)
    before = path.read_bytes()
    with pytest.raises(PermissionError, match=r"m.glassnet' is read-only \(mode 444\), which glassnet does not "
                                              r"replace: make it writable \(chmod u\+w\) or give another path"):
        gn.save(path, gn.mlp([3, 5], rng=0))
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m.glassnet"]
    from glassnet.core._validation import check_writable

    with pytest.raises(gn.OptionError, match="is read-only"):  # the command line's check before a run
        check_writable(path, "--out")
    os.chmod(path, 0o644)
    gn.save(path, gn.mlp([3, 5], rng=0))
    assert gn.load(path).model.out_features == 5
    real_uid = os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: real_uid + 1)  # as another user sees this 644 file
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(PermissionError, match=rf"belongs to another user \(uid {real_uid}\) and may not be written"):
        gn.save(path, gn.mlp([3, 2], rng=0))
    monkeypatch.undo()

    def refused_folder(**kwargs):  # a folder this user may not write in (root may write anywhere)
        raise PermissionError(13, "Permission denied", os.path.join(kwargs["dir"], ".m.glassnet.1.abcdefgh.tmp"))
    monkeypatch.setattr("tempfile.mkstemp", refused_folder)
    with pytest.raises(PermissionError) as caught:
        gn.save(path, gn.mlp([3, 2], rng=0))
    text = str(caught.value)
    assert f"cannot write in the folder {str(tmp_path)!r}; {path} was not written" in text and ".tmp" not in text


def test_saving_keeps_permissions_and_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = gn.save(tmp_path / "new.glassnet", gn.mlp([2, 1], rng=0))
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        os.chmod(path, 0o640)
        gn.save(path, gn.mlp([2, 1], rng=1))
        assert stat.S_IMODE(path.stat().st_mode) == 0o640  # a re-save keeps the file's mode
        os.umask(0o077)
        assert stat.S_IMODE(gn.save(tmp_path / "private.glassnet", gn.mlp([2, 1], rng=0)).stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_saving_through_a_symbolic_link_updates_its_target(tmp_path):
    real = gn.save(tmp_path / "v1.glassnet", gn.mlp([2, 1], rng=0))
    link = tmp_path / "current.glassnet"
    link.symlink_to(real.name)
    newer = gn.mlp([2, 1], rng=5)
    gn.save(link, newer)
    assert link.is_symlink() and os.readlink(link) == "v1.glassnet"
    np.testing.assert_array_equal(gn.load(real).model.params, newer.params)


def test_the_next_save_removes_what_killed_saves_left(tmp_path):
    path = gn.save(tmp_path / "m.glassnet", gn.mlp([2, 1], rng=0))
    dead = tmp_path / ".m.glassnet.99999999.abcd1234.tmp"  # a save whose process is gone
    old_style = tmp_path / ".m.glassnet.wxyz5678.tmp"  # written by an earlier glassnet, two hours ago
    live = tmp_path / f".m.glassnet.{os.getpid()}.efgh9012.tmp"  # a save in progress
    other = tmp_path / ".other.glassnet.99999999.abcd1234.tmp"  # another model's
    # the user's own files, named alike but not as tempfile names them, and as old
    users = [tmp_path / ".m.glassnet.backup.tmp", tmp_path / ".m.glassnet.99999999.notes.tmp",
             tmp_path / ".m.glassnet.99999999.ABCD1234.tmp", tmp_path / ".m.glassnet.x.abcd1234.tmp"]
    for p in (dead, old_style, live, other, *users):
        p.write_bytes(b"half a model")
    for p in (old_style, *users):
        os.utime(p, (time.time() - 7200, time.time() - 7200))
    gn.save(path, gn.mlp([2, 1], rng=1))
    assert not dead.exists() and not old_style.exists()
    assert live.exists() and other.exists() and all(p.exists() for p in users)
