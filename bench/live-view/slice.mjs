#!/usr/bin/env node
/* global fetch, URLSearchParams */
// Reading a dataset slice through the live view's h5grove API: from the file a session holds open
// (the writer's handles), from the same file after CloseFile (the sink's reader, cached), and
// h5py reading the same slice directly (the file open, as the cached reader is). The same reads
// without HTTP (the h5grove functions on the trees, in process) split the cost into reading and
// serving.
// `node bench/live-view/slice.mjs [--records N] [--reads R] [--sink native|h5wasm] [--json]`
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kernel, WriterSession } from '@nxsw/core';
import { data, readerTree, startHttp, writerTree } from '@nxsw/frontend-http';

const { values } = parseArgs({ options: { records: { type: 'string', default: '5000' }, reads: { type: 'string', default: '400' }, sink: { type: 'string', default: 'native' }, json: { type: 'boolean', default: false } } });
const RECORDS = Number(values.records);
const READS = Number(values.reads);
const root = new URL('../../', import.meta.url).pathname;
const xml = readFileSync(join(root, 'examples/scan/scan.xml'), 'utf8').replace('examples/scan/beamline.sqlite', join(root, 'examples/scan/beamline.sqlite'));
const file = join(mkdtempSync(join(tmpdir(), 'nxsw-bench-slice-')), 'slice.nxs');
const kernel = await Kernel.start({ choose: values.sink === 'h5wasm' ? { 'sink:HDF5': '@nxsw/sink-hdf5' } : {} });
const NAME = 'bench';
/** the slices: one spectrum (16 int32) and 1000 spectra (16 000 int32), in binary as H5Web asks */
const SLICES = [['/entry1/data/mca', `${RECORDS >> 1},:`], ['/entry1/data/mca', `1000:2000,:`]];

const session = new WriterSession({ extensions: kernel, log: kernel.log, limits: kernel.limits });
session.setXmlSettings(xml);
session.setFileName(file);
session.setJsonRecord(readFileSync(join(root, 'examples/scan/global.json'), 'utf8'));
kernel.sessions.set(NAME, session);
await session.openFile();
await session.openEntry();
for (let i = 0; i < RECORDS; i++) await session.record(JSON.stringify({ data: { exp_c01: i, 'p09/mca/exp.02': Array.from({ length: 16 }, (_, k) => (k * 7 + i) % 50) } }));
const server = await startHttp(kernel, { host: '127.0.0.1', port: 0, maxElements: 1 << 22 });

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
async function api(path, selection) {
  const url = `${server.url}data/?${new URLSearchParams({ file: NAME, path, selection, format: 'bin', dtype: 'safe' })}`;
  const times = [];
  let bytes = 0;
  for (let i = 0; i < READS + 20; i++) {
    const t0 = performance.now();
    const r = await fetch(url);
    const b = await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${Buffer.from(b).toString()}`);
    if (i >= 20) times.push((performance.now() - t0) * 1000);
    bytes = b.byteLength;
  }
  return { median: median(times), bytes };
}

/** the same read in process: the h5grove function on a tree, no HTTP */
function direct(tree, path, selection) {
  const times = [];
  for (let i = 0; i < READS + 20; i++) {
    const t0 = performance.now();
    data(tree, path, selection, 'bin', false, 1 << 22);
    if (i >= 20) times.push((performance.now() - t0) * 1000);
  }
  return median(times);
}

const result = { sink: values.sink, records: RECORDS, reads: READS, slices: [] };
const open = [];
for (const [path, selection] of SLICES) open.push({ ...(await api(path, selection)), direct: direct(writerTree(session.openSinkFile), path, selection) });
session.setJsonRecord(readFileSync(join(root, 'examples/scan/final.json'), 'utf8'));
await session.closeFile();
const closed = [];
const reader = await kernel.list('sink').find((x) => x.name === 'HDF5').openReader(file);
for (const [path, selection] of SLICES) closed.push({ ...(await api(path, selection)), direct: direct(readerTree(reader), path, selection) });
reader.close();
await server.stop();
await kernel.stop();

// h5py on the closed file: the file opened once, then the same slice read R times
const py = execFileSync('/usr/bin/python3', ['-c', `
import h5py, json, sys, time
out = []
with h5py.File(sys.argv[1], 'r') as f:
    for path, sel in json.loads(sys.argv[2]):
        d = f[path]
        times = []
        for i in range(${READS} + 20):
            t0 = time.perf_counter()
            v = eval('d[' + sel + ']')
            if i >= 20: times.append((time.perf_counter() - t0) * 1e6)
        out.append(sorted(times)[len(times) // 2])
print(json.dumps(out))
`, file, JSON.stringify(SLICES)], { encoding: 'utf8' });
const h5py = JSON.parse(py);

SLICES.forEach(([path, selection], i) => {
  result.slices.push({
    slice: `${path}[${selection}]`, bytes: closed[i].bytes, openUs: open[i].median, closedUs: closed[i].median, h5pyUs: h5py[i],
    openDirectUs: open[i].direct, closedDirectUs: closed[i].direct,
    closedVsOpen: closed[i].median / open[i].median, closedVsH5py: closed[i].median / h5py[i], closedDirectVsH5py: closed[i].direct / h5py[i],
  });
});
if (values.json) console.log(JSON.stringify(result));
else {
  const f = (x, w = 10) => x.toFixed(1).padStart(w);
  console.log(`Slice reads through the live view's API, ${values.sink} sink, ${RECORDS} Records, median of ${READS} reads (µs)`);
  console.log('slice                          bytes   open file  closed file   h5py direct  closed/open  closed/h5py');
  for (const s of result.slices) console.log(`${s.slice.padEnd(28)}${String(s.bytes).padStart(8)}${f(s.openUs, 12)}${f(s.closedUs, 13)}${f(s.h5pyUs, 14)}${f(s.closedVsOpen, 12)}x${f(s.closedVsH5py, 12)}x`);
  console.log('without HTTP (in process)               open file  closed file   h5py direct                closed/h5py');
  for (const s of result.slices) console.log(`${s.slice.padEnd(36)}${f(s.openDirectUs, 12)}${f(s.closedDirectUs, 13)}${f(s.h5pyUs, 14)}${' '.repeat(13)}${f(s.closedDirectVsH5py, 12)}x`);
}
