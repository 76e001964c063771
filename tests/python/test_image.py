"""The lazy Image API: operators, functions, astype (tessera's casting rule),
indexing, fusion, numpy interop, and hypothesis-driven shapes and dtypes."""
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

import tessera
from conftest import DTYPES, NUMERIC, random_array


def test_asarray_wraps_without_copy_and_computes_lazily(rng):
    a = random_array(rng, (20, 30), np.float32)
    img = tessera.asarray(a)
    assert img.shape == (20, 30) and img.dtype == np.float32 and img.ndim == 2 and img.size == 600
    lazy = img * 2 + 1
    a[0, 0] = 1000.0  # the graph reads the array when computed, not when built
    np.testing.assert_array_equal(np.asarray(lazy), a * 2 + 1)
    assert tessera.asarray(img) is not None
    assert "Image" in repr(lazy)


def test_operators_mix_images_arrays_and_scalars(rng):
    a = random_array(rng, (6, 7), np.int16)
    b = random_array(rng, (7,), np.float32)
    A = tessera.asarray(a)
    cases = {
        "A + b": (A + b, a + b), "b + A": (b + A, b + a), "2 - A": (2 - A, 2 - a), "A * 1.5": (A * 1.5, a * 1.5),
        "A / b": (A / b, a / b), "A // 3": (A // 3, a // 3), "A % 4": (A % 4, a % 4), "A ** 2": (A ** 2, a ** 2),
        "-A": (-A, -a), "abs(A)": (abs(A), np.abs(a)), "A < b": (A < b, a < b), "A == 0": (A == 0, a == 0),
        "A != b": (A != b, a != b), "A & 7": (A & 7, a & 7), "~A": (~A, ~a), "A ^ a": (A ^ a, a ^ a),
        "(A > 0) | (A < -5)": ((A > 0) | (A < -5), (a > 0) | (a < -5)),
    }
    for name, (got, want) in cases.items():
        got = np.asarray(got)
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_numpy_operators_defer_to_images(rng):
    a = random_array(rng, (5,), np.float64)
    img = tessera.asarray(a)
    r = a + img  # numpy hands over to Image.__radd__
    assert isinstance(r, tessera.Image)
    np.testing.assert_array_equal(np.asarray(r), a + a)


def test_functions_on_images(rng):
    a = random_array(rng, (9, 11), np.float64)
    A = tessera.asarray(a)
    np.testing.assert_array_equal(np.asarray(tessera.where(A > 0, A, 0)), np.where(a > 0, a, 0))
    np.testing.assert_array_equal(np.asarray(tessera.clip(A, -1, 1)), np.clip(a, -1, 1))
    np.testing.assert_array_equal(np.asarray(tessera.minimum(A, a.T[:1].T)), np.minimum(a, a.T[:1].T))
    np.testing.assert_allclose(np.asarray(tessera.sqrt(tessera.abs(A))), np.sqrt(np.abs(a)), rtol=0)
    np.testing.assert_allclose(np.asarray(tessera.arctan2(A, 2.0)), np.arctan2(a, 2.0), rtol=1e-15)
    with np.errstate(all="ignore"):
        for f in ["exp", "log", "log10", "log1p", "expm1", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                  "sinh", "cosh", "tanh", "floor", "ceil"]:
            np.testing.assert_allclose(np.asarray(getattr(tessera, f)(A)), getattr(np, f)(a), rtol=1e-13,
                                       equal_nan=True, err_msg=f)


def reference_cast(x, dtype):
    """tessera's rule in float64 numpy: round half to even, saturate, NaN to 0."""
    dtype = np.dtype(dtype)
    x = np.asarray(x)
    if dtype == np.bool_:
        return x != 0
    if dtype.kind == "f":
        return x.astype(dtype)
    info = np.iinfo(dtype)
    if x.dtype.kind == "f":
        r = np.where(np.isnan(x), 0, np.rint(x))
        out = np.empty(x.shape, dtype)
        below, above = r < float(info.min), r >= float(info.max) + (1 if info.bits < 53 else 0)
        mid = ~below & ~above
        out[below], out[above] = info.min, info.max
        out[mid] = r[mid].astype(dtype)
        return out
    wide = x.astype(object) if x.dtype.kind in "ui" else x.astype(np.int64)
    return np.array([min(max(int(v), info.min), info.max) for v in wide.ravel()], dtype).reshape(x.shape)


@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_astype_follows_the_casting_rule(src, dst, rng):
    x = random_array(rng, (97,), src, special=True)
    if np.dtype(src).kind == "f":
        x[4:12] = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 254.5, 1e30, -1e30], dtype=src)
    got = np.asarray(tessera.asarray(x).astype(dst))
    assert got.dtype == np.dtype(dst)
    want = reference_cast(x, dst)
    np.testing.assert_array_equal(got, want)


def test_astype_fuses_with_the_expression(rng):
    img = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    got = ((tessera.asarray(img) / 255.0) ** 2 * 255).astype(np.uint8).compute()
    want = reference_cast((img / 255.0) ** 2 * 255, np.uint8)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(TypeError):
        tessera.asarray(img).astype(np.float16)


INDEXES = [
    (slice(None), 3), (Ellipsis, 0), (Ellipsis, slice(0, 1)), (slice(None, None, -1),), (slice(2, 17, 3), Ellipsis),
    (None, slice(None), 2), (-1,), (slice(-5, None), slice(None, None, -2), None), (Ellipsis, None),
    (4, slice(3, 3)), (slice(30, 0, -7), 1, slice(None)),
]


@pytest.mark.parametrize("key", INDEXES)
def test_basic_indexing_matches_numpy(key, rng):
    a = random_array(rng, (23, 19, 4), np.int32)
    # on a source (zero-copy view) and on a computed image (an index node)
    np.testing.assert_array_equal(np.asarray(tessera.asarray(a)[key]), a[key])
    np.testing.assert_array_equal(np.asarray((tessera.asarray(a) * 3)[key]), (a * 3)[key])


def test_indexing_errors(rng):
    img = tessera.asarray(np.zeros((3, 4)))
    with pytest.raises(IndexError):
        img[5]
    with pytest.raises(ValueError, match="too many"):
        img[1, 2, 3]
    with pytest.raises(IndexError):
        img[[1, 2]]
    with pytest.raises(ValueError, match="ambiguous"):
        bool(img)


def test_compute_out_and_threads(rng):
    a = random_array(rng, (300, 200), np.float32)
    img = tessera.asarray(a) * 2
    out = np.empty((300, 200), np.float64)
    assert img.compute(out=out, threads=2) is out
    np.testing.assert_array_equal(out, a.astype(np.float64) * 2)
    np.testing.assert_array_equal(np.asarray(img, dtype=np.float64), a * 2)


def test_long_chains_fuse_into_one_pass(rng):
    a = random_array(rng, (500, 300), np.float64)
    x = tessera.asarray(a)
    for k in range(20):
        x = x * 1.01 + k
    want = a
    for k in range(20):
        want = want * 1.01 + k
    np.testing.assert_allclose(np.asarray(x), want, rtol=1e-15)
    assert "expression" in repr(x)


def test_every_instruction_set_gives_the_same_bits(tmp_path, rng):
    a = random_array(rng, (301, 257), np.float32, special=True)
    b = random_array(rng, (257,), np.uint8)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    script = (
        "import numpy as np, tessera, sys\n"
        f"a = np.load(r'{tmp_path / 'a.npy'}'); b = np.load(r'{tmp_path / 'b.npy'}')\n"
        "r = tessera.evaluate('where(a > b, sqrt(abs(a)) * b - a / 3, minimum(a, 2) // 0.7)')\n"
        "c = tessera.asarray(a * 40).astype('int16').compute()\n"
        "g = np.tile(np.arange(256, dtype=np.uint8), 64).reshape(64, 256)\n"
        "c = np.concatenate([c.ravel(), tessera.evaluate('(g / 255.) ** 2 * 255 % 256', out=np.empty_like(g)).ravel(),"
        " tessera.evaluate('g // 3 + g % 7', g=g).ravel()])\n"
        "np.save(sys.argv[1], r); np.save(sys.argv[2], c)\n"
        "print(tessera.simd())\n"
    )
    results = {}
    for isa in ["baseline", "avx2", "avx512"]:
        env = dict(os.environ, TESSERA_SIMD=isa)
        p1, p2 = tmp_path / f"{isa}1.npy", tmp_path / f"{isa}2.npy"
        used = subprocess.run([sys.executable, "-c", script, str(p1), str(p2)], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()
        results[used] = (np.load(p1), np.load(p2))
    assert "baseline" in results
    ref = results["baseline"]
    for isa, (r, c) in results.items():
        np.testing.assert_array_equal(r, ref[0], err_msg=isa)
        np.testing.assert_array_equal(c, ref[1], err_msg=isa)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    da=st.sampled_from(NUMERIC), db=st.sampled_from(NUMERIC),
    broadcast=st.integers(0, 15), seed=st.integers(0, 2**32 - 1),
)
def test_random_shapes_dtypes_and_broadcasts(shape, da, db, broadcast, seed):
    rng = np.random.default_rng(seed)
    shape_b = [1 if (broadcast >> i) & 1 else s for i, s in enumerate(shape)]
    a = random_array(rng, tuple(shape), da)
    b = random_array(rng, tuple(shape_b), db)
    with np.errstate(all="ignore"):
        want = np.where(a > b, a * 2 - b, b - a)
    got = tessera.evaluate("where(a > b, a * 2 - b, b - a)")
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_crop_of_a_computed_image_writes_in_place(rng):
    """A crop at the root is computed as its input's region (no tile copy):
    the same values, any thread count, into strided output too."""
    a = rng.random((61, 83)).astype(np.float32)
    lazy = tessera.uniform_filter(tessera.asarray(a) * 3, 5, mode="mirror")
    want = ndi.uniform_filter(a.astype(np.float64) * 3, 5, mode="mirror")
    for sel in [(slice(2, 59), slice(5, 80)), (slice(0, 61), slice(0, 83)), (slice(10, 11), slice(3, 3))]:
        for threads in (1, 3):
            got = lazy[sel][1:, :].compute(threads=threads)
            np.testing.assert_allclose(got, want[sel][1:, :], rtol=1e-5, atol=1e-5)
    out = np.full((57, 150), -1.0, np.float32)
    lazy[2:59, 5:80].compute(out=out[:, ::2])
    np.testing.assert_allclose(out[:, ::2], want[2:59, 5:80], rtol=1e-5, atol=1e-5)
    assert np.all(out[:, 1::2] == -1)
