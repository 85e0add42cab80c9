#!/usr/bin/env node
// Record round trip seen by a PyTango client (10 scalar CLIENT fields) against the nxsw Tango
// server, next to the in-process cost of the same Record (WriterSession.record) in the same run.
//   npm run build && node bench/tango-record/run.mjs [--records N]
// Writes bench/results/tango-record.json. Needs /usr/bin/python3 with python3-tango.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const server = spawn(process.execPath, [join(root, 'core/dist/src/cli/main.js'), 'serve', '--nodb', '--port', '0', '--device', 'bench/nxsw/1', '--publish-host', '127.0.0.1'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
const port = await new Promise((resolve, reject) => {
  let text = '';
  server.stderr.on('data', (b) => {
    text += b;
    const m = /listening on port (\d+)/.exec(text);
    if (m) resolve(Number(m[1]));
  });
  server.on('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
});

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
const pyOut = await new Promise((resolve, reject) => {
  execFile('/usr/bin/python3', ['-c', PY, `tango://127.0.0.1:${port}/bench/nxsw/1#dbase=no`, String(N), String(WARMUP), XML, join(dir, 'tango.nxs'), JSON.stringify(FIELDS)],
    { maxBuffer: 1 << 26 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
});
server.kill('SIGTERM');

// the same Record in process, through the engine directly
const { Kernel, WriterSession } = await import(join(root, 'core/dist/src/index.js'));
const kernel = await Kernel.start({ cwd: root });
const session = new WriterSession({ extensions: kernel, defaultCanFail: true });
session.setFileName(join(dir, 'inproc.nxs'));
await session.openFile();
session.setXmlSettings(XML);
await session.openEntry();
for (let i = 0; i < WARMUP; i++) await session.record(record(i));
const inproc = [];
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  await session.record(record(WARMUP + i));
  inproc.push(performance.now() - t0);
}
await session.closeEntry();
await session.closeFile();
await kernel.stop();
rmSync(dir, { recursive: true, force: true });

const result = {
  when: new Date().toISOString(), node: process.version, records: N, fields: FIELDS.length,
  pytango_record: stats(pyOut.record), pytango_state: stats(pyOut.state), in_process_record: stats(inproc),
};
result.protocol_overhead_median_ms = +(result.pytango_record.median_ms - result.in_process_record.median_ms).toFixed(4);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/tango-record.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`Record with ${FIELDS.length} scalar CLIENT fields, ${N} records (after ${WARMUP} warm-up):`);
console.log(`  PyTango → nxsw Record round trip  median ${result.pytango_record.median_ms} ms  p99 ${result.pytango_record.p99_ms} ms`);
console.log(`  in-process WriterSession.record   median ${result.in_process_record.median_ms} ms  p99 ${result.in_process_record.p99_ms} ms`);
console.log(`  PyTango → nxsw State round trip   median ${result.pytango_state.median_ms} ms  p99 ${result.pytango_state.p99_ms} ms`);
console.log(`  goal: Record median < 0.5 ms → ${result.pytango_record.median_ms < 0.5 ? 'met' : 'NOT met'}`);
