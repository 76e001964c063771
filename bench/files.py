"""PNG and JPEG beside Pillow and libvips (bench/run.py calls it; the table's
rows come back as JSON on the last line):

  - decoding a 10000x10000 RGB JPEG and a 10000x10000 RGBA PNG into numpy,
    tessera beside Pillow (the same libjpeg-turbo underneath; Pillow inflates
    PNG with zlib itself), alternated, best of 3 in this process;
  - the 001 seed's rule on the command line, a 6000x4000 JPEG in, a PNG out:
    `tessera eval` beside libvips's `vips` command line doing the same
    (three commands through .v files: per-band "<= 240", any band of it, and
    the pixels kept there), each a fresh process under GNU time;
  - streaming: the per-channel sums of a 30000x30000 grey PNG in a fresh
    process, its peak RSS beside the interpreter's own.

Files are made once (Pillow, or tessera streaming where Pillow would need
the whole image) into build/bench-data and kept.

    .venv/bin/python bench/files.py full|quick
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
from PIL import Image

import tessera

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "build", "bench-data")
sys.path.insert(0, HERE)
from out_of_core import run_measured  # noqa: E402  (GNU time: seconds and peak RSS of a fresh process)
from run import best_time  # noqa: E402

CLI = os.path.join(ROOT, ".venv", "bin", "tessera")
PY = os.path.join(ROOT, ".venv", "bin", "python")
RULE = "where((a[..., 0:1] > 240) & (a[..., 1:2] > 240) & (a[..., 2:3] > 240), 0, a)"


def best(f, repeat=3):
    """The best of `repeat` timed runs, with no warm-up run first."""
    return best_time(f, repeat, warm=False)


def photo(height, width, channels, seed):
    """A photograph's statistics, roughly: smooth gradients, texture, and
    bright (near-white) patches for the 001 rule to find."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.empty((height, width, channels), np.uint8)
    for c in range(channels):
        base = 128 + 90 * np.sin(x / (97 + 13 * c)) * np.cos(y / (131 + 7 * c))
        base += rng.normal(0, 12, (height, width)).astype(np.float32)
        out[..., c] = np.clip(base, 0, 255)
    patches = (np.sin(x / 211) > 0.9) & (np.cos(y / 173) > 0.9)
    out[patches, :3] = 250
    return out


def made(path, make):
    if not os.path.exists(path):
        os.makedirs(DATA, exist_ok=True)
        make(path + ".part")
        os.replace(path + ".part", path)
    return path


def decode_rows(n):
    jpg = made(os.path.join(DATA, f"photo_{n}.jpg"),
               lambda p: Image.fromarray(photo(n, n, 3, 1)).save(p, "JPEG", quality=90))
    png = made(os.path.join(DATA, f"photo_{n}_rgba.png"),
               lambda p: Image.fromarray(photo(n, n, 4, 2)).save(p, "PNG", compress_level=1))
    rows = []
    Image.MAX_IMAGE_PIXELS = None  # 10^8 pixels: Pillow would warn of a decompression bomb
    for label, path in [(f"decode a {n}x{n} RGB JPEG into numpy", jpg), (f"decode a {n}x{n} RGBA PNG into numpy", png)]:
        # The file read once into the page cache, then the two alternated
        # (best of 3 each): neither pays for the disk or the other's memory.
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
        t_t, t_p = [], []
        for _ in range(3):
            t_t.append(best(lambda: np.asarray(tessera.open(path)), 1))
            t_p.append(best(lambda: np.asarray(Image.open(path)), 1))
        t_t, t_p = min(t_t), min(t_p)
        same = bool(np.array_equal(np.asarray(tessera.open(path)), np.asarray(Image.open(path))))
        rows.append([label, t_t, "Pillow np.asarray(Image.open)", t_p, t_t / t_p, "<=1.2", t_t / t_p <= 1.2,
                     "same pixels" if same else "DIFFERENT PIXELS"])
    return rows


def seed_001_rows():
    h, w = 4000, 6000
    jpg = made(os.path.join(DATA, f"seed001_{w}x{h}.jpg"),
               lambda p: Image.fromarray(photo(h, w, 3, 3)).save(p, "JPEG", quality=92))
    out_t = os.path.join(DATA, "seed001_tessera.png")
    out_v = os.path.join(DATA, "seed001_vips.png")
    mask = os.path.join(DATA, "seed001_mask.v")
    keep = os.path.join(DATA, "seed001_keep.v")
    tessera_cmd = [CLI, "eval", RULE, "-i", f"a={jpg}", "-o", out_t]
    vips_cmds = [["vips", "relational_const", jpg, mask, "lesseq", "240"],  # 255 where a band is <= 240
                 ["vips", "bandbool", mask, keep, "or"],                     # 255 where any band is: not white
                 ["vips", "boolean", jpg, keep, out_v, "and"]]               # the pixel where kept, else 0
    runs_t, runs_v = [], []
    for _ in range(2):  # alternated, best of 2
        runs_t.append(run_measured(tessera_cmd))
        steps = [run_measured(c) for c in vips_cmds]
        runs_v.append((sum(s for s, _ in steps), max(m for _, m in steps)))
    for p in (mask, keep):
        os.remove(p)
    t_t, m_t = min(s for s, _ in runs_t), max(m for _, m in runs_t)
    t_v, m_v = min(s for s, _ in runs_v), max(m for _, m in runs_v)
    a = np.asarray(Image.open(jpg))
    want = np.where((a[..., 0:1] > 240) & (a[..., 1:2] > 240) & (a[..., 2:3] > 240), 0, a)
    same_t = bool(np.array_equal(np.asarray(Image.open(out_t)), want))
    same_v = bool(np.array_equal(np.asarray(Image.open(out_v)), want))
    mb = 1 << 20
    return [[f"001 rule, {w}x{h} JPEG -> PNG, command line", t_t, "vips CLI (3 commands, .v between)", t_v,
             t_v / t_t, ">1 faster", t_v / t_t > 1, "same as numpy" if same_t else "DIFFERENT"],
            ["the same, peak RSS (MB)", None, "vips's largest step", m_v / mb, m_t / m_v, "<=1 of vips's",
             m_t <= m_v, f"tessera {m_t / mb:.0f} MB; vips output {'same' if same_v else 'DIFFERENT'}"]]


def streaming_rows(n):
    png = os.path.join(DATA, f"grey_{n}.png")
    if not os.path.exists(png):
        # Made by tessera, streaming (Pillow would hold all n*n bytes).
        y = tessera.asarray(np.arange(n, dtype=np.float32)[:, None])
        x = tessera.asarray(np.arange(n, dtype=np.float32)[None, :])
        tessera.save(tessera.evaluate("(x * 7 + y * 3) % 256", x=x, y=y).astype(np.uint8), png + ".part.png",
                     compress_level=1)
        os.replace(png + ".part.png", png)
    probe = ("import numpy as np, tessera, resource, sys; "
             "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
             f"s = int(np.asarray(tessera.sum(tessera.open({png!r})))); "
             "print(s, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    t0 = time.perf_counter()
    out = subprocess.run([PY, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    seconds = time.perf_counter() - t0
    total, base_kb, peak_kb = int(out[0]), int(out[1]), int(out[2])
    # The same sum in float64 numpy, a band at a time (the reference).
    rows_per = 1000
    want = 0
    for r0 in range(0, n, rows_per):
        y = np.arange(r0, min(n, r0 + rows_per), dtype=np.float64)[:, None]
        x = np.arange(n, dtype=np.float64)[None, :]
        want += int(((x * 7 + y * 3) % 256).astype(np.uint8).sum(dtype=np.uint64))
    grown = (peak_kb - base_kb) / 1024
    return [[f"sum of a {n}x{n} grey PNG ({n * n >> 20} MB of pixels), fresh process", seconds, "", None, None,
             "RSS growth < 64 MB", grown < 64,
             f"RSS grew {grown:.0f} MB over the interpreter; sum {'exact' if total == want else 'WRONG'}"]]


def main(quick):
    n = 2000 if quick else 10000
    rows = decode_rows(n)
    rows += seed_001_rows()
    rows += streaming_rows(4000 if quick else 30000)
    print(json.dumps(rows))


if __name__ == "__main__":
    main(len(sys.argv) > 1 and sys.argv[1] == "quick")
