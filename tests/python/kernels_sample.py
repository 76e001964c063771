"""Kernels used by test_kernel.py (and, by path, the CLI's `tessera kernel`):
a module of its own, since a kernel is compiled from its source file."""
from math import inf, sqrt

import numpy as np

import tessera


@tessera.kernel
def steepest(v):
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
    return a[0, 1] + a[0, -1] + a[1, 0] + a[-1, 0] - 4 * a


@tessera.kernel
def sobel_magnitude(a):
    gx = (a[-1, 1] + 2 * a[0, 1] + a[1, 1]) - (a[-1, -1] + 2 * a[0, -1] + a[1, -1])
    gy = (a[1, -1] + 2 * a[1, 0] + a[1, 1]) - (a[-1, -1] + 2 * a[-1, 0] + a[-1, 1])
    return np.sqrt(gx * gx + gy * gy)


@tessera.kernel
def box_mean(a, *, radius=1):
    total = 0.0
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            total += a[dy, dx]
    return total / (2 * radius + 1) ** 2


@tessera.kernel
def white_to_transparent(rgba):
    white = rgba[..., 0:1] > 240 and rgba[..., 1:2] > 240 and rgba[..., 2:3] > 240
    return np.where(white, 0, rgba)


@tessera.kernel
def lee(a, *, looks=4.0):
    n = 0
    s = 0.0
    s2 = 0.0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            s += a[dy, dx]
            s2 += a[dy, dx] * a[dy, dx]
            n += 1
    mean = s / n
    var = s2 / n - mean * mean
    noise = 1 / sqrt(looks)
    ci2 = var / (mean * mean)
    w = max(0.0, 1 - noise * noise / ci2)
    return mean + w * (a - mean)


def pointwise(x, y):
    """Plain Python per-pixel rules, run as kernels and by np.vectorize."""
    if x > 0.5:
        r = x * 2
    elif x < -0.5 and not y > 0:
        r = -x
    else:
        r = y - x
    for k in range(4):
        if r > 3:
            break
        if k == 1:
            continue
        r = r + abs(y) * 0.25
    if y > 1.5:
        return r, min(x, y)
    t = 1.0 if x > y > -1 else 2.0
    return r * t, max(x, y, 0.25) + round(x * 3)


pointwise_kernel = tessera.kernel(pointwise)


e = 0.5  # a module global named like a kernel constant: Python's rule, the global wins


@tessera.kernel
def first_below(a):
    i = -1
    for i in range(5):
        if a > i:
            break
    return i * e


@tessera.kernel
def guarded(a, *, n=0):
    if n > 0 and a > np.log(n):  # log(0) is never computed: `and` stops as Python's does
        return a
    return -a


@tessera.kernel
def nan_aware(a, b):
    return np.fmin(a, b), np.fmax(a, b), np.hypot(a, b)


@tessera.kernel
def uses_attribute(a):
    return a.shape
