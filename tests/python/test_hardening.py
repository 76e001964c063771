"""Hostile and careless input (the hardening issue): headers whose sizes
overflow or claim more than their bytes can hold are refused with the file's
name before anything is allocated; nothing crashes or reads garbage."""
import os
import struct
import subprocess
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

import tessera

CLI = Path(os.environ.get("TESSERA_CLI") or Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tessera")


def write_npy_header(path, shape, descr="<u1", data=b"\0" * 64):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)


@pytest.mark.parametrize("shape", ["(4294967296, 4294967296)", "(4611686018427387904, 4)",
                                   "(99999999999999999999999, 2)", "(3037000500, 3037000500, 2)"])
def test_an_npy_header_whose_size_overflows_is_refused(shape, tmp_path):
    write_npy_header(tmp_path / "h.npy", shape)
    with pytest.raises(OSError, match=r"h\.npy: corrupt (header|shape)"):
        tessera.open(tmp_path / "h.npy")
    r = subprocess.run([str(CLI), "eval", "a * 2", "-i", f"a={tmp_path / 'h.npy'}", "-o", str(tmp_path / "o.npy")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "h.npy: corrupt" in r.stderr
    assert not (tmp_path / "o.npy").exists()


def test_npy_data_at_an_unaligned_offset_is_read_right(tmp_path):
    # numpy pads headers to 64 bytes; a writer that does not leaves float64
    # data at an offset that is no multiple of 8: read, not mapped.
    a = np.arange(35, dtype=np.float64).reshape(5, 7) * 1.5
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (5, 7), }\n"
    (tmp_path / "u.npy").write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() +
                                     a.tobytes())
    assert (10 + len(header)) % 8 != 0
    np.testing.assert_array_equal(np.load(tmp_path / "u.npy"), a)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "u.npy")), a)


def tiff_one_strip(path, width, height, samples=1, compression=8, data=None):
    """A minimal little-endian TIFF of one strip, written here byte by byte
    (so that its header can lie): uint8 samples."""
    data = zlib.compress(b"\0" * 64) if data is None else data
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, compression), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, samples), (278, 4, 1, height), (279, 4, 1, len(data))]
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    out = bytearray(b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(entries)))
    for tag, kind, count, value in entries:
        value = data_at if tag == 273 else value
        out += struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3 else
                                                         struct.pack("<I", value))
    out += struct.pack("<I", 0) + data
    path.write_bytes(bytes(out))


@pytest.mark.parametrize("width, height, samples", [(100000, 30000, 1), (100000, 100000, 1), (100, 100, 65535)])
def test_a_tiff_strip_claiming_more_than_its_bytes_is_refused_at_once(width, height, samples, tmp_path):
    tiff_one_strip(tmp_path / "lie.tif", width, height, samples)
    assert (tmp_path / "lie.tif").stat().st_size < 300
    start = time.perf_counter()
    with pytest.raises(OSError, match=r"lie\.tif: (corrupt file|unsupported layout): strip 0 of page 0"):
        np.asarray(tessera.open(tmp_path / "lie.tif")[:4, :4])
    assert time.perf_counter() - start < 1.0  # nothing allocated, nothing decoded


def test_a_real_deflate_strip_still_reads(tmp_path):
    a = np.zeros((300, 400), np.uint8)
    a[100:200, 50:70] = 7
    data = zlib.compress(a.tobytes(), 9)  # compresses far, within deflate's 1032:1
    tiff_one_strip(tmp_path / "ok.tif", 400, 300, data=data)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "ok.tif")), a)


def test_deep_nesting_is_a_syntax_error_at_its_position(tmp_path):
    x = np.arange(5.0)
    for source in ["(" * 4000 + "x" + ")" * 4000, "-" * 300 + "x", "sqrt(" * 250 + "x" + ")" * 250,
                   "x" + "**x" * 300]:
        with pytest.raises(SyntaxError, match="too many nested") as e:
            tessera.evaluate(source, x=x)
        assert 150 < e.value.offset < 1300
    # Within the limit, as deep as CPython goes.
    np.testing.assert_array_equal(tessera.evaluate("(" * 150 + "x" + ")" * 150, x=x), x)
    np.testing.assert_array_equal(tessera.evaluate("-" * 150 + "x", x=x), x)
    np.save(tmp_path / "a.npy", x)
    r = subprocess.run([str(CLI), "eval", "(" * 4000 + "a" + ")" * 4000, "-i", f"a={tmp_path / 'a.npy'}", "-o",
                        str(tmp_path / "o.npy")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "too many nested" in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "o.npy").exists()


def test_a_100000_term_sum_works(rng):
    x = rng.integers(0, 100, 7).astype(np.float64)
    y = rng.random(7)
    terms = ["x", "y"] * 50000
    got = tessera.evaluate("+".join(terms), x=x, y=y)
    want = np.zeros(7)
    for _ in range(50000):  # numpy's order: left to right
        want = want + x
        want = want + y
    np.testing.assert_array_equal(got, want)
    assert tessera.expression("-".join(["x"] * 100000), x=x).shape == (7,)


def test_booleans_stored_as_other_bytes_read_as_numpy_reads_them():
    # An OpenCV 0/255 mask viewed as bool: any non-zero byte is True.
    b = np.array([0, 1, 2, 255, 0, 7], np.uint8).view(bool)
    c = np.array([1, 1, 0, 255, 3, 0], np.uint8).view(bool)
    for expr in ["b + 0", "b == True", "~b", "b & c", "b | c", "b ^ c", "where(b, 5, 7)", "b * 1.5", "b != c"]:
        np.testing.assert_array_equal(tessera.evaluate(expr, b=b, c=c), eval(expr.replace("where", "np.where")),
                                      err_msg=expr)
    for dtype in ["uint8", "int16", "float32", "float64", "bool"]:
        got = np.asarray(tessera.asarray(b).astype(dtype))
        np.testing.assert_array_equal(got, b.astype(dtype))
        assert set(np.unique(got.view(np.uint8) if dtype == "bool" else got)) <= {0, 1}
    np.testing.assert_array_equal(tessera.evaluate("b + 0", b=b[::-2]), b[::-2] + 0)


def test_evaluate_keeps_no_reference_to_the_callers_locals():
    import gc
    import weakref

    class Big(np.ndarray):
        pass

    def caller():
        big = np.ones(1000).view(Big)
        alive = weakref.ref(big)
        tessera.evaluate("big * 2")
        tessera.expression("big + 1")
        del big
        gc.collect()
        return alive() is None

    assert caller()


def test_outputs_get_the_mode_open_would_give_and_keep_a_replaced_files(tmp_path):
    import os
    a = np.ones((5, 5), np.uint8)
    old = os.umask(0o022)
    try:
        for name in ["a.tif", "a.npy"]:
            tessera.save(a, tmp_path / name)
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
            os.chmod(tmp_path / name, 0o640)
            tessera.save(a, tmp_path / name)  # replaced: its mode stays
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o640
        os.umask(0o077)
        tessera.save(a, tmp_path / "private.tif")
        assert (tmp_path / "private.tif").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_a_read_only_destination_is_refused_and_a_symlink_written_through(tmp_path):
    import os
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    tessera.save(np.zeros((3, 4), np.uint8), tmp_path / "ro.npy")
    os.chmod(tmp_path / "ro.npy", 0o444)
    with pytest.raises(OSError, match="ro.npy: is read-only"):
        tessera.save(a, tmp_path / "ro.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "ro.npy"), 0)
    (tmp_path / "real").mkdir()
    tessera.save(np.zeros((3, 4), np.uint8), tmp_path / "real" / "t.npy")
    os.symlink("real/t.npy", tmp_path / "link.npy")
    tessera.save(a, tmp_path / "link.npy")
    assert (tmp_path / "link.npy").is_symlink()
    np.testing.assert_array_equal(np.load(tmp_path / "real" / "t.npy"), a)
    assert sorted(os.listdir(tmp_path)) == ["link.npy", "real", "ro.npy"]
    assert os.listdir(tmp_path / "real") == ["t.npy"]


@pytest.mark.parametrize("sig, code", [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_during_a_cli_save_removes_the_temporary(sig, code, tmp_path):
    import os
    import signal
    np.save(tmp_path / "big.npy", np.random.default_rng(0).random((6000, 6000), dtype=np.float32))
    p = subprocess.Popen([str(CLI), "gaussian_filter", str(tmp_path / "big.npy"), str(tmp_path / "g.tif"), "--sigma",
                          "6", "--compression", "deflate"], stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while not [f for f in os.listdir(tmp_path) if f.startswith(".g.tif.tmp-")] and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # writing
    p.send_signal(getattr(signal, sig))
    assert p.wait(30) == code
    assert os.listdir(tmp_path) == ["big.npy"]


def test_chart_refuses_a_file_with_no_line_ends(tmp_path):
    r = subprocess.run([str(CLI), "chart", "/dev/zero", str(tmp_path / "o.gif")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and "longer than 1 MiB" in r.stderr
    assert not (tmp_path / "o.gif").exists()


def test_careless_settings_get_a_clear_error(tmp_path):
    import os
    import sys
    a = np.ones((6, 6), np.float32)
    np.save(tmp_path / "a.npy", a)
    r = subprocess.run([str(CLI), "eval", "a * 2", "-i", f"a={tmp_path / 'a.npy'}", "-o", str(tmp_path / "o.npy"),
                        "--threads", "-5"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--threads" in r.stderr and not (tmp_path / "o.npy").exists()
    with pytest.raises(ValueError, match="page must be a page number, 0 or more, got -5"):
        tessera.open(tmp_path / "a.npy", page=-5)
    with pytest.raises(ValueError, match=r"vmin \(10.*\) is above vmax \(5"):
        tessera.StreamChart(8, 8, vmin=10, vmax=5)
    (tmp_path / "s.csv").write_text("1\n2\n3\n")
    r = subprocess.run([str(CLI), "chart", str(tmp_path / "s.csv"), str(tmp_path / "c.gif"), "--vmin", "10",
                        "--vmax", "5"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "is above vmax" in r.stderr and not (tmp_path / "c.gif").exists()
    for var, value, message in [("TESSERA_NUM_THREADS", "abc", "TESSERA_NUM_THREADS must be a positive integer"),
                                ("TESSERA_NUM_THREADS", "0", "TESSERA_NUM_THREADS must be a positive integer"),
                                ("TESSERA_SIMD", "sse9", "TESSERA_SIMD must be baseline, avx2 or avx512")]:
        code = "import numpy as np, tessera\ntry:\n    tessera.evaluate('a + 1', a=np.ones(3))\n" \
               "except ValueError as e:\n    print('ValueError:', e)\n"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                           env={**os.environ, var: value})
        assert message in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("source, shown, offset", [("a + é", "'é'", 5), ("a + \x00 b", r"'\x00'", 5),
                                                   ("é + a", "'é'", 1), ("ab + 2 * µ", "'µ'", 10)])
def test_a_syntax_error_names_the_character_and_counts_characters(source, shown, offset):
    with pytest.raises(SyntaxError) as e:
        tessera.evaluate(source, a=np.ones(2), ab=np.ones(2))
    assert e.value.msg.startswith(f"unexpected character {shown} at position {offset - 1}")
    assert e.value.offset == offset and e.value.text == source


def test_a_huge_map_tiles_halo_is_refused_before_any_tile():
    calls = []
    with pytest.raises(ValueError, match=r"map_tiles: a tile \(512, 512\) with halo .* at most 1 GiB a tile"):
        tessera.map_tiles(lambda t: calls.append(1) or t, np.ones((50, 50), np.float32), halo=10**9)
    assert calls == []
    np.testing.assert_array_equal(tessera.map_tiles(lambda t: t * 2, np.ones((50, 50), np.float32), tile=(16, 16),
                                                    halo=3), np.full((50, 50), 2, np.float32))


def test_misaligned_arrays_are_read_right_and_a_misaligned_out_is_refused():
    # numpy allows data at an address no multiple of the item size (arrays
    # unpickled from a byte stream, as Dask's workers make them); UBSan found
    # typed loads from them. Inputs are read from an aligned copy.
    a = np.random.default_rng(5).random((37, 41)).astype(np.float32)
    raw = np.zeros(a.nbytes + 1, np.uint8)
    raw[1:] = a.view(np.uint8).ravel()
    m = np.frombuffer(raw.data, np.float32, offset=1).reshape(a.shape)
    assert not m.flags.aligned
    np.testing.assert_array_equal(tessera.evaluate("m * 2 + 1", m=m), a * 2 + 1)
    np.testing.assert_array_equal(np.asarray(tessera.uniform_filter(m, 3)), np.asarray(tessera.uniform_filter(a, 3)))
    out = np.frombuffer(bytearray(a.nbytes + 1), np.float32, offset=1).reshape(a.shape)
    with pytest.raises(ValueError, match="out is not aligned"):
        tessera.evaluate("a * 2", a=a, out=out)
