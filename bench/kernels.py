"""User kernels (@tessera.kernel) beside numba, the built-in operations and
scipy, in one process. numba is written as a competent user would:
@njit(parallel=True) with prange, or @stencil under njit(parallel=True); its
compile time is excluded (each is called once before timing).

    .venv/bin/python bench/kernels.py --bench full|quick   # the table's rows as JSON (bench/run.py calls it)
    .venv/bin/python bench/kernels.py --rss SIZE           # peak RSS of a kernel, in a fresh process
"""
import json
import math
import os
import sys

import numpy as np

import tessera


# ---- the kernels, as a user writes them (examples/seed_kernels.py) ----
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
from seed_kernels import (laplace, sobel_magnitude, steepest, white_to_transparent,  # noqa: E402
                          white_to_transparent_loop)


# ---- the same in numba ----

def numba_versions():
    from numba import njit, prange, stencil

    @njit(parallel=True)
    def steepest_nb(v):
        nz, ny, nx = v.shape
        out = np.empty(v.shape, np.uint8)
        for z in prange(nz):
            for y in range(ny):
                for x in range(nx):
                    c = v[z, y, x]
                    best = -np.inf
                    label = 13
                    for dz in range(-1, 2):
                        zz = min(max(z + dz, 0), nz - 1)
                        for dy in range(-1, 2):
                            yy = min(max(y + dy, 0), ny - 1)
                            for dx in range(-1, 2):
                                if dz == 0 and dy == 0 and dx == 0:
                                    continue
                                xx = min(max(x + dx, 0), nx - 1)
                                s = (c - v[zz, yy, xx]) / np.float32(math.sqrt(dz * dz + dy * dy + dx * dx))
                                if s > best:
                                    best = s
                                    label = (dz + 1) * 9 + (dy + 1) * 3 + (dx + 1)
                    out[z, y, x] = label if best >= 0 else 13
        return out

    @stencil
    def lap_st(a):
        return a[0, 1] + a[0, -1] + a[1, 0] + a[-1, 0] - 4 * a[0, 0]

    @stencil
    def sobel_st(a):
        gx = (a[-1, 1] + 2 * a[0, 1] + a[1, 1]) - (a[-1, -1] + 2 * a[0, -1] + a[1, -1])
        gy = (a[1, -1] + 2 * a[1, 0] + a[1, 1]) - (a[-1, -1] + 2 * a[-1, 0] + a[-1, 1])
        return np.sqrt(gx * gx + gy * gy)

    @njit(parallel=True)
    def lap_nb(a):
        return lap_st(a)

    @njit(parallel=True)
    def sobel_nb(a):
        return sobel_st(a)

    return steepest_nb, lap_nb, sobel_nb


def bench(best_time, q):
    """Rows of the kernels' table: (case, tessera s, peer, peer s, ratio, target, met, same result)."""
    import scipy.ndimage as ndi
    steepest_nb, lap_nb, sobel_nb = numba_versions()
    rng = np.random.default_rng(0)
    rows = []

    n = 96 if q else 256
    v = rng.random((n, n, n), dtype=np.float32)
    ours = steepest(v, mode="nearest", dtype="uint8")
    theirs = steepest_nb(v)  # compiled here, not timed
    builtin = np.asarray(tessera.steepest_neighbor(v))
    inner = (slice(1, -1),) * 3
    # The kernel divides in float32, as numpy and numba do with float32 data;
    # the built-in compares slopes in float64, so exact float32 ties can
    # break the other way: counted, not hidden.
    ties = int((ours[inner] != builtin[inner]).sum())
    same_nb = "yes" if np.array_equal(ours, theirs) else "NO"
    same_builtin = "yes" if ties == 0 else f"inside, all but {ties} (float32 ties)"
    t_k = best_time(lambda: steepest(v, mode="nearest", dtype="uint8"), repeat=5)
    t_nb = best_time(lambda: steepest_nb(v), repeat=3)
    t_b = best_time(lambda: np.asarray(tessera.steepest_neighbor(v)), repeat=5)
    rows.append((f"004 rule kernel {n}^3 float32", t_k, "numba njit(parallel) prange", t_nb, t_nb / t_k, ">=5",
                 t_nb / t_k >= 5, same_nb))
    rows.append(("", None, "built-in steepest_neighbor", t_b, t_k / t_b, "<=3 (kernel/built-in)", t_k / t_b <= 3,
                 same_builtin))

    n = 2000 if q else 10000
    a = rng.random((n, n), dtype=np.float32)
    lap_nb(a[:64, :64])
    sobel_nb(a[:64, :64])
    inner2 = (slice(1, -1),) * 2
    lap_equal = np.allclose(laplace(a)[inner2], lap_nb(a)[inner2], rtol=1e-5, atol=1e-5)
    t_k = best_time(lambda: laplace(a), repeat=5)
    t_nb = best_time(lambda: lap_nb(a), repeat=3)
    t_sp = best_time(lambda: ndi.laplace(a), repeat=1)
    rows.append((f"5-point Laplacian kernel {n}^2 float32", t_k, "numba @stencil, parallel", t_nb, t_nb / t_k, ">=2",
                 t_nb / t_k >= 2, "yes" if lap_equal else "NO"))
    rows.append(("", None, "scipy.ndimage.laplace", t_sp, t_sp / t_k, ">=10", t_sp / t_k >= 10,
                 "yes" if lap_equal else "NO"))
    sob_equal = np.allclose(sobel_magnitude(a)[inner2], sobel_nb(a)[inner2], rtol=1e-5, atol=1e-5)
    t_k = best_time(lambda: sobel_magnitude(a), repeat=5)
    t_nb = best_time(lambda: sobel_nb(a), repeat=3)
    t_sp = best_time(lambda: np.hypot(ndi.sobel(a, 0), ndi.sobel(a, 1)), repeat=1)
    rows.append((f"3x3 Sobel magnitude kernel {n}^2 float32", t_k, "numba @stencil, parallel", t_nb, t_nb / t_k,
                 ">=2", t_nb / t_k >= 2, "yes" if sob_equal else "NO"))
    rows.append(("", None, "scipy sobel twice + hypot", t_sp, t_sp / t_k, ">=10", t_sp / t_k >= 10,
                 "yes" if sob_equal else "NO"))

    n = 1024 if q else 4096
    img = rng.integers(0, 256, (n, n, 4), dtype=np.uint8)
    img[rng.random((n, n)) < 0.3, :3] = 250
    rule = "where((a[..., 0:1] > 240) & (a[..., 1:2] > 240) & (a[..., 2:3] > 240), 0, a)"
    equal = np.array_equal(white_to_transparent(img), tessera.evaluate(rule, a=img))
    t_k = best_time(lambda: white_to_transparent(img), repeat=15)
    t_e = best_time(lambda: tessera.evaluate(rule, a=img), repeat=15)
    rows.append((f"001 rule kernel {n}x{n}x4 uint8", t_k, "tessera.evaluate, same rule", t_e, t_k / t_e,
                 "<=1.5 (kernel/evaluate)", t_k / t_e <= 1.5, "yes" if equal else "NO"))
    return rows


def processes_speedup(best_time, q):
    """map_tiles(workers="processes") of the 001 seed's per-pixel loop on 1 and 2 processes."""
    n = 256 if q else 1024
    img = np.random.default_rng(1).integers(0, 256, (n, n, 4), dtype=np.uint8)
    img[::3, ::2, :3] = 250
    run = {k: (lambda k=k: tessera.map_tiles(white_to_transparent_loop, img, tile=(128, 128), workers="processes", threads=k))
           for k in (1, 2)}
    t1 = best_time(run[1], repeat=3)
    t2 = best_time(run[2], repeat=3)
    ref = np.where((img[..., 0:1] > 240) & (img[..., 1:2] > 240) & (img[..., 2:3] > 240), 0, img)
    return n, t1, t2, bool(np.array_equal(run[2](), ref))


def rss_case(n):
    """Peak RSS beyond the input and the output of the Sobel kernel on n x n float32."""
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from run import rss_now, rss_peak
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    base = rss_now()
    out = sobel_magnitude(a)
    print(json.dumps({"extra": rss_peak() - base - out.nbytes, "input": a.nbytes, "output": out.nbytes}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        rss_case(int(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--bench":
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        from run import best_time
        print(json.dumps(bench(best_time, sys.argv[2] == "quick")))
    elif len(sys.argv) == 3 and sys.argv[1] == "--processes":
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        from run import best_time
        print(json.dumps(processes_speedup(best_time, sys.argv[2] == "quick")))
