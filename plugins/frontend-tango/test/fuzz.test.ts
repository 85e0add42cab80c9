// Corrupted and truncated GIOP messages sent over raw sockets to a writer with an open file:
// afterwards PyTango still works and the file keeps every record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { haveH5py, h5get, readWithH5py, serviceSkip } from '@nxsw/core/testkit';
import { CdrReader, MsgType, readReplyHeader, ReplyStatus, writeRequest, type CdrWriter } from '@nxsw/tango-wire';
import { exchange, havePyTango, py, serverPerFile, XML_C1 } from './helpers.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
let url: string;
const fx = serverPerFile(skip, {
  tmpPrefix: 'nxsw-fuzz-',
  args: ['--nodb', '--port', '0', '--device', 'test/fuzz/1', '--publish-host', '127.0.0.1', '--max-message-size', '65536'],
  started: (srv) => { url = `tango://127.0.0.1:${srv.port}/test/fuzz/1#dbase=no`; },
});
before(fx.setUp);
after(fx.tearDown);
const KEY = new TextEncoder().encode('test/fuzz/1');

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
  const file = join(fx.dir, 'fuzz.nxs');
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
    const { messages } = await exchange(fx.server.port, c, 60); // a reply that does not parse would fail below
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
  const be = await exchange(fx.server.port, writeRequest(2, { requestId: 77, responseExpected: true, objectKey: KEY, operation: '_get_state' }, undefined, false), 60);
  const reply = be.messages[0];
  assert.equal(reply.header.littleEndian, false);
  const r = new CdrReader(reply.bytes, 12, false);
  assert.equal(readReplyHeader(r, 2).requestId, 77);
  r.align(8);
  assert.equal(r.ulong(), 5, 'EXTRACT');

  // hanging half-messages must not pile up
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(fx.server.server.connectionCount <= 2, `connections left open: ${fx.server.server.connectionCount}`);

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
