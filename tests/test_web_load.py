"""A bounded load test of `glassnet serve` on loopback: 2,000 requests, 8 at a time."""

import importlib.util
from pathlib import Path

import pytest

import glassnet as gn
from helpers import needs_mnist

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "web_load.py"


@needs_mnist
def test_two_thousand_requests_without_error_or_memory_growth(mnist, tmp_path, capsys, monkeypatch):
    pytest.importorskip("waitress")
    train, _ = mnist
    model = gn.mlp([784, 64, 10], rng=0)
    model.fit(train.X[:10000], train.y[:10000], loss="cross_entropy", optimizer="adam", epochs=1)
    path = gn.save(tmp_path / "m.glassnet", model,
                   metadata={"dataset": "mnist", "classes": train.classes, "image_shape": [28, 28]})
    monkeypatch.syspath_prepend(str(BENCH.parent))  # as the script finds its neighbours (_args) when run
    spec = importlib.util.spec_from_file_location("web_load", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    report = bench.run(str(path), requests=2000, concurrency=8)
    print(capsys.readouterr().out)
    assert report["errors"] == 0
    assert report["bad_requests_answered_4xx"] == report["requests"] // 50
    assert report["rss_end_mib"] - report["rss_after_warmup_mib"] < 15  # stable memory
