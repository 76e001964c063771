"""@tessera.kernel: per-pixel and stencil functions written in Python,
compiled to one engine expression.

The function is never run per pixel. Its source is read once per call and
interpreted symbolically: every input is a lazy image, so arithmetic,
comparisons and functions build the expression graph the engine compiles
(shared sub-expressions stay shared); ``v[dz, dy, dx]`` is a neighbour read
(an engine node with a halo, padded by ``mode``); loops over constant ranges
and tuples are unrolled; and control flow that depends on pixel values
becomes selection: an assignment made under a condition is
``where(condition, new, old)``, a ``return``, ``break`` or ``continue`` under
one masks what follows. Values that do not depend on pixels (loop counters,
offsets, keyword-only parameters, ``math`` on constants) are plain Python,
computed once.

What a kernel may use: numbers, ``inf``/``nan``/``pi``, arithmetic, comparisons
(chained too), ``and``/``or``/``not``, ``if``/``elif``/``else`` and conditional
expressions, locals and tuple assignment (``+=`` too), ``for`` over ``range``
with constant bounds or over constant tuples, ``break``/``continue``,
``return`` of one value or a tuple; ``abs``, ``min``, ``max``, ``round`` and
the functions of the expression language under their ``math``/``numpy``
names (``math.sqrt``, ``np.exp``, ``numpy.arctan2``, ...). On pixel values,
``and``/``or``/``not`` give booleans (numpy's logical_and/or/not), and ``min``
and ``max`` propagate NaN as numpy's minimum and maximum do. Anything else is
a ``SyntaxError`` naming the line.
"""
import ast
import builtins
import inspect
import math
import textwrap

import numpy as np

from . import _core
from ._core import Image

__all__ = ["kernel", "Kernel"]

_FUNCTIONS = set(_core.function_names())
# Names under which Python and numpy users spell the language's functions.
_ALIASES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2", "fabs": "abs",
            "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh",
            "absolute": "abs"}
_CONSTANTS = {"inf": math.inf, "nan": math.nan, "pi": math.pi, "e": math.e, "True": True, "False": False}
_MODULES = {"math": math, "np": np, "numpy": np}


class Kernel:
    """A compiled kernel: call it with its inputs (numpy arrays give numpy
    results; lazy images, from ``tessera.open`` or other operations, give
    lazy results that fuse and stream), plus ``mode``/``cval`` for neighbour
    reads outside the image (scipy.ndimage's modes), ``dtype`` for the
    result, ``threads``, and the keyword-only constants."""

    def __init__(self, func, dtype=None):
        self.__wrapped__ = func
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__doc__ = func.__doc__
        self._dtype = dtype
        try:
            source = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError) as e:
            raise TypeError(f"kernel: the source of {func.__name__} cannot be read ({e})") from None
        tree = ast.parse(source)
        self._def = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        self._line_offset = func.__code__.co_firstlineno - 1  # the source starts at the first decorator
        self._file = func.__code__.co_filename
        if isinstance(self._def, ast.AsyncFunctionDef):
            raise self._error(self._def, "an async function cannot be a kernel")
        args = self._def.args
        if args.vararg or args.kwarg or args.posonlyargs or args.defaults:
            raise self._error(self._def, "a kernel's inputs are plain positional parameters; constants are "
                                         "keyword-only with defaults (def f(a, b, *, k=1.0))")
        self._inputs = [a.arg for a in args.args]
        if not self._inputs:
            raise self._error(self._def, "a kernel needs at least one input")
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            if d is None:
                raise self._error(a, f"the constant '{a.arg}' needs a default (keyword-only constants)")
        self._constants = dict(func.__kwdefaults__ or {})  # as Python evaluated them
        self._func = func

    def _error(self, node, message):
        line = getattr(node, "lineno", self._def.lineno) + getattr(self, "_line_offset", 0)
        err = SyntaxError(f"kernel {self.__name__}, line {line}: {message}")
        err.filename, err.lineno = getattr(self, "_file", None), line
        return err

    def __call__(self, *inputs, mode="reflect", cval=0.0, dtype=None, threads=None, **constants):
        if len(inputs) != len(self._inputs):
            raise TypeError(f"{self.__name__}() takes {len(self._inputs)} input(s) "
                            f"({', '.join(self._inputs)}), got {len(inputs)}")
        unknown = set(constants) - set(self._constants)
        if unknown:
            raise TypeError(f"{self.__name__}() got unknown constant(s) {', '.join(sorted(unknown))}; "
                            f"its constants: {', '.join(self._constants) or 'none'}")
        _core.boundary_indices(0, 1, 1, mode)  # a bad mode fails here, naming the modes
        lazy = any(isinstance(x, Image) for x in inputs)
        images = [x if isinstance(x, Image) else _core.asarray(x) for x in inputs]
        values = dict(self._constants, **constants)
        # Names as Python resolves them, now (not when decorated): the
        # function's closure, then its module's globals.
        self._globals = dict(self._func.__globals__)
        if self._func.__closure__:
            self._globals.update(inspect.getclosurevars(self._func).nonlocals)
        result = _Interpreter(self, images, values, mode, float(cval)).run()
        dtype = dtype if dtype is not None else self._dtype
        results = tuple(self._as_image(r, dtype) for r in (result if isinstance(result, tuple) else (result,)))
        if not lazy:
            results = tuple(r.compute(threads=threads) for r in results)
        return results if isinstance(result, tuple) else results[0]

    def _as_image(self, value, dtype):
        if not isinstance(value, Image):
            raise ValueError(f"kernel {self.__name__}: a result ({value!r}) does not depend on the inputs")
        return value.astype(np.dtype(dtype).name) if dtype is not None else value


def kernel(func=None, *, dtype=None):
    """Compiles a restricted Python function to a tessera kernel (see the
    module's documentation for what it may use)::

        @tessera.kernel
        def laplace(a):
            return a[0, 1] + a[0, -1] + a[1, 0] + a[-1, 0] - 4 * a

        laplace(array, mode="nearest")                # numpy in: numpy out
        laplace(tessera.open("in.tif")).save("out.tif")  # lazy in: lazy out, streamed

    ``dtype=`` (here or per call) converts the result by tessera's rule.
    """
    if func is None:
        return lambda f: Kernel(f, dtype)
    return Kernel(func, dtype)


class _Flow(Exception):
    """Internal: a statement the interpreter cannot continue past."""


def _is_module(x):
    return any(x is m for m in _MODULES.values())  # by identity: == on an image is a comparison


def _is_image(x):
    return isinstance(x, Image)


def _truth(x):
    """A condition as a constant bool, or a bool image."""
    if _is_image(x):
        return x if x.dtype == np.bool_ else (x != 0)
    return bool(x)


def _and(a, b):
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True:
        return a
    return a & b


def _or(a, b):
    if a is True or b is True:
        return True
    if a is False:
        return b
    if b is False:
        return a
    return a | b


def _not(c):
    return (~c) if _is_image(c) else (not c)


def _select(c, a, b):
    """a where c, else b (c a constant bool or a bool image)."""
    if c is True:
        return a
    if c is False:
        return b
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)):
            raise ValueError("a value is a tuple on one path and not (or not as long) on another")
        return tuple(_select(c, x, y) for x, y in zip(a, b))
    return _core.apply("where", c, a, b)


def _round(x):
    """Python's and numpy's round: halves to even."""
    if not _is_image(x):
        return round(x)
    if x.dtype.kind in "biu":
        return x
    r = _core.apply("floor", x)
    d = x - r
    odd = (r % 2) != 0
    return _core.apply("where", d > 0.5, r + 1, _core.apply("where", d < 0.5, r, _core.apply("where", odd, r + 1, r)))


def _always_returns(statements):
    """Whether a block returns on every path (its last statement a return,
    or an if whose branches both always return)."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, ast.Return):
        return True
    if isinstance(last, ast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


class _Loop:
    def __init__(self):
        self.broken = False
        self.skipped = False


class _Interpreter:
    def __init__(self, kernel, images, constants, mode, cval):
        self.k = kernel
        self.mode, self.cval = mode, cval
        self.env = dict(constants)
        self.env.update(zip(kernel._inputs, images))
        self.path = True       # the condition under which statements now run
        self.returned = False  # where a return has happened
        self.result = None
        self.loops = []
        self._active = (None, None)  # the last active() and the state it was made from

    def fail(self, node, message):
        raise self.k._error(node, message)

    def run(self):
        self.block(self.k._def.body)
        if self.result is None:
            self.fail(self.k._def, "the kernel returns nothing")
        if self.returned is not True:
            self.fail(self.k._def, "the kernel may end without a return (on some pixels)")
        return self.result

    # ---- statements -------------------------------------------------------
    def active(self):
        """Where statements now take effect: on the path, not yet returned,
        not broken out of or skipped in any enclosing loop. Kept while the
        state is unchanged, so that the graph shares one mask."""
        state = [self.path, self.returned] + [m for loop in self.loops for m in (loop.broken, loop.skipped)]
        kept = self._active[0]  # holds its objects, so identity is safe to compare
        if kept is not None and len(kept) == len(state) and all(a is b for a, b in zip(kept, state)):
            return self._active[1]
        c = _and(self.path, _not(self.returned))
        for loop in self.loops:
            c = _and(c, _and(_not(loop.broken), _not(loop.skipped)))
        self._active = (state, c)
        return c

    def block(self, statements):
        for s in statements:
            if self.active() is False:
                return
            self.statement(s)

    def statement(self, s):
        if isinstance(s, ast.Assign):
            value = self.expr(s.value)
            for target in s.targets:
                self.assign(target, value)
        elif isinstance(s, ast.AugAssign):
            if not isinstance(s.target, ast.Name):
                self.fail(s, "only a name can be updated in place")
            self.assign(s.target, self.binary(s.op, self.load(s.target), self.expr(s.value), s))
        elif isinstance(s, ast.AnnAssign) and s.value is not None:
            self.assign(s.target, self.expr(s.value))
        elif isinstance(s, ast.If):
            c = _truth(self.expr(s.test))
            outer, returned = self.path, self.returned
            self.path = _and(outer, c)
            self.block(s.body)
            self.path = _and(outer, _not(c))
            self.block(s.orelse)
            self.path = outer
            if not self.loops and _always_returns(s.body) and _always_returns(s.orelse):
                self.returned = _or(returned, outer)  # every pixel on this path has returned
        elif isinstance(s, ast.For):
            self.loop(s)
        elif isinstance(s, ast.Return):
            value = self.expr(s.value) if s.value is not None else None
            if value is None:
                self.fail(s, "a kernel returns a value")
            now = self.active()
            self.result = value if self.result is None else _select(now, value, self.result)
            # On the whole path outside loops, every pixel not yet returned returns here.
            self.returned = _or(self.returned, self.path if not self.loops else now)
        elif isinstance(s, (ast.Break, ast.Continue)):
            if not self.loops:
                self.fail(s, "break or continue outside a loop")
            loop = self.loops[-1]
            now = self.active()
            if isinstance(s, ast.Break):
                loop.broken = _or(loop.broken, now)
            else:
                loop.skipped = _or(loop.skipped, now)
        elif isinstance(s, ast.Pass):
            pass
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            pass  # a docstring
        else:
            what = type(s).__name__.lower()
            self.fail(s, f"'{what}' is not supported in a kernel (see help(tessera.kernel))")

    def loop(self, s):
        if s.orelse:
            self.fail(s, "for ... else is not supported in a kernel")
        items = self.expr(s.iter)
        if isinstance(items, range):
            items = tuple(items)
        if not isinstance(items, (tuple, list)) or any(_is_image(i) for i in items):
            self.fail(s.iter, "a kernel loops over range(...) with constant bounds or a tuple of constants "
                              "(the loop is unrolled)")
        loop = _Loop()
        self.loops.append(loop)
        try:
            for item in items:
                # Pixels that broke out (or skip the loop's path) keep the value they had.
                self.assign(s.target, item)
                self.block(s.body)
                loop.skipped = False
                if loop.broken is True:
                    break
        finally:
            self.loops.pop()

    def assign(self, target, value):
        if isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, tuple) or len(value) != len(target.elts):
                self.fail(target, f"cannot unpack {value!r} into {len(target.elts)} names")
            for t, v in zip(target.elts, value):
                self.assign(t, v)
            return
        if not isinstance(target, ast.Name):
            self.fail(target, "a kernel assigns to names only")
        name = target.id
        if name in self.k._inputs:
            self.fail(target, f"'{name}' is an input; assign to a new name")
        now = self.active()
        if now is True or name not in self.env:
            self.env[name] = value
        elif now is not False:
            self.env[name] = _select(now, value, self.env[name])

    # ---- expressions ------------------------------------------------------
    def load(self, node):
        # Locals, then the function's globals and closure, then the kernel
        # language's own names (inf, nan, pi, e) and builtins, as Python would.
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self.k._globals:
            g = self.k._globals[name]
        elif name in _CONSTANTS:
            return _CONSTANTS[name]
        elif name in ("range", "abs", "min", "max", "round", "len", "float", "int", "bool"):
            g = getattr(builtins, name)
        else:
            self.fail(node, f"name '{name}' is not defined")
        if isinstance(g, (int, float, bool, tuple, np.number)) or _is_module(g) or callable(g):
            return g
        self.fail(node, f"'{name}' ({type(g).__name__}) cannot be used in a kernel: only numbers, tuples, "
                        "math and numpy")

    def expr(self, e):
        if isinstance(e, ast.Constant):
            if not isinstance(e.value, (int, float, bool)):
                self.fail(e, f"the constant {e.value!r} is not a number")
            return e.value
        if isinstance(e, ast.Name):
            return self.load(e)
        if isinstance(e, (ast.Tuple, ast.List)):
            return tuple(self.expr(x) for x in e.elts)
        if isinstance(e, ast.BinOp):
            return self.binary(e.op, self.expr(e.left), self.expr(e.right), e)
        if isinstance(e, ast.UnaryOp):
            x = self.expr(e.operand)
            if isinstance(e.op, ast.Not):
                return _not(_truth(x))
            if isinstance(e.op, ast.USub):
                return -x
            if isinstance(e.op, ast.UAdd):
                return +x if not _is_image(x) else x
            return ~x
        if isinstance(e, ast.BoolOp):
            # Operands one by one, stopping where Python stops: a constant
            # that decides (False for and, True for or) ends it, so that
            # `n > 0 and s / n > a` never divides by a zero n.
            is_and = isinstance(e.op, ast.And)
            out, seen_image = None, False
            for node in e.values:
                v = self.expr(node)
                if not seen_image and not _is_image(v):  # Python's own semantics, values kept
                    if (not v) if is_and else bool(v):
                        return v
                    out = v
                    continue
                t = _truth(v)
                out = t if not seen_image else (_and(out, t) if is_and else _or(out, t))
                seen_image = True
                if out is (False if is_and else True):
                    return out
            return out
        if isinstance(e, ast.Compare):
            out, left = True, self.expr(e.left)
            for op, right_node in zip(e.ops, e.comparators):
                right = self.expr(right_node)
                out = _and(out, self.compare(op, left, right, e))
                left = right
            return out
        if isinstance(e, ast.IfExp):
            c = _truth(self.expr(e.test))
            if c is True:
                return self.expr(e.body)
            if c is False:
                return self.expr(e.orelse)
            return _select(c, self.expr(e.body), self.expr(e.orelse))
        if isinstance(e, ast.Call):
            return self.call(e)
        if isinstance(e, ast.Attribute):
            base = self.expr(e.value)
            if _is_module(base):
                v = getattr(base, e.attr, None)
                if isinstance(v, (int, float)) or callable(v):
                    return v
            self.fail(e, f"'{ast.unparse(e)}' cannot be used in a kernel")
        if isinstance(e, ast.Subscript):
            return self.subscript(e)
        self.fail(e, f"'{ast.unparse(e)}' ({type(e).__name__}) is not supported in a kernel")

    def binary(self, op, a, b, node):
        ops = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__",
               ast.FloorDiv: "__floordiv__", ast.Mod: "__mod__", ast.Pow: "__pow__", ast.BitAnd: "__and__",
               ast.BitOr: "__or__", ast.BitXor: "__xor__", ast.LShift: "__lshift__", ast.RShift: "__rshift__"}
        name = ops.get(type(op))
        if name is None:
            self.fail(node, f"the operator {type(op).__name__} is not supported in a kernel")
        if isinstance(a, tuple) or isinstance(b, tuple):
            if _is_image(a) or _is_image(b):
                self.fail(node, "arithmetic on a tuple and an image")
        import operator
        return getattr(operator, name)(a, b)

    def compare(self, op, a, b, node):
        import operator
        ops = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
               ast.Eq: operator.eq, ast.NotEq: operator.ne}
        if type(op) in ops:
            if isinstance(a, tuple) or isinstance(b, tuple):
                if _is_image(a) or _is_image(b) or any(_is_image(x) for x in (a if isinstance(a, tuple) else ())) \
                        or any(_is_image(x) for x in (b if isinstance(b, tuple) else ())):
                    self.fail(node, "tuples of pixel values cannot be compared; compare their elements")
            return ops[type(op)](a, b)
        if _is_image(a) or _is_image(b):
            self.fail(node, f"'{type(op).__name__}' does not apply to pixel values")
        return {ast.In: lambda x, y: x in y, ast.NotIn: lambda x, y: x not in y,
                ast.Is: lambda x, y: x is y, ast.IsNot: lambda x, y: x is not y}[type(op)](a, b)

    def call(self, e):
        if e.keywords:
            self.fail(e, "keyword arguments are not supported in a kernel's calls")
        f = self.expr(e.func)
        args = [self.expr(a) for a in e.args]
        name = getattr(f, "__name__", "")
        images = any(_is_image(a) for a in args)
        if f is range:
            if images:
                self.fail(e, "range() needs constant bounds (the loop is unrolled)")
            return range(*args)
        if f in (builtins.abs,) or name in ("abs", "fabs", "absolute"):
            return _core.apply("abs", *args) if images else abs(*args)
        if f is builtins.round or name in ("round", "rint", "around"):
            if len(args) != 1:
                self.fail(e, "round() takes one argument in a kernel")
            return _round(args[0])
        if name in ("fmin", "fmax") and images and len(args) == 2:  # numpy's: NaN only where both are
            a, b = args
            pick = _core.apply("minimum" if name == "fmin" else "maximum", a, b)
            return _core.apply("where", a != a, b, _core.apply("where", b != b, a, pick))
        if f in (builtins.min, builtins.max) or name in ("minimum", "maximum"):
            if len(args) == 1 and isinstance(args[0], tuple):
                args = list(args[0])
            if not images and not any(_is_image(a) for a in args):
                return (min if f is builtins.min or name == "minimum" else max)(args)
            fn = "minimum" if f is builtins.min or name == "minimum" else "maximum"
            out = args[0]
            for a in args[1:]:
                out = _core.apply(fn, out, a)
            return out
        if f in (builtins.float, builtins.int, builtins.bool, builtins.len) and not images:
            return f(*args)
        fn = _ALIASES.get(name, name)
        if not images:
            if callable(f) and (isinstance(f, np.ufunc) or getattr(f, "__module__", None) in ("math", "numpy")):
                v = f(*args)
                return v.item() if isinstance(v, np.generic) else v
            self.fail(e, f"'{ast.unparse(e.func)}' cannot be called in a kernel")
        if fn in _FUNCTIONS and (getattr(f, "__module__", None) in ("math", "numpy", "tessera", None)
                                 or isinstance(f, np.ufunc)):
            return _core.apply(fn, *args)
        if fn == "hypot" and len(args) == 2:
            # In float64 (no integer wrap-around, no float32 overflow), then
            # numpy's result dtype for the operands.
            x, y = (a.astype("float64") if _is_image(a) else float(a) for a in args)
            dtype = np.hypot(*(np.zeros(1, a.dtype) if _is_image(a) else a for a in args)).dtype
            dtype = np.dtype(np.float32) if dtype == np.float16 else dtype  # tessera has no float16
            return _core.apply("sqrt", x * x + y * y).astype(dtype.name)
        if fn in ("isnan",) and len(args) == 1:
            return args[0] != args[0]
        self.fail(e, f"'{ast.unparse(e.func)}' cannot be applied to pixel values; the kernel language has "
                     f"{', '.join(sorted(_FUNCTIONS | {'round', 'min', 'max', 'hypot', 'isnan'}))}")

    def subscript(self, e):
        base = self.expr(e.value)
        key = e.slice
        items = key.elts if isinstance(key, ast.Tuple) else [key]
        if not _is_image(base):
            if isinstance(base, tuple):
                index = self.expr(key)
                if _is_image(index) or (isinstance(index, tuple) and any(_is_image(i) for i in index)):
                    self.fail(e, "a tuple is indexed by constants only")
                return base[index]
            self.fail(e, f"'{ast.unparse(e.value)}' cannot be subscripted")
        if any(isinstance(i, ast.Slice) or (isinstance(i, ast.Constant) and i.value is Ellipsis) for i in items):
            index = []
            for i in items:
                if isinstance(i, ast.Slice):
                    parts = [self.expr(p) if p is not None else None for p in (i.lower, i.upper, i.step)]
                    if any(_is_image(p) for p in parts):
                        self.fail(e, "slices take constants")
                    index.append(slice(*parts))
                elif isinstance(i, ast.Constant) and i.value is Ellipsis:
                    index.append(Ellipsis)
                else:
                    v = self.expr(i)
                    if not isinstance(v, int):
                        self.fail(e, "an index is a constant integer")
                    index.append(v)
            return base[tuple(index)]
        offsets = [self.expr(i) for i in items]
        if any(isinstance(o, tuple) for o in offsets) and len(offsets) == 1:
            offsets = list(offsets[0])
        if not all(isinstance(o, (int, np.integer)) and not isinstance(o, bool) for o in offsets):
            self.fail(e, "a neighbour's offsets are constant integers (v[dz, dy, dx])")
        if len(offsets) > base.ndim:
            self.fail(e, f"{len(offsets)} neighbour offsets for an image of {base.ndim} axes")
        if not any(offsets):
            return base
        text = "v[" + ", ".join(str(int(o)) for o in offsets) + "]"
        return _core.expression(text, {"v": base}, self.mode, self.cval)
