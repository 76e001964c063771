"""scipy's origin= on the window filters (uniform, minimum, maximum, median,
rank, percentile and their 1-D forms): output i reads from
i - size // 2 - origin. scipy.ndimage is the reference in every mode, dtype,
footprint, 1-D to 3-D, with windows large enough for the block algorithms,
and the bits do not depend on the tiling."""

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]


def origins_for(size):
    return sorted({-(size // 2), (size - 1) // 2, 0, 1 if size > 2 else 0})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_box_filters_move_by_origin(rng, mode, dtype):
    x = (rng.standard_normal((29, 37)) * 40 + 100).astype(dtype)
    for size in [(4, 5), (3, 2), (6, 1)]:
        for o0 in origins_for(size[0]):
            for o1 in origins_for(size[1]):
                origin = (o0, o1)
                for name in ("maximum_filter", "minimum_filter", "median_filter"):
                    got = getattr(tessera, name)(x, size, mode=mode, cval=7, origin=origin)
                    want = getattr(ndi, name)(x, size, mode=mode, cval=7, origin=origin)
                    np.testing.assert_array_equal(got, want, err_msg=f"{name} {size} {origin}")
                got = tessera.uniform_filter(x.astype(np.float64), size, mode=mode, cval=7, origin=origin)
                want = ndi.uniform_filter(x.astype(np.float64), size, mode=mode, cval=7, origin=origin)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9, err_msg=f"uniform {size} {origin}")


def test_rank_and_percentile_with_footprints(rng):
    x = (rng.random((31, 27)) * 1000).astype(np.uint16)
    f = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 1]], bool)
    for origin in [(-1, -2), (1, 1), (0, -1), 1]:
        for mode in ("reflect", "wrap", "constant"):
            np.testing.assert_array_equal(tessera.rank_filter(x, 2, footprint=f, mode=mode, origin=origin),
                                          ndi.rank_filter(x, 2, footprint=f, mode=mode, origin=origin))
            np.testing.assert_array_equal(tessera.percentile_filter(x, 70, footprint=f, mode=mode, origin=origin),
                                          ndi.percentile_filter(x, 70, footprint=f, mode=mode, origin=origin))
            np.testing.assert_array_equal(tessera.maximum_filter(x, footprint=f, mode=mode, origin=origin),
                                          ndi.maximum_filter(x, footprint=f, mode=mode, origin=origin))
            np.testing.assert_array_equal(tessera.median_filter(x, footprint=f, mode=mode, origin=origin),
                                          ndi.median_filter(x, footprint=f, mode=mode, origin=origin))


def test_large_windows_and_any_tiling(rng):
    """Windows past the direct sums (van Herk/Gil-Werman blocks) with a moved
    window: scipy's values, and the same bits on one thread and on two, on
    an image large enough for many tiles."""
    x = rng.standard_normal((700, 650)).astype(np.float32)
    for size, origin in [(21, (-10, 7)), ((16, 9), (7, -4))]:
        one = tessera.uniform_filter(x, size, origin=origin, threads=1)
        two = tessera.uniform_filter(x, size, origin=origin, threads=2)
        np.testing.assert_array_equal(one, two)
        np.testing.assert_allclose(one, ndi.uniform_filter(x.astype(np.float64), size, origin=origin), rtol=1e-5,
                                   atol=1e-6)
        for name in ("maximum_filter", "minimum_filter"):
            got = getattr(tessera, name)(x, size, origin=origin, threads=2)
            np.testing.assert_array_equal(got, getattr(ndi, name)(x, size, origin=origin), err_msg=name)
    b = (rng.random((300, 310)) * 255).astype(np.uint8)
    np.testing.assert_array_equal(tessera.median_filter(b, 15, origin=(-7, 7), threads=2),
                                  ndi.median_filter(b, 15, origin=(-7, 7)))


def test_three_d_and_axes(rng):
    v = rng.standard_normal((9, 11, 10))
    np.testing.assert_array_equal(tessera.maximum_filter(v, (3, 4, 2), origin=(1, -2, 0), mode="nearest"),
                                  ndi.maximum_filter(v, (3, 4, 2), origin=(1, -2, 0), mode="nearest"))
    np.testing.assert_allclose(tessera.uniform_filter(v, 4, origin=1), ndi.uniform_filter(v, 4, origin=1), rtol=1e-12,
                               atol=1e-14)
    # With axes=, one origin per listed axis (scipy 1.11's rule): the same as
    # size 1 and origin 0 on the other axes.
    np.testing.assert_array_equal(tessera.minimum_filter(v, (4, 3), origin=(-2, 1), axes=(2, 0)),
                                  ndi.minimum_filter(v, (3, 1, 4), origin=(1, 0, -2)))
    np.testing.assert_array_equal(tessera.median_filter(v, 3, origin=-1, axes=(1,)),
                                  ndi.median_filter(v, (1, 3, 1), origin=(0, -1, 0)))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_one_d_forms(rng, axis):
    x = rng.standard_normal((23, 26))
    for size in (1, 4, 7):
        for origin in origins_for(size):
            for name in ("maximum_filter1d", "minimum_filter1d"):
                np.testing.assert_array_equal(getattr(tessera, name)(x, size, axis, origin=origin, mode="mirror"),
                                              getattr(ndi, name)(x, size, axis, origin=origin, mode="mirror"))
            np.testing.assert_allclose(tessera.uniform_filter1d(x, size, axis, origin=origin, mode="wrap"),
                                       ndi.uniform_filter1d(x, size, axis, origin=origin, mode="wrap"), rtol=1e-12,
                                       atol=1e-14)
    # scipy's positional order: input, size, axis, output, mode, cval, origin
    np.testing.assert_array_equal(tessera.maximum_filter1d(x, 4, axis, None, "nearest", 0.0, -2),
                                  ndi.maximum_filter1d(x, 4, axis, None, "nearest", 0.0, -2))


def test_dask_twin_keeps_the_origin(rng):
    da = pytest.importorskip("dask.array")
    import tessera.dask as tdask
    x = rng.random((61, 47)).astype(np.float32)
    d = da.from_array(x, chunks=(16, 13))
    for name, size, origin in [("maximum_filter", 5, (2, -2)), ("uniform_filter", (4, 6), (1, -3)),
                               ("median_filter", 3, (-1, 1))]:
        np.testing.assert_array_equal(getattr(tdask, name)(d, size, origin=origin).compute(),
                                      getattr(tessera, name)(x, size, origin=origin), err_msg=name)


def test_bad_origins_name_the_problem(rng):
    x = rng.random((10, 12))
    with pytest.raises(ValueError, match="origin 2 on axis 0 must be between -1 and 1 for a window of size 3"):
        tessera.maximum_filter(x, 3, origin=2)
    with pytest.raises(ValueError, match="origin -3 on axis 1 must be between -2 and 1 for a window of size 4"):
        tessera.uniform_filter(x, 4, origin=(0, -3))
    with pytest.raises(ValueError, match="origin must be one number or one per axis"):
        tessera.median_filter(x, 3, origin=(0, 0, 0))
    with pytest.raises(ValueError, match="origin 1 on axis 0 must be between 0 and 0 for a window of size 1"):
        tessera.uniform_filter(x, (1, 3), origin=1)
    with pytest.raises(ValueError, match="must be between -1 and 0 for a window of size 2"):
        tessera.maximum_filter1d(x, 2, origin=1)
