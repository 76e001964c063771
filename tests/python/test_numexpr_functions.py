"""numexpr's functions that tessera lacked (the parity issue): fmod, arcsinh,
arccosh, arctanh, copy, ones_like, << and >>, against numpy (and numexpr
where it has them) on random data of every dtype they take."""
import numexpr
import numpy as np
import pytest

import tessera

INTS = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inverse_hyperbolic_functions_are_numpys(dtype, rng):
    x = (rng.standard_normal(1001) * 3).astype(dtype)
    y = (1 + np.abs(x)).astype(dtype)
    z = np.tanh(x).astype(dtype)
    with np.errstate(all="ignore"):
        for name, v in [("arcsinh", x), ("arccosh", y), ("arctanh", z), ("arccosh", x), ("arctanh", x)]:
            got = tessera.evaluate(f"{name}(v)", v=v)
            ref = getattr(np, name)(v)
            assert got.dtype == dtype
            # libm's functions (numpy's own differ by an ulp here and there); NaN where numpy's is.
            np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=name)
            ok = ~np.isnan(ref)
            np.testing.assert_array_max_ulp(got[ok], ref[ok], maxulp=4)
    v = x.astype(np.float64)
    np.testing.assert_array_max_ulp(tessera.evaluate("arcsinh(v)", v=v),
                                    numexpr.evaluate("arcsinh(v)", local_dict={"v": v}), maxulp=4)


@pytest.mark.parametrize("dtype", INTS + [np.float32, np.float64])
def test_fmod_is_numpys(dtype, rng):
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, 999, dtype=dtype, endpoint=True)
        b = rng.integers(max(info.min, -9), min(info.max, 9), 999, dtype=dtype, endpoint=True)  # zeros too
        b[:3] = 0
        if info.min < 0:
            a[3], b[3] = info.min, -1
    else:
        a = (rng.standard_normal(999) * 50).astype(dtype)
        b = (rng.standard_normal(999) * 5).astype(dtype)
        b[:2] = 0
        a[5] = np.inf
    with np.errstate(all="ignore"):
        ref = np.fmod(a, b)
        if np.issubdtype(dtype, np.integer):
            ref[b == 0] = 0
            if np.iinfo(dtype).min < 0:
                ref[b == -1] = 0
    got = tessera.evaluate("fmod(a, b)", a=a, b=b)
    assert got.dtype == ref.dtype
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("dtype", INTS)
def test_shifts_are_numpys(dtype, rng):
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, 700, dtype=dtype, endpoint=True)
    bits = np.dtype(dtype).itemsize * 8
    b = rng.integers(0, bits + 4, 700).astype(dtype)  # shifts beyond the width too
    for op, fn in (("<<", np.left_shift), (">>", np.right_shift)):
        got = tessera.evaluate(f"a {op} b", a=a, b=b)
        np.testing.assert_array_equal(got, fn(a, b), err_msg=op)
    np.testing.assert_array_equal(tessera.evaluate("a << 2 + 1", a=a), a << 3)  # + binds tighter, as in Python
    np.testing.assert_array_equal(tessera.evaluate("a >> 1 & 7", a=a), (a >> 1) & 7)
    np.testing.assert_array_equal(np.asarray(tessera.asarray(a) << 1), a << 1)
    with pytest.raises(TypeError, match="integer operands"):
        tessera.evaluate("x << 1", x=np.ones(3))


def test_copy_and_ones_like(rng):
    a = rng.standard_normal((5, 7)).astype(np.float32)
    a[0, 0] = np.nan
    np.testing.assert_array_equal(tessera.evaluate("copy(a)", a=a), a)
    ones = tessera.evaluate("ones_like(a)", a=a)
    assert ones.dtype == np.float32 and ones.shape == a.shape and (ones == 1).all()
    u = rng.integers(0, 9, (3, 4), dtype=np.uint16)
    np.testing.assert_array_equal(tessera.evaluate("ones_like(u) * 3", u=u), np.ones_like(u) * 3)
    np.testing.assert_array_equal(tessera.evaluate("ones_like(a)", a=a), numexpr.evaluate("ones_like(a)"))
