"""Reductions sum/prod/min/max/mean against numpy (and math.fsum for the
float64 accumulation), over arrays, views, files and pipelines, in
evaluate() as numexpr writes them."""

import math
import subprocess
import sys

import numpy as np
import pytest
import tifffile

import tessera
from conftest import DTYPES, random_array

AXES_3D = [None, 0, 1, 2, -1, (0, 2), (1, 2), (0, 1), (2, 0), (0, 1, 2)]


@pytest.mark.parametrize("dtype", [d for d in DTYPES if np.dtype(d).kind != "f"])
@pytest.mark.parametrize("op", ["sum", "prod", "min", "max", "mean"])
def test_integer_and_bool_reductions_equal_numpy(rng, dtype, op):
    x = random_array(rng, (7, 11, 13), dtype)
    if op == "prod":
        x = (x % 3).astype(dtype) if dtype is not np.bool_ else x  # products that do not all wrap to 0
    for axis in AXES_3D:
        got = getattr(tessera, op)(x, axis=axis)
        want = getattr(np, op)(x, axis=axis)
        assert np.asarray(got).dtype == np.asarray(want).dtype, (op, axis)
        if op == "mean":  # float64 sums, in another order than numpy's pairwise one
            # (the int64/uint64 extremes cancel: the error is relative to them)
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14 * np.abs(x.astype(np.float64)).max(),
                                       err_msg=f"{op} axis={axis}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{op} axis={axis}")


def fsum(x, axis):
    return np.apply_along_axis(lambda v: math.fsum(v.tolist()), 0,
                               np.moveaxis(x.astype(np.float64), axis, 0).reshape(x.shape[axis], -1)) \
        .reshape([s for k, s in enumerate(x.shape) if k != axis])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_sums_are_float64_accurate(rng, dtype):
    x = (rng.standard_normal((131, 97)) * 1000).astype(dtype)
    exact = math.fsum(x.astype(np.float64).ravel().tolist())
    got = tessera.sum(x)
    assert got.dtype == dtype
    # float64 accumulation, rounded once: within half an ulp of the exact sum (and a float64 hair).
    assert abs(float(got) - exact) <= 0.5 * np.spacing(dtype(abs(exact))) + 1e-9 * abs(exact)
    for axis in (0, 1):
        ref = fsum(x, axis)
        out = tessera.sum(x, axis=axis)
        assert out.dtype == dtype
        assert np.all(np.abs(out - ref) <= 0.5 * np.spacing(np.abs(ref).astype(dtype)) + 1e-9 * np.abs(ref))
    np.testing.assert_allclose(tessera.mean(x, axis=1), x.astype(np.float64).mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(tessera.prod(x[:3, :5] / 1000, axis=0),
                               np.prod(x[:3, :5].astype(np.float64) / 1000, axis=0), rtol=1e-6)
    for op in ("min", "max"):
        np.testing.assert_array_equal(getattr(tessera, op)(x, axis=0), getattr(np, op)(x, axis=0))
        assert getattr(tessera, op)(x) == getattr(np, op)(x)


def test_nan_propagates_through_min_max_and_sum(rng):
    x = rng.random((5, 9)).astype(np.float32)
    x[2, 3] = np.nan
    for op in ("min", "max", "sum", "mean"):
        np.testing.assert_allclose(getattr(tessera, op)(x, axis=0), getattr(np, op)(x.astype(np.float64), axis=0),
                                   rtol=1e-6, equal_nan=True)
        assert np.isnan(getattr(tessera, op)(x, axis=0)[3]) and np.isnan(getattr(tessera, op)(x))
    x[2, 3] = -np.inf
    assert tessera.min(x) == -np.inf and tessera.max(x) == np.max(x)


@pytest.mark.parametrize("shape", [(1,), (2,), (97,), (1, 1), (3, 1), (1, 200003), (200003, 3), (13, 17, 19, 3)])
def test_odd_prime_and_long_shapes(rng, shape):
    x = rng.integers(-1000, 1000, shape).astype(np.int32)
    for axis in [None] + list(range(len(shape))):
        np.testing.assert_array_equal(tessera.sum(x, axis=axis), np.sum(x, axis=axis))
        np.testing.assert_array_equal(tessera.max(x, axis=axis), np.max(x, axis=axis))


def test_non_contiguous_views_and_lazy_pipelines(rng):
    base = rng.standard_normal((64, 90, 3))
    views = [base[::2, 1::3], base[..., 1], base.transpose(1, 0, 2), base[::-1]]
    for v in views:
        for axis in [None] + list(range(v.ndim)):
            np.testing.assert_allclose(tessera.sum(v, axis=axis), np.sum(v, axis=axis), rtol=1e-12, atol=1e-12)
            np.testing.assert_array_equal(tessera.min(v, axis=axis), np.min(v, axis=axis))
    # A pipeline with a halo: reduced without a full-size temporary.
    a = rng.random((101, 83)).astype(np.float32)
    lazy = tessera.uniform_filter(tessera.asarray(a), 5) * 2
    want = np.asarray(lazy).astype(np.float64)
    assert isinstance(lazy.sum(axis=0), tessera.Image)
    np.testing.assert_allclose(lazy.sum(axis=0).compute(), want.sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(lazy.mean(), want.mean(), rtol=1e-6)


def test_the_same_bits_for_any_thread_count(rng):
    x = (rng.standard_normal((1009, 2003)) * 1e3).astype(np.float32)
    img = tessera.asarray(x) * 1.5
    sums = {t: tessera.sum(img, threads=t) for t in (1, 2, 3, 7)}
    assert len({s.tobytes() for s in sums.values()}) == 1
    rows = {t: img.sum(axis=1).compute(threads=t) for t in (1, 2, 5)}
    assert len({r.tobytes() for r in rows.values()}) == 1
    cols = {t: img.sum(axis=0).compute(threads=t) for t in (1, 2, 5)}
    assert len({c.tobytes() for c in cols.values()}) == 1


def test_files_stream_and_results_save(tmp_path, rng):
    vol = rng.integers(0, 60000, (6, 70, 50), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "vol.tif", vol, photometric="minisblack")
    img = tessera.open(tmp_path / "vol.tif")
    assert img.sum() == vol.sum(dtype=np.uint64)
    np.testing.assert_array_equal(img.max(axis=0).compute(), vol.max(axis=0))
    img.mean(axis=0).save(tmp_path / "mean.tif")
    np.testing.assert_allclose(tifffile.imread(tmp_path / "mean.tif"), vol.mean(axis=0), rtol=1e-12)


def test_evaluate_reductions_as_numexpr_writes_them(rng):
    a = rng.random((211, 157)).astype(np.float32)
    b = rng.random((211, 157)).astype(np.float32)
    ref = math.fsum((a.astype(np.float64) * b).ravel().tolist())
    got = tessera.evaluate("sum(a * b)")
    assert got.dtype == np.float32 and abs(float(got) - ref) <= np.spacing(np.float32(ref))
    np.testing.assert_allclose(tessera.evaluate("sum(a * b, axis=0)"), (a.astype(np.float64) * b).sum(0), rtol=1e-6)
    np.testing.assert_allclose(tessera.evaluate("sum(a * b, 1)"), (a.astype(np.float64) * b).sum(1), rtol=1e-6)
    assert tessera.evaluate("max(where(a > b, a, -b))") == np.max(np.where(a > b, a, -b))
    assert tessera.evaluate("min(a[0, 1] - a, axis=None)", mode="nearest") == \
        np.min(np.concatenate([a[:, 1:], a[:, -1:]], axis=1) - a)
    out = np.empty(157, np.float64)
    assert tessera.evaluate("prod(a + 0.5, axis=0)", out=out) is out
    np.testing.assert_allclose(out, np.prod(a.astype(np.float64) + 0.5, axis=0), rtol=1e-5)


def test_bad_reductions_are_named():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="axis 2 is out of bounds for an image of 2 dimensions"):
        tessera.sum(x, axis=2)
    with pytest.raises(ValueError, match="axis -3 is out of bounds"):
        tessera.sum(x, axis=(0, -3))
    with pytest.raises(ValueError, match="axis 1 is repeated"):
        tessera.max(x, axis=(1, 1))
    with pytest.raises(ValueError, match="repeated|out of bounds"):
        tessera.max(x, axis=(1, -1))
    with pytest.raises(TypeError, match="axis must be None, an integer or a tuple"):
        tessera.sum(x, axis=1.0)
    with pytest.raises(ValueError, match="zero-size array to reduction operation minimum which has no identity"):
        tessera.min(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="zero-size array to reduction operation maximum"):
        tessera.max(np.zeros((0, 3)), axis=0)
    assert tessera.sum(np.zeros((0, 3))) == 0 and tessera.prod(np.zeros((0, 3), np.int32)) == 1
    np.testing.assert_array_equal(tessera.max(np.zeros((0, 3)), axis=1), np.zeros(0))
    with pytest.raises(ValueError, match="must be the last operation"):
        tessera.evaluate("sum(x) + 1")
    with pytest.raises(ValueError, match="axis must be a constant"):
        tessera.evaluate("sum(x, axis=k)")
    with pytest.raises(ValueError, match="takes an expression and an optional axis"):
        tessera.evaluate("sum(x, 0, 1)")
    with pytest.raises(ValueError, match="out= is not taken"):
        tessera.evaluate("sum(x)", out=np.empty(()))


def test_streaming_sum_of_files_needs_no_copy_of_them(tmp_path):
    """sum(a * b) over two 2000 x 4000 float32 files (32 MB each) in a fresh
    process: the peak RSS grows by far less than one input."""
    rng = np.random.default_rng(1)
    a = rng.random((2000, 4000), dtype=np.float32)
    b = rng.random((2000, 4000), dtype=np.float32)
    tifffile.imwrite(tmp_path / "a.tif", a)
    tifffile.imwrite(tmp_path / "b.tif", b, compression="zlib")  # one decoded, one read in place
    script = f"""
import resource, tessera
a, b = tessera.open(r"{tmp_path}/a.tif"), tessera.open(r"{tmp_path}/b.tif")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
s = tessera.evaluate("sum(a * b)")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(float(s), (after - before) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    total, grown_mb = float(out[0]), float(out[1])
    assert total == pytest.approx(math.fsum((a.astype(np.float64) * b).ravel().tolist()), rel=1e-7)
    assert grown_mb < 16, f"peak RSS grew by {grown_mb:.0f} MB summing two 32 MB files"
