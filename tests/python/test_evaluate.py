"""tessera.evaluate against numpy (and numexpr where it applies): every dtype,
operator and function, broadcasting, views, sizes, NaN and infinities."""
import itertools
import warnings

import numexpr
import numpy as np
import pytest

import tessera
from conftest import DTYPES, FLOATS, NUMERIC, random_array, tessera_dtype

ARITH = ["+", "-", "*", "/", "//", "%", "**"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]
BITWISE = ["&", "|", "^"]
UNARY_FUNCS = ["abs", "sqrt", "exp", "log", "log10", "log1p", "expm1", "sin", "cos", "tan", "arcsin",
               "arccos", "arctan", "sinh", "cosh", "tanh", "floor", "ceil"]


def numpy_binary(op, a, b):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return eval(f"a {op} b", {"a": a, "b": b})


def assert_same(got, want, exact=True, rtol=None):
    want = np.asarray(want)
    assert got.shape == want.shape
    assert got.dtype == tessera_dtype(want.dtype), (got.dtype, want.dtype)
    if got.dtype != want.dtype:
        want = want.astype(got.dtype)
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=rtol or (2e-6 if got.dtype == np.float32 else 1e-12),
                                   atol=0, equal_nan=True)


@pytest.mark.parametrize("op", ARITH + COMPARE)
@pytest.mark.parametrize("da,db", list(itertools.product(NUMERIC, NUMERIC)))
def test_binary_operators_match_numpy_for_every_dtype_pair(op, da, db, rng):
    a = random_array(rng, (7, 13), da, special=True)
    b = random_array(rng, (7, 13), db, special=True)
    if op == "**":
        # numpy raises on negative integer exponents; tessera's rule differs (documented)
        if np.dtype(db).kind in "ui":
            b = np.abs(b) % 5
        a = a % 7 if np.dtype(da).kind in "ui" else a
    got = tessera.evaluate(f"a {op} b", a=a, b=b)
    want = numpy_binary(op, a, b)
    exact = op not in ("**",) or np.dtype(want.dtype).kind != "f"
    assert_same(got, want, exact=exact, rtol=1e-5 if want.dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("op", ["+", "*", "&", "|", "^", "==", "!=", "<", ">="])
def test_boolean_operands_follow_numpy(op, rng):
    a = random_array(rng, (31,), np.bool_)
    b = random_array(rng, (31,), np.bool_)
    assert_same(tessera.evaluate(f"a {op} b", a=a, b=b), numpy_binary(op, a, b))


def test_boolean_subtract_and_negate_are_type_errors():
    m = np.array([True, False])
    with pytest.raises(TypeError, match="boolean"):
        tessera.evaluate("m - m")
    with pytest.raises(TypeError, match="booleans"):
        tessera.evaluate("-m")


@pytest.mark.parametrize("op", BITWISE)
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint32, np.int64])
def test_bitwise_on_integers(op, dtype, rng):
    a, b = random_array(rng, (50,), dtype), random_array(rng, (50,), dtype)
    assert_same(tessera.evaluate(f"a {op} b"), numpy_binary(op, a, b))
    assert_same(tessera.evaluate("~a"), ~a)


def test_bitwise_on_floats_is_a_type_error():
    x = np.ones(3, np.float32)
    with pytest.raises(TypeError, match="boolean or integer"):
        tessera.evaluate("x & x")
    with pytest.raises(TypeError):
        tessera.evaluate("~x")


@pytest.mark.parametrize("func", UNARY_FUNCS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_functions_match_numpy(func, dtype, rng):
    a = random_array(rng, (11, 17), dtype, special=True)
    if func in ("arcsin", "arccos") and np.dtype(dtype).kind == "f":
        a = np.clip(a / 20, -1.2, 1.2).astype(dtype)  # some outside the domain: NaN
    if np.dtype(dtype) == np.bool_ and func == "abs":
        pass
    got = tessera.evaluate(f"{func}(a)")
    with np.errstate(all="ignore"):
        want = getattr(np, func)(a)
        if want.dtype == np.float16:  # tessera computes these in float32 (documented)
            want = getattr(np, func)(a.astype(np.float32))
    exact = func in ("abs", "floor", "ceil", "sqrt")
    assert_same(got, want, exact=exact, rtol=2e-6 if tessera_dtype(want.dtype) == np.float32 else 1e-13)


def test_unary_minus_and_plus(rng):
    for dtype in NUMERIC:
        a = random_array(rng, (9,), dtype, special=True)
        with np.errstate(all="ignore"):
            assert_same(tessera.evaluate("-a"), -a)
        assert_same(tessera.evaluate("+a"), a)


@pytest.mark.parametrize("func", ["minimum", "maximum", "arctan2", "hypot"])
@pytest.mark.parametrize("da,db", [(np.float32, np.float32), (np.float64, np.float32), (np.uint8, np.int16),
                                   (np.int32, np.float32), (np.uint8, np.uint8), (np.bool_, np.bool_)])
def test_binary_functions(func, da, db, rng):
    a = random_array(rng, (23,), da, special=True)
    b = random_array(rng, (23,), db, special=True)
    with np.errstate(all="ignore"):
        want = getattr(np, func)(a, b)
        if want.dtype == np.float16:
            want = getattr(np, func)(a.astype(np.float32), b.astype(np.float32))
    assert_same(tessera.evaluate(f"{func}(a, b)"), want, exact=func != "arctan2")


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_where_and_clip(dtype, rng):
    a = random_array(rng, (40, 3), dtype, special=True)
    b = random_array(rng, (40, 3), dtype)
    c = rng.random((40, 1)) > 0.5
    assert_same(tessera.evaluate("where(c, a, b)"), np.where(c, a, b))
    assert_same(tessera.evaluate("where(a > b, a, 0)"), np.where(a > b, a, 0))
    # a non-boolean condition means "non-zero"
    assert_same(tessera.evaluate("where(a, 1, 2)"), np.where(a, 1, 2))
    lo, hi = (-5, 100) if np.dtype(dtype).kind == "f" else (3, 100)
    assert_same(tessera.evaluate(f"clip(a, {lo}, {hi})"), np.clip(a, lo, hi))


SCALAR_CASES = [
    (np.uint8, "300"), (np.uint8, "-1"), (np.uint8, "1.5"), (np.uint8, "True"), (np.int8, "200"),
    (np.int16, "70000"), (np.float32, "2"), (np.float32, "2.5"), (np.uint16, "7"), (np.int32, "-3"),
    (np.float64, "1e300"), (np.uint64, "5"), (np.bool_, "1"), (np.bool_, "2.0"),
]


@pytest.mark.parametrize("dtype,literal", SCALAR_CASES)
@pytest.mark.parametrize("op", ["+", "*", "-", "<", "/"])
def test_python_scalars_follow_numpy_value_based_promotion(dtype, literal, op, rng):
    a = random_array(rng, (12,), dtype)
    if op == "-" and np.dtype(dtype) == np.bool_ and literal in ("True",):
        return
    got = tessera.evaluate(f"a {op} {literal}")
    want = numpy_binary(op, a, eval(literal))
    assert_same(got, want)
    got = tessera.evaluate(f"{literal} {op} a")
    assert_same(got, numpy_binary(op, eval(literal), a))


def test_a_python_float_never_widens_a_float32_array():
    x = np.arange(5, dtype=np.float32)
    assert tessera.evaluate("x * 1e300").dtype == np.float32  # numpy 1.x: float64
    assert tessera.evaluate("x + 100000").dtype == np.float32
    assert tessera.evaluate("x * 0.1").dtype == np.float32
    np.testing.assert_array_equal(tessera.evaluate("x * 0.1"), x * np.float32(0.1))


def test_numpy_scalars_and_zero_d_arrays(rng):
    a = random_array(rng, (10,), np.uint8)
    s = np.int16(1000)
    assert_same(tessera.evaluate("a + s"), a + s)
    z = np.array(2.5)
    assert_same(tessera.evaluate("a * z"), a * z)
    r = tessera.evaluate("s * 2 + 1.5")  # all scalars: a 0-d result
    assert r.shape == () and r.dtype == np.float64 and r == 2001.5


def test_large_integer_scalars_keep_every_bit():
    a = np.zeros(3, np.int64)
    s = np.int64(2**62 + 1)
    np.testing.assert_array_equal(tessera.evaluate("a + s"), a + s)
    np.testing.assert_array_equal(tessera.evaluate("a + 4611686018427387905"), a + 4611686018427387905)


def test_constant_folding_uses_value_based_types():
    a = np.arange(10, dtype=np.uint8)
    assert_same(tessera.evaluate("a + (200 + 100)"), a + 300)
    assert_same(tessera.evaluate("a * (2 ** 3)"), a * 8)


BROADCAST_SHAPES = [((5, 7, 4), (5, 7, 1)), ((5, 7, 4), (7, 1)), ((5, 7, 4), (4,)), ((1, 7), (5, 1)),
                    ((5, 1, 3), (1, 7, 1)), ((3,), ()), ((1,), (6, 1)), ((2, 1, 1, 3), (4, 5, 1))]


@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_broadcasting(sa, sb, rng):
    a = random_array(rng, sa, np.float32)
    b = random_array(rng, sb, np.int16)
    assert_same(tessera.evaluate("a * b - a / 3"), a * b - a / np.float32(3))
    assert_same(tessera.evaluate("where(b > 0, a, b)"), np.where(b > 0, a, b))


def test_broadcast_mismatch_names_the_operands():
    a, b = np.ones((3, 4)), np.ones(5)
    with pytest.raises(ValueError, match=r"'a' has shape \(3, 4\) and 'b' has shape \(5,\)"):
        tessera.evaluate("a + b")
    img, mask = np.ones((6, 5, 4), np.uint8), np.ones((6, 5), bool)
    with pytest.raises(ValueError, match="could not be broadcast"):
        tessera.evaluate("where(mask, 0, img)")
    np.testing.assert_array_equal(tessera.evaluate("where(m, 0, img)", m=mask[..., None]),
                                  np.where(mask[..., None], 0, img))


def views(rng):
    base = random_array(rng, (40, 62, 3), np.float32, special=True)
    return {
        "reversed": base[::-1],
        "strided": base[::3, 1::2],
        "negative_both": base[::-2, ::-3],
        "transposed": base.transpose(1, 0, 2),
        "channel": base[..., 1],
        "fortran": np.asfortranarray(base),
    }


@pytest.mark.parametrize("name", ["reversed", "strided", "negative_both", "transposed", "channel", "fortran"])
def test_non_contiguous_and_negative_stride_views(name, rng):
    a = views(rng)[name]
    b = random_array(rng, a.shape, np.uint8)[::-1].copy()[::-1]
    assert_same(tessera.evaluate("a * 2 + b"), a * 2 + b)
    out = np.empty(a.shape[::-1], np.float32).T  # a transposed output
    tessera.evaluate("a * 2 + b", out=out)
    np.testing.assert_array_equal(out, a * 2 + b)


@pytest.mark.parametrize("shape", [(1,), (2,), (1, 1), (97,), (1009,), (3, 1, 7), (1021, 1031), (5, 0), (0,)])
def test_sizes(shape, rng):
    a = random_array(rng, shape, np.float64)
    b = random_array(rng, shape, np.int32)
    assert_same(tessera.evaluate("(a - b) ** 2 + sqrt(abs(a))"), (a - b) ** 2 + np.sqrt(np.abs(a)))


def test_large_array_spanning_many_tiles(rng):
    a = random_array(rng, (2048, 1500), np.float32)
    b = random_array(rng, (1500,), np.float32)
    got = tessera.evaluate("where(a > b, a - b, log1p(abs(b)))")
    want = np.where(a > b, a - b, np.log1p(np.abs(b)))
    np.testing.assert_allclose(got, want, rtol=2e-7)


def test_nan_and_infinity_propagate(rng):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0], np.float64)
    for expr in ["x + 1", "x * 0", "minimum(x, 0)", "maximum(x, 0)", "x > 0", "x != x", "where(x > 0, x, -x)",
                 "x / 0", "x // 0", "x % 2", "floor(x)", "clip(x, -1, 1)"]:
        with np.errstate(all="ignore"):
            want = eval(expr.replace("minimum", "np.minimum").replace("maximum", "np.maximum")
                        .replace("where", "np.where").replace("floor", "np.floor").replace("clip", "np.clip"))
        got = tessera.evaluate(expr)
        np.testing.assert_array_equal(got, want, err_msg=expr)


def test_integer_division_and_modulo_by_zero_give_zero():
    a = np.array([7, -7, 0, 127, -128], np.int8)
    z = np.zeros_like(a)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(tessera.evaluate("a // z"), a // z)
        np.testing.assert_array_equal(tessera.evaluate("a % z"), a % z)
    m1 = np.full_like(a, -1)
    np.testing.assert_array_equal(tessera.evaluate("a // m1"), a // m1)


def test_integer_power_with_negative_exponent_is_zero_except_unit_bases():
    a = np.array([2, 1, -1, -1, 0, 5], np.int32)
    e = np.array([-1, -3, -3, -2, 2, 3], np.int32)
    np.testing.assert_array_equal(tessera.evaluate("a ** e"), [0, 1, -1, 1, 0, 125])


def test_power_fast_paths_are_exact(rng):
    x = random_array(rng, (1000,), np.float64)
    for e in ["2", "0.5", "1", "-1", "3", "2.5"]:
        with np.errstate(all="ignore"):
            want = x ** float(e) if "." in e else x ** int(e)
        got = tessera.evaluate(f"x ** {e}")
        np.testing.assert_allclose(got, want, rtol=1e-15, equal_nan=True)


def test_precedence_and_chained_comparisons(rng):
    a, b, c = (random_array(rng, (50,), np.int32) for _ in range(3))
    for expr in ["-a ** 2", "a - b - c", "a // b * c", "2 ** -1 * a", "a < b & b < c", "(a < b) & (b < c)",
                 "a + b * c % 7", "~(a > 0) | (b > 0)", "a ^ b & c", "-(-a)", "a < b < c", "1 < a <= 100"]:
        with np.errstate(all="ignore"):
            if expr == "a < b & b < c":  # Python: a < (b & b) < c, a chain
                want = (a < (b & b)) & ((b & b) < c)
            elif expr == "a < b < c":
                want = (a < b) & (b < c)
            elif expr == "1 < a <= 100":
                want = (1 < a) & (a <= 100)
            else:
                want = eval(expr)
            got = tessera.evaluate(expr)
        np.testing.assert_array_equal(got, want, err_msg=expr)


def test_matches_numexpr_on_a_long_expression(rng):
    x = random_array(rng, (300, 401), np.float64)
    y = random_array(rng, (300, 401), np.float64)
    expr = "where(x > y, sin(x) * cos(y) + exp(-abs(x)), tanh(y) - arctan2(x, y)) / (1 + x ** 2)"
    np.testing.assert_allclose(tessera.evaluate(expr), numexpr.evaluate(expr), rtol=1e-12)


def test_names_come_from_the_callers_frame():
    local_array = np.arange(6, dtype=np.int16)
    np.testing.assert_array_equal(tessera.evaluate("local_array * 2"), local_array * 2)
    np.testing.assert_array_equal(tessera.evaluate("GLOBAL_ARRAY + 1"), GLOBAL_ARRAY + 1)
    # keyword arguments win over the frame
    np.testing.assert_array_equal(tessera.evaluate("local_array * 2", local_array=np.ones(2)), [2.0, 2.0])


GLOBAL_ARRAY = np.arange(4, dtype=np.float32)


def test_out_argument(rng):
    a = random_array(rng, (30, 40), np.float64)
    out = np.empty((30, 40), np.float64)
    assert tessera.evaluate("a * 3", out=out) is out
    np.testing.assert_array_equal(out, a * 3)
    # another dtype: converted by tessera's rule (round half to even, saturate)
    out8 = np.empty((30, 40), np.uint8)
    tessera.evaluate("a * 3", out=out8)
    np.testing.assert_array_equal(out8, np.clip(np.rint(a * 3), 0, 255).astype(np.uint8))
    with pytest.raises(ValueError, match="out has shape"):
        tessera.evaluate("a * 3", out=np.empty((40, 30)))
    with pytest.raises(ValueError, match="read-only"):
        ro = np.empty((30, 40))
        ro.flags.writeable = False
        tessera.evaluate("a * 3", out=ro)


def test_in_place_and_overlapping_out(rng):
    a = random_array(rng, (500, 300), np.float32)
    a0 = a.copy()
    tessera.evaluate("a * 2 + 1", out=a)
    np.testing.assert_array_equal(a, a0 * 2 + 1)
    b = np.arange(10000, dtype=np.float64)
    want = b[:-1] + b[1:]
    tessera.evaluate("x + y", x=b[:-1], y=b[1:], out=b[1:])  # shifted overlap: as if via a temporary
    np.testing.assert_array_equal(b[1:], want)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_threads_give_identical_results(threads, rng):
    a = random_array(rng, (777, 555), np.float32)
    ref = tessera.evaluate("sqrt(abs(a)) * 3 - a", threads=1)
    np.testing.assert_array_equal(tessera.evaluate("sqrt(abs(a)) * 3 - a", threads=threads), ref)


def test_threads_must_be_positive():
    a = np.ones(3)
    with pytest.raises(ValueError, match="threads"):
        tessera.evaluate("a + 1", threads=0)


def test_syntax_errors_point_at_the_position():
    a = np.ones(3)
    cases = {"a + * 2": 5, "a + $": 5, "(a + 1": 1, "a = 1": 3, "a +": 4, "1.2.3 + a": 1, "sqrt(a,": 8}
    for expr, offset in cases.items():
        with pytest.raises(SyntaxError) as e:
            tessera.evaluate(expr)
        assert e.value.offset == offset, expr
        assert e.value.text == expr
        assert "position" in e.value.msg


def test_unknown_names_functions_and_arity():
    a = np.ones(3)
    with pytest.raises(NameError, match="'nonexistent' is not defined"):
        tessera.evaluate("a + nonexistent")
    with pytest.raises(NameError, match="unknown function 'sqr'"):
        tessera.evaluate("sqr(a)")
    with pytest.raises(TypeError, match=r"where\(\) takes 3 arguments, got 2"):
        tessera.evaluate("where(a, a)")


@pytest.mark.parametrize("bad", [np.ones(3, np.float16), np.ones(3, np.complex64), np.array(["x"]),
                                 np.array([object()]), np.ones(3, ">f4")])
def test_unsupported_dtypes_are_type_errors(bad):
    with pytest.raises(TypeError, match="dtype"):
        tessera.evaluate("bad + 1")


def test_lookup_table_path_is_exact_for_every_8bit_value():
    for dtype in [np.uint8, np.int8]:
        v = np.arange(256, dtype=np.uint8).view(dtype)
        a = np.tile(v, 200)  # large enough for the table path
        for expr in ["(a / 255.) ** 2 * 255", "sqrt(a * 1.0) * 3 - a // 7", "a % 5 + a * 3", "exp(a / 50.)"]:
            with np.errstate(all="ignore"):
                want = eval(expr.replace("sqrt", "np.sqrt").replace("exp", "np.exp"))
            got = tessera.evaluate(expr)
            assert got.dtype == tessera_dtype(want.dtype)
            np.testing.assert_allclose(got, want, rtol=1e-15, err_msg=expr)


@pytest.mark.parametrize("fn", ["exp", "log", "sin", "tanh", "log1p"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transcendental_result_depends_on_the_value_only(rng, fn, dtype):
    # The last elements of a block (a vector's tail) are computed as the others.
    x = (rng.random(1031) + 0.5).astype(dtype)
    full = tessera.evaluate(f"{fn}(x)", x=x)
    for n in [1, 3, 7, 9, 15, 1025]:
        np.testing.assert_array_equal(tessera.evaluate(f"{fn}(x)", x=x[:n]), full[:n])
        np.testing.assert_array_equal(tessera.evaluate(f"{fn}(x)", x=x[n:]), full[n:])
