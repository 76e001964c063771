"""map_tiles: tiles, uneven edges, halos in every boundary mode (against
scipy.ndimage), output dtype and trailing axes, errors with the tile's place."""
import threading

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera
from conftest import random_array

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]


def box3_valid(t):
    """3x3 mean of a tile that carries a halo of 1: the valid part, as the tile's core."""
    return sum(t[1 + dy:t.shape[0] - 1 + dy, 1 + dx:t.shape[1] - 1 + dx]
               for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9.0


@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (101, 67), (257, 509)])
@pytest.mark.parametrize("tile", [(1, 1), (16, 16), (64, 33), (512, 512)])
def test_pointwise_function_over_uneven_tiles(shape, tile, rng):
    a = random_array(rng, shape, np.float32)
    got = tessera.map_tiles(lambda t: np.sqrt(np.abs(t)) * 2, a, tile=tile)
    np.testing.assert_array_equal(got, np.sqrt(np.abs(a)) * 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(2, 3), (37, 41), (200, 131)])
def test_halo_is_filled_by_the_boundary_mode_and_trimmed(mode, shape, rng):
    a = random_array(rng, shape, np.float64)
    # the function returns the core (valid) region
    got = tessera.map_tiles(box3_valid, a, tile=(32, 16), halo=1, mode=mode, cval=2.5)
    want = ndi.uniform_filter(a, 3, mode=mode, cval=2.5)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    # the function returns the haloed tile; map_tiles trims it
    def full(t):
        out = np.zeros_like(t)
        out[1:-1, 1:-1] = box3_valid(t)
        return out
    got = tessera.map_tiles(full, a, tile=(32, 16), halo=(1, 1), mode=mode, cval=2.5)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_halo_larger_than_the_image(rng):
    a = random_array(rng, (3, 4), np.float64)
    got = tessera.map_tiles(lambda t: t[5:-5, 5:-5] * 1.0, a, tile=(2, 2), halo=5, mode="wrap")
    np.testing.assert_array_equal(got, a)
    seen = []
    tessera.map_tiles(lambda t: (seen.append(t.copy()), t[5:-5, 5:-5])[1], a, tile=(8, 8), halo=5, mode="mirror")
    np.testing.assert_array_equal(seen[0], np.pad(a, 5, mode="reflect"))  # numpy's reflect is scipy's mirror


def test_several_inputs_trailing_axes_and_dtypes(rng):
    img = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
    weights = random_array(rng, (50, 70), np.float32)
    got = tessera.map_tiles(lambda i, w: (i * w[..., None]).sum(axis=2), img, weights, tile=(16, 16))
    want = (img * weights[..., None]).sum(axis=2)
    assert got.dtype == want.dtype and got.shape == (50, 70)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    got = tessera.map_tiles(lambda i: i[..., ::-1], img, tile=(16, 16))  # keeps the channel axis
    np.testing.assert_array_equal(got, img[..., ::-1])
    got = tessera.map_tiles(lambda i: i / 2, img, tile=(16, 16), out_dtype=np.uint8)
    np.testing.assert_array_equal(got, np.rint(img / 2).astype(np.uint8))


def test_function_is_called_once_per_tile_on_the_tile_grid(rng):
    a = random_array(rng, (100, 90), np.float32)
    calls, lock = [], threading.Lock()

    def f(t):
        with lock:
            calls.append(t.shape)
        return t
    tessera.map_tiles(f, a, tile=(32, 40), threads=2)
    assert len(calls) == 4 * 3
    assert sorted(calls) == sorted([(h, w) for h in (32, 32, 32, 4) for w in (40, 40, 10)])


def test_inputs_are_read_only_views(rng):
    a = random_array(rng, (10, 10), np.float32)

    def f(t):
        t[0, 0] = 1
        return t
    with pytest.raises(ValueError, match="read-only"):
        tessera.map_tiles(f, a, tile=(4, 4))


def test_an_exception_names_the_tile(rng):
    a = random_array(rng, (100, 100), np.float32)

    def f(t):
        if t.shape[0] < 32:
            raise ZeroDivisionError("bad tile")
        return t
    with pytest.raises(ZeroDivisionError, match="bad tile") as e:
        tessera.map_tiles(f, a, tile=(32, 32), threads=2)
    assert any("the tile at [96:100" in n for n in e.value.__notes__)


def test_bad_results_and_arguments(rng):
    a = random_array(rng, (40, 40), np.float32)
    with pytest.raises(ValueError, match=r"returned shape \(3, 3\)"):
        tessera.map_tiles(lambda t: np.zeros((3, 3)), a, tile=(16, 16))
    with pytest.raises(TypeError, match="result has dtype <U4"):
        tessera.map_tiles(lambda t: "nope", a, tile=(16, 16))
    with pytest.raises(ValueError, match="trailing axes"):
        tessera.map_tiles(lambda t: np.zeros(t.shape + ((1,) if t.shape[0] == 16 else (2,))), a, tile=(16, 16))
    with pytest.raises(ValueError, match="boundary mode"):
        tessera.map_tiles(lambda t: t, a, mode="bogus")
    with pytest.raises(ValueError, match="tile sizes must be positive"):
        tessera.map_tiles(lambda t: t, a, tile=(0, 4))
    with pytest.raises(ValueError, match="first 2 axes must match"):
        tessera.map_tiles(lambda t, u: t, a, np.zeros((40, 41)), tile=(16, 16))
    with pytest.raises(ValueError, match="at least one input"):
        tessera.map_tiles(lambda: 0)


def test_lazy_inputs(rng):
    a = random_array(rng, (64, 48), np.float32)
    got = tessera.map_tiles(lambda t: t + 1, tessera.asarray(a) * 2, tile=(16, 16))
    np.testing.assert_array_equal(got, a * 2 + 1)


def handler_name():
    from numpy.core.multiarray import get_handler_name
    return get_handler_name()


def test_the_functions_arrays_reuse_the_last_tiles_memory_and_stay_intact(rng):
    """Inside a tile numpy's arrays take their memory from tessera (numpy's
    allocator hook, set on the calling thread only), so a tile's temporaries
    land on the memory the last tile freed. Arrays that outlive their tile
    and the call keep their values while later tiles reuse freed blocks;
    zeros are zeros on reused memory; a resize keeps its data; the hook is
    gone after the call, even when the function raises."""
    outside = handler_name()
    a = random_array(rng, (700, 900), np.float64)
    kept, names = [], set()

    def f(t):
        names.add(handler_name())
        junk = np.full(t.shape, 7.0)  # freed at once: its block is reused below
        del junk
        z = np.zeros_like(t)
        assert not z.any()
        big = t.copy()
        big.resize(t.size * 2, refcheck=False)  # numpy reallocates and zero-fills the rest
        assert np.array_equal(big[:t.size], t.ravel()) and not big[t.size:].any()
        kept.append((t * 3 + z, t.copy()))  # outlive the tile and the call
        return t * 2 + z
    for threads in (1, 2):
        kept.clear()
        r = tessera.map_tiles(f, a, tile=(128, 200), threads=threads)
        np.testing.assert_array_equal(r, a * 2)
        # More tiles that allocate and free: blocks still held must not be handed out.
        tessera.map_tiles(lambda t: np.full(t.shape, -1.0) + np.full(t.shape, 5.0) * t, a, tile=(128, 200),
                          threads=threads)
        assert len(kept) == 6 * 5
        for triple, tile in kept:
            np.testing.assert_array_equal(triple, tile * 3)
    assert names == {"tessera_tile_temporaries"}
    assert handler_name() == outside
    with pytest.raises(ZeroDivisionError):
        tessera.map_tiles(lambda t: 1 / 0, a, tile=(128, 200), threads=2)
    assert handler_name() == outside
    assert tessera._core._scratch_pool_bytes() <= 64 << 20


def test_an_array_too_large_for_memory_in_a_tile_is_a_memory_error(rng):
    a = random_array(rng, (64, 64), np.float32)
    with pytest.raises(MemoryError) as e:
        tessera.map_tiles(lambda t: np.empty(1 << 60, np.uint8), a, tile=(32, 32), threads=2)
    assert any("the tile at" in n for n in e.value.__notes__)
    np.testing.assert_array_equal(tessera.map_tiles(lambda t: t + 1, a, tile=(32, 32)), a + 1)
