import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CdrReader } from '../src/cdr.js';
import {
  decodeMessage, fragmentMessage, GiopError, GiopStreamParser, LocateStatus, MsgType, parseHeader, readLocateReply,
  readLocateRequest, readReplyHeader, readRequestHeader, readSystemException, ReplyStatus, writeCloseConnection,
  writeLocateReply, writeLocateRequest, writeMessageError, writeReply, writeRequest, writeSystemException, codeSetsContext,
} from '../src/giop.js';
import { tcpStreams, rawMessages } from './helpers/pcap.js';

const key = new TextEncoder().encode('sys/tg_test/1');

for (const minor of [0, 1, 2]) {
  for (const le of [true, false]) {
    test(`GIOP 1.${minor} ${le ? 'LE' : 'BE'}: Request and Reply headers round-trip with a body`, () => {
      const req = writeRequest(minor, { requestId: 77, responseExpected: true, objectKey: key, operation: 'command_inout_4', serviceContexts: [codeSetsContext()] }, (w) => w.double(2.5), le);
      const m = decodeMessage(req);
      assert.equal(m.header.type, MsgType.Request);
      assert.equal(m.header.minor, minor);
      assert.equal(m.header.littleEndian, le);
      const r = m.reader();
      const h = readRequestHeader(r, minor);
      assert.equal(h.requestId, 77);
      assert.equal(h.responseExpected, true);
      assert.deepEqual(h.objectKey, key);
      assert.equal(h.operation, 'command_inout_4');
      assert.deepEqual(h.serviceContexts.map((s) => s.id), [1]);
      if (minor === 2) assert.equal(r.pos % 8, 0, 'GIOP 1.2 body aligned to 8');
      assert.equal(r.double(), 2.5);
      assert.equal(r.remaining, 0);

      const rep = writeReply(minor, { requestId: 77, status: ReplyStatus.SYSTEM_EXCEPTION }, (w) => writeSystemException(w, { id: 'IDL:omg.org/CORBA/BAD_OPERATION:1.0', minor: 3, completed: 1 }), le);
      const rm = decodeMessage(rep);
      const rr = rm.reader();
      const rh = readReplyHeader(rr, minor);
      assert.deepEqual([rh.requestId, rh.status], [77, ReplyStatus.SYSTEM_EXCEPTION]);
      assert.deepEqual(readSystemException(rr), { id: 'IDL:omg.org/CORBA/BAD_OPERATION:1.0', minor: 3, completed: 1 });
    });
  }

  test(`GIOP 1.${minor}: LocateRequest/LocateReply, CloseConnection and MessageError`, () => {
    const lr = decodeMessage(writeLocateRequest(minor, 5, key));
    assert.equal(lr.header.type, MsgType.LocateRequest);
    assert.deepEqual(readLocateRequest(lr.reader(), minor), minor === 2 ? { requestId: 5, objectKey: key, target: { kind: 'key', objectKey: key } } : { requestId: 5, objectKey: key });
    const rep = decodeMessage(writeLocateReply(minor, 5, LocateStatus.OBJECT_HERE));
    assert.deepEqual(readLocateReply(rep.reader()), { requestId: 5, status: LocateStatus.OBJECT_HERE });
    assert.equal(parseHeader(writeCloseConnection(minor)).type, MsgType.CloseConnection);
    assert.equal(parseHeader(writeMessageError(minor)).size, 0);
  });
}

test('GIOP 1.2 without a body has no trailing padding (the 52-byte _get_state request)', () => {
  const key14 = Uint8Array.from(Buffer.from('fea84a066b000035bd0000000000', 'hex'));
  const m = writeRequest(2, { requestId: 4, responseExpected: true, objectKey: key14, operation: '_get_state' });
  assert.equal(m.length - 12, 52);
  const withEmptyBody = writeRequest(2, { requestId: 4, responseExpected: true, objectKey: key14, operation: '_get_state' }, () => undefined);
  assert.equal(withEmptyBody.length - 12, 52, 'a body writer that writes nothing adds no padding either');
});

test('header errors: bad magic, bad version, Fragment in GIOP 1.0', () => {
  assert.throws(() => parseHeader(Uint8Array.from(Buffer.from('HTTP/1.1 200 '))), (e: Error) => e instanceof GiopError && /magic/.test(e.message));
  assert.throws(() => parseHeader(Uint8Array.of(0x47, 0x49, 0x4f, 0x50, 1, 3, 1, 0, 0, 0, 0, 0)), /version 1.3/);
  assert.throws(() => parseHeader(Uint8Array.of(0x47, 0x49, 0x4f, 0x50, 1, 0, 1, 7, 0, 0, 0, 0)), /message type 7/);
});

test('stream parser: messages split at every possible byte boundary come out whole', () => {
  const a = writeRequest(2, { requestId: 1, responseExpected: true, objectKey: key, operation: 'ping' });
  const b = writeReply(0, { requestId: 9, status: ReplyStatus.NO_EXCEPTION }, (w) => w.string('x'));
  const all = Uint8Array.from([...a, ...b]);
  for (let cut = 1; cut < all.length; cut++) {
    const p = new GiopStreamParser();
    const got = [...p.push(all.subarray(0, cut)), ...p.push(all.subarray(cut))];
    assert.equal(got.length, 2, `cut at ${cut}`);
    assert.deepEqual(got[0].bytes, a);
    assert.deepEqual(got[1].bytes, b);
  }
});

test('fragments: the captured 8180-byte Reply + 7100-byte Fragment reassemble; byte-wise feeding too', () => {
  const s = tcpStreams('pytango-tangotest.pcap').find((x) => x.src.endsWith(':54815'))!;
  const raw = rawMessages(s.bytes);
  const fragIdx = raw.findIndex((m) => parseHeader(m).moreFragments);
  assert.ok(fragIdx >= 0);
  assert.equal(parseHeader(raw[fragIdx]).size, 8180);
  assert.equal(parseHeader(raw[fragIdx + 1]).type, MsgType.Fragment);
  const p = new GiopStreamParser();
  const out = [];
  const joined = Uint8Array.from([...raw[fragIdx], ...raw[fragIdx + 1]]);
  for (let i = 0; i < joined.length; i += 997) out.push(...p.push(joined.subarray(i, i + 997)));
  assert.equal(out.length, 1);
  assert.equal(out[0].header.moreFragments, false);
  assert.equal(out[0].header.size, 8180 + 7100 - 4);
  assert.equal(out[0].bytes.length, 12 + out[0].header.size);
  assert.equal(readReplyHeader(out[0].reader(), 2).requestId, 32);
});

test('fragmentMessage + parser: interleaved fragments of two requests reassemble separately', () => {
  const big1 = writeRequest(2, { requestId: 10, responseExpected: true, objectKey: key, operation: 'write_attributes_4' }, (w) => { for (let i = 0; i < 3000; i++) w.double(i); });
  const big2 = writeRequest(2, { requestId: 12, responseExpected: true, objectKey: key, operation: 'write_attributes_4' }, (w) => { for (let i = 0; i < 2000; i++) w.long(0 - i || 0); });
  const f1 = fragmentMessage(big1, 4096);
  const f2 = fragmentMessage(big2, 1000);
  assert.ok(f1.length > 2 && f2.length > 2);
  assert.ok(f1.slice(0, -1).every((f) => (f.length - (parseHeader(f).type === MsgType.Fragment ? 16 : 0)) % 8 === 0));
  const p = new GiopStreamParser();
  const got = [];
  for (let i = 0; i < Math.max(f1.length, f2.length); i++) {
    if (f1[i]) got.push(...p.push(f1[i]));
    if (f2[i]) got.push(...p.push(f2[i]));
  }
  assert.equal(got.length, 2);
  const byId = new Map(got.map((m) => { const r = m.reader(); return [readRequestHeader(r, 2).requestId, r] as [number, CdrReader]; }));
  const r1 = byId.get(10)!;
  for (let i = 0; i < 3000; i++) assert.equal(r1.double(), i);
  const r2 = byId.get(12)!;
  for (let i = 0; i < 2000; i++) assert.equal(r2.long(), 0 - i || 0);
});

test('stream parser refuses oversize messages and orphan fragments instead of buffering', () => {
  const p = new GiopStreamParser(1000);
  const big = writeReply(2, { requestId: 1, status: 0 }, (w) => w.raw(new Uint8Array(2000)));
  assert.throws(() => p.push(big), /exceeds the limit/);
  const orphan = fragmentMessage(writeReply(2, { requestId: 3, status: 0 }, (w) => w.raw(new Uint8Array(100))), 48)[1];
  assert.throws(() => new GiopStreamParser().push(orphan), /without a preceding/);
});

test('stream parser bounds the bytes held by all partial fragmented messages together', () => {
  const p = new GiopStreamParser(1000, 1500);
  const firsts = [1, 2, 3].map((id) => fragmentMessage(writeRequest(2, { requestId: id, responseExpected: true, objectKey: key, operation: 'x' }, (w) => w.raw(new Uint8Array(900))), 600)[0]!);
  p.push(firsts[0]!);
  p.push(firsts[1]!);
  assert.equal(p.heldBytes, firsts[0]!.length + firsts[1]!.length);
  assert.throws(() => p.push(firsts[2]!), /holds \d+ bytes of incomplete messages \(3 fragmented\), more than its limit of 1500/);
  // completed messages are released
  const q = new GiopStreamParser(1000, 1500);
  for (const f of fragmentMessage(writeRequest(2, { requestId: 9, responseExpected: true, objectKey: key, operation: 'x' }, (w) => w.raw(new Uint8Array(900))), 600)) q.push(f);
  assert.equal(q.heldBytes, 0);
});
