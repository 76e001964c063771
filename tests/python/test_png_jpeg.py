"""PNG and JPEG (the files issue, part 7): files written by Pillow read as
Pillow decodes them (palettes and low bit depths expanded, transparency as
alpha, 16 bits kept); PNGs tessera writes read back in Pillow; corrupt,
truncated and hostile files get errors naming the file; the 001 seed's job
runs from the command line."""
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile
from PIL import Image

import tessera

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")


def pillow_png(path, array, mode=None, **kw):
    Image.fromarray(array, mode).save(path, **kw) if mode else Image.fromarray(array).save(path, **kw)


@pytest.mark.parametrize("case", ["L", "LA", "RGB", "RGBA", "I;16", "P", "P+tRNS", "1", "odd"])
def test_pngs_from_pillow_read_as_pillow_decodes_them(case, tmp_path, rng):
    h, w = (31, 47) if case != "odd" else (1, 1)
    path = tmp_path / "in.png"
    if case in ("L", "odd"):
        a = rng.integers(0, 256, (h, w), dtype=np.uint8)
        pillow_png(path, a)
        expected = a
    elif case in ("LA", "RGB", "RGBA"):
        a = rng.integers(0, 256, (h, w, len(case)), dtype=np.uint8)
        Image.fromarray(a, case).save(path)
        expected = a
    elif case == "I;16":
        a = rng.integers(0, 65536, (h, w), dtype=np.uint16)
        Image.fromarray(a, "I;16").save(path)
        expected = np.asarray(Image.open(path)).astype(np.uint16)
        assert np.array_equal(expected, a)
    elif case == "1":
        a = rng.random((h, w)) < 0.5
        Image.fromarray(a).save(path)
        expected = np.asarray(Image.open(path).convert("L"))  # 1-bit expands to 0/255
    else:
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        im = Image.fromarray(rgb).quantize(16)
        if case == "P+tRNS":
            im.info["transparency"] = 3
            im.save(path, transparency=3)
            expected = np.asarray(Image.open(path).convert("RGBA"))
        else:
            im.save(path)
            expected = np.asarray(Image.open(path).convert("RGB"))
    got = np.asarray(tessera.open(path))
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert tessera.info(path)["format"] == "png"


@pytest.mark.parametrize("shape, dtype", [((29, 41), np.uint8), ((29, 41, 2), np.uint8), ((29, 41, 3), np.uint8),
                                          ((29, 41, 4), np.uint8), ((29, 41), np.uint16), ((7, 5, 3), np.uint16),
                                          ((1, 1), np.uint8)])
def test_pngs_tessera_writes_read_back_in_pillow(shape, dtype, tmp_path, rng):
    a = rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
    tessera.save(a[..., ::-1] if len(shape) == 3 else a[:, ::-1], tmp_path / "o.png")  # a non-contiguous view
    back = np.asarray(Image.open(tmp_path / "o.png"))
    want = a[..., ::-1] if len(shape) == 3 else a[:, ::-1]
    if dtype == np.uint16:
        back = back.astype(np.uint16) if back.ndim == 2 else None
        if back is None:  # Pillow reads 16-bit RGB as 8-bit: check ours instead
            back = np.asarray(tessera.open(tmp_path / "o.png"))
    np.testing.assert_array_equal(back, want)
    assert [f.name for f in tmp_path.iterdir()] == ["o.png"]


def test_a_png_of_another_dtype_is_refused_and_frames_are_an_animation(tmp_path, rng):
    with pytest.raises(ValueError, match=r"PNG holds uint8 or uint16 samples, got float32 \(convert with dtype=\)"):
        tessera.save(np.zeros((4, 5), np.float32), tmp_path / "f.png")
    frames = rng.integers(0, 256, (3, 16, 20, 3), dtype=np.uint8)
    tessera.save(frames, tmp_path / "anim.png", fps=5)
    im = Image.open(tmp_path / "anim.png")
    assert getattr(im, "n_frames", 1) == 3
    assert sorted(f.name for f in tmp_path.iterdir()) == ["anim.png"]


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_jpegs_read_as_pillow_decodes_them(mode, tmp_path, rng):
    a = rng.integers(0, 256, (45, 61, 3), dtype=np.uint8)
    im = Image.fromarray(a).convert(mode)
    im.save(tmp_path / "in.jpg", quality=90)
    got = np.asarray(tessera.open(tmp_path / "in.jpg"))
    np.testing.assert_array_equal(got, np.asarray(Image.open(tmp_path / "in.jpg")))
    info = tessera.info(tmp_path / "in.jpg")
    assert info["format"] == "jpeg" and info["shape"] == got.shape
    Image.fromarray(a).convert("CMYK").save(tmp_path / "c.jpeg")
    assert np.asarray(tessera.open(tmp_path / "c.jpeg")).shape == (45, 61, 4)


def test_the_001_job_from_a_jpeg_on_the_command_line(tmp_path, rng):
    a = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    a[rng.random((64, 80)) < 0.4] = 255
    Image.fromarray(a).save(tmp_path / "in.jpg", quality=95)
    rule = "where((a[..., 0:1] > 240) & (a[..., 1:2] > 240) & (a[..., 2:3] > 240), 0, a)"
    r = subprocess.run([CLI, "eval", rule, "-i", f"a={tmp_path / 'in.jpg'}", "-o", str(tmp_path / "out.png")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    d = np.asarray(Image.open(tmp_path / "in.jpg"))
    want = np.where((d[..., 0:1] > 240) & (d[..., 1:2] > 240) & (d[..., 2:3] > 240), 0, d)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out.png")), want)


def png_with_header(width, height, bit_depth=8, colour=2):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_bad_files_get_errors_naming_them(tmp_path, rng):
    a = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "ok.png")
    Image.fromarray(a).save(tmp_path / "ok.jpg")
    for name, cut in [("ok.png", 60), ("ok.jpg", 200)]:
        data = (tmp_path / name).read_bytes()
        (tmp_path / ("cut_" + name)).write_bytes(data[:cut])
        with pytest.raises(OSError, match=f"cut_{name}: corrupt or truncated"):
            np.asarray(tessera.open(tmp_path / ("cut_" + name)))
    (tmp_path / "huge.png").write_bytes(png_with_header(1_000_000, 1_000_000))
    with pytest.raises(OSError, match="huge.png"):
        tessera.open(tmp_path / "huge.png")
    (tmp_path / "short.png").write_bytes(png_with_header(100, 100))  # far fewer pixels than it claims
    # Rows are decoded as they are read: the error names the row reached.
    with pytest.raises(OSError, match=r"short.png: corrupt or truncated PNG at row \d+"):
        np.asarray(tessera.open(tmp_path / "short.png"))
    with pytest.raises(ValueError, match="JPEG has no alpha"):
        tessera.save(np.dstack([a, a[..., :1]]), tmp_path / "out.jpg")
    assert not (tmp_path / "out.jpg").exists()


def test_a_jpeg_cut_inside_its_image_data_is_an_error(tmp_path, rng):
    # libjpeg only warns (and fills the rest with grey); tessera refuses.
    a = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "ok.jpg", quality=90)
    data = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(OSError, match=r"cut.jpg: corrupt or truncated JPEG at row \d+"):
        np.asarray(tessera.open(tmp_path / "cut.jpg"))


def test_the_001_job_in_python_jpeg_to_a_transparent_png(tmp_path, rng):
    a = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    a[rng.random((48, 64)) < 0.4] = 255
    Image.fromarray(a).save(tmp_path / "in.jpg", quality=95)
    rgb = tessera.open(tmp_path / "in.jpg")
    white = (rgb[..., 0:1] > 240) & (rgb[..., 1:2] > 240) & (rgb[..., 2:3] > 240)
    tessera.block([[[rgb, tessera.where(white, 0, 255).astype("uint8")]]]).save(tmp_path / "out.png")
    d = np.asarray(Image.open(tmp_path / "in.jpg"))
    out = Image.open(tmp_path / "out.png")
    assert out.mode == "RGBA"
    alpha = np.where((d[..., 0] > 240) & (d[..., 1] > 240) & (d[..., 2] > 240), 0, 255)
    np.testing.assert_array_equal(np.asarray(out), np.dstack([d, alpha.astype(np.uint8)]))


def test_a_header_claiming_more_than_its_file_can_hold_is_refused_at_once(tmp_path, rng):
    # Found by the JPEG fuzzer: 414 bytes claiming 64769 x 49169 pixels made
    # libjpeg allocate gigabytes before failing. A codec expands a byte to at
    # most so many samples; more than that is refused from the header.
    Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(tmp_path / "p.jpg", progressive=True)
    data = bytearray((tmp_path / "p.jpg").read_bytes())
    sof = data.index(b"\xff\xc2")  # the progressive frame header: height and width at +5
    data[sof + 5:sof + 9] = struct.pack(">HH", 64769, 49169)
    (tmp_path / "huge.jpg").write_bytes(bytes(data))
    with pytest.raises(OSError, match=r"huge.jpg: corrupt header: shape \(64769, 49169\) is more than a file of"):
        tessera.open(tmp_path / "huge.jpg")
    (tmp_path / "huge.png").write_bytes(png_with_header(60000, 60000))
    with pytest.raises(OSError, match="huge.png: corrupt header"):
        tessera.open(tmp_path / "huge.png")


def test_jpeg_and_png_tags_travel_to_tiff(tmp_path, rng):
    """A JPEG's EXIF orientation (reported, the pixels not turned), ICC
    profile and JFIF density, and a PNG's ICC profile, pHYs and alpha, as
    Pillow writes them, become the TIFF tags tifffile reads back."""
    from PIL import Image as PILImage
    from PIL import ImageCms
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    a = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    im = PILImage.fromarray(a)
    exif = im.getexif()
    exif[274] = 6
    im.save(tmp_path / "o.jpg", exif=exif, icc_profile=icc, dpi=(300, 300), quality=95)
    img = tessera.open(tmp_path / "o.jpg")
    m = img.metadata
    assert m["Orientation"] == 6 and m["ICCProfile"] == icc and m["XResolution"] == 300 and m["ResolutionUnit"] == 2
    np.testing.assert_array_equal(img.compute(), np.asarray(PILImage.open(tmp_path / "o.jpg")))  # not turned
    assert tessera.info(tmp_path / "o.jpg")["metadata"]["Orientation"] == 6
    img.save(tmp_path / "o.tif")
    with tifffile.TiffFile(tmp_path / "o.tif") as t:
        p = t.pages[0]
        assert p.tags["Orientation"].value == 6 and bytes(p.tags["InterColorProfile"].value) == icc
        assert p.tags["XResolution"].value == (300, 1)
    rgba = rng.integers(0, 255, (20, 30, 4), dtype=np.uint8)
    PILImage.fromarray(rgba).save(tmp_path / "a.png", icc_profile=icc, dpi=(254, 254))
    png = tessera.open(tmp_path / "a.png")
    assert png.metadata["ICCProfile"] == icc and png.metadata["XResolution"] == pytest.approx(100.0)
    (png // 2).save(tmp_path / "a.tif")
    back = PILImage.open(tmp_path / "a.tif")
    assert back.mode == "RGBA" and back.info["icc_profile"] == icc
    with tifffile.TiffFile(tmp_path / "a.tif") as t:
        assert t.pages[0].extrasamples == (tifffile.EXTRASAMPLE.UNASSALPHA,)
    # A JPEG without EXIF or ICC carries no such tags.
    PILImage.fromarray(a).save(tmp_path / "plain.jpg")
    assert "Orientation" not in tessera.open(tmp_path / "plain.jpg").metadata


@pytest.mark.filterwarnings("ignore:Corrupt EXIF")  # Pillow's own, reading it back
def test_corrupt_exif_is_ignored(tmp_path, rng):
    from PIL import Image as PILImage
    a = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
    PILImage.fromarray(a).save(tmp_path / "e.jpg", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f\x01\x00")
    img = tessera.open(tmp_path / "e.jpg")  # an IFD offset past the marker: no orientation, no error
    assert "Orientation" not in img.metadata
    np.testing.assert_array_equal(img.compute(), np.asarray(PILImage.open(tmp_path / "e.jpg")))


def test_a_malformed_icc_profile_is_no_profile(tmp_path, rng):
    """An APP2 ICC_PROFILE marker numbered 0 (libjpeg warns that it is bogus):
    the image opens, without a profile."""
    a = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "ok.jpg")
    data = (tmp_path / "ok.jpg").read_bytes()
    payload = b"ICC_PROFILE\x00" + bytes([0, 1]) + b"not a profile"
    bogus = data[:2] + b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    (tmp_path / "bogus.jpg").write_bytes(bogus)
    img = tessera.open(tmp_path / "bogus.jpg")
    assert "ICCProfile" not in img.metadata
    np.testing.assert_array_equal(img.compute(), np.asarray(Image.open(tmp_path / "ok.jpg")))


def interlaced_png(a):
    """An Adam7-interlaced RGB PNG of a (H, W, 3) uint8 array, written here
    from the PNG specification (filter 0 on every row); Pillow reads it."""
    h, w, _ = a.shape
    raw = b""
    for r0, c0, dr, dc in [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
                           (1, 0, 2, 1)]:
        sub = a[r0::dr, c0::dc]
        if sub.size:
            raw += b"".join(b"\0" + row.tobytes() for row in sub)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_rows_are_decoded_as_the_engine_reads_them(tmp_path, rng):
    """PNG and JPEG stream their rows (info says "rows in order"): pixels
    equal Pillow's through filters with halos across many tiles, reductions,
    reads in any order (backwards, a crop) and threads; an interlaced PNG is
    decoded whole."""
    a = rng.integers(0, 256, (1300, 700, 4), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "rgba.png", compress_level=1)
    g16 = rng.integers(0, 65536, (517, 389), dtype=np.uint16)
    Image.fromarray(g16).save(tmp_path / "g16.png")
    pal = Image.fromarray(rng.integers(0, 256, (301, 203, 3), dtype=np.uint8)).quantize(37)
    pal.save(tmp_path / "pal.png")
    Image.fromarray(a[..., :3]).save(tmp_path / "base.jpg", quality=90)
    Image.fromarray(a[..., :3]).save(tmp_path / "prog.jpg", quality=90, progressive=True)
    Image.fromarray(a[..., 0]).save(tmp_path / "grey.jpg", quality=80)
    for name in ("rgba.png", "g16.png", "pal.png", "base.jpg", "prog.jpg", "grey.jpg"):
        want = np.asarray(Image.open(tmp_path / name).convert("RGB") if name == "pal.png" else Image.open(tmp_path / name))
        assert tessera.info(tmp_path / name)["layout"] == "rows in order", name
        img = tessera.open(tmp_path / name)
        np.testing.assert_array_equal(np.asarray(img), want, err_msg=name)
        np.testing.assert_array_equal(np.asarray(img[::-1]), want[::-1], err_msg=name)
        np.testing.assert_array_equal(np.asarray(img[100:200:3]), want[100:200:3], err_msg=name)
        spatial = (7, 5) + (1,) * (want.ndim - 2)
        np.testing.assert_array_equal(np.asarray(tessera.maximum_filter(img, spatial)),
                                      ndi.maximum_filter(want, spatial), err_msg=name)
        assert np.asarray(tessera.sum(img, axis=0)).tolist() == want.sum(axis=0, dtype=np.uint64).tolist(), name
    (tmp_path / "inter.png").write_bytes(interlaced_png(a[:61, :45, :3]))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "inter.png")), a[:61, :45, :3])
    assert tessera.info(tmp_path / "inter.png")["layout"] == "interlaced, decoded whole"
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "inter.png")), a[:61, :45, :3])


def smooth(h, w, channels):
    y, x = np.mgrid[0:h, 0:w]
    planes = [(x * 0.8) % 256, (y * 1.2) % 256, (x + y) % 256][:channels]
    return np.dstack(planes).astype(np.uint8) if channels > 1 else planes[0].astype(np.uint8)


@pytest.mark.parametrize("quality", [90, 40, 100])
def test_jpeg_writing_equals_pillows_encoder(tmp_path, quality):
    """The same libjpeg settings as Pillow's (4:2:0, the quality's tables):
    decoded, the pixels are Pillow's own encode's, for RGB and grey, from an
    array and streamed from a lazy pipeline; quality changes the size."""
    import io
    for a in (smooth(203, 301, 3), smooth(97, 131, 1)):
        kw = {} if quality == 90 else {"quality": quality}
        tessera.save(a, tmp_path / "t.jpg", **kw)
        b = io.BytesIO()
        Image.fromarray(a).save(b, "JPEG", quality=quality)
        b.seek(0)
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "t.jpg")), np.asarray(Image.open(b)))
    lazy = tessera.maximum_filter(tessera.asarray(smooth(203, 301, 3)), (3, 3, 1))
    lazy.save(tmp_path / "lazy.jpg", quality=quality)
    b = io.BytesIO()
    Image.fromarray(ndi.maximum_filter(smooth(203, 301, 3), (3, 3, 1))).save(b, "JPEG", quality=quality)
    b.seek(0)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "lazy.jpg")), np.asarray(Image.open(b)))


def test_jpeg_keeps_icc_and_resolution_and_png_level(tmp_path, rng):
    from PIL import ImageCms
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    a = smooth(64, 80, 3)
    Image.fromarray(a).save(tmp_path / "in.png", icc_profile=icc, dpi=(300, 300))
    img = tessera.open(tmp_path / "in.png")
    img.save(tmp_path / "out.jpg", quality=95)
    out = Image.open(tmp_path / "out.jpg")
    assert out.info["icc_profile"] == icc
    assert [round(v) for v in out.info["dpi"]] == [300, 300]  # the PNG's 118.11 per cm, as JFIF per inch
    img.save(tmp_path / "out.png")  # and a PNG's own iCCP and pHYs
    again = Image.open(tmp_path / "out.png")
    assert again.info["icc_profile"] == icc and [round(v) for v in again.info["dpi"]] == [300, 300]
    # PNG's zlib compress_level: the same pixels, smaller at 9 than at 0.
    b = np.tile(smooth(60, 70, 3), (4, 4, 1))
    tessera.save(b, tmp_path / "l0.png", compress_level=0)
    tessera.save(b, tmp_path / "l9.png", compress_level=9)
    assert os.path.getsize(tmp_path / "l9.png") < os.path.getsize(tmp_path / "l0.png") / 4
    for name in ("l0.png", "l9.png"):
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / name)), b)


def test_jpeg_and_png_options_refuse_bad_values(tmp_path):
    a = smooth(20, 30, 3)
    for call, match in [(lambda: tessera.save(a, tmp_path / "x.jpg", quality=0), "quality is 1 .smallest. to 100"),
                        (lambda: tessera.save(a, tmp_path / "x.jpg", quality=101), "quality is 1"),
                        (lambda: tessera.save(a.astype(np.uint16), tmp_path / "x.jpg"), "JPEG holds uint8"),
                        (lambda: tessera.save(a, tmp_path / "x.tif", quality=80), "quality= applies to JPEG"),
                        (lambda: tessera.save(a, tmp_path / "x.jpg", compress_level=3), "compress_level= applies to PNG"),
                        (lambda: tessera.save(a, tmp_path / "x.png", compress_level=10), "compress_level is 0 .fastest. to 9"),
                        (lambda: tessera.save(a, tmp_path / "x.jpg", compression="deflate"), "use quality=")]:
        with pytest.raises(ValueError, match=match):
            call()
    assert not list(tmp_path.glob("x.*"))
    with pytest.raises(OSError, match="no-such-dir"):
        tessera.save(a, tmp_path / "no-such-dir" / "x.jpg")


def test_cli_writes_jpeg_with_quality(tmp_path):
    a = smooth(50, 60, 3)
    Image.fromarray(a).save(tmp_path / "in.png")
    r = subprocess.run([CLI, "eval", "a", "-i", f"a={tmp_path / 'in.png'}", "-o", str(tmp_path / "o.jpg"),
                        "--quality", "70"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    import io
    b = io.BytesIO()
    Image.fromarray(a).save(b, "JPEG", quality=70)
    b.seek(0)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "o.jpg")), np.asarray(Image.open(b)))
    r = subprocess.run([CLI, "eval", "a", "-i", f"a={tmp_path / 'in.png'}", "-o", str(tmp_path / "bad.jpg"),
                        "--quality", "0"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "quality is 1" in r.stderr and not (tmp_path / "bad.jpg").exists()


def read_png_elsewhere(path, shape, dtype):
    """A PNG's pixels by Pillow, or by OpenCV for 16-bit grey+alpha and RGBA
    (Pillow reads those as 8 bits; OpenCV gives BGRA)."""
    if np.dtype(dtype) == np.uint16 and len(shape) == 3 and shape[2] in (2, 4):
        import cv2
        b = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        return b[..., [0, 3]] if shape[2] == 2 else b[..., [2, 1, 0, 3]]
    return np.asarray(Image.open(path))


@pytest.mark.parametrize("shape,dtype", [((1, 1), np.uint8), ((1, 777), np.uint16), ((613, 1), np.uint8),
                                         ((37, 41, 2), np.uint16), ((2900, 1700, 3), np.uint8),
                                         ((700, 900, 4), np.uint16)])
def test_png_deflated_in_parallel_pieces_is_one_valid_stream(tmp_path, rng, shape, dtype):
    """Rows filtered and deflated in pieces on all cores, across bands of
    the stream: Pillow reads the pixels back; Python's zlib inflates the
    IDAT chunks joined as one stream (its Adler-32 checked) to the filtered
    rows; every thread count gives the same bytes."""
    info = np.iinfo(dtype)
    y = np.arange(shape[0])[:, None]
    x = np.arange(shape[1])[None, :]
    smooth_part = ((x * 3 + y * 5) % (info.max + 1)).astype(dtype)
    a = np.broadcast_to(smooth_part.reshape(shape[:2] + (1,) * (len(shape) - 2)), shape).copy()
    a[rng.random(shape) < 0.3] = rng.integers(0, info.max, dtype=dtype)  # noise
    files = []
    for threads in (1, 2):
        p = tmp_path / f"t{threads}.png"
        tessera.save(a, p, threads=threads)
        files.append(p.read_bytes())
        np.testing.assert_array_equal(read_png_elsewhere(p, a.shape, a.dtype), a)
    assert files[0] == files[1]
    data, at, idat = files[0], 8, b""
    while at < len(data):
        n, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            idat += data[at + 8:at + 8 + n]
        at += 12 + n
    channels = 1 if len(shape) == 2 else shape[2]
    raw = zlib.decompress(idat)  # checks the zlib header and the Adler-32
    assert len(raw) == shape[0] * (1 + shape[1] * channels * np.dtype(dtype).itemsize)


def test_an_unsupported_jpeg_variant_is_named(tmp_path):
    """A 12-bit JPEG (its frame header's precision byte says 12): libjpeg-
    turbo's 8-bit decoder refuses it, and the error says the variant is
    unsupported, not that the file is broken."""
    import io
    b = io.BytesIO()
    Image.fromarray(smooth(16, 16, 1)).save(b, "JPEG", quality=90)
    data = bytearray(b.getvalue())
    sof = data.index(b"\xff\xc0")  # baseline frame: length (2 bytes), then the precision
    data[sof + 4] = 12
    (tmp_path / "p12.jpg").write_bytes(bytes(data))
    with pytest.raises(OSError, match=r"p12.jpg: unsupported JPEG variant \(Unsupported JPEG data precision 12\)"):
        tessera.open(tmp_path / "p12.jpg")
