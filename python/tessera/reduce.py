"""Reductions: sum, prod, min, max, mean over axes or the whole image.

Over lazy images and files they stream (memory: the output plus a few
tiles), deterministic for any thread count; sums of float32 and integers
accumulate in float64 or 64-bit integers (see tessera/reduce.hpp).
"""

import builtins as _builtins
import numbers as _numbers

from . import _core

REDUCTIONS = ("sum", "prod", "min", "max", "mean")


def _axes(axis):
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in items:
        if isinstance(a, _builtins.bool) or not isinstance(a, _numbers.Integral):
            raise TypeError(f"axis must be None, an integer or a tuple of integers, not {axis!r}")
        out.append(int(a))
    return out


def reduce(x, reduction, axis=None, threads=None):
    """``reduction`` ("sum", "prod", "min", "max", "mean") of ``x`` over
    ``axis`` (None: every axis; an int or a tuple). Over every axis: a numpy
    scalar. Otherwise: a lazy Image for a lazy image (streamed by ``save``),
    a numpy array for an array."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r} (sum, prod, min, max, mean)")
    return _core.reduce(x, reduction, _axes(axis), threads)


def _make(name, doc):
    def f(x, axis=None, threads=None):
        return reduce(x, name, axis, threads)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc + "\n\n" + reduce.__doc__.split("\n", 2)[2]
    return f


sum = _make("sum", "sum(x, axis=None): the sum, accumulated in float64 (floats) or 64-bit integers (wrapping as "
                   "numpy's); numpy's result dtype.")  # noqa: A001
prod = _make("prod", "prod(x, axis=None): the product, accumulated as sum is.")
min = _make("min", "min(x, axis=None): the minimum (NaN propagates; ValueError for an empty input).")  # noqa: A001
max = _make("max", "max(x, axis=None): the maximum (NaN propagates; ValueError for an empty input).")  # noqa: A001
mean = _make("mean", "mean(x, axis=None): the mean, from a float64 (or exact integer) sum; float64 for integers.")


def _method(name):
    def m(self, axis=None, threads=None):
        return reduce(self, name, axis, threads)
    m.__name__ = m.__qualname__ = name
    m.__doc__ = globals()[name].__doc__
    return m


for _name in REDUCTIONS:
    setattr(_core.Image, _name, _method(_name))
del _name
