#!/usr/bin/env node
// Change events seen by a PyTango callback: the time from a client's attribute write to the
// callback with the new value. nxsw (FileName, pushed by the device, no polling) next to the
// baseline cppTango 9.3 TangoTest (string_scalar, change events from polling every 10 ms, the
// fastest way a cppTango device without push code delivers them), in the same run.
//   npm run build && node bench/tango-events/run.mjs [--events N]
// Writes bench/results/tango-events.json. Needs /usr/bin/python3 with python3-tango and the Tango
// stack (scripts/tango-stack.sh start) for TangoTest.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodbServer } from '../nxsw-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const N = Number(process.argv[process.argv.indexOf('--events') + 1]) || 300;
const WARMUP = 20;
const TANGO_HOST = process.env.TANGO_HOST ?? 'localhost:10000';

const PY = `
import sys, json, time, threading, tango
dev = tango.DeviceProxy(sys.argv[1])
attr, n, w, poll = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
if poll:
    dev.poll_attribute(attr, poll)
latest = {"v": None}
cond = threading.Condition()
def cb(e):
    if e.err:
        return
    with cond:
        latest["v"] = e.attr_value.value
        cond.notify_all()
eid = dev.subscribe_event(attr, tango.EventType.CHANGE_EVENT, cb)
t = []
try:
    for i in range(n + w):
        value = "/tmp/bench-event-%d-%d" % (time.time_ns(), i)
        t0 = time.perf_counter()
        dev.write_attribute(attr, value)
        with cond:
            ok = cond.wait_for(lambda: latest["v"] == value, timeout=5)
        if not ok:
            raise SystemExit("no event for write %d" % i)
        if i >= w:
            t.append((time.perf_counter() - t0) * 1000)
finally:
    dev.unsubscribe_event(eid)
    if poll:
        dev.stop_poll_attribute(attr)
print(json.dumps(t))
`;

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median_ms: +q(0.5).toFixed(3), p99_ms: +q(0.99).toFixed(3), mean_ms: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(3) };
};

function pytango(device, attr, poll) {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', PY, device, attr, String(N), String(WARMUP), String(poll)], { env: { ...process.env, TANGO_HOST }, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))));
  });
}

const server = await startNodbServer(root, 'bench/nxswevents/1');
let nxsw;
try {
  nxsw = await pytango(`tango://127.0.0.1:${server.port}/bench/nxswevents/1#dbase=no`, 'FileName', 0);
} finally {
  server.stop();
}
const cpp = await pytango('sys/tg_test/1', 'string_scalar', 10);

const result = { when: new Date().toISOString(), node: process.version, events: N, nxsw_pushed: stats(nxsw), tangotest_polled_10ms: stats(cpp) };
result.ratio_median = +(result.nxsw_pushed.median_ms / result.tangotest_polled_10ms.median_ms).toFixed(2);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/tango-events.json'), JSON.stringify(result, null, 2) + '\n');
const line = (label, s) => console.log(`  ${label.padEnd(52)} median ${s.median_ms.toFixed(3)} ms   p99 ${s.p99_ms.toFixed(3)} ms`);
console.log(`write → change-event callback in PyTango, ${N} events after ${WARMUP} warm-up (results: bench/results/tango-events.json)`);
line('nxsw FileName (pushed by the device, no polling)', result.nxsw_pushed);
line('cppTango TangoTest string_scalar (polled every 10 ms)', result.tangotest_polled_10ms);
console.log(`  ratio nxsw / cppTango (median): ${result.ratio_median}`);
