"""Baseline for bench/metadata: nxstools making the SciCat metadata of one entry, N times, in one
process (the way the reference writer calls it at CloseEntry). Prints the mean ms per run.
Usage: PYTHONPATH=<nxstools copy> baseline_nxstools.py FILE ENTRY N"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "core", "src", "testkit"))
from nxstools import filewriter, h5pywriter  # noqa: E402
from scicat_reference import metadata  # noqa: E402

fname, entry, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fl = filewriter.open_file(fname, readonly=True, writer=h5pywriter)
root = fl.root()
metadata(root, fname, entry)  # warm-up
start = time.perf_counter()
for _ in range(n):
    metadata(root, fname, entry)
print((time.perf_counter() - start) * 1000 / n)
fl.close()
