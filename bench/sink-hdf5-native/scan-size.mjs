#!/usr/bin/env node
/**
 * File size of a short scan: 6 points, 4 counters, a motor, point_nb and timestamp (a Sardana-like
 * step scan), written by nxsw with each HDF5 sink, next to the same tree written by h5py the way
 * the reference writer lays it out (nxstools: chunk = one row per chunk for STEP data) in the same
 * run; and a long scan (10 000 points) to see what the chunk choice costs in write and read time.
 *   npm run build && node bench/sink-hdf5-native/scan-size.mjs
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, WriterSession } from '../../core/dist/src/index.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const COUNTERS = ['exp_c01', 'exp_c02', 'exp_c03', 'exp_c04'];
const STEP = [...COUNTERS, 'exp_mot01', 'point_nb', 'timestamp'];
const field = (n, type = 'NX_FLOAT') => `<field name="${n}" type="${type}" units="counts"><strategy mode="STEP"/><datasource type="CLIENT"><record name="${n}"/></datasource></field>`;
const XML = `<definition><group type="NXentry" name="scan_1">
  <field name="title"><strategy mode="INIT"/><datasource type="CLIENT"><record name="title"/></datasource></field>
  <field name="start_time" type="NX_DATE_TIME"><strategy mode="INIT"/><datasource type="CLIENT"><record name="start_time"/></datasource></field>
  <field name="end_time" type="NX_DATE_TIME"><strategy mode="FINAL"/><datasource type="CLIENT"><record name="end_time"/></datasource></field>
  <group type="NXinstrument" name="instrument"><group type="NXcollection" name="collection">
    ${STEP.map((n) => field(n, n === 'point_nb' ? 'NX_INT' : 'NX_FLOAT')).join('\n    ')}
  </group></group>
  <group type="NXdata" name="data">${STEP.map((n) => `<link name="${n}" target="/scan_1/instrument/collection/${n}"/>`).join('')}</group>
</group></definition>`;

async function nxsw(kernel, file, points) {
  const s = new WriterSession({ extensions: kernel, durability: { mode: 'record' } });
  s.setFileName(file);
  s.setXmlSettings(XML);
  s.setJsonRecord(JSON.stringify({ data: { title: 'ascan exp_mot01 0 1 5 0.1', start_time: '2026-12-03T09:00:00+0100' } }));
  await s.openFile();
  await s.openEntry();
  const t0 = performance.now();
  for (let i = 0; i < points; i++) {
    await s.record(JSON.stringify({ data: { ...Object.fromEntries(COUNTERS.map((c, k) => [c, 100 * i + k])), exp_mot01: i * 0.2, point_nb: i, timestamp: i * 0.1 } }));
  }
  s.setJsonRecord(JSON.stringify({ data: { end_time: '2026-12-03T09:00:01+0100' } }));
  await s.closeEntry();
  await s.closeFile();
  return { bytes: statSync(file).size, writeMs: performance.now() - t0 };
}

const PY = `
import h5py, sys, time
path, points = sys.argv[1], int(sys.argv[2])
names = ${JSON.stringify(STEP)}
with h5py.File(path, 'w') as f:
    e = f.create_group('scan_1'); e.attrs['NX_class'] = 'NXentry'
    e['title'] = 'ascan exp_mot01 0 1 5 0.1'; e['start_time'] = '2026-12-03T09:00:00+0100'
    c = e.create_group('instrument').create_group('collection')
    ds = {n: c.create_dataset(n, (0,), maxshape=(None,), chunks=(1,), dtype='i8' if n == 'point_nb' else 'f8') for n in names}
    for d in ds.values(): d.attrs['units'] = 'counts'
    for i in range(points):
        for k, (n, d) in enumerate(ds.items()):
            d.resize((i + 1,)); d[i] = 100 * i + k
        f.flush()
    e['end_time'] = '2026-12-03T09:00:01+0100'
    dg = e.create_group('data'); dg.attrs['NX_class'] = 'NXdata'
    for n in names: dg[n] = h5py.SoftLink('/scan_1/instrument/collection/' + n)
t0 = time.perf_counter()
with h5py.File(path, 'r') as f:
    for n in names: f['scan_1/instrument/collection/' + n][()]
print((time.perf_counter() - t0) * 1000)
`;
const readMs = (file) => Number(spawnSync('/usr/bin/python3', ['-c', `import h5py, time, sys\nt0 = time.perf_counter()\nwith h5py.File(sys.argv[1], 'r') as f:\n    for n in ${JSON.stringify(STEP)}: f['scan_1/instrument/collection/' + n][()]\nprint((time.perf_counter() - t0) * 1000)`, file], { encoding: 'utf8' }).stdout);

const dir = mkdtempSync(join(tmpdir(), 'nxsw-size-'));
try {
  const rows = [];
  for (const points of [6, 10000]) {
    const ref = join(dir, `ref-${points}.h5`);
    const r = spawnSync('/usr/bin/python3', ['-c', PY, ref, String(points)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    rows.push({ writer: 'h5py, reference layout (chunk 1 row)', points, bytes: statSync(ref).size, readMs: readMs(ref) });
    for (const [label, plugin] of [['nxsw, native sink', '@nxsw/sink-hdf5-native'], ['nxsw, h5wasm sink', '@nxsw/sink-hdf5']]) {
      const kernel = await Kernel.start({ cwd: repo, choose: { 'sink:HDF5': plugin } });
      const file = join(dir, `${plugin.split('/')[1]}-${points}.nxs`);
      const w = await nxsw(kernel, file, points);
      rows.push({ writer: label, points, bytes: w.bytes, writeMs: w.writeMs, readMs: readMs(file) });
      await kernel.stop();
    }
  }
  console.log('writer                                   points      bytes  vs ref   h5py read ms');
  for (const x of rows) {
    const ref = rows.find((y) => y.points === x.points && y.writer.startsWith('h5py'));
    console.log(`${x.writer.padEnd(40)} ${String(x.points).padStart(6)} ${String(x.bytes).padStart(10)}  ${(x.bytes / ref.bytes).toFixed(2)}x  ${x.readMs.toFixed(1).padStart(8)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
