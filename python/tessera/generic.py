"""scipy.ndimage's generic_gradient_magnitude and generic_laplace: a
derivative function applied along every axis, combined lazily (tile by tile,
no full-size temporary when the derivative is a tessera operation)."""

import numpy as np

from . import _core


def _lazy(x):
    return x if isinstance(x, _core.Image) else _core.asarray(np.asarray(x))


def _combine(name, input, derivative, output, mode, cval, extra_arguments, extra_keywords, square):
    if not callable(derivative):
        raise TypeError(f"{name}: derivative must be a callable, as scipy.ndimage takes it")
    lazy_in = isinstance(input, _core.Image)
    image = _lazy(input)
    if image.ndim == 0:
        raise ValueError(f"{name}: the input must have at least one axis")
    out_dtype = output.dtype if isinstance(output, np.ndarray) else output
    if out_dtype is None:
        out_dtype = np.float64 if image.dtype == np.float64 else np.float32
    # One mode, or one per axis: each axis's derivative gets its own, as scipy does.
    if isinstance(mode, str):
        modes = [mode] * image.ndim
    else:
        modes = list(mode)
        if len(modes) != image.ndim:
            raise ValueError(f"{name}: {len(modes)} boundary modes for mode, but the input has {image.ndim} axes; "
                             f"give one, or one per axis")
    total = None
    for axis in range(image.ndim):
        # scipy's call: derivative(input, axis, output, mode, cval, *extra, **extra_keywords).
        d = _lazy(derivative(image, axis, out_dtype, modes[axis], cval, *extra_arguments, **(extra_keywords or {})))
        term = d * d if square else d
        total = term if total is None else total + term
    result = _core.apply("sqrt", total) if square else total
    result = result.astype(out_dtype)
    if isinstance(output, np.ndarray):
        return result.compute(out=output)
    return result if lazy_in else result.compute()


def generic_gradient_magnitude(input, derivative, output=None, mode="reflect", cval=0.0, extra_arguments=(),
                               extra_keywords=None):
    """sqrt(sum over the axes of derivative(input, axis, ...)**2), as
    scipy.ndimage.generic_gradient_magnitude: ``derivative`` is called as
    scipy calls it, ``derivative(input, axis, output_dtype, mode, cval,
    *extra_arguments, **extra_keywords)``, with a lazy image; tessera's
    ``sobel`` or ``prewitt`` (or any function of lazy images) keeps the whole
    pipeline tile by tile. Integer input gives float32 unless ``output`` says."""
    return _combine("generic_gradient_magnitude", input, derivative, output, mode, cval, extra_arguments,
                    extra_keywords, True)


def generic_laplace(input, derivative2, output=None, mode="reflect", cval=0.0, extra_arguments=(),
                    extra_keywords=None):
    """The sum over the axes of derivative2(input, axis, ...), as
    scipy.ndimage.generic_laplace (see generic_gradient_magnitude)."""
    return _combine("generic_laplace", input, derivative2, output, mode, cval, extra_arguments, extra_keywords,
                    False)
