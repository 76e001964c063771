"""Out-of-core benchmarks (the 003 seed): file to file, each tool a fresh
process, its wall time and peak RSS read from wait4. Inputs are generated
once into build/bench-data (kept: a second `make bench` reuses them).

tessera runs as its command line (`tessera wsum`, `tessera filter`), libvips
as a small C program over its C API (bench/peers/vips_wsum.c): both are
native processes, so their peak RSS compare directly.
"""
import os
import subprocess
import time

import numpy as np
import tifffile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "build", "bench-data")
TESSERA = os.path.join(ROOT, "build", "tessera")
VIPS_WSUM = os.path.join(ROOT, "build", "vips_wsum")
N_IMAGES = 11


def run_measured(cmd):
    """(seconds, peak RSS bytes) of one run of cmd, a fresh process.

    Measured by GNU time, not by wait4 here: a child forked from this Python
    process starts with Python's pages, and its peak RSS would include them."""
    import tempfile
    with tempfile.NamedTemporaryFile("r", suffix=".time") as f:
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-o", f.name, "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {r.stderr}")
        seconds = time.perf_counter() - t0
        kb = f.read().split()[-1]
    return seconds, int(kb) * 1024


def _write_striped(path, height, width, samples, dtype, make_rows, rows_per_strip=64, extratags=()):
    if os.path.exists(path):
        return
    tmp = path + ".part"
    shape = (height, width, samples) if samples > 1 else (height, width)
    kw = dict(photometric="rgb", extrasamples=[2]) if samples == 4 else {}

    def strips():
        for r in range(0, height, rows_per_strip):
            yield make_rows(r, min(rows_per_strip, height - r))

    tifffile.imwrite(tmp, data=strips(), shape=shape, dtype=dtype, rowsperstrip=rows_per_strip,
                     bigtiff=height * width * samples * np.dtype(dtype).itemsize > 2**31, extratags=extratags, **kw)
    os.replace(tmp, path)


def rgba_stack(height, width=8000):
    """N striped uint8 RGBA TIFFs, distinct content each."""
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(3)
    block = rng.integers(0, 256, (512, width, 4), dtype=np.uint8)
    paths = []
    for i in range(N_IMAGES):
        p = os.path.join(DATA, f"rgba_{width}x{height}_{i}.tif")
        _write_striped(p, height, width, 4, np.uint8,
                       lambda r, n, i=i: np.roll(block, 37 * i + r, axis=0)[:n] ^ np.uint8(i * 23))
        paths.append(p)
    return paths


# A UTM zone 33N GeoTIFF with 10 m pixels and nodata, as GDAL writes them.
GEOTIFF_TAGS = [
    (33550, "d", 3, (10.0, 10.0, 0.0), True),
    (33922, "d", 6, (0.0, 0.0, 0.0, 500000.0, 4600000.0, 0.0), True),
    (34735, "H", 16, (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633), True),
    (42113, "s", 0, "-9999", True),
]


def speckle_tiff(size):
    """A speckled float32 GeoTIFF (georeferencing and nodata tags)."""
    os.makedirs(DATA, exist_ok=True)
    p = os.path.join(DATA, f"speckle_geo_{size}.tif")
    rng = np.random.default_rng(4)
    block = (rng.gamma(4.0, 0.25, (256, size)) * 100).astype(np.float32)
    _write_striped(p, size, size, 1, np.float32, lambda r, n: np.roll(block, r % 251, axis=0)[:n] * (1 + r / size),
                   extratags=GEOTIFF_TAGS)
    return p


def weights():
    w = np.linspace(1, 2, N_IMAGES)
    return [float(x) for x in w / w.sum()]


def check_wsum(paths, w, out_path, rows=256):
    """Output against a float64 numpy reference with the rounding rule, on a
    band of rows from the top, middle and bottom: max grey-level difference."""
    worst = 0
    out = tifffile.memmap(out_path) if _is_memmappable(out_path) else tifffile.imread(out_path)
    h = out.shape[0]
    for start in (0, h // 2, h - rows):
        acc = np.zeros((rows,) + out.shape[1:])
        for wi, p in zip(w, paths):
            acc += wi * tifffile.memmap(p)[start:start + rows]
        ref = np.clip(np.rint(acc), 0, 255)
        worst = max(worst, int(np.abs(out[start:start + rows].astype(int) - ref).max()))
    return worst


def _is_memmappable(path):
    try:
        tifffile.memmap(path)
        return True
    except ValueError:
        return False


def bench_wsum(quick, repeat=3):
    height = 2000 if quick else 8000
    paths = rgba_stack(height, 2000 if quick else 8000)
    w = weights()
    out_t = os.path.join(DATA, "wsum_tessera.tif")
    out_v = os.path.join(DATA, "wsum_vips.tif")
    tes = [TESSERA, "wsum", "-o", out_t, "--weights", ",".join(repr(x) for x in w), "--dtype", "uint8", *paths]
    vips = [VIPS_WSUM, out_v, ",".join(repr(x) for x in w), *paths]
    have_vips = os.path.exists(VIPS_WSUM)
    runs = {"tessera": [], "libvips": []}
    run_measured(tes)  # warm the page cache with the inputs
    for _ in range(repeat):
        runs["tessera"].append(run_measured(tes))
        if have_vips:
            runs["libvips"].append(run_measured(vips))
    diff_t = check_wsum(paths, w, out_t)
    diff_v = check_wsum(paths, w, out_v) if have_vips else None
    return dict(shape=(height, 2000 if quick else 8000),
                tessera=(min(r[0] for r in runs["tessera"]), max(r[1] for r in runs["tessera"])),
                libvips=(min(r[0] for r in runs["libvips"]), max(r[1] for r in runs["libvips"])) if have_vips else None,
                diff_tessera=diff_t, diff_libvips=diff_v)


def bench_wsum_tall(quick):
    width = 2000 if quick else 8000
    paths = rgba_stack(4 * width, width)
    out_t = os.path.join(DATA, "wsum_tall_tessera.tif")
    cmd = [TESSERA, "wsum", "-o", out_t, "--weights", ",".join(repr(x) for x in weights()), "--dtype", "uint8",
           *paths]
    seconds, rss = run_measured(cmd)
    os.unlink(out_t)
    return seconds, rss


def bench_streaming_lee(quick):
    size = 4000 if quick else 20000
    src = speckle_tiff(size)
    out = os.path.join(DATA, "lee_tessera.tif")
    # As a user runs it (the GeoTIFF's tags kept) and without metadata,
    # alternated twice, the best of each; the previous output removed and
    # the disk's write-back flushed before each run, so that no run pays
    # for another's writes.
    cmd = [TESSERA, "filter", "enhanced-lee", src, out, "--size", "7", "--looks", "4"]
    runs = {"kept": [], "bare": []}
    for _ in range(2):
        for variant in ("bare", "kept"):  # the last output, checked below, has its metadata
            if os.path.exists(out):
                os.unlink(out)
            os.sync()
            runs[variant].append(run_measured(cmd + (["--metadata", "none"] if variant == "bare" else [])))
    seconds, rss = min(r[0] for r in runs["kept"]), max(r[1] for r in runs["kept"])
    bare = (min(r[0] for r in runs["bare"]), max(r[1] for r in runs["bare"]))
    kept = tessera_metadata_kept(src, out)
    # Spot check against the in-memory path on a band away from the borders.
    import tessera
    band = np.asarray(tessera.open(src)[size // 2 - 40: size // 2 + 40, 1000:1400])
    expect = np.asarray(tessera.enhanced_lee_filter(band, size=7, looks=4))[10:-10, 10:-10]
    got = tifffile.memmap(out)[size // 2 - 30: size // 2 + 30, 1010:1390]
    exact = bool(np.array_equal(got, expect))
    os.unlink(out)
    return size, seconds, rss, exact, bare, kept


def bench_cog(quick):
    """A 20000^2 uint8 striped TIFF made a Cloud-Optimised GeoTIFF (deflate,
    512x512 tiles, average overviews) on the command line: tessera's --cog
    beside GDAL's gdal_translate -of COG, alternated, best of 2, each a fresh
    process; both outputs checked by GDAL's validator."""
    size = 4000 if quick else 20000
    src = os.path.join(DATA, f"cog_src_{size}.tif")
    y = np.arange(size, dtype=np.int64)

    def rows(r, n):
        yy = y[r:r + n, None]
        xx = y[None, :]
        return ((xx * 7 + yy * 3 + (xx * yy) % 13) % 256).astype(np.uint8)
    _write_striped(src, size, size, 1, np.uint8, rows)
    out_t = os.path.join(DATA, "cog_tessera.tif")
    out_g = os.path.join(DATA, "cog_gdal.tif")
    t_cmd = [TESSERA, "eval", "a", "-i", f"a={src}", "-o", out_t, "--cog", "--compression", "deflate"]
    g_cmd = ["gdal_translate", "-q", "-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "BLOCKSIZE=512",
             "-co", "RESAMPLING=AVERAGE", "-co", "NUM_THREADS=ALL_CPUS", src, out_g]
    runs = {"tessera": [], "gdal": []}
    for _ in range(2):
        for name, cmd, out in (("tessera", t_cmd, out_t), ("gdal", g_cmd, out_g)):
            if os.path.exists(out):
                os.unlink(out)
            os.sync()
            runs[name].append(run_measured(cmd))
    validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py"
    valid = {}
    for name, out in (("tessera", out_t), ("gdal", out_g)):
        r = subprocess.run(["/usr/bin/python3", validator, out], capture_output=True, text=True)
        valid[name] = r.returncode == 0 and "is a valid cloud optimized GeoTIFF" in r.stdout
    best = {k: (min(s for s, _ in v), max(m for _, m in v)) for k, v in runs.items()}
    for out in (out_t, out_g):
        os.unlink(out)
    return size, best["tessera"], best["gdal"], valid


def tessera_metadata_kept(src, out):
    """GDAL's view: the same geotransform, coordinate system and nodata."""
    import json
    try:
        infos = [json.loads(subprocess.run(["gdalinfo", "-json", p], capture_output=True, text=True, check=True).stdout)
                 for p in (src, out)]
    except (OSError, subprocess.CalledProcessError):
        return None
    pick = [(i.get("geoTransform"), i.get("coordinateSystem", {}).get("wkt"), i["bands"][0].get("noDataValue"))
            for i in infos]
    return pick[0] == pick[1] and pick[0][0] is not None
