"""The memory tessera keeps after large results are freed (8 MiB and more):
reused by the next result of the same size, with the same values as fresh
memory; given back by release_memory(), after 2 s unused, and in a forked
child. retained_bytes() also counts the engine's scratch pool (what a run's
tile scratch and workspaces leave for the next run); kept_results() is the
rest, the large results this file is about."""
import multiprocessing
import time

import numpy as np
import scipy.ndimage as ndi

import tessera

SHAPE = (1031, 2053)  # prime sizes; 8.1 MiB as float32, 16.2 MiB as float64


def kept_results():
    return tessera.retained_bytes() - tessera._core._scratch_pool_bytes()


def _data(dtype):
    return np.random.default_rng(3).standard_normal(SHAPE).astype(dtype)


def test_a_freed_result_is_kept_and_reused_with_the_same_values():
    tessera.release_memory()
    a = _data(np.float32)
    expected = ndi.uniform_filter(a.astype(np.float64), (5, 3), mode="reflect")
    first = tessera.uniform_filter(a, (5, 3))
    address = first.ctypes.data
    np.testing.assert_allclose(first, expected, rtol=1e-6, atol=1e-6)
    assert kept_results() == 0
    first[:] = np.nan  # what the next result must overwrite
    del first
    assert kept_results() >= a.nbytes
    second = tessera.uniform_filter(a, (5, 3))
    assert second.ctypes.data == address
    assert kept_results() == 0
    np.testing.assert_allclose(second, expected, rtol=1e-6, atol=1e-6)
    del second
    tessera.release_memory()
    assert kept_results() == 0


def test_a_kept_block_serves_a_result_of_another_dtype_from_a_strided_view():
    tessera.release_memory()
    a = _data(np.float64)[:, ::2]  # a strided view: 1031 x 1027 float64, 8.5 MB
    expected = ndi.maximum_filter(a, 3, mode="nearest")
    kept = tessera.maximum_filter(_data(np.float32), 3)  # 8.5 MB too: the same five 2 MiB pages
    address = kept.ctypes.data
    kept[:] = np.nan
    del kept
    result = tessera.maximum_filter(a, 3, mode="nearest")
    assert result.ctypes.data == address and result.dtype == np.float64
    np.testing.assert_array_equal(result, expected)
    del result
    tessera.release_memory()


def test_kept_memory_goes_back_to_the_system_after_two_seconds_unused():
    tessera.release_memory()
    r = (tessera.asarray(_data(np.float32)) * 2.0).compute()
    del r
    held = kept_results()
    deadline = time.time() + 20
    while kept_results() and time.time() < deadline:
        time.sleep(0.05)
    assert held > 0 and kept_results() == 0


def _child(queue):
    try:
        at_start = kept_results()
        a = _data(np.float32)
        results = []
        for _ in range(3):
            r = (tessera.asarray(a) * 3.0 + 1.0).compute()
            results.append(bool(np.array_equal(r, a * np.float32(3.0) + np.float32(1.0))))
            del r
        queue.put((at_start, results, kept_results()))
    except BaseException as e:  # the parent fails on anything but a result
        queue.put(repr(e))


def test_a_forked_child_starts_with_nothing_kept_and_reuses_its_own():
    tessera.release_memory()
    r = (tessera.asarray(_data(np.float32)) + 1.0).compute()
    del r
    held = kept_results()
    assert held > 0
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    answer = queue.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0
    assert answer == (0, [True, True, True], held), answer
    tessera.release_memory()


def test_the_limit_caps_what_is_kept_and_zero_keeps_nothing():
    tessera.release_memory()
    default = tessera.retained_limit()
    assert 0 < default <= 4 << 30
    try:
        r = (tessera.asarray(_data(np.float32)) * 2.0).compute()
        block = r.nbytes
        del r
        assert kept_results() >= block
        tessera.set_retained_limit(block // 2)  # what is kept beyond the new cap goes back now
        assert tessera.retained_limit() == block // 2 and kept_results() == 0
        tessera.set_retained_limit(0)
        for _ in range(2):
            r = (tessera.asarray(_data(np.float32)) * 2.0).compute()
            np.testing.assert_array_equal(r, _data(np.float32) * np.float32(2.0))
            del r
            assert kept_results() == 0
    finally:
        tessera.set_retained_limit(default)
    assert tessera.retained_limit() == default


def test_the_scratch_pool_is_counted_capped_and_released():
    # What a run's tile scratch and workspaces leave for the next run is part
    # of retained_bytes(), goes with release_memory(), and a forked child
    # starts without it.
    tessera.release_memory()
    tessera.uniform_filter(_data(np.float32), 11)
    scratch = tessera._core._scratch_pool_bytes()
    assert 0 < scratch <= 64 << 20
    assert tessera.retained_bytes() >= scratch
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda q: q.put(tessera._core._scratch_pool_bytes()), args=(queue,))
    child.start()
    assert queue.get(timeout=60) == 0
    child.join(60)
    tessera.release_memory()
    assert tessera.retained_bytes() == 0
