"""How fast Ctrl-C stops tessera in Python: a child interpreter saves a deep
pipeline (24 chained gaussian filters, sigma 8, on 5000x5000 float32: about
ten seconds of work, tiles of wide halos) to a TIFF; SIGINT arrives after a
second; the child reports when KeyboardInterrupt reached it (CLOCK_MONOTONIC,
one clock for every process) and that no file is left."""
import os
import signal
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys, time, numpy as np, tessera
a = np.random.default_rng(0).random((5000, 5000), dtype=np.float32)
img = tessera.asarray(a)
for _ in range(24):
    img = tessera.gaussian_filter(img, 8.0)
print("ready", flush=True)
try:
    img.save(sys.argv[1])
    print("finished", time.monotonic(), flush=True)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
"""


def latencies(runs=5):
    """Seconds from SIGINT to KeyboardInterrupt, per run, and whether any run left a file."""
    out, left = [], False
    with tempfile.TemporaryDirectory() as d:
        for _ in range(runs):
            p = subprocess.Popen([sys.executable, "-c", CHILD, os.path.join(d, "out.tif")], stdout=subprocess.PIPE,
                                 text=True)
            assert p.stdout.readline().strip() == "ready"
            time.sleep(1.0)
            sent = time.monotonic()
            p.send_signal(signal.SIGINT)
            outcome, when = p.stdout.readline().split()
            p.wait()
            assert outcome == "interrupted", outcome
            out.append(float(when) - sent)
            left = left or bool(os.listdir(d))
    return out, left
