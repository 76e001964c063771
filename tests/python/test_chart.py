"""StreamChart, render_windows and save_animation against a plain numpy
rendering of the rule (written here, in float64, from the docstring) and the
000 seed's own code; animations read back with PIL."""
import os
import threading

import numpy as np
import pytest

import tessera

STYLES = ["bars", "line", "area"]


def reference_frame(seen, height, width, style="bars", channels=1, dtype="uint8", vmin=0.0, vmax=None,
                    origin="lower", colormap=None, foreground=None, background=None):
    """The frame after pushing `seen` (all samples so far), drawn the
    straightforward way: a level per column, a colour per row."""
    seen = np.asarray(seen, np.float64)
    window = np.full(width + 1, np.nan)
    tail = seen[max(0, seen.size - width - 1):]
    window[width + 1 - tail.size:] = tail
    prev, vals = window[:-1], window[1:]
    finite = vals[~np.isnan(vals)]
    lo = vmin if vmin is not None else (finite.min() if finite.size else np.nan)
    hi = vmax if vmax is not None else (finite.max() if finite.size else np.nan)
    with np.errstate(all="ignore"):
        flat = not (hi > lo)
        t = np.full(width, np.nan) if flat else np.floor(height * ((vals - lo) / (hi - lo)))
        tp = np.full(width, np.nan) if flat else np.floor(height * ((prev - lo) / (hi - lo)))
    empty = np.isnan(t)
    top = np.where(empty, 0, np.clip(np.nan_to_num(t), 0, height)).astype(np.int64)
    y = np.clip(np.nan_to_num(t), 0, height - 1)
    yp = np.where(np.isnan(tp), y, np.clip(np.nan_to_num(tp), 0, height - 1))
    line_lo = np.where(empty, 1, np.minimum(y, yp))
    line_hi = np.where(empty, 0, np.maximum(y, yp))
    if style == "line":
        top[:] = 0
    if style == "bars":
        line_lo[:], line_hi[:] = 1, 0
    fg = np.full(channels, 255, np.int64) if foreground is None else np.broadcast_to(foreground, channels).astype(np.int64)
    bg = np.zeros(channels, np.int64) if background is None else np.broadcast_to(background, channels).astype(np.int64)
    if channels == 4:
        if foreground is None:
            fg[3] = 255
        if background is None:
            bg[3] = 255
    r = np.arange(height)[:, None]
    if colormap is None:
        fg_rows = np.broadcast_to(fg, (height, channels))
    else:
        lut = tessera.height_colormap(channels) if isinstance(colormap, str) else np.asarray(colormap).reshape(256, -1)
        entry = r[:, 0] * 255 // (height - 1) if height > 1 else np.full(height, 255)
        fg_rows = lut[entry].astype(np.int64)
    fill_rows = (fg_rows + bg) // 2 if style == "area" else fg_rows
    in_line = (line_lo[None, :] <= r) & (r <= line_hi[None, :])
    in_fill = r < top[None, :]
    img = np.where(in_line[..., None], fg_rows[:, None, :],
                   np.where(in_fill[..., None], fill_rows[:, None, :], bg[None, None, :])).astype(np.uint8)
    if origin == "lower":
        img = img[::-1]
    if dtype == "float32":
        img = img.astype(np.float32) / np.float32(255)
    return img[..., 0] if channels == 1 else img


def seed_final_image(current_vols, height, width, channels=3):
    """The 000 seed's loop, verbatim apart from names."""
    final_image = np.zeros((height, width, channels))
    vol_norm = height * ((current_vols - 0) / (np.max(current_vols) - 0))
    for xxx in range(width):
        final_image[:int(vol_norm[xxx]), xxx, :] = 1
    return final_image


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_equals_the_seed(dtype):
    volumes = np.random.default_rng(0).integers(low=0, high=200, size=700)
    h, w = 32, 64
    chart = tessera.StreamChart(h, w, channels=3, dtype=dtype, origin="upper")
    chart.push(volumes[:w - 1])
    for ii in range(len(volumes) - w):
        frame = chart.push(volumes[ii + w - 1])
        want = seed_final_image(volumes[ii:ii + w], h, w)
        want = (want * 255).astype(np.uint8) if dtype == "uint8" else want.astype(np.float32)
        np.testing.assert_array_equal(frame, want, err_msg=f"frame {ii}")
        assert frame.dtype == dtype
    assert chart.redraws < len(volumes) - w  # the range held for most frames: columns were only scrolled in


def series_for(kind, rng, n):
    if kind == "walk":  # the range changes often
        return rng.uniform(-1, 1, n).cumsum()
    if kind == "steps":  # a few levels: the range mostly holds
        return rng.integers(0, 5, n).astype(np.float64)
    if kind == "nan":
        s = rng.normal(size=n)
        s[rng.random(n) < 0.2] = np.nan
        s[50:80] = np.nan  # a whole run of NaN
        return s
    return np.full(n, 3.5)  # flat


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("origin", ["lower", "upper"])
def test_frames_match_the_rule(style, channels, dtype, origin):
    rng = np.random.default_rng(channels * 7 + len(style))
    h, w = 23, 31  # odd and prime
    for kind, (vmin, vmax) in [("walk", (None, None)), ("steps", (0.0, None)), ("nan", (None, None)),
                               ("flat", (None, None)), ("walk", (-2.0, 2.0))]:
        series = series_for(kind, rng, 400)
        opts = dict(style=style, channels=channels, dtype=dtype, vmin=vmin, vmax=vmax, origin=origin)
        chart = tessera.StreamChart(h, w, **opts)
        pos = 0
        for size in [1, 7, w, 3 * w, 1, 1, 2, w - 1, 1, 7, 5] * 3:
            frame = chart.push(series[pos:pos + size])
            pos += size
            np.testing.assert_array_equal(frame, reference_frame(series[:pos], h, w, **opts),
                                          err_msg=f"{kind} after {pos} samples")
            assert frame.shape == chart.shape and frame.dtype == np.dtype(dtype)


def test_incremental_equals_redrawn():
    rng = np.random.default_rng(5)
    series = rng.integers(0, 9, 2000).astype(float)
    for style in STYLES:
        a = tessera.StreamChart(40, 97, style=style, channels=3)
        for v in series:
            frame = a.push(v)
        b = tessera.StreamChart(40, 97, style=style, channels=3)
        np.testing.assert_array_equal(frame, b.push(series))
        assert a.redraws < 100 and b.redraws == 1


def test_colormaps():
    rng = np.random.default_rng(2)
    series = rng.normal(size=300)
    lut = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    for cmap in ["height", lut]:
        for style in STYLES:
            opts = dict(style=style, channels=3, vmin=None, colormap=cmap, foreground=(10, 20, 30), background=(200, 100, 0))
            chart = tessera.StreamChart(37, 50, **opts)
            for k in range(0, 300, 13):
                frame = chart.push(series[k:k + 13])
            np.testing.assert_array_equal(frame, reference_frame(series, 37, 50, **opts))
    pal = tessera.height_colormap(3)
    assert tuple(pal[0]) == (0, 0, 255) and tuple(pal[255]) == (255, 0, 0) and pal[128][1] > 250


def test_frame_buffer_is_reused_and_copy_keeps_it():
    chart = tessera.StreamChart(8, 16)
    first = chart.push(np.arange(16.0))
    kept = first.copy()
    chart.push([100.0] * 16)
    np.testing.assert_array_equal(kept, reference_frame(np.arange(16.0), 8, 16))
    np.testing.assert_array_equal(chart.frame(), reference_frame(np.r_[np.arange(16.0), [100.0] * 16], 8, 16))


def test_empty_chart_and_zero_pushes():
    chart = tessera.StreamChart(5, 7, channels=4)
    frame = chart.push([])
    assert frame.shape == (5, 7, 4) and (frame[..., :3] == 0).all() and (frame[..., 3] == 255).all()
    assert chart.samples_seen == 0


def test_concurrent_push_and_latest():
    rng = np.random.default_rng(9)
    series = rng.uniform(-1, 1, 20000).cumsum()
    chart = tessera.StreamChart(16, 64, vmin=None)
    sizes = rng.integers(1, 30, 5000)
    seen_frames = []
    done = threading.Event()

    def producer():
        pos = 0
        for s in sizes:
            if pos >= series.size:
                break
            chart.push(series[pos:pos + s])
            pos += s
        done.set()

    def reader():
        while not done.is_set():
            seen_frames.append(chart.latest())

    threads = [threading.Thread(target=producer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = [n for _, n in seen_frames]
    assert counts == sorted(counts)
    assert chart.samples_seen == min(series.size, int(sizes.sum()))
    # Each copy is exactly the frame for the samples counted with it.
    for frame, n in seen_frames[:: max(1, len(seen_frames) // 50)]:
        np.testing.assert_array_equal(frame, reference_frame(series[:n], 16, 64, vmin=None))


@pytest.mark.parametrize("step", [1, 3, 64])
@pytest.mark.parametrize("style", STYLES)
def test_render_windows_equals_pushes(step, style):
    rng = np.random.default_rng(step)
    series = rng.normal(size=257)
    series[rng.random(257) < 0.05] = np.nan
    h, w = 19, 41
    frames = tessera.render_windows(series, h, w, step=step, style=style, channels=3, vmin=None)
    ends = list(range(w, series.size + 1, step))
    assert frames.shape == (len(ends), h, w, 3)
    for k, e in enumerate(ends):
        np.testing.assert_array_equal(frames[k], reference_frame(series[:e], h, w, style=style, channels=3, vmin=None))
    one = tessera.render_windows(series, h, w, step=step, style=style, channels=3, vmin=None, threads=1)
    np.testing.assert_array_equal(one, frames)
    lazy = np.stack(list(tessera.render_windows(series, h, w, step=step, style=style, channels=3, vmin=None,
                                                lazy=True, batch=7)))
    np.testing.assert_array_equal(lazy, frames)
    out = np.empty_like(frames)
    assert tessera.render_windows(series, h, w, step=step, style=style, channels=3, vmin=None, out=out) is out
    np.testing.assert_array_equal(out, frames)


def test_render_windows_short_series_and_errors():
    frames = tessera.render_windows([1.0, 2.0, 3.0], 4, 10, dtype="float32")
    assert frames.shape == (1, 4, 10)
    np.testing.assert_array_equal(frames[0], reference_frame([1.0, 2.0, 3.0], 4, 10, dtype="float32"))
    with pytest.raises(ValueError, match="step"):
        tessera.render_windows(np.ones(10), 4, 4, step=0)
    with pytest.raises(ValueError, match="1-D"):
        tessera.render_windows(np.ones((3, 3)), 4, 4)
    with pytest.raises(TypeError, match="unknown chart option"):
        tessera.render_windows(np.ones(10), 4, 4, colour="red")
    with pytest.raises(ValueError, match="out must be"):
        tessera.render_windows(np.ones(10), 4, 4, out=np.empty((7, 4, 4), np.float32))


@pytest.mark.parametrize("kwargs, match", [
    (dict(height=0, width=5), "height"),
    (dict(height=5, width=0), "width"),
    (dict(height=5, width=5, channels=2), "channels"),
    (dict(height=5, width=5, dtype="int16"), "dtype"),
    (dict(height=5, width=5, style="pie"), "style"),
    (dict(height=5, width=5, origin="left"), "origin"),
    (dict(height=5, width=5, colormap="jet"), "colormap"),
    (dict(height=5, width=5, channels=3, colormap=np.zeros((256, 4), np.uint8)), "colormap"),
    (dict(height=5, width=5, foreground=300), "foreground"),
    (dict(height=5, width=5, channels=3, background=(1, 2)), "background"),
    (dict(height=5, width=5, vmax=float("inf")), "vmax"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tessera.StreamChart(**kwargs)


def test_bad_pushes():
    chart = tessera.StreamChart(4, 4)
    with pytest.raises(ValueError, match="1-D"):
        chart.push(np.ones((2, 2)))
    with pytest.raises((TypeError, ValueError)):
        chart.push("abc")
    assert chart.samples_seen == 0


def read_frames(path):
    from PIL import Image
    im = Image.open(path)
    frames = []
    for i in range(im.n_frames):
        im.seek(i)
        frames.append(np.asarray(im.convert("RGBA")))
    return np.stack(frames)


@pytest.mark.parametrize("ext", [".gif", ".png", ".apng"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_animation_round_trip(tmp_path, ext, channels):
    series = np.random.default_rng(channels).normal(size=90).cumsum()
    frames = tessera.render_windows(series, 21, 33, step=5, style="area", channels=channels, vmin=None,
                                    colormap="height", background=(0, 40, 80, 128)[:channels] if channels > 1 else 60)
    path = tmp_path / f"a{ext}"
    tessera.save_animation(frames, path, fps=10)
    got = read_frames(path)
    assert got.shape[0] == frames.shape[0]
    rgb = np.repeat(frames[..., None], 3, -1) if channels == 1 else frames[..., :3]
    np.testing.assert_array_equal(got[..., :3], rgb)
    if channels == 4 and ext != ".gif":
        np.testing.assert_array_equal(got[..., 3], frames[..., 3])  # GIF has no alpha; APNG keeps it
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temporary left


def test_animation_float_frames_generators_and_many_colours(tmp_path):
    frames = tessera.render_windows(np.arange(50.0), 8, 16, dtype="float32")
    tessera.save_animation(iter(frames), tmp_path / "f.gif")
    np.testing.assert_array_equal(read_frames(tmp_path / "f.gif")[..., 0],
                                  np.round(frames * 255).astype(np.uint8))
    tessera.save_animation(tessera.render_windows(np.arange(50.0), 8, 16, lazy=True), tmp_path / "g.png")
    assert read_frames(tmp_path / "g.png").shape == (35, 8, 16, 4)
    # More than 256 colours: GIF reduces them (close, not exact); PNG stays exact.
    noisy = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    tessera.save_animation(noisy, tmp_path / "n.gif")
    tessera.save_animation(noisy, tmp_path / "n.png")
    assert np.abs(read_frames(tmp_path / "n.gif")[..., :3].astype(int) - noisy).mean() < 40
    np.testing.assert_array_equal(read_frames(tmp_path / "n.png")[..., :3], noisy)


def test_animation_errors_leave_no_file(tmp_path):
    frames = np.zeros((2, 4, 4), np.uint8)
    with pytest.raises(ValueError, match="extension"):
        tessera.save_animation(frames, tmp_path / "a.bmp")
    with pytest.raises(ValueError, match="fps"):
        tessera.save_animation(frames, tmp_path / "a.gif", fps=0)
    with pytest.raises(ValueError, match="no frames"):
        tessera.save_animation(np.zeros((0, 4, 4), np.uint8), tmp_path / "a.gif")
    with pytest.raises(ValueError, match="channels"):
        tessera.save_animation(np.zeros((2, 4, 4, 2), np.uint8), tmp_path / "a.gif")
    with pytest.raises(ValueError, match="uint8"):
        tessera.save_animation(np.zeros((2, 4, 4), np.int32), tmp_path / "a.gif")
    with pytest.raises(OSError, match="does not exist"):
        tessera.save_animation(frames, tmp_path / "missing" / "a.gif")

    def broken():
        yield np.zeros((4, 4), np.uint8)
        yield np.zeros((5, 4), np.uint8)  # a frame of another shape, mid-stream
    for ext in (".gif", ".png"):
        with pytest.raises(ValueError, match="frame 1 has shape"):
            tessera.save_animation(broken(), tmp_path / f"b{ext}")
    assert os.listdir(tmp_path) == []


def test_animation_full_disk(tmp_path):
    if not os.path.isdir("/dev/full"):
        pass
    # A file-size limit in a child process: the write fails, no file is left.
    import subprocess
    import sys
    code = ("import resource, signal, numpy as np, tessera\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
            "f = np.random.default_rng(0).integers(0, 256, (20, 64, 64, 3), dtype=np.uint8)\n"
            f"tessera.save_animation(f, {str(tmp_path / 'big.png')!r})\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0 and "big.png" in r.stderr and "OSError" in r.stderr
    assert os.listdir(tmp_path) == []
