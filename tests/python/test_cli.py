"""The command line: results, and one clear line plus a non-zero exit (and
no output file) on every failure."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")  # make sanitize sets it


def run(*args):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)


def test_eval_writes_the_result(tmp_path, rng):
    a = rng.integers(0, 256, (31, 17, 4), dtype=np.uint8)
    np.save(tmp_path / "a.npy", a)
    r = run("eval", "where(a > 240, 0, a)", "-i", f"a={tmp_path / 'a.npy'}", "-o", tmp_path / "out.npy")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), np.where(a > 240, 0, a))
    r = run("eval", "a / 2", "-i", f"a={tmp_path / 'a.npy'}", "-o", tmp_path / "half.npy", "--dtype", "uint8")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "half.npy"), np.rint(a / 2).astype(np.uint8))


def test_info(tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((3, 5), np.float32))
    r = run("info", tmp_path / "f.npy")
    assert r.returncode == 0 and "(3, 5)" in r.stdout and "float32" in r.stdout


def test_fortran_and_big_endian_npy_are_read(tmp_path, rng):
    a = rng.standard_normal((7, 9))
    np.save(tmp_path / "f.npy", np.asfortranarray(a))
    np.save(tmp_path / "b.npy", a.astype(">f8"))
    r = run("eval", "f - b", "-i", f"f={tmp_path / 'f.npy'}", "-i", f"b={tmp_path / 'b.npy'}", "-o", tmp_path / "o.npy")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), np.zeros((7, 9)))


@pytest.mark.parametrize("case", ["missing", "truncated", "corrupt", "bad_expr", "unknown_name", "bad_dir",
                                  "bad_input_spec", "bad_dtype"])
def test_failures_print_one_line_and_leave_no_output(case, tmp_path, rng):
    a = rng.standard_normal((20, 20)).astype(np.float32)
    good = tmp_path / "a.npy"
    np.save(good, a)
    out = tmp_path / "out.npy"
    inp, expr, dtype = f"a={good}", "a * 2", []
    if case == "missing":
        inp = f"a={tmp_path / 'nope.npy'}"
    elif case == "truncated":
        data = good.read_bytes()
        (tmp_path / "t.npy").write_bytes(data[: len(data) - 100])
        inp = f"a={tmp_path / 't.npy'}"
    elif case == "corrupt":
        (tmp_path / "c.npy").write_bytes(b"\x93NUMPY\x01\x00" + b"\xff\xff" + b"garbage" * 10)
        inp = f"a={tmp_path / 'c.npy'}"
    elif case == "bad_expr":
        expr = "a * * 2"
    elif case == "unknown_name":
        expr = "a * b"
    elif case == "bad_dir":
        out = tmp_path / "no" / "such" / "dir" / "out.npy"
    elif case == "bad_input_spec":
        inp = str(good)
    elif case == "bad_dtype":
        dtype = ["--dtype", "float16"]
    r = run("eval", expr, "-i", inp, "-o", out, *dtype)
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("tessera: error:"), r.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.npy.tmp")]


def test_usage_errors_exit_non_zero():
    assert run().returncode != 0
    assert run("eval").returncode != 0
    assert run("frobnicate").returncode != 0


# ---- TIFF files and stacks ----

def _tiffs(tmp_path, rng, n=4, shape=(67, 45, 4)):
    import tifffile
    arrays = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]
    paths = []
    for k, a in enumerate(arrays):
        p = tmp_path / f"in{k}.tif"
        tifffile.imwrite(p, a, photometric="rgb", extrasamples=[2], rowsperstrip=8)
        paths.append(p)
    return arrays, paths


def test_wsum_mean_min_max_on_tiffs(tmp_path, rng):
    import tifffile
    arrays, paths = _tiffs(tmp_path, rng)
    w = [0.1, 0.2, 0.3, 0.4]
    r = run("wsum", "-o", tmp_path / "w.tif", "--weights", ",".join(map(str, w)), *paths, "--dtype", "uint8",
            "--compression", "deflate", "--threads", 2)
    assert r.returncode == 0, r.stderr
    ref = np.clip(np.rint(sum(wi * a.astype(np.float64) for wi, a in zip(w, arrays))), 0, 255)
    assert np.abs(tifffile.imread(tmp_path / "w.tif").astype(int) - ref).max() <= 1
    r = run("mean", "-o", tmp_path / "m.tif", *paths, "--progress")
    assert r.returncode == 0, r.stderr
    assert "100%" in r.stderr
    np.testing.assert_allclose(tifffile.imread(tmp_path / "m.tif"), np.mean(arrays, axis=0), rtol=1e-6)
    for name, fn in [("min", np.min), ("max", np.max)]:
        r = run(name, "-o", tmp_path / f"{name}.npy", *paths, "--dtype", "uint8")
        assert r.returncode == 0, r.stderr
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.npy"), fn(arrays, axis=0))
    r = run("info", tmp_path / "w.tif")
    assert r.returncode == 0 and "(67, 45, 4)" in r.stdout and "deflate" in r.stdout


def test_eval_and_filter_on_tiffs(tmp_path, rng):
    import scipy.ndimage as ndi
    import tifffile
    arrays, paths = _tiffs(tmp_path, rng, n=2)
    r = run("eval", "a // 2 + b // 2", "-i", f"a={paths[0]}", "-i", f"b={paths[1]}", "-o", tmp_path / "e.tif")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "e.tif"), arrays[0] // 2 + arrays[1] // 2)
    g = rng.random((71, 53)).astype(np.float32)
    tifffile.imwrite(tmp_path / "g.tif", g)
    r = run("filter", "maximum", tmp_path / "g.tif", tmp_path / "mx.tif", "--size", 5, "--compression", "zstd")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.asarray(__import__("tessera").open(tmp_path / "mx.tif")),
                                  ndi.maximum_filter(g, 5))


def test_steepest_on_multipage_tiff(tmp_path, rng):
    import tifffile
    import tessera
    v = rng.integers(0, 5, (6, 9, 11)).astype(np.float32)
    tifffile.imwrite(tmp_path / "v.tif", v)
    r = run("steepest", tmp_path / "v.tif", tmp_path / "labels.tif")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "labels.tif"), tessera.steepest_neighbor(v))


@pytest.mark.parametrize("args, message", [
    (["mean", "-o", "{t}/o.tif", "{t}/in0.tif", "{t}/missing.tif"], "missing.tif: no such file"),
    (["mean", "-o", "{t}/o.tif", "{t}/in0.tif", "{t}/small.tif"], "small.tif) has shape (5, 5), but image 0 ("),
    (["wsum", "-o", "{t}/o.tif", "--weights", "1,x", "{t}/in0.tif", "{t}/in1.tif"], "--weights"),
    (["wsum", "-o", "{t}/o.tif", "--weights", "1", "{t}/in0.tif", "{t}/in1.tif"], "1 weights for 2 images"),
    (["mean", "-o", "{t}/o.tif", "{t}/in0.tif", "--compression", "rar"], "unknown compression"),
    (["mean", "-o", "{t}/o.tif", "{t}/corrupt.tif"], "corrupt.tif"),
    (["mean", "-o", "{t}/nodir/o.tif", "{t}/in0.tif"], "does not exist"),
    (["eval", "a +", "-i", "a={t}/in0.tif", "-o", "{t}/o.tif"], "a +"),
    (["filter", "lee", "{t}/in0.tif", "{t}/o.tif"], "2-D single-band"),
])
def test_tiff_failures_leave_no_output(tmp_path, rng, args, message):
    import tifffile
    _tiffs(tmp_path, rng, n=2)
    tifffile.imwrite(tmp_path / "small.tif", np.zeros((5, 5), np.uint8))
    (tmp_path / "corrupt.tif").write_bytes(b"II*\x00garbage-garbage-garbage")
    before = set(os.listdir(tmp_path))
    r = run(*[a.format(t=tmp_path) for a in args])
    assert r.returncode != 0
    assert r.stderr.startswith("tessera: error:") and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert set(os.listdir(tmp_path)) == before


def test_full_disk_cli(tmp_path, rng):
    import resource
    import tifffile
    tifffile.imwrite(tmp_path / "a.tif", np.ones((1500, 1500), np.float32))
    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))  # noqa: E731
    r = subprocess.run([CLI, "eval", "a * 2", "-i", f"a={tmp_path / 'a.tif'}", "-o", tmp_path / "o.tif"],
                       capture_output=True, text=True, preexec_fn=limit)
    assert r.returncode == 1 and "o.tif: write failed" in r.stderr and "File too large" in r.stderr, r.stderr
    assert sorted(os.listdir(tmp_path)) == ["a.tif"]


def test_chart_renders_npy_and_csv(tmp_path, rng):
    import tessera
    from test_chart import read_frames
    series = rng.normal(size=300).cumsum()
    np.save(tmp_path / "s.npy", series)
    (tmp_path / "s.csv").write_text("time,value\n" + "\n".join(f"{i},{v!r}" for i, v in enumerate(series)) + "\n")
    want = tessera.render_windows(series, 24, 40, step=7, style="line", channels=3, vmin=None, colormap="height")
    for src, extra in [("s.npy", []), ("s.csv", ["--column", "1"])]:
        for ext in (".gif", ".png"):
            out = tmp_path / f"c{ext}"
            r = run("chart", tmp_path / src, out, "--height", 24, "--width", 40, "--step", 7, "--style", "line",
                    "--channels", 3, "--vmin", "auto", "--colormap", "height", *extra)
            assert r.returncode == 0, r.stderr
            np.testing.assert_array_equal(read_frames(out)[..., :3], want)


def test_chart_errors_name_the_problem(tmp_path):
    (tmp_path / "bad.csv").write_text("1\n2\nabc\n")
    (tmp_path / "good.csv").write_text("1\n2\n3\n")
    np.save(tmp_path / "m.npy", np.zeros((3, 3, 3)))
    cases = [
        (["chart", tmp_path / "bad.csv", tmp_path / "o.gif"], "line 3: 'abc' is not a number"),
        (["chart", tmp_path / "missing.csv", tmp_path / "o.gif"], "missing.csv"),
        (["chart", tmp_path / "m.npy", tmp_path / "o.gif"], "must be 1-D"),
        (["chart", tmp_path / "good.csv", tmp_path / "o.bmp"], "extension"),
        (["chart", tmp_path / "good.csv", tmp_path / "o.gif", "--style", "pie"], "style must be"),
        (["chart", tmp_path / "good.csv", tmp_path / "o.gif", "--step", "0"], "step"),
        (["chart", tmp_path / "good.csv", tmp_path / "o.gif", "--channels", "2"], "channels"),
    ]
    for args, message in cases:
        r = run(*args)
        assert r.returncode != 0 and message in r.stderr, (args, r.stderr)
    assert not list(tmp_path.glob("o.*"))


def test_a_mode_per_axis_on_the_command_line(tmp_path, rng):
    import scipy.ndimage as ndi
    import tifffile
    g = rng.random((41, 37)).astype(np.float32)
    tifffile.imwrite(tmp_path / "g.tif", g)
    r = run("filter", "maximum", tmp_path / "g.tif", tmp_path / "mx.tif", "--size", 5, "--mode", "wrap,constant",
            "--cval", 2)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "mx.tif"),
                                  ndi.maximum_filter(g, 5, mode=["wrap", "constant"], cval=2))
    r = run("filter", "maximum", tmp_path / "g.tif", tmp_path / "bad.tif", "--size", 5, "--mode", "wrap,bogus")
    assert r.returncode != 0 and "unknown boundary mode 'bogus'" in r.stderr
    r = run("filter", "maximum", tmp_path / "g.tif", tmp_path / "bad.tif", "--size", 5, "--mode", "wrap,wrap,wrap")
    assert r.returncode != 0 and "3 boundary modes for mode, but the input has 2 axes" in r.stderr
    assert not (tmp_path / "bad.tif").exists()
