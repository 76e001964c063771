"""Neighbourhood and speckle filters against scipy.ndimage and float64 numpy
formulas written here: every mode, dtypes, odd/prime shapes, shapes smaller
than the window, views, edge cases, laziness, errors and the CLI."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]


def speckle_image(rng, shape, dtype=np.float32):
    """Gamma-distributed speckle on a piecewise-smooth scene, positive."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    scene = 50 + 40 * np.sin(yy / 7.0) * np.cos(xx / 11.0) + 30 * (xx > shape[1] // 2)
    img = scene * rng.gamma(4.0, 1 / 4.0, shape)
    if np.dtype(dtype).kind in "ui":
        return np.clip(np.rint(img), 0, np.iinfo(dtype).max).astype(dtype)
    return img.astype(dtype)


# ---------------------------------------------------------------- uniform ----

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.uint16, np.int16])
@pytest.mark.parametrize("shape,size", [((37, 41), 7), ((37, 41), (3, 5)), ((5, 3), 9), ((61, 53), 20),
                                        ((23, 29, 3), (7, 7, 1)), ((13, 17, 11), 5), ((101,), 11),
                                        ((4, 5), 1), ((31, 2), (4, 6)), ((7, 300), 255)])
def test_uniform_filter_matches_scipy(mode, dtype, shape, size, rng):
    a = (rng.random(shape) * 200 + 1).astype(dtype)
    got = tessera.uniform_filter(a, size, mode=mode, cval=3.5)
    want = ndi.uniform_filter(a.astype(np.float64), size, mode=mode, cval=3.5)
    assert got.dtype == (np.float64 if dtype == np.float64 else np.float32)
    np.testing.assert_allclose(got, want, rtol=1e-5 if got.dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("view", ["reversed", "strided", "transposed"])
def test_uniform_filter_on_views(view, rng):
    base = rng.random((64, 90)).astype(np.float32) + 1
    a = {"reversed": base[::-1, ::-1], "strided": base[::3, 1::2], "transposed": base.T}[view]
    np.testing.assert_allclose(tessera.uniform_filter(a, 5), ndi.uniform_filter(a.astype(np.float64), 5), rtol=1e-5)


def test_uniform_filter_constant_image_is_exact():
    for dtype in [np.float32, np.float64]:
        c = np.full((300, 200), 1e6, dtype)
        for size in [3, 7, 15, 31]:
            r = tessera.uniform_filter(c, size)
            assert np.all(r == 1e6), (dtype, size)


def test_uniform_filter_output_argument(rng):
    a = rng.integers(0, 255, (50, 60), dtype=np.uint8)
    want = ndi.uniform_filter(a.astype(np.float64), 5)
    np.testing.assert_allclose(tessera.uniform_filter(a, 5, output=np.float64), want, rtol=1e-12)
    out = np.empty((50, 60), np.uint8)
    assert tessera.uniform_filter(a, 5, output=out) is out
    np.testing.assert_array_equal(out, np.rint(want).astype(np.uint8))


def test_results_do_not_depend_on_tiling_or_threads(rng):
    a = rng.random((3001, 517)).astype(np.float32) * 100
    for size in [7, 40]:
        r1 = tessera.uniform_filter(a, size, threads=1)
        r2 = tessera.uniform_filter(a, size, threads=2)
        r3 = tessera.uniform_filter(a, size, threads=7)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(r1, r3)
        # and a crop of the input's result equals the result's crop (the
        # windows sum the same values in the same order wherever tiles start)
        full = tessera.uniform_filter(a, size, mode="wrap")
        np.testing.assert_array_equal(full, tessera.uniform_filter(a, size, mode="wrap", threads=3))


def test_uniform_filter_errors(rng):
    a = np.ones((10, 10), np.float32)
    with pytest.raises(ValueError, match="between 0 and 1025"):
        tessera.uniform_filter(a, -1)
    with pytest.raises(ValueError, match="between 0 and 1025"):
        tessera.uniform_filter(a, 1026)
    with pytest.raises(ValueError, match="one entry per axis"):
        tessera.uniform_filter(a, (3, 3, 3))
    with pytest.raises(ValueError, match="boundary mode"):
        tessera.uniform_filter(a, 3, mode="edge")
    with pytest.raises(TypeError, match="dtype"):
        tessera.uniform_filter(np.ones(5, np.complex64), 3)


# ---------------------------------------------------------- local stats ----

def reference_moments(a, size, mode="reflect"):
    x = a.astype(np.float64)
    mean = ndi.uniform_filter(x, size, mode=mode)
    var = np.maximum(ndi.uniform_filter(x * x, size, mode=mode) - mean * mean, 0)
    return mean, var


@pytest.mark.parametrize("mode", MODES)
def test_local_mean_std(mode, rng):
    a = speckle_image(rng, (67, 89))
    mean, std = tessera.local_mean_std(a, 7, mode=mode)
    rm, rv = reference_moments(a, 7, mode)
    np.testing.assert_allclose(mean, rm, rtol=1e-6)
    np.testing.assert_allclose(std, np.sqrt(rv), rtol=1e-5, atol=1e-4)
    assert (std >= 0).all()


@pytest.mark.parametrize("shape,size", [((9, 23, 31), 3), ((17, 13, 11), (5, 1, 3)), ((40, 50), (8, 2)),
                                        ((300,), 9), ((12, 14), 11)])
def test_local_mean_std_any_dimension(shape, size, rng):
    a = rng.gamma(2.0, 10.0, shape).astype(np.float32)
    mean, std = tessera.local_mean_std(a, size, mode="mirror")
    rm, rv = reference_moments(a, size, "mirror")
    np.testing.assert_allclose(mean, rm, rtol=1e-6)
    np.testing.assert_allclose(std, np.sqrt(rv), rtol=1e-4, atol=1e-4)
    mean64, std64 = tessera.local_mean_std(a.astype(np.float64), size, mode="mirror")
    assert mean64.dtype == np.float64
    np.testing.assert_allclose(std64, np.sqrt(rv), rtol=1e-9, atol=1e-9)


def test_local_std_without_cancellation():
    """A large mean and a small spread: E[x^2] - E[x]^2 in float64 sums."""
    rng = np.random.default_rng(5)
    a = (1e4 + rng.standard_normal((200, 200))).astype(np.float32)
    _, std = tessera.local_mean_std(a, 9)
    x = a.astype(np.float64)
    # two-pass reference: the mean of squared deviations from each window's mean
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, 4, mode="symmetric"), (9, 9))
    want = windows.std(axis=(2, 3))
    np.testing.assert_allclose(std, want, rtol=1e-4)
    const = np.full((50, 50), 12345.678, np.float32)
    assert np.all(tessera.local_mean_std(const, 5)[1] == 0)


# --------------------------------------------------------------- speckle ----

def reference_speckle(name, a, size=7, looks=1.0, damping=1.0, mode="reflect"):
    """The issue's formulas, in float64 numpy."""
    im, var = reference_moments(a, size, mode)
    ic = a.astype(np.float64)
    with np.errstate(all="ignore"):
        ci2 = var / (im * im)
        ci = np.sqrt(ci2)
        cu2 = 1.0 / looks
        cu = np.sqrt(cu2)
        if name == "lee":
            w = np.clip(1 - cu2 / ci2, 0, 1)
            r = ic * w + im * (1 - w)
        elif name == "kuan":
            w = np.clip((1 - cu2 / ci2) / (1 + cu2), 0, 1)
            r = ic * w + im * (1 - w)
        elif name == "enhanced_lee":
            cmax = np.sqrt(1 + 2 / looks)
            w = np.exp(-damping * (ci - cu) / (cmax - ci))
            r = np.where(ci <= cu, im, np.where(ci >= cmax, ic, im * w + ic * (1 - w)))
        elif name == "gamma_map":
            cmax = np.sqrt(2) * cu
            A = (1 + cu2) / (ci2 - cu2)
            B = A - looks - 1
            D = np.maximum(im * im * B * B + 4 * A * looks * im * ic, 0)
            r = np.where(ci <= cu, im, np.where(ci >= cmax, ic, (B * im + np.sqrt(D)) / (2 * A)))
        elif name == "frost":
            h = size // 2
            pad = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap",
                   "constant": "constant"}[mode]
            p = np.pad(ic, h, mode=pad)
            num = np.zeros_like(ic)
            den = np.zeros_like(ic)
            k = damping * ci2
            k = np.where(np.isfinite(k), k, 0)
            for dy in range(-h, h + 1):
                for dx in range(-h, h + 1):
                    m = np.exp(-k * np.hypot(dy, dx))
                    num += p[h + dy:h + dy + a.shape[0], h + dx:h + dx + a.shape[1]] * m
                    den += m
            r = num / den
        r = np.where(im == 0, im, r)
    return r, ci


SPECKLE = ["lee", "kuan", "enhanced_lee", "gamma_map", "frost"]


def assert_speckle_close(name, got, want, ci, looks):
    assert got.dtype == np.float32
    cu = np.sqrt(1 / looks)
    edges = [cu, np.sqrt(1 + 2 / looks), np.sqrt(2) * cu]
    # float32 arithmetic may fall on the other side of a threshold where ci is on it
    ok = np.ones(got.shape, bool)
    for e in edges:
        ok &= np.abs(ci - e) > 1e-4
    np.testing.assert_allclose(got[ok], want[ok], rtol=2e-4, atol=1e-3)


@pytest.mark.parametrize("name", SPECKLE)
@pytest.mark.parametrize("mode", MODES)
def test_speckle_filters_match_the_formulas(name, mode, rng):
    a = speckle_image(rng, (53, 71))
    looks = 4.0 if name != "frost" else 1.0
    kwargs = {"looks": looks} if name != "frost" else {}
    got = getattr(tessera, name + "_filter")(a, 7, mode=mode, **kwargs)
    want, ci = reference_speckle(name, a, 7, looks, 2.0 if name == "frost" else 1.0, mode)
    assert_speckle_close(name, got, want, ci, looks)


@pytest.mark.parametrize("name", SPECKLE)
@pytest.mark.parametrize("dtype", [np.float64, np.uint8, np.uint16])
def test_speckle_filters_on_other_dtypes(name, dtype, rng):
    a = speckle_image(rng, (41, 37), dtype)
    kwargs = {"looks": 2.0} if name != "frost" else {}
    got = getattr(tessera, name + "_filter")(a, 5, **kwargs)
    want, ci = reference_speckle(name, a, 5, 2.0 if name != "frost" else 1.0, 2.0 if name == "frost" else 1.0)
    assert_speckle_close(name, got, want, ci, 2.0 if name != "frost" else 1.0)


@pytest.mark.parametrize("name", SPECKLE)
def test_speckle_small_shapes_views_and_damping(name, rng):
    a = speckle_image(rng, (3, 4))  # smaller than the window
    kwargs = {"looks": 3.0} if name != "frost" else {}
    got = getattr(tessera, name + "_filter")(a, 9, **kwargs)
    want, ci = reference_speckle(name, a, 9, 3.0 if name != "frost" else 1.0, 2.0 if name == "frost" else 1.0)
    assert_speckle_close(name, got, want, ci, 3.0 if name != "frost" else 1.0)
    b = speckle_image(rng, (60, 80))[::-2, 1::3]
    got = getattr(tessera, name + "_filter")(b, 3, **kwargs)
    want, ci = reference_speckle(name, b, 3, 3.0 if name != "frost" else 1.0, 2.0 if name == "frost" else 1.0)
    assert_speckle_close(name, got, want, ci, 3.0 if name != "frost" else 1.0)
    if name in ("enhanced_lee", "frost"):
        got = getattr(tessera, name + "_filter")(b, 5, damping=0.5, **kwargs)
        want, ci = reference_speckle(name, b, 5, 3.0 if name != "frost" else 1.0, 0.5)
        assert_speckle_close(name, got, want, ci, 3.0 if name != "frost" else 1.0)


@pytest.mark.parametrize("name", SPECKLE)
def test_speckle_wide_images_long_windows_and_strided_out(name, rng):
    """Wide rows (the moments go in bands of a few rows), a window past the
    fused row pass (17 > 16), and a result written into a strided view."""
    looks = 2.0 if name != "frost" else 1.0
    damping = 2.0 if name == "frost" else 1.0
    kwargs = {"looks": looks} if name != "frost" else {}
    a = speckle_image(rng, (23, 3001))
    for size in (7, 17):
        got = getattr(tessera, name + "_filter")(a, size, mode="mirror", **kwargs)
        want, ci = reference_speckle(name, a, size, looks, damping, "mirror")
        assert_speckle_close(name, got, want, ci, looks)
    b = a[:, :97]
    want = getattr(tessera, name + "_filter")(b, 5, **kwargs)
    out = np.full((23, 2 * 97), -1.0, np.float32)
    getattr(tessera, name + "_filter")(tessera.asarray(b), 5, **kwargs).compute(out=out[:, ::2])
    np.testing.assert_array_equal(out[:, ::2], want)
    assert np.all(out[:, 1::2] == -1.0)


@pytest.mark.parametrize("name", SPECKLE)
def test_dark_flat_and_constant_windows(name):
    a = np.zeros((40, 40), np.float32)
    a[20:, :] = 7.5  # a dark half (mean 0) and a constant half
    r = getattr(tessera, name + "_filter")(a, 5)
    assert np.isfinite(r).all()
    assert np.all(r[:15] == 0)      # mean 0: the result is the mean
    assert np.all(r[25:] == 7.5)    # constant: every filter keeps it


@pytest.mark.parametrize("name", SPECKLE)
def test_nan_input_spreads_to_its_windows_only(name, rng):
    a = speckle_image(rng, (30, 30))
    a[15, 15] = np.nan
    r = getattr(tessera, name + "_filter")(a, 5)
    assert np.isnan(r[13:18, 13:18]).all()
    far = np.ones(r.shape, bool)
    far[13:18, 13:18] = False
    assert np.isfinite(r[far]).all()


def test_filters_are_lazy_on_images_and_chain(rng):
    a = speckle_image(rng, (80, 90))
    img = tessera.asarray(a)
    lazy = tessera.enhanced_lee_filter(img * 2, 7, looks=4) + 1
    assert isinstance(lazy, tessera.Image)
    want = tessera.enhanced_lee_filter(a * 2, 7, looks=4) + 1
    np.testing.assert_array_equal(np.asarray(lazy), want)
    u = tessera.uniform_filter(tessera.uniform_filter(img, 3), 5)
    np.testing.assert_allclose(np.asarray(u), ndi.uniform_filter(ndi.uniform_filter(a.astype(np.float64), 3), 5),
                               rtol=1e-5)


@pytest.mark.parametrize("name", SPECKLE)
def test_speckle_errors(name):
    f = getattr(tessera, name + "_filter")
    with pytest.raises(ValueError, match="2-D"):
        f(np.ones((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="odd"):
        f(np.ones((9, 9), np.float32), 4)
    if name != "frost":
        with pytest.raises(ValueError, match="looks"):
            f(np.ones((9, 9), np.float32), 3, looks=0)
    with pytest.raises(ValueError, match="boundary mode"):
        f(np.ones((9, 9), np.float32), 3, mode="bogus")


# ------------------------------------------------------------------- CLI ----

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")  # make sanitize sets it


@pytest.mark.parametrize("name,func", [("enhanced-lee", "enhanced_lee_filter"), ("lee", "lee_filter"),
                                       ("frost", "frost_filter"), ("uniform", "uniform_filter"),
                                       ("maximum", "maximum_filter"), ("median", "median_filter")])
def test_cli_filter(name, func, tmp_path, rng):
    a = speckle_image(rng, (50, 40))
    np.save(tmp_path / "in.npy", a)
    args = [CLI, "filter", name, str(tmp_path / "in.npy"), str(tmp_path / "out.npy"), "--size", "5", "--mode", "wrap"]
    if name in ("enhanced-lee", "lee"):
        args += ["--looks", "4"]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    kwargs = {"looks": 4} if name in ("enhanced-lee", "lee") else {}
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), getattr(tessera, func)(a, 5, mode="wrap", **kwargs))


def test_cli_filter_errors(tmp_path):
    np.save(tmp_path / "in.npy", np.ones((5, 5, 3), np.float32))
    for args in (["bogus"], ["lee"], ["lee", "--size", "4"]):
        name, *rest = args
        r = subprocess.run([CLI, "filter", name, str(tmp_path / "in.npy"), str(tmp_path / "o.npy"), *rest],
                           capture_output=True, text=True)
        assert r.returncode != 0 and r.stderr.startswith("tessera: error:"), r.stderr
        assert not (tmp_path / "o.npy").exists()


@pytest.mark.parametrize("name", ["lee_filter", "kuan_filter", "enhanced_lee_filter", "frost_filter",
                                  "gamma_map_filter"])
def test_speckle_results_do_not_depend_on_tiling(rng, name):
    # An element's result depends on its window only: not on the thread
    # count, the tile it falls in, or where a vector block ends.
    a = (rng.random((203, 97)) + 0.01).astype(np.float32)
    f = getattr(tessera, name)
    one = f(a, 7, threads=1)
    np.testing.assert_array_equal(f(a, 7, threads=2), one)
    np.testing.assert_array_equal(f(a[:, :60], 7, threads=2)[:, :50], f(a[:, :60], 7, threads=1)[:, :50])
