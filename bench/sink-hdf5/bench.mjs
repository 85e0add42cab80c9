// µs per appended row: the HDF5 sink vs an equivalent h5py script, same machine, same run.
// Usage: node bench/sink-hdf5/bench.mjs [records]   (after `npx tsc -b plugins/sink-hdf5`)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Hdf5SinkFactory } from '../../plugins/sink-hdf5/dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] ?? 10000);
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-'));
const fac = new Hdf5SinkFactory(process.env.CHUNK ? { chunkBytes: Number(process.env.CHUNK) } : {});

async function sink(fields, every) {
  const file = join(dir, `sink_${fields}_${every}.nxs`);
  const f = await fac.open(file, { mode: 'create' });
  const g = f.root.createGroup('entry').createGroup('data');
  const ds = Array.from({ length: fields }, (_, i) => g.createField(`ch${i}`, { type: 'float64', shape: [0], recordAxis: 0 }));
  f.flush();
  const one = new Float64Array(1);
  const t0 = performance.now();
  for (let r = 0; r < N; r++) {
    for (const d of ds) { one[0] = r; d.append({ type: 'float64', shape: [1], data: one.slice() }); }
    if ((r + 1) % every === 0) f.flush();
  }
  f.flush();
  const us = ((performance.now() - t0) * 1000) / N;
  f.close();
  return us;
}

function h5py(fields, every) {
  const out = execFileSync('/usr/bin/python3', [join(here, 'bench_h5py.py'), join(dir, `py_${fields}_${every}.h5`), String(N), String(fields), String(every)], { encoding: 'utf8' });
  return Number(out.trim());
}

await sink(1, 7); // warm up (wasm compile, JIT)
const rows = [];
for (const fields of [1, 10]) {
  for (const every of [1, 1000]) {
    const a = await sink(fields, every);
    const b = h5py(fields, every);
    rows.push({ fields, flushEvery: every, sink_us_per_record: a.toFixed(1), h5py_us_per_record: b.toFixed(1), ratio: (a / b).toFixed(2) });
  }
}
console.table(rows);
rmSync(dir, { recursive: true, force: true });
