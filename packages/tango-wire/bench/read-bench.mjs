#!/usr/bin/env node
// Attribute read throughput and latency: tango-wire vs PyTango on the same TangoTest, same run.
// Usage: node packages/tango-wire/bench/read-bench.mjs [reads=2000] [attribute=double_scalar]
// Needs the stack (scripts/tango-stack.sh start) and a build (npx tsc -b packages/tango-wire).
import { spawnSync } from 'node:child_process';
import { DeviceProxy, Orb } from '../dist/src/index.js';

const N = Number(process.argv[2] ?? 2000);
const ATTR = process.argv[3] ?? 'double_scalar';
const TANGO_HOST = process.env.TANGO_HOST || 'localhost:10000';

function stats(label, latUs, totalMs) {
  const s = [...latUs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(0);
  console.log(`${label.padEnd(30)} ${(latUs.length / (totalMs / 1000)).toFixed(0).padStart(7)} reads/s   latency µs: mean ${(s.reduce((a, b) => a + b, 0) / s.length).toFixed(0)} p50 ${q(0.5)} p99 ${q(0.99)}`);
}

const orb = new Orb();
const dev = await DeviceProxy.connect(`tango://${TANGO_HOST}/sys/tg_test/1`, { orb });
for (let i = 0; i < 200; i++) await dev.readAttributes([ATTR]); // warm-up (JIT, connection)

const lat = [];
let t0 = performance.now();
for (let i = 0; i < N; i++) {
  const a = performance.now();
  await dev.readAttributes([ATTR]);
  lat.push((performance.now() - a) * 1000);
}
stats(`tango-wire sequential`, lat, performance.now() - t0);

const conc = 16;
t0 = performance.now();
const latC = [];
await Promise.all(Array.from({ length: conc }, async () => {
  for (let i = 0; i < N / conc; i++) {
    const a = performance.now();
    await dev.readAttributes([ATTR]);
    latC.push((performance.now() - a) * 1000);
  }
}));
stats(`tango-wire ${conc} in flight`, latC, performance.now() - t0);
orb.close();

const py = `
import tango, time, json
d = tango.DeviceProxy('sys/tg_test/1')
for i in range(200): d.read_attribute('${ATTR}')
lat = []
t0 = time.perf_counter()
for i in range(${N}):
    a = time.perf_counter(); d.read_attribute('${ATTR}'); lat.append((time.perf_counter() - a) * 1e6)
print(json.dumps({'lat': lat, 'total_ms': (time.perf_counter() - t0) * 1000}))
`;
for (const [label, env] of [['PyTango (unix socket)', {}], ['PyTango (TCP forced)', { ORBclientTransportRule: '* tcp' }]]) {
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', env: { ...process.env, TANGO_HOST, ...env } });
  if (r.status !== 0) {
    console.log(`${label}: failed: ${r.stderr.trim().split('\n').pop()}`);
    continue;
  }
  const out = JSON.parse(r.stdout);
  stats(label, out.lat, out.total_ms);
}
