"""Files: TIFF and .npy sources and sinks, against tifffile and libvips as
independent readers and writers; streaming against the in-memory path; and
every failure (missing, truncated, corrupt, unsupported, unwritable, full
disk) as a clear error with no output file left behind."""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile

import tessera

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")  # make sanitize sets it

TIFF_DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.float32, np.float64]
VIPS = shutil.which("vips")


def sample(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        a = rng.standard_normal(shape).astype(dtype) * 100
        a.flat[0] = np.nan
        return a
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
    return a


def leftovers(folder):
    return [p.name for p in Path(folder).iterdir() if ".tmp-" in p.name]


# ---- reading files written by tifffile ----

@pytest.mark.parametrize("dtype", TIFF_DTYPES)
@pytest.mark.parametrize("layout", ["strips", "tiles", "planar", "grey", "one-strip"])
@pytest.mark.parametrize("compression", [None, "zlib"])  # others: tifffile needs imagecodecs to encode
def test_reads_tifffile_layouts(tmp_path, rng, dtype, layout, compression):
    shape = (37, 53) if layout == "grey" else (37, 53, 3)
    a = sample(rng, shape, dtype)
    kw = dict(compression=compression)
    if layout == "strips" or layout == "grey":
        kw["rowsperstrip"] = 5
    elif layout == "tiles":
        kw["tile"] = (16, 32)
    elif layout == "planar":
        kw.update(planarconfig="separate", rowsperstrip=7)
    if a.ndim == 3:
        kw["photometric"] = "rgb"
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, np.moveaxis(a, -1, 0) if layout == "planar" else a, **kw)
    im = tessera.open(path)
    assert im.shape == a.shape and im.dtype == a.dtype
    np.testing.assert_array_equal(np.asarray(im), a)
    # A region reaching across chunk borders, as a tile of a pipeline reads it.
    np.testing.assert_array_equal(np.asarray(im[3:31, 7:50]), a[3:31, 7:50])


def test_rgba_big_endian_and_predictor(tmp_path, rng):
    a = rng.integers(0, 65535, (41, 29, 4), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "be.tif", a, byteorder=">", photometric="rgb", extrasamples=[2], rowsperstrip=3)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "be.tif")), a)
    tifffile.imwrite(tmp_path / "p.tif", a, photometric="rgb", compression="zlib", predictor=True, rowsperstrip=8)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "p.tif")), a)


def test_multipage_volume_and_page(tmp_path, rng):
    v = rng.standard_normal((6, 19, 23)).astype(np.float32)
    tifffile.imwrite(tmp_path / "v.tif", v)
    im = tessera.open(tmp_path / "v.tif")
    assert im.shape == (6, 19, 23)
    np.testing.assert_array_equal(np.asarray(im), v)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "v.tif", page=4)), v[4])
    assert tessera.info(tmp_path / "v.tif")["pages"] == 6
    with pytest.raises(ValueError, match="page 6 does not exist"):
        tessera.open(tmp_path / "v.tif", page=6)


def test_bigtiff_read_and_write(tmp_path, rng):
    a = rng.integers(0, 255, (33, 47), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "b.tif", a, bigtiff=True)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "b.tif")), a)
    tessera.save(a, tmp_path / "c.tif", bigtiff="yes")
    assert tessera.info(tmp_path / "c.tif")["bigtiff"]
    with tifffile.TiffFile(tmp_path / "c.tif") as t:
        assert t.is_bigtiff
        np.testing.assert_array_equal(t.asarray(), a)
    tessera.save(a, tmp_path / "d.tif")
    assert not tessera.info(tmp_path / "d.tif")["bigtiff"]


# ---- writing, read back by tifffile and by tessera ----

@pytest.mark.parametrize("dtype", TIFF_DTYPES)
@pytest.mark.parametrize("shape", [(37, 53), (37, 53, 3), (37, 53, 4), (5, 37, 53), (3, 37, 53, 2)])
def test_write_round_trip_tifffile(tmp_path, rng, dtype, shape):
    a = sample(rng, shape, dtype)
    path = tmp_path / "o.tif"
    tessera.save(a, path)
    back = tifffile.imread(path)
    np.testing.assert_array_equal(back.reshape(a.shape), a)
    np.testing.assert_array_equal(np.asarray(tessera.open(path)), a)


@pytest.mark.parametrize("compression", ["none", "deflate", "lzw", "zstd", "packbits"])
@pytest.mark.parametrize("tile", [None, (16, 32)])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_write_compressions(tmp_path, rng, compression, tile, dtype):
    a = sample(rng, (45, 70, 3), dtype)
    path = tmp_path / "o.tif"
    tessera.save(a, path, compression=compression, tile=tile)
    np.testing.assert_array_equal(np.asarray(tessera.open(path)), a)
    if compression in ("none", "deflate", "packbits"):  # what tifffile decodes without imagecodecs
        np.testing.assert_array_equal(tifffile.imread(path), a)
    info = tessera.info(path)
    assert info["compression"] == compression
    assert info["layout"].startswith("tiled" if tile else "striped")


def test_float_predictor(tmp_path, rng):
    a = rng.standard_normal((30, 41)).astype(np.float32)
    tessera.save(a, tmp_path / "f.tif", compression="zstd", predictor="float")
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "f.tif")), a)
    with pytest.raises(ValueError, match="float predictor"):
        tessera.save(a.astype(np.int16), tmp_path / "g.tif", compression="zstd", predictor="float")
    with pytest.raises(ValueError, match="needs compression"):
        tessera.save(a, tmp_path / "g.tif", predictor="horizontal")
    assert leftovers(tmp_path) == [] and not (tmp_path / "g.tif").exists()


@pytest.mark.skipif(VIPS is None, reason="libvips-tools not installed")
@pytest.mark.parametrize("compression", ["none", "lzw", "zstd", "deflate"])
def test_libvips_reads_what_tessera_writes(tmp_path, rng, compression):
    a = rng.integers(0, 255, (53, 67, 4), dtype=np.uint8)
    tessera.save(a, tmp_path / "t.tif", compression=compression)
    # libvips decodes it and writes it back uncompressed; tifffile reads that.
    subprocess.run([VIPS, "copy", tmp_path / "t.tif", f"{tmp_path / 'v.tif'}[compression=none]"], check=True)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "v.tif"), a)


@pytest.mark.skipif(VIPS is None, reason="libvips-tools not installed")
@pytest.mark.parametrize("options", ["", "[tile,tile-width=32,tile-height=16]", "[compression=lzw]",
                                     "[compression=deflate,predictor=horizontal]", "[bigtiff]"])
def test_reads_what_libvips_writes(tmp_path, rng, options):
    a = rng.integers(0, 65535, (61, 45, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "src.tif", a, photometric="rgb")
    subprocess.run([VIPS, "copy", tmp_path / "src.tif", f"{tmp_path / 'v.tif'}{options}"], check=True)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "v.tif")), a)


# ---- .npy ----

@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int64, np.float32])
def test_npy_source_and_sink(tmp_path, rng, dtype):
    a = (rng.standard_normal((23, 31)) * 50).astype(dtype)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "f.npy", np.asfortranarray(a))
    im = tessera.open(tmp_path / "a.npy")
    np.testing.assert_array_equal(np.asarray(im), a)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "f.npy")), a)
    (im[::-1] * 1).save(tmp_path / "b.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), a[::-1] * 1)


# ---- streaming equals in memory ----

def test_streaming_pipeline_equals_in_memory(tmp_path, rng):
    a = rng.random((517, 389)).astype(np.float32) + 0.5
    tessera.save(a, tmp_path / "a.tif", compression="deflate", tile=(64, 48))
    src = tessera.open(tmp_path / "a.tif")
    lazy = tessera.enhanced_lee_filter(src * 2, size=7, looks=4) + 1
    lazy.save(tmp_path / "o.tif")
    expect = np.asarray(tessera.enhanced_lee_filter(a * 2, size=7, looks=4)) + 1
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "o.tif"), expect)


def test_stream_of_many_bands_and_progress(tmp_path, rng):
    # Taller than one band: bands meet exactly, progress rises to 1.
    a = rng.integers(0, 60000, (4099, 1031), dtype=np.uint16)  # 8 MB: four bands of uint16 -> float64
    np.save(tmp_path / "a.npy", a)
    seen = []
    tessera.save(tessera.open(tmp_path / "a.npy") / 3, tmp_path / "o.tif", progress=seen.append, threads=2)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "o.tif"), a / 3)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 4


def test_volume_streams_through_a_3d_filter(tmp_path, rng):
    v = rng.random((9, 31, 29)).astype(np.float32)
    tifffile.imwrite(tmp_path / "v.tif", v)
    tessera.maximum_filter(tessera.open(tmp_path / "v.tif"), 3).save(tmp_path / "m.tif")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "m.tif"), ndi.maximum_filter(v, 3))


# ---- stacks ----

def test_stacks_mix_paths_arrays_and_images(tmp_path, rng):
    arrays = [rng.integers(0, 256, (29, 31, 4), dtype=np.uint8) for _ in range(5)]
    tessera.save(arrays[0], tmp_path / "0.tif")
    np.save(tmp_path / "1.npy", arrays[1])
    items = [tmp_path / "0.tif", str(tmp_path / "1.npy"), arrays[2], tessera.asarray(arrays[3]), arrays[4][:, :]]
    w = [0.1, 0.3, 0.2, 0.25, 0.15]
    ref = sum(wi * a.astype(np.float64) for wi, a in zip(w, arrays))
    s = tessera.weighted_sum(items, w)
    assert isinstance(s, tessera.Image) and s.dtype == np.float32
    np.testing.assert_allclose(np.asarray(s), ref, rtol=1e-6, atol=1e-4)
    u8 = np.asarray(tessera.weighted_sum(items, w, dtype=np.uint8))
    assert np.abs(u8.astype(int) - np.clip(np.rint(ref), 0, 255)).max() <= 1
    np.testing.assert_allclose(np.asarray(tessera.stack_mean(items)), np.mean(arrays, axis=0), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(tessera.stack_min(items)), np.min(arrays, axis=0).astype(np.float32))
    np.testing.assert_array_equal(np.asarray(tessera.stack_max(items, dtype=np.uint8)), np.max(arrays, axis=0))


def test_stack_accumulator_dtype(rng):
    f = rng.standard_normal((5, 7)).astype(np.float32)
    i = rng.integers(0, 9, (5, 7), dtype=np.int32)
    assert tessera.stack_mean([f, f]).dtype == np.float64
    assert tessera.stack_mean([i.astype(np.int16), i.astype(np.uint8)]).dtype == np.float32
    assert tessera.weighted_sum([i, i], [1, 2]).dtype == np.float64
    np.testing.assert_array_equal(np.asarray(tessera.weighted_sum([i, i], [1, 2])), 3.0 * i)
    n = f.copy()
    n[2, 3] = np.nan
    assert np.isnan(np.asarray(tessera.stack_max([f, n]))[2, 3])


def test_stack_errors(tmp_path, rng):
    a, b = np.zeros((4, 5), np.uint8), np.zeros((4, 6), np.uint8)
    with pytest.raises(ValueError, match=r"image 1 has shape \(4, 6\), but image 0 has shape \(4, 5\)"):
        tessera.stack_mean([a, b])
    # A file is named by its path (the hardening issue: "image 1" alone did not say which).
    np.save(tmp_path / "a.npy", a)
    tifffile.imwrite(tmp_path / "b.tif", b)
    with pytest.raises(ValueError, match=r"image 1 \(\S*b\.tif\) has shape \(4, 6\), but image 0 \(\S*a\.npy\)"):
        tessera.stack_mean([tessera.open(tmp_path / "a.npy"), tessera.open(tmp_path / "b.tif")[:, :]])
    with pytest.raises(ValueError, match="2 weights for 3 images"):
        tessera.weighted_sum([a, a, a], [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        tessera.stack_max([])
    with pytest.raises(TypeError, match="sequence"):
        tessera.stack_min(a)
    with pytest.raises(OSError, match="no such file"):
        tessera.stack_min([a, tmp_path / "missing.tif"])


# ---- failures ----

def test_missing_and_unknown(tmp_path):
    with pytest.raises(OSError, match="missing.tif: no such file"):
        tessera.open(tmp_path / "missing.tif")
    with pytest.raises(OSError, match="x.png: no such file"):
        tessera.open(tmp_path / "x.png")
    with pytest.raises(ValueError, match="unknown file type"):
        tessera.open(tmp_path / "x.bmp")
    (tmp_path / "d.tif").mkdir()
    with pytest.raises(OSError, match="is a directory"):
        tessera.open(tmp_path / "d.tif")


def test_truncated_and_corrupt_files(tmp_path, rng):
    a = rng.integers(0, 255, (64, 64), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "a.tif", a, rowsperstrip=8)
    raw = (tmp_path / "a.tif").read_bytes()
    (tmp_path / "trunc.tif").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "head.tif").write_bytes(raw[:6])
    (tmp_path / "garbage.tif").write_bytes(b"II*\x00" + bytes(rng.integers(0, 255, 200, dtype=np.uint8)))
    (tmp_path / "text.tif").write_text("not a tiff at all")
    for name in ["trunc.tif", "head.tif", "garbage.tif", "text.tif"]:
        with pytest.raises(OSError, match=name):
            np.asarray(tessera.open(tmp_path / name))
    # A compressed file whose data is damaged fails when the strip is decoded.
    tessera.save(a, tmp_path / "z.tif", compression="deflate")
    z = bytearray((tmp_path / "z.tif").read_bytes())
    z[16:400] = bytes(384)
    (tmp_path / "zbad.tif").write_bytes(bytes(z))
    with pytest.raises(OSError, match="zbad.tif"):
        np.asarray(tessera.open(tmp_path / "zbad.tif"))


def test_unsupported_layouts(tmp_path):
    # tifffile's 1-bit masks read as 0 and 1 (test_tiff_bits.py: every packed width).
    mask = np.random.default_rng(3).random((9, 13)) > 0.5
    tifffile.imwrite(tmp_path / "bits.tif", mask)
    np.testing.assert_array_equal(tessera.open(tmp_path / "bits.tif").compute(), mask.astype(np.uint8))
    tifffile.imwrite(tmp_path / "h.tif", np.zeros((8, 8), np.float16))
    with pytest.raises(OSError, match="unsupported layout: 16-bit floating-point"):
        tessera.open(tmp_path / "h.tif")
    tifffile.imwrite(tmp_path / "c.tif", np.zeros((8, 8), np.complex64))
    with pytest.raises(OSError, match="unsupported layout"):
        tessera.open(tmp_path / "c.tif")


def test_bad_save_arguments_leave_nothing(tmp_path):
    a = np.zeros((8, 8), np.uint8)
    for kwargs, match in [(dict(compression="jpeg2000"), "unknown compression"), (dict(tile=(10, 16)), "multiples of 16"),
                          (dict(bigtiff="maybe"), "bigtiff"), (dict(predictor="yes"), "unknown predictor")]:
        with pytest.raises(ValueError, match=match):
            tessera.save(a, tmp_path / "o.tif", **kwargs)
    with pytest.raises(ValueError, match="2-D to 4-D"):
        tessera.save(np.zeros(5, np.uint8), tmp_path / "o.tif")
    with pytest.raises(TypeError, match="boolean"):
        tessera.save(a.astype(bool), tmp_path / "o.tif")
    with pytest.raises(OSError, match="does not exist"):
        tessera.save(a, tmp_path / "no" / "o.tif")
    assert sorted(os.listdir(tmp_path)) == []


def test_error_during_compute_leaves_no_file(tmp_path, rng):
    a = rng.integers(0, 255, (300, 200), dtype=np.uint8)
    tessera.save(a, tmp_path / "a.tif", compression="deflate")
    z = bytearray((tmp_path / "a.tif").read_bytes())
    z[len(z) // 2: len(z) // 2 + 2000] = bytes(2000)  # damage a strip in the middle
    (tmp_path / "bad.tif").write_bytes(bytes(z))
    (tmp_path / "a.tif").unlink()
    with pytest.raises(OSError, match="bad.tif"):
        (tessera.open(tmp_path / "bad.tif") + 1).save(tmp_path / "out.tif")
    assert sorted(os.listdir(tmp_path)) == ["bad.tif"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_directory(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    with pytest.raises(OSError, match="cannot create"):
        tessera.save(np.zeros((4, 4), np.uint8), d / "o.tif")


def test_unwritable_directory_readonly_mount_or_proc(tmp_path):
    # As root, permissions do not stop a write; /proc refuses file creation to everyone.
    with pytest.raises(OSError, match="cannot create"):
        tessera.save(np.zeros((4, 4), np.uint8), "/proc/tessera-test.tif")


def run_python_with_file_limit(code, limit_bytes):
    script = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_FSIZE, ({limit_bytes}, {limit_bytes}))
    """) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fmt", ["tif", "npy"])
def test_full_disk_file_size_limit(tmp_path, fmt):
    # A file-size limit makes writes fail with EFBIG, as a full disk fails
    # with ENOSPC: the save must raise, naming the file, and leave nothing.
    r = run_python_with_file_limit(f"""
        import numpy as np, tessera
        a = np.ones((2000, 2000), np.float32)
        try:
            tessera.save(tessera.asarray(a) * 2, r"{tmp_path}/big.{fmt}")
        except OSError as e:
            print("OSError:", e)
        """, 1 << 20)
    assert "OSError:" in r.stdout and f"big.{fmt}" in r.stdout, r.stdout + r.stderr
    assert "File too large" in r.stdout and ".tmp-" not in r.stdout
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_full_disk_tmpfs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with pytest.raises(OSError, match="No space left on device"):
            tessera.save(np.ones((2000, 2000), np.float32), mnt / "big.tif")
        assert os.listdir(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)])


def test_band_writer_writes_behind_and_a_failed_band_surfaces_with_no_file(tmp_path):
    # The engine's band writer (tessera.dask.to_tiff's) writes each band on the
    # pool's background thread while the caller makes the next; a band that
    # fails to write raises at the next write() or commit(), naming the file,
    # and leaves nothing.
    r = run_python_with_file_limit(f"""
        import numpy as np, tessera
        w = tessera._core.BandWriter(r"{tmp_path}/big.tif", [2000, 2000], "float32")
        try:
            for r0 in range(0, 2000, 256):
                w.write([r0, 0], np.full((min(256, 2000 - r0), 2000), r0, np.float32))
            w.commit()
        except OSError as e:
            print("OSError:", e)
        """, 1 << 20)
    assert "OSError:" in r.stdout and "big.tif" in r.stdout, r.stdout + r.stderr
    assert os.listdir(tmp_path) == []


def test_band_writer_output_equals_the_bands(tmp_path, rng):
    import tifffile
    a = rng.integers(0, 60000, (301, 97), dtype=np.uint16)
    w = tessera._core.BandWriter(str(tmp_path / "b.tif"), list(a.shape), a.dtype, "deflate")
    step = w.row_granularity * 3
    w.write([0, 0], a[:step])
    w.abort()  # waits for the band being written, then removes every trace
    assert os.listdir(tmp_path) == []
    w = tessera._core.BandWriter(str(tmp_path / "b.tif"), list(a.shape), a.dtype, "deflate")
    for r0 in range(0, a.shape[0], step):
        w.write([r0, 0], a[r0:r0 + step])
    w.commit()
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "b.tif"), a)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("options", [[], ["-c", "zip"], ["-t", "-w", "16", "-l", "16"], ["-r", "3"]])
def test_fill_order_2_files_from_tiffcp_read_right(dtype, options, tmp_path, rng):
    # FillOrder=2 stores every byte with its bits reversed; libtiff's tiffcp
    # writes it, libtiff reverses it on read. The uncompressed fast path used
    # to read the stored bytes as they were.
    import shutil
    if not shutil.which("tiffcp"):
        pytest.skip("libtiff-tools is not installed")
    a = (rng.standard_normal((37, 41)) * 100).astype(dtype)
    tifffile.imwrite(tmp_path / "a.tif", a)
    subprocess.run(["tiffcp", "-f", "lsb2msb", *options, str(tmp_path / "a.tif"), str(tmp_path / "b.tif")], check=True)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "b.tif")), a)


@pytest.mark.parametrize("options", [["-co", "TILED=YES", "-co", "BLOCKXSIZE=16", "-co", "BLOCKYSIZE=16"],
                                     ["-co", "COMPRESS=DEFLATE", "-co", "BLOCKYSIZE=8"], ["-co", "BLOCKYSIZE=4"]])
@pytest.mark.parametrize("nodata", [None, 9])
def test_sparse_files_from_gdal_read_as_gdal_reads_them(options, nodata, tmp_path):
    # GDAL's SPARSE_OK files omit blocks that are all 0 (or all nodata):
    # byte count and offset 0. They read as GDAL reads them.
    import shutil
    if not shutil.which("gdal_translate"):
        pytest.skip("gdal-bin is not installed")
    gdal = pytest.importorskip("osgeo.gdal")
    a = np.zeros((64, 48), np.uint16) if nodata is None else np.full((64, 48), nodata, np.uint16)
    a[40:, 30:] = 7
    tifffile.imwrite(tmp_path / "a.tif", a)
    nd = [] if nodata is None else ["-a_nodata", str(nodata)]
    subprocess.run(["gdal_translate", "-q", "-co", "SPARSE_OK=TRUE", *nd, *options, str(tmp_path / "a.tif"),
                    str(tmp_path / "s.tif")], check=True)
    with tifffile.TiffFile(tmp_path / "s.tif") as t:
        assert 0 in t.pages[0].databytecounts  # some blocks are absent
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "s.tif")),
                                  gdal.Open(str(tmp_path / "s.tif")).ReadAsArray())
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "s.tif")), a)


def test_cloud_optimised_geotiffs_open_as_their_full_resolution_image(tmp_path, rng):
    # A COG's reduced-resolution pages (NewSubfileType 1) follow the image:
    # they are not part of it (open them with page=). Written by GDAL, read
    # back against GDAL.
    import shutil
    if not shutil.which("gdal_translate"):
        pytest.skip("gdal-bin is not installed")
    gdal = pytest.importorskip("osgeo.gdal")
    a = (rng.random((301, 263)) * 1000).astype(np.uint16)
    tifffile.imwrite(tmp_path / "a.tif", a)
    subprocess.run(["gdal_translate", "-q", "-of", "COG", "-co", "BLOCKSIZE=128", "-co", "OVERVIEWS=IGNORE_EXISTING",
                    str(tmp_path / "a.tif"), str(tmp_path / "cog.tif")], check=True)
    ds = gdal.Open(str(tmp_path / "cog.tif"))
    assert ds.GetRasterBand(1).GetOverviewCount() >= 1
    img = tessera.open(tmp_path / "cog.tif")
    assert img.shape == a.shape
    np.testing.assert_array_equal(np.asarray(img), a)
    info = tessera.info(tmp_path / "cog.tif")
    assert info["pages"] == 1 and "overview or mask page" in info["layout"]
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "cog.tif", page=1)),
                                  ds.GetRasterBand(1).GetOverview(0).ReadAsArray())


def test_overview_levels_in_python_and_on_the_command_line(tmp_path, rng):
    """level=k opens a COG's k-th overview (masks skipped); --level and
    --page choose the page of every input on the command line."""
    if not shutil.which("gdal_translate"):
        pytest.skip("gdal-bin is not installed")
    gdal = pytest.importorskip("osgeo.gdal")
    a = (rng.random((301, 263)) * 1000).astype(np.uint16)
    a[:40, :50] = 0
    tifffile.imwrite(tmp_path / "a.tif", a)
    cog = tmp_path / "cog.tif"
    # A nodata mask as well: GDAL's mask pages sit among the overviews.
    subprocess.run(["gdal_translate", "-q", "-of", "COG", "-co", "BLOCKSIZE=64", "-co", "OVERVIEW_COUNT=2",
                    "-mask", "1", str(tmp_path / "a.tif"), str(cog)], check=True)
    ds = gdal.Open(str(cog))
    band = ds.GetRasterBand(1)
    for level in (1, 2):
        want = band.GetOverview(level - 1).ReadAsArray()
        got = tessera.open(cog, level=level)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.compute(), want)
        out = tmp_path / f"l{level}.npy"
        subprocess.run([CLI, "eval", "a + 1", "-i", f"a={cog}", "--level", str(level), "-o", str(out)], check=True)
        np.testing.assert_array_equal(np.load(out), want.astype(np.int64) + 1)
    with pytest.raises(ValueError, match="overview level 3 does not exist \\(the file has 2 levels\\)"):
        tessera.open(cog, level=3)
    with pytest.raises(ValueError, match="page or level"):
        tessera.open(cog, page=0, level=1)
    subprocess.run([CLI, "median-filter", str(cog), str(tmp_path / "m.npy"), "--size", "3", "--page", "0"],
                   check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "m.npy"), ndi.median_filter(a, 3))
    r = subprocess.run([CLI, "eval", "a", "-i", f"a={cog}", "--level", "9", "-o", str(tmp_path / "x.npy")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "overview level 9 does not exist" in r.stderr
    assert not (tmp_path / "x.npy").exists()
