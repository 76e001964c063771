"""The operation registry and the faces made from it: every registered
operation has a Python function with the registry's signature, a Dask twin
equal to the in-memory result on two chunkings, and a CLI subcommand; called
with defaults, every face gives the same result, and a bad argument the same
message."""
import os
import inspect
import subprocess
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

import tessera
import tessera.dask as tdask

CLI = Path(os.environ.get("TESSERA_CLI") or Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tessera")
SPECS = {spec["name"]: spec for spec in tessera.operations()}


def run(*args):
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=120)


def required_arguments(spec):
    """The least a call needs besides the input: a size of 3 where one is
    required (or optional beside a footprint), a weight per image of a stack,
    a value for a statistic of the whole image (Dask's chunks are not it)."""
    return {p["name"]: (np.arange(768.0).reshape(256, 3) / 7 if p["name"] == "table"  # lookup: a row per uint8
                        else np.arange(1.0, 10.0).reshape(3, 3) / 45 if p["kind"] == "array"
                        else [0.25, 0.75] if p["name"] == "weights" else 0.9 if p["whole_image_default"] else 3)
            for p in spec["params"]
            if (p["required"] or p["whole_image_default"] or (p["name"] == "size" and p["default"] is None))
            and p["kind"] not in ("image", "images")}


def is_stack(spec):
    return any(p["kind"] == "images" for p in spec["params"])


def inputs_for(spec, image):
    """The operation's input: the image, a stack of two images, or (lookup)
    the image as uint8 indices."""
    if spec["name"] == "lookup":
        return (image * 200).astype(np.uint8)
    return [image, image * np.float32(0.5) + 1] if is_stack(spec) else image


@pytest.fixture(scope="module")
def image():
    # Positive (speckle filters take intensities), odd and prime sides.
    return np.random.default_rng(7).random((37, 29)).astype(np.float32) + 0.1


def test_every_filter_of_the_old_menu_is_registered():
    assert {"uniform_filter", "local_mean_std", "lee_filter", "kuan_filter", "enhanced_lee_filter", "frost_filter",
            "gamma_map_filter", "maximum_filter", "minimum_filter", "median_filter", "steepest_neighbor",
            "weighted_sum", "stack_mean", "stack_min", "stack_max"} <= set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_python_signature_and_help_come_from_the_registry(name):
    spec = SPECS[name]
    fn = getattr(tessera, name)
    sig = inspect.signature(fn)
    for p in spec["params"]:
        assert p["name"] in sig.parameters
        want = inspect.Parameter.empty if p["required"] else p["default"]
        assert sig.parameters[p["name"]].default == want
    assert list(sig.parameters)[-1] == "threads"
    assert spec["summary"] in fn.__doc__
    for p in spec["params"]:
        assert p["name"] in fn.__doc__
    assert name in tessera.__all__ and name in tdask.__all__
    assert inspect.signature(getattr(tdask, name)) == sig


@pytest.mark.parametrize("name", sorted(SPECS))
def test_defaults_agree_across_python_dask_and_the_cli(name, image, tmp_path):
    spec = SPECS[name]
    kw = required_arguments(spec)
    arg = inputs_for(spec, image)
    want = getattr(tessera, name)(arg, **kw)
    wants = tuple(np.asarray(w) for w in (want if isinstance(want, tuple) else (want,)))
    # The lazy face gives the same bits.
    lazy = getattr(tessera, name)([tessera.asarray(a) for a in arg] if is_stack(spec) else tessera.asarray(arg), **kw)
    for w, l in zip(wants, lazy if isinstance(lazy, tuple) else (lazy,)):
        np.testing.assert_array_equal(np.asarray(l), w)
    # Dask on two chunkings, one with chunks smaller than some halos.
    for chunks in [(10, 8), (20, 29)]:
        if is_stack(spec):
            got = getattr(tdask, name)([da.from_array(a, chunks=chunks) for a in arg], **kw)
        else:
            got = getattr(tdask, name)(da.from_array(arg, chunks=chunks), **kw)
        gots = got if isinstance(got, tuple) else (got,)
        assert len(gots) == len(wants)
        for w, g in zip(wants, gots):
            np.testing.assert_array_equal(g.compute(), w)
    # The CLI: one subcommand, its options generated from the same spec.
    outs = [tmp_path / f"{o}.npy" for o in spec["outputs"]]
    for k, v in kw.items():
        if isinstance(v, np.ndarray):  # an array parameter: a .npy file on the command line
            np.save(tmp_path / f"{k}.npy", v)
    opts = [x for k, v in kw.items()
            for x in (f"--{k}", tmp_path / f"{k}.npy" if isinstance(v, np.ndarray)
                      else ",".join(map(str, v)) if isinstance(v, list) else v)]
    if is_stack(spec):
        files = []
        for k, a in enumerate(arg):
            np.save(tmp_path / f"in{k}.npy", a)
            files.append(tmp_path / f"in{k}.npy")
        r = run(name, *files, "-o", outs[0], *opts)
    else:
        np.save(tmp_path / "in.npy", arg)
        r = run(name, tmp_path / "in.npy", *outs, *opts)
    assert r.returncode == 0, r.stderr
    for w, o in zip(wants, outs):
        np.testing.assert_array_equal(np.load(o), w)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_cli_help_lists_every_parameter_with_its_default(name):
    r = run(name, "--help")
    assert r.returncode == 0, r.stderr
    assert SPECS[name]["summary"] in r.stdout
    for p in SPECS[name]["params"]:
        if p["kind"] in ("image", "images") or p["kind"] == "dtype":
            continue
        assert f"--{p['name']}" in r.stdout
        if not p["required"]:
            assert "default" in r.stdout


def test_tessera_ops_lists_every_operation_with_parameters_and_defaults():
    r = run("ops")
    assert r.returncode == 0, r.stderr
    for name, spec in SPECS.items():
        assert f"{name}(" in r.stdout
    assert "frost_filter(input, size=7, damping=2, mode='reflect', cval=0)" in r.stdout
    md = run("ops", "--markdown")
    assert md.stdout.count("\n") == len(SPECS)


def test_frost_damping_is_two_on_every_face(image, tmp_path):
    # One default (SNAP's), read from the registry by C++, Python, Dask and the CLI.
    assert inspect.signature(tessera.frost_filter).parameters["damping"].default == 2.0
    np.testing.assert_array_equal(tessera.frost_filter(image), tessera.frost_filter(image, damping=2.0))
    assert not np.array_equal(tessera.frost_filter(image), tessera.frost_filter(image, damping=1.0))
    np.save(tmp_path / "in.npy", image)
    assert run("filter", "frost", tmp_path / "in.npy", tmp_path / "f.npy").returncode == 0
    np.testing.assert_array_equal(np.load(tmp_path / "f.npy"), tessera.frost_filter(image, damping=2.0))


@pytest.mark.parametrize("name, kwargs, error, message", [
    ("frost_filter", {"damping": -1}, ValueError, "frost_filter: damping must be >= 0, got -1"),
    ("lee_filter", {"looks": 0}, ValueError, "lee_filter: looks must be > 0, got 0"),
    ("enhanced_lee_filter", {"size": 4}, ValueError, "enhanced_lee_filter: size must be odd and between 1 and 255, "
                                                     "got 4"),
    ("uniform_filter", {"size": -1}, ValueError, "uniform_filter: size must be between 0 and 1025 on every axis, "
                                                 "got -1"),
    ("median_filter", {"size": 3, "mode": "bogus"}, ValueError, "median_filter: unknown boundary mode 'bogus' for "
                                                                "mode"),
    ("steepest_neighbor", {"edges": "none"}, ValueError, "steepest_neighbor: unknown edge rule 'none' for edges"),
])
def test_a_bad_argument_gets_one_message_on_every_face(name, kwargs, error, message, image, tmp_path):
    with pytest.raises(error) as e:
        getattr(tessera, name)(image, **kwargs)
    assert message in str(e.value)
    with pytest.raises(error) as e:
        getattr(tdask, name)(da.from_array(image, chunks=10), **kwargs)
    assert message in str(e.value)
    np.save(tmp_path / "in.npy", image)
    r = run(name, tmp_path / "in.npy", tmp_path / "out.npy", *[x for k, v in kwargs.items() for x in (f"--{k}", v)])
    assert r.returncode == 2
    assert r.stderr.strip() == f"tessera: error: {message}" or message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.npy").exists()


@pytest.mark.parametrize("size, message", [
    (3.5, "uniform_filter: size must be an integer or a sequence of integers, got 3.5"),
    ("3", "uniform_filter: size must be an integer or a sequence of integers, got '3'"),
    (True, "uniform_filter: size must be an integer or a sequence of integers, got True"),
    (2 ** 63, "uniform_filter: size: 9223372036854775808 is out of range"),
])
def test_sizes_of_the_wrong_type_name_the_operation(size, message, image):
    with pytest.raises((TypeError, ValueError)) as e:
        tessera.uniform_filter(image, size)
    assert str(e.value) == message


def test_sizes_accept_numpy_integers_integral_floats_and_arrays(image):
    want = tessera.uniform_filter(image, 3)
    for size in [np.int64(3), 3.0, np.float32(3), np.array([3, 3]), (np.int16(3), 3)]:
        np.testing.assert_array_equal(tessera.uniform_filter(image, size), want)


def test_unknown_and_missing_arguments(image):
    with pytest.raises(TypeError, match="uniform_filter: missing a required argument: 'size'"):
        tessera.uniform_filter(image)
    with pytest.raises(TypeError, match="frost_filter: got an unexpected keyword argument 'looks'"):
        tessera.frost_filter(image, looks=3)


def test_image_halo_and_alignment_come_from_the_graph(image):
    x = tessera.asarray(image)
    assert tessera.uniform_filter(x, (5, 3)).halo() == (2, 1)
    assert tessera.uniform_filter(tessera.maximum_filter(x, 7), 3).halo() == (4, 4)
    assert (x + 1).halo() == (0, 0)
    # Window sums above 8 follow blocks at multiples of the window; direct ones and maxima follow none.
    assert tessera.uniform_filter(x, (11, 3)).alignment() == (11, 1)
    assert tessera.maximum_filter(x, 15).alignment() == (1, 1)
    assert tessera.uniform_filter(tessera.uniform_filter(x, 9), 12).alignment() == (36, 36)


def test_readme_table_is_the_registrys():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("<!-- operations:")
    table = readme[start:readme.index("<!-- end of operations -->", start)]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows == run("ops", "--markdown").stdout.splitlines()


def test_the_expression_functions_are_the_expression_languages_own():
    names = tessera.function_names()
    assert {"where", "clip", "sqrt", "arctan2", "abs"} <= set(names)
    x = np.array([0.25, 4.0])
    for name in names:
        assert name in tessera.__all__ and callable(getattr(tessera, name))
    np.testing.assert_array_equal(np.asarray(tessera.sqrt(x)), np.sqrt(x))
    np.testing.assert_array_equal(np.asarray(tessera.where(x > 1, x, 0)), np.where(x > 1, x, 0))
