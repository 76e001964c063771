"""gaussian_filter against scipy.ndimage.gaussian_filter: every mode, every
dtype, odd and prime sizes, orders 0 to 2, per-axis sigma and order,
non-contiguous views, lazy chains, Dask and the CLI."""
import os
import subprocess
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera
import tessera.dask as tdask
from conftest import NUMERIC, random_array

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]
CLI = Path(os.environ.get("TESSERA_CLI") or Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tessera")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("shape, sigma", [((37, 29), 2.0), ((5, 7, 11), 1.0), ((131,), 3.5), ((3, 97), (0.7, 4.0)),
                                          ((1, 13), 1.5), ((23, 2), 5.0)])
def test_float64_matches_scipy(mode, order, shape, sigma, rng):
    a = rng.standard_normal(shape)
    got = tessera.gaussian_filter(a, sigma, order=order, mode=mode, cval=1.5)
    want = ndi.gaussian_filter(a, sigma, order=order, mode=mode, cval=1.5)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", NUMERIC + [np.bool_])
def test_every_dtype_against_scipy_in_float64(dtype, rng):
    a = random_array(rng, (31, 23), dtype)
    want = ndi.gaussian_filter(a.astype(np.float64), 1.7, mode="nearest")
    got = tessera.gaussian_filter(a, 1.7, mode="nearest")
    # Integer input gives float32 (scipy truncates to the integer dtype after each axis).
    assert got.dtype == (np.float64 if dtype == np.float64 else np.float32)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(want).max()))
    np.testing.assert_allclose(tessera.gaussian_filter(a, 1.7, mode="nearest", output=np.float64), want,
                               rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max()))


def test_float32_is_float64_accumulated(rng):
    # scipy rounds to float32 after each axis; tessera keeps float64 between
    # the passes, so it is at least as close to the float64 truth.
    a = rng.standard_normal((61, 53)).astype(np.float32)
    truth = ndi.gaussian_filter(a.astype(np.float64), 2.0)
    got = tessera.gaussian_filter(a, 2.0)
    assert got.dtype == np.float32
    assert np.abs(got - truth).max() <= np.abs(ndi.gaussian_filter(a, 2.0) - truth).max()
    np.testing.assert_array_equal(got, truth.astype(np.float32))


def test_per_axis_sigma_order_and_zero_sigma(rng):
    a = rng.standard_normal((19, 17, 3))
    for sigma, order in [((1.0, 2.0, 0.0), (1, 0, 0)), ((0.5, 0.0, 0.0), 2), (0.0, 0)]:
        np.testing.assert_allclose(tessera.gaussian_filter(a, sigma, order=order),
                                   ndi.gaussian_filter(a, sigma, order=order), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("truncate", [0.5, 1.0, 2.5, 4.0, 6.0])
def test_truncate(truncate, rng):
    a = rng.standard_normal((29, 31))
    np.testing.assert_allclose(tessera.gaussian_filter(a, 1.3, truncate=truncate),
                               ndi.gaussian_filter(a, 1.3, truncate=truncate), rtol=1e-12, atol=1e-13)


def test_views_lazy_chains_and_scipy_positional_order(rng):
    base = rng.standard_normal((50, 60, 2))
    for view in [base[::2, 1::3, 0], base[:, :, 1].T, base[40:3:-1, ::7, 1]]:
        want = ndi.gaussian_filter(view, 1.2, 0, None, "wrap")
        np.testing.assert_allclose(tessera.gaussian_filter(view, 1.2, 0, None, "wrap"), want, rtol=1e-12,
                                   atol=1e-13)
    lazy = tessera.gaussian_filter(tessera.asarray(base[..., 0]) * 2.0, 2.0) + 1
    assert isinstance(lazy, tessera.Image) and lazy.halo() == (8, 8)
    np.testing.assert_allclose(np.asarray(lazy), ndi.gaussian_filter(base[..., 0] * 2.0, 2.0) + 1, rtol=1e-12)


def test_dask_on_chunks_smaller_than_the_kernel(rng):
    a = rng.standard_normal((83, 71)).astype(np.float32)
    for chunks in [(6, 9), (40, 71)]:
        got = tdask.gaussian_filter(da.from_array(a, chunks=chunks), 2.5, order=1, mode="mirror").compute()
        np.testing.assert_array_equal(got, tessera.gaussian_filter(a, 2.5, order=1, mode="mirror"))


def test_cli(tmp_path, rng):
    a = rng.standard_normal((41, 37)).astype(np.float32)
    np.save(tmp_path / "a.npy", a)
    r = subprocess.run([str(CLI), "gaussian_filter", str(tmp_path / "a.npy"), str(tmp_path / "g.npy"), "--sigma",
                        "1.5,2", "--order", "0,1", "--mode", "nearest"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "g.npy"),
                                  tessera.gaussian_filter(a, (1.5, 2), order=(0, 1), mode="nearest"))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"sigma": -1}, ValueError, "gaussian_filter: sigma must be >= 0 on every axis, got -1"),
    ({"sigma": np.inf}, ValueError, "gaussian_filter: sigma must be >= 0 on every axis, got inf"),
    ({"sigma": (1, 2, 3)}, ValueError, "gaussian_filter: sigma must have one entry per axis (2)"),
    ({"sigma": 1, "order": -1}, ValueError, "gaussian_filter: order must be >= 0 on every axis, got -1"),
    ({"sigma": 1, "truncate": 0}, ValueError, "gaussian_filter: truncate must be > 0, got 0"),
    ({"sigma": 1, "mode": "edge"}, ValueError, "gaussian_filter: unknown boundary mode 'edge'"),
    ({"sigma": "2"}, TypeError, "gaussian_filter: sigma must be a number or a sequence of numbers, got '2'"),
])
def test_errors_name_the_parameter(kwargs, error, message):
    with pytest.raises(error) as e:
        tessera.gaussian_filter(np.ones((5, 5)), **kwargs)
    assert message in str(e.value)
