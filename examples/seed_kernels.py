"""The seed problems' rules as users write them in Python, compiled by
@tessera.kernel (README, "Write your own kernel"). make demo, make bench and
the tests use these; `tessera kernel examples/seed_kernels.py:laplace -i a=in.tif
-o out.tif --mode nearest` runs one on files."""
from math import inf, sqrt

import numpy as np

import tessera


@tessera.kernel
def steepest(v):
    """The 004 seed's rule: the label (0-26) of the steepest descent among the
    26 neighbours, 13 (the voxel itself) where every neighbour is higher."""
    best, label = -inf, 13
    for dz in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if (dz, dy, dx) != (0, 0, 0):
                    s = (v[0, 0, 0] - v[dz, dy, dx]) / sqrt(dz * dz + dy * dy + dx * dx)
                    if s > best:
                        best, label = s, (dz + 1) * 9 + (dy + 1) * 3 + (dx + 1)
    return label if best >= 0 else 13


@tessera.kernel
def laplace(a):
    """The 5-point Laplacian (scipy.ndimage.laplace)."""
    return a[0, 1] + a[0, -1] + a[1, 0] + a[-1, 0] - 4 * a


@tessera.kernel
def sobel_magnitude(a):
    """The 3x3 Sobel gradient's magnitude."""
    gx = (a[-1, 1] + 2 * a[0, 1] + a[1, 1]) - (a[-1, -1] + 2 * a[0, -1] + a[1, -1])
    gy = (a[1, -1] + 2 * a[1, 0] + a[1, 1]) - (a[-1, -1] + 2 * a[-1, 0] + a[-1, 1])
    return np.sqrt(gx * gx + gy * gy)


@tessera.kernel
def white_to_transparent(rgba):
    """The 001 seed's rule: pixels whose R, G and B are all above 240 become 0."""
    white = rgba[..., 0:1] > 240 and rgba[..., 1:2] > 240 and rgba[..., 2:3] > 240
    return np.where(white, 0, rgba)


@tessera.kernel
def lee(a, *, looks=4.0):
    """Lee's speckle filter over a 3x3 window (looks: the number of looks)."""
    s = s2 = 0.0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            s += a[dy, dx]
            s2 += a[dy, dx] * a[dy, dx]
    mean = s / 9
    var = s2 / 9 - mean * mean
    w = max(0.0, 1 - (1 / looks) / (var / (mean * mean)))
    return mean + w * (a - mean)


def white_to_transparent_loop(tile):
    """The 001 seed's rule as the seed wrote it: a per-pixel Python loop, for
    map_tiles(..., workers="processes") (it holds the GIL)."""
    out = tile.copy()
    for y in range(tile.shape[0]):
        for x in range(tile.shape[1]):
            if tile[y, x, 0] > 240 and tile[y, x, 1] > 240 and tile[y, x, 2] > 240:
                out[y, x] = 0
    return out
