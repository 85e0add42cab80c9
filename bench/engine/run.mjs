#!/usr/bin/env node
/**
 * Engine benchmark: the same scans written by nxsw (WriterSession, CLIENT sources, HDF5 sink,
 * durability "flush after every Record") and by a plain h5py script (bench/engine/baseline_h5py.py,
 * Debian h5py), in the same run, with the ratio; the engine's own per-Record cost (a sink that
 * writes nothing); and peak memory against the number of records.
 *
 *   node bench/engine/run.mjs            full workloads (several minutes)
 *   node bench/engine/run.mjs --quick    a tenth of the records
 *   node bench/engine/run.mjs --json     machine-readable output
 *   node bench/engine/run.mjs --sink native|wasm   the HDF5 sink (default: the one the kernel
 *                                        picks, the native sink where the system library loads)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, WriterSession } from '../../core/dist/src/index.js';

const SINKS = { native: '@nxsw/sink-hdf5-native', wasm: '@nxsw/sink-hdf5' };
const sinkArg = process.argv.includes('--sink') ? process.argv[process.argv.indexOf('--sink') + 1] : undefined;
if (sinkArg !== undefined && !SINKS[sinkArg]) throw new Error(`--sink ${sinkArg}: expected native or wasm`);
const choose = sinkArg ? { 'sink:HDF5': SINKS[sinkArg] } : {};

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const scale = quick ? 0.1 : 1;

const IMAGE_SIDE = 256;
const WORKLOADS = [
  { name: '1 scalar x 10000', scalars: 1, records: 10000 },
  { name: '10 scalars x 10000', scalars: 10, records: 10000 },
  { name: '50 scalars x 2000', scalars: 50, records: 2000 },
  { name: '10 scalars + 2048 spectrum x 2000', scalars: 10, records: 2000, spectrum: 2048 },
  { name: '10 scalars + 256x256 uint16 image x 1000', scalars: 10, records: 1000, image: IMAGE_SIDE },
];

function configXml(w) {
  const fields = [];
  for (let i = 0; i < w.scalars; i++) fields.push(`<field name="c${i}" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="CLIENT"><record name="c${i}"/></datasource></field>`);
  if (w.spectrum) fields.push(`<field name="spectrum" type="NX_FLOAT"><dimensions rank="1"><dim index="1" value="${w.spectrum}"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="spectrum"/></datasource></field>`);
  if (w.image) fields.push(`<field name="image" type="NX_UINT16"><dimensions rank="2"><dim index="1" value="${w.image}"/><dim index="2" value="${w.image}"/></dimensions><strategy mode="STEP"/><datasource type="FRAME"/></field>`);
  return `<definition><group type="NXentry" name="entry"><group type="NXdetector" name="detector">${fields.join('')}</group></group></definition>`;
}

/** JSON record texts, made before timing (a client sends text; parsing it is the engine's work) */
function records(w, n) {
  const spectrum = w.spectrum ? Array.from({ length: w.spectrum }, (_, k) => k) : undefined;
  const out = [];
  for (let r = 0; r < n; r++) {
    const parts = [];
    for (let i = 0; i < w.scalars; i++) parts.push(`"c${i}":${r * 0.5 + i}`);
    if (spectrum) parts.push(`"spectrum":${JSON.stringify(spectrum.map((v) => v + r))}`);
    out.push(`{"data":{${parts.join(',')}}}`);
  }
  return out;
}

async function timeNxsw(kernel, w, n, file, durability) {
  const recs = records(w, n);
  const s = new WriterSession({ extensions: kernel, addingLogs: false, durability });
  s.setFileName(file);
  s.setXmlSettings(configXml(w));
  await s.openFile();
  await s.openEntry();
  const t0 = performance.now();
  for (const r of recs) await s.record(r);
  await s.closeEntry();
  await s.closeFile();
  return (performance.now() - t0) / 1000;
}

/**
 * Images come as binary values, as from a Tango detector attribute (a client's JSON text of
 * 65 536 numbers would measure JSON parsing): the FRAME source returns a prebuilt uint16 frame.
 */
const frameSource = {
  kind: 'datasource', name: 'FRAME',
  create() {
    const data = Uint16Array.from({ length: IMAGE_SIDE * IMAGE_SIDE }, (_, k) => k & 0xffff);
    return { describe: () => 'FRAME (bench)', read: async () => ({ type: 'uint16', shape: [IMAGE_SIDE, IMAGE_SIDE], data }) };
  },
};

/** a sink that accepts everything and writes nothing: what remains is the engine's own cost */
const nullSink = {
  kind: 'sink', name: 'NULL', suffixes: ['.null'],
  async open(path) {
    const node = (p) => ({
      path: p, attrs: new Map(),
      setAttribute(n, v) { this.attrs.set(n, v); }, getAttribute(n) { return this.attrs.get(n); }, attributeNames() { return [...this.attrs.keys()]; },
    });
    const group = (p) => {
      const kids = new Map();
      return Object.assign(node(p), {
        keys: () => [...kids.keys()],
        openGroup: (n) => kids.get(n)?.kind === 'g' ? kids.get(n).v : undefined,
        createGroup: (n) => { const g = group(`${p === '/' ? '' : p}/${n}`); kids.set(n, { kind: 'g', v: g }); return g; },
        openField: (n) => kids.get(n)?.kind === 'f' ? kids.get(n).v : undefined,
        createField: (n, spec) => {
          const f = Object.assign(node(`${p}/${n}`), { type: spec.type, shape: [...spec.shape], rows: 0, write() {}, append(b) { this.rows += b.shape[0]; } });
          kids.set(n, { kind: 'f', v: f });
          return f;
        },
        createSoftLink() {}, createHardLink() {}, createExternalLink() {},
      });
    };
    return { path, root: group('/'), libraryVersion: 'none', flush() {}, close() {} };
  },
};

function h5pyBaseline(w, n, file) {
  const args = [join(here, 'baseline_h5py.py'), file, String(w.scalars), String(n), String(w.spectrum ?? 0), String(w.image ?? 0)];
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`h5py baseline failed: ${r.stderr}`);
  return JSON.parse(r.stdout).seconds;
}

function peakMemory(n) {
  const code = `
    import { Kernel, WriterSession } from ${JSON.stringify(join(repo, 'core/dist/src/index.js'))};
    const kernel = await Kernel.start({ cwd: ${JSON.stringify(repo)}, choose: ${JSON.stringify(choose)} });
    const s = new WriterSession({ extensions: kernel, addingLogs: false, durability: { mode: 'interval', intervalMs: 1000 } });
    s.setFileName(process.argv[1]);
    s.setXmlSettings(${JSON.stringify(configXml({ scalars: 10 }))});
    await s.openFile(); await s.openEntry();
    for (let r = 0; r < ${n}; r++) {
      let t = '{"data":{'; for (let i = 0; i < 10; i++) t += (i ? ',' : '') + '"c' + i + '":' + (r + i);
      await s.record(t + '}}');
    }
    await s.closeEntry(); await s.closeFile();
    console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 }));`;
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-mem-'));
  try {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, join(dir, 'm.nxs')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout).maxRssMB;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const plugins = await Kernel.start({ cwd: repo, choose });
const sinkPlugin = plugins.providerOf('sink', 'HDF5');
const kernel = Kernel.withExtensions([...plugins.list('datasource'), frameSource, ...plugins.list('sink')]);
const nullKernel = Kernel.withExtensions([...plugins.list('datasource'), nullSink]);
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-'));
const results = [];
try {
  // the engine's own cost per Record (10 scalar CLIENT fields), nothing written
  const engineN = Math.round(20000 * scale);
  await timeNxsw(nullKernel, { scalars: 10 }, 500, join(dir, 'warm.null'), { mode: 'record' });
  const engineS = await timeNxsw(nullKernel, { scalars: 10 }, engineN, join(dir, 'engine.null'), { mode: 'record' });
  const engineUs = (engineS / engineN) * 1e6;

  for (const w of WORKLOADS) {
    const n = Math.max(10, Math.round(w.records * scale));
    const nx = await timeNxsw(kernel, w, n, join(dir, `nxsw-${results.length}.nxs`), { mode: 'record' });
    const nxInterval = await timeNxsw(kernel, w, n, join(dir, `nxsw-i-${results.length}.nxs`), { mode: 'interval', intervalMs: 1000 });
    const py = h5pyBaseline(w, n, join(dir, `h5py-${results.length}.h5`));
    results.push({ workload: w.name, records: n, nxswUsPerRecord: (nx / n) * 1e6, nxswIntervalUsPerRecord: (nxInterval / n) * 1e6, h5pyUsPerRecord: (py / n) * 1e6, ratio: nx / py, ratioInterval: nxInterval / py });
  }
  const mem10k = peakMemory(Math.round(10000 * scale));
  const mem100k = peakMemory(Math.round(100000 * scale));
  const out = { machine: `${cpus().length} x ${cpus()[0]?.model}`, node: process.version, quick, sink: sinkPlugin, engineUsPerRecord10Scalars: engineUs, workloads: results, peakRssMB: { [`${Math.round(10000 * scale)} records`]: mem10k, [`${Math.round(100000 * scale)} records`]: mem100k } };
  if (asJson) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(`machine: ${out.machine}, node ${out.node}${quick ? ' (quick)' : ''}, HDF5 sink ${sinkPlugin}`);
    console.log(`engine cost per Record, 10 scalar CLIENT fields, nothing written: ${engineUs.toFixed(1)} µs (target ≤ 50 µs)`);
    console.log('\nworkload                                   records  nxsw µs/rec  h5py µs/rec  nxsw/h5py   nxsw(flush 1 s) µs/rec  ratio');
    for (const r of results) {
      console.log(`${r.workload.padEnd(42)} ${String(r.records).padStart(7)}  ${r.nxswUsPerRecord.toFixed(1).padStart(11)}  ${r.h5pyUsPerRecord.toFixed(1).padStart(11)}  ${r.ratio.toFixed(2).padStart(8)}x  ${r.nxswIntervalUsPerRecord.toFixed(1).padStart(22)}  ${r.ratioInterval.toFixed(2).padStart(5)}x`);
    }
    console.log(`\npeak RSS, 10 scalar fields: ${Object.entries(out.peakRssMB).map(([k, v]) => `${k}: ${v.toFixed(0)} MB`).join(', ')} (target: flat, < 200 MB at 100 000)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await plugins.stop();
}
