"""Subscripts in the expression language (the kernels issue, part 1):
channel picks a[..., 0] as numpy indexes, and neighbours a[-1, 0] padded by
scipy.ndimage's boundary modes, against scipy and numpy on random data, odd
and prime sizes, every dtype, non-contiguous views, lazily, from files and
on the command line."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile

import tessera

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")
MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]
DTYPES = [np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64, np.float32,
          np.float64]
LAPLACE = "a[0, 1] + a[0, -1] + a[1, 0] + a[-1, 0] - 4 * a"


def random_array(rng, shape, dtype):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True).astype(dtype)
    return (rng.standard_normal(shape) * 10).astype(dtype)


def neighbour(a, offset, mode, cval=0.0):
    """a[i + offset] with scipy's padding, computed by scipy.ndimage.correlate
    with a one-hot kernel: exact, since every other weight is 0."""
    kernel = np.zeros([2 * abs(o) + 1 for o in offset] + [1] * (a.ndim - len(offset)))
    kernel[tuple(abs(o) + o for o in offset) + (0,) * (a.ndim - len(offset))] = 1
    return ndi.correlate(a.astype(np.float64), kernel, mode=mode, cval=cval)


@pytest.mark.parametrize("mode", MODES)
def test_the_laplacian_written_with_neighbours_is_scipys(mode, rng):
    a = rng.standard_normal((37, 41))
    got = tessera.evaluate(LAPLACE, mode=mode, cval=1.5, a=a)
    np.testing.assert_allclose(got, ndi.laplace(a, mode=mode, cval=1.5), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_a_neighbour_is_the_element_scipys_mode_gives(dtype, mode, rng):
    a = random_array(rng, (13, 17), dtype)
    for offset in [(0, 1), (-1, 0), (2, -3), (-5, 4), (14, 0), (0, -20)]:  # beyond the image too
        expr = f"a[{offset[0]}, {offset[1]}]"
        got = tessera.evaluate(expr, mode=mode, cval=1, a=a)
        assert got.dtype == a.dtype
        np.testing.assert_array_equal(got, neighbour(a, offset, mode, cval=1).astype(a.dtype), err_msg=expr)


@pytest.mark.parametrize("mode", MODES)
def test_neighbours_in_three_dimensions_keep_numpys_arithmetic(mode, rng):
    # int16 arithmetic wraps as numpy's does: the reference is numpy on the
    # neighbours scipy gives.
    v = random_array(rng, (7, 11, 5), np.int16)
    expr = "v[1, -1, 0] * 3 - v[0, 0, 2] + v // 2"
    got = tessera.evaluate(expr, mode=mode, v=v)
    n1 = neighbour(v, (1, -1, 0), mode).astype(np.int16)
    n2 = neighbour(v, (0, 0, 2), mode).astype(np.int16)
    np.testing.assert_array_equal(got, n1 * 3 - n2 + v // 2)


def test_fewer_offsets_than_axes_leave_the_channels_with_the_element(rng):
    rgb = random_array(rng, (19, 23, 3), np.uint8)
    got = tessera.evaluate("a[-1, 2]", mode="nearest", a=rgb)
    np.testing.assert_array_equal(got, neighbour(rgb, (-1, 2), "nearest").astype(np.uint8))


def test_non_contiguous_views_and_lazy_inputs(rng):
    big = random_array(rng, (40, 60), np.float32)
    a = big[3::2, 50:5:-3]  # strided and reversed
    expr = "a[1, 1] - a[-1, -1]"
    ref = neighbour(a, (1, 1), "reflect") - neighbour(a, (-1, -1), "reflect")
    np.testing.assert_allclose(tessera.evaluate(expr, a=a), ref.astype(np.float32), rtol=1e-6, atol=1e-5)
    lazy = tessera.uniform_filter(a, 3)  # a neighbour of a lazy image pads its values
    got = tessera.evaluate("a[0, 2]", mode="wrap", a=lazy)
    np.testing.assert_array_equal(got, np.roll(np.asarray(lazy), -2, axis=1))


@pytest.mark.parametrize("threads", [1, 2])
def test_bit_identical_for_any_thread_count_and_lazily(threads, rng):
    a = random_array(rng, (1031, 523), np.float32)
    expected = tessera.evaluate(LAPLACE, a=a, threads=1)
    assert np.array_equal(tessera.evaluate(LAPLACE, a=a, threads=threads), expected)
    lazy = tessera.expression(LAPLACE, a=a)
    assert lazy.halo() == (1, 1)
    assert np.array_equal(lazy.compute(threads=threads), expected)
    assert np.array_equal(np.asarray(lazy[100:300, 7:400]), expected[100:300, 7:400])


@pytest.mark.parametrize("mode", ["nearest", "wrap", "constant"])
def test_stencils_run_over_padded_rows_exactly(mode, rng):
    """A stencil's leaves read one padded input at several offsets; the program
    then runs over the padded row pitch (the halo columns computed and
    dropped). Volumes of many tiles, two inputs with halos, a view with long
    rows, results of another dtype and into a strided output: numpy's values."""
    a = rng.standard_normal((9, 67, 301)).astype(np.float32)
    b = rng.standard_normal((9, 67, 301)).astype(np.float32)
    wide = rng.standard_normal((9, 67, 331)).astype(np.float32)[:, :, 7:308]
    expr = "where(a[1, 0, -1] - b[-1, 1, 0] > a[0, -1, 1] * 0.5, a[0, 0, 1] / 3, b[1, -1, -1])"

    def want(x, y):
        n = lambda v, o: neighbour(v, o, mode, cval=0.5)
        return np.where(n(x, (1, 0, -1)).astype(np.float32) - n(y, (-1, 1, 0)).astype(np.float32)
                        > n(x, (0, -1, 1)).astype(np.float32) * np.float32(0.5),
                        n(x, (0, 0, 1)).astype(np.float32) / np.float32(3), n(y, (1, -1, -1)).astype(np.float32))

    for x in (a, wide):
        lazy = tessera.expression(expr, a=tessera.asarray(x), b=tessera.asarray(b), mode=mode, cval=0.5)
        for threads in (1, 2):
            np.testing.assert_array_equal(lazy.compute(threads=threads), want(x, b))
        labels = tessera.expression("where(a[0, 0, 1] > a[0, 0, -1], 3, where(a[1, 0, 0] < a, 250, 7))",
                                    a=tessera.asarray(x), mode=mode, cval=0.5).astype("uint8")  # as uint8 choices
        n = lambda o: neighbour(x, o, mode, cval=0.5)
        ref = np.where(n((0, 0, 1)) > n((0, 0, -1)), 3, np.where(n((1, 0, 0)) < x, 250, 7)).astype(np.uint8)
        out = np.zeros((9, 67, 2 * 301), np.uint8)[:, :, ::2]
        labels.compute(out=out)
        assert labels.dtype == np.uint8
        np.testing.assert_array_equal(out, ref)


def test_dividing_by_one_and_casting_choices_keep_numpys_values(rng):
    """x / 1 is x itself (NaN, infinities, signed zeros); a cast of a choice
    among constants is the choice of the cast constants, and saturates as
    every tessera cast does (README)."""
    a = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-45, -3.5, 3e38], np.float32)
    got = tessera.evaluate("a / 1", a=a)
    assert got.dtype == np.float32
    assert np.array_equal(got, a, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(a))
    i = np.array([-(2 ** 62) - 1, 3, 2 ** 53 + 1], np.int64)
    np.testing.assert_array_equal(tessera.evaluate("i / 1", i=i), i / 1)
    # (250, 0, 7) are all uint8 values, so the choices run in uint8; 300 and -1 are not
    for big, low in ((300, -1), (250, 0)):
        choice = tessera.expression(f"where(a > 0, {big}, where(a < -1, {low}, 7))", a=tessera.asarray(a))
        for dtype in ("uint8", "int16", "float32"):
            want = np.where(a > 0, big, np.where(a < -1, low, 7))
            if dtype == "uint8":
                want = np.clip(want, 0, 255)
            want = want.astype(dtype)
            got = choice.astype(dtype).compute()
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_channel_picks_are_numpys_indexing(rng):
    img = random_array(rng, (5, 7, 4), np.uint8)
    for pick in ["0", "-1", "1:3", "::2", "3:0:-1", "-2:", "5:9"]:
        np.testing.assert_array_equal(tessera.evaluate(f"a[..., {pick}]", a=img), eval(f"img[..., {pick}]"))
    np.testing.assert_array_equal(tessera.evaluate("a[..., 1:3, 0]", a=img), img[..., 1:3, 0])
    np.testing.assert_array_equal(tessera.evaluate("a[..., 2][1, 0]", mode="nearest", a=img),
                                  neighbour(img[..., 2], (1, 0), "nearest").astype(np.uint8))


def test_the_001_rule_with_channel_picks(rng):
    img = random_array(rng, (31, 29, 4), np.uint8)
    img[rng.random((31, 29)) < 0.3, :3] = 250
    rule = "where((a[..., 0:1] > 240) & (a[..., 1:2] > 240) & (a[..., 2:3] > 240), 0, a)"
    ref = np.where((img[..., 0:1] > 240) & (img[..., 1:2] > 240) & (img[..., 2:3] > 240), 0, img)
    np.testing.assert_array_equal(tessera.evaluate(rule, a=img), ref)
    # a[..., 0] drops the axis as numpy does; the error says how to keep it.
    with pytest.raises(ValueError, match=r"a\[\.\.\., 0:1\] keeps it"):
        tessera.evaluate("where((a[..., 0] > 240) & (a[..., 1] > 240), 0, a)", a=img)


def test_files_stream_through_neighbours_on_the_command_line(tmp_path, rng):
    a = random_array(rng, (301, 257), np.float32)
    tifffile.imwrite(tmp_path / "a.tif", a, tile=(64, 64))
    r = subprocess.run([CLI, "eval", LAPLACE, "-i", f"a={tmp_path / 'a.tif'}", "-o", str(tmp_path / "l.tif"),
                        "--mode", "nearest"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    ref = ndi.laplace(a.astype(np.float64), mode="nearest")
    np.testing.assert_allclose(tifffile.imread(tmp_path / "l.tif"), ref, rtol=1e-5, atol=1e-4)
    lazy = tessera.expression(LAPLACE, mode="nearest", a=tessera.open(tmp_path / "a.tif"))
    lazy.save(tmp_path / "m.tif")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "m.tif"), tifffile.imread(tmp_path / "l.tif"))
    r = subprocess.run([CLI, "eval", "a[0, 1]", "-i", f"a={tmp_path / 'a.tif'}", "-o", str(tmp_path / "x.tif"),
                        "--mode", "sideways"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "sideways" in r.stderr and not (tmp_path / "x.tif").exists()


@pytest.mark.parametrize("expr, error, message", [
    ("a[1:2]", SyntaxError, "a slice picks channels after '...'"),
    ("(a + 1)[0, 1]", SyntaxError, "only a variable can be subscripted"),
    ("a[0.5]", SyntaxError, "constant integers"),
    ("a[-x]", SyntaxError, "constant integers"),
    ("a[0, ...]", SyntaxError, "'...' comes first"),
    ("a[..., ...]", SyntaxError, "only one '...'"),
    ("a[0, 1", SyntaxError, "was never closed"),
    ("a[]", SyntaxError, "constant integers"),
    ("a[1, 2, 3]", ValueError, "3 neighbour offsets, but 'a' has 2 axes"),
    ("a[..., 9]", ValueError, "index 9 is out of bounds for axis 1 with size 5"),
    ("a[..., ::0]", ValueError, "step cannot be zero"),
    ("s[0, 1]", TypeError, "'s' is a scalar"),
])
def test_bad_subscripts_get_clear_errors(expr, error, message):
    a = np.zeros((4, 5), np.float32)
    with pytest.raises(error, match=message.replace("[", r"\[").replace("(", r"\(").replace(".", r"\.")):
        tessera.evaluate(expr, a=a, s=2.0, x=1)
    with pytest.raises(ValueError, match="mode"):
        tessera.evaluate("a[0, 1]", a=a, mode="sideways")


def test_a_neighbour_along_a_broadcast_axis_is_refused():
    row = np.arange(5.0)[None, :]
    with pytest.raises(ValueError, match="broadcasts along it"):
        tessera.evaluate("r[1, 0] + b", r=row, b=np.zeros((4, 5)))


def test_extreme_subscripts_are_exact_or_refused():
    a = np.arange(20.0).reshape(4, 5)
    np.testing.assert_array_equal(tessera.evaluate("a[..., 0:5:9223372036854775807]", a=a), a[..., 0:5:2 ** 63 - 1])
    np.testing.assert_array_equal(tessera.evaluate("a[..., ::-9223372036854775807]", a=a), a[..., ::-(2 ** 63 - 1)])
    with pytest.raises(ValueError, match="reaches too far"):
        tessera.evaluate("a[1000000000000, 0]", a=a)
    g = tessera.asarray(a) * 2  # neighbours of one expression variable (one node, read once per tile)
    lazy = tessera.expression("g[0, 1] + g[0, -1] + g[1, 0]", mode="wrap", g=g)
    np.testing.assert_array_equal(np.asarray(lazy), np.roll(2 * a, -1, 1) + np.roll(2 * a, 1, 1) + np.roll(2 * a, -1, 0))
