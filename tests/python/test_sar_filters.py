"""ESA SNAP's speckle filters (refined_lee_filter, lee_sigma_filter,
idan_filter, boxcar_filter) against float64 references written from the papers and
SNAP's source (tests/python/reference/snap_speckle.py, with its notes), and
a vectorised numpy version of tessera's point-target rule (bench/sar_numpy.py).
SNAP's own unit-test vectors check the references themselves."""

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "reference"))
sys.path.insert(0, str(HERE.parents[1] / "bench"))
import sar_numpy  # noqa: E402
import snap_speckle as ref  # noqa: E402


def speckle(seed, shape, looks, scale=100.0):
    return np.random.default_rng(seed).gamma(looks, 1.0 / looks, shape) * scale


def relative(got, want):
    return float(np.max(np.abs(np.asarray(got, np.float64) - want)) / np.max(np.abs(want)))


def test_the_references_reproduce_snaps_unit_tests():
    ref._self_test()  # SNAP's SpeckleFilterOperatorTest vectors (boxcar, refined Lee, IDAN)


@pytest.mark.parametrize("shape,looks", [((24, 31), 1), ((40, 37), 4), ((17, 23), 2), ((7, 7), 1), ((8, 13), 3)])
def test_refined_lee_equals_the_papers_rule(shape, looks):
    img = speckle(len(shape) * 7 + looks, shape, looks)
    # Noise estimated per pixel (SNAP's way) and from the looks (Lee 1981's).
    want = ref.refined_lee(img, border="reflect", nodata=None, snap_quirks=False)
    got = tessera.refined_lee_filter(img)
    assert got.dtype == np.float32 and relative(got, want) < 1e-6
    want = ref.refined_lee(img, looks=looks, border="reflect", nodata=None, snap_quirks=False, noise="looks")
    assert relative(tessera.refined_lee_filter(img, looks=looks), want) < 1e-6


def test_refined_lee_edges_and_flat_patches():
    # A step edge: the directional window takes the centre's side only.
    img = np.full((21, 21), 10.0)
    img[:, 11:] = 200.0
    img += speckle(3, img.shape, 4, 1.0)
    want = ref.refined_lee(img, border="reflect", nodata=None, snap_quirks=False)
    assert relative(tessera.refined_lee_filter(img), want) < 1e-6
    flat = np.full((9, 9), 5.0)
    np.testing.assert_array_equal(tessera.refined_lee_filter(flat), np.float32(5.0))  # its mean (SNAP: 0)


@pytest.mark.parametrize("looks", [1, 2, 3, 4])
@pytest.mark.parametrize("size,target,sigma", [(7, 3, 0.9), (5, 3, 0.5), (9, 5, 0.7), (11, 3, 0.8)])
def test_lee_sigma_equals_the_rule(looks, size, target, sigma):
    img = speckle(looks * 100 + size, (33, 29), looks)
    img[10:13, 4:7] = 5000.0  # a bright point target
    img[20, 20] = 4000.0      # a lone bright pixel: not a point target (its own sigma range keeps it)
    for amplitude in (False, True):
        kw = dict(looks=looks, size=size, target=target, sigma=sigma)
        want = sar_numpy.lee_sigma_numpy(img, amplitude=amplitude, **kw)
        got = tessera.lee_sigma_filter(img, data="amplitude" if amplitude else "intensity", **kw)
        np.testing.assert_allclose(got, want, rtol=2e-7)
    got = tessera.lee_sigma_filter(img, looks=looks, size=size, target=target, sigma=sigma)
    np.testing.assert_array_equal(got[10:13, 4:7], np.float32(5000.0))


def test_lee_sigma_without_point_targets_equals_snaps_rule():
    for seed in range(3):
        img = speckle(seed, (26, 30), 1)
        want = ref.lee_sigma(img, border="reflect", nodata=None, z98=1e9)
        assert relative(tessera.lee_sigma_filter(img, z98=1e9), want) < 1e-6


def test_lee_sigma_z98_is_the_images_98th_percentile():
    img = speckle(5, (61, 53), 1)
    z98 = np.sort(img.ravel())[int(0.98 * img.size) - 1]
    np.testing.assert_array_equal(tessera.lee_sigma_filter(img), tessera.lee_sigma_filter(img, z98=z98))
    # The same from a lazy pipeline, and for any thread count.
    lazy = tessera.lee_sigma_filter(tessera.asarray(img) * 1.0)
    np.testing.assert_array_equal(lazy.compute(threads=1), tessera.lee_sigma_filter(img))
    np.testing.assert_array_equal(lazy.compute(threads=2), lazy.compute(threads=1))


@pytest.mark.parametrize("shape,looks,size", [((24, 31), 1, 50), ((20, 22), 4, 10), ((15, 17), 2, 5), ((9, 40), 3, 2)])
def test_idan_equals_snaps_rule(shape, looks, size):
    img = speckle(looks * 10 + size, shape, looks)
    img[5:8, 3:9] *= 20  # a bright patch: regions stop at its edge
    for data in ("intensity", "amplitude"):
        got = tessera.idan_filter(img, looks=looks, size=size, data=data)
        want = ref.idan(img, looks=looks, an_size=size, unit=data, nodata=None, border="reflect")
        assert got.dtype == np.float32 and relative(got, want) < 1e-6, data


def test_idan_tiles_give_the_whole():
    img = speckle(4, (400, 380), 1).astype(np.float32)
    a = tessera.idan_filter(tessera.asarray(img), size=20)
    whole = a.compute(threads=1)
    np.testing.assert_array_equal(a.compute(threads=2), whole)
    np.testing.assert_array_equal(a[150:260, 30:200].compute(), whole[150:260, 30:200])


def test_boxcar_is_the_window_mean():
    img = speckle(9, (30, 40), 2)
    np.testing.assert_allclose(tessera.boxcar_filter(img), ndi.uniform_filter(img, 3), rtol=1e-12)
    np.testing.assert_allclose(tessera.boxcar_filter(img, 5, mode="nearest"), ndi.uniform_filter(img, 5, mode="nearest"),
                               rtol=1e-12)
    # Inside, SNAP's boxcar (which truncates at the border) agrees.
    np.testing.assert_allclose(tessera.boxcar_filter(img)[1:-1, 1:-1], ref.boxcar(img, nodata=None)[1:-1, 1:-1],
                               rtol=1e-12)


def test_tiles_and_threads_do_not_change_the_bits():
    img = speckle(11, (700, 650), 1).astype(np.float32)
    for f in (tessera.refined_lee_filter, tessera.lee_sigma_filter):
        a = f(tessera.asarray(img))
        one, two = a.compute(threads=1), a.compute(threads=2)
        np.testing.assert_array_equal(one, two)
        # A crop computes the same pixels as the whole.
        np.testing.assert_array_equal(a[100:300, 50:400].compute(), one[100:300, 50:400])


def test_bad_arguments_are_named():
    img = speckle(1, (10, 10), 1)
    with pytest.raises(ValueError, match="looks must be between 1 and 4"):
        tessera.lee_sigma_filter(img, looks=5)
    with pytest.raises(ValueError, match="sigma must be 0.5, 0.6, 0.7, 0.8 or 0.9"):
        tessera.lee_sigma_filter(img, sigma=0.75)
    with pytest.raises(ValueError, match="target must be"):
        tessera.lee_sigma_filter(img, target=4)
    with pytest.raises(ValueError, match="2-D single-band"):
        tessera.refined_lee_filter(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="looks must be >= 0"):
        tessera.refined_lee_filter(img, looks=-1)
    with pytest.raises(TypeError, match="z98"):
        tessera.lee_sigma_filter(img, z98="high")
    with pytest.raises(ValueError, match="size must be between 2 and 200"):
        tessera.idan_filter(img, size=500)
    with pytest.raises(ValueError, match="looks must be >= 1"):
        tessera.idan_filter(img, looks=0)


def test_dask_needs_z98_and_then_equals_the_whole():
    import dask.array as da
    import tessera.dask as tdask
    img = speckle(8, (90, 70), 1).astype(np.float32)
    with pytest.raises(ValueError, match="give z98"):
        tdask.lee_sigma_filter(da.from_array(img, chunks=30))
    z98 = float(np.sort(img.ravel())[int(0.98 * img.size) - 1])
    got = tdask.lee_sigma_filter(da.from_array(img, chunks=(30, 25)), z98=z98).compute()
    np.testing.assert_array_equal(got, tessera.lee_sigma_filter(img))
    np.testing.assert_array_equal(tdask.idan_filter(da.from_array(img, chunks=(40, 33)), size=10).compute(),
                                  tessera.idan_filter(img, size=10))
