"""map_tiles(workers="processes") (the kernels issue, part 3): a pure-Python
tile function on forked worker processes, inputs and output in shared
memory. Results equal the threads version (itself checked against numpy in
test_map_tiles.py) in every mode; errors name the tile; nothing is left
behind: no shared-memory segment, no process, after success, an error or
Ctrl-C."""
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import tessera

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from seed_kernels import white_to_transparent_loop  # noqa: E402  (the 001 seed's loop)


def segments():
    return {f for f in os.listdir("/dev/shm") if f.startswith("psm_")}


def test_the_001_loop_on_processes_equals_numpy(rng):
    img = rng.integers(0, 256, (97, 131, 4), dtype=np.uint8)
    img[rng.random((97, 131)) < 0.3, :3] = 250
    before = segments()
    got = tessera.map_tiles(white_to_transparent_loop, img, tile=(32, 40), workers="processes", threads=2)
    ref = np.where((img[..., 0:1] > 240) & (img[..., 1:2] > 240) & (img[..., 2:3] > 240), 0, img)
    np.testing.assert_array_equal(got, ref)
    assert segments() == before and not multiprocessing.active_children()


@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "wrap", "constant"])
def test_halos_and_modes_equal_the_threads_version(mode, rng):
    a = rng.standard_normal((53, 47)).astype(np.float32)
    b = rng.integers(0, 9, (53, 47, 2)).astype(np.int16)

    def f(x, y):
        return x[:, :, None] * y + x[::-1, :, None]  # reads the halo, depends on position in the tile

    kw = dict(tile=(16, 13), halo=(3, 2), mode=mode, cval=1.5)
    got = tessera.map_tiles(f, a, b, workers="processes", threads=2, **kw)
    np.testing.assert_array_equal(got, np.asarray(tessera.map_tiles(f, a, b, **kw)))
    lazy = tessera.uniform_filter(a, 3)  # a lazy input is computed into shared memory
    got = tessera.map_tiles(lambda t: t * 2, lazy, tile=(20, 20), halo=1, mode=mode, workers="processes")
    np.testing.assert_array_equal(got, np.asarray(lazy) * 2)


def test_an_exception_names_its_tile_and_leaves_nothing(rng):
    a = rng.random((64, 64))
    before = segments()

    def fails(t):
        if t[0, 0] == a[32, 32]:
            raise ZeroDivisionError("bad pixel")
        return t

    with pytest.raises(ZeroDivisionError, match="bad pixel") as info:
        tessera.map_tiles(fails, a, tile=(32, 32), workers="processes", threads=2)
    assert "the tile at ((32, 64), (32, 64))" in "".join(getattr(info.value, "__notes__", []))
    assert segments() == before and not multiprocessing.active_children()
    with pytest.raises(ValueError, match="workers must be"):
        tessera.map_tiles(lambda t: t, a, workers="fibres")
    with pytest.raises(ValueError, match="leading axes must be"):
        tessera.map_tiles(lambda t: t[:3], a, tile=(32, 32), workers="processes")


def test_ctrl_c_stops_every_worker_and_leaves_nothing(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent("""
        import sys, time, numpy as np, tessera
        def slow(t):
            if t[0, 0]:  # every tile but the first, which the parent runs itself
                print("ready", flush=True)
                time.sleep(30)
            return t
        a = np.ones((64, 64))
        a[:8, :8] = 0
        try:
            tessera.map_tiles(slow, a, tile=(8, 8), workers="processes", threads=2)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """))
    before = segments()
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert "ready" in p.stdout.readline()  # workers are sleeping in tiles
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        assert out.rstrip().endswith("interrupted") and p.returncode == 0
    finally:
        p.kill()
    assert segments() == before
    # No worker outlives its parent (they would be orphans of init, running `slow`).
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-f", str(script)], capture_output=True, text=True).stdout.split()
    assert leftovers == []


def test_values_convert_by_tesseras_rule_as_with_threads(rng):
    a = rng.integers(0, 256, (40, 30), dtype=np.uint8)
    kw = dict(tile=(16, 16), halo=2, mode="constant", cval=-0.7, out_dtype="uint8")

    def f(t):
        return t * 1.5  # float results stored as uint8: rounded and saturated

    np.testing.assert_array_equal(tessera.map_tiles(f, a, workers="processes", threads=2, **kw),
                                  np.asarray(tessera.map_tiles(f, a, **kw)))


def test_a_worker_that_dies_is_an_error_not_a_hang(rng):
    from concurrent.futures.process import BrokenProcessPool
    a = rng.random((64, 64))

    def dies(t):
        if t[0, 0] == a[32, 0]:
            os._exit(3)
        return t

    before = segments()
    with pytest.raises(BrokenProcessPool):
        tessera.map_tiles(dies, a, tile=(32, 32), workers="processes", threads=2)
    assert segments() == before and not multiprocessing.active_children()


def test_workers_die_with_a_parent_killed_outright(tmp_path):
    # SIGKILL leaves the parent no chance to clean up: the workers go with it
    # (PR_SET_PDEATHSIG) and multiprocessing's tracker removes the segments.
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent("""
        import time, numpy as np, tessera
        def slow(t):
            if t[0, 0]:
                print("ready", flush=True)
                time.sleep(60)
            return t
        a = np.ones((64, 64))
        a[:8, :8] = 0
        tessera.map_tiles(slow, a, tile=(8, 8), workers="processes", threads=2)
    """))
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert "ready" in p.stdout.readline()
    p.kill()
    p.wait()
    time.sleep(1.0)
    assert subprocess.run(["pgrep", "-f", str(script)], capture_output=True, text=True).stdout.split() == []
