#!/usr/bin/env node
// The cost of the Python worker's Landlock sandbox:
//  1. worker start: a new session's first PYEVAL read (spawn, start-up imports, confinement, the
//     script) with sandbox "landlock" and false, alternating;
//  2. sandbox.confine() alone, in a Python process (median of many);
//  3. one evaluation's round trip in a running worker, confined and not.
// Usage: node bench/pyeval/start.mjs [starts=20] [reads=2000]
// Needs the built workspace (npm run build) and /usr/bin/python3 (or NXSW_PYTHON).
import { execFileSync } from 'node:child_process';
import { parseXml, silentLogger } from '@nxsw/core';
import { PyEvalSourceType, PythonRuntime, PYTHON_DIR } from '@nxsw/source-python';

const STARTS = Number(process.argv[2] ?? 20);
const READS = Number(process.argv[3] ?? 2000);
const PYTHON = process.env.NXSW_PYTHON ?? '/usr/bin/python3';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ctx = (shared) => ({
  phase: 'STEP', step: 1, globalJson: { data: {} }, localJson: undefined, signal: new AbortController().signal,
  shared, file: undefined, decoder: () => { throw new Error('no decoders'); },
});
const el = parseXml('<datasource type="PYEVAL"><result>ds.result = 1</result></datasource>');
const env = { createSource: () => { throw new Error('no inputs'); } };

const starts = { landlock: [], false: [] };
const runtimes = { landlock: new PythonRuntime({ python: PYTHON, scriptTimeoutMs: 10_000, sandbox: 'landlock', log: silentLogger, sinkName: () => '' }),
  false: new PythonRuntime({ python: PYTHON, scriptTimeoutMs: 10_000, sandbox: false, log: silentLogger, sinkName: () => '' }) };
for (let i = 0; i < STARTS + 2; i++) {
  for (const mode of ['landlock', 'false']) {
    const src = new PyEvalSourceType(runtimes[mode]).create(el, env);
    const t0 = performance.now();
    await src.read(ctx(new Map()));
    if (i >= 2) starts[mode].push(performance.now() - t0);
    await runtimes[mode].dispose();
  }
}

const confineUs = Number(execFileSync(PYTHON, ['-c', `
import time, os
from nxsw_python import sandbox
t = []
for i in range(200):
    pid = os.fork()
    if pid == 0:
        t0 = time.perf_counter(); sandbox.confine("landlock", ["/tmp", "/dev/null"]); dt = time.perf_counter() - t0
        os.write(1, b"%f\\n" % (dt * 1e6)); os._exit(0)
    os.waitpid(pid, 0)
`], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: PYTHON_DIR } }).trim().split('\n').map(Number).sort((a, b) => a - b)[100]);

// both workers run side by side; blocks of reads alternate, so neither gets the warmer machine
const reads = { landlock: [], false: [] };
const live = {};
for (const mode of ['landlock', 'false']) {
  live[mode] = { src: new PyEvalSourceType(runtimes[mode]).create(el, env), shared: new Map() };
  for (let i = 0; i < 200; i++) await live[mode].src.read(ctx(live[mode].shared));
}
for (let block = 0; block < 10; block++) {
  for (const mode of block % 2 ? ['false', 'landlock'] : ['landlock', 'false']) {
    const { src, shared } = live[mode];
    for (let i = 0; i < READS / 10; i++) {
      const t0 = performance.now();
      await src.read(ctx(shared));
      reads[mode].push(performance.now() - t0);
    }
  }
}
for (const mode of ['landlock', 'false']) {
  reads[mode] = median(reads[mode]) * 1e3;
  await runtimes[mode].dispose();
}

console.log(`worker start to first result, median of ${STARTS}: sandbox "landlock" ${median(starts.landlock).toFixed(1)} ms, sandbox false ${median(starts.false).toFixed(1)} ms`);
console.log(`sandbox.confine() alone: ${confineUs.toFixed(0)} µs (median of 200)`);
console.log(`one evaluation's round trip, median of ${READS}: confined ${reads.landlock.toFixed(1)} µs, unconfined ${reads.false.toFixed(1)} µs`);
