"""tessera on Dask arrays: the same operations, lazily, chunk by chunk, on one
machine or a cluster, with results equal to the in-memory ones.

Every function here takes Dask arrays (and numpy arrays, scalars, paths where
the in-memory function does) and returns a Dask array. Neighbourhood
operations give each chunk exactly the halo it needs, gathered from its
neighbours; where a chunk touches the image's border the halo is filled by
tessera's own boundary table (reflect, mirror, nearest, wrap, constant), so a
chunk sees precisely what the whole-image computation sees, for any chunking,
chunks smaller than the halo included.

Threads: inside a chunk tessera runs on ``threads`` threads (default: all
cores, or TESSERA_NUM_THREADS). Dask runs several chunks at once too; so that
the two do not oversubscribe the cores, give Dask one thread per worker
process and tessera the cores of that process: on one machine
``LocalCluster(n_workers=k, threads_per_worker=1)`` and ``threads=cores // k``;
with Dask's threaded scheduler, ``dask.config.set(num_workers=1)`` and the
default threads, or ``threads=1`` and Dask's default workers.

Memory: tessera keeps the memory of freed results for the next result of the
same size, 2 s at most (tessera.retained_bytes). A worker counts it in the
process memory by which it spills and pauses, so in a worker with a memory
limit tessera keeps at most an eighth of that limit (set_retained_limit
changes it, 0 keeps nothing).
"""
import os

import dask.array as da
import numpy as np

import tessera
from tessera import registry as _registry

from ._files import from_tiff, from_zarr, to_tiff, to_zarr
from ._halo import _as_dask, _Cropped, _fit_kept_memory_to_worker, _neighbourhood, _probe_dtype
from ._halo import source_indices  # noqa: F401 (public: the boundary table as indices)

__all__ = ["evaluate", "kernel", *(spec["name"] for spec in tessera.operations()), "weighted_sum", "stack_mean",
           "stack_min", "stack_max", "map_tiles", "from_tiff", "to_tiff", "from_zarr", "to_zarr"]


# ---- operations: a twin of every registered operation ----

def _bind(sig, name, args, kwargs):
    """The arguments a twin was called with, by name (only those given: the
    registry fills the defaults), and its threads=."""
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"tessera.dask.{name}: {e}") from None
    arguments = dict(bound.arguments)
    return arguments, arguments.pop("threads", None)


def _twin(spec):
    """The Dask twin of a registered operation: its signature, its checks
    (the registry's, through the in-memory function) and, per chunk, exactly
    the halo and block grid the engine reports for the lazy result
    (Image.halo(), Image.alignment()). Nothing here knows any operation."""
    name = spec["name"]
    sig = _registry.signature(spec)
    main = next(p for p in spec["params"] if p["kind"] in ("image", "images"))
    op = getattr(tessera, name)
    if main["kind"] == "images":
        return _stack_twin(spec, sig, main["name"], op)

    def twin(*args, **kwargs):
        arguments, threads = _bind(sig, name, args, kwargs)
        for p in spec["params"]:
            if p.get("whole_image_default") and arguments.get(p["name"]) is None:
                raise ValueError(f"tessera.dask.{name}: give {p['name']}: its default is computed from the whole "
                                 f"image, which one chunk is not")
        if isinstance(arguments.get("output"), np.ndarray):
            raise TypeError(f"tessera.dask.{name}: output must be a dtype; a Dask result is not computed into an array")
        x = _as_dask(arguments.pop(main["name"]), f"{name}: {main['name']}")

        def lazy(image):
            return op(image, **arguments)
        # The operation on a stand-in of the whole array (no memory: every
        # element is one zero) checks the arguments and tells the geometry.
        probe = lazy(tessera.asarray(np.broadcast_to(np.zeros((), x.dtype), x.shape)))
        results = probe if isinstance(probe, tuple) else (probe,)
        extra = tuple(results[0].shape[x.ndim:])
        if tuple(results[0].shape[:x.ndim]) != tuple(x.shape):
            raise ValueError(f"tessera.dask.{name}: its result's leading axes differ from the input's; compute it "
                             f"with tessera.{name}")
        if extra and any(max(r.halo()[k] for r in results) for k in range(x.ndim)):
            raise ValueError(f"tessera.dask.{name}: a result with axes of its own and a halo is not supported")
        if extra:
            # Trailing axes of its own (lookup's colours), no halo: chunk by chunk.
            def run(block):
                _fit_kept_memory_to_worker()
                return np.asarray(lazy(tessera.asarray(block)).compute(threads=threads))
            return da.map_blocks(run, x, dtype=results[0].dtype, chunks=x.chunks + tuple((n,) for n in extra),
                                 new_axis=list(range(x.ndim, x.ndim + len(extra))))
        halo = tuple(max(r.halo()[k] for r in results) for k in range(x.ndim))
        align = tuple(np.lcm.reduce([r.alignment()[k] for r in results]) for k in range(x.ndim))
        # The operation applies its own boundary where a chunk meets the
        # image's border, except that "wrap" reads the chunks on the other side.
        modes = arguments.get("mode")
        if isinstance(modes, (list, tuple)) and "wrap" in modes and any(m != "wrap" for m in modes):
            raise ValueError(f"tessera.dask.{name}: 'wrap' on some axes but not all is not supported on Dask "
                             f"(a chunk at the border would read across it on those axes only); use tessera.{name} "
                             f"or one mode")
        if isinstance(modes, (list, tuple)) and modes and all(m == "wrap" for m in modes):
            modes = "wrap"
        mode = "wrap" if modes == "wrap" else None
        leading = (len(results),) if len(results) > 1 else ()
        out = _neighbourhood(x, halo, mode, 0.0, _Cropped(lazy, threads), results[0].dtype, leading=leading,
                             align=align)
        return tuple(out[k] for k in range(len(results))) if leading else out

    twin.__name__ = twin.__qualname__ = name
    twin.__module__ = __name__
    twin.__signature__ = sig
    twin.__doc__ = f"tessera.{name} on a Dask array.\n\n" + _registry.docstring(spec, face="dask")
    return twin


def _stack_twin(spec, sig, main, op):
    """The twin of an operation over a stack of images of one shape (no
    halo): the arrays' chunks unified, the operation chunk by chunk."""
    name = spec["name"]

    def twin(*args, **kwargs):
        arguments, threads = _bind(sig, name, args, kwargs)
        images = arguments.pop(main)
        if isinstance(images, (str, os.PathLike, np.ndarray, da.Array)):
            raise TypeError(f"tessera.dask.{name} takes a sequence of images (Dask or numpy arrays, or paths)")
        arrays = [from_tiff(x) if isinstance(x, (str, os.PathLike)) else _as_dask(x, f"{name}: item {k}")
                  for k, x in enumerate(images)]
        # The operation on stand-ins checks the arguments and shapes, and tells the dtype.
        probe = op([tessera.asarray(np.broadcast_to(np.zeros((), a.dtype), a.shape)) for a in arrays], **arguments)
        if not arrays:
            raise ValueError(f"{name}: needs at least one image")
        arrays = da.core.unify_chunks(*[x for a in arrays for x in (a, tuple(range(a.ndim)))])[1]

        def run(*blocks):
            _fit_kept_memory_to_worker()
            return np.asarray(op([tessera.asarray(b) for b in blocks], **arguments).compute(threads=threads))
        return da.map_blocks(run, *arrays, dtype=probe.dtype)

    twin.__name__ = twin.__qualname__ = name
    twin.__module__ = __name__
    twin.__signature__ = sig
    twin.__doc__ = f"tessera.{name} on Dask arrays.\n\n" + _registry.docstring(spec, face="dask")
    return twin


for _spec in tessera.operations():
    globals()[_spec["name"]] = _twin(_spec)
del _spec


def map_tiles(func, array, halo=0, mode="reflect", cval=0.0, dtype=None):
    """func (a numpy function of a chunk with its halo, returning an array of
    the same shape) over every chunk, the halo trimmed from its result."""
    x = _as_dask(array)
    dtype = np.dtype(dtype) if dtype is not None else _probe_dtype(func, x)
    return _neighbourhood(x, halo, mode, cval, func, dtype, tessera_fn=False)


# ---- user kernels ----

def kernel(k, *arrays, mode="reflect", cval=0.0, dtype=None, threads=None, **constants):
    """A @tessera.kernel over Dask arrays, chunk by chunk, equal to the
    in-memory result for any chunking. Its halo and block grid come from the
    engine (the kernel's lazy result on stand-ins), as for every twin. A
    kernel that reads neighbours takes one Dask input; element-wise kernels
    take any number (broadcast and aligned)."""
    if not isinstance(k, tessera.Kernel):
        raise TypeError(f"tessera.dask.kernel: expected a @tessera.kernel function, got {type(k).__name__}")
    xs = [_as_dask(a, f"kernel {k.__name__}: input {i}") for i, a in enumerate(arrays)]

    def lazy(*images):
        return k(*images, mode=mode, cval=cval, dtype=dtype, **constants)
    # The kernel on stand-ins of the whole arrays (one zero each) checks the
    # call and tells the geometry and the dtype.
    probe = lazy(*[tessera.asarray(np.broadcast_to(np.zeros((), x.dtype), x.shape)) for x in xs])
    results = probe if isinstance(probe, tuple) else (probe,)
    ndim = results[0].ndim
    halo = tuple(max(r.halo()[a] for r in results) for a in range(ndim))
    align = tuple(np.lcm.reduce([r.alignment()[a] for r in results]) for a in range(ndim))
    leading = (len(results),) if len(results) > 1 else ()
    if any(halo):
        if len(xs) != 1:
            raise NotImplementedError(f"tessera.dask.kernel: {k.__name__} reads neighbours of {len(xs)} inputs; "
                                      "on Dask a kernel with neighbours takes one input (stack them)")
        out = _neighbourhood(xs[0], halo, "wrap" if mode == "wrap" else None, 0.0, _Cropped(lazy, threads),
                             results[0].dtype, leading=leading, align=align)
    else:
        xs = da.broadcast_arrays(*xs)

        def run(*blocks):
            _fit_kept_memory_to_worker()
            r = lazy(*[tessera.asarray(b) for b in blocks])
            if isinstance(r, tuple):
                return np.stack([x.compute(threads=threads) for x in r])
            return r.compute(threads=threads)
        out = da.map_blocks(run, *xs, dtype=results[0].dtype,
                            new_axis=[0] if leading else None,
                            chunks=(((leading[0],),) + xs[0].chunks) if leading else None)
    return tuple(out[i] for i in range(len(results))) if leading else out


# ---- element-wise ----

def evaluate(expression, threads=None, **variables):
    """tessera.evaluate over Dask arrays (broadcast and aligned), chunk by chunk."""
    names = tessera._core.expression_names(expression)
    missing = [n for n in names if n not in variables]
    if missing:
        raise NameError(f"tessera.dask.evaluate: no value for {', '.join(missing)} (pass them as keywords)")
    arrays = {k: v for k, v in variables.items() if isinstance(v, (da.Array, np.ndarray))}
    scalars = {k: v for k, v in variables.items() if k not in arrays}
    keys = list(arrays)
    dask_arrays = da.broadcast_arrays(*[_as_dask(arrays[k]) for k in keys]) if keys else []

    def run(*blocks):
        _fit_kept_memory_to_worker()
        return tessera.evaluate(expression, threads=threads, **dict(zip(keys, blocks)), **scalars)
    sample = {k: np.zeros((1,) * max(a.ndim, 1), a.dtype) for k, a in zip(keys, dask_arrays)}
    dtype = tessera.evaluate(expression, **sample, **scalars).dtype
    if not keys:
        return da.from_array(np.asarray(tessera.evaluate(expression, **scalars)))
    return da.map_blocks(run, *dask_arrays, dtype=dtype)
