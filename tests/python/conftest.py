import os

import numpy as np
import pytest

DTYPES = [np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64,
          np.float32, np.float64]
NUMERIC = [d for d in DTYPES if d is not np.bool_]
FLOATS = [np.float32, np.float64]


def random_array(rng, shape, dtype, special=False):
    """Random data spanning the dtype's useful range; floats optionally with NaN and infinities."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        lo, hi = max(info.min, -1000), min(info.max, 1000)
        a = rng.integers(lo, hi, shape, endpoint=True).astype(dtype)
        if a.size > 4:  # include the extremes, to exercise wrap-around
            a.flat[0], a.flat[1] = info.min, info.max
        return a
    a = (rng.standard_normal(shape) * 10).astype(dtype)
    if special and a.size > 6:
        a.flat[0], a.flat[1], a.flat[2], a.flat[3] = np.nan, np.inf, -np.inf, -0.0
    return a


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def tessera_dtype(numpy_result_dtype):
    """tessera's documented result dtype where numpy's would be float16."""
    return np.dtype(np.float32) if numpy_result_dtype == np.float16 else numpy_result_dtype


# Under `make sanitize` the interpreter runs with the ASan runtime preloaded
# (LD_PRELOAD), which every child inherits. Child interpreters and tessera's
# own (instrumented) command line need it or tolerate it; other programs the
# tests run to check tessera's files (libvips, GDAL, libtiff's tools) can
# hang under it, and are not what is being checked: they run without it.
if os.environ.get("TESSERA_SANITIZED"):
    import subprocess as _subprocess

    _popen_init = _subprocess.Popen.__init__

    def _popen_init_without_preload_for_other_programs(self, args, *a, **kw):
        program = os.path.basename(str(args[0] if isinstance(args, (list, tuple)) else str(args).split()[0]))
        ours = program.startswith("python") or program == "tessera"
        if not ours:
            env = dict(kw.get("env") or os.environ)
            env.pop("LD_PRELOAD", None)
            kw["env"] = env
        _popen_init(self, args, *a, **kw)

    _subprocess.Popen.__init__ = _popen_init_without_preload_for_other_programs
