"""Kernels used by test_kernel.py beside examples/seed_kernels.py (the seed rules,
re-exported here): a module of its own, since a kernel is compiled from its
source file."""
import sys
from pathlib import Path

import numpy as np

import tessera

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from seed_kernels import laplace, lee, sobel_magnitude, steepest, white_to_transparent  # noqa: E402,F401


@tessera.kernel
def box_mean(a, *, radius=1):
    total = 0.0
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            total += a[dy, dx]
    return total / (2 * radius + 1) ** 2


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


def control_flow(x, y):
    """Returns inside loops, continue and break under pixel conditions, nested
    ifs, augmented assignment, chains and conditional expressions."""
    acc = 0.0
    for k in range(6):
        if x * k > 4:
            return acc - k, k
        if (y > 0) != (k % 2 == 0):
            continue
        acc += y if -1 < x < 1 else x
        if acc > 2.5:
            break
        elif not acc > -1.5:
            acc -= 0.5
    if acc < 0:
        if y < 0:
            return acc * 2, -1
        return acc, -2
    return (acc, 3) if x > y else (-acc, 4)


control_flow_kernel = tessera.kernel(control_flow)
