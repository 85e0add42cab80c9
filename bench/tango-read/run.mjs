#!/usr/bin/env node
// Attribute reads of sys/tg_test/1/double_scalar, one after the other: through the TANGO datasource,
// through the plain tango-wire DeviceProxy, and through PyTango in the same run. Prints reads/s,
// latency percentiles and ratios. Usage: node bench/tango-read/run.mjs [reads=2000]
// Needs the built workspace (npm run build) and the Tango stack (scripts/tango-stack.sh start).
import { spawnSync } from 'node:child_process';
import { parseXml } from '@nxsw/core';
import { DeviceProxy, Orb } from '@nxsw/tango-wire';
import { TangoSourceType } from '@nxsw/source-tango';

const N = Number(process.argv[2] ?? 2000);
const DEV = 'sys/tg_test/1';
const ATTR = 'double_scalar';
process.env.TANGO_HOST ||= 'localhost:10000';

function stats(name, samples) {
  const s = [...samples].sort((a, b) => a - b);
  const total = samples.reduce((a, b) => a + b, 0);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { name, readsPerSec: (samples.length / total) * 1e3, meanUs: (total / samples.length) * 1e3, p50Us: q(0.5) * 1e3, p99Us: q(0.99) * 1e3 };
}

async function timeLoop(name, fn) {
  for (let i = 0; i < 1500; i++) await fn(); // warm-up: connection, command/attribute caches, JIT (the first path measured needs it most)
  const samples = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return stats(name, samples);
}

const type = new TangoSourceType();
const src = type.create(parseXml(`<datasource type="TANGO"><device name="${DEV}"/><record name="${ATTR}"/></datasource>`), {});
const ctx = { phase: 'STEP', step: 1, globalJson: {}, localJson: undefined, signal: new AbortController().signal, shared: new Map(), file: undefined, decoder: () => { throw new Error('none'); } };
const viaSource = await timeLoop('TANGO datasource', () => src.read(ctx));
await type.dispose();

const orb = new Orb();
const dp = new DeviceProxy(DEV, { orb });
const viaProxy = await timeLoop('tango-wire DeviceProxy', () => dp.readAttribute(ATTR));
orb.close();

const py = spawnSync('/usr/bin/python3', ['-c', `
import tango, time, json, sys
n = int(sys.argv[1]); d = tango.DeviceProxy('${DEV}')
for _ in range(100): d.read_attribute('${ATTR}')
s = []
for _ in range(n):
    t0 = time.perf_counter(); d.read_attribute('${ATTR}'); s.append((time.perf_counter() - t0) * 1e3)
print(json.dumps(s))
`, String(N)], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 26 });
if (py.status !== 0) throw new Error(`PyTango failed: ${py.stderr}`);
const viaPy = stats('PyTango 9 DeviceProxy', JSON.parse(py.stdout));

const rows = [viaSource, viaProxy, viaPy];
console.log(`${N} sequential reads of ${DEV}/${ATTR} (TANGO_HOST=${process.env.TANGO_HOST}), node ${process.version}`);
console.log('path                      reads/s   mean µs   p50 µs   p99 µs');
for (const r of rows) console.log(`${r.name.padEnd(24)} ${r.readsPerSec.toFixed(0).padStart(8)} ${r.meanUs.toFixed(0).padStart(9)} ${r.p50Us.toFixed(0).padStart(8)} ${r.p99Us.toFixed(0).padStart(8)}`);
console.log(`ratios (reads/s): datasource / PyTango = ${(viaSource.readsPerSec / viaPy.readsPerSec).toFixed(2)}, ` +
  `DeviceProxy / PyTango = ${(viaProxy.readsPerSec / viaPy.readsPerSec).toFixed(2)}, datasource / DeviceProxy = ${(viaSource.readsPerSec / viaProxy.readsPerSec).toFixed(2)}`);
