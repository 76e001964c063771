"""correlate1d against scipy.ndimage.correlate1d: float64 results are scipy's
bits (the same terms in the same order) in every mode, axis and origin, on
odd and prime sizes, every dtype and non-contiguous views; errors name the
parameter."""
import dask.array as da
import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera
import tessera.dask as tdask
from conftest import NUMERIC

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]
WEIGHTS = {"symmetric": [0.25, 0.5, 0.25], "antisymmetric": [1.0, 0.0, -1.0], "even": [1.0, 2.0, 3.0, 4.0],
           "one": [0.3], "general": [0.2, -0.7, 1.3, 0.05, 0.9, -0.1, 0.4], "long": list(np.linspace(-1, 2, 23))}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("weights", sorted(WEIGHTS))
@pytest.mark.parametrize("shape", [(37, 29), (5, 7, 71), (131,), (3, 97), (1, 11)])
def test_float64_equals_scipy_bit_for_bit(mode, weights, shape, rng):
    a = rng.standard_normal(shape)
    w = WEIGHTS[weights]
    for axis in range(-1, len(shape)):
        for origin in sorted({-(len(w) // 2), 0, (len(w) - 1) // 2}):
            got = tessera.correlate1d(a, w, axis=axis, mode=mode, cval=1.5, origin=origin)
            want = ndi.correlate1d(a, w, axis=axis, mode=mode, cval=1.5, origin=origin)
            np.testing.assert_array_equal(got, want, err_msg=f"axis {axis} origin {origin}")


@pytest.mark.parametrize("dtype", NUMERIC + [np.bool_])
def test_every_dtype_against_scipy_in_float64(dtype, rng):
    from conftest import random_array
    a = random_array(rng, (23, 19), dtype)
    for axis in (0, 1):
        got = tessera.correlate1d(a, WEIGHTS["general"], axis=axis, mode="mirror")
        want = ndi.correlate1d(a.astype(np.float64), WEIGHTS["general"], axis=axis, mode="mirror")
        assert got.dtype == (np.float64 if dtype == np.float64 else np.float32)
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6 * np.abs(want).max())
        exact = tessera.correlate1d(a, WEIGHTS["general"], axis=axis, mode="mirror", output=np.float64)
        np.testing.assert_array_equal(exact, want)


def test_views_and_lazy_inputs(rng):
    base = rng.standard_normal((40, 50, 3))
    for view in [base[::2, 1::3, 0], base[:, :, 1].T, base[5:30, ::-1, 2]]:
        for axis in (0, 1):
            want = ndi.correlate1d(view, WEIGHTS["long"], axis=axis, mode="wrap")
            np.testing.assert_array_equal(tessera.correlate1d(view, WEIGHTS["long"], axis=axis, mode="wrap"), want)
            lazy = tessera.correlate1d(tessera.asarray(view) * 1.0, WEIGHTS["long"], axis=axis, mode="wrap")
            assert isinstance(lazy, tessera.Image)
            np.testing.assert_array_equal(np.asarray(lazy), want)


def test_output_into_an_array_and_as_a_dtype(rng):
    a = rng.random((17, 13)).astype(np.float32) * 100
    out = np.empty((17, 13), np.int16)
    tessera.correlate1d(a, [1, 1, 1], axis=0, output=out)
    np.testing.assert_array_equal(out, np.rint(ndi.correlate1d(a.astype(np.float64), [1, 1, 1], axis=0)))
    assert tessera.correlate1d(a, [1, 2], output="float64").dtype == np.float64


def test_dask_twin_equals_memory_on_chunks_smaller_than_the_window(rng):
    a = rng.standard_normal((45, 38))
    w = WEIGHTS["long"]
    for axis in (0, 1):
        got = tdask.correlate1d(da.from_array(a, chunks=(7, 9)), w, axis=axis, mode="reflect").compute()
        np.testing.assert_array_equal(got, tessera.correlate1d(a, w, axis=axis, mode="reflect"))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"weights": []}, TypeError, "correlate1d: weights must be a number or a non-empty sequence of numbers"),
    ({"weights": [1, np.nan]}, ValueError, "correlate1d: weights must be"),
    ({"weights": "abc"}, TypeError, "correlate1d: weights must be a number or a sequence of numbers"),
    ({"weights": [1, 2, 1], "axis": 2}, ValueError, "correlate1d: axis 2 is out of range for a 2-D input"),
    ({"weights": [1, 2, 1], "origin": 2}, ValueError, "correlate1d: origin must be between -1 and 1"),
    ({"weights": [1, 2, 1], "mode": "grid"}, ValueError, "correlate1d: unknown boundary mode 'grid'"),
])
def test_errors_name_the_parameter(kwargs, error, message):
    with pytest.raises(error) as e:
        tessera.correlate1d(np.ones((5, 5)), **kwargs)
    assert message in str(e.value)
