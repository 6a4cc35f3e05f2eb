"""The same chunks on a real Dask cluster (scheduler and worker processes on loopback)."""

import pytest

distributed = pytest.importorskip("distributed", reason="install the test extras: pip install '.[test]'")

from screenkit.errors import UsageError  # noqa: E402
from screenkit.screen.run import screen_library  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


def test_dask_backend_gives_identical_results(broken_sdf, small_models, tmp_path, cluster):
    local, remote = tmp_path / "local.csv", tmp_path / "dask.csv"
    screen_library(broken_sdf, local, models_dir=small_models, chunk_size=2)
    summary = screen_library(broken_sdf, remote, models_dir=small_models, chunk_size=2, backend="dask",
                             scheduler=cluster.scheduler_address)
    assert summary.n_records == 8
    assert remote.read_bytes() == local.read_bytes()


def test_unreachable_scheduler_is_a_clear_error(broken_sdf, small_models, tmp_path):
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        screen_library(broken_sdf, tmp_path / "o.csv", models_dir=small_models, backend="dask",
                       scheduler="tcp://127.0.0.1:9")
    with pytest.raises(UsageError, match="--scheduler"):
        screen_library(broken_sdf, tmp_path / "o.csv", models_dir=small_models, backend="dask")
