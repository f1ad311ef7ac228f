"""The suite itself, as a user's clone runs it: MNIST is found where the loader puts it, or skipped with one reason."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MNIST_TEST = "tests/test_saliency.py::test_on_mnist_the_gradient_and_occlusion_point_at_the_same_pixels"


def run_pytest(env_changes, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("GLASSNET_MNIST", "GLASSNET_REQUIRE_MNIST")}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *args],
                          cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_without_mnist_a_test_that_needs_it_skips_with_how_to_get_it(tmp_path):
    proc = run_pytest({"GLASSNET_MNIST": str(tmp_path)}, MNIST_TEST)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 skipped" in proc.stdout
    assert "MNIST not found" in proc.stdout and "glassnet train --dataset mnist" in proc.stdout


@pytest.mark.slow
def test_where_mnist_is_required_a_skip_for_want_of_it_fails_the_run(tmp_path):
    proc = run_pytest({"GLASSNET_MNIST": str(tmp_path), "GLASSNET_REQUIRE_MNIST": "1"}, MNIST_TEST)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "skipped for want of MNIST" in proc.stdout


def test_the_loaders_own_cache_is_searched(tmp_path, monkeypatch):
    """After `glassnet train --dataset mnist` on a machine with internet, the tests read the files it downloaded."""
    import helpers

    monkeypatch.delenv("GLASSNET_MNIST", raising=False)
    monkeypatch.delenv("GLASSNET_USER_DATA", raising=False)  # the user's shell, before the run
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path))
    folders = helpers.mnist_folders()
    assert folders[-1] == tmp_path / "mnist"
    from glassnet.datasets.mnist import default_cache

    assert default_cache() == folders[-1]  # the very folder the loader downloads into
    (tmp_path / "mnist").mkdir()
    for name in helpers.MNIST_NAMES:
        (tmp_path / "mnist" / name).write_bytes(b"")
    shared = folders[0]
    assert helpers.find_mnist() == (shared if shared.is_dir() and all((shared / n).is_file()
                                                                      for n in helpers.MNIST_NAMES) else folders[-1])


def test_workers_look_for_mnist_in_the_users_data_folder_not_the_runs(tmp_path, monkeypatch):
    """xdist's workers inherit the run's own GLASSNET_DATA: they must still search the user's folder."""
    import helpers

    assert "GLASSNET_USER_DATA" in os.environ  # kept by conftest.py for the workers
    monkeypatch.delenv("GLASSNET_MNIST", raising=False)
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "the run's"))
    monkeypatch.setenv("GLASSNET_USER_DATA", str(tmp_path / "the user's"))
    assert helpers.mnist_folders()[-1] == tmp_path / "the user's" / "mnist"
    monkeypatch.setenv("GLASSNET_USER_DATA", "")  # the user had none set: the loader's default
    assert helpers.mnist_folders()[-1] == Path.home() / ".cache" / "glassnet" / "mnist"
