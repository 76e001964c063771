"""The format registry: what tessera reads and writes, files known by their
first bytes when their name says nothing, and animations streamed through
the ordinary sink (window_frames as a lazy image, saved band by band)."""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tifffile

import tessera
from test_chart import read_frames

CLI = Path(os.environ.get("TESSERA_CLI") or Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tessera")


def test_the_registry_lists_every_format():
    by_name = {f["name"]: f for f in tessera.formats()}
    assert set(by_name) >= {"tiff", "npy", "gif", "apng"}
    assert by_name["tiff"]["extensions"] == (".tif", ".tiff") and by_name["tiff"]["reads"] and by_name["tiff"]["writes"]
    assert by_name["npy"]["reads"] and by_name["npy"]["writes"] and not by_name["npy"]["animates"]
    assert by_name["gif"]["animates"] and not by_name["gif"]["reads"]


def test_files_are_known_by_their_first_bytes(tmp_path, rng):
    # A TIFF (written by tifffile) and a .npy (by numpy) under names that say nothing.
    a = rng.integers(0, 1000, (23, 17), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "scene.tif", a)
    shutil.copy(tmp_path / "scene.tif", tmp_path / "scene.dat")
    np.save(tmp_path / "arr.npy", a.astype(np.float32))
    shutil.copy(tmp_path / "arr.npy", tmp_path / "arr.bin")
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "scene.dat")), a)
    np.testing.assert_array_equal(np.asarray(tessera.open(tmp_path / "arr.bin")), a.astype(np.float32))
    assert tessera.info(tmp_path / "scene.dat")["format"] == "tiff"
    r = subprocess.run([str(CLI), "info", str(tmp_path / "arr.bin")], capture_output=True, text=True)
    assert r.returncode == 0 and "npy" in r.stdout, r.stderr
    (tmp_path / "junk.dat").write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match=r"unknown file type '\.dat' \(tessera reads \.jpg, \.jpeg, \.npy, \.png, \.tif and \.tiff\)"):
        tessera.open(tmp_path / "junk.dat")
    with pytest.raises(ValueError, match="unknown file type '.bmp'"):
        tessera.save(a, tmp_path / "out.bmp")
    assert sorted(os.listdir(tmp_path)) == ["arr.bin", "arr.npy", "junk.dat", "scene.dat", "scene.tif"]


@pytest.mark.parametrize("channels", [1, 3])
def test_window_frames_is_a_lazy_image_equal_to_render_windows(channels, rng):
    series = np.cumsum(rng.standard_normal(301))
    frames = tessera.window_frames(series, 24, 40, step=3, channels=channels, vmin=None, style="area")
    assert isinstance(frames, tessera.Image)
    assert frames.shape == (88, 24, 40) + ((channels,) if channels > 1 else ())
    whole = tessera.render_windows(series, 24, 40, step=3, channels=channels, vmin=None, style="area")
    np.testing.assert_array_equal(np.asarray(frames), whole)
    # A part of a frame, and a chain, computed on their own.
    np.testing.assert_array_equal(np.asarray(frames[10:13, 5:20, 7:31]), whole[10:13, 5:20, 7:31])
    np.testing.assert_array_equal(np.asarray(frames[::9] // 2), whole[::9] // 2)
    # Each frame is a StreamChart's after pushing the series up to its end.
    chart = tessera.StreamChart(24, 40, style="area", channels=channels, vmin=None)
    chart.push(series[:40 + 3 * 20])
    np.testing.assert_array_equal(np.asarray(frames[20]), chart.frame())


@pytest.mark.parametrize("ext", [".gif", ".apng"])
def test_an_animation_streams_through_save(ext, tmp_path, rng):
    series = np.cumsum(rng.standard_normal(700))
    frames = tessera.window_frames(series, 16, 32, channels=3, colormap="height")
    tessera.save(frames, tmp_path / f"a{ext}", fps=20)
    tessera.save_animation(tessera.render_windows(series, 16, 32, channels=3, colormap="height"),
                           tmp_path / f"b{ext}", fps=20)
    got, want = read_frames(tmp_path / f"a{ext}"), read_frames(tmp_path / f"b{ext}")
    assert got.shape[0] == frames.shape[0] == 669
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got[..., :3], np.asarray(frames))


def test_animation_sink_errors_leave_no_file(tmp_path):
    with pytest.raises(ValueError, match="frames must be"):
        tessera.save(np.zeros((4, 4), np.uint8), tmp_path / "a.gif")
    with pytest.raises(ValueError, match="uint8, or float32"):
        tessera.save(np.zeros((2, 4, 4), np.int16), tmp_path / "a.gif")
    with pytest.raises(ValueError, match="no frames"):
        tessera.save(np.zeros((0, 4, 4), np.uint8), tmp_path / "a.apng")
    assert os.listdir(tmp_path) == []
