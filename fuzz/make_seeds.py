"""Seed corpora for the fuzzers, from writers nobody here wrote: tifffile,
Pillow, libtiff's tiffcp, GDAL's gdal_translate (each used when installed),
numpy's own .npy writer; and expressions in the language's whole grammar.
Small images (a few KB): the fuzzer mutates them, and small inputs run fast.

    /usr/bin/python3 fuzz/make_seeds.py fuzz/seeds   # -> fuzz/seeds/{tiff,npy,expr,png,jpeg}, fuzz/seeds/expr.dict
"""
import io
import itertools
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np


def tiffs(out):
    import tifffile
    rng = np.random.default_rng(0)
    n = itertools.count()

    def put(data, **kw):
        try:
            tifffile.imwrite(os.path.join(out, f"tifffile-{next(n):03d}.tif"), data, **kw)
        except (KeyError, ValueError, ImportError):  # a codec this tifffile lacks
            pass

    for dtype in ["u1", "i1", "u2", "i2", "u4", "i4", "f4", "f8", "u8", "i8", "?"]:
        put(rng.integers(0, 100, (13, 17)).astype(dtype))
    rgb = rng.integers(0, 256, (19, 23, 3), dtype=np.uint8)
    for comp in [None, "zlib", "lzw", "packbits", "zstd", "jpeg"]:
        put(rgb, photometric="rgb", compression=comp)
    put(rgb, photometric="rgb", planarconfig="separate")
    put(rgb, photometric="rgb", tile=(16, 16), compression="zlib")
    put(rng.integers(0, 65535, (33, 35), dtype=np.uint16), tile=(16, 16), compression="zlib", predictor=True)
    put(rng.random((21, 19), dtype=np.float32), compression="zlib", predictor=True)
    put(rng.random((21, 19), dtype=np.float32), compression="zlib", predictor=3)
    put(rng.integers(0, 256, (4, 11, 13), dtype=np.uint8))                   # pages
    put(rng.integers(0, 256, (3, 11, 13, 4), dtype=np.uint8), photometric="rgb", extrasamples=["unassalpha"])
    put(rng.integers(0, 256, (9, 10, 5), dtype=np.uint8), photometric="minisblack", planarconfig="contig")
    put(rng.integers(0, 256, (17, 18), dtype=np.uint8), bigtiff=True)
    put(rng.integers(0, 256, (17, 18), dtype=np.uint8), rowsperstrip=3)
    put(rng.integers(0, 2, (16, 24), dtype=bool))
    return [os.path.join(out, f) for f in sorted(os.listdir(out))]


def pillow_tiffs(out):
    try:
        from PIL import Image
    except ImportError:
        return
    rng = np.random.default_rng(1)
    base = Image.fromarray(rng.integers(0, 256, (15, 21, 3), dtype=np.uint8), "RGB")
    cases = [("L", None), ("RGB", None), ("RGBA", None), ("CMYK", None), ("P", None), ("I;16", None), ("F", None),
             ("1", None), ("1", "group4"), ("L", "tiff_lzw"), ("RGB", "tiff_deflate"), ("L", "packbits"),
             ("RGB", "jpeg"), ("LAB", None)]
    for i, (mode, comp) in enumerate(cases):
        try:
            im = base.convert(mode) if mode not in ("I;16", "F", "LAB") else (
                base.convert("L").convert("F") if mode == "F" else base.convert("LAB") if mode == "LAB" else
                Image.fromarray(rng.integers(0, 65535, (15, 21), dtype=np.uint16)))
            kw = {"compression": comp} if comp else {}
            im.save(os.path.join(out, f"pillow-{i:02d}-{mode.replace(';', '')}.tif"), **kw)
        except Exception:
            pass


def tiffcp_tiffs(out, sources):
    if not shutil.which("tiffcp"):
        return
    options = [["-c", "lzw"], ["-c", "zip"], ["-c", "packbits"], ["-t", "-w", "16", "-l", "16"], ["-r", "3"],
               ["-p", "separate"], ["-8"], ["-f", "lsb2msb"], ["-c", "zip:p2"], ["-t", "-w", "16", "-l", "16", "-c", "lzw"]]
    for src in sources[:6]:
        for k, opt in enumerate(options):
            dst = os.path.join(out, f"tiffcp-{os.path.basename(src)[:-4]}-{k}.tif")
            subprocess.run(["tiffcp", *opt, src, dst], capture_output=True)


def gdal_tiffs(out, sources):
    if not shutil.which("gdal_translate"):
        return
    creation = [["-co", "TILED=YES", "-co", "BLOCKXSIZE=16", "-co", "BLOCKYSIZE=16"], ["-co", "COMPRESS=DEFLATE"],
                ["-co", "COMPRESS=LZW", "-co", "PREDICTOR=2"], ["-co", "SPARSE_OK=TRUE"], ["-co", "NBITS=12"],
                ["-co", "NBITS=4"], ["-co", "INTERLEAVE=BAND"], ["-of", "COG", "-co", "BLOCKSIZE=16"],
                ["-co", "PHOTOMETRIC=MINISWHITE"], ["-ot", "Float32", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3"]]
    georef = ["-a_srs", "EPSG:32633", "-a_ullr", "500000", "4600000", "500300", "4599700", "-a_nodata", "0"]
    for src in sources[:4]:
        for k, co in enumerate(creation):
            dst = os.path.join(out, f"gdal-{os.path.basename(src)[:-4]}-{k}.tif")
            subprocess.run(["gdal_translate", "-q", *georef, *co, src, dst], capture_output=True)


def pngs_and_jpegs(png_out, jpeg_out):
    from PIL import Image
    rng = np.random.default_rng(3)
    rgb = Image.fromarray(rng.integers(0, 256, (13, 17, 3), dtype=np.uint8))
    for i, im in enumerate([rgb, rgb.convert("L"), rgb.convert("RGBA"), rgb.convert("LA"), rgb.quantize(8),
                            rgb.convert("1"), Image.fromarray(rng.integers(0, 65535, (9, 11), dtype=np.uint16))]):
        im.save(os.path.join(png_out, f"pillow-{i}.png"))
    rgb.save(os.path.join(png_out, "pillow-interlaced.png"), interlace=1)
    for i, (im, kw) in enumerate([(rgb, {}), (rgb.convert("L"), {}), (rgb, {"progressive": True}),
                                  (rgb.convert("CMYK"), {}), (rgb, {"quality": 20, "subsampling": 2})]):
        im.save(os.path.join(jpeg_out, f"pillow-{i}.jpg"), **kw)


def npys(out):
    rng = np.random.default_rng(2)
    arrays = [rng.integers(0, 100, (5, 7)).astype(d) for d in ["u1", "i2", "<u4", ">i4", ">f8", "f4", "?", "i8"]]
    arrays += [np.asfortranarray(rng.random((6, 4))), np.zeros((0, 3), "u1"), np.array(3.5), rng.random((2, 3, 4))]
    for i, a in enumerate(arrays):
        np.save(os.path.join(out, f"numpy-{i:02d}.npy"), a)
    for version in [(2, 0), (3, 0)]:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, arrays[0], version=version)
        with open(os.path.join(out, f"numpy-v{version[0]}.npy"), "wb") as f:
            f.write(buf.getvalue())


FUNCTIONS = ["abs", "arccos", "arcsin", "arctan", "arctan2", "ceil", "clip", "cos", "cosh", "exp", "expm1", "floor",
             "log", "log10", "log1p", "maximum", "minimum", "sin", "sinh", "sqrt", "tan", "tanh", "where"]
EXPRESSIONS = [
    "a + b * 2", "where((b > 100) & (a < 0), 0, e[..., 0] if 0 else a)", "(a / 255.) ** 2 * 255", "-a", "~d",
    "d | (b > 3)", "sqrt(abs(a)) * sin(c) + exp(-a)", "clip(a, -1, 1.5)", "arctan2(a, c)", "maximum(a, b) - minimum(b, n)",
    "a // 3 % 2", "b ** 2", "e * 2 + 1", "where(d, a, s)", "log1p(abs(a)) > 0.5", "floor(a) == ceil(a)",
    "(((((a)))))", "a + a + a + a + a", "b.astype('f4')", "1e308 * 10", "-9223372036854775808 + c", "n // 0",
    "a != a", "s < a <= 2", "not d", "tanh(a) * cosh(s) / sinh(n)",
]


def expressions(out, dict_path):
    for i, e in enumerate(EXPRESSIONS):
        with open(os.path.join(out, f"expr-{i:02d}"), "w") as f:
            f.write(e)
    tokens = FUNCTIONS + ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "~", "<", "<=", ">", ">=", "==", "!=",
                          "(", ")", ",", "[", "]", "...", ":", "a", "b", "c", "d", "e", "s", "n", "1e9", "0.5", "True",
                          "False", "nan", "inf", "and", "or", "not", "if", "else", "'"]
    with open(dict_path, "w") as f:
        for t in tokens:
            f.write('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"\n')


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "seeds")
    dirs = {k: os.path.join(root, k) for k in ("tiff", "npy", "expr", "png", "jpeg")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    with tempfile.TemporaryDirectory() as scratch:
        sources = tiffs(scratch)
        for s in sources:
            shutil.copy(s, dirs["tiff"])
    pillow_tiffs(dirs["tiff"])
    plain = {os.path.basename(s): os.path.join(dirs["tiff"], os.path.basename(s)) for s in sources}
    picks = lambda *names: [plain[n] for n in names if n in plain]  # noqa: E731
    tiffcp_tiffs(dirs["tiff"], picks("tifffile-000.tif", "tifffile-003.tif", "tifffile-011.tif", "tifffile-018.tif",
                                     "tifffile-021.tif", "tifffile-024.tif"))
    gdal_tiffs(dirs["tiff"], picks("tifffile-000.tif", "tifffile-002.tif", "tifffile-011.tif"))
    for f in os.listdir(dirs["tiff"]):  # a writer that failed may leave an empty file
        if os.path.getsize(os.path.join(dirs["tiff"], f)) == 0:
            os.remove(os.path.join(dirs["tiff"], f))
    npys(dirs["npy"])
    pngs_and_jpegs(dirs["png"], dirs["jpeg"])
    expressions(dirs["expr"], os.path.join(root, "expr.dict"))
    for k, d in dirs.items():
        print(f"{k}: {len(os.listdir(d))} seeds")


if __name__ == "__main__":
    main()
