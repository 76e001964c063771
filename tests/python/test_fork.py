"""A process forked after tessera has run (multiprocessing's default start
method on Linux) computes with all its threads, as its parent does: the
child starts its own workers rather than waiting on the parent's. (Before
the pool handled fork, about one child in eight hung in its first parallel
call, on the condition variable the parent's waiting workers left behind.)"""
import multiprocessing
import queue as queues

import numpy as np
import scipy.ndimage as ndi

import tessera


def _filter_in_child(a, results):
    try:
        got = [tessera.uniform_filter(a, 5, threads=threads) for threads in (2, 3)]
        results.put([float(np.abs(g - ndi.uniform_filter(a.astype(np.float64), 5)).max()) for g in got])
    except BaseException as e:  # the parent fails on anything but a result
        results.put(repr(e))


def test_forked_children_compute_on_their_own_threads():
    a = np.random.default_rng(5).random((1031, 517), dtype=np.float32)
    context = multiprocessing.get_context("fork")
    hung = []
    for attempt in range(40):
        tessera.uniform_filter(a, 5, threads=3)  # the parent's workers have just been woken when it forks
        results = context.Queue()
        child = context.Process(target=_filter_in_child, args=(a, results))
        child.start()
        try:
            answer = results.get(timeout=20)
        except queues.Empty:
            hung.append(attempt)
            child.kill()
            child.join()
            continue
        child.join(20)
        assert child.exitcode == 0
        assert isinstance(answer, list) and max(answer) < 1e-5, answer
    assert not hung, f"children {hung} of 40 never finished"
    np.testing.assert_allclose(tessera.uniform_filter(a, 5, threads=3), ndi.uniform_filter(a.astype(np.float64), 5),
                               atol=1e-5)  # the parent's own workers still run
