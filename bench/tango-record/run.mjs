#!/usr/bin/env node
// Record round trip seen by a PyTango client (10 scalar CLIENT fields) against the nxsw Tango
// server, next to the in-process cost of the same Record (WriterSession.record) in the same run.
//   npm run build && node bench/tango-record/run.mjs [--records N]
//   (the HDF5 sink the server picks: the native one where the library loads; NXSW_CHOOSE=sink:HDF5=@nxsw/sink-hdf5 for h5wasm)
// Writes bench/results/tango-record.json. Needs /usr/bin/python3 with python3-tango.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodbServer } from '../nxsw-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const N = Number(process.argv[process.argv.indexOf('--records') + 1]) || 2000;
const WARMUP = 200;
const FIELDS = Array.from({ length: 10 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
const XML = `<definition><group type="NXentry" name="entry1">${FIELDS.map((f) => `<field name="${f}" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="CLIENT"><record name="${f}"/></datasource></field>`).join('')}</group></definition>`;
const record = (i) => JSON.stringify({ data: Object.fromEntries(FIELDS.map((f, k) => [f, i + k / 10])) });

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median_ms: +q(0.5).toFixed(4), p99_ms: +q(0.99).toFixed(4), min_ms: +s[0].toFixed(4), mean_ms: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(4) };
};

const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-tango-'));

const PY = `
import sys, json, time, tango
dev = tango.DeviceProxy(sys.argv[1])
N, W = int(sys.argv[2]), int(sys.argv[3])
xml, out_file = sys.argv[4], sys.argv[5]
fields = json.loads(sys.argv[6])
recs = [json.dumps({"data": {f: i + k / 10 for k, f in enumerate(fields)}}) for i in range(N + W)]
def timed(fn, n):
    t = []
    for i in range(n):
        t0 = time.perf_counter(); fn(i); t.append((time.perf_counter() - t0) * 1000)
    return t
state = timed(lambda i: dev.state(), 500)
dev.FileName = out_file
dev.OpenFile(); dev.XMLSettings = xml; dev.OpenEntry()
timed(lambda i: dev.Record(recs[i]), W)
rec = timed(lambda i: dev.Record(recs[W + i]), N)
dev.CloseEntry(); dev.CloseFile()
print(json.dumps({"state": state, "record": rec}))
`;

/** the server in its own process, PyTango in another: what a beamline client sees */
async function overTango(extra, tag) {
  const server = await startNodbServer(root, 'bench/nxsw/1', extra);
  const port = server.port;
  try {
    return await new Promise((resolve, reject) => {
      execFile('/usr/bin/python3', ['-c', PY, `tango://127.0.0.1:${port}/bench/nxsw/1#dbase=no`, String(N), String(WARMUP), XML, join(dir, `tango-${tag}.nxs`), JSON.stringify(FIELDS)],
        { maxBuffer: 1 << 26 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
    });
  } finally {
    server.stop();
  }
}

/** the same Records through the engine directly, in this process */
const { Kernel, WriterSession, parseChoices } = await import(join(root, 'core/dist/src/index.js'));
// NXSW_CHOOSE (e.g. sink:HDF5=@nxsw/sink-hdf5) applies here as in the server it starts
const kernel = await Kernel.start({ cwd: root, choose: parseChoices() });
async function inProcess(durability, tag) {
  const session = new WriterSession({ extensions: kernel, defaultCanFail: true, durability });
  session.setFileName(join(dir, `inproc-${tag}.nxs`));
  await session.openFile();
  session.setXmlSettings(XML);
  await session.openEntry();
  for (let i = 0; i < WARMUP; i++) await session.record(record(i));
  const t = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await session.record(record(WARMUP + i));
    t.push(performance.now() - t0);
  }
  await session.closeEntry();
  await session.closeFile();
  return t;
}

const flushEach = await overTango([], 'each');
const flushEachIn = await inProcess({ mode: 'record' }, 'each');
const interval = await overTango(['--flush-interval', '1000'], 'interval');
const intervalIn = await inProcess({ mode: 'interval', intervalMs: 1000 }, 'interval');
await kernel.stop();
rmSync(dir, { recursive: true, force: true });

const result = {
  when: new Date().toISOString(), node: process.version, records: N, fields: FIELDS.length,
  flush_after_every_record: { pytango_record: stats(flushEach.record), in_process_record: stats(flushEachIn) },
  flush_every_1000ms: { pytango_record: stats(interval.record), in_process_record: stats(intervalIn) },
  pytango_state: stats(flushEach.state),
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/tango-record.json'), JSON.stringify(result, null, 2) + '\n');
const line = (label, s) => console.log(`  ${label.padEnd(44)} median ${s.median_ms.toFixed(3)} ms   p99 ${s.p99_ms.toFixed(3)} ms`);
console.log(`Record with ${FIELDS.length} scalar CLIENT fields, ${N} records after ${WARMUP} warm-up (results: bench/results/tango-record.json)`);
console.log('file flushed after every Record (default):');
line('PyTango → nxsw Record round trip', result.flush_after_every_record.pytango_record);
line('in-process WriterSession.record', result.flush_after_every_record.in_process_record);
console.log('serve --flush-interval 1000:');
line('PyTango → nxsw Record round trip', result.flush_every_1000ms.pytango_record);
line('in-process WriterSession.record', result.flush_every_1000ms.in_process_record);
line('PyTango → nxsw State round trip', result.pytango_state);
