"""h5py baseline for bench/engine: writes the same datasets as nxsw, one record at a time
(resize + write per dataset), flushing after every record (nxsw's default durability).

Usage: /usr/bin/python3 baseline_h5py.py OUT.h5 N_SCALARS N_RECORDS [SPECTRUM_LEN] [IMAGE_SIDE]
Prints: seconds for the record loop (excluding start-up), as JSON.
"""
import json
import sys
import time

import h5py
import numpy as np

out, nscal, nrec = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spec = int(sys.argv[4]) if len(sys.argv) > 4 else 0
img = int(sys.argv[5]) if len(sys.argv) > 5 else 0

with h5py.File(out, "w", libver=("v108", "v110")) as f:
    det = f.create_group("entry").create_group("detector")
    ds = [det.create_dataset(f"c{i}", shape=(0,), maxshape=(None,), dtype="f8", chunks=(8192,)) for i in range(nscal)]
    sp = det.create_dataset("spectrum", shape=(0, spec), maxshape=(None, spec), dtype="f8", chunks=(max(1, 65536 // (8 * spec)), spec)) if spec else None
    im = det.create_dataset("image", shape=(0, img, img), maxshape=(None, img, img), dtype="u2", chunks=(1, img, img)) if img else None
    row = np.arange(spec, dtype="f8") if spec else None
    frame = (np.arange(img * img, dtype="u2").reshape(img, img)) if img else None
    t0 = time.perf_counter()
    for r in range(nrec):
        for i, d in enumerate(ds):
            d.resize((r + 1,))
            d[r] = r * 0.5 + i
        if sp is not None:
            sp.resize((r + 1, spec))
            sp[r] = row + r
        if im is not None:
            im.resize((r + 1, img, img))
            im[r] = frame
        f.flush()
    t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0}))
