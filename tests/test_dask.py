"""A hyper-parameter search on a Dask cluster scores exactly as the same search in one process."""

import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="Dask's distributed scheduler (the dask extra)")

import joblib  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from glassnet.core.threads import ENVIRONMENT  # noqa: E402
from glassnet.sklearn import GlassnetClassifier  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]

GRID = {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]}


def search():
    X, y = load_digits(return_X_y=True)
    est = GlassnetClassifier((16,), max_iter=15, batch_size=64, random_state=0)
    return GridSearchCV(est, GRID, cv=3), X[:600] / 16, y[:600]


def worker_threads():
    from glassnet.core.threads import auto_threads
    return auto_threads()


def worker_environment():
    import os
    return {name: os.environ.get(name) for name in ENVIRONMENT}


@pytest.fixture(scope="module")
def client():
    # the workers start without this suite's one-thread settings: what they get is Dask's own
    saved = {name: os.environ.pop(name) for name in ENVIRONMENT if name in os.environ}
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
    finally:
        os.environ.update(saved)
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_grid_search_on_a_local_cluster_scores_as_in_one_process(client):
    one, X, y = search()
    one.fit(X, y)
    on_dask, X, y = search()
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_dask.fit(X, y)
    assert len({t["worker"] for t in tasks.data}) == 2  # both workers fitted
    assert len(tasks.data) >= 2 * 2 * 3
    for key in ("mean_test_score", "std_test_score", *(f"split{i}_test_score" for i in range(3))):
        np.testing.assert_array_equal(on_dask.cv_results_[key], one.cv_results_[key], err_msg=key)
    assert on_dask.best_params_ == one.best_params_
    np.testing.assert_array_equal(on_dask.predict(X), one.predict(X))


def test_a_worker_with_one_task_thread_trains_with_one_blas_thread(client):
    environments = list(client.run(worker_environment).values())
    assert environments[0]["GLASSNET_THREADS"] is None and environments[0]["OMP_NUM_THREADS"] == "1"  # Dask's
    assert set(client.run(worker_threads).values()) == {1}
