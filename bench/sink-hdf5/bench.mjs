// µs per appended record: the HDF5 sink vs the same calls made directly on h5wasm's Module (the
// floor the sink can reach: one resize + one hyperslab write per dataset, one H5Fflush) vs an
// equivalent h5py script, same machine, same run. Each cell is the median of REP runs (default 3);
// the machine is shared, so compare columns of one run, not runs.
// Usage: node bench/sink-hdf5/bench.mjs [records]   (after `npx tsc -b plugins/sink-hdf5`)
//   CHUNK=<bytes>  the chunk of a float64 series for the sink (chunkBytes, chunkRecords) and the floor and h5py
//   BEFORE=<path>  also time another build of the sink (its dist/src/index.js), e.g. the last commit's
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as h5wasm from 'h5wasm/node';
import { Hdf5SinkFactory } from '../../plugins/sink-hdf5/dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] ?? 10000);
const REP = Number(process.env.REP ?? 3);
const chunkBytes = Number(process.env.CHUNK ?? 65536);
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-'));
const sinkOptions = { chunkBytes, chunkRecords: chunkBytes / 8 };
const fac = new Hdf5SinkFactory(sinkOptions);
const before = process.env.BEFORE ? new (await import(resolve(process.env.BEFORE))).Hdf5SinkFactory(sinkOptions) : undefined;
let seq = 0;

async function sink(fields, every, factory = fac) {
  const file = join(dir, `sink_${fields}_${every}_${seq++}.nxs`);
  const f = await factory.open(file, { mode: 'create' });
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
  rmSync(file);
  return us;
}

const m = await h5wasm.ready;
/** The floor: per record and dataset one resize_dataset + one set_dataset_data, then one flush. */
function floor(fields) {
  const file = join(dir, `floor_${fields}_${seq++}.h5`);
  const fid = BigInt(m.open(file, m.H5F_ACC_EXCL, true, m.H5F_LIBVER_V18, m.H5F_LIBVER_V110));
  m.create_group(fid, '/entry', true);
  m.create_group(fid, '/entry/data', true);
  const ptr = m._malloc(8);
  const names = Array.from({ length: fields }, (_, i) => `/entry/data/ch${i}`);
  for (const p of names) {
    m.create_dataset(fid, p, BigInt(ptr), { type: 1, size: 8, signed: false, vlen: false, littleEndian: true, shape: [0n], maxshape: [0xffffffffffffffffn], chunks: [BigInt(chunkBytes / 8)], compression: 0, compression_opts: [], track_order: true });
  }
  m.flush(fid);
  const t0 = performance.now();
  for (let r = 0; r < N; r++) {
    for (const p of names) {
      m.resize_dataset(fid, p, [BigInt(r + 1)]);
      new DataView(m.HEAPU8.buffer).setFloat64(ptr, r, true);
      m.set_dataset_data(fid, p, [1n], [BigInt(r)], [1n], BigInt(ptr));
    }
    m.flush(fid);
  }
  const us = ((performance.now() - t0) * 1000) / N;
  m.close_file(fid);
  m._free(ptr);
  rmSync(file);
  return us;
}

function h5py(fields, every) {
  const file = join(dir, `py_${fields}_${every}_${seq++}.h5`);
  const out = execFileSync('/usr/bin/python3', [join(here, 'bench_h5py.py'), file, String(N), String(fields), String(every), String(chunkBytes / 8)], { encoding: 'utf8' });
  rmSync(file);
  return Number(out.trim());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

await sink(1, 7); // warm up (wasm compile, JIT)
const rows = [];
for (const fields of [1, 10]) {
  for (const every of [1, 1000]) {
    const a = [];
    const b = [];
    const c = [];
    const d = [];
    for (let i = 0; i < REP; i++) {
      if (before) d.push(await sink(fields, every, before));
      a.push(await sink(fields, every));
      if (every === 1) c.push(floor(fields));
      b.push(h5py(fields, every));
    }
    const [sa, sb] = [median(a), median(b)];
    rows.push({
      fields, flushEvery: every,
      sink_us_per_record: sa.toFixed(1),
      ...(before ? { before_us_per_dataset: (median(d) / fields).toFixed(1) } : {}),
      sink_us_per_dataset: (sa / fields).toFixed(1),
      h5wasm_floor_us_per_dataset: every === 1 ? (median(c) / fields).toFixed(1) : '-',
      h5py_us_per_dataset: (sb / fields).toFixed(1),
      ratio: (sa / sb).toFixed(2),
    });
  }
}
console.log(`${N} records, chunk ${chunkBytes} bytes, median of ${REP}`);
console.table(rows);
rmSync(dir, { recursive: true, force: true });
