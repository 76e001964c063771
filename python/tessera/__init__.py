"""tessera: fast, memory-bounded array and image pipelines.

Operations on :class:`tessera.Image` build a lazy pipeline; ``compute()`` (or
``numpy.asarray(img)``) runs it tile by tile on all cores, fused, with no
full-size intermediate. numpy arrays are wrapped without a copy.

Element-wise semantics follow numpy (broadcasting, result dtypes by numpy's
value-based promotion), with these documented choices:

* a Python or numpy scalar never widens a float array: ``float32 + 1e300`` is
  float32 (numpy 1.x would give float64);
* functions that numpy computes in float16 for bool and 8-bit integers (sqrt,
  sin, floor, ...) give float32, as tessera has no float16;
* integer division and modulo by zero give 0, as numpy does (without its
  warning); an integer raised to a negative integer power gives 0 (1 and -1
  excepted), where numpy raises;
* ``astype`` and writing into ``out=`` of another dtype convert by tessera's
  rule: floats round to nearest with ties to even, saturate at the target's
  limits, and NaN becomes 0; integers saturate; non-zero becomes True.
  (numpy's ``astype`` truncates and wraps instead.)
"""

import sys as _sys
from inspect import CO_OPTIMIZED as _CO_OPTIMIZED

from . import _core
from ._core import (Image, asarray, default_threads, function_names, release_memory, retained_bytes, retained_limit,
                    set_retained_limit, simd)
from .io import formats, info, metadata_tags, open, save  # noqa: A004
from .chart import StreamChart, height_colormap, render_windows, save_animation, window_frames
from .kernel import Kernel, kernel
from . import reduce as _reduce
from . import registry as _registry
from .registry import operations
from .reduce import REDUCTIONS as _REDUCTIONS, max, mean, min, prod, sum  # noqa: A004
from .generic import generic_gradient_magnitude, generic_laplace

# Every registered operation (filters, speckle filters, steepest_neighbor, ...)
# as tessera.<name>, made from the C++ registry.
globals().update({_n: getattr(_registry, _n) for _n in _registry.__all__})

__all__ = [
    "Image", "asarray", "block", "evaluate", "expression", "map_tiles", "sum", "prod", "min", "max", "mean",
    "generic_gradient_magnitude", "generic_laplace", "kernel", "Kernel", *function_names(),
    "default_threads", "simd", "retained_bytes", "release_memory", "retained_limit", "set_retained_limit",
    *_registry.__all__,
    "open", "info", "save", "formats", "metadata_tags",
    "StreamChart", "window_frames", "render_windows", "save_animation", "height_colormap",
]


def _variables(expression, variables, depth):
    """Adds the names the expression reads and the caller did not pass, from
    the caller's frame (locals, then globals), as numexpr does."""
    names = _core.expression_names(expression)
    missing = [n for n in names if n not in variables]
    if missing:
        frame = _sys._getframe(depth + 1)
        local = frame.f_locals
        try:
            for n in missing:
                if n in local:
                    variables[n] = local[n]
                elif n in frame.f_globals:
                    variables[n] = frame.f_globals[n]
        finally:
            # In a function, f_locals is a snapshot the frame keeps: it would
            # keep every local of the caller alive after a `del` (numexpr had
            # the same leak). The names read are in `variables`; the snapshot
            # is emptied (locals() rebuilds it). At module or class level it
            # is the namespace itself, left alone.
            if frame.f_code.co_flags & _CO_OPTIMIZED:
                local.clear()
            del frame, local
    return variables


def evaluate(expression, out=None, threads=None, mode="reflect", cval=0.0, **variables):
    """Evaluates an expression over arrays, fused, on all cores.

    Names not given as keyword arguments are looked up in the caller's frame
    (``out``, ``threads``, ``mode`` and ``cval`` are this function's own).
    Operators: ``+ - * / // % **``, unary ``-``, comparisons, ``& | ^ ~``,
    ``<< >>`` (numpy's shifts: by the width or more gives 0, or -1 shifting
    a negative value right); functions: ``where(c, a, b)``, ``clip(x, lo,
    hi)``, ``minimum``, ``maximum``, ``arctan2``, ``fmod`` (numpy's; 0 for an
    integer divided by zero), ``abs``, ``sqrt``, ``exp``, ``log``, ``log10``,
    ``log1p``, ``expm1``, trigonometric and hyperbolic functions and their
    inverses (``arcsinh``, ...), ``floor``, ``ceil``, ``copy``,
    ``ones_like``. Returns a new array, or ``out`` (converted by tessera's
    rule).

    Subscripts of a variable, with constant integers:

    * ``a[..., 0]``, ``a[..., 0:3]``: numpy's indexing of the last axes
      (channel picks);
    * ``a[-1, 0]``: a neighbour, ``a``'s element at (y - 1, x) for each
      (y, x); one offset per leading axis given, the remaining axes
      (channels) stay with the element. Outside ``a``, ``mode`` decides, as
      in scipy.ndimage: ``reflect``, ``mirror``, ``nearest``, ``wrap`` or
      ``constant`` (``cval``). ``evaluate("a[0, 1] + a[0, -1] + a[1, 0] +
      a[-1, 0] - 4 * a", mode="nearest")`` is ``scipy.ndimage.laplace(a,
      mode="nearest")``; it runs tile by tile, as any filter.
    """
    reduction = _outer_reduction(expression)
    if reduction is not None:
        name, inner, axis = reduction
        image = _core.expression(inner, _variables(inner, variables, 1), mode, cval)
        result = _reduce.reduce(image, name, axis, threads)
        if not isinstance(result, Image):
            import numpy as _np
            result = _np.asarray(result)[()]
            if out is not None:
                raise ValueError(f"out= is not taken by a reduction over every axis ({name}(...) is one value)")
            return result
        return result.compute(out=out, threads=threads)
    return _core.evaluate(expression, _variables(expression, variables, 1), out, threads, mode, cval)


def _outer_reduction(text):
    """(name, inner expression, axis) when the expression is a reduction
    sum/prod/min/max/mean(expr[, axis]) (as numexpr allows them: the last
    operation); None otherwise. A reduction anywhere else is an error."""
    if not any(r + "(" in text.replace(" ", "") for r in _REDUCTIONS):
        return None
    import ast
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None  # the expression parser gives its own message
    body = tree.body
    outer = isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in _REDUCTIONS
    for node in ast.walk(body):
        if node is not body and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in _REDUCTIONS:
            raise ValueError(f"{node.func.id}() must be the last operation of the expression, as in numexpr: "
                             f"evaluate('{node.func.id}(...)') of the whole expression, or reduce the result")
    if not outer:
        return None
    name = body.func.id
    args = list(body.args)
    kwargs = {k.arg: k.value for k in body.keywords}
    if not args or len(args) > 2 or set(kwargs) - {"axis"} or (len(args) == 2 and "axis" in kwargs):
        raise ValueError(f"{name}(expression, axis=None): takes an expression and an optional axis")
    axis_node = args[1] if len(args) == 2 else kwargs.get("axis")
    try:
        axis = None if axis_node is None else ast.literal_eval(axis_node)
    except ValueError:
        raise ValueError(f"{name}(): axis must be a constant integer, tuple of integers or None") from None
    inner = ast.get_source_segment(text.strip(), args[0])
    return name, inner, axis


def expression(expression, mode="reflect", cval=0.0, **variables):
    """Like :func:`evaluate`, but returns a lazy :class:`Image`."""
    return _core.expression(expression, _variables(expression, variables, 1), mode, cval)


def block(arrays):
    """A lazy image assembled from a nested list of arrays, as
    ``numpy.block`` assembles a regular grid of them (the nesting depth is
    the number of axes), without copying them: a tile inside one array is
    read in place, one that crosses arrays is gathered. The arrays must stay
    unchanged while the image is in use. ValueError names a piece whose shape
    or dtype does not fit its place."""
    pieces, grid = [], []

    def walk(item, depth):
        if isinstance(item, list):
            if not item:
                raise ValueError("block: an empty list in the grid")
            if depth == len(grid):
                grid.append(len(item))
            elif grid[depth] != len(item):
                raise ValueError(f"block: the lists at depth {depth} are not all of length {grid[depth]}")
            for x in item:
                walk(x, depth + 1)
        else:
            pieces.append((item, depth))

    if not isinstance(arrays, list):
        raise TypeError("block: expected a (nested) list of arrays")
    walk(arrays, 0)
    if any(depth != len(grid) for _, depth in pieces):
        raise ValueError(f"block: the arrays are not all {len(grid)} lists deep")
    pieces = [p for p, _ in pieces]
    return _core.block(pieces, tuple(grid))


def map_tiles(func, *arrays, tile=(512, 512), halo=0, mode="reflect", cval=0.0,
              out_dtype=None, threads=None, workers="threads"):
    """Runs ``func`` on tiles of the arrays in parallel threads and assembles
    the result.

    ``func`` receives one read-only tile per input (valid during the call),
    grown by ``halo`` on each tiled axis and padded at the image border by
    ``mode`` (reflect, mirror, nearest, wrap, constant with ``cval``). It
    returns an array whose leading axes are either the haloed tile's (the halo
    is trimmed) or the tile's. Tiles cut the leading ``len(tile)`` axes; edge
    tiles are smaller. The output dtype and trailing axes come from the first
    tile's result unless ``out_dtype`` is given. The GIL is released while the
    engine waits, so functions that spend their time in numpy scale with
    ``threads``. An exception in ``func`` propagates with the tile's position
    added as a note.

    ``workers="processes"`` runs ``func`` in ``threads`` forked worker
    processes instead (default: one per core), for functions that hold the
    GIL (per-pixel Python loops): the inputs are placed once in shared
    memory, each worker pads its own tiles, results are written into a
    shared output; only tile coordinates travel between processes. The
    function needs no pickling (the workers are forked). An exception in a
    tile, or Ctrl-C, stops every worker; no process or shared-memory segment
    is left. The result is a numpy array.
    """
    if workers == "processes":
        from ._processes import map_tiles_processes
        if threads is not None and threads < 1:
            raise ValueError(f"threads must be a positive integer or None, got {threads}")
        return map_tiles_processes(func, arrays, tile, halo, mode, cval, out_dtype, threads or default_threads())
    if workers != "threads":
        raise ValueError(f"map_tiles: workers must be 'threads' or 'processes', got {workers!r}")
    return _core.map_tiles(func, *arrays, tile=tuple(tile) if not isinstance(tile, int) else tile,
                           halo=halo, mode=mode, cval=cval, out_dtype=out_dtype, threads=threads)


def _function(name, doc):
    def f(*args):
        return _core.apply(name, *args)
    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = doc + " Returns a lazy Image."
    return f


# The element-wise functions are the expression language's own (one list, in
# C++: tessera.function_names()); a few have more to say than "as numpy's".
_FUNCTION_DOCS = {
    "where": "where(condition, a, b): a where condition is true, else b.",
    "clip": "clip(x, lo, hi): x limited to [lo, hi] (NaN stays NaN).",
    "minimum": "minimum(a, b), element-wise; NaN propagates.",
    "maximum": "maximum(a, b), element-wise; NaN propagates.",
    "arctan2": "arctan2(y, x), element-wise.",
    "hypot": "hypot(x, y) = sqrt(x**2 + y**2), element-wise, as numpy.hypot (float32: its bits).",
}
for _name in function_names():
    globals()[_name] = _function(_name, _FUNCTION_DOCS.get(_name, f"{_name}(x), element-wise, as numpy.{_name}."))
del _name
