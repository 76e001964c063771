"""save(cog=True): Cloud-Optimised GeoTIFFs that GDAL's own validator
(validate_cloud_optimized_geotiff.py, --full-check) accepts; the full
resolution equal to the input, each overview the 2x2 mean (or top-left
value) of the level above, checked against a float64 numpy formula and, on
even sizes, against GDAL's gdaladdo; georeferencing, nodata and colour kept;
no temporary left behind."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

import tessera

CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")
VALIDATOR = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py"
gdal = pytest.importorskip("osgeo.gdal")


def validate(path):
    r = subprocess.run(["/usr/bin/python3", VALIDATOR, "--full-check=yes", str(path)], capture_output=True, text=True)
    assert r.returncode == 0 and "is a valid cloud optimized GeoTIFF" in r.stdout, r.stdout + r.stderr


def mean_2x2(a, nodata=None):
    """The next level down: the mean of each 2x2 block's valid values (NaN
    and nodata left out), in float64, rounded to nearest for integers."""
    h, w = a.shape[:2]
    f = a.astype(np.float64)
    valid = ~np.isnan(f)
    if nodata is not None:
        valid &= f != nodata
    ph, pw = (h + 1) // 2 * 2, (w + 1) // 2 * 2
    pad = ((0, ph - h), (0, pw - w)) + ((0, 0),) * (a.ndim - 2)
    fv = np.pad(np.where(valid, f, 0), pad)
    cv = np.pad(valid, pad).astype(np.float64)
    s = fv[0::2, 0::2] + fv[1::2, 0::2] + fv[0::2, 1::2] + fv[1::2, 1::2]
    c = cv[0::2, 0::2] + cv[1::2, 0::2] + cv[0::2, 1::2] + cv[1::2, 1::2]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = s / c
    empty = nodata if nodata is not None else (np.nan if a.dtype.kind == "f" else 0)
    m = np.where(c == 0, empty, m)
    if a.dtype.kind in "ui":
        m = np.floor(m + 0.5)
    return m.astype(a.dtype)


def read_main(path):
    """The full resolution as GDAL reads it (every codec), (H, W[, bands])."""
    a = gdal.Open(str(path)).ReadAsArray()
    return np.moveaxis(a, 0, -1) if a.ndim == 3 else a


def levels_of(path):
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    return [band.GetOverview(k).ReadAsArray() for k in range(band.GetOverviewCount())]


@pytest.mark.parametrize("dtype,shape,compression", [(np.uint8, (1031, 777), "deflate"), (np.uint16, (600, 1300), "zstd"),
                                                     (np.int16, (513, 512), "lzw"), (np.float32, (700, 650), "none"),
                                                     (np.uint8, (900, 800, 3), "deflate")])
def test_valid_cog_with_exact_levels(tmp_path, rng, dtype, shape, compression):
    if np.dtype(dtype).kind == "f":
        a = rng.standard_normal(shape).astype(dtype)
        a[rng.random(shape) < 0.05] = np.nan
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    out = tmp_path / "cog.tif"
    tessera.save(a, out, cog=True, compression=compression, tile=(256, 256))
    validate(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cog.tif"]  # no temporary left
    np.testing.assert_array_equal(read_main(out), a)
    want = a
    level = 1
    while max(want.shape[:2]) > 256:
        want = mean_2x2(want)
        got = np.asarray(tessera.open(out, level=level))
        np.testing.assert_array_equal(got, want, err_msg=f"level {level}")
        level += 1
    assert len(levels_of(out)) == level - 1
    ds = gdal.Open(str(out))
    assert ds.GetRasterBand(1).GetBlockSize() == [256, 256]


def test_nearest_and_gdal_agreement_on_even_sizes(tmp_path, rng):
    a = rng.integers(0, 256, (1024, 768), dtype=np.uint8)
    tessera.save(a, tmp_path / "n.tif", cog=True, overview_resampling="nearest")
    validate(tmp_path / "n.tif")
    assert [x.shape for x in levels_of(tmp_path / "n.tif")] == [(512, 384)]
    np.testing.assert_array_equal(levels_of(tmp_path / "n.tif")[0], a[::2, ::2])
    # gdaladdo's average on the same pixels: the same overview.
    tifffile.imwrite(tmp_path / "g.tif", a, tile=(256, 256))
    subprocess.run(["gdaladdo", "-q", "-r", "average", str(tmp_path / "g.tif"), "2"], check=True)
    tessera.save(a, tmp_path / "a.tif", cog=True)
    np.testing.assert_array_equal(levels_of(tmp_path / "a.tif")[0], levels_of(tmp_path / "g.tif")[0])


def test_georeferencing_nodata_and_colour_kept(tmp_path, rng):
    src = tmp_path / "geo.tif"
    a = rng.integers(1, 200, (1100, 900), dtype=np.uint8)
    a[:100, :100] = 0
    tifffile.imwrite(tmp_path / "plain.tif", a)
    subprocess.run(["gdal_translate", "-q", "-a_srs", "EPSG:32633", "-a_ullr", "500000", "4600000", "509000", "4589000",
                    "-a_nodata", "0", str(tmp_path / "plain.tif"), str(src)], check=True)
    tessera.open(src).save(tmp_path / "cog.tif", cog=True, compression="deflate")
    validate(tmp_path / "cog.tif")
    info = [json.loads(subprocess.run(["gdalinfo", "-json", str(p)], capture_output=True, text=True, check=True).stdout)
            for p in (src, tmp_path / "cog.tif")]
    assert info[0]["geoTransform"] == info[1]["geoTransform"]
    assert info[0]["coordinateSystem"]["wkt"] == info[1]["coordinateSystem"]["wkt"]
    assert info[1]["bands"][0]["noDataValue"] == 0
    # The nodata value is left out of the overview's means.
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "cog.tif", level=1)), mean_2x2(a, nodata=0))
    rgb = rng.integers(0, 256, (600, 700, 3), dtype=np.uint8)
    tessera.save(rgb, tmp_path / "rgb.tif", cog=True)
    validate(tmp_path / "rgb.tif")
    ds = gdal.Open(str(tmp_path / "rgb.tif"))
    assert [ds.GetRasterBand(b).GetColorInterpretation() for b in (1, 2, 3)] == [gdal.GCI_RedBand, gdal.GCI_GreenBand,
                                                                                 gdal.GCI_BlueBand]


def test_streamed_lazy_pipeline_bigtiff_and_cli(tmp_path, rng):
    a = rng.random((1500, 1300)).astype(np.float32)
    lazy = tessera.uniform_filter(tessera.asarray(a), 5) * 2
    lazy.save(tmp_path / "lazy.tif", cog=True, bigtiff="yes", compression="zstd")
    validate(tmp_path / "lazy.tif")
    with open(tmp_path / "lazy.tif", "rb") as f:
        assert f.read(4) == b"II+\x00"  # BigTIFF
    np.testing.assert_array_equal(read_main(tmp_path / "lazy.tif"), np.asarray(lazy))
    tifffile.imwrite(tmp_path / "in.tif", a)
    r = subprocess.run([CLI, "filter", "maximum", str(tmp_path / "in.tif"), str(tmp_path / "cli.tif"), "--size", "3",
                        "--cog", "--overview-resampling", "nearest"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    validate(tmp_path / "cli.tif")


def test_bad_requests_name_the_problem(tmp_path, rng):
    a = rng.integers(0, 255, (600, 600), dtype=np.uint8)
    with pytest.raises(ValueError, match="cog= makes a Cloud-Optimised GeoTIFF"):
        tessera.save(a, tmp_path / "x.png", cog=True)
    with pytest.raises(ValueError, match="a COG is one image"):
        tessera.save(np.zeros((40, 64, 64), np.uint8), tmp_path / "x.tif", cog=True)
    with pytest.raises(ValueError, match="overview_resampling must be 'average' or 'nearest'"):
        tessera.save(a, tmp_path / "x.tif", cog=True, overview_resampling="cubic")
    with pytest.raises(ValueError, match="tile sizes must be positive multiples of 16"):
        tessera.save(a, tmp_path / "x.tif", cog=True, tile=(100, 100))
    assert list(tmp_path.iterdir()) == []


def test_dask_writes_a_cog(tmp_path, rng):
    da = pytest.importorskip("dask.array")
    import tessera.dask as tdask
    a = rng.integers(0, 256, (1200, 1000), dtype=np.uint8)
    tdask.to_tiff(da.from_array(a, chunks=(300, 250)), tmp_path / "d.tif", cog=True, compression="deflate")
    validate(tmp_path / "d.tif")
    np.testing.assert_array_equal(read_main(tmp_path / "d.tif"), a)
    np.testing.assert_array_equal(levels_of(tmp_path / "d.tif")[0], mean_2x2(a))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.tif"]


def test_an_overview_carries_the_georeferencing_scaled(tmp_path, rng):
    """GDAL writes no georeferencing on overview pages; tessera.open(level=k)
    takes the full resolution's, the pixel size scaled by the sizes' ratio:
    saved, GDAL places the overview on the same ground as its own overview."""
    a = rng.integers(1, 255, (1024, 800), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "plain.tif", a)
    src = tmp_path / "geo.tif"
    subprocess.run(["gdal_translate", "-q", "-of", "COG", "-co", "BLOCKSIZE=256", "-a_srs", "EPSG:32633", "-a_ullr",
                    "500000", "4600000", "508000", "4589760", "-a_nodata", "0", str(tmp_path / "plain.tif"), str(src)],
                   check=True)
    ovr = tessera.open(src, level=1)
    ovr.save(tmp_path / "ovr.tif")
    ds = gdal.Open(str(src))
    gt = ds.GetGeoTransform()
    want = (gt[0], gt[1] * 800 / ovr.shape[1], gt[2], gt[3], gt[4], gt[5] * 1024 / ovr.shape[0])
    got = gdal.Open(str(tmp_path / "ovr.tif"))
    assert got.GetGeoTransform() == pytest.approx(want)
    assert got.GetProjection() == ds.GetProjection()
    assert got.GetRasterBand(1).GetNoDataValue() == 0
    np.testing.assert_array_equal(got.ReadAsArray(), ds.GetRasterBand(1).GetOverview(0).ReadAsArray())
