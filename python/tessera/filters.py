"""Neighbourhood and speckle filters.

Each accepts a numpy array or a lazy :class:`tessera.Image`. Given an array,
it computes and returns an array (as scipy.ndimage does); given an image, it
returns a lazy image that chains with expressions and other filters, computed
tile by tile with no whole-image temporary.
"""
import numpy as np

from . import _core

__all__ = ["uniform_filter", "local_mean_std", "lee_filter", "kuan_filter", "enhanced_lee_filter",
           "frost_filter", "gamma_map_filter", "steepest_neighbor", "maximum_filter", "minimum_filter",
           "median_filter"]


def _finish(result, input, output=None, threads=None):
    """Computes the lazy result unless the input was lazy (and no array given)."""
    if isinstance(output, np.ndarray):
        return result.compute(out=output, threads=threads)
    if isinstance(input, _core.Image):
        return result
    return result.compute(threads=threads)


def _out_dtype(output):
    if output is None:
        return None
    if isinstance(output, np.ndarray):
        return output.dtype
    return np.dtype(output)


def uniform_filter(input, size, mode="reflect", cval=0.0, output=None, threads=None):
    """The mean over a window of ``size`` (an int, or one per axis; 1 leaves an
    axis alone, so ``(7, 7, 1)`` filters an RGB image band by band), as
    scipy.ndimage.uniform_filter, computed in float64 with a cost per element
    that does not grow with the window. Float input keeps its precision
    (float32 or float64); integer input gives float32 unless ``output`` (a
    dtype or an array) says otherwise. Modes: reflect, mirror, nearest, wrap,
    constant (with ``cval``)."""
    r = _core.uniform_filter(input, size, mode, float(cval), _out_dtype(output))
    return _finish(r, input, output, threads)


def local_mean_std(input, size, mode="reflect", cval=0.0, output=None, threads=None):
    """The window mean and population standard deviation sqrt(E[x^2] - E[x]^2)
    (never negative), from float64 window sums. Returns (mean, std)."""
    mean, std = _core.local_mean_std(input, size, mode, float(cval), _out_dtype(output))
    if isinstance(input, _core.Image):
        return mean, std
    return mean.compute(threads=threads), std.compute(threads=threads)


def _speckle(name, input, size, looks, damping, mode, cval, threads):
    r = getattr(_core, name)(input, int(size), float(looks), float(damping), mode, float(cval))
    return _finish(r, input, None, threads)


def lee_filter(input, size=7, looks=1, mode="reflect", cval=0.0, threads=None):
    """Lee filter: W = 1 - Cu^2/Ci^2 clamped to [0, 1], R = Ic W + Im (1 - W),
    with Im, S the window mean and std, Ci = S/Im, Cu = sqrt(1/looks).
    Where Im is 0 (a dark, flat window) the result is Im. float32 result."""
    return _speckle("lee_filter", input, size, looks, 1.0, mode, cval, threads)


def kuan_filter(input, size=7, looks=1, mode="reflect", cval=0.0, threads=None):
    """Kuan filter: W = (1 - Cu^2/Ci^2) / (1 + Cu^2) clamped to [0, 1],
    R = Ic W + Im (1 - W). Where Im is 0 the result is Im. float32 result."""
    return _speckle("kuan_filter", input, size, looks, 1.0, mode, cval, threads)


def enhanced_lee_filter(input, size=7, looks=1, damping=1.0, mode="reflect", cval=0.0, threads=None):
    """Enhanced Lee filter (Lopes, Touzi and Nezry 1990) with
    Cmax = sqrt(1 + 2/looks): R = Im where Ci <= Cu; Ic where Ci >= Cmax;
    otherwise Im W + Ic (1 - W), W = exp(-damping (Ci - Cu) / (Cmax - Ci)).
    (The 002 seed's sqrt(1 + 2*nlooks) is a typo for 2/looks.) Where Im is 0
    the result is Im. float32 result."""
    return _speckle("enhanced_lee_filter", input, size, looks, damping, mode, cval, threads)


def frost_filter(input, size=7, damping=2.0, mode="reflect", cval=0.0, threads=None):
    """Frost filter: R = sum(P_i M_i) / sum(M_i) over the window,
    M_i = exp(-damping Ci^2 T_i), T_i the distance from the centre. A flat or
    zero-mean window averages evenly; where Im is 0 the result is Im."""
    return _speckle("frost_filter", input, size, 1.0, damping, mode, cval, threads)


def gamma_map_filter(input, size=7, looks=1, mode="reflect", cval=0.0, threads=None):
    """Gamma MAP filter: R = Im where Ci <= Cu; Ic where Ci >= sqrt(2) Cu;
    otherwise (B Im + sqrt(D)) / (2A) with A = (1 + Cu^2)/(Ci^2 - Cu^2),
    B = A - looks - 1, D = Im^2 B^2 + 4 A looks Im Ic. Where Im is 0 the
    result is Im. float32 result."""
    return _speckle("gamma_map_filter", input, size, looks, 1.0, mode, cval, threads)


def steepest_neighbor(array, edges="ignore", threads=None):
    """The 004 seed's rule on a 2-D or 3-D array: for each element c, the label
    of the first neighbour (C order over the 3x3 or 3x3x3 window: labels 0..8
    with centre 4, or 0..26 with centre 13) maximising (c - n) / distance, or
    the centre when every neighbour is strictly greater than c. (The seed's own
    code compares the centre with itself, so its local-minimum branch never
    fires; this is the rule it meant.) NaN elements get the centre; NaN
    neighbours are never candidates. ``edges="ignore"``: neighbours outside the
    array are not candidates; ``edges="zero"``: border elements get 0, as the
    seed leaves them. Returns uint8."""
    r = _core.steepest_neighbor(array, edges)
    return _finish(r, array, None, threads)


def maximum_filter(input, size, mode="reflect", cval=0.0, output=None, threads=None):
    """The maximum over a window of ``size`` (an int, or one per axis), as
    scipy.ndimage.maximum_filter, in the input's dtype; a cost per element
    that does not grow with the window (van Herk/Gil-Werman). A NaN in the
    window gives NaN."""
    r = _core.maximum_filter(input, size, mode, float(cval))
    return _finish(r, input, output, threads)


def minimum_filter(input, size, mode="reflect", cval=0.0, output=None, threads=None):
    """The minimum over a window, as scipy.ndimage.minimum_filter; see
    maximum_filter."""
    r = _core.minimum_filter(input, size, mode, float(cval))
    return _finish(r, input, output, threads)


def median_filter(input, size, mode="reflect", cval=0.0, output=None, threads=None):
    """The median over a window of at most 7 per axis, as
    scipy.ndimage.median_filter (the upper middle value for an even count), in
    the input's dtype; NaN sorts above every number."""
    r = _core.median_filter(input, size, mode, float(cval))
    return _finish(r, input, output, threads)
