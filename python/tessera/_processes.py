"""map_tiles(..., workers="processes"): a pure-Python tile function (one that
holds the GIL, such as per-pixel loops) on worker processes.

The inputs are placed once in shared memory (lazy images computed straight
into it) and the output is assembled in shared memory: no pixel is pickled,
only tile coordinates. Workers are forked, so the function needs no pickling
(a lambda works); they claim tiles from a shared counter and send one record
each through a pipe, so a call costs a fork per worker and no message per
tile (concurrent.futures' pool cost about 1 ms a tile and 50 ms a call). Each
worker pads its own tiles by tessera's boundary table, as the engine pads
them for threads. An exception in a tile, or Ctrl-C, stops the workers; no
process and no shared-memory segment outlives the call.
"""
import multiprocessing
import os
import pickle
import signal
import threading
from concurrent.futures.process import BrokenProcessPool
from itertools import product
from multiprocessing import shared_memory

import numpy as np

from . import _core
from ._core import Image

_WORK = {}  # in each worker: the function and the shared arrays (set before the fork)
_FORKING = threading.Lock()  # one call at a time sets _WORK and forks its workers
_REPORTS = set()  # the write ends of the calls' report pipes, open in the parent


def _convert(values, dtype):
    """values in `dtype` by tessera's rule (round half to even, saturate,
    NaN to 0), as the threads version stores them."""
    return np.asarray(_core.asarray(np.asarray(values)).astype(np.dtype(dtype).name))


def _shared(shape, dtype):
    size = max(1, int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize)
    shm = shared_memory.SharedMemory(create=True, size=size)
    return shm, np.ndarray(shape, dtype, buffer=shm.buf)


def _padded_tile(array, region, halo, mode, cval):
    """The tile `region` (per tiled axis: start, stop) grown by `halo`,
    padded outside the array by tessera's boundary table."""
    index, outside = [], []
    for axis, ((start, stop), h) in enumerate(zip(region, halo)):
        idx = np.asarray(_core.boundary_indices(start - h, stop + h, array.shape[axis], mode))
        outside.append(idx < 0)
        index.append(np.where(idx < 0, 0, idx))
    tile = array[np.ix_(*index)] if len(index) == array.ndim else array[np.ix_(*index) + (Ellipsis,)]
    if mode == "constant":
        fill = _convert(np.float64(cval), array.dtype)
        for axis, mask in enumerate(outside):
            if mask.any():
                tile[(slice(None),) * axis + (mask,)] = fill
    tile.flags.writeable = False
    return tile


def _run_tile(k):
    w = _WORK
    region = w["tiles"][k]
    inputs = [_padded_tile(a, region, w["halo"], w["mode"], w["cval"]) for a in w["inputs"]]
    try:
        result = np.asarray(w["func"](*inputs))
    except Exception as e:  # named, and sent back whole (tracebacks do not cross processes)
        note = f"tessera.map_tiles: raised by the function in the tile at {region}"
        if hasattr(e, "add_note"):
            e.add_note(note)
        raise
    w["out"][_core_slices(region)] = _convert(_trimmed(result, region, w["halo"], inputs[0].shape), w["out"].dtype)
    return k


def _core_slices(region):
    return tuple(slice(a, b) for a, b in region)


def _trimmed(result, region, halo, haloed_shape):
    n = len(region)
    tile = tuple(b - a for a, b in region)
    if result.shape[:n] == tuple(haloed_shape[:n]):
        return result[tuple(slice(h, h + t) for h, t in zip(halo, tile))]
    if result.shape[:n] == tile:
        return result
    raise ValueError(f"map_tiles: the function returned shape {result.shape} for the tile at {region}; its leading "
                     f"axes must be the haloed tile's {tuple(haloed_shape[:n])} or the tile's {tile}")


def _worker():
    """A forked worker: claims tiles from the shared counter until none is
    left, then reports to the parent through the pipe: an empty record, or
    its exception pickled (tracebacks do not cross processes), after which
    every other worker stops claiming."""
    w, code = _WORK, 0
    try:
        _init_worker(w["parent"])
        for fd in _REPORTS - {w["report"]}:  # other calls' pipes: their ends must not wait for this process
            os.close(fd)
        counter, count = w["counter"], len(w["tiles"])
        while True:
            with counter.get_lock():
                k = counter.value
                counter.value = k + 1
            if k >= count:
                break
            _run_tile(k)
        record = b""
    except BaseException as e:  # noqa: B902 (everything is reported, then the process ends)
        code = 1
        with w["counter"].get_lock():
            w["counter"].value = len(w["tiles"])
        try:
            record = pickle.dumps(e)
        except Exception:  # an exception that does not pickle: its type and text
            record = pickle.dumps(RuntimeError(f"{type(e).__name__}: {e}"))
    try:
        os.write(w["report"], len(record).to_bytes(4, "little") + record)
    finally:
        os._exit(code)


def _reap(pid, kill=False):
    """Waits for worker `pid` (SIGKILLed first with `kill`); its exit code."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except ChildProcessError:  # already reaped
        return 0


def _wait(workers, errors):
    """Reads the workers' reports until every one has exited: the first
    exception a tile raised is raised at once (the caller stops the rest);
    a worker that died without a report is BrokenProcessPool."""
    with os.fdopen(errors, "rb") as f:
        while len(head := f.read(4)) == 4:
            size = int.from_bytes(head, "little")
            if size:
                raise pickle.loads(f.read(size))
    codes = [_reap(pid) for pid in workers]
    workers.clear()
    for code in codes:
        if code != 0:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise BrokenProcessPool(f"map_tiles: a worker process {how} before its tiles were done")


def _init_worker(parent):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # A worker dies with its parent, even one killed outright (SIGKILL), so
    # that no orphan goes on computing tiles nobody will read (Linux).
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def map_tiles_processes(func, arrays, tile, halo, mode, cval, out_dtype, processes):
    _core.boundary_indices(0, 1, 1, mode)  # a bad mode, before any work
    if not arrays:
        raise ValueError("map_tiles needs at least one input array")
    tile = (tile,) if isinstance(tile, int) else tuple(tile)
    halo = (halo,) * len(tile) if isinstance(halo, int) else tuple(halo)
    if len(halo) != len(tile) or any(t < 1 for t in tile) or any(h < 0 for h in halo):
        raise ValueError(f"map_tiles: tile {tile} and halo {halo} must be positive and non-negative, one per tiled axis")
    segments, workers = [], []
    inputs, out, view = [], None, None
    try:
        for a in arrays:
            img = a if isinstance(a, Image) else _core.asarray(np.asarray(a))
            shm, view = _shared(img.shape, img.dtype)
            segments.append(shm)
            img.compute(out=view)
            inputs.append(view)
        shape = inputs[0].shape
        if len(tile) > len(shape) or any(x.shape[:len(tile)] != shape[:len(tile)] for x in inputs):
            raise ValueError("map_tiles: the inputs must share the tiled axes' lengths "
                             f"({[x.shape for x in inputs]}, tile {tile})")
        axes = [[(s, min(s + t, n)) for s in range(0, n, t)] for t, n in zip(tile, shape)]
        tiles = list(product(*axes))
        # The first tile, here: it tells the output's dtype and trailing axes.
        first_in = [_padded_tile(a, tiles[0], halo, mode, cval) for a in inputs]
        first = _trimmed(np.asarray(func(*first_in)), tiles[0], halo, first_in[0].shape)
        first_in = None
        dtype = np.dtype(out_dtype) if out_dtype is not None else first.dtype
        shm, out = _shared(shape[:len(tile)] + first.shape[len(tile):], dtype)
        segments.append(shm)
        out[_core_slices(tiles[0])] = _convert(first, dtype)
        if len(tiles) > 1:
            counter = multiprocessing.get_context("fork").Value("q", 1)  # the next tile to claim
            errors, report = os.pipe()
            _REPORTS.add(report)
            try:
                with _FORKING:
                    _WORK.update(func=func, inputs=inputs, halo=halo, mode=mode, cval=cval, tiles=tiles, out=out,
                                 counter=counter, report=report, parent=os.getpid())
                    try:
                        for _ in range(min(processes, len(tiles) - 1)):
                            pid = os.fork()
                            if pid == 0:
                                _worker()  # never returns
                            workers.append(pid)
                    finally:
                        _WORK.clear()
            except BaseException:
                os.close(errors)
                raise
            finally:
                _REPORTS.discard(report)
                os.close(report)  # the pipe ends when every worker has exited
            _wait(workers, errors)
        return np.array(out)  # out of shared memory, which is released below
    finally:
        for pid in workers:  # an error or Ctrl-C: workers still in tiles are stopped, not waited for
            _reap(pid, kill=True)
        inputs = out = view = first_in = None  # noqa: F841 (no view of a segment may outlive it)
        for shm in segments:
            shm.unlink()  # first: a view still alive (in a traceback) must not keep the segment
            try:
                shm.close()
            except BufferError:
                pass  # the mapping goes with the last view; the name is already gone
