"""N-D correlate and convolve against scipy.ndimage: float64 results are its
bits (the same terms in the same order), in every mode and origin, 1-D to
3-D, views, integer input (float32 of scipy's float64 result)."""

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera

MODES = ["reflect", "mirror", "nearest", "wrap", "constant", "grid-wrap"]


def cases(rng):
    yield rng.standard_normal((41,)), [rng.standard_normal((5,)), rng.standard_normal((4,)), np.ones(1)]
    for x in (rng.standard_normal((37, 41)), rng.standard_normal((37, 41)).astype(np.float32),
              rng.standard_normal((60, 80))[::2, 1::3], rng.standard_normal((1, 17))):
        yield x, [rng.standard_normal((3, 3)), rng.standard_normal((5, 4)), rng.standard_normal((1, 7)),
                  np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float), np.zeros((3, 3))]
    yield rng.standard_normal((9, 10, 11)), [rng.standard_normal((3, 3, 3)), rng.standard_normal((2, 3, 1))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["correlate", "convolve"])
def test_equal_to_scipy(rng, mode, name):
    for x, weights in cases(rng):
        for w in weights:
            got = getattr(tessera, name)(x, w, mode=mode, cval=0.5)
            want = getattr(ndi, name)(x, w, mode=mode, cval=0.5)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want, err_msg=f"{x.shape} {w.shape}")


@pytest.mark.parametrize("name", ["correlate", "convolve"])
def test_origins(rng, name):
    x = rng.standard_normal((23, 29))
    w = rng.standard_normal((4, 5))
    for origin in [0, -1, 1, (-2, 2), (1, -2)]:
        np.testing.assert_array_equal(getattr(tessera, name)(x, w, origin=origin),
                                      getattr(ndi, name)(x, w, origin=origin), err_msg=str(origin))


def test_integer_input_and_output_dtype(rng):
    x = rng.integers(0, 255, (30, 31)).astype(np.uint8)
    w = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], float)
    got = tessera.correlate(x, w)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ndi.correlate(x.astype(np.float64), w).astype(np.float32))
    np.testing.assert_array_equal(tessera.correlate(x, w, output=np.float64), ndi.correlate(x.astype(float), w))
    lazy = tessera.correlate(tessera.asarray(x.astype(np.float32)) * 2, w)
    np.testing.assert_array_equal(np.asarray(lazy), ndi.correlate(x.astype(np.float32) * 2, w))


def test_bad_weights_and_origins(rng):
    x = rng.standard_normal((10, 12))
    with pytest.raises(ValueError, match="weights have 1 dimension, the input 2"):
        tessera.correlate(x, np.ones(3))
    with pytest.raises(ValueError, match="weights must be finite"):
        tessera.convolve(x, np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="origin 2 on axis 0 must be between -1 and 1"):
        tessera.correlate(x, np.ones((3, 3)), origin=2)
    with pytest.raises(TypeError, match="weights must be an array"):
        tessera.correlate(x, "sobel")
    with pytest.raises(TypeError, match="weights"):
        tessera.correlate(x, None)


@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.uint8])
def test_exact_products_fused_keep_scipy_bits(rng, dtype):
    """float32 weights on input of at most 24 significant bits take the fused
    multiply-add path: its float64 sums are scipy's bits, in blocks of rows
    and lanes and their remainders, in 2-D and 3-D, with zero weights (left
    out, as scipy leaves them out) beside non-finite input."""
    if dtype == np.float32:
        x = rng.standard_normal((67, 203)).astype(np.float32) * 1e3
        x[5, 7], x[30, 100], x[40, 41] = np.inf, np.nan, -0.0
    else:
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, (67, 203), endpoint=True).astype(dtype)
    for w in [rng.standard_normal((5, 5)).astype(np.float32), rng.standard_normal((4, 7)).astype(np.float32),
              np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)]:
        for mode in ["reflect", "constant", "wrap"]:
            got = tessera.correlate(x, w, output=np.float64, mode=mode)
            want = ndi.correlate(x, w.astype(np.float64), output=np.float64, mode=mode)
            np.testing.assert_array_equal(got, want, err_msg=f"{w.shape} {mode}")
            assert np.array_equal(np.signbit(got), np.signbit(want))
    v = rng.standard_normal((7, 45, 38)).astype(np.float32)
    w3 = rng.standard_normal((3, 2, 5)).astype(np.float32)
    np.testing.assert_array_equal(tessera.correlate(v, w3, output=np.float64),
                                  ndi.correlate(v, w3.astype(np.float64), output=np.float64))
    # Weights that are not float32 numbers: multiply then add, still scipy's bits.
    w64 = rng.standard_normal((5, 5))
    np.testing.assert_array_equal(tessera.correlate(x, w64, output=np.float64),
                                  ndi.correlate(x, w64, output=np.float64))


def test_separable_weights_in_passes(rng):
    """Separable float64 weights of 9 and more per axis run as one 1-D pass
    per axis for results below float64: scipy's values to float32's
    precision (and in practice its bits), in every mode and origin, 2-D and
    3-D, for correlate and convolve; float64 results stay scipy's N-D sum,
    bit for bit; a constant other than 0 is not split."""
    x = rng.standard_normal((83, 97)).astype(np.float32)
    g = np.exp(-np.linspace(-2, 2, 9) ** 2)
    h = np.array([1, 3, 5, 7, 9, 7, 5, 3, 1, 2], float)
    for w in (np.outer(g, g), np.outer(g, h)):
        for mode in ["reflect", "mirror", "nearest", "wrap", "constant"]:
            for origin in [0, (2, -3), (-4, 4)]:
                for name in ("correlate", "convolve"):
                    got = getattr(tessera, name)(x, w, mode=mode, origin=origin, output=np.float32)
                    want = getattr(ndi, name)(x, w, mode=mode, origin=origin, output=np.float64)
                    np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-6, err_msg=f"{name} {mode} {origin}")
        np.testing.assert_array_equal(tessera.correlate(x, w, output=np.float64),
                                      ndi.correlate(x, w, output=np.float64))
        np.testing.assert_allclose(tessera.correlate(x, w, mode="constant", cval=3.0),
                                   ndi.correlate(x.astype(float), w, mode="constant", cval=3.0), rtol=2e-7, atol=1e-5)
    v = rng.standard_normal((14, 15, 16)).astype(np.float32)
    box = np.ones((9, 9, 9)) / 729
    np.testing.assert_allclose(tessera.correlate(v, box, mode="wrap"), ndi.correlate(v.astype(float), box, mode="wrap"),
                               rtol=2e-7, atol=1e-7)
    # Integer input, float32 result.
    i = rng.integers(0, 255, (40, 50)).astype(np.uint8)
    np.testing.assert_allclose(tessera.correlate(i, np.outer(g, g)), ndi.correlate(i.astype(float), np.outer(g, g)),
                               rtol=2e-7)
