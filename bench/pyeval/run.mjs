#!/usr/bin/env node
// PYEVAL through the Python worker beside in-process Python exec of the same scripts, in one run:
//  1. one evaluation with two scalar CLIENT inputs (`ds.result = ds.a + ds.b`): round trip per read;
//  2. a Record of a scan with 10 PYEVAL STEP fields (two inputs each), through a writer session
//     and the default sink (flushed once a second), against 10 in-process execs of the same
//     scripts; beside it the same Record with 10 CLIENT fields (no Python).
// Prints medians, p99 and the ratios. Usage: node bench/pyeval/run.mjs [reads=5000] [records=500]
// Needs the built workspace (npm run build) and /usr/bin/python3 (or NXSW_PYTHON).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel, WriterSession, parseXml, silentLogger } from '@nxsw/core';
import { ClientSourceType } from '@nxsw/source-json';
import { PyEvalSourceType, PythonRuntime } from '@nxsw/source-python';

const READS = Number(process.argv[2] ?? 5000);
const RECORDS = Number(process.argv[3] ?? 500);
const PYTHON = process.env.NXSW_PYTHON ?? '/usr/bin/python3';
process.env.NXSW_PYTHON = PYTHON;
const SCRIPT = 'ds.result = ds.a + ds.b';

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5) * 1e3, p99: q(0.99) * 1e3 };
}

async function timeLoop(n, warm, fn) {
  for (let i = 0; i < warm; i++) await fn(i);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

// 1. one evaluation
const runtime = new PythonRuntime({ python: PYTHON, scriptTimeoutMs: 10_000, log: silentLogger, sinkName: () => '' });
const env = { createSource: (el) => new ClientSourceType().create(el) };
const src = new PyEvalSourceType(runtime).create(parseXml(`<datasource type="PYEVAL"><datasource type="CLIENT" name="a"><record name="a"/></datasource><datasource type="CLIENT" name="b"><record name="b"/></datasource><result>${SCRIPT}</result></datasource>`), env);
const shared = new Map();
const ctx = (i) => ({ phase: 'STEP', step: 1, globalJson: { data: { a: i, b: 0.5 } }, localJson: undefined, signal: new AbortController().signal, shared, file: undefined, decoder: () => { throw new Error('none'); } });
const one = await timeLoop(READS, 2000, (i) => src.read(ctx(i)));
await runtime.dispose();

// 2. a Record with 10 PYEVAL fields, and the same Record with 10 CLIENT fields (the engine's and
// the sink's own cost per Record); the file is flushed once a second (--flush-interval 1000), so
// the figure is the Record's work, not the disk's
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-pyeval-'));
const kernel = await Kernel.start({ cwd: new URL('../..', import.meta.url).pathname });
const data = (i) => JSON.stringify({ data: Object.fromEntries([['a', i], ...Array.from({ length: 10 }, (_, k) => [`b${k}`, k + 0.5])]) });
async function scan(name, source) {
  const fields = Array.from({ length: 10 }, (_, k) => `<field name="f${k}" type="NX_FLOAT"><strategy mode="STEP"/>${source(k)}</field>`).join('');
  const session = new WriterSession({ extensions: kernel, addingLogs: false, durability: { mode: 'interval', intervalMs: 1000 } });
  session.setFileName(join(dir, `${name}.nxs`));
  await session.openFile();
  session.setXmlSettings(`<definition><group type="NXentry" name="entry1">${fields}</group></definition>`);
  await session.openEntry();
  const r = await timeLoop(RECORDS, 200, (i) => session.record(data(i)));
  await session.closeEntry();
  await session.closeFile();
  return r;
}
const record = await scan('pyeval', (k) => `<datasource type="PYEVAL"><datasource type="CLIENT" name="a"><record name="a"/></datasource><datasource type="CLIENT" name="b"><record name="b${k}"/></datasource><result>${SCRIPT}</result></datasource>`);
const clientRecord = await scan('client', (k) => `<datasource type="CLIENT"><record name="b${k}"/></datasource>`);
await kernel.stop();
rmSync(dir, { recursive: true, force: true });

// the baseline: the same scripts by exec in one Python process (the reference's way)
const py = spawnSync(PYTHON, ['-c', `
import json, sys, time
class V(object): pass
n, records = int(sys.argv[1]), int(sys.argv[2])
code = compile(${JSON.stringify(SCRIPT)}, "script", "exec")
def one(i):
    ds = V(); ds.a = i; ds.b = 0.5; ds.result = None
    exec(code, {}, {"ds": ds})
    return ds.result
def stats(s):
    s.sort(); return {"p50": s[len(s) // 2] * 1e6, "p99": s[min(len(s) - 1, int(0.99 * len(s)))] * 1e6}
for i in range(2000): one(i)
s = []
for i in range(n):
    t0 = time.perf_counter(); one(i); s.append(time.perf_counter() - t0)
r = []
for i in range(records):
    t0 = time.perf_counter()
    for k in range(10): one(i)
    r.append(time.perf_counter() - t0)
print(json.dumps([stats(s), stats(r)]))
`, String(READS), String(RECORDS)], { encoding: 'utf8' });
if (py.status !== 0) throw new Error(`python baseline failed: ${py.stderr}`);
const [pyOne, pyRecord] = JSON.parse(py.stdout);

console.log(`PYEVAL through the worker vs in-process exec (${PYTHON}), node ${process.version}`);
console.log('case                                   nxsw p50 µs  p99 µs   exec p50 µs  p99 µs   ratio (p50)');
const row = (name, a, b) => console.log(`${name.padEnd(38)} ${a.p50.toFixed(1).padStart(10)} ${a.p99.toFixed(1).padStart(7)} ${b.p50.toFixed(1).padStart(12)} ${b.p99.toFixed(1).padStart(7)} ${(a.p50 / b.p50).toFixed(0).padStart(10)}x`);
row('one evaluation, two scalar inputs', one, pyOne);
row('Record with 10 PYEVAL fields', record, pyRecord);
console.log(`Record with 10 CLIENT fields (engine + sink, no Python): p50 ${clientRecord.p50.toFixed(1)} µs, p99 ${clientRecord.p99.toFixed(1)} µs; PYEVAL adds ${(record.p50 - clientRecord.p50).toFixed(1)} µs per Record`);
console.log(`targets: one evaluation ≤ 100 µs median (${one.p50 <= 100 ? 'met' : 'NOT met'}); Record ≤ 1000 µs median (${record.p50 <= 1000 ? 'met' : 'NOT met'}; PYEVAL's share ${record.p50 - clientRecord.p50 <= 1000 ? 'met' : 'NOT met'})`);
