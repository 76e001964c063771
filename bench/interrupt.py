"""How fast Ctrl-C stops tessera in Python: a child interpreter saves a deep
pipeline (12 chained gaussian filters, sigma 8, on 5000x5000 float32:
seconds of work, tiles of wide halos) to a TIFF; SIGINT arrives after a
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
for _ in range(12):
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
            # The child starts with SIGINT at its default, whatever this
            # process inherited: a shell starts background jobs (make bench &)
            # with SIGINT ignored, and an ignored SIGINT stays ignored (as
            # tessera keeps a program's SIG_IGN), so the save would finish.
            p = subprocess.Popen([sys.executable, "-c", CHILD, os.path.join(d, "out.tif")], stdout=subprocess.PIPE,
                                 text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
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
