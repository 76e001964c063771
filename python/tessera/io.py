"""Files and stacks: lazy file sources, streaming saves, per-pixel reductions.

``tessera.open(path)`` reads a TIFF's or a .npy's header only; pixels are read
as a pipeline asks for them. ``img.save(path)`` (or ``tessera.save``) computes
the pipeline band by band and writes each band as it is done, so a pipeline
from files to a file holds a few bands in memory, whatever the images' size.
"""

import os as _os
import sys as _sys
import time as _time


from . import _core

__all__ = ["open", "info", "save", "formats", "metadata_tags"]


def open(path, page=None, level=None, palette="indices"):  # noqa: A001 - tessera.open, as the issue names it
    """A lazy image over a TIFF (.tif, .tiff) or .npy file.

    TIFF: striped or tiled, chunky or planar, 8- to 64-bit integer or float32/
    float64 samples, uncompressed, deflate, LZW, zstd or packbits, classic or
    BigTIFF. One sample gives (height, width); several give (height, width,
    samples). A multi-page file is a volume (pages, height, width[, samples]);
    ``page=k`` opens one page. A cloud-optimised GeoTIFF (or any file with
    reduced-resolution pages) opens as its full-resolution image;
    ``level=k`` opens its k-th overview (1: the largest). A palette image
    opens as its indices (the map in ``metadata["ColorMap"]``), or with
    ``palette="rgb"`` as (height, width, 3) colours (uint8 when the map holds
    8-bit colours, else uint16); other files open as they are. .npy files
    are memory-mapped; PNG and JPEG rows are decoded in order as they are
    read.
    """
    return _core.open(_os.fspath(path), -1 if page is None else int(page), 0 if level is None else int(level),
                      palette)


def info(path):
    """The header of a file: format, shape, dtype, pages, compression, layout,
    and ``metadata``: the tags an opened image carries (see ``metadata``)."""
    return _core.file_info(_os.fspath(path))


class _PlainBar:
    """A progress bar on stderr, for when tqdm is not installed."""

    def __init__(self, label):
        self.label, self.last, self.start = label, -1, _time.monotonic()

    def __call__(self, fraction):
        percent = int(fraction * 100)
        if percent == self.last:
            return
        self.last = percent
        filled = percent // 4
        elapsed = _time.monotonic() - self.start
        _sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (25 - filled)}] {percent:3d}% {elapsed:5.1f}s")
        if percent >= 100:
            _sys.stderr.write("\n")
        _sys.stderr.flush()

    def close(self):
        pass


class _TqdmBar:
    def __init__(self, label):
        import tqdm
        self.bar = tqdm.tqdm(total=1000, desc=label, unit="‰", leave=True)
        self.done = 0

    def __call__(self, fraction):
        n = int(fraction * 1000)
        if n > self.done:
            self.bar.update(n - self.done)
            self.done = n

    def close(self):
        self.bar.close()


def _progress_bar(label):
    try:
        return _TqdmBar(label)
    except ImportError:
        return _PlainBar(label)


def formats():
    """The file formats tessera knows (its format registry): a list of dicts
    with ``name``, ``extensions``, ``reads``, ``writes`` and ``animates``."""
    return _core.formats()


_KEEP = object()  # save's default: the image's own metadata


def _metadata_to_write(image, metadata):
    """The tags save writes: None (the image's own), or a dict."""
    if metadata is _KEEP:
        return None
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise TypeError("metadata must be a dict of tag: value (a value None removes the tag), or None for no metadata")
    merged = _core.image_metadata(image)
    for key, value in metadata.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def metadata_tags():
    """The names of the tags an image carries and ``save`` writes."""
    return _core.metadata_tags()


def save(image, path, compression="none", tile=None, bigtiff="auto", predictor="auto", progress=False,
         threads=None, fps=15, metadata=_KEEP, layout="auto", quality=None, compress_level=None, cog=False,
         overview_resampling="average"):
    """Computes ``image`` (a lazy image or a numpy array) into a file, streaming.

    The format follows the extension (``tessera.formats()``: .tif/.tiff,
    .npy, .png (a still image (height, width[, 1 to 4 channels]) of uint8 or
    uint16, at zlib ``compress_level`` 0 to 9, default 6, Pillow's name), .jpg/.jpeg (grey or RGB
    uint8 at ``quality`` 1 to 100, default 90), and animations .gif,
    .apng/.png of frames (n, height, width[, channels]) uint8 or float32 in
    [0, 1] at ``fps``). PNG and JPEG are written row by row. TIFF options:
    ``compression`` none, deflate, lzw, zstd or packbits; ``tile=(th, tw)``
    (multiples of 16) for a tiled file, else strips; ``bigtiff`` "auto" (when
    the file could pass 4 GB), "yes" or "no"; ``predictor`` "auto"
    (horizontal for integers when compressed by deflate/lzw/zstd), "none",
    "horizontal" or "float". ``cog=True`` writes a Cloud-Optimised GeoTIFF:
    tiled (512x512 unless ``tile`` says), internal overviews halving until
    one tile holds the smallest (``overview_resampling`` "average", the
    mean of each 2x2 block's valid values, nodata and NaN left out, or
    "nearest", its top-left value; a palette image is never averaged), in
    the IFD and tile order GDAL's COG validator asks for, streamed through
    temporary files beside the output.

    Layout: 2-D is one page; 3-D is one page of samples (height, width,
    samples) when the image came from such a file, or when its last axis is
    smaller than the other two (a 5-band scene), else pages (a volume);
    ``layout="samples"`` or ``"pages"`` decides instead; 4-D is pages of
    samples. Three samples are RGB and a fourth alpha unless the metadata
    says otherwise.

    Metadata (TIFF): by default the image's own (``image.metadata``: the
    georeferencing, nodata, resolution, photometric interpretation, colour
    map, ICC profile and descriptions of the file it came from, kept through
    operations that keep the pixel grid). ``metadata={tag: value}`` sets or
    overrides tags (a value None removes one; ``tessera.metadata_tags()``
    names them); ``metadata=None`` writes none.

    The file appears only when complete (written under a temporary name and
    renamed); on any error, a full disk included, no file is left and an
    OSError says why. ``progress=True`` shows a bar (tqdm when installed);
    ``progress=callable`` is called with the fraction done.
    """
    bar = None
    callback = None
    if progress is True:
        bar = _progress_bar(_os.path.basename(_os.fspath(path)))
        callback = bar
    elif callable(progress):
        callback = progress
    elif progress not in (False, None):
        raise TypeError("progress must be True, False or a callable taking the fraction done")
    try:
        _core.save(image, _os.fspath(path), compression, tile, bigtiff, predictor, threads, callback, float(fps),
                   _metadata_to_write(image, metadata), layout, quality, compress_level, bool(cog),
                   overview_resampling)
    finally:
        if bar is not None:
            bar.close()


def _image_save(self, path, compression="none", tile=None, bigtiff="auto", predictor="auto", progress=False,
                threads=None, metadata=_KEEP, layout="auto", quality=None, compress_level=None, cog=False,
                overview_resampling="average"):
    save(self, path, compression=compression, tile=tile, bigtiff=bigtiff, predictor=predictor, progress=progress,
         threads=threads, metadata=metadata, layout=layout, quality=quality,
         compress_level=compress_level, cog=cog, overview_resampling=overview_resampling)


_image_save.__doc__ = save.__doc__
_core.Image.save = _image_save
_core.Image.metadata = property(
    lambda self: _core.image_metadata(self),
    doc="The tags this image carries from its file (a dict; empty for arrays): GeoTIFF georeferencing, "
        "GDAL_NODATA, resolution, photometric interpretation, ... Operations that keep the pixel grid keep "
        "them; a crop shifts the georeferencing; a step slice or a change of grid drops it.")
