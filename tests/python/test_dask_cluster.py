"""tessera.dask on a real cluster: a LocalCluster of 2 worker processes on
loopback (ports chosen by the OS), started and closed here. Same results as
in memory; a worker killed mid-computation is survived; a chunk's error
reaches the client with the chunk's position."""
import os
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
import dask.array as da  # noqa: E402

import tessera  # noqa: E402
import tessera.dask as tdask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       scheduler_port=0, dashboard_address=None, silence_logs=40)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def test_cluster_matches_memory(client, rng, tmp_path):
    a = (rng.gamma(4.0, 0.25, (301, 257)) * 100).astype(np.float32)
    x = da.from_array(a, chunks=(64, 100))
    for mode in ["reflect", "wrap"]:
        np.testing.assert_array_equal(tdask.enhanced_lee_filter(x, 7, looks=4, mode=mode, threads=1).compute(),
                                      tessera.enhanced_lee_filter(a, 7, looks=4, mode=mode))
    np.testing.assert_array_equal(tdask.maximum_filter(x, 9, threads=1).compute(), tessera.maximum_filter(a, 9))
    # Files: chunks are read on the workers; the writer streams bands.
    tessera.save(a, tmp_path / "a.tif", compression="zstd")
    y = tdask.from_tiff(tmp_path / "a.tif", chunks=(100, 128))
    tdask.to_tiff(tdask.uniform_filter(y, 5), tmp_path / "u.tif", band_rows=128)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "u.tif")), tessera.uniform_filter(a, 5))


def _retained_limit():
    return tessera.retained_limit()


def test_a_worker_keeps_at_most_an_eighth_of_its_memory_limit(client, rng):
    a = rng.random((120, 120))
    x = da.from_array(a, chunks=(60, 60))
    workers = client.scheduler_info()["workers"]
    for address in workers:  # the whole graph on each worker in turn, so that each runs a chunk
        y = client.compute(tdask.uniform_filter(x, 3, threads=1), workers=[address]).result()
        np.testing.assert_array_equal(y, tessera.uniform_filter(a, 3))
    limits = client.run(_retained_limit)
    ours = tessera.retained_limit()  # the client is no worker: the default
    assert set(limits) == set(workers)
    for address, limit in limits.items():
        assert limit == min(ours, workers[address]["memory_limit"] // 8), (address, limit)


def _slow_identity_plus_one(block):
    time.sleep(0.3)
    return block + 1


def test_a_killed_worker_is_survived(client, rng):
    a = rng.random((96, 96))
    x = da.from_array(a, chunks=(16, 16))  # 36 chunks of 0.3 s over 2 workers: several seconds
    future = client.compute(tdask.map_tiles(_slow_identity_plus_one, x, halo=1, dtype=np.float64))
    deadline = time.time() + 30
    while not any(client.processing().values()) and time.time() < deadline:
        time.sleep(0.05)
    victim = sorted(client.scheduler_info()["workers"])[0]
    try:
        client.run(os._exit, 1, workers=[victim])  # the worker's process dies; its nanny starts another
    except Exception:
        pass
    np.testing.assert_array_equal(future.result(timeout=120), a + 1)


def _fails_on_one_chunk(block):
    if (block < -1).any():
        raise ValueError("negative radiance")
    return block


def test_chunk_error_reaches_the_client(client, rng):
    a = rng.random((40, 40))
    a[25, 25] = -5
    x = da.from_array(a, chunks=(20, 20))
    with pytest.raises(ValueError, match=r"negative radiance.*block \(1, 1\)"):
        tdask.map_tiles(_fails_on_one_chunk, x, halo=0, dtype=np.float64).compute()
