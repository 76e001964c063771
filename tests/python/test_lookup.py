"""lookup (numpy's table[indices]) and palette TIFFs opened as colours:
numpy is the reference for lookup; GDAL's `gdal_translate -expand rgb` and
Pillow for the palettes (8-bit maps and a 16-bit one)."""

import subprocess

import numpy as np
import pytest
import tifffile
from PIL import Image

import tessera


@pytest.mark.parametrize("index_dtype", [np.uint8, np.uint16, np.bool_])
@pytest.mark.parametrize("table_dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_lookup_equals_numpy(rng, index_dtype, table_dtype):
    n = {np.uint8: 256, np.uint16: 65536, np.bool_: 2}[index_dtype]
    if index_dtype == np.bool_:
        idx = rng.random((37, 41)) < 0.5
    else:
        idx = rng.integers(0, n, (37, 41)).astype(index_dtype)
    for table in (rng.standard_normal(n + 3) * 100, rng.standard_normal((n, 3)) * 100):
        table = table.astype(table_dtype)
        got = tessera.lookup(idx, table)
        want = table[idx.astype(np.int64)]
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    view = idx[::2, 1::3]
    table = rng.standard_normal((n, 4)).astype(np.float32)
    np.testing.assert_array_equal(tessera.lookup(view, table), table[view.astype(np.int64)])
    lazy = tessera.lookup(tessera.asarray(idx), table) * 2
    np.testing.assert_array_equal(np.asarray(lazy), table[idx.astype(np.int64)] * 2)


def test_lookup_refuses_what_cannot_be_a_table(rng):
    idx = rng.integers(0, 256, (5, 6)).astype(np.uint8)
    with pytest.raises(ValueError, match="a table of 10 rows cannot take every uint8 index; give 256 rows"):
        tessera.lookup(idx, np.zeros(10))
    with pytest.raises(TypeError, match="the indices must be bool, uint8 or uint16"):
        tessera.lookup(idx.astype(np.int32), np.zeros(256))
    with pytest.raises(ValueError, match="1-D .a value per index. or 2-D"):
        tessera.lookup(idx, np.zeros((256, 2, 2)))


def test_palette_tiff_expanded_as_gdal_and_pillow_do(tmp_path, rng):
    idx = rng.integers(0, 256, (123, 97), dtype=np.uint8)
    cmap = (rng.integers(0, 256, (3, 256)) * 257).astype(np.uint16)  # 8-bit colours in TIFF's 16 bits
    tifffile.imwrite(tmp_path / "pal.tif", idx, photometric="palette", colormap=cmap)
    plain = tessera.open(tmp_path / "pal.tif")
    np.testing.assert_array_equal(np.asarray(plain), idx)  # indices by default
    rgb = tessera.open(tmp_path / "pal.tif", palette="rgb")
    assert rgb.dtype == np.uint8 and rgb.shape == (123, 97, 3)
    subprocess.run(["gdal_translate", "-q", "-expand", "rgb", str(tmp_path / "pal.tif"), str(tmp_path / "g.tif")],
                   check=True)
    np.testing.assert_array_equal(np.asarray(rgb), np.moveaxis(tifffile.imread(tmp_path / "g.tif"), 0, -1)
                                  if tifffile.imread(tmp_path / "g.tif").shape[0] == 3 else tifffile.imread(tmp_path / "g.tif"))
    np.testing.assert_array_equal(np.asarray(rgb), np.asarray(Image.open(tmp_path / "pal.tif").convert("RGB")))
    # Saved, the colours are an RGB image (the map does not describe them).
    rgb.save(tmp_path / "rgb.tif")
    assert tessera.open(tmp_path / "rgb.tif").metadata["Photometric"] == 2
    # A 16-bit map that is not 8-bit colours: uint16 colours.
    cmap16 = rng.integers(0, 65536, (3, 256)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "pal16.tif", idx, photometric="palette", colormap=cmap16)
    got = np.asarray(tessera.open(tmp_path / "pal16.tif", palette="rgb"))
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, cmap16.T[idx])
    # Other files open as they are; a bad word is refused.
    tifffile.imwrite(tmp_path / "grey.tif", idx)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "grey.tif", palette="rgb")), idx)
    with pytest.raises(ValueError, match="palette must be 'indices' or 'rgb'"):
        tessera.open(tmp_path / "pal.tif", palette="colour")
