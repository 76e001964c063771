"""scipy.ndimage's derivative and 1-D filters (sobel, prewitt, laplace,
gaussian_laplace, gaussian_gradient_magnitude, uniform_filter1d,
minimum_filter1d, maximum_filter1d, gaussian_filter1d, convolve1d) against
scipy itself: every mode, 1-D to 3-D, odd and prime sizes, views."""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]
SHAPES = [(1,), (2,), (31,), (1, 1), (37, 41), (1, 17), (7, 11, 13)]


def inputs(rng):
    for shape in SHAPES:
        yield rng.standard_normal(shape).astype(np.float32)
        yield rng.standard_normal(shape)
    base = rng.standard_normal((40, 60))
    yield base[::2, 1::3]  # a strided view
    yield base.T


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["sobel", "prewitt"])
def test_sobel_and_prewitt_are_scipys_bits(rng, mode, name):
    for x in inputs(rng):
        for axis in range(-x.ndim, x.ndim):
            got = getattr(tessera, name)(x, axis=axis, mode=mode, cval=0.5)
            want = getattr(ndi, name)(x, axis=axis, mode=mode, cval=0.5)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {x.shape} axis={axis}")


def awkward_float32(rng, shape):
    """float32 values 10^-40 to 10^38 apart (so that differences round and
    overflow), with signed zeros, infinities, NaN and +-3e38 in a pattern."""
    with np.errstate(over="ignore"):
        x = (rng.standard_normal(shape) * 10.0 ** rng.integers(-40, 39, shape)).astype(np.float32)
    x[::7, ::5] = -0.0
    x[::9, 1::4] = 0.0
    x[3::11, ::13] = np.inf
    x[5::17, 2::19] = -np.inf
    x[::23, 1::29] = np.nan
    x[1::31, ::3] = np.float32(3e38)
    x[2::31, ::3] = np.float32(-3e38)
    return x


@pytest.mark.parametrize("name", ["sobel", "prewitt"])
def test_two_d_derivatives_are_scipys_bits_on_awkward_float32(rng, name):
    """2-D sobel and prewitt run as one node whose float32 derivative is taken
    in float32: still scipy's bits where differences round (exponents far
    apart), overflow, meet infinities, NaN and signed zeros, over many tiles,
    on 1 and 2 threads, with a mode per axis and through a view."""
    x = awkward_float32(rng, (517, 1301))
    for data in (x, x[::-1, 1::2]):
        for axis in (0, 1):
            for mode in ("reflect", ["nearest", "wrap"], "constant"):
                want = getattr(ndi, name)(data, axis=axis, mode=mode, cval=-2.5)
                for threads in (1, 2):
                    got = getattr(tessera, name)(tessera.asarray(data), axis=axis, mode=mode, cval=-2.5).compute(
                        threads=threads)
                    np.testing.assert_array_equal(got, want, err_msg=f"{name} axis={axis} {mode}")
                    numbers = ~np.isnan(want)
                    assert np.array_equal(np.signbit(got[numbers]), np.signbit(want[numbers])), "signs of zero"


@pytest.mark.parametrize("cval", [0.1, -1e-3, 1234.567, np.nan])
def test_a_cval_float32_cannot_hold_pads_as_scipy_pads(rng, cval):
    """scipy pads its float64 lines with cval itself: float32 input (and each
    float32 pass of sobel and prewitt) is padded with 0.1, not float32(0.1)."""
    weights = rng.standard_normal((3, 3)).astype(np.float32)
    for x in (rng.standard_normal((23, 31)).astype(np.float32), rng.standard_normal((7, 9, 11)).astype(np.float32)):
        k = weights if x.ndim == 2 else weights[None]
        mode = "constant"
        calls = [lambda m: m.correlate(x, k, mode=mode, cval=cval), lambda m: m.convolve(x, k, mode=mode, cval=cval),
                 lambda m: m.correlate1d(x, [1.0, 2.0, 3.0], mode=mode, cval=cval),
                 lambda m: m.convolve1d(x, [1.0, -2.0], axis=0, mode=mode, cval=cval),
                 lambda m: m.gaussian_filter1d(x, 1.0, axis=0, mode=mode, cval=cval)]
        if not np.isnan(cval):  # scipy's running sum spreads a NaN along the line (README)
            calls.append(lambda m: m.uniform_filter1d(x, 3, mode=mode, cval=cval))
        # sobel and prewitt also with a mode per axis (scipy takes a sequence there)
        for modes in ("constant", ["nearest"] * (x.ndim - 1) + ["constant"], ["constant"] + ["wrap"] * (x.ndim - 1)):
            calls += [lambda m, f=f, a=a, modes=modes: getattr(m, f)(x, a, mode=modes, cval=cval)
                      for f in ("sobel", "prewitt") for a in range(x.ndim)]
        for call in calls:
            np.testing.assert_array_equal(call(tessera), call(ndi), err_msg=f"{x.shape} {cval}")


@pytest.mark.parametrize("mode", MODES)
def test_laplace_is_scipys_bits(rng, mode):
    for x in inputs(rng):
        got, want = tessera.laplace(x, mode=mode, cval=-1.5), ndi.laplace(x, mode=mode, cval=-1.5)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want, err_msg=str(x.shape))


def close(x):
    return dict(rtol=1e-5, atol=1e-5) if x.dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_gaussian_laplace_and_gradient_magnitude(rng, mode):
    for x in inputs(rng):
        for sigma in (0.7, 2.0, [1.0] * (x.ndim - 1) + [0.0]):
            for name in ("gaussian_laplace", "gaussian_gradient_magnitude"):
                got = getattr(tessera, name)(x, sigma, mode=mode, cval=0.25)
                want = getattr(ndi, name)(x, sigma, mode=mode, cval=0.25)
                assert got.dtype == want.dtype
                np.testing.assert_allclose(got, want, **close(x), err_msg=f"{name} {x.shape} {sigma}")
    x = rng.standard_normal((20, 30))
    np.testing.assert_allclose(tessera.gaussian_laplace(x, 1.0, truncate=2.0), ndi.gaussian_laplace(x, 1.0, truncate=2.0),
                               rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_one_dimensional_filters(rng, mode):
    for x in inputs(rng):
        for axis in range(-x.ndim, x.ndim):
            for size in (1, 2, 3, 6, 7):
                np.testing.assert_allclose(tessera.uniform_filter1d(x, size, axis=axis, mode=mode, cval=0.5),
                                           ndi.uniform_filter1d(x, size, axis=axis, mode=mode, cval=0.5), **close(x))
                for name in ("minimum_filter1d", "maximum_filter1d"):
                    got = getattr(tessera, name)(x, size, axis=axis, mode=mode, cval=0.5)
                    want = getattr(ndi, name)(x, size, axis=axis, mode=mode, cval=0.5)
                    assert got.dtype == want.dtype
                    np.testing.assert_array_equal(got, want)
            for order in (0, 1, 2, 3):
                got = tessera.gaussian_filter1d(x, 1.3, axis=axis, order=order, mode=mode, cval=0.5)
                want = ndi.gaussian_filter1d(x, 1.3, axis=axis, order=order, mode=mode, cval=0.5)
                assert got.dtype == want.dtype
                np.testing.assert_allclose(got, want, **close(x))
            for w in ([1, 2, 3], [1, -2], [0.5, 0.25, 1, 3], [2.0]):
                for origin in range(-(len(w) // 2), (len(w) - 1) // 2 + 1):
                    got = tessera.convolve1d(x, w, axis=axis, mode=mode, cval=0.5, origin=origin)
                    want = ndi.convolve1d(x, w, axis=axis, mode=mode, cval=0.5, origin=origin)
                    np.testing.assert_array_equal(got, want, err_msg=f"{w} origin={origin}")


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.uint16])
def test_integer_input_gives_float32_of_scipys_float_result(rng, dtype):
    x = rng.integers(0, 100, (23, 29)).astype(dtype)
    for name in ("sobel", "prewitt", "laplace"):
        got = getattr(tessera, name)(x)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, getattr(ndi, name)(x.astype(np.float64)).astype(np.float32))
    assert tessera.sobel(x, output=np.float64).dtype == np.float64


def scipy_magnitude(name, x, first_axis, mode, cval):
    d = getattr(ndi, name)
    return np.hypot(d(x, first_axis, mode=mode, cval=cval), d(x, 1 - first_axis, mode=mode, cval=cval))


def tessera_magnitude(name, x, first_axis, mode, cval):
    d = getattr(tessera, name)
    img = tessera.asarray(x)
    return tessera.hypot(d(img, axis=first_axis, mode=mode, cval=cval), d(img, axis=1 - first_axis, mode=mode,
                                                                           cval=cval))


@pytest.mark.parametrize("name", ["sobel", "prewitt"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_magnitude_is_one_node_with_the_chains_bits(rng, name, dtype):
    """hypot of the two 2-D derivatives of one input is one node (row by row,
    nothing between them leaves cache) with the bits of numpy's hypot of
    scipy's derivatives: every mode, a mode per axis, either argument first,
    1-element to prime sizes, views."""
    base = rng.standard_normal((90, 140)).astype(dtype)
    cases = [rng.standard_normal(shape).astype(dtype) for shape in [(1, 1), (1, 17), (17, 1), (2, 2), (37, 41)]]
    cases += [base[::2, 1::3], base.T, base[::-1, ::-1]]
    for x in cases:
        for mode in MODES + [["wrap", "constant"], ["constant", "mirror"]]:
            for first in (0, 1):
                mag = tessera_magnitude(name, x, first, mode, 0.5)
                assert "magnitude" in repr(mag), repr(mag)
                want = scipy_magnitude(name, x, first, mode, 0.5)
                got = mag.compute()
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want, err_msg=f"{name} {x.shape} {mode} first={first}")


MAGNITUDE_SCRIPT = """
import sys
import numpy as np
import tessera
x = np.load(sys.argv[1])
results = []
for data in (x, x[::-1, 1::2]):
    for name in ("sobel", "prewitt"):
        for mode in ("reflect", ["nearest", "wrap"], "constant"):
            d = getattr(tessera, name)
            img = tessera.asarray(data)
            mag = tessera.hypot(d(img, axis=0, mode=mode, cval=-2.5), d(img, axis=1, mode=mode, cval=-2.5))
            assert "magnitude" in repr(mag)
            for threads in (1, 2):
                results.append(mag.compute(threads=threads))
            out = np.empty(data.shape[::-1], np.float32).T  # columns of one run: the rows go through a buffer
            mag.compute(out=out)
            results.append(out)
            wide = np.empty(data.shape, np.float64)  # another dtype: converted per row
            mag.compute(out=wide)
            results.append(wide)
np.savez(sys.argv[2], *results)
"""


def test_gradient_magnitude_on_awkward_float32_on_every_instruction_set(rng, tmp_path):
    """The float32 magnitude's fused kernel (float64 lines, the square root
    of the float64 sum, 16 lanes at a time on AVX-512): numpy's bits where
    the derivatives round, overflow, meet infinities beside NaN, and signed
    zeros, over many tiles, on 1 and 2 threads, into strided and float64
    outputs, on every instruction set this machine runs."""
    x = awkward_float32(rng, (517, 1301))
    want = []
    for data in (x, x[::-1, 1::2]):
        for name in ("sobel", "prewitt"):
            for mode in ("reflect", ["nearest", "wrap"], "constant"):
                with np.errstate(over="ignore", invalid="ignore"):
                    m = scipy_magnitude(name, data, 0, mode, -2.5)
                want += [m, m, m, m.astype(np.float64)]
    src, dst = tmp_path / "x.npy", tmp_path / "out.npz"
    np.save(src, x)
    for isa in ["baseline", "avx2", "avx512"]:
        env = dict(os.environ, TESSERA_SIMD=isa)
        subprocess.run([sys.executable, "-c", MAGNITUDE_SCRIPT, str(src), str(dst)], env=env, check=True)
        with np.load(dst) as saved:
            got = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            assert g.dtype == w.dtype, f"{isa} case {i}"
            np.testing.assert_array_equal(g, w, err_msg=f"{isa} case {i}")
            numbers = ~np.isnan(w)
            assert np.array_equal(np.signbit(g[numbers]), np.signbit(w[numbers])), f"{isa} case {i}: signs"


def test_gradient_magnitudes_that_are_not_one_node_are_still_right(rng):
    """Derivatives of different inputs, filters or modes stay two nodes and
    an expression; integer input (converted, float32 passes) is one node on
    the per-row path. All equal numpy's hypot of scipy's."""
    a = rng.standard_normal((61, 47)).astype(np.float32)
    b = rng.standard_normal((61, 47)).astype(np.float32)
    pairs = [
        (tessera.sobel(a, axis=0), tessera.sobel(b, axis=1), ndi.sobel(a, 0), ndi.sobel(b, 1)),
        (tessera.sobel(a, axis=0), tessera.prewitt(a, axis=1), ndi.sobel(a, 0), ndi.prewitt(a, 1)),
        (tessera.sobel(a, axis=0, mode="wrap"), tessera.sobel(a, axis=1), ndi.sobel(a, 0, mode="wrap"),
         ndi.sobel(a, 1)),
        (tessera.sobel(a, axis=1), tessera.sobel(a, axis=1), ndi.sobel(a, 1), ndi.sobel(a, 1)),
    ]
    for x, y, sx, sy in pairs:
        mag = tessera.hypot(x, y)
        assert "magnitude" not in repr(mag)
        np.testing.assert_array_equal(mag.compute(), np.hypot(sx, sy))
    u = rng.integers(0, 256, (59, 1031)).astype(np.uint8)
    img = tessera.asarray(u)
    mag = tessera.hypot(tessera.sobel(img, axis=0), tessera.sobel(img, axis=1))
    assert "magnitude" in repr(mag)
    f = u.astype(np.float64)
    want = np.hypot(ndi.sobel(f, 0).astype(np.float32), ndi.sobel(f, 1).astype(np.float32))
    for threads in (1, 2):
        np.testing.assert_array_equal(mag.compute(threads=threads), want)


def test_bad_arguments_are_named(rng):
    x = rng.standard_normal((5, 6))
    with pytest.raises(ValueError, match="sobel: axis 2 is out of range for a 2-D input"):
        tessera.sobel(x, axis=2)
    with pytest.raises(ValueError, match="gaussian_filter1d: axis -3"):
        tessera.gaussian_filter1d(x, 1.0, axis=-3)
    with pytest.raises(ValueError, match="sigma"):
        tessera.gaussian_laplace(x, -1.0)
    with pytest.raises(ValueError, match="sigma"):
        tessera.gaussian_gradient_magnitude(x, float("nan"))
    with pytest.raises(ValueError, match="size"):
        tessera.uniform_filter1d(x, 0)
    with pytest.raises(ValueError, match="origin"):
        tessera.convolve1d(x, [1, 2, 3], origin=2)


def test_generic_gradient_magnitude_and_laplace(rng):
    a = rng.standard_normal((30, 40)).astype(np.float32)
    for mode in MODES:
        for tes, sp in ((tessera.sobel, ndi.sobel), (tessera.prewitt, ndi.prewitt)):
            got = tessera.generic_gradient_magnitude(a, tes, mode=mode, cval=0.5)
            want = ndi.generic_gradient_magnitude(a, sp, mode=mode, cval=0.5)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)

        def second(x, axis, output, mode, cval):
            return tessera.correlate1d(x, [1, -2, 1], axis, output, mode, cval)
        np.testing.assert_array_equal(tessera.generic_laplace(a, second, mode=mode, cval=0.5),
                                      ndi.laplace(a, mode=mode, cval=0.5))
    v = rng.standard_normal((6, 7, 8))
    np.testing.assert_allclose(tessera.generic_gradient_magnitude(v, tessera.sobel),
                               ndi.generic_gradient_magnitude(v, ndi.sobel), rtol=1e-12)
    assert isinstance(tessera.generic_gradient_magnitude(tessera.asarray(a), tessera.sobel), tessera.Image)
    out = np.empty(a.shape, np.float64)
    assert tessera.generic_gradient_magnitude(a, tessera.sobel, output=out) is out
    with pytest.raises(TypeError, match="derivative must be a callable"):
        tessera.generic_gradient_magnitude(a, "sobel")
