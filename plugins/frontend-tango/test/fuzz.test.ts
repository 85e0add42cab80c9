// Corrupted and truncated GIOP messages sent over raw sockets to a writer with an open file:
// afterwards PyTango still works and the file keeps every record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kernel } from '@nxsw/core';
import { haveH5py, h5get, readWithH5py, serviceSkip } from '@nxsw/core/testkit';
import { CdrReader, GiopStreamParser, MsgType, readReplyHeader, ReplyStatus, writeRequest, type CdrWriter, type GiopMessage } from '@nxsw/tango-wire';
import { XML_C1, havePyTango, py, startServer, testKernel } from './helpers.js';
import type { RunningTangoServer } from '../src/index.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
let kernel: Kernel;
let srv: RunningTangoServer;
let dir: string;
let url: string;
const KEY = new TextEncoder().encode('test/fuzz/1');

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'nxsw-fuzz-'));
  kernel = await testKernel();
  srv = await startServer(kernel, ['--nodb', '--port', '0', '--device', 'test/fuzz/1', '--publish-host', '127.0.0.1', '--max-message-size', '65536']);
  url = `tango://127.0.0.1:${srv.port}/test/fuzz/1#dbase=no`;
});

after(async () => {
  if (skip) return;
  await srv.stop();
  await kernel.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** deterministic pseudo-random numbers (xorshift), so a failure can be replayed */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

/** sends bytes on a fresh connection; returns the messages received until close or quiet */
function exchange(bytes: Uint8Array, quietMs = 60): Promise<{ messages: GiopMessage[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(srv.port, '127.0.0.1');
    const parser = new GiopStreamParser();
    const messages: GiopMessage[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => { clearTimeout(timer); s.destroy(); resolve({ messages, closed }); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => finish(false), quietMs); };
    s.on('connect', () => { s.write(bytes); arm(); });
    s.on('data', (b) => {
      try { messages.push(...parser.push(new Uint8Array(b))); } catch { /* a reply we cannot parse would fail below */ }
      arm();
    });
    s.on('close', () => finish(true));
    s.on('error', () => {});
  });
}

/** read-only requests (corrupting them can never write data) */
function templates(): Uint8Array[] {
  const names = (w: CdrWriter) => { w.stringSeq(['State', 'Errors', 'FileName']); w.ulong(2); w.ulong(0).ulong(1); };
  const out: Uint8Array[] = [];
  for (const minor of [0, 1, 2]) {
    for (const le of [true, false]) {
      out.push(writeRequest(minor, { requestId: 1, responseExpected: true, objectKey: KEY, operation: '_get_state' }, undefined, le));
      out.push(writeRequest(minor, { requestId: 2, responseExpected: true, objectKey: KEY, operation: 'read_attributes_5' }, names, le));
      out.push(writeRequest(minor, { requestId: 3, responseExpected: true, objectKey: KEY, operation: 'get_attribute_config_5' }, (w) => w.stringSeq(['All attributes']), le));
    }
  }
  return out;
}

test('a writer with an open file survives corrupted and truncated GIOP messages', { skip, timeout: 120_000 }, async () => {
  const file = join(dir, 'fuzz.nxs');
  const setup = await py(url, `
dev.CanFail = False
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile(); dev.XMLSettings = ${JSON.stringify(XML_C1)}; dev.OpenEntry()
dev.Record('{"data": {"c1": 1.0}}'); dev.Record('{"data": {"c1": 2.0}}')
out["state"] = st()
`);
  assert.equal(setup.state, 'EXTRACT');

  const random = rng(20251125);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)];
  const base = templates();
  let replies = 0;
  let messageErrors = 0;
  let systemExceptions = 0;
  const cases: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    const t = pick(base);
    const kind = i % 5;
    if (kind === 0) {
      // flip 1–4 bytes anywhere, header included
      const m = t.slice();
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) m[Math.floor(random() * m.length)] = Math.floor(random() * 256);
      cases.push(m);
    } else if (kind === 1) {
      cases.push(t.slice(0, Math.floor(random() * t.length))); // truncated
    } else if (kind === 2) {
      const m = t.slice(); // a consistent size, a garbage body
      for (let k = 12; k < m.length; k++) m[k] = Math.floor(random() * 256);
      cases.push(m);
    } else if (kind === 3) {
      const m = t.slice(); // the size field lies
      new DataView(m.buffer).setUint32(8, Math.floor(random() * 0xffffffff), (m[6] & 1) === 1);
      cases.push(m);
    } else {
      cases.push(Uint8Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    }
  }
  for (const c of cases) {
    const { messages } = await exchange(c);
    for (const m of messages) {
      if (m.header.type === MsgType.MessageError) messageErrors++;
      if (m.header.type === MsgType.Reply) {
        replies++;
        const h = readReplyHeader(new CdrReader(m.bytes, 12, m.header.littleEndian), m.header.minor);
        if (h.status === ReplyStatus.SYSTEM_EXCEPTION) systemExceptions++;
      }
    }
  }
  assert.ok(messageErrors > 50, `malformed messages are answered with MessageError (${messageErrors})`);
  assert.ok(replies > 0 && systemExceptions > 0, `well-framed but damaged requests get replies (${replies}, ${systemExceptions} system exceptions)`);

  // a valid request in the other byte order still gets a sensible answer
  const be = await exchange(writeRequest(2, { requestId: 77, responseExpected: true, objectKey: KEY, operation: '_get_state' }, undefined, false));
  const reply = be.messages[0];
  assert.equal(reply.header.littleEndian, false);
  const r = new CdrReader(reply.bytes, 12, false);
  assert.equal(readReplyHeader(r, 2).requestId, 77);
  r.align(8);
  assert.equal(r.ulong(), 5, 'EXTRACT');

  // hanging half-messages must not pile up
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(srv.server.connectionCount <= 2, `connections left open: ${srv.server.connectionCount}`);

  const rest = await py(url, `
out["state"] = st()
dev.Record('{"data": {"c1": 3.0}}'); dev.Record('{"data": {"c1": 4.0}}')
dev.CloseEntry(); dev.CloseFile()
out["final"] = st()
out["errors"] = dev.Errors
`);
  assert.equal(rest.state, 'EXTRACT');
  assert.equal(rest.final, 'ON');
  assert.equal(rest.errors, null);
  assert.deepEqual(h5get(readWithH5py(file), 'entry1/c1').value, [1, 2, 3, 4]);
});
