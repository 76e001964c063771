"""Live streams to images (the 000 seed): StreamChart, render_windows,
save_animation. The rule a chart draws is in StreamChart's docstring."""
import os

import numpy as np

from . import _core
from ._core import StreamChart, height_colormap

__all__ = ["StreamChart", "window_frames", "render_windows", "save_animation", "height_colormap"]

_CHART_OPTIONS = ("style", "channels", "dtype", "vmin", "vmax", "origin", "colormap", "foreground", "background")


def _series_of(series):
    a = np.asarray(series)
    if a.ndim != 1:
        raise ValueError(f"render_windows: the series must be 1-D, got shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"render_windows: the series must be numeric, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float64)


def _frame_shape(height, width, options):
    channels = options.get("channels", 1)
    return (height, width) if channels == 1 else (height, width, channels)


def window_frames(series, height, width, step=1, **chart_options):
    """Every sliding-window frame of a series as a lazy tessera.Image
    (n_frames, height, width[, channels]): frame k shows series[e - width : e]
    for e = min(width, n) + k*step and equals a StreamChart's frame after
    pushing series[:e]. Nothing is drawn until it is computed: slice it,
    compute it, or stream it into an animation with
    ``tessera.save(frames, "x.gif", fps=15)`` (a batch of frames in memory at
    a time, drawn on all cores)."""
    unknown = sorted(set(chart_options) - set(_CHART_OPTIONS))
    if unknown:
        raise TypeError(f"render_windows: unknown chart option(s) {', '.join(unknown)}; "
                        f"the options are {', '.join(_CHART_OPTIONS)}")
    return _core.window_frames(_series_of(series), int(step), int(height), int(width), **chart_options)


def render_windows(series, height, width, step=1, out=None, lazy=False, threads=None, batch=256,
                   **chart_options):
    """Every sliding-window frame of a whole series, drawn in parallel on all
    cores (see window_frames for the rule).

    Returns an array (n_frames, height, width[, channels]), written into `out`
    when given; with lazy=True, a generator of frames computed `batch` at a
    time (memory: one batch)."""
    frames = window_frames(series, height, width, step, **chart_options)
    if lazy:
        if out is not None:
            raise ValueError("render_windows: lazy=True yields frames; it takes no out=")

        def each():
            for first in range(0, len(frames), batch):
                yield from frames[first:first + batch].compute(threads=threads)
        return each()
    if out is not None and (not isinstance(out, np.ndarray) or out.shape != frames.shape
                            or out.dtype != frames.dtype or not out.flags.c_contiguous):
        raise ValueError(f"render_windows: out must be a C-contiguous {frames.dtype} array of shape {frames.shape}")
    return frames.compute(out=out, threads=threads)


def save_animation(frames, path, fps=15):
    """Writes frames (an array (n, height, width[, channels]), a lazy image
    of frames such as window_frames(...), or any iterable of frames) as an
    animated GIF (.gif) or PNG (.png, .apng), looping. uint8 frames, or
    float32 in [0, 1]. The file appears only when complete."""
    path = os.fspath(path)
    if isinstance(frames, (np.ndarray, _core.Image)):
        # All frames at once (an array, or a lazy image such as window_frames):
        # streamed through save's animation sink, a band of frames at a time.
        ext = os.path.splitext(path)[1].lower()
        allowed = [e for f in _core.formats() if f["animates"] for e in f["extensions"]]
        if ext not in allowed:
            raise ValueError(f"save_animation: {path}: the extension must be one of {', '.join(allowed)}")
        _core.save(frames, path, fps=float(fps))
        return
    writer = None
    try:
        for frame in frames:
            frame = np.asarray(frame)
            if writer is None:
                if frame.ndim not in (2, 3):
                    raise ValueError(f"save_animation: a frame must be (height, width[, channels]), got {frame.shape}")
                channels = 1 if frame.ndim == 2 else frame.shape[2]
                writer = _core.AnimationWriter(path, frame.shape[0], frame.shape[1], channels, float(fps))
            writer.add(frame)
        if writer is None:
            raise ValueError("save_animation: no frames to write")
        writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
