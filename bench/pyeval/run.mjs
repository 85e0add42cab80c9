#!/usr/bin/env node
// PYEVAL through the Python worker beside in-process Python exec of the same scripts, in one run:
//  1. one evaluation with two scalar CLIENT inputs (`ds.result = ds.a + ds.b`): round trip per read;
//  2. a Record of a scan with 10 PYEVAL STEP fields (two inputs each), through a writer session
//     and the default sink (flushed once a second), against 10 in-process execs of the same
//     scripts; beside it the same Record with 10 CLIENT fields (no Python);
//  3. a Python decoder class (the global JSON "decoders"; UINT32-style: little-endian words
//     unpacked into a numpy array) decoding a DevEncoded value of 1 KiB and 1 MiB through the
//     worker, against the same class called in one Python process, and nxsw's built-in UINT32
//     decoder in JavaScript.
// Prints medians, p99 and the ratios.
// Usage: node bench/pyeval/run.mjs [reads=5000] [records=500] [decodes=2000 (1 KiB; 1 MiB: a twentieth)]
// Needs the built workspace (npm run build) and /usr/bin/python3 (or NXSW_PYTHON).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel, WriterSession, parseXml, silentLogger } from '@nxsw/core';
import { ClientSourceType } from '@nxsw/source-json';
import { PyEvalSourceType, PythonClassDecoder, PythonRuntime } from '@nxsw/source-python';
import { uint32Decoder } from '@nxsw/source-tango';

const READS = Number(process.argv[2] ?? 5000);
const RECORDS = Number(process.argv[3] ?? 500);
const DECODES = Number(process.argv[4] ?? 2000);
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

// 3. a decoder class: one instance in the worker, then per value load((format, bytes)), shape(),
// decode() and dtype, as the reference's DecoderPool calls it; the module is put on PYTHONPATH,
// where a beamline's decoder package would be
writeFileSync(join(dir, 'bench_decoders.py'), `
import struct
import numpy

# little-endian unsigned 32-bit words, as nxsw's UINT32 decoder reads them, unpacked into a new
# array as the reference's UINT32 decoder does
class Words(object):
    def __init__(self):
        self.name, self.format, self.dtype, self.data = "WORDS", None, None, None
    def load(self, data):
        self.format, self.data = data[0], data[1]
        self.dtype = "uint32"
    def shape(self):
        return [len(self.data) // 4, 0]
    def decode(self):
        n = len(self.data) // 4
        return numpy.array(struct.unpack("<%dI" % n, self.data), dtype=self.dtype).reshape(n)

# the same words as a view of the bytes: no work in process, so the worker's figure is its transfer
class WordsView(Words):
    def decode(self):
        return numpy.frombuffer(self.data, dtype="<u4")
`);
process.env.PYTHONPATH = [dir, process.env.PYTHONPATH].filter(Boolean).join(':');
const BIG = Math.max(20, Math.round(DECODES / 20));
const CASES = [['Words', 1024, DECODES], ['Words', 1 << 20, BIG], ['WordsView', 1 << 20, BIG]];
const payload = (bytes) => Uint8Array.from({ length: bytes }, (_, i) => (i * 7) & 0xff);
const decRuntime = new PythonRuntime({ python: PYTHON, scriptTimeoutMs: 10_000, log: silentLogger, sinkName: () => '' });
const decCtx = { shared: new Map(), signal: new AbortController().signal };
const decoded = [];
for (const [cls, bytes, n] of CASES) {
  const pyDecoder = new PythonClassDecoder(`bench_decoders.${cls}`, 'WORDS', decRuntime);
  const value = payload(bytes);
  // both decoders give the same words
  const a = await pyDecoder.decode('WORDS', value, decCtx);
  const b = uint32Decoder.decode('WORDS', value);
  if (a.type !== 'uint32' || a.data.length !== b.data.length || a.data.some((x, i) => x !== b.data[i])) throw new Error(`the decoders disagree on ${bytes} bytes`);
  const worker = await timeLoop(n, Math.min(200, n), () => pyDecoder.decode('WORDS', value, decCtx));
  const js = await timeLoop(n, Math.min(200, n), () => uint32Decoder.decode('WORDS', value));
  decoded.push({ cls, bytes, n, worker, js });
}
await decRuntime.dispose();
const pyDec = spawnSync(PYTHON, ['-c', `
import json, sys, time
import bench_decoders
def stats(s):
    s.sort(); return {"p50": s[len(s) // 2] * 1e6, "p99": s[min(len(s) - 1, int(0.99 * len(s)))] * 1e6}
out = []
for cls, size, n in json.loads(sys.argv[1]):
    data = bytes((i * 7) & 0xff for i in range(size))
    d = getattr(bench_decoders, cls)()
    def one():
        d.load(("WORDS", data)); d.shape(); return d.decode()
    for i in range(min(200, n)): one()
    s = []
    for i in range(n):
        t0 = time.perf_counter(); one(); s.append(time.perf_counter() - t0)
    out.append(stats(s))
print(json.dumps(out))
`, JSON.stringify(CASES)], { encoding: 'utf8', env: process.env });
if (pyDec.status !== 0) throw new Error(`python decoder baseline failed: ${pyDec.stderr}`);
const pyDecoded = JSON.parse(pyDec.stdout);
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
console.log();
console.log('decoder class, one DevEncoded value    worker p50 µs  p99 µs  in-process p50 µs  p99 µs   ratio | JS UINT32 p50 µs  / in-process');
decoded.forEach(({ cls, bytes, n, worker, js }, k) => {
  const inproc = pyDecoded[k];
  const label = `${cls}, ${bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`} (${n} decodes)`;
  console.log(`${label.padEnd(38)} ${worker.p50.toFixed(1).padStart(13)} ${worker.p99.toFixed(1).padStart(7)} ${inproc.p50.toFixed(1).padStart(18)} ${inproc.p99.toFixed(1).padStart(7)} ${(worker.p50 / inproc.p50).toFixed(1).padStart(6)}x | ${js.p50.toFixed(1).padStart(16)} ${(js.p50 / inproc.p50).toFixed(2).padStart(12)}x`);
});
console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${cpus().length} CPUs)`);
console.log(`targets: one evaluation ≤ 100 µs median (${one.p50 <= 100 ? 'met' : 'NOT met'}); Record ≤ 1000 µs median (${record.p50 <= 1000 ? 'met' : 'NOT met'}; PYEVAL's share ${record.p50 - clientRecord.p50 <= 1000 ? 'met' : 'NOT met'})`);
