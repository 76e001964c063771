"""The halo exchange: a function over every chunk of a Dask array with the
halo it needs, gathered from its neighbours (two small tasks per chunk), or
gathered by index where a chunk is smaller than the halo or the graph
follows a block grid. Knows no operation: the twins (tessera.dask) give it
the halo and grid the engine reports."""
import dask.array as da
import numpy as np

import tessera


def source_indices(start, stop, n, mode):
    """Indices into an axis of length n for the coordinates [start, stop),
    by tessera's boundary table (scipy.ndimage's definitions); -1 where the
    constant applies. ValueError names the modes if `mode` is not one."""
    return tessera._core.boundary_indices(int(start), int(stop), int(n), mode)


_fitted_to_worker = False


def _fit_kept_memory_to_worker():
    """In a Dask worker with a memory limit, caps what tessera keeps of freed
    results for reuse (tessera.retained_bytes) at an eighth of that limit:
    the worker spills and pauses by its process memory, which counts it.
    Once per process that hosts a worker; outside one (the client building a
    graph, Dask's threaded scheduler) it looks again next time, as a worker
    may start in this process later."""
    global _fitted_to_worker
    if _fitted_to_worker:
        return
    try:
        from distributed import get_worker
    except ImportError:  # no distributed: never a worker
        _fitted_to_worker = True
        return
    try:
        limit = get_worker().memory_manager.memory_limit
    except Exception:  # not in a worker
        return
    _fitted_to_worker = True
    if limit:
        tessera.set_retained_limit(min(tessera.retained_limit(), int(limit) // 8))


def _naming_chunk(fn, block, where):
    """fn(block); an exception keeps its type and gains the chunk's position."""
    try:
        return fn(block)
    except Exception as e:
        e.args = (f"{e.args[0] if e.args else e} (in the chunk at block {where})",) + e.args[1:]
        raise


class _Cropped:
    """One of tessera's operations on a chunk with its halo (a numpy array or
    a tessera.block of the chunk and its neighbours' strips), computed only
    inside `inner` (the chunk itself): the tiles read the halo in place, and
    the halo's own results, trimmed away anyway, are never computed. `lazy`
    maps a lazy image to a lazy image (or a tuple of them, stacked)."""

    def __init__(self, lazy, threads):
        self.lazy, self.threads = lazy, threads

    def __call__(self, block, inner=None):
        _fit_kept_memory_to_worker()
        result = self.lazy(tessera.asarray(block))
        sel = inner if inner is not None else (slice(None),) * block.ndim
        if isinstance(result, tuple):
            return np.stack([r[sel].compute(threads=self.threads) for r in result])
        return result[sel].compute(threads=self.threads)


def _as_dask(x, what="input"):
    if isinstance(x, da.Array):
        return x
    if isinstance(x, (np.ndarray, list, tuple)):
        return da.from_array(np.asarray(x))
    raise TypeError(f"{what}: expected a Dask or numpy array, got {type(x).__name__}")


def _halo_of(halo, ndim):
    if np.ndim(halo) == 0:
        return (int(halo),) * ndim
    halo = tuple(int(h) for h in halo)
    if len(halo) != ndim:
        raise ValueError(f"halo has {len(halo)} entries for {ndim} axes")
    return halo


def _padded_block(x, block_index, halo, mode, cval, align):
    """The chunk at block_index with its halo: a one-chunk Dask array, per
    axis the positions filled by the constant (or None), and the halo taken
    before and after it per axis. The halo before grows so that the block
    starts at a multiple of align[axis] in image coordinates: tessera's van
    Herk/Gil-Werman window sums sit on blocks at absolute coordinates, and so
    their float64 sums then round exactly as over the whole image.
    mode None: the block stops at the image's border (a tessera operation
    applies its own boundary there, as over the whole image); else the halo
    beyond the border is filled by tessera's table for `mode`."""
    sel, const, befores, afters = [], [], [], []
    for axis, (b, h) in enumerate(zip(block_index, halo)):
        bounds = np.cumsum((0,) + x.chunks[axis])
        n = x.shape[axis]
        before = h + int((bounds[b] - h) % align[axis]) if align else h
        after = h
        if mode is None:
            before, after = min(before, int(bounds[b])), min(after, n - int(bounds[b + 1]))
            idx = np.arange(bounds[b] - before, bounds[b + 1] + after)
        else:
            idx = source_indices(bounds[b] - before, bounds[b + 1] + after, n, mode)
        befores.append(before)
        afters.append(after)
        outside = idx < 0
        const.append(outside if outside.any() else None)
        sel.append(np.where(outside, 0, idx))
    block = x
    for axis, idx in enumerate(sel):
        lo = int(idx.min()) if idx.size else 0
        if idx.size and np.array_equal(idx, np.arange(lo, lo + idx.size)):
            block = block[(slice(None),) * axis + (slice(lo, lo + idx.size),)]  # a plain slice: cheap
        else:
            block = block[(slice(None),) * axis + (idx,)]
    return block.rechunk(block.shape), const, tuple(befores), tuple(afters)


def _border_sources(x, halo, mode):
    """Per axis, where the halo beyond the image's two ends comes from (image
    indices by tessera's table, -1 for the constant), or None for "wrap"
    (the neighbours across the border supply it)."""
    if mode == "wrap":
        return None
    return [(source_indices(-h, 0, n, mode), source_indices(n, n + h, n, mode)) for h, n in zip(halo, x.shape)]


def _exchange_applies(x, halo, mode, align, tessera_fn):
    """Whether the direct halo exchange (_exchange_halos) gives each chunk what
    the whole image gives: every chunk must hold the halo its neighbours take
    from it; windows over 8 need the aligned gather (see _padded_block); and
    where the border is padded here, the first and last chunks must hold what
    the boundary mode reads."""
    if align and max(align) > 1:
        return False
    if not all(min(cs) >= h for cs, h in zip(x.chunks, halo) if h > 0):
        return False
    if not tessera_fn and mode != "wrap":
        for (left, right), cs, n in zip(_border_sources(x, halo, mode), x.chunks, x.shape):
            if (left >= cs[0]).any() or ((right >= 0) & (right < n - cs[-1])).any():
                return False
    return True


def _edge_pieces(block, halo):
    """What a chunk's neighbours take from it, by side: side[k] = -1 for its
    first halo[k] elements along axis k, +1 for its last, 0 for all of them.
    Copies, so a neighbour on another worker receives kilobytes, not the chunk."""
    pieces = {}
    for side in np.ndindex(*(3,) * block.ndim):
        side = tuple(s - 1 for s in side)
        if any(s and not h for s, h in zip(side, halo)) or not any(side):
            continue
        sel = tuple(slice(0, h) if s < 0 else slice(n - h, n) if s > 0 else slice(None)
                    for s, h, n in zip(side, halo, block.shape))
        pieces[side] = block[sel].copy()
    return pieces


def _pad_border(padded, border, cval):
    """Fills the halo beyond the image's border, axis by axis (the table is
    separable): border[k] = (positions before, positions after) in padded's
    axis k, -1 for the constant, or None where a neighbour supplied it."""
    for axis, sides in enumerate(border):
        if sides is None:
            continue
        before, after = sides
        n = padded.shape[axis]
        take = np.concatenate([before, np.arange(n), after])
        constant = take < 0
        padded = np.take(padded, np.where(constant, 0, take), axis=axis)
        if constant.any():
            padded[(slice(None),) * axis + (constant,)] = cval
    return padded


def _run_with_halo(fn, tessera_fn, center, neighbour_pieces, directions, before, after, leading, border, cval,
                   where):
    """Runs fn on the chunk with the pieces of its neighbours around it and
    trims the result to the chunk. A tessera operation reads chunk and pieces
    in place, as one tessera.block, and applies its own boundary mode where
    the chunk ends at the image's border (exactly as over the whole image).
    A user's function gets them copied into one array, the border side filled
    by the boundary table (`border`)."""
    by_direction = {d: pieces[tuple(-s for s in d)] for d, pieces in zip(directions, neighbour_pieces)}
    inner = tuple(slice(b, b + n) for b, n in zip(before, center.shape))
    if tessera_fn:
        sides = [([-1] if b else []) + [0] + ([1] if a else []) for b, a in zip(before, after)]

        def grid(prefix):
            if len(prefix) == len(sides):
                return by_direction[prefix] if any(prefix) else center
            return [grid(prefix + (s,)) for s in sides[len(prefix)]]

        return _naming_chunk(lambda b: fn(b, inner), tessera.block(grid(())), where)
    shape = tuple(b + n + a for b, n, a in zip(before, center.shape, after))
    padded = np.empty(shape, center.dtype)
    padded[inner] = center
    for d, piece in by_direction.items():
        sel = tuple(slice(0, b) if s < 0 else slice(b + n, b + n + a) if s > 0 else slice(b, b + n)
                    for s, b, n, a in zip(d, before, center.shape, after))
        padded[sel] = piece
    if border is not None:
        padded = _pad_border(padded, border, cval)
        inner = tuple(slice(i.start + len(s[0]), i.stop + len(s[0])) if s is not None else i
                      for s, i in zip(border, inner))
    out = _naming_chunk(fn, padded, where)
    return out[(slice(None),) * len(leading) + inner]


def _exchange_halos(x, halo, mode, cval, fn, dtype, leading, tessera_fn):
    """fn over every chunk of x with its halo, as a graph of two small tasks
    per chunk: one cuts the strips its neighbours need, the other runs fn
    where the chunk lives, on the chunk with its neighbours' strips.
    (Dask's map_overlap takes about a dozen tasks per chunk: a slice per
    neighbour, concatenations, a trim; on a cluster they cost more than
    tessera's filter of the chunk.) With mode="wrap" the neighbours across
    the border are the chunks on the other side."""
    from dask.highlevelgraph import HighLevelGraph
    token = da.core.tokenize(x.name, halo, mode, cval, fn, dtype, leading, tessera_fn)
    strips_name, name = "tessera-halo-strips-" + token, "tessera-halo-" + token
    sources = None if tessera_fn else _border_sources(x, halo, mode)
    starts = [np.cumsum((0,) + cs) for cs in x.chunks]

    def neighbour(i, step, axis):
        j = i + step
        if mode == "wrap":
            return j % x.numblocks[axis]
        return j if 0 <= j < x.numblocks[axis] else None

    graph = {(strips_name,) + index: (_edge_pieces, (x.name,) + index, halo) for index in np.ndindex(*x.numblocks)}
    for index in np.ndindex(*x.numblocks):
        has = [(neighbour(i, -1, k) is not None, neighbour(i, 1, k) is not None) for k, i in enumerate(index)]
        before = tuple(h if h and lo else 0 for h, (lo, _) in zip(halo, has))
        after = tuple(h if h and hi else 0 for h, (_, hi) in zip(halo, has))
        directions, keys = [], []
        for d in np.ndindex(*(3,) * x.ndim):
            d = tuple(s - 1 for s in d)
            if any(d) and all((s < 0 and b) or (s > 0 and a) or s == 0 for s, b, a in zip(d, before, after)):
                directions.append(d)
                keys.append((strips_name,) + tuple(neighbour(i, s, k) for k, (i, s) in enumerate(zip(index, d))))
        border = None
        if sources is not None and any(h and not (lo and hi) for h, (lo, hi) in zip(halo, has)):
            # Image indices of the border halo, as positions in the assembled chunk.
            border = []
            for k, (i, h) in enumerate(zip(index, halo)):
                lo, hi = has[k]
                if not h or (lo and hi):
                    border.append(None)
                    continue
                offset = starts[k][i] - before[k]
                left = np.where(sources[k][0] < 0, -1, sources[k][0] - offset) if not lo else np.empty(0, np.intp)
                right = np.where(sources[k][1] < 0, -1, sources[k][1] - offset) if not hi else np.empty(0, np.intp)
                border.append((left, right))
        key = (name,) + (0,) * len(leading) + index
        graph[key] = (_run_with_halo, fn, tessera_fn, (x.name,) + index, keys, directions, before, after, leading,
                      border, cval, index)
    layer = HighLevelGraph.from_collections(name, graph, dependencies=[x])
    chunks = tuple((n,) for n in leading) + x.chunks
    return da.Array(layer, name, chunks, meta=np.empty((0,) * len(chunks), dtype))


def _neighbourhood(x, halo, mode, cval, fn, dtype, leading=(), align=None, tessera_fn=True):
    """Applies fn to every chunk of x with its halo and assembles a Dask
    array chunked as x (with `leading` extra axes first). tessera_fn: fn is
    a _Cropped tessera operation, which computes only the chunk and applies
    its own boundary where the chunk meets the image's border (mode None;
    "wrap": the chunks across the border supply the halo); otherwise fn is a
    user's function (numpy padded chunk -> numpy array of the same shape),
    whose halo at the border is filled for it by `mode` and whose result is
    trimmed."""
    x = _as_dask(x)
    halo = _halo_of(halo, x.ndim)
    if mode is not None:
        source_indices(0, 0, 1, mode)  # checks the mode before any work

    if _exchange_applies(x, halo, mode, align, tessera_fn):
        return _exchange_halos(x, halo, mode, cval, fn, dtype, leading, tessera_fn)

    def run(block, masks=(), befores=halo, afters=halo, chunk=None):
        if any(m is not None for m in masks):
            block = np.array(block)  # writable, owned
            for axis, mask in enumerate(masks):
                if mask is not None:
                    block[(slice(None),) * axis + (mask,)] = cval
        inner = tuple(slice(b, block.shape[k] - a) for k, (b, a) in enumerate(zip(befores, afters)))
        if tessera_fn:
            return _naming_chunk(lambda b: fn(b, inner), block, chunk)
        out = _naming_chunk(fn, block, chunk)
        return out[(slice(None),) * len(leading) + inner]

    blocks = np.empty(x.numblocks, dtype=object)
    for index in np.ndindex(*x.numblocks):
        padded, consts, befores, afters = _padded_block(x, index, halo, mode, cval, align)
        shape = leading + tuple(x.chunks[a][index[a]] for a in range(x.ndim))
        blocks[index] = da.map_blocks(run, padded, masks=tuple(consts), befores=befores, afters=afters,
                                      dtype=dtype, chunks=tuple((s,) for s in shape), chunk=index,
                                      meta=np.empty((0,) * len(shape), dtype))
    return da.block(blocks.tolist()) if x.ndim else blocks[()]


def _probe_dtype(fn, x):
    """The dtype fn gives for chunks of x, from a 3^ndim sample."""
    return np.asarray(fn(np.zeros((3,) * x.ndim, x.dtype))).dtype
