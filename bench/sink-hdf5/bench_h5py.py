"""h5py baseline for bench.mjs: the same records, appended one row per record, flushed every K."""
import sys, time
import h5py, numpy as np

path, n, fields, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = int(sys.argv[5]) if len(sys.argv) > 5 else 8192  # chunk rows, as the sink's
f = h5py.File(path, "w", libver=("v108", "v110"))
g = f.create_group("entry").create_group("data")
ds = [g.create_dataset(f"ch{i}", shape=(0,), maxshape=(None,), chunks=(rows,), dtype="f8") for i in range(fields)]
f.flush()
t0 = time.perf_counter()
for r in range(n):
    for d in ds:
        d.resize((r + 1,))
        d[r] = r
    if (r + 1) % every == 0:
        f.flush()
f.flush()
print((time.perf_counter() - t0) * 1e6 / n)
f.close()
