"""Reductions beside numpy and numexpr, in one fresh process (bench/run.py
calls it): evaluate("sum(a * b)") as numexpr writes it, axis sums, max.
tessera runs first, so that its peak RSS growth is measured before numpy's
temporaries raise the peak.

    .venv/bin/python bench/reductions.py full|quick   # the table's rows as JSON
"""
import json
import os
import resource
import sys

import numpy as np

import tessera

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import best_time  # noqa: E402


def best(f, repeat=3):
    """The best of `repeat` timed runs, with no warm-up run first."""
    return best_time(f, repeat, warm=False)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(size):
    rng = np.random.default_rng(5)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    tessera.evaluate("sum(a * b)", a=a[:64, :64], b=b[:64, :64])  # the pool started
    base = peak_mb()
    t_sum = best(lambda: tessera.evaluate("sum(a * b)", a=a, b=b), 5)
    t_ax0 = best(lambda: tessera.evaluate("sum(a * b, axis=0)", a=a, b=b), 5)
    t_ax1 = best(lambda: tessera.evaluate("sum(a * b, axis=1)", a=a, b=b), 5)
    t_max = best(lambda: tessera.max(a), 5)
    grown = peak_mb() - base
    exact = float(np.dot(a.ravel().astype(np.float64), b.ravel().astype(np.float64)))
    err_t = abs(float(tessera.evaluate("sum(a * b)", a=a, b=b)) - exact) / exact
    err_n = abs(float((a * b).sum()) - exact) / exact
    n_sum = best(lambda: (a * b).sum(), 3)
    n_ax0 = best(lambda: (a * b).sum(axis=0), 3)
    n_ax1 = best(lambda: (a * b).sum(axis=1), 3)
    n_max = best(lambda: a.max(), 3)
    rows = [[f'evaluate("sum(a * b)") {size}x{size} float32', t_sum, "numpy (a * b).sum()", n_sum, n_sum / t_sum,
             ">=1", n_sum / t_sum >= 1, f"rel. error {err_t:.1e} (numpy {err_n:.1e})"]]
    try:
        import numexpr
        ne = best(lambda: numexpr.evaluate("sum(a * b)", local_dict={"a": a, "b": b}), 3)
        rows.append(["", None, "numexpr sum(a * b)", ne, ne / t_sum, "", True, ""])
    except ImportError:
        pass
    rows += [
        ["the same, peak RSS growth (MB)", None, "", grown, None, "< 64 MB", grown < 64, f"{grown:.0f} MB"],
        ['evaluate("sum(a * b, axis=0)")', t_ax0, "numpy (a * b).sum(axis=0)", n_ax0, n_ax0 / t_ax0, ">=1",
         n_ax0 / t_ax0 >= 1, ""],
        ['evaluate("sum(a * b, axis=1)")', t_ax1, "numpy (a * b).sum(axis=1)", n_ax1, n_ax1 / t_ax1, ">=1",
         n_ax1 / t_ax1 >= 1, ""],
        ["tessera.max(a)", t_max, "numpy a.max()", n_max, n_max / t_max, "(none)", True, ""],
    ]
    print(json.dumps(rows))


if __name__ == "__main__":
    main(2000 if sys.argv[1:] == ["quick"] else 10000)
