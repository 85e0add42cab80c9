#!/usr/bin/env node
/* global fetch, URLSearchParams */
// Record latency of the example scan with the live view watching vs without, in the same run:
// `node bench/live-view/run.mjs [--records N] [--rounds R]`. "Watching" is what a browser on the
// live view does, made harder: a status stream (SSE) open, and every 200 ms the requests H5Web
// makes on a refresh (meta of the NXdata, the counter whole, one spectrum slice in binary).
// The two modes alternate in rounds so drift of the shared machine hits both.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Kernel, WriterSession } from '@nxsw/core';
import { startHttp } from '@nxsw/frontend-http';

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '4' }, json: { type: 'boolean', default: false } } });
const RECORDS = Number(values.records);
const ROUNDS = Number(values.rounds);
/** the gap between Records: a 200 Hz scan */
const PACE_MS = 5;
const root = new URL('../../', import.meta.url).pathname;
const xml = readFileSync(join(root, 'examples/scan/scan.xml'), 'utf8').replace('examples/scan/beamline.sqlite', join(root, 'examples/scan/beamline.sqlite'));
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-live-'));
const kernel = await Kernel.start({});

function recordJson(i) {
  return JSON.stringify({ data: { exp_c01: 100 + Math.sin(i / 10), 'p09/mca/exp.02': Array.from({ length: 16 }, (_, k) => (k * 7 + i) % 50) } });
}

/** a browser's load on the live view: one event stream, and H5Web's refresh requests every 200 ms */
function watch(url, name) {
  const ac = new AbortController();
  let requests = 0;
  let events = 0;
  void fetch(`${url}events`, { signal: ac.signal }).then(async (r) => {
    const text = new TextDecoder();
    for await (const chunk of r.body) events += text.decode(chunk).split('\n\n').length - 1;
  }).catch(() => undefined);
  const q = (path, extra) => fetch(`${url}${path}?${new URLSearchParams({ file: name, ...extra })}`).then((r) => r.arrayBuffer()).then(() => { requests++; });
  const timer = setInterval(() => {
    void Promise.all([
      q('meta/', { path: '/entry1/data' }),
      q('data/', { path: '/entry1/data/counter1', format: 'bin', dtype: 'safe' }),
      q('data/', { path: '/entry1/data/mca', selection: '0,:', format: 'bin', dtype: 'safe' }),
    ]).catch(() => undefined);
  }, 200);
  return { stop() { clearInterval(timer); ac.abort(); return { requests, events }; } };
}

async function round(watched, n) {
  const name = `bench-${watched ? 'watched' : 'plain'}-${n}`;
  const session = new WriterSession({ extensions: kernel, log: kernel.log, limits: kernel.limits });
  session.setXmlSettings(xml);
  session.setFileName(join(dir, `${name}.nxs`));
  session.setJsonRecord(readFileSync(join(root, 'examples/scan/global.json'), 'utf8'));
  kernel.sessions.set(name, session);
  const server = watched ? await startHttp(kernel, { host: '127.0.0.1', port: 0, maxElements: 1 << 22 }) : undefined;
  await session.openFile();
  await session.openEntry();
  const watcher = server ? watch(server.url, name) : undefined;
  const times = [];
  for (let i = 0; i < RECORDS; i++) {
    await sleep(PACE_MS); // records arrive from outside, at a fast scan's rate
    const t0 = performance.now();
    await session.record(recordJson(i));
    times.push(performance.now() - t0);
  }
  const load = watcher?.stop();
  session.setJsonRecord(readFileSync(join(root, 'examples/scan/final.json'), 'utf8'));
  await session.closeFile();
  await server?.stop();
  kernel.sessions.delete(name);
  return { times, load };
}

const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const all = { plain: [], watched: [] };
let requests = 0;
let events = 0;
await round(false, -1); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const watched of r % 2 ? [true, false] : [false, true]) {
    const { times, load } = await round(watched, r);
    all[watched ? 'watched' : 'plain'].push(...times);
    requests += load?.requests ?? 0;
    events += load?.events ?? 0;
  }
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: q(s, 0.5) * 1000, p99: q(s, 0.99) * 1000, mean: (s.reduce((a, b) => a + b, 0) / s.length) * 1000 };
};
const plain = stats(all.plain);
const watched = stats(all.watched);
const result = { records: RECORDS * ROUNDS, plain, watched, ratio: { median: watched.median / plain.median, p99: watched.p99 / plain.p99, mean: watched.mean / plain.mean }, requests, events };
if (values.json) console.log(JSON.stringify(result));
else {
  const f = (x) => x.toFixed(1).padStart(9);
  console.log(`Record latency, example scan, ${RECORDS * ROUNDS} records per mode (${ROUNDS} alternating rounds)`);
  console.log('mode                      median µs   p99 µs   mean µs');
  console.log(`no live view            ${f(plain.median)}${f(plain.p99)}${f(plain.mean)}`);
  console.log(`live view watched       ${f(watched.median)}${f(watched.p99)}${f(watched.mean)}`);
  console.log(`ratio watched/plain     ${f(result.ratio.median)}x${f(result.ratio.p99)}x${f(result.ratio.mean)}x`);
  console.log(`(the watcher made ${requests} h5grove requests and received ${events} status events)`);
}
await kernel.stop();
