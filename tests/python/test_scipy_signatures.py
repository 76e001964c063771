"""scipy.ndimage's signatures on tessera's filters: the items users hit when
they swap the import (sizes as numpy integers, integral floats or arrays;
0 or 1 leaving an axis alone; output= as a dtype; a cval the dtype cannot
hold; windows over 255; the grid- modes; scipy's positional order)."""

import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera


@pytest.fixture
def image(rng):
    return (rng.random((41, 37)) * 200).astype(np.int16)


@pytest.mark.parametrize("size", [np.int64(5), np.uint8(3), 5.0, np.array([3, 5]), [np.int32(3), 5.0], (5, np.int16(1))])
@pytest.mark.parametrize("name", ["uniform_filter", "maximum_filter", "minimum_filter", "median_filter"])
def test_sizes_as_numpy_scalars_integral_floats_and_arrays(image, size, name):
    got = getattr(tessera, name)(image, size)
    plain = [int(s) for s in np.atleast_1d(size)]  # (scipy's median_filter itself refuses 5.0)
    plain = plain * 2 if len(plain) == 1 else plain
    want = getattr(ndi, name)(image, plain)
    if name == "uniform_filter":
        np.testing.assert_allclose(got, ndi.uniform_filter(image.astype(np.float64), plain), atol=1e-4)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["uniform_filter", "maximum_filter", "minimum_filter"])
def test_size_zero_or_one_leaves_an_axis_alone(rng, name):
    a = rng.random((17, 19, 3))
    for size in [(5, 5, 0), (5, 0, 1), (0, 0, 0), (1, 7, 0)]:
        np.testing.assert_allclose(getattr(tessera, name)(a, size), getattr(ndi, name)(a, size), rtol=1e-12)


def test_a_fractional_size_is_refused(image):
    with pytest.raises((TypeError, ValueError), match="size"):
        tessera.maximum_filter(image, 2.5)


@pytest.mark.parametrize("name", ["maximum_filter", "minimum_filter", "median_filter"])
def test_output_dtype_is_applied(image, name):
    got = getattr(tessera, name)(image, 3, output=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, getattr(ndi, name)(image, 3, output=np.float32))
    out = np.empty(image.shape, np.int32)
    assert getattr(tessera, name)(image, 3, output=out) is out
    np.testing.assert_array_equal(out, getattr(ndi, name)(image, 3))


@pytest.mark.parametrize("name", ["maximum_filter", "minimum_filter", "median_filter"])
def test_a_cval_the_dtype_cannot_hold_keeps_the_dtype(rng, name):
    a = rng.integers(0, 10, (9, 11)).astype(np.uint8)
    got = getattr(tessera, name)(a, 3, mode="constant", cval=300.0)
    want = getattr(ndi, name)(a, 3, mode="constant", cval=300.0)
    assert got.dtype == want.dtype == np.uint8
    # scipy casts the out-of-range 300 with C's conversion (44); tessera saturates (255).
    np.testing.assert_array_equal(got[1:-1, 1:-1], want[1:-1, 1:-1])
    if name == "maximum_filter":
        assert got[0, 0] == 255


@pytest.mark.parametrize("name", ["uniform_filter", "maximum_filter", "minimum_filter"])
def test_windows_over_255(rng, name):
    a = rng.random((700, 40)).astype(np.float32)
    got = getattr(tessera, name)(a, (301, 3))
    want = getattr(ndi, name)(a, (301, 3))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tessera.uniform_filter1d(a, 1001, axis=0), ndi.uniform_filter1d(a, 1001, axis=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["grid-mirror", "grid-wrap", "grid-constant"])
def test_grid_modes(rng, mode):
    a = rng.random((23, 29))
    for name in ("uniform_filter", "maximum_filter", "median_filter"):
        np.testing.assert_allclose(getattr(tessera, name)(a, 5, mode=mode, cval=0.5),
                                   getattr(ndi, name)(a, 5, mode=mode, cval=0.5), rtol=1e-12)
    np.testing.assert_allclose(tessera.gaussian_filter(a, 1.5, mode=mode, cval=0.5),
                               ndi.gaussian_filter(a, 1.5, mode=mode, cval=0.5), rtol=1e-12)
    np.testing.assert_array_equal(tessera.sobel(a, 0, None, mode, 0.5), ndi.sobel(a, 0, None, mode, 0.5))


def test_scipys_positional_order(rng):
    a = rng.random((20, 30)).astype(np.float32)
    np.testing.assert_array_equal(tessera.sobel(a, 1, np.float64, "nearest"), ndi.sobel(a, 1, np.float64, "nearest"))
    np.testing.assert_array_equal(tessera.correlate1d(a, [1, 2, -1], 0, None, "wrap", 0.0, 1),
                                  ndi.correlate1d(a, [1, 2, -1], 0, None, "wrap", 0.0, 1))
    np.testing.assert_array_equal(tessera.maximum_filter1d(a, 4, 0, None, "mirror"),
                                  ndi.maximum_filter1d(a, 4, 0, None, "mirror"))
    np.testing.assert_allclose(tessera.uniform_filter(a, 5, np.float64, "nearest"),
                               ndi.uniform_filter(a, 5, np.float64, "nearest"), rtol=1e-12)


def test_axes(rng):
    """scipy 1.11's axes= (Debian's scipy 1.10 lacks it): the same as a size
    of 1 (a sigma of 0) on the other axes."""
    a = rng.random((20, 21, 3)).astype(np.float32)
    np.testing.assert_allclose(tessera.uniform_filter(a, 5, axes=(0, 1)), ndi.uniform_filter(a, (5, 5, 1)), rtol=1e-6)
    np.testing.assert_array_equal(tessera.median_filter(a, (3, 5), axes=(0, 1)), ndi.median_filter(a, (3, 5, 1)))
    np.testing.assert_array_equal(tessera.maximum_filter(a, 4, axes=[-2]), ndi.maximum_filter(a, (1, 4, 1)))
    np.testing.assert_array_equal(tessera.minimum_filter(a, (2, 3), axes=(2, 0)), ndi.minimum_filter(a, (3, 1, 2)))
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)
    np.testing.assert_array_equal(tessera.median_filter(a, footprint=cross, axes=(0, 1)),
                                  ndi.median_filter(a, footprint=cross[:, :, None]))
    np.testing.assert_allclose(tessera.gaussian_filter(a, 2.0, axes=(0, 1)), ndi.gaussian_filter(a, (2, 2, 0)), rtol=1e-6)
    np.testing.assert_array_equal(tessera.percentile_filter(a, 30, 3, axes=(1,)), ndi.percentile_filter(a, 30, (1, 3, 1)))
    np.testing.assert_array_equal(tessera.rank_filter(a, 1, 3, axes=(2, 0)), ndi.rank_filter(a, 1, (3, 1, 3)))
    with pytest.raises(ValueError, match="axis 0 is repeated"):
        tessera.uniform_filter(a, 3, axes=(0, 0))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        tessera.maximum_filter(a, 3, axes=(3,))
    with pytest.raises(ValueError, match="one per listed axis"):
        tessera.uniform_filter(a, (3, 3, 3), axes=(0, 1))
    with pytest.raises(ValueError, match="increasing order"):
        tessera.median_filter(a, footprint=cross, axes=(1, 0))


MODE_PAIRS = [("reflect", "constant"), ("wrap", "nearest"), ("mirror", "grid-wrap"), ("constant", "constant")]


@pytest.mark.parametrize("modes", MODE_PAIRS)
def test_a_mode_per_axis(rng, modes):
    """mode as a sequence, one per axis, as scipy's separable filters take
    it: each axis padded by its own mode (scipy's own function is the
    reference, in float64; float results of the exact filters are its bits)."""
    a = rng.standard_normal((23, 31))
    i = (rng.random((19, 26)) * 250).astype(np.uint8)
    for name, args in [("uniform_filter", (5,)), ("maximum_filter", (4,)), ("minimum_filter", ((3, 6),)),
                       ("gaussian_filter", (1.5,)), ("gaussian_laplace", (1.2,)),
                       ("gaussian_gradient_magnitude", (1.2,))]:
        got = getattr(tessera, name)(a, *args, mode=list(modes), cval=0.75)
        want = getattr(ndi, name)(a, *args, mode=list(modes), cval=0.75)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13, err_msg=name)
    for name in ("sobel", "prewitt"):
        for axis in (0, 1):
            np.testing.assert_array_equal(getattr(tessera, name)(a, axis, mode=modes, cval=0.75),
                                          getattr(ndi, name)(a, axis, mode=modes, cval=0.75), err_msg=name)
    np.testing.assert_array_equal(tessera.laplace(a, mode=tuple(modes), cval=0.75),
                                  ndi.laplace(a, mode=tuple(modes), cval=0.75))
    np.testing.assert_array_equal(tessera.maximum_filter(i, 5, mode=list(modes), cval=3),
                                  ndi.maximum_filter(i, 5, mode=list(modes), cval=3))
    np.testing.assert_array_equal(
        tessera.generic_laplace(a, lambda x, ax, o, m, c: tessera.correlate1d(x, [1, -2, 1], ax, o, m, c),
                                mode=list(modes), cval=0.75),
        ndi.generic_laplace(a, lambda x, ax, o, m, c: ndi.correlate1d(x, [1, -2, 1], ax, o, m, c),
                            mode=list(modes), cval=0.75))


def test_a_mode_per_axis_in_3d_with_axes(rng):
    v = rng.standard_normal((9, 12, 10))
    np.testing.assert_allclose(tessera.uniform_filter(v, 3, mode=["wrap", "constant", "nearest"], cval=2.0),
                               ndi.uniform_filter(v, 3, mode=["wrap", "constant", "nearest"], cval=2.0), rtol=1e-12)
    # With axes=, one mode per listed axis (scipy 1.11's rule): the same as
    # a window of 1 on the other axes.
    np.testing.assert_allclose(tessera.uniform_filter(v, 3, mode=["wrap", "constant"], axes=(2, 0)),
                               ndi.uniform_filter(v, (3, 1, 3), mode=["constant", "reflect", "wrap"]), rtol=1e-12)
    with pytest.raises(ValueError, match="3 boundary modes for mode, but axes lists 2"):
        tessera.maximum_filter(v, 3, mode=["wrap"] * 3, axes=(0, 1))


def test_a_bad_mode_sequence_names_the_problem(rng):
    a = rng.random((10, 11))
    with pytest.raises(ValueError, match="3 boundary modes for mode, but the input has 2 axes"):
        tessera.uniform_filter(a, 3, mode=["reflect"] * 3)
    with pytest.raises(ValueError, match="unknown boundary mode 'bogus'"):
        tessera.gaussian_filter(a, 1.0, mode=["reflect", "bogus"])
    with pytest.raises(ValueError, match="give one per axis as a sequence"):
        tessera.sobel(a, 0, mode="reflect,wrap")
    with pytest.raises(TypeError, match="a string or a sequence of strings"):
        tessera.sobel(a, 0, mode=["reflect", 3])
    with pytest.raises(ValueError, match="empty sequence"):
        tessera.sobel(a, 0, mode=[])
    with pytest.raises(ValueError, match="1 boundary modes for mode, but the input has 2 axes"):
        tessera.generic_laplace(a, lambda *x: x[0], mode=["reflect"])
