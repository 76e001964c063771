"""Files on Dask: TIFFs read chunk by chunk on the workers, written band by
band through the engine's band writer; zarr through Dask."""
import os

import dask.array as da
import numpy as np

import tessera

from ._halo import _as_dask, _fit_kept_memory_to_worker


class _TiffRegions:
    """What da.from_array slices: each chunk opens the file on the worker that
    reads it and reads that region only (tessera's TIFF source)."""

    def __init__(self, path, page=None):
        self.path, self.page = os.fspath(path), page
        image = tessera.open(self.path, page=page)
        self.shape, self.dtype, self.ndim = tuple(image.shape), np.dtype(image.dtype), image.ndim

    def __getitem__(self, key):
        _fit_kept_memory_to_worker()
        return np.asarray(tessera.open(self.path, page=self.page)[key])


def from_tiff(path, chunks="auto", page=None):
    """A Dask array over a TIFF, read chunk by chunk on the workers (the
    client reads the header only)."""
    regions = _TiffRegions(path, page)
    return da.from_array(regions, chunks=chunks, lock=False, asarray=True, fancy=False,
                         name=f"tessera-tiff-{da.core.tokenize(regions.path, os.path.getmtime(regions.path), page)}")


def to_tiff(array, path, compression="none", bigtiff="auto", band_rows=None, progress=None, metadata=None,
            layout="auto", cog=False, overview_resampling="average"):
    """Writes a Dask array to a TIFF (BigTIFF when it could pass 4 GB) band by
    band, top to bottom, each band computed by Dask (on the cluster, if one
    is active) while tessera's writer thread writes the one before it (the
    engine's band writer, as tessera.save streams): at most two bands of
    rows are held. Atomic as tessera.save: on any error no file is left.
    ``metadata``: the tags to write (a dict, as tessera.save takes;
    ``tessera.open(src).metadata`` keeps a source file's georeferencing);
    ``layout``, ``cog`` and ``overview_resampling`` as tessera.save's (a
    COG's overviews are made from the written bands, through temporaries
    beside the output)."""
    x = _as_dask(array)
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError("metadata must be a dict of tag: value, or None")
    writer = tessera._core.BandWriter(os.fspath(path), list(x.shape), x.dtype, compression, bigtiff, metadata, layout,
                                      bool(cog), overview_resampling)
    try:
        grain = writer.row_granularity
        axis = writer.row_axis
        lead = x.shape[:axis]
        rows = x.shape[axis]
        row_bytes = int(np.prod(x.shape[axis + 1:])) * x.dtype.itemsize
        step = band_rows or (64 << 20) // max(row_bytes, 1)
        step = max(grain, -(-step // grain) * grain)  # whole strips (or tile rows)
        bands = [(page, r) for page in np.ndindex(*lead) for r in range(0, rows, step)]
        for k, (page, r) in enumerate(bands):
            band = np.ascontiguousarray(x[page + (slice(r, min(rows, r + step)),)].compute())
            # Returns once the band before is written: the engine's writer
            # thread writes this one while Dask computes the next.
            writer.write(list(page) + [r] + [0] * (x.ndim - axis - 1), band.reshape((1,) * len(lead) + band.shape))
            del band
            if progress:
                progress((k + 1) / len(bands))
        writer.commit()
    except BaseException:
        writer.abort()
        raise


def from_zarr(url, component=None, **kwargs):
    """da.from_zarr (needs python3-zarr)."""
    return da.from_zarr(url, component=component, **kwargs)


def to_zarr(array, url, component=None, **kwargs):
    """da.to_zarr (needs python3-zarr)."""
    return da.to_zarr(_as_dask(array), url, component=component, **kwargs)
