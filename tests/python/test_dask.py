"""tessera.dask: every operation on Dask arrays equals the in-memory result
bit for bit, for chunkings of 1, 2 and 7 chunks per axis and chunks smaller
than the halo, in every boundary mode; files at cluster scale; errors name
the chunk."""
import os

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import tessera  # noqa: E402
import tessera.dask as tdask  # noqa: E402

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]


@pytest.fixture(autouse=True)
def threaded_scheduler():
    with dask.config.set(scheduler="threads", num_workers=2):
        yield


def chunked(a, per_axis):
    return da.from_array(a, chunks=tuple(max(1, -(-n // per_axis)) for n in a.shape))


@pytest.mark.parametrize("per_axis", [1, 2, 7])
@pytest.mark.parametrize("mode", MODES)
def test_uniform_and_extreme_filters(rng, per_axis, mode):
    a = rng.random((37, 29)).astype(np.float32)
    x = chunked(a, per_axis)
    for name, size in [("uniform_filter", 5), ("maximum_filter", (7, 3)), ("minimum_filter", 4), ("median_filter", 3)]:
        got = getattr(tdask, name)(x, size, mode=mode, cval=0.5).compute()
        np.testing.assert_array_equal(got, getattr(tessera, name)(a, size, mode=mode, cval=0.5), err_msg=name)


@pytest.mark.parametrize("mode", MODES)
def test_chunks_smaller_than_the_halo(rng, mode):
    a = rng.random((23, 19)).astype(np.float64)
    x = da.from_array(a, chunks=(2, 3))  # halo 4 > chunk
    np.testing.assert_array_equal(tdask.uniform_filter(x, 9, mode=mode, cval=0.5).compute(),
                                  tessera.uniform_filter(a, 9, mode=mode, cval=0.5))
    np.testing.assert_array_equal(tdask.maximum_filter(x, 9, mode=mode, cval=2.0).compute(),
                                  tessera.maximum_filter(a, 9, mode=mode, cval=2.0))


@pytest.mark.parametrize("per_axis", [1, 2, 7])
@pytest.mark.parametrize("name", ["lee_filter", "kuan_filter", "enhanced_lee_filter", "frost_filter",
                                  "gamma_map_filter"])
def test_speckle_filters(rng, per_axis, name):
    a = (rng.gamma(4.0, 0.25, (41, 31)) * 100).astype(np.float32)
    x = chunked(a, per_axis)
    for mode in ["reflect", "wrap"]:
        np.testing.assert_array_equal(getattr(tdask, name)(x, 7, mode=mode).compute(),
                                      getattr(tessera, name)(a, 7, mode=mode), err_msg=f"{name} {mode}")


def test_local_mean_std_and_scipy(rng):
    import scipy.ndimage as ndi
    a = rng.random((30, 26))
    x = chunked(a, 7)
    m, s = tdask.local_mean_std(x, 5)
    em, es = tessera.local_mean_std(a, 5)
    np.testing.assert_array_equal(m.compute(), em)
    np.testing.assert_array_equal(s.compute(), es)
    np.testing.assert_allclose(m.compute(), ndi.uniform_filter(a, 5), rtol=1e-12)


@pytest.mark.parametrize("per_axis", [1, 2, 7])
@pytest.mark.parametrize("edges", ["ignore", "zero"])
def test_steepest_neighbor_2d_3d(rng, per_axis, edges):
    v = rng.integers(0, 4, (11, 13, 9)).astype(np.float32)  # ties and plateaus
    v[3, 4, 5] = np.nan
    np.testing.assert_array_equal(tdask.steepest_neighbor(chunked(v, per_axis), edges=edges).compute(),
                                  tessera.steepest_neighbor(v, edges=edges))
    i = rng.integers(0, 5, (17, 12)).astype(np.int16)
    np.testing.assert_array_equal(tdask.steepest_neighbor(chunked(i, per_axis), edges=edges).compute(),
                                  tessera.steepest_neighbor(i, edges=edges))


def test_evaluate_and_stacks(rng, tmp_path):
    a = rng.integers(0, 256, (33, 27, 4), dtype=np.uint8)
    b = rng.integers(0, 256, (33, 27, 4), dtype=np.uint8)
    x, y = chunked(a, 2), da.from_array(b, chunks=(5, 9, 4))
    np.testing.assert_array_equal(tdask.evaluate("where(x > 200, 0, x) + y // 2", x=x, y=y).compute(),
                                  tessera.evaluate("where(x > 200, 0, x) + y // 2", x=a, y=b))
    tessera.save(a, tmp_path / "a.tif")
    w = [0.3, 0.7]
    np.testing.assert_array_equal(tdask.weighted_sum([tmp_path / "a.tif", y], w, dtype=np.uint8).compute(),
                                  np.asarray(tessera.weighted_sum([a, b], w, dtype=np.uint8)))
    for name in ["stack_mean", "stack_min", "stack_max"]:
        np.testing.assert_array_equal(getattr(tdask, name)([x, y]).compute(),
                                      np.asarray(getattr(tessera, name)([a, b])))
    with pytest.raises(ValueError, match="image 1 has shape"):
        tdask.stack_mean([x, y[:5]])


def test_map_tiles_with_halo(rng):
    import scipy.ndimage as ndi
    a = rng.random((40, 35))
    got = tdask.map_tiles(lambda t: ndi.gaussian_filter(t, 1.0, mode="wrap"), chunked(a, 7), halo=4, mode="wrap")
    # Within the truncated kernel's reach the chunks see what the whole image sees.
    np.testing.assert_allclose(got.compute(), ndi.gaussian_filter(a, 1.0, mode="wrap"), rtol=0, atol=1e-12)


@pytest.mark.parametrize("chunks", [(40, 35), (20, 18), (6, 5), (3, 2)])
@pytest.mark.parametrize("mode", MODES)
def test_map_tiles_pads_the_border_by_the_mode(rng, chunks, mode):
    # A function that knows no modes sees the image's border padded as
    # scipy pads it: the correlation with a constant-mode scipy inside the
    # chunk equals scipy's own over the whole image (each output's sum is
    # formed in the same order, so exactly).
    import scipy.ndimage as ndi
    a = rng.random((40, 35))
    w = rng.random((5, 5))
    got = tdask.map_tiles(lambda t: ndi.correlate(t, w, mode="constant"), da.from_array(a, chunks=chunks),
                          halo=2, mode=mode, cval=0.25).compute()
    np.testing.assert_array_equal(got, ndi.correlate(a, w, mode=mode, cval=0.25))


def test_from_tiff_and_to_tiff(rng, tmp_path):
    import tifffile
    a = rng.random((203, 97)).astype(np.float32)
    tessera.save(a, tmp_path / "a.tif", compression="deflate", tile=(32, 32))
    x = tdask.from_tiff(tmp_path / "a.tif", chunks=(50, 40))
    assert x.shape == a.shape and x.dtype == a.dtype
    np.testing.assert_array_equal(x.compute(), a)
    seen = []
    tdask.to_tiff(tdask.enhanced_lee_filter(x, 7, looks=4), tmp_path / "o.tif", band_rows=64, progress=seen.append,
                  compression="deflate")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "o.tif"), tessera.enhanced_lee_filter(a, 7, looks=4))
    assert seen[-1] == 1.0
    v = rng.integers(0, 9, (4, 20, 30), dtype=np.uint16)
    tdask.to_tiff(da.from_array(v, chunks=(1, 7, 30)), tmp_path / "v.tif", bigtiff="yes")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "v.tif"), v)


def test_to_tiff_error_leaves_no_file(rng, tmp_path):
    a = da.from_array(rng.random((40, 30)), chunks=10)

    def boom(b, block_info=None):
        if block_info[0]["chunk-location"][0] == 2:
            raise RuntimeError("sensor fault")
        return b
    with pytest.raises(RuntimeError, match="sensor fault"):
        tdask.to_tiff(a.map_blocks(boom, dtype=a.dtype), tmp_path / "o.tif", band_rows=8)
    assert os.listdir(tmp_path) == []


def test_band_writer_checks_order(tmp_path):
    w = tessera._core.BandWriter(str(tmp_path / "o.tif"), [10, 4], np.float32)
    with pytest.raises(ValueError, match="out of order"):
        w.write([5, 0], np.zeros((5, 4), np.float32))
    assert os.listdir(tmp_path) == []


def test_zarr_round_trip(rng, tmp_path):
    pytest.importorskip("zarr")
    a = rng.random((20, 30))
    tdask.to_zarr(tdask.uniform_filter(chunked(a, 2), 3), str(tmp_path / "z.zarr"))
    np.testing.assert_array_equal(tdask.from_zarr(str(tmp_path / "z.zarr")).compute(), tessera.uniform_filter(a, 3))


def test_errors_name_the_chunk(rng):
    x = chunked(rng.random((20, 20)), 2)
    with pytest.raises(ValueError, match=r"block \(\d, \d\)"):
        tdask.map_tiles(lambda t: (_ for _ in ()).throw(ValueError("bad tile")) if t.shape[0] < 99 else t,
                        x, halo=1, dtype=np.float64).compute()
    with pytest.raises(ValueError, match="unknown (boundary )?mode"):
        tdask.uniform_filter(x, 3, mode="bogus")


def test_two_filters_of_one_array_in_one_graph(rng):
    # Each chunk's task is named by its function and arguments: two filters
    # of the same array never share a key.
    a = (rng.random((40, 30)) + 0.1).astype(np.float32)
    x = da.from_array(a, chunks=(3, 30))  # chunks smaller than the halo: the gather path
    lee, kuan, lee9 = dask.compute(tdask.lee_filter(x, 7), tdask.kuan_filter(x, 7), tdask.lee_filter(x, 7, looks=9))
    np.testing.assert_array_equal(lee, tessera.lee_filter(a, 7))
    np.testing.assert_array_equal(kuan, tessera.kuan_filter(a, 7))
    np.testing.assert_array_equal(lee9, tessera.lee_filter(a, 7, looks=9))
    x = da.from_array(a, chunks=(13, 11))  # the direct halo exchange
    lee, kuan, lee9 = dask.compute(tdask.lee_filter(x, 7), tdask.kuan_filter(x, 7), tdask.lee_filter(x, 7, looks=9))
    np.testing.assert_array_equal(lee, tessera.lee_filter(a, 7))
    np.testing.assert_array_equal(kuan, tessera.kuan_filter(a, 7))
    np.testing.assert_array_equal(lee9, tessera.lee_filter(a, 7, looks=9))


@pytest.mark.parametrize("modes", [("reflect", "constant"), ("nearest", "mirror"), ("wrap", "wrap")])
def test_a_mode_per_axis(rng, modes):
    a = rng.random((37, 29)).astype(np.float32)
    x = chunked(a, 3)
    for name, size in [("uniform_filter", 5), ("maximum_filter", (7, 3)), ("gaussian_filter", 1.5)]:
        got = getattr(tdask, name)(x, size, mode=list(modes), cval=0.5).compute()
        np.testing.assert_array_equal(got, getattr(tessera, name)(a, size, mode=list(modes), cval=0.5), err_msg=name)


def test_wrap_on_some_axes_only_is_refused(rng):
    x = chunked(rng.random((20, 21)), 2)
    with pytest.raises(ValueError, match="'wrap' on some axes but not all is not supported on Dask"):
        tdask.uniform_filter(x, 3, mode=["wrap", "reflect"])
