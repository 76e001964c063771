"""@tessera.kernel (the kernels issue, part 2): restricted Python compiled to
one engine expression. Results equal a plain Python evaluation of the same
function (np.vectorize, float64) or scipy; neighbours follow scipy's modes;
kernels are lazy operations that chain, stream and run on Dask; bad kernels
get a SyntaxError naming the line and the construct."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile

import tessera

sys.path.insert(0, str(Path(__file__).parent))
import kernels_sample as ks  # noqa: E402

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")
MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]


def steepest_reference(v):
    """The 004 rule in numpy over an edge-padded volume (mode='nearest'):
    the first strictly steepest descent in z, y, x order, 13 if none."""
    p = np.pad(v, 1, mode="edge")
    best = np.full(v.shape, -np.inf, np.float32)
    label = np.full(v.shape, 13, np.int64)
    n = v.shape
    for dz in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if (dz, dy, dx) == (0, 0, 0):
                    continue
                nb = p[1 + dz:1 + dz + n[0], 1 + dy:1 + dy + n[1], 1 + dx:1 + dx + n[2]]
                s = (v - nb) / np.sqrt(dz * dz + dy * dy + dx * dx)
                better = s > best
                best = np.where(better, s, best)
                label = np.where(better, (dz + 1) * 9 + (dy + 1) * 3 + (dx + 1), label)
    return np.where(best >= 0, label, 13)


def test_the_004_rule_as_a_kernel_equals_numpy_and_the_builtin(rng):
    v = rng.random((19, 23, 29), dtype=np.float32)
    v[5:9, 5:9, 5:9] = 0.5  # plateaus: ties and zero slopes
    labels = ks.steepest(v, mode="nearest", dtype="uint8")
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, steepest_reference(v))
    builtin = np.asarray(tessera.steepest_neighbor(v))  # edges ignored: equal inside
    np.testing.assert_array_equal(labels[1:-1, 1:-1, 1:-1], builtin[1:-1, 1:-1, 1:-1])
    assert ks.steepest(v, mode="nearest").dtype == np.int64  # the expression language's dtype


@pytest.mark.parametrize("mode", MODES)
def test_stencils_equal_scipy_in_every_mode(mode, rng):
    a = rng.standard_normal((37, 41))
    np.testing.assert_allclose(ks.laplace(a, mode=mode, cval=0.5), ndi.laplace(a, mode=mode, cval=0.5),
                               rtol=0, atol=1e-12)
    # scipy.ndimage.sobel runs two 1-d passes and pads the first pass's
    # result by cval, not the input: the 3x3 stencil is scipy's correlate.
    wx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)
    ref = np.hypot(ndi.correlate(a, wx, mode=mode, cval=0.5), ndi.correlate(a, wx.T, mode=mode, cval=0.5))
    np.testing.assert_allclose(ks.sobel_magnitude(a, mode=mode, cval=0.5), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ks.box_mean(a, mode=mode, cval=0.5, radius=2),
                               ndi.uniform_filter(a, 5, mode=mode, cval=0.5), rtol=1e-12, atol=1e-12)


def test_control_flow_equals_python_run_per_pixel(rng):
    x = rng.uniform(-2, 2, (31, 37))
    y = rng.uniform(-2, 2, (31, 37))
    x[0, :5] = [0.5, -0.5, 1 / 6, 0.5 / 3, 2.5 / 3]  # edges of the conditions, halves for round
    r, m = ks.pointwise_kernel(x, y)
    ref_r, ref_m = np.vectorize(ks.pointwise, otypes=[float, float])(x, y)
    np.testing.assert_allclose(r, ref_r, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(m, ref_m)


def test_constants_are_keyword_only_and_checked(rng):
    a = rng.uniform(1, 2, (17, 19))
    mean = ndi.uniform_filter(a, 3, mode="reflect")
    var = ndi.uniform_filter(a * a, 3, mode="reflect") - mean * mean
    for looks in (4.0, 1.5):
        w = np.maximum(0.0, 1 - (1 / looks) / (var / (mean * mean)))
        np.testing.assert_allclose(ks.lee(a, looks=looks), mean + w * (a - mean), rtol=1e-10, atol=1e-12)
    with pytest.raises(TypeError, match="unknown constant.*its constants: looks"):
        ks.lee(a, look=3)
    with pytest.raises(TypeError, match=r"takes 1 input\(s\) \(a\), got 2"):
        ks.lee(a, a)


def test_the_001_rule_as_a_kernel(rng):
    img = rng.integers(0, 256, (23, 29, 4), dtype=np.uint8)
    img[rng.random((23, 29)) < 0.4, :3] = 250
    white = (img[..., 0:1] > 240) & (img[..., 1:2] > 240) & (img[..., 2:3] > 240)
    np.testing.assert_array_equal(ks.white_to_transparent(img), np.where(white, 0, img))


def test_lazy_in_lazy_out_chains_and_streams(tmp_path, rng):
    a = rng.random((301, 257), dtype=np.float32)
    tifffile.imwrite(tmp_path / "a.tif", a, tile=(64, 64))
    lazy = ks.laplace(tessera.gaussian_filter(tessera.open(tmp_path / "a.tif"), 1.5), mode="nearest")
    assert isinstance(lazy, tessera.Image)
    (lazy * 2).save(tmp_path / "out.tif")
    g = ndi.gaussian_filter(a.astype(np.float64), 1.5).astype(np.float32)
    np.testing.assert_allclose(tifffile.imread(tmp_path / "out.tif"), 2 * ndi.laplace(g, mode="nearest"),
                               rtol=1e-4, atol=1e-5)
    v = a[::2, ::-3]  # a non-contiguous view
    np.testing.assert_allclose(ks.laplace(v), ndi.laplace(v.astype(np.float64)), rtol=1e-5, atol=1e-5)
    assert np.array_equal(ks.laplace(a, threads=1), ks.laplace(a, threads=2))


def test_kernels_run_on_dask(rng):
    da = pytest.importorskip("dask.array")
    from tessera import dask as tdask
    a = rng.random((203, 157)).astype(np.float32)
    d = da.from_array(a, chunks=(64, 50))
    got = tdask.kernel(ks.laplace, d, mode="wrap").compute(scheduler="threads")
    np.testing.assert_array_equal(got, ks.laplace(a, mode="wrap"))
    v = rng.random((20, 21, 22), dtype=np.float32)
    got = tdask.kernel(ks.steepest, da.from_array(v, chunks=(7, 11, 8)), mode="nearest", dtype="uint8")
    np.testing.assert_array_equal(got.compute(scheduler="threads"), ks.steepest(v, mode="nearest", dtype="uint8"))
    x, y = rng.uniform(-2, 2, (40, 30)), rng.uniform(-2, 2, (40, 30))
    r, m = tdask.kernel(ks.pointwise_kernel, da.from_array(x, chunks=(16, 7)), y)  # element-wise, two outputs
    for got, want in zip((r, m), ks.pointwise_kernel(x, y)):
        np.testing.assert_array_equal(got.compute(scheduler="threads"), want)
    with pytest.raises(NotImplementedError, match="one input"):
        tdask.kernel(two_input_stencil, d, d)


@tessera.kernel
def two_input_stencil(a, b):
    return a[0, 1] - b


def test_the_cli_runs_a_kernel_from_a_file(tmp_path, rng):
    a = rng.random((61, 47), dtype=np.float32)
    tifffile.imwrite(tmp_path / "a.tif", a)
    source = Path(__file__).parent / "kernels_sample.py"
    r = subprocess.run([CLI, "kernel", f"{source}:laplace", "-i", f"a={tmp_path / 'a.tif'}", "-o",
                        str(tmp_path / "l.tif"), "--mode", "nearest"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "l.tif"), ks.laplace(a, mode="nearest"))
    r = subprocess.run([CLI, "kernel", f"{source}:nothing", "-i", f"a={tmp_path / 'a.tif'}", "-o",
                        str(tmp_path / "x.tif")], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "nothing" in r.stderr and not (tmp_path / "x.tif").exists()


BAD = {
    "while": ("def k(a):\n    while a > 0:\n        a = a - 1\n    return a\n", "line 2: 'while' is not supported"),
    "unknown function": ("def k(a):\n    return foo(a)\n", "line 2: name 'foo' is not defined"),
    "data-dependent bound": ("def k(a):\n    t = 0\n    for i in range(a):\n        t = t + i\n    return t\n",
                             "line 3: range\\(\\) needs constant bounds"),
    "attribute of an input": ("def k(a):\n    return a.shape\n", "line 2: 'a.shape' cannot be used"),
    "float offset": ("def k(a):\n    return a[0.5, 1]\n", "line 2: a neighbour's offsets are constant integers"),
    "pixel offset": ("def k(a):\n    return a[a, 1]\n", "line 2: a neighbour's offsets are constant integers"),
    "too many offsets": ("def k(a):\n    return a[1, 1, 1]\n", "line 2: 3 neighbour offsets for an image of 2"),
    "no return": ("def k(a):\n    b = a + 1\n", "returns nothing"),
    "partial return": ("def k(a):\n    if a > 0:\n        return a\n", "may end without a return"),
    "assign an input": ("def k(a):\n    a = a + 1\n    return a\n", "line 2: 'a' is an input"),
    "recursion": ("def k(a):\n    return k(a)\n", "line 2: 'k' cannot be applied to pixel values"),
    "string": ("def k(a):\n    return a + 'x'\n", "line 2: the constant 'x' is not a number"),
    "star args": ("def k(*a):\n    return a\n", "line 1: a kernel's inputs are plain positional"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_unsupported_python_is_a_syntax_error_naming_the_line(case, tmp_path):
    source, message = BAD[case]
    path = tmp_path / f"bad_{case.replace(' ', '_')}.py"
    path.write_text(source)
    namespace = {}
    code = compile(path.read_text(), str(path), "exec")
    exec(code, namespace)  # noqa: S102
    with pytest.raises(SyntaxError, match=message) as info:
        tessera.kernel(namespace["k"])(np.zeros((4, 5)))
    assert str(path) == info.value.filename


def test_bad_calls_get_clear_errors(rng):
    a = rng.random((5, 6))
    with pytest.raises(ValueError, match="mode"):
        ks.laplace(a, mode="sideways")
    with pytest.raises(ValueError, match="could not be broadcast"):
        ks.pointwise_kernel(a, np.zeros((4, 6)))
    with pytest.raises(TypeError, match="complex"):
        ks.laplace(a.astype(np.complex64))


def test_python_semantics_kept_where_they_are_easy_to_lose():
    a = np.array([0.5, 1.5, 2.5, 3.5, 7.0, -1.0, -3.0])

    def first_below(x):  # the kernel's body, per pixel
        i = -1
        for i in range(5):
            if x > i:
                break
        return i * ks.e
    np.testing.assert_array_equal(ks.first_below(a), [first_below(x) for x in a])
    np.testing.assert_array_equal(ks.guarded(a), -a)
    np.testing.assert_array_equal(ks.guarded(a, n=2), np.where(a > np.log(2), a, -a))
    x = np.array([np.nan, 1, 3, np.nan, 200], np.float32)
    y = np.array([2, np.nan, -4, np.nan, 100], np.float32)
    lo, hi, h = ks.nan_aware(x, y)
    np.testing.assert_array_equal(lo, np.fmin(x, y))
    np.testing.assert_array_equal(hi, np.fmax(x, y))
    assert h.dtype == np.float32
    np.testing.assert_allclose(h, np.hypot(x, y), rtol=1e-6)
    u = np.array([200, 250], np.uint8)  # u * u would wrap in uint8
    h = ks.nan_aware(u, u)[2]  # numpy's float16 is float32 in tessera
    assert h.dtype == np.float32
    np.testing.assert_allclose(h, np.hypot(u.astype(np.float32), u.astype(np.float32)), rtol=1e-6)


def test_errors_name_the_line_of_a_decorated_kernel():
    import inspect
    line = inspect.getsource(ks).splitlines().index("    return a.shape") + 1
    with pytest.raises(SyntaxError, match=f"line {line}: 'a.shape' cannot be used") as info:
        ks.uses_attribute(np.zeros((3, 3)))
    assert info.value.lineno == line and info.value.filename.endswith("kernels_sample.py")


def test_returns_in_loops_and_masked_flow_equal_python_per_pixel(rng):
    x = rng.uniform(-3, 3, (41, 43))
    y = rng.uniform(-3, 3, (41, 43))
    x[0, :6] = [0, 1, -1, 0.5, 4 / 3, 2]  # edges of the conditions
    got_acc, got_k = ks.control_flow_kernel(x, y)
    want_acc, want_k = np.vectorize(ks.control_flow, otypes=[float, float])(x, y)
    np.testing.assert_array_equal(got_acc, want_acc)
    np.testing.assert_array_equal(got_k, want_k)
