"""rank_filter, percentile_filter, median_filter for any window, and
footprints on median/minimum/maximum, against scipy.ndimage exactly: every
dtype, mode, odd/prime/even windows, 1-D to 3-D, views; the sliding
histogram (8/16-bit boxes) and the selection (everything else) alike."""

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]
DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64]


def data(rng, shape, dtype):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "ui" else None
    if info is not None:
        a = rng.integers(info.min, int(info.max) + 1, shape).astype(dtype)
        a.flat[::5] = a.flat[3]  # ties
        return a
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_rank_percentile_and_median_equal_scipy(rng, dtype, mode):
    a = data(rng, (37, 41), dtype)
    for size in [(15, 15), (1, 9), (9, 1), (4, 6), 3, (2, 2), (17, 3)]:
        np.testing.assert_array_equal(tessera.median_filter(a, size, mode=mode, cval=3),
                                      ndi.median_filter(a, size, mode=mode, cval=3), err_msg=str(size))
        for rank in (0, 1, -1, -3):
            np.testing.assert_array_equal(tessera.rank_filter(a, rank, size, mode=mode, cval=3),
                                          ndi.rank_filter(a, rank, size, mode=mode, cval=3))
        for percentile in (0, 10, 50, 99.5, 100, -20):
            np.testing.assert_array_equal(tessera.percentile_filter(a, percentile, size, mode=mode, cval=3),
                                          ndi.percentile_filter(a, percentile, size, mode=mode, cval=3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_footprints(rng, dtype):
    a = data(rng, (31, 29), dtype)
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)
    for footprint in [cross, rng.random((5, 4)) > 0.4, np.ones((3, 7), bool), rng.random((1, 6)) > 0.3,
                      np.eye(5, dtype=bool), cross.astype(np.uint8)]:
        for mode in ("reflect", "constant"):
            for name in ("median_filter", "minimum_filter", "maximum_filter"):
                got = getattr(tessera, name)(a, footprint=footprint, mode=mode, cval=1)
                np.testing.assert_array_equal(got, getattr(ndi, name)(a, footprint=footprint, mode=mode, cval=1))
            np.testing.assert_array_equal(tessera.rank_filter(a, 1, footprint=footprint, mode=mode),
                                          ndi.rank_filter(a, 1, footprint=footprint, mode=mode))
            np.testing.assert_array_equal(tessera.percentile_filter(a, 70, footprint=footprint, mode=mode),
                                          ndi.percentile_filter(a, 70, footprint=footprint, mode=mode))


def test_three_dimensional_windows_and_views(rng):
    v = rng.integers(0, 255, (9, 10, 11)).astype(np.uint8)
    for size in [(3, 5, 1), (1, 5, 3), 3, (5, 1, 1), (2, 3, 4)]:
        np.testing.assert_array_equal(tessera.median_filter(v, size), ndi.median_filter(v, size))
        np.testing.assert_array_equal(tessera.median_filter(v.astype(np.float32), size),
                                      ndi.median_filter(v.astype(np.float32), size))
    ball = np.zeros((3, 3, 3), bool)
    ball[1, :, 1] = ball[:, 1, 1] = ball[1, 1, :] = True
    np.testing.assert_array_equal(tessera.median_filter(v, footprint=ball), ndi.median_filter(v, footprint=ball))
    base = rng.integers(0, 60000, (80, 90)).astype(np.uint16)
    view = base[::-2, 1::3]
    np.testing.assert_array_equal(tessera.median_filter(view, 7), ndi.median_filter(view, 7))
    lazy = tessera.percentile_filter(tessera.asarray(base) // 2, 25, (5, 9))
    np.testing.assert_array_equal(np.asarray(lazy), ndi.percentile_filter(base // 2, 25, (5, 9)))
    one = rng.integers(0, 9, (101,)).astype(np.int16)
    np.testing.assert_array_equal(tessera.median_filter(one, 11), ndi.median_filter(one, 11))


def test_nan_sorts_above_numbers(rng):
    a = rng.standard_normal((12, 13))
    a[4, 5] = np.nan
    got = tessera.median_filter(a, 3)
    assert np.isnan(got).sum() == 0  # one NaN of nine never reaches the middle
    assert np.isnan(tessera.maximum_filter(a, footprint=np.ones((3, 2), bool) | True)[4, 5])


def test_bad_footprints_ranks_and_percentiles(rng):
    a = rng.random((10, 12))
    with pytest.raises(ValueError, match="footprint has 1 dimension, the input 2"):
        tessera.median_filter(a, footprint=np.ones(3, bool))
    with pytest.raises(ValueError, match="footprint selects no element"):
        tessera.maximum_filter(a, footprint=np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="footprint must be boolean"):
        tessera.minimum_filter(a, footprint=np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="rank 9 is outside the window of 9 elements"):
        tessera.rank_filter(a, 9, 3)
    with pytest.raises(ValueError, match="rank -10 is outside"):
        tessera.rank_filter(a, -10, 3)
    with pytest.raises(ValueError, match="percentile must be between -100 and 100"):
        tessera.percentile_filter(a, 101, 3)
    with pytest.raises(ValueError, match="give a size or a footprint"):
        tessera.percentile_filter(a, 50)
    with pytest.raises(TypeError, match="footprint"):
        tessera.median_filter(a, footprint="cross")


def test_cli_footprint_from_a_file(tmp_path, rng):
    import subprocess
    import sys
    from pathlib import Path
    cli = Path(sys.executable).parent / "tessera"
    import os
    cli = os.environ.get("TESSERA_CLI") or str(cli)
    a = rng.integers(0, 255, (30, 40)).astype(np.uint8)
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "cross.npy", cross)
    subprocess.run([cli, "median-filter", str(tmp_path / "a.npy"), str(tmp_path / "m.npy"), "--footprint",
                    str(tmp_path / "cross.npy")], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "m.npy"), ndi.median_filter(a, footprint=cross))
    subprocess.run([cli, "percentile-filter", str(tmp_path / "a.npy"), str(tmp_path / "p.npy"), "--percentile", "90",
                    "--size", "15"], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), ndi.percentile_filter(a, 90, 15))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_histogram_windows(rng, dtype):
    """Float boxes of 25 elements or more take the sliding histogram of the
    values' top 16 order-preserving bits, then select within the answer's
    bin: scipy's values with ties, data inside one bin, infinities, -0.0,
    tiny and huge magnitudes, 1-D windows on either axis, 2-D windows of 3-D
    data, many tiles (any tiling, the same values)."""
    cases = {
        "normal": rng.standard_normal((57, 61)),
        "one bin": 1000.0 + rng.random((57, 61)) * 1e-3,
        "ties": np.round(rng.standard_normal((57, 61)) * 3) / 3,
        "magnitudes": rng.standard_normal((57, 61)) * 10.0 ** rng.integers(-30, 30, (57, 61)),
    }
    special = rng.standard_normal((57, 61))
    special.flat[::7] = np.inf
    special.flat[3::11] = -np.inf
    special.flat[5::13] = -0.0
    special.flat[6::17] = 0.0
    cases["special"] = special
    for label, a in cases.items():
        a = a.astype(dtype)
        for size in [(5, 5), (7, 9), (1, 31), (27, 1), (15, 15)]:
            for rank in (0, 7, 24, -1):
                np.testing.assert_array_equal(tessera.rank_filter(a, rank, size, mode="mirror"),
                                              ndi.rank_filter(a, rank, size, mode="mirror"), err_msg=f"{label} {size}")
            np.testing.assert_array_equal(tessera.median_filter(a, size, mode="constant", cval=0.25),
                                          ndi.median_filter(a, size, mode="constant", cval=0.25), err_msg=label)
    v = rng.standard_normal((4, 40, 45)).astype(dtype)
    np.testing.assert_array_equal(tessera.percentile_filter(v, 30, (1, 7, 5)), ndi.percentile_filter(v, 30, (1, 7, 5)))
    big = rng.standard_normal((300, 280)).astype(dtype)
    np.testing.assert_array_equal(tessera.median_filter(big, 11, threads=2), ndi.median_filter(big, 11))


def test_float_histogram_nan_sorts_above_numbers(rng):
    a = rng.standard_normal((40, 45)).astype(np.float32)
    a[10:20, 10:20] = np.nan
    a[30, 30] = -np.nan
    got = tessera.rank_filter(a, -1, (5, 5))  # the largest: NaN wherever a NaN is in the window
    near = ndi.maximum_filter(np.isnan(a).astype(np.uint8), (5, 5)).astype(bool)
    np.testing.assert_array_equal(np.isnan(got), near)
    smallest = ndi.minimum_filter(np.where(np.isnan(a), np.inf, a), 5)
    smallest[np.isinf(smallest)] = np.nan  # windows of NaN alone
    np.testing.assert_array_equal(tessera.rank_filter(a, 0, (5, 5)), smallest)
