"""Metadata travels with pixels: georeferencing, nodata, resolution, the
samples' meaning. Files are made by GDAL, tifffile, libtiff's tools and
Pillow; what tessera writes is read back by GDAL (gdalinfo -json) and
tifffile, never by tessera alone."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

import tessera

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")

needs_gdal = pytest.mark.skipif(not shutil.which("gdal_translate"), reason="GDAL's tools are not installed")


def gdalinfo(path):
    out = subprocess.run(["gdalinfo", "-json", str(path)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def geo(info):
    """What GIS tools place an image by: geotransform, coordinate system, nodata."""
    return (info.get("geoTransform"), info.get("coordinateSystem", {}).get("wkt"),
            [b.get("noDataValue") for b in info["bands"]])


@pytest.fixture
def geotiff(tmp_path, rng):
    """A 301 x 257 float32 UTM scene with nodata, georeferenced by GDAL."""
    a = (rng.random((301, 257)) * 1000).astype(np.float32)
    tifffile.imwrite(tmp_path / "raw.tif", a)
    path = tmp_path / "geo.tif"
    subprocess.run(["gdal_translate", "-q", "-a_srs", "EPSG:32633", "-a_ullr", "500000", "4600000", "507710",
                    "4590970", "-a_nodata", "-9999", "-co", "TILED=YES", tmp_path / "raw.tif", path], check=True)
    return path, a


@needs_gdal
def test_operations_that_keep_the_grid_keep_georeferencing_and_nodata(tmp_path, geotiff):
    path, a = geotiff
    img = tessera.open(path)
    want = geo(gdalinfo(path))
    assert want[0] == [500000.0, 30.0, 0.0, 4600000.0, 0.0, -30.0] and want[2] == [-9999.0]
    outputs = {
        "filter": tessera.enhanced_lee_filter(img, 7),
        "expression": tessera.expression("where(a > 500, a * 2, a)", a=img),
        "operator": img * 2 + 1,
        "neighbour": tessera.expression("a[-1, 0] - a", a=img, mode="nearest"),
        "stack": tessera.weighted_sum([img, img], [0.25, 0.75]),
        "astype": img.astype(np.uint16),
        "uniform": tessera.uniform_filter(img, 5),
    }
    for name, out in outputs.items():
        out.save(tmp_path / f"{name}.tif")
        assert geo(gdalinfo(tmp_path / f"{name}.tif")) == want, name
    # The pixels are the operation's, not the metadata's concern.
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "operator.tif"), a * 2 + 1)


@needs_gdal
def test_a_kernel_keeps_georeferencing(tmp_path, geotiff):
    path, _ = geotiff

    @tessera.kernel
    def clip_low(a):
        return a if a > 100 else 100.0

    clip_low(tessera.open(path)).save(tmp_path / "k.tif")
    assert geo(gdalinfo(tmp_path / "k.tif")) == geo(gdalinfo(path))


@needs_gdal
@pytest.mark.parametrize("row, col", [(0, 0), (10, 20), (299, 3), (7, 0)])
def test_a_crop_stays_where_it_was_on_the_ground(tmp_path, geotiff, row, col):
    path, a = geotiff
    crop = tessera.open(path)[row:, col:col + 100]
    crop.save(tmp_path / "crop.tif")
    gt, wkt, nodata = geo(gdalinfo(tmp_path / "crop.tif"))
    x0, px, _, y0, _, py = gdalinfo(path)["geoTransform"]
    assert gt == pytest.approx([x0 + col * px, px, 0.0, y0 + row * py, 0.0, py])
    assert wkt == geo(gdalinfo(path))[1] and nodata == [-9999.0]
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "crop.tif"), a[row:, col:col + 100])


@needs_gdal
def test_a_crop_moves_a_model_transformation(tmp_path, rng):
    # A rotated grid: GDAL writes ModelTransformation instead of a tiepoint.
    a = rng.integers(0, 255, (40, 50), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "raw.tif", a)
    vrt = tmp_path / "rot.vrt"
    subprocess.run(["gdal_translate", "-q", "-of", "VRT", "-a_srs", "EPSG:4326", tmp_path / "raw.tif", vrt], check=True)
    text = vrt.read_text().replace("<SRS", "<GeoTransform>10.0, 0.01, 0.002, 50.0, 0.003, -0.01</GeoTransform><SRS", 1)
    vrt.write_text(text)
    path = tmp_path / "rot.tif"
    subprocess.run(["gdal_translate", "-q", vrt, path], check=True)
    assert "ModelTransformation" in tessera.open(path).metadata
    tessera.open(path)[5:, 7:].save(tmp_path / "crop.tif")
    x0, a1, a2, y0, a4, a5 = gdalinfo(path)["geoTransform"]
    got = gdalinfo(tmp_path / "crop.tif")["geoTransform"]
    assert got == pytest.approx([x0 + 7 * a1 + 5 * a2, a1, a2, y0 + 7 * a4 + 5 * a5, a4, a5])


@needs_gdal
def test_a_change_of_grid_drops_georeferencing_but_keeps_nodata(tmp_path, geotiff):
    path, a = geotiff
    img = tessera.open(path)
    for name, out in {"step": img[::2, ::2], "flip": img[::-1], "rows": img[5]}.items():
        out.save(tmp_path / f"{name}.tif") if out.ndim == 2 else None
    for name in ("step", "flip"):
        info = gdalinfo(tmp_path / f"{name}.tif")
        assert "geoTransform" not in info, name
        assert info["bands"][0]["noDataValue"] == -9999.0
    assert "ModelTiepoint" not in img[::2, ::2].metadata
    assert img[::2, ::2].metadata["GDAL_NODATA"] == "-9999"


@needs_gdal
def test_save_metadata_overrides_removes_and_drops(tmp_path, geotiff):
    path, _ = geotiff
    img = tessera.open(path)
    img.save(tmp_path / "over.tif", metadata={"GDAL_NODATA": 0, "ImageDescription": "filtered"})
    info = gdalinfo(tmp_path / "over.tif")
    assert info["bands"][0]["noDataValue"] == 0.0 and info["geoTransform"] == gdalinfo(path)["geoTransform"]
    assert tifffile.TiffFile(tmp_path / "over.tif").pages[0].description == "filtered"
    img.save(tmp_path / "removed.tif", metadata={"GDAL_NODATA": None})
    assert "noDataValue" not in gdalinfo(tmp_path / "removed.tif")["bands"][0]
    img.save(tmp_path / "none.tif", metadata=None)
    assert "geoTransform" not in gdalinfo(tmp_path / "none.tif")
    assert tessera.info(tmp_path / "none.tif")["metadata"] == {"Photometric": 1, "SamplesPerPixel": 1}
    # Metadata on an array with no file: a georeferenced result from numpy.
    arr = tessera.open(path).compute() * 0.5
    tessera.save(arr, tmp_path / "arr.tif", metadata=img.metadata)
    assert geo(gdalinfo(tmp_path / "arr.tif")) == geo(gdalinfo(path))


def test_bad_metadata_is_refused_by_name(tmp_path):
    a = np.zeros((4, 5), np.uint8)
    with pytest.raises(ValueError, match="unknown tag 'Nodata'.*GDAL_NODATA"):
        tessera.save(a, tmp_path / "a.tif", metadata={"Nodata": 0})
    with pytest.raises(TypeError, match="ModelPixelScale takes numbers"):
        tessera.save(a, tmp_path / "a.tif", metadata={"ModelPixelScale": "thirty"})
    with pytest.raises(ValueError, match="ModelTransformation takes 16 values, not 3"):
        tessera.save(a, tmp_path / "a.tif", metadata={"ModelTransformation": (1, 2, 3)})
    with pytest.raises(ValueError, match="Orientation holds 16-bit values"):
        tessera.save(a, tmp_path / "a.tif", metadata={"Orientation": 70000})
    with pytest.raises(ValueError, match="finite"):
        tessera.save(a, tmp_path / "a.tif", metadata={"ModelPixelScale": (float("nan"), 1, 0)})
    with pytest.raises(TypeError, match="ICCProfile takes bytes"):
        tessera.save(a, tmp_path / "a.tif", metadata={"ICCProfile": "abc"})
    with pytest.raises(TypeError, match="dict"):
        tessera.save(a, tmp_path / "a.tif", metadata=[("Orientation", 1)])
    assert not list(tmp_path.iterdir())


@needs_gdal
def test_cli_keeps_sets_and_drops_metadata(tmp_path, geotiff):
    path, _ = geotiff
    subprocess.run([CLI, "filter", "enhanced-lee", str(path), str(tmp_path / "f.tif")], check=True)
    assert geo(gdalinfo(tmp_path / "f.tif")) == geo(gdalinfo(path))
    subprocess.run([CLI, "eval", "a * 2", "-i", f"a={path}", "-o", str(tmp_path / "e.tif"), "--metadata",
                    "GDAL_NODATA=-1", "--metadata", "ModelPixelScale=10,10,0"], check=True)
    gt = gdalinfo(tmp_path / "e.tif")["geoTransform"]
    assert gt == [500000.0, 10.0, 0.0, 4600000.0, 0.0, -10.0]
    assert gdalinfo(tmp_path / "e.tif")["bands"][0]["noDataValue"] == -1.0
    subprocess.run([CLI, "eval", "a", "-i", f"a={path}", "-o", str(tmp_path / "n.tif"), "--metadata", "none"],
                   check=True)
    assert "geoTransform" not in gdalinfo(tmp_path / "n.tif")
    subprocess.run([CLI, "eval", "a", "-i", f"a={path}", "-o", str(tmp_path / "r.tif"), "--metadata", "GDAL_NODATA="],
                   check=True)
    assert "noDataValue" not in gdalinfo(tmp_path / "r.tif")["bands"][0]
    info = subprocess.run([CLI, "info", str(path)], check=True, capture_output=True, text=True).stdout
    assert "GDAL_NODATA: -9999" in info and "ModelTiepoint: 0,0,0,500000,4600000,0" in info
    for bad, message in [("Nodata=1", "unknown tag 'Nodata'"), ("ModelPixelScale=a,b", "numbers separated by commas"),
                         ("novalue", "KEY=VALUE")]:
        r = subprocess.run([CLI, "eval", "a", "-i", f"a={path}", "-o", str(tmp_path / "bad.tif"), "--metadata", bad],
                           capture_output=True, text=True)
        assert r.returncode != 0 and message in r.stderr, (bad, r.stderr)
        assert not (tmp_path / "bad.tif").exists()


# ---- the samples' meaning ----

def test_min_is_white_stays_min_is_white(tmp_path, rng):
    a = rng.integers(0, 255, (33, 47), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "w.tif", a, photometric="miniswhite")
    img = tessera.open(tmp_path / "w.tif")
    np.testing.assert_array_equal(img.compute(), a)  # the stored values, as tifffile reads them
    (img // 2).save(tmp_path / "out.tif")
    with tifffile.TiffFile(tmp_path / "out.tif") as t:
        assert t.pages[0].photometric == tifffile.PHOTOMETRIC.MINISWHITE
        np.testing.assert_array_equal(t.asarray(), a // 2)


def test_a_palette_image_reads_as_indices_and_keeps_its_colour_map(tmp_path, rng):
    from PIL import Image as PILImage
    idx = rng.integers(0, 7, (29, 31), dtype=np.uint8)
    pil = PILImage.fromarray(idx, mode="P")
    palette = rng.integers(0, 256, 768, dtype=np.uint8)
    pil.putpalette(palette.tolist())
    pil.save(tmp_path / "p.tif")
    img = tessera.open(tmp_path / "p.tif")
    np.testing.assert_array_equal(img.compute(), idx)
    assert img.metadata["Photometric"] == 3 and len(img.metadata["ColorMap"]) == 768
    img[3:, 2:].save(tmp_path / "crop.tif")
    back = PILImage.open(tmp_path / "crop.tif")
    assert back.mode == "P"
    np.testing.assert_array_equal(np.asarray(back), idx[3:, 2:])
    np.testing.assert_array_equal(np.asarray(back.convert("RGB")), np.asarray(pil.convert("RGB"))[3:, 2:])
    # A float result of palette indices is no longer a palette image.
    (img * 0.5).save(tmp_path / "f.tif")
    assert tifffile.TiffFile(tmp_path / "f.tif").pages[0].photometric == tifffile.PHOTOMETRIC.MINISBLACK


@pytest.mark.parametrize("photometric, samples, extrasamples", [
    ("separated", 4, None),          # CMYK
    ("separated", 5, ("unspecified",)),
    ("rgb", 4, ("assocalpha",)),     # premultiplied alpha stays premultiplied
    ("rgb", 4, ("unspecified",)),    # RGB + near-infrared: not alpha
    ("minisblack", 4, ("unspecified",) * 3),
])
def test_the_samples_keep_their_meaning(tmp_path, rng, photometric, samples, extrasamples):
    a = rng.integers(0, 60000, (21, 23, samples), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "in.tif", a, photometric=photometric, extrasamples=extrasamples, planarconfig="contig")
    with tifffile.TiffFile(tmp_path / "in.tif") as t:
        want = (t.pages[0].photometric, t.pages[0].extrasamples)
    tessera.open(tmp_path / "in.tif").save(tmp_path / "out.tif")
    with tifffile.TiffFile(tmp_path / "out.tif") as t:
        assert (t.pages[0].photometric, t.pages[0].extrasamples) == want
        np.testing.assert_array_equal(t.asarray(), a)


@needs_gdal
def test_rgb_plus_nir_from_gdal_is_not_alpha(tmp_path, rng):
    a = rng.integers(0, 4000, (4, 30, 40), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "planes.tif", a, photometric="minisblack", planarconfig="separate")
    subprocess.run(["gdal_translate", "-q", "-co", "PHOTOMETRIC=RGB", "-co", "ALPHA=NO", tmp_path / "planes.tif",
                    tmp_path / "rgbn.tif"], check=True)
    want = [b["colorInterpretation"] for b in gdalinfo(tmp_path / "rgbn.tif")["bands"]]
    assert want[3] != "Alpha"
    tessera.open(tmp_path / "rgbn.tif").save(tmp_path / "out.tif")
    assert [b["colorInterpretation"] for b in gdalinfo(tmp_path / "out.tif")["bands"]] == want


def test_rgba_arrays_still_save_as_rgba(tmp_path, rng):
    a = rng.integers(0, 255, (12, 14, 4), dtype=np.uint8)
    tessera.save(a, tmp_path / "rgba.tif")
    with tifffile.TiffFile(tmp_path / "rgba.tif") as t:
        assert t.pages[0].photometric == tifffile.PHOTOMETRIC.RGB
        assert t.pages[0].extrasamples == (tifffile.EXTRASAMPLE.UNASSALPHA,)


@needs_gdal
def test_a_change_of_rank_keeps_the_grid(tmp_path, geotiff):
    path, a = geotiff
    img = tessera.open(path)
    img[:, :, None].save(tmp_path / "one.tif")  # one page of one sample, not H pages
    with tifffile.TiffFile(tmp_path / "one.tif") as t:
        assert len(t.pages) == 1
    assert geo(gdalinfo(tmp_path / "one.tif")) == geo(gdalinfo(path))
    rgb = np.zeros(a.shape + (3,), np.float32)
    tessera.where(img[:, :, None] > 500, rgb + 1, 0).save(tmp_path / "rgb.tif")  # broadcast to (H, W, 3)
    assert geo(gdalinfo(tmp_path / "rgb.tif"))[:2] == geo(gdalinfo(path))[:2]


@needs_gdal
def test_a_packed_palette_keeps_its_colour_map(tmp_path, rng):
    from PIL import Image as PILImage
    idx = rng.integers(0, 16, (21, 25), dtype=np.uint8)
    pil = PILImage.fromarray(idx, mode="P")
    pil.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tolist())
    pil.save(tmp_path / "p8.tif")
    subprocess.run(["gdal_translate", "-q", "-co", "NBITS=4", tmp_path / "p8.tif", tmp_path / "p4.tif"], check=True)
    assert tifffile.TiffFile(tmp_path / "p4.tif").pages[0].bitspersample == 4
    img = tessera.open(tmp_path / "p4.tif")
    np.testing.assert_array_equal(img.compute(), idx)
    assert len(img.metadata["ColorMap"]) == 768
    img.save(tmp_path / "out.tif")
    assert PILImage.open(tmp_path / "out.tif").mode == "P"
    with tifffile.TiffFile(tmp_path / "p4.tif") as t4, tifffile.TiffFile(tmp_path / "out.tif") as t8:
        np.testing.assert_array_equal(t8.pages[0].colormap[:, :16], t4.pages[0].colormap)  # GDAL's map, padded
        np.testing.assert_array_equal(t8.asarray(), idx)


def test_selecting_bands_drops_the_samples_meaning_but_keeps_the_grid(tmp_path, rng):
    a = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", a, photometric="rgb", resolution=(300, 300), resolutionunit="INCH")
    img = tessera.open(tmp_path / "rgb.tif")
    band = img[..., 1]
    assert "Photometric" not in band.metadata and band.metadata["XResolution"] == 300
    assert tessera.expression("a[..., 0] + 1", a=img).metadata.get("XResolution") == 300
    img[2:, 3:].save(tmp_path / "crop.tif")
    with tifffile.TiffFile(tmp_path / "crop.tif") as t:
        assert t.pages[0].photometric == tifffile.PHOTOMETRIC.RGB
        assert t.pages[0].tags["XResolution"].value == (300, 1)


def test_icc_profile_resolution_and_orientation_survive(tmp_path, rng):
    from PIL import Image as PILImage
    from PIL import ImageCms
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    a = rng.integers(0, 255, (25, 19, 3), dtype=np.uint8)
    PILImage.fromarray(a).save(tmp_path / "in.tif", icc_profile=icc, dpi=(150, 150))
    subprocess.run(["tiffset", "-s", "274", "6", str(tmp_path / "in.tif")], check=True)  # libtiff's own tool
    img = tessera.open(tmp_path / "in.tif")
    assert img.metadata["ICCProfile"] == icc and img.metadata["Orientation"] == 6
    (img // 2).save(tmp_path / "out.tif")
    back = PILImage.open(tmp_path / "out.tif")
    assert back.info["icc_profile"] == icc and back.info["dpi"] == pytest.approx((150, 150))
    with tifffile.TiffFile(tmp_path / "out.tif") as t:  # (Pillow's decoder applies the orientation)
        assert t.pages[0].tags["Orientation"].value == 6
        np.testing.assert_array_equal(t.asarray(), a // 2)


def test_tifffile_shape_descriptions_are_not_carried(tmp_path, rng):
    a = rng.random((6, 20, 30)).astype(np.float32)
    tifffile.imwrite(tmp_path / "vol.tif", a)  # writes {"shape": [6, 20, 30]} in ImageDescription
    img = tessera.open(tmp_path / "vol.tif")
    assert "ImageDescription" not in img.metadata
    img[1:4].save(tmp_path / "part.tif")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "part.tif"), a[1:4])


# ---- layout: (H, W, S) is one page of S samples ----

@needs_gdal
@pytest.mark.parametrize("samples", [2, 5, 7, 12])
def test_any_number_of_samples_is_one_page(tmp_path, rng, samples):
    a = rng.integers(0, 1000, (37, 41, samples), dtype=np.int16)
    tessera.save(a, tmp_path / "bands.tif")
    info = gdalinfo(tmp_path / "bands.tif")
    assert info["size"] == [41, 37] and len(info["bands"]) == samples
    with tifffile.TiffFile(tmp_path / "bands.tif") as t:
        assert len(t.pages) == 1
        np.testing.assert_array_equal(t.asarray(), a)
        # tifffile's rule for an array: no band taken for alpha unless RGB + 1.
        assert t.pages[0].photometric == tifffile.PHOTOMETRIC.MINISBLACK
        assert set(t.pages[0].extrasamples) == {tifffile.EXTRASAMPLE.UNSPECIFIED}
    assert [b["colorInterpretation"] for b in info["bands"]].count("Alpha") == 0


def test_volumes_stay_pages_and_layout_decides_when_asked(tmp_path, rng):
    vol = rng.integers(0, 255, (5, 40, 40), dtype=np.uint8)
    tessera.save(vol, tmp_path / "vol.tif")
    with tifffile.TiffFile(tmp_path / "vol.tif") as t:
        assert len(t.pages) == 5 and t.pages[0].shape == (40, 40)
    flat = rng.integers(0, 255, (40, 30, 6), dtype=np.uint8)
    tessera.save(flat, tmp_path / "pages.tif", layout="pages")
    assert len(tifffile.TiffFile(tmp_path / "pages.tif").pages) == 40
    tessera.save(vol, tmp_path / "samples.tif", layout="samples")
    with tifffile.TiffFile(tmp_path / "samples.tif") as t:
        assert len(t.pages) == 1 and t.pages[0].samplesperpixel == 40
    with pytest.raises(ValueError, match="layout must be"):
        tessera.save(vol, tmp_path / "x.tif", layout="planes")
    # A volume whose pages are narrower than they are many stays a volume
    # because its file says so.
    thin = rng.integers(0, 255, (12, 30, 8), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "thin.tif", thin, photometric="minisblack")
    tessera.open(tmp_path / "thin.tif").save(tmp_path / "thin2.tif")
    with tifffile.TiffFile(tmp_path / "thin2.tif") as t:
        assert len(t.pages) == 12
        np.testing.assert_array_equal(t.asarray(), thin)


@needs_gdal
def test_a_five_band_geotiff_round_trips_as_one_raster(tmp_path, rng):
    a = rng.integers(0, 10000, (5, 50, 60), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "planes.tif", a, photometric="minisblack", planarconfig="separate")
    subprocess.run(["gdal_translate", "-q", "-a_srs", "EPSG:4326", "-a_ullr", "10", "50", "11", "49",
                    "-co", "INTERLEAVE=PIXEL", tmp_path / "planes.tif", tmp_path / "geo5.tif"], check=True)
    img = tessera.open(tmp_path / "geo5.tif")
    assert img.shape == (50, 60, 5)
    (img // 2).save(tmp_path / "out.tif")
    info = gdalinfo(tmp_path / "out.tif")
    assert len(info["bands"]) == 5 and geo(info)[:2] == geo(gdalinfo(tmp_path / "geo5.tif"))[:2]
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out.tif"), np.moveaxis(a, 0, -1) // 2)


def test_dask_to_tiff_writes_metadata(tmp_path, rng):
    import dask.array as da
    import tessera.dask as tdask
    a = rng.random((64, 48)).astype(np.float32)
    tdask.to_tiff(da.from_array(a, chunks=16), tmp_path / "d.tif",
                  metadata={"GDAL_NODATA": "nan", "ModelPixelScale": (2.0, 2.0, 0.0),
                            "ModelTiepoint": (0, 0, 0, 100.0, 200.0, 0)})
    m = tessera.info(tmp_path / "d.tif")["metadata"]
    assert m["GDAL_NODATA"] == "nan" and m["ModelTiepoint"] == (0, 0, 0, 100.0, 200.0, 0)
    with pytest.raises(TypeError, match="metadata must be a dict"):
        tdask.to_tiff(da.from_array(a, chunks=16), tmp_path / "e.tif", metadata="x")
