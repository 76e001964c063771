"""tessera's demo: the five seed problems on data generated here, each beside
the tools people reach for, with pictures in demo-out/.

    .venv/bin/python examples/demo.py            (what `make demo` runs)
    .venv/bin/python examples/demo.py --small    (smaller data, seconds)
"""
import argparse
import concurrent.futures
import os
import struct
import sys
import tempfile
import time
import zlib

import numpy as np

import tessera

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "demo-out")
# The seeds' reference code and the measuring helpers live with the benchmarks.
sys.path.insert(0, os.path.join(ROOT, "bench"))
ROWS = []


def timed(f, repeat=1):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = f()
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    return best, r


def row(seed, task, tool, seconds, note=""):
    ROWS.append((seed, task, tool, f"{seconds * 1e3:,.0f} ms" if seconds is not None else "-", note))


def write_png(path, img):
    """A minimal PNG writer (8-bit grey, RGB or RGBA), so the demo needs no imaging library."""
    img = np.ascontiguousarray(img)
    if img.ndim == 2:
        img = img[:, :, None]
    h, w, c = img.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def to_u8(x, lo=None, hi=None):
    x = np.asarray(x, np.float64)
    lo = np.nanpercentile(x, 1) if lo is None else lo
    hi = np.nanpercentile(x, 99) if hi is None else hi
    return np.clip((x - lo) / max(hi - lo, 1e-12) * 255, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- 001 ----

def seed_001(small):
    """A per-pixel rule on a 24-megapixel RGBA image: RGBA to 0 where R, G, B > 240."""
    import cv2
    import numexpr
    h, w = (600, 400) if small else (6000, 4000)
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 4), np.uint8)
    img[..., 0] = (128 + 127 * np.sin(xx / 97.0)).astype(np.uint8)
    img[..., 1] = (128 + 127 * np.cos(yy / 131.0)).astype(np.uint8)
    img[..., 2] = (200 + 55 * np.sin((xx + yy) / 300.0)).astype(np.uint8)
    img[..., 3] = 255
    img[rng.random((h, w)) < 0.05] = (250, 250, 250, 255)
    r, g, b = img[..., 0:1], img[..., 1:2], img[..., 2:3]
    expr = "where((r > 240) & (g > 240) & (b > 240), 0, img)"
    v = dict(r=r, g=g, b=b, img=img)
    t_tes, out = timed(lambda: tessera.evaluate(expr, **v), 3)
    t_np, ref = timed(lambda: np.where((r > 240) & (g > 240) & (b > 240), 0, img), 3)
    t_ne, _ = timed(lambda: numexpr.evaluate(expr, local_dict=v), 3)

    def opencv():
        mask = cv2.inRange(img[..., :3], (241, 241, 241), (255, 255, 255))
        o = img.copy()
        o[mask > 0] = 0
        return o
    t_cv, _ = timed(opencv, 3)
    assert np.array_equal(out, ref)
    row("001", f"pixel rule, {w}x{h} RGBA", "tessera.evaluate", t_tes, "same pixels as numpy")
    row("", "", "numpy", t_np, f"{t_np / t_tes:.0f}x slower")
    row("", "", "numexpr", t_ne, f"{t_ne / t_tes:.0f}x slower")
    row("", "", "OpenCV inRange + mask", t_cv, f"{t_cv / t_tes:.1f}x slower")

    # The thread's real wish: any per-pixel Python/numpy function, in parallel, over tiles.
    def dumb_func(tile):  # the seed's stand-in: the square of each pixel
        return (tile.astype(np.float32) / 255.0) ** 2
    grey = img[..., 1]
    t_map, sq = timed(lambda: tessera.map_tiles(dumb_func, grey, tile=(512, 512)))
    t_plain, sq_ref = timed(lambda: dumb_func(grey))
    assert np.array_equal(sq, sq_ref)
    row("", "the seed's per-tile function", "tessera.map_tiles", t_map, "all cores, tiles assembled")
    row("", "", "numpy, one call", t_plain, "")
    step = max(1, h // 600)
    write_png(os.path.join(OUT, "001_input.png"), img[::step, ::step, :3])
    write_png(os.path.join(OUT, "001_output.png"), out[::step, ::step])


# ---------------------------------------------------------------- 002 ----

def seed_002(small):
    """Enhanced Lee on a large SAR-like image, without numpy's full-size temporaries."""
    import seed_002 as seed
    import cv2
    import scipy.ndimage as ndi
    n = 800 if small else 6000
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    scene = 60 + 40 * np.sin(yy / 90.0) * np.cos(xx / 140.0) + 50 * ((xx - n / 2) ** 2 + (yy - n / 2) ** 2 < (n / 4) ** 2)
    sar = (scene * rng.gamma(4.0, 0.25, (n, n))).astype(np.float32)
    del yy, xx, scene
    t_tes, filtered = timed(lambda: tessera.enhanced_lee_filter(sar, 7, looks=4), 2)
    t_seed, _ = timed(lambda: seed.enh_lee(sar, 7, 4.0, 1.0))
    row("002", f"enhanced Lee, {n}x{n} float32, 7x7, L=4", "tessera.enhanced_lee_filter", t_tes,
        "input + output + tiles in memory")
    row("", "", "the seed's numexpr + scipy", t_seed, f"{t_seed / t_tes:.0f}x slower, ~4 full-size temporaries")
    t_u, _ = timed(lambda: tessera.uniform_filter(sar, 7), 2)
    blurred = np.empty_like(sar)  # OpenCV reuses its dst as tessera reuses a freed result's memory
    t_cv, _ = timed(lambda: cv2.blur(sar, (7, 7), dst=blurred, borderType=cv2.BORDER_REFLECT), 2)
    t_sp, _ = timed(lambda: ndi.uniform_filter(sar, 7))
    row("", "its 7x7 window mean", "tessera.uniform_filter", t_u, "")
    row("", "", "OpenCV blur", t_cv, f"{t_cv / t_u:.1f}x slower")
    row("", "", "scipy uniform_filter", t_sp, f"{t_sp / t_u:.0f}x slower")
    c = slice(n // 2 - 300, n // 2 + 300) if n > 600 else slice(None)
    lo, hi = np.percentile(sar[c, c], [1, 99])
    write_png(os.path.join(OUT, "002_speckled.png"), to_u8(sar[c, c], lo, hi))
    write_png(os.path.join(OUT, "002_enhanced_lee.png"), to_u8(filtered[c, c], lo, hi))


def seed_002_cluster(small, tmp):
    """The 002 filter over a stack of TIFFs larger than a worker's memory
    limit, on a 2-worker Dask LocalCluster: tessera.dask reads chunks from
    the files on the workers, filters with halos exchanged between chunks and
    writes each result band by band; beside it, Dask's map_overlap of the
    seed's own filter on the same cluster, files and chunks."""
    import dask.array as da
    import distributed

    import tessera.dask as tdask
    from dask_cluster import seed_filter
    from run import rss_peak
    count, n, chunk, limit_mb = (3, 600, 300, 400) if small else (12, 3000, 1000, 400)
    rng = np.random.default_rng(20)
    paths = []
    for k in range(count):
        paths.append(os.path.join(tmp, f"scene_{k:02d}.tif"))
        tessera.save((100 * rng.gamma(4.0, 0.25, (n, n))).astype(np.float32), paths[-1])
    stack_mb = count * n * n * 4 / 2**20
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       scheduler_port=0, dashboard_address=None, silence_logs=40,
                                       memory_limit=f"{limit_mb}MB")
    client = distributed.Client(cluster)
    try:
        def filter_stack(make, suffix):
            # Two files at a time, so that one's chunks keep the workers busy
            # while the other's bands travel to the writer.
            outs = [p.replace(".tif", suffix) for p in paths]
            with concurrent.futures.ThreadPoolExecutor(2) as files:
                list(files.map(lambda p, o: tdask.to_tiff(make(tdask.from_tiff(p, chunks=chunk)), o), paths, outs))
            return outs
        # Each worker imports both tools before the clock starts.
        warm = tdask.from_tiff(paths[0], chunks=chunk)[:chunk, :chunk]
        distributed.wait([tdask.enhanced_lee_filter(warm, 7, looks=4, threads=1).persist(),
                          seed_filter(warm).persist()])
        t_tes, outs = timed(lambda: filter_stack(lambda x: tdask.enhanced_lee_filter(x, 7, looks=4, threads=1),
                                                 "_tessera.tif"))
        t_seed, _ = timed(lambda: filter_stack(seed_filter, "_seed.tif"))
        # VmHWM, not getrusage: a spawned worker's ru_maxrss counts its parent's.
        peak = max(rss_peak(pid) for pid in client.run(os.getpid).values()) / 2**20
    finally:
        client.close()
        cluster.close()
    exact = all(np.array_equal(tessera.open(o).compute(),
                               tessera.enhanced_lee_filter(tessera.open(p).compute(), 7, looks=4))
                for p, o in zip(paths[:2], outs[:2]))
    row("002", f"cluster: enhanced Lee on {count} TIFFs of {n}x{n} float32 ({stack_mb:.0f} MB), "
        f"{chunk}x{chunk} chunks, 2 workers limited to {limit_mb} MB each",
        "tessera.dask, file to file", t_tes,
        f"{count * n * n / t_tes / 1e6:.0f} Mpixel/s; worker peak RSS {peak:.0f} MB; "
        f"{'equal to in memory' if exact else 'MISMATCH vs in memory'}")
    row("", "", "map_overlap(the seed's filter), same cluster", t_seed, f"{t_seed / t_tes:.1f}x slower")


# ---------------------------------------------------------------- 003 ----

def peak_rss_run(cmd):
    """(seconds, peak RSS in MB) of a command: bench/out_of_core.py's measure."""
    from out_of_core import run_measured
    seconds, rss = run_measured(cmd)
    return seconds, rss / 2**20


def seed_003(small, tmp):
    """The seed's weighted average of a stack of RGBA TIFFs, file to file,
    streaming: tessera's command line and Python API beside libvips and the
    numpy loop from the thread."""
    h, w, k = (400, 300, 11) if small else (4000, 4000, 11)
    rng = np.random.default_rng(3)
    paths = []
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(k):  # smooth colour fields plus noise, a different one per layer
        layer = np.stack([128 + 100 * np.sin((xx + 40 * i) / (37 + 5 * c) + yy / (53 + 3 * i)) for c in range(3)]
                         + [np.full((h, w), 255.0)], axis=-1)
        layer += rng.normal(0, 20, layer.shape)
        p = os.path.join(tmp, f"layer{i:02d}.tif")
        tessera.save(np.clip(layer, 0, 255).astype(np.uint8), p)
        paths.append(p)
    weights = [0.01] + [-0.002] * 4 + [0.0988] * 6  # the seed's coefficients, extended to 11
    out_path = os.path.join(tmp, "average.tif")

    t_api, _ = timed(lambda: tessera.weighted_sum(paths, weights, dtype="uint8").save(out_path))
    root = os.path.dirname(OUT)
    wlist = ",".join(repr(x) for x in weights)
    t_cli, rss_cli = peak_rss_run([os.path.join(root, "build", "tessera"), "wsum", "-o", out_path, "--weights",
                                   wlist, "--dtype", "uint8", *paths])
    vips = os.path.join(root, "build", "vips_wsum")
    vips_out = os.path.join(tmp, "average_vips.tif")
    have_vips = os.path.exists(vips)
    if have_vips:
        t_vips, rss_vips = peak_rss_run([vips, vips_out, wlist, *paths])

    import tifffile

    def numpy_loop():  # the answer from the thread: one image at a time, float64 accumulator
        acc = np.zeros((h, w, 4))
        for wt, p in zip(weights, paths):
            acc += wt * tifffile.imread(p)
        return acc
    t_np, acc = timed(numpy_loop)
    out = np.asarray(tessera.open(out_path))
    assert np.abs(out.astype(np.int16) - np.clip(np.rint(acc), 0, 255)).max() <= 1
    size = f"{k} RGBA TIFFs {w}x{h}"
    row("003", f"weighted sum of {size}", "tessera.weighted_sum(...).save()", t_api, "streaming, file to file")
    row("", "", "tessera wsum (command line)", t_cli, f"peak RSS {rss_cli:.0f} MB")
    if have_vips:
        row("", "", "libvips (C API, sequential)", t_vips,
            f"peak RSS {rss_vips:.0f} MB; {t_vips / t_cli:.1f}x slower than tessera wsum")
        vips_img = tifffile.imread(vips_out)
        assert np.abs(vips_img.astype(np.int16) - out).max() <= 1
    row("", "", "numpy, image by image (thread)", t_np,
        f"{t_np / t_api:.1f}x slower; holds a {h * w * 4 * 8 / 2**20:.0f} MB float64 accumulator")
    step = max(1, max(h, w) // 600)
    write_png(os.path.join(OUT, "003_weighted_average.png"), np.asarray(tessera.open(out_path)[::step, ::step]))


# ---------------------------------------------------------------- 004 ----

def steepest_tile(v):
    """The 004 rule on a tile with a halo of 1 (the seed's vectorised answer,
    its centre bug fixed), returning the tile's core labels."""
    offsets = [(dz, dy, dx) for dz in (-1, 0, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    d = np.array([np.sqrt(dz * dz + dy * dy + dx * dx) for dz, dy, dx in offsets])
    c = v[1:-1, 1:-1, 1:-1].astype(np.float32)
    best = np.full(c.shape, -np.inf, np.float32)
    label = np.full(c.shape, 13, np.uint8)
    all_greater = np.ones(c.shape, bool)
    for k, (dz, dy, dx) in enumerate(offsets):
        if k == 13:
            continue
        n = v[1 + dz:v.shape[0] - 1 + dz, 1 + dy:v.shape[1] - 1 + dy, 1 + dx:v.shape[2] - 1 + dx]
        all_greater &= n > c
        s = (c - n) / d[k]
        better = s > best
        best = np.where(better, s, best)
        label = np.where(better, np.uint8(k), label)
    return np.where(all_greater, np.uint8(13), label)


def seed_004(small):
    """Steepest-descent labels of a 3-D volume over its 26 neighbours."""
    n = 48 if small else 160
    rng = np.random.default_rng(4)
    vol = ndi_smooth(rng.random((n, n, n)).astype(np.float32))
    t_nat, labels = timed(lambda: tessera.steepest_neighbor(vol, edges="ignore"))
    t_tes, tiled = timed(lambda: tessera.map_tiles(steepest_tile, vol, tile=(32, 64, 64), halo=1, mode="nearest"))
    t_np, ref = timed(lambda: steepest_tile(np.pad(vol, 1, mode="edge")))
    inner = (slice(1, -1),) * 3
    assert np.array_equal(labels[inner], ref[inner]) and np.array_equal(tiled[inner], ref[inner])
    row("004", f"steepest-descent labels, {n}^3 float32", "tessera.steepest_neighbor", t_nat,
        "one pass, input + output + tiles in memory")
    row("", "", "tessera.map_tiles + numpy, halo 1", t_tes, f"{t_tes / t_nat:.0f}x slower, tile-sized temporaries")
    row("", "", "numpy, vectorised (whole volume)", t_np, f"{t_np / t_nat:.0f}x slower, 27 full-size temporaries")
    # The rule as the user writes it, in Python (examples/seed_kernels.py), compiled
    # by @tessera.kernel; and the same loops in numba.
    import kernels
    t_k, user = timed(lambda: kernels.steepest(vol, mode="nearest", dtype="uint8"), repeat=2)
    same = np.mean(user[inner] == labels[inner])
    row("", "", "@tessera.kernel, the rule in Python", t_k,
        f"{t_k / t_nat:.1f}x the built-in; " + ("labels equal" if same == 1 else f"{same:.6f} of labels equal"))
    try:
        steepest_nb = kernels.numba_versions()[0]
        steepest_nb(vol[:4, :4, :4])  # compile, not timed
        t_nb, nb = timed(lambda: steepest_nb(vol), repeat=2)
        same = np.mean(nb == user)
        row("", "", "numba njit(parallel), the same loops", t_nb, f"{t_nb / t_k:.1f}x the kernel's time; "
            + ("labels equal" if same == 1 else f"{same:.6f} of labels equal"))
    except ImportError:
        row("", "", "numba", None, "not installed")
    write_png(os.path.join(OUT, "004_labels_slice.png"), (labels[n // 2].astype(np.float32) * (255 / 26)).astype(np.uint8))


def ndi_smooth(v):
    return tessera.uniform_filter(v, 5)


# ---------------------------------------------------------------- 000 ----

def seed_000(small):
    """A live stream drawn as it arrives: the seed's 9744 frames through
    StreamChart.push beside the thread's best numpy answer, then the seed's
    live simulation (a random walk arriving in irregular chunks from a
    producer thread) drawn to demo-out/stream.gif."""
    import queue
    import random
    import threading
    import stream_chart

    volumes = np.random.default_rng(0).integers(0, 200, 2000 if small else 10000)
    h, w = 128, 256
    frames = len(volumes) - w
    t_np, _ = timed(lambda: sum(1 for _ in stream_chart.seed_best_numpy(volumes, h, w)))
    t_tes, last = timed(lambda: [f for f in stream_chart.tessera_frames(volumes, h, w)][-1].copy())
    same = np.array_equal(last, list(stream_chart.seed_best_numpy(volumes, h, w))[-1])
    row("000", f"{frames} sliding bar-chart frames 128x256x3", "tessera.StreamChart.push", t_tes,
        f"{t_np / t_tes:.0f}x; last frame {'equal to' if same else 'DIFFERS from'} the seed's")
    row("", "", "numpy per frame (seed's best answer)", t_np, "")

    # The live simulation: a producer thread, a renderer pushing whatever has arrived.
    chunks = queue.Queue()
    pause = random.Random(1)

    def producer():
        for a in stream_chart.random_walk_chunks(300 if small else 1500):
            chunks.put(a)
            time.sleep(pause.random() * 0.002)
        chunks.put(None)

    chart = tessera.StreamChart(256, 512, style="area", channels=3, vmin=None, colormap="height",
                                background=(16, 16, 32))
    latencies, saved = [], []
    threading.Thread(target=producer, daemon=True).start()
    t_start, done = time.perf_counter(), False
    while not done:
        data = [chunks.get()]
        while not chunks.empty():
            data.append(chunks.get())
        if data[-1] is None:
            data, done = data[:-1], True
        if not data:
            break
        t0 = time.perf_counter_ns()
        frame = chart.push(np.concatenate(data))
        latencies.append(time.perf_counter_ns() - t0)
        if len(saved) < 240:
            saved.append(frame.copy())
    wall = time.perf_counter() - t_start
    lat = np.array(latencies) / 1e3
    path = os.path.join(OUT, "stream.gif")
    t_gif, _ = timed(lambda: tessera.save_animation(saved, path, fps=15))
    row("000", f"live stream: {chart.samples_seen} samples in {len(lat)} pushes, 256x512x3 area chart",
        "StreamChart.push", lat.sum() / 1e6,
        f"p50 {np.percentile(lat, 50):.0f} us, p99 {np.percentile(lat, 99):.0f} us; "
        f"{len(lat) / (lat.sum() / 1e6):,.0f} frames/s of render time ({wall:.1f} s of stream)")
    row("", f"{len(saved)} frames to stream.gif", "tessera.save_animation", t_gif, "")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--small", action="store_true")
    args = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    print(f"tessera demo: {os.cpu_count()} cores, kernels {tessera.simd()}; pictures in {OUT}/")
    with tempfile.TemporaryDirectory() as tmp:
        seed_000(args.small)
        seed_001(args.small)
        seed_002(args.small)
        seed_002_cluster(args.small, tmp)
        seed_003(args.small, tmp)
        seed_004(args.small)
    widths = [max(len(str(r[i])) for r in ROWS + [("seed", "task", "tool", "time", "note")]) for i in range(5)]
    print()
    for r in [("seed", "task", "tool", "time", "note"), tuple("-" * w for w in widths)] + ROWS:
        print("  ".join(str(x).ljust(wd) if i != 3 else str(x).rjust(wd) for i, (x, wd) in enumerate(zip(r, widths))))
    print(f"\npictures: {', '.join(sorted(os.listdir(OUT)))}")


if __name__ == "__main__":
    main()
