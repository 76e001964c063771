"""TIFFs with packed samples (BitsPerSample 1 to 31 other than 8, 16, 32),
written by GDAL (NBITS), read against GDAL's own reading: unpacked to uint8,
uint16 or uint32, in every layout (striped, tiled, compressed, planar, either
byte order)."""

import shutil
import subprocess

import numpy as np
import pytest
import tifffile

import tessera

gdal = pytest.importorskip("osgeo.gdal")
pytestmark = pytest.mark.skipif(not shutil.which("gdal_translate"), reason="GDAL's tools are not installed")

LAYOUTS = [[], ["-co", "TILED=YES", "-co", "BLOCKXSIZE=16", "-co", "BLOCKYSIZE=16"], ["-co", "COMPRESS=DEFLATE"],
           ["-co", "COMPRESS=LZW", "-co", "TILED=YES", "-co", "BLOCKXSIZE=32", "-co", "BLOCKYSIZE=16"],
           ["-co", "ENDIANNESS=BIG"], ["-co", "ROWS_PER_STRIP=5"]]


def gdal_read(path):
    a = gdal.Open(str(path)).ReadAsArray()
    return np.moveaxis(a, 0, -1) if a.ndim == 3 else a


@pytest.mark.parametrize("bits,dtype", [(1, np.uint8), (2, np.uint8), (3, np.uint8), (7, np.uint8), (10, np.uint16),
                                        (12, np.uint16), (14, np.uint16), (24, np.uint32), (31, np.uint32)])
@pytest.mark.parametrize("layout", range(len(LAYOUTS)))
def test_packed_samples_read_as_gdal_reads_them(tmp_path, rng, bits, dtype, layout):
    source_dtype = np.uint32 if bits > 16 else np.uint16 if bits > 8 else np.uint8
    a = rng.integers(0, 2 ** bits, (37, 53)).astype(source_dtype)
    tifffile.imwrite(tmp_path / "src.tif", a)
    out = tmp_path / "packed.tif"
    subprocess.run(["gdal_translate", "-q", "-co", f"NBITS={bits}", *LAYOUTS[layout], tmp_path / "src.tif", out],
                   check=True)
    got = tessera.open(out).compute()
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, gdal_read(out))
    np.testing.assert_array_equal(got, a)
    assert tessera.info(out)["dtype"] == dtype


@pytest.mark.parametrize("interleave", ["PIXEL", "BAND"])
def test_packed_multiband(tmp_path, rng, interleave):
    a = rng.integers(0, 4096, (3, 31, 29)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "src.tif", a, photometric="minisblack", planarconfig="separate")
    out = tmp_path / "rgb12.tif"
    subprocess.run(["gdal_translate", "-q", "-co", "NBITS=12", "-co", f"INTERLEAVE={interleave}",
                    tmp_path / "src.tif", out], check=True)
    got = tessera.open(out)
    assert got.shape == (31, 29, 3)
    np.testing.assert_array_equal(got.compute(), np.moveaxis(a, 0, -1))
    # A crop reads the same as the whole, and a filter runs on it.
    np.testing.assert_array_equal(got[5:20, 3:11].compute(), np.moveaxis(a, 0, -1)[5:20, 3:11])
