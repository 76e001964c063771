"""maximum_filter and minimum_filter against scipy.ndimage, exactly: every
mode, dtypes, sizes up to 255 (both the direct and the block paths), odd and
prime shapes, shapes smaller than the window, views, NaN, laziness."""
import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]
SHAPES = [((37, 41), 7), ((37, 41), (3, 15)), ((5, 3), 9), ((61, 53), 20), ((23, 29, 3), (7, 7, 1)),
          ((13, 17, 11), 5), ((101,), 11), ((4, 5), 1), ((31, 2), (4, 6)), ((7, 300), 255), ((50, 60), 16)]


@pytest.mark.parametrize("func", ["maximum_filter", "minimum_filter"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int16, np.uint32, np.bool_])
@pytest.mark.parametrize("shape,size", SHAPES)
def test_matches_scipy_exactly(func, mode, dtype, shape, size, rng):
    a = rng.random(shape) > 0.7 if dtype == np.bool_ else (rng.random(shape) * 200).astype(dtype)
    got = getattr(tessera, func)(a, size, mode=mode, cval=3)
    want = getattr(ndi, func)(a, size, mode=mode, cval=3)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("func", ["maximum_filter", "minimum_filter"])
def test_views_threads_and_tiling(func, rng):
    base = rng.integers(0, 1000, (400, 301)).astype(np.int32)
    for v in [base[::-1], base[::3, 1::2], base.T]:
        np.testing.assert_array_equal(getattr(tessera, func)(v, (5, 17)), getattr(ndi, func)(v, (5, 17)))
    r1 = getattr(tessera, func)(base, 33, threads=1)
    np.testing.assert_array_equal(r1, getattr(tessera, func)(base, 33, threads=3))


def test_nan_propagates_within_its_windows(rng):
    a = rng.random((30, 30))
    a[10, 10] = np.nan
    for func in [tessera.maximum_filter, tessera.minimum_filter]:
        r = func(a, 5)
        assert np.isnan(r[8:13, 8:13]).all()
        mask = np.ones(r.shape, bool)
        mask[8:13, 8:13] = False
        assert np.isfinite(r[mask]).all()


def test_lazy_chain(rng):
    a = rng.random((64, 80)).astype(np.float32)
    lazy = tessera.maximum_filter(tessera.asarray(a) * 2, 9) - tessera.minimum_filter(tessera.asarray(a), 3)
    assert isinstance(lazy, tessera.Image)
    np.testing.assert_array_equal(np.asarray(lazy), ndi.maximum_filter(a * 2, 9) - ndi.minimum_filter(a, 3))


def test_errors():
    with pytest.raises(ValueError, match="between 0 and 1025"):
        tessera.maximum_filter(np.zeros((4, 4)), 1100)
    with pytest.raises(ValueError, match="between 0 and 1025"):
        tessera.maximum_filter(np.zeros((4, 4)), -1)
    with pytest.raises(ValueError, match="boundary mode"):
        tessera.minimum_filter(np.zeros((4, 4)), 3, mode="edge")


MEDIAN_SHAPES = [((37, 41), 3), ((37, 41), (3, 7)), ((5, 3), 7), ((23, 29, 3), (5, 5, 1)), ((13, 17, 11), 3),
                 ((101,), 4), ((4, 5), 1), ((31, 2), (2, 6)), ((9, 8, 7), (7, 7, 7)), ((2, 3), 6)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int16])
@pytest.mark.parametrize("shape,size", MEDIAN_SHAPES)
def test_median_matches_scipy_exactly(mode, dtype, shape, size, rng):
    a = (rng.random(shape) * 200).astype(dtype)
    a.flat[::7] = a.flat[1]  # ties
    got = tessera.median_filter(a, size, mode=mode, cval=3)
    want = ndi.median_filter(a, size, mode=mode, cval=3)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_median_views_lazy_and_errors(rng):
    base = rng.integers(0, 50, (60, 70)).astype(np.int32)
    v = base[::-2, 1::3]
    np.testing.assert_array_equal(tessera.median_filter(v, 5), ndi.median_filter(v, 5))
    lazy = tessera.median_filter(tessera.asarray(base) + 1, 3)
    np.testing.assert_array_equal(np.asarray(lazy), ndi.median_filter(base + 1, 3))
    # Any window (there was a limit of 7).
    np.testing.assert_array_equal(tessera.median_filter(base, (9, 13)), ndi.median_filter(base, (9, 13)))
    with pytest.raises(ValueError, match="give a size or a footprint"):
        tessera.median_filter(base)
