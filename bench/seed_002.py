"""The 002 seed's best answer (numexpr with scipy's uniform_filter), with the
literature's Cmax = sqrt(1 + 2/L) in place of the seed's typo sqrt(1 + 2L)."""
import numexpr as ne
import numpy
import scipy.ndimage


def moving_average(Ic, filtsize):
    Im = numpy.empty(Ic.shape, dtype="float32")
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    return Im


def moving_stddev(Ic, filtsize):
    Im = numpy.empty(Ic.shape, dtype="float32")
    scipy.ndimage.uniform_filter(Ic, filtsize, output=Im)
    Im = ne.evaluate("((Ic-Im) ** 2)")
    scipy.ndimage.uniform_filter(Im, filtsize, output=Im)
    return ne.evaluate("sqrt(Im)")


def enh_lee(Ic, filtsize, nlooks, dfactor):
    Ci = moving_stddev(Ic, filtsize)
    Im = moving_average(Ic, filtsize)
    Ci /= Im
    Cu = numpy.sqrt(1 / nlooks).astype(numpy.float32)
    Cmax = numpy.sqrt(1 + (2 / nlooks)).astype(numpy.float32)
    W = ne.evaluate("exp(-dfactor * (Ci - Cu) / (Cmax - Ci))")
    If = ne.evaluate("Im * W + Ic * (1 - W)")
    del W
    out = ne.evaluate("where(Ci <= Cu, Im, If)")
    del Im
    del If
    out = ne.evaluate("where(Ci >= Cmax, Ic, out)")
    return out
