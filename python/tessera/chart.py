"""Live streams to images (the 000 seed): StreamChart, render_windows,
save_animation. The rule a chart draws is in StreamChart's docstring."""
import os

import numpy as np

from . import _core
from ._core import StreamChart, height_colormap

__all__ = ["StreamChart", "render_windows", "save_animation", "height_colormap"]

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


def render_windows(series, height, width, step=1, out=None, lazy=False, threads=None, batch=256,
                   **chart_options):
    """Every sliding-window frame of a whole series, drawn in parallel on all
    cores: frame k shows series[e - width : e] for e = min(width, n) + k*step,
    and equals a StreamChart's frame after pushing series[:e] (so a line's
    first column joins the sample before the window).

    Returns an array (n_frames, height, width[, channels]), written into `out`
    when given; with lazy=True, a generator of frames computed `batch` at a
    time (memory: one batch)."""
    unknown = sorted(set(chart_options) - set(_CHART_OPTIONS))
    if unknown:
        raise TypeError(f"render_windows: unknown chart option(s) {', '.join(unknown)}; "
                        f"the options are {', '.join(_CHART_OPTIONS)}")
    s = _series_of(series)
    count = _core.window_frame_count(s.size, int(width), int(step))
    dtype = np.dtype(chart_options.get("dtype", "uint8"))
    shape = _frame_shape(int(height), int(width), chart_options)

    def render(first, n, dst):
        _core.render_windows(s, int(step), first, n, dst, threads, height=int(height), width=int(width),
                             **chart_options)
        return dst

    if lazy:
        if out is not None:
            raise ValueError("render_windows: lazy=True yields frames; it takes no out=")
        # Options are checked now, not at the first next().
        _core.StreamChart(int(height), int(width), **chart_options)

        def frames():
            for first in range(0, count, batch):
                n = min(batch, count - first)
                yield from render(first, n, np.empty((n,) + shape, dtype))
        return frames()
    if out is None:
        out = np.empty((count,) + shape, dtype)
    return render(0, count, out)


def save_animation(frames, path, fps=15):
    """Writes frames (an array (n, height, width[, channels]), or any iterable
    of frames, such as render_windows(..., lazy=True)) as an animated GIF
    (.gif) or PNG (.png, .apng), looping. uint8 frames, or float32 in [0, 1].
    The file appears only when complete."""
    path = os.fspath(path)
    if isinstance(frames, np.ndarray):
        if frames.ndim not in (3, 4):
            raise ValueError(f"save_animation: frames must be (n, height, width[, channels]), got shape {frames.shape}")
        if frames.shape[0] == 0:
            raise ValueError("save_animation: no frames to write")
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
