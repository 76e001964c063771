"""The 000 seed: live stream to chart frames (tessera.StreamChart and
render_windows) against the seed's best numpy answer, in one process."""
import random
import time

import numpy as np

import tessera


def seed_best_numpy(volumes, height, width, channels=3):
    """The answer's vectorised loop (aranges < normalised values), with the
    question's 3 channels: yields every frame."""
    aranges = np.arange(height, dtype=np.int32)[:, None]
    for ii in range(len(volumes) - width):
        current_vols = volumes[ii:ii + width]
        vol_norm = height * ((current_vols - 0) / (np.max(current_vols) - 0))
        final_image = (aranges < vol_norm[None, :].astype(np.int32)).astype(np.uint8) * 255
        yield np.repeat(final_image[:, :, None], channels, axis=-1)


def tessera_frames(volumes, height, width, channels=3):
    chart = tessera.StreamChart(height, width, channels=channels, origin="upper")
    yield chart.push(volumes[:width])
    for v in volumes[width:len(volumes) - 1]:
        yield chart.push(v)


def bench_seed_frames(n=10000, height=128, width=256):
    volumes = np.random.default_rng(0).integers(low=0, high=200, size=n)
    # Equal frames, checked apart from the timing (every 97th).
    for k, (a, b) in enumerate(zip(tessera_frames(volumes, height, width), seed_best_numpy(volumes, height, width))):
        if k % 97 == 0 and not np.array_equal(a, b):
            raise AssertionError(f"frame {k} differs from the seed's")
    frames = n - width
    times = {}
    for name, gen in [("tessera", tessera_frames), ("numpy", seed_best_numpy)]:
        best = float("inf")
        for _ in range(3 if name == "tessera" else 1):
            t0 = time.perf_counter()
            count = sum(1 for _ in gen(volumes, height, width))
            best = min(best, time.perf_counter() - t0)
        assert count == frames, count
        times[name] = best
    return frames, times["tessera"], times["numpy"]


def random_walk_chunks(count, seed=0):
    """The seed's live stream: a random walk arriving 1 to 30 samples at a
    time; yields `count` chunks."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    last = 0.0
    for _ in range(count):
        a = rng.uniform(-1.0, 1.0, pick.randint(1, 30)).cumsum() + last
        last = a[-1]
        yield a


def bench_push_latency(height=256, width=512, pushes=20000, channels=1, vmin=None):
    """Push latency on the seed's live stream (random_walk_chunks)."""
    chunks = list(random_walk_chunks(pushes))
    chart = tessera.StreamChart(height, width, channels=channels, vmin=vmin)
    for a in chunks[:200]:  # warm
        chart.push(a)
    chart = tessera.StreamChart(height, width, channels=channels, vmin=vmin)
    lat = np.empty(len(chunks))
    clock = time.perf_counter_ns
    for i, a in enumerate(chunks):
        t0 = clock()
        chart.push(a)
        lat[i] = clock() - t0
    lat /= 1e3
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 99)), chart.redraws / len(chunks)


def bench_render_windows(n=100_000, height=64, width=128):
    series = np.random.default_rng(1).normal(size=n).cumsum()
    out = np.empty((tessera._core.window_frame_count(n, width, 1), height, width), np.uint8)
    best = {1: float("inf"), 2: float("inf")}
    for _ in range(5):
        for threads in (1, 2):
            t0 = time.perf_counter()
            tessera.render_windows(series, height, width, out=out, threads=threads, vmin=None)
            best[threads] = min(best[threads], time.perf_counter() - t0)
    return out.shape[0], best[1], best[2]


if __name__ == "__main__":
    print(bench_seed_frames(2000))
    print(bench_push_latency(pushes=3000))
    print(bench_render_windows(20000))
