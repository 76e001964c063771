"""steepest_neighbor against a float64 numpy implementation of the rule and
the 004 seed's vectorised answer (its centre bug fixed), with ties, plateaus,
NaN, thin shapes, views, both edge modes, and the CLI."""
import os
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tessera


def reference(a, edges="ignore"):
    a = a.astype(np.float64)
    offsets = list(itertools.product((-1, 0, 1), repeat=a.ndim))
    centre = len(offsets) // 2
    p = np.pad(a, 1, mode="constant", constant_values=np.nan)
    best = np.full(a.shape, -np.inf)
    label = np.full(a.shape, centre, np.uint8)
    all_greater = np.ones(a.shape, bool)
    with np.errstate(invalid="ignore"):
        for k, off in enumerate(offsets):
            if k == centre:
                continue
            n = p[tuple(slice(1 + o, 1 + o + s) for o, s in zip(off, a.shape))]
            candidate = ~np.isnan(n)
            all_greater &= ~candidate | (n > a)
            score = (a - n) / np.sqrt(sum(o * o for o in off))
            better = candidate & (score > best)
            best = np.where(better, score, best)
            label = np.where(better, np.uint8(k), label)
    label = np.where(np.isnan(a) | all_greater, np.uint8(centre), label)
    if edges == "zero":
        border = np.zeros(a.shape, bool)
        for axis in range(a.ndim):
            idx = [slice(None)] * a.ndim
            idx[axis] = [0, a.shape[axis] - 1]
            border[tuple(idx)] = True
        label[border] = 0
    return label


def seed_fixed(image):
    """The 004 answer's create_label2, with the centre excluded from the
    'all neighbours greater' test (its bug)."""
    locations = np.array(list(itertools.product(range(-1, 2), repeat=3)))
    d = np.linalg.norm(locations, axis=1)
    inv = np.divide(1, d, out=np.zeros_like(d), where=d != 0)
    image = image.astype(np.float32)
    label = np.zeros_like(image)
    s = image.shape
    nb = np.lib.stride_tricks.sliding_window_view(image, (3, 3, 3))
    cmr = image[1:-1, 1:-1, 1:-1, None, None, None] - nb
    div = cmr * inv.reshape(1, 1, 1, 3, 3, 3)
    div[:, :, :, 1, 1, 1] = -100
    cls = np.argmax(div.reshape(s[0] - 2, s[1] - 2, s[2] - 2, 27), axis=3)
    others = cmr.reshape(s[0] - 2, s[1] - 2, s[2] - 2, 27)
    others = np.delete(others, 13, axis=3)
    label[1:-1, 1:-1, 1:-1] = np.where((others < 0).all(axis=3), 13, cls)
    return label


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (2, 2), (3, 7), (37, 41), (1, 1, 1), (1, 2, 3), (3, 3, 3),
                                   (17, 13, 11), (2, 30, 1)])
@pytest.mark.parametrize("edges", ["ignore", "zero"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int16])
def test_matches_the_rule(shape, edges, dtype, rng):
    # few levels: many ties and plateaus
    a = rng.integers(0, 4, shape).astype(dtype)
    np.testing.assert_array_equal(tessera.steepest_neighbor(a, edges=edges), reference(a, edges))
    b = rng.standard_normal(shape).astype(dtype) if np.dtype(dtype).kind == "f" else a
    np.testing.assert_array_equal(tessera.steepest_neighbor(b, edges=edges), reference(b, edges))


def test_nan_rules(rng):
    a = rng.random((9, 10, 11))
    a[4, 5, 6] = np.nan
    a[0, 0, 0] = np.nan
    got = tessera.steepest_neighbor(a)
    np.testing.assert_array_equal(got, reference(a))
    assert got[4, 5, 6] == 13  # a NaN element gets the centre
    assert (got[3:6, 4:7, 5:8].ravel()[[i for i in range(27) if i != 13]] != 26 - np.arange(27)[
        [i for i in range(27) if i != 13]]).all()  # no neighbour points at the NaN


def test_equals_the_seed_answer_on_the_interior(rng):
    v = rng.random((20, 22, 24)).astype(np.float32)
    v[5:9, 5:9, 5:9] = 0.5  # a plateau
    got = tessera.steepest_neighbor(v, edges="zero")
    want = seed_fixed(v)
    np.testing.assert_array_equal(got[1:-1, 1:-1, 1:-1], want[1:-1, 1:-1, 1:-1].astype(np.uint8))


def test_views_lazy_and_threads(rng):
    base = rng.integers(0, 5, (40, 50, 30)).astype(np.float32)
    v = base[::-2, 1::3, ::-1]
    np.testing.assert_array_equal(tessera.steepest_neighbor(v), reference(v))
    lazy = tessera.steepest_neighbor(tessera.asarray(base) * -1)
    assert isinstance(lazy, tessera.Image) and lazy.dtype == np.uint8
    np.testing.assert_array_equal(np.asarray(lazy), reference(-base))
    np.testing.assert_array_equal(tessera.steepest_neighbor(base, threads=1), tessera.steepest_neighbor(base, threads=3))


def test_errors():
    with pytest.raises(ValueError, match="2-D or 3-D"):
        tessera.steepest_neighbor(np.zeros(5))
    with pytest.raises(ValueError, match="edges"):
        tessera.steepest_neighbor(np.zeros((3, 3)), edges="wrap")
    with pytest.raises(TypeError, match="numeric"):
        tessera.steepest_neighbor(np.zeros((3, 3), bool))


CLI = os.environ.get("TESSERA_CLI") or str(Path(sys.executable).parent / "tessera")  # make sanitize sets it


def test_cli(tmp_path, rng):
    v = rng.random((12, 13, 14)).astype(np.float32)
    np.save(tmp_path / "v.npy", v)
    for edges in ["ignore", "zero"]:
        r = subprocess.run([CLI, "steepest", str(tmp_path / "v.npy"), str(tmp_path / "l.npy"), "--edges", edges],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        np.testing.assert_array_equal(np.load(tmp_path / "l.npy"), reference(v, edges))
    r = subprocess.run([CLI, "steepest", str(tmp_path / "nope.npy"), str(tmp_path / "x.npy")], capture_output=True,
                       text=True)
    assert r.returncode != 0 and r.stderr.startswith("tessera: error:") and not (tmp_path / "x.npy").exists()
