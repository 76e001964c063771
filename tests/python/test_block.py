"""tessera.block against numpy.block: random pieces of odd and prime sizes,
every dtype, non-contiguous views, 1 to 3 axes, regions inside one piece
and across several, filters over the assembled image in every mode, and
the errors."""
import numpy as np
import pytest
import scipy.ndimage as ndi

import tessera
from conftest import DTYPES, random_array

MODES = ["reflect", "mirror", "nearest", "wrap", "constant"]


def grid_of(rng, sizes, dtype, views=False, special=False):
    """A nested list of random pieces: sizes[axis] lists the sizes of the grid
    slices along that axis. With views, every other piece is a strided view;
    with special, floats include NaN and infinities."""
    def make(index):
        shape = tuple(sizes[a][i] for a, i in enumerate(index))
        if views and sum(index) % 2:
            big = random_array(rng, tuple(2 * s + 1 for s in shape), dtype, special)
            return big[tuple(slice(None, 2 * s, 2) for s in shape)][..., ::-1]
        return random_array(rng, shape, dtype, special)

    def nest(prefix):
        if len(prefix) == len(sizes):
            return make(prefix)
        return [nest(prefix + (i,)) for i in range(len(sizes[len(prefix)]))]
    return nest(())


@pytest.mark.parametrize("dtype", DTYPES)
def test_block_equals_numpy_block_every_dtype_and_views(dtype, rng):
    grid = grid_of(rng, [(3, 7, 2), (5, 1, 11)], dtype, views=True, special=True)
    want = np.block(grid)
    img = tessera.block(grid)
    assert img.shape == want.shape and img.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(img), want)


@pytest.mark.parametrize("sizes", [[(4, 13, 2)], [(3, 7), (5, 2, 11)], [(2, 3), (5, 1), (7, 3, 2)]])
def test_block_regions_inside_one_piece_and_across(sizes, rng):
    grid = grid_of(rng, sizes, np.float32, views=True, special=True)
    want = np.block(grid)
    img = tessera.block(grid)
    for _ in range(40):
        sel = []
        for n in want.shape:
            a, b = sorted(rng.integers(0, n + 1, 2))
            sel.append(slice(int(a), int(b) + (a == b and b < n)))
        sel = tuple(sel)
        np.testing.assert_array_equal(np.asarray(img[sel]), want[sel])
        np.testing.assert_array_equal(np.asarray((img * 2)[sel]), want[sel] * 2)


@pytest.mark.parametrize("mode", MODES)
def test_filters_over_a_block_equal_over_the_assembled_array(mode, rng):
    grid = grid_of(rng, [(3, 97, 5), (4, 131, 2)], np.float32, views=True)
    whole = np.block(grid)
    img = tessera.block(grid)
    np.testing.assert_array_equal(np.asarray(tessera.uniform_filter(img, 7, mode=mode, cval=2.0)),
                                  tessera.uniform_filter(whole, 7, mode=mode, cval=2.0))
    np.testing.assert_array_equal(np.asarray(tessera.enhanced_lee_filter(img, 7, looks=4, mode=mode)),
                                  tessera.enhanced_lee_filter(whole, 7, looks=4, mode=mode))
    np.testing.assert_array_equal(np.asarray(tessera.maximum_filter(img, 5, mode=mode, threads=3)),
                                  ndi.maximum_filter(whole, 5, mode=mode))
    inner = (slice(3, 100), slice(4, 135))
    np.testing.assert_array_equal(tessera.enhanced_lee_filter(img, 7, looks=4, mode=mode)[inner].compute(threads=2),
                                  tessera.enhanced_lee_filter(whole, 7, looks=4, mode=mode)[inner])


def test_block_keeps_its_pieces_alive(rng):
    pieces = [[rng.random((3, 4)), rng.random((3, 2))]]
    want = np.block(pieces)
    img = tessera.block(pieces)
    del pieces
    np.testing.assert_array_equal(np.asarray(img), want)


def test_block_errors(rng):
    a, b = np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)
    cases = {
        "not all of length 2": [[a, b], [a]],
        r"piece at \(1, 1\) has shape \(2, 3\), its place in the grid needs \(2, 4\)": [[a, b], [a, a]],
        r"piece at \(0, 1\) is float64, the first float32": [[a, b.astype(np.float64)]],
        "not all 2 lists deep": [a, [b]],
        "an empty list": [[]],
        "has 1 axes, the grid 2": [[np.zeros(3, np.float32)]],
    }
    for message, grid in cases.items():
        with pytest.raises(ValueError, match=message):
            tessera.block(grid)
    with pytest.raises(TypeError, match="nested"):
        tessera.block(a)
    with pytest.raises(TypeError):
        tessera.block([[a, "text"]])
