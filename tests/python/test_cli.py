"""The command line: results, and one clear line plus a non-zero exit (and
no output file) on every failure."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CLI = str(Path(sys.executable).parent / "tessera")


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
