// What one client can make the server hold is bounded — bytes per connection (every half-sent
// message together, unread replies), the number of connections, idle connections — while a
// PyTango client keeps being answered throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { Kernel } from '@nxsw/core';
import { serviceSkip } from '@nxsw/core/testkit';
import { fragmentMessage, writeRequest, type CdrWriter } from '@nxsw/tango-wire';
import { havePyTango, py, startServer, testKernel } from './helpers.js';
import type { RunningTangoServer } from '../src/index.js';

const skip = serviceSkip('PyTango', havePyTango(), 'apt-get install python3-tango');
const DEVICE = `test/conn/${process.pid}`;
const KEY = new TextEncoder().encode(DEVICE);
let kernel: Kernel;
let srv: RunningTangoServer;
let url: string;

before(async () => {
  if (skip) return;
  kernel = await testKernel();
  srv = await startServer(kernel, ['--nodb', '--port', '0', '--listen-host', '127.0.0.1', '--device', DEVICE,
    '--max-message-size', '65536', '--max-connection-memory', '100000', '--max-connections', '8', '--idle-timeout', '1']);
  url = srv.urls[0]!;
});

after(async () => {
  if (skip) return;
  await srv.stop();
  await kernel.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(srv.port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** whether the server closed the socket within ms */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  if (s.destroyed || s.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.resume();
    s.once('close', () => { clearTimeout(t); resolve(true); });
  });
}

/** A PyTango client reading State every 50 ms for `seconds`: how many reads, and failures. */
function stateReader(seconds: number): Promise<Record<string, unknown>> {
  return py(url, `
n = 0
fails = []
end = time.time() + ${seconds}
while time.time() < end:
    try:
        st()
        n += 1
    except Exception as e:
        fails.append(str(e)[:200])
    time.sleep(0.05)
out["reads"] = n
out["fails"] = fails
`);
}

/** the first fragment of a fragmented GIOP 1.2 request of about 60 kB */
function firstFragment(requestId: number): Uint8Array {
  const whole = writeRequest(2, { requestId, responseExpected: true, objectKey: KEY, operation: 'command_inout' }, (w: CdrWriter) => w.raw(new Uint8Array(60_000)));
  return fragmentMessage(whole, 30_000)[0]!;
}

test('half-sent fragmented requests are bounded per connection, not only per message', { skip, timeout: 60_000 }, async () => {
  const reader = stateReader(2.5);
  const s = await open();
  // each first fragment is far below the message limit; together they pass the connection's bound
  for (let id = 1; id <= 10 && !s.destroyed; id++) {
    s.write(firstFragment(id));
    await sleep(20);
  }
  assert.ok(await closedWithin(s, 2000), 'the connection holding ten half-sent requests is closed');
  const r = await reader;
  assert.deepEqual(r.fails, []);
  assert.ok((r.reads as number) > 10, `State answered throughout (${String(r.reads)} reads)`);
});

test('at the connection limit the longest silent connection gives way; clients keep being served', { skip, timeout: 60_000 }, async () => {
  const reader = stateReader(2);
  const held: Socket[] = [];
  for (let i = 0; i < 20; i++) {
    held.push(await open());
    await sleep(10);
  }
  await sleep(300);
  assert.ok(srv.server.connectionCount <= 8, `connections open: ${srv.server.connectionCount} (limit 8)`);
  const r = await reader;
  assert.deepEqual(r.fails, [], 'the PyTango client is answered while 20 connections are held open');
  assert.ok((r.reads as number) > 10);
  const closed = await Promise.all(held.map((s) => closedWithin(s, 100)));
  assert.ok(closed.filter(Boolean).length >= 12, `the oldest held connections were closed (${closed.filter(Boolean).length})`);
  for (const s of held) s.destroy();
});

test('idle connections are closed after --idle-timeout; PyTango reconnects transparently', { skip, timeout: 60_000 }, async () => {
  const s = await open();
  const half = await open();
  half.write(firstFragment(7).subarray(0, 5000)); // a message that stalls half-way
  assert.equal(await closedWithin(s, 3000), true, 'an idle connection is closed');
  assert.equal(await closedWithin(half, 3000), true, 'a connection stalled mid-message is closed');
  const r = await py(url, `
out["first"] = st()
time.sleep(1.6)
out["second"] = st()
`);
  assert.deepEqual([r.first, r.second], ['ON', 'ON']);
});

test('a client that does not read its replies is dropped once they pass the bound', { skip, timeout: 60_000 }, async () => {
  await py(url, `dev.JSONRecord = json.dumps({"data": {"x": "${'y'.repeat(50_000)}"}})`);
  const baseline = srv.server.connectionCount;
  const s = await open();
  s.pause();
  const read = (id: number) => writeRequest(2, { requestId: id, responseExpected: true, objectKey: KEY, operation: 'read_attributes_5' }, (w) => {
    w.stringSeq(['JSONRecord']);
    w.ulong(2);
    w.ulong(0).ulong(1);
  });
  for (let id = 1; id <= 2000 && srv.server.connectionCount > baseline; id++) {
    s.write(read(id));
    if (id % 50 === 0) await sleep(10);
  }
  await sleep(200);
  assert.equal(srv.server.connectionCount, baseline, 'the connection was dropped (100 MB of replies were asked for)');
  s.destroy();
  const r = await py(url, 'out["state"] = st()');
  assert.equal(r.state, 'ON');
});
