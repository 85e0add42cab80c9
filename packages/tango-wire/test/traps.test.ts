/** One test per trap of tango-protocol.md section 7 that applies to this package (numbers in the test names). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { CdrReader, CdrWriter } from '../src/cdr.js';
import {
  decodeMessage, GiopStreamParser, MsgType, readReplyHeader, readRequestHeader, ReplyStatus, writeRequest, beginMessage, finishMessage,
  writeServiceContexts, parseHeader,
} from '../src/giop.js';
import { readAttributeValueList45, writeAttributeValue45 } from '../src/attribute-value.js';
import { AttrDataFormat, AttrQuality, AttributeDataType, CmdArgType, DevState, UNION_TO_CMDARG, unionTypeFor } from '../src/enums.js';
import { commandTypeCode, encodeCommandArg } from '../src/command-args.js';
import { TCKind } from '../src/typecode.js';
import { iorToObjectRef, makeIor, parseCorbaloc, parseIor, stringifyIor, iiopProfile } from '../src/ior.js';
import { GiopServer, systemException, type Dispatcher, type GiopRequest } from '../src/server/transport.js';
import { Orb, DEFAULT_TIMEOUT_MS } from '../src/orb.js';
import { DeviceProxy } from '../src/device-proxy.js';
import { Database } from '../src/database.js';
import { allAttributesWildcard } from '../src/device-ops.js';
import { readAny, writeAny } from '../src/typecode.js';
import { decodeCommandResult } from '../src/command-args.js';
import { defaultAttributeConfig, writeAttributeConfigList, writeCommandInfo } from '../src/idl.js';
import { TangoDevFailed } from '../src/errors.js';
import { conversations } from './helpers/pcap.js';
import { SYSTEM_PYTHON } from './helpers/stack.js';

const enc = (s: string) => new TextEncoder().encode(s);
const captured = conversations('pytango-tangotest.pcap').find((c) => c.server.endsWith(':54815'))!;
const TANGOTEST_IOR_HOST = '192.0.2.2';

/** A recording fake: a database (key "database") and a Device_5 (key "test/fake/1"). */
const seen: { key: string; op: string; minor: number; contexts: number[]; arg?: unknown }[] = [];
let exportedFlag = 1;
const fakeObjects: Dispatcher = {
  dispatch(req: GiopRequest) {
    const op = req.operation;
    const entry: (typeof seen)[number] = { key: req.key, op, minor: req.minor, contexts: req.serviceContexts.map((c) => c.id) };
    seen.push(entry);
    const b = req.body;
    if (op === '_is_a') { const id = b.string(); return (w) => w.boolean(/Device(_[2345])?:/.test(id)); }
    if (op === '_get_adm_name') return (w) => w.string('dserver/Fake/1');
    if (op === '_get_state') return (w) => w.ulong(DevState.ON);
    if (op === 'command_query_2') {
      const name = b.string();
      return (w) => writeCommandInfo(w, { name, level: 0, tag: 0, inType: CmdArgType.DevString, outType: CmdArgType.DevString, inTypeDesc: '', outTypeDesc: '' }, 2);
    }
    if (op === 'get_attribute_config_5') {
      const names = b.stringSeq();
      return (w) => writeAttributeConfigList(w, names.map((n) => defaultAttributeConfig(n, CmdArgType.DevDouble, AttrDataFormat.SCALAR, 3)), 5);
    }
    if (op === 'write_attributes_4') return undefined;
    if (op === 'command_inout_4') {
      const cmd = b.string();
      const arg = decodeCommandResult(readAny(b));
      entry.arg = arg;
      if (req.key === 'database') {
        if (cmd === 'DbImportDevice') {
          const ior = stringifyIor(makeIor('IDL:Tango/Device_5:1.0', '127.0.0.1', port, 'test/fake/1'));
          return (w) => writeAny(w, encodeCommandArg(CmdArgType.DevVarLongStringArray, { lvalue: [exportedFlag, 4242], svalue: [arg as string, ior, '5', 'Fake/1', 'localhost', 'Fake'] }));
        }
        if (cmd === 'DbGetAliasDevice') {
          if (arg !== 'fakealias') throw new TangoDevFailed([{ reason: 'DB_AliasNotDefined', severity: 1, desc: `no alias ${String(arg)}`, origin: 'fake' }]);
          return (w) => writeAny(w, encodeCommandArg(CmdArgType.DevString, 'test/fake/1'));
        }
      }
      return (w) => writeAny(w, encodeCommandArg(CmdArgType.DevString, `${cmd}:${String(arg)}`));
    }
    throw systemException('BAD_OPERATION');
  },
};
const fake = new GiopServer({ dispatcher: fakeObjects, port: 0, host: '127.0.0.1' });
const port = await fake.listen();
const orb = new Orb({ timeoutMs: 2000 });
after(async () => {
  orb.close();
  await fake.close();
});

test('trap 1: alignment from the GIOP header; 1.2 body aligned to 8; no padding without a body', () => {
  const m = writeRequest(2, { requestId: 1, responseExpected: true, objectKey: enc('abc'), operation: 'x' }, (w) => w.double(1));
  const r = decodeMessage(m).reader();
  readRequestHeader(r, 2);
  assert.equal(r.pos % 8, 0, 'body offset counted from the G of GIOP');
  const noBody = writeRequest(2, { requestId: 1, responseExpected: true, objectKey: enc('abcd'), operation: '_get_state' });
  // 12 header + 4 id + 4 flags + 2 disc + 2 pad + 4+4 key + 4+11 op + 1 pad + 4 contexts = 52 after the header
  assert.equal(noBody.length, 12 + 4 + 4 + 2 + 2 + 8 + 15 + 1 + 4);
});

test('trap 2: big-endian messages (JacORB) and encapsulations are read by their own flag', () => {
  const be = writeRequest(0, { requestId: 0x01020304, responseExpected: true, objectKey: enc('database'), operation: 'command_inout' }, (w) => { w.string('DbImportDevice'); writeAny(w, encodeCommandArg(CmdArgType.DevString, 'a/b/c')); }, false);
  assert.equal(be[6], 0, 'byte order flag: big-endian');
  assert.deepEqual(Array.from(be.subarray(8, 12)), [0, 0, 0, be.length - 12], 'size written big-endian');
  const r = decodeMessage(be).reader();
  assert.equal(r.littleEndian, false);
  const h = readRequestHeader(r, 0);
  assert.equal(h.requestId, 0x01020304);
  assert.equal(r.string(), 'DbImportDevice');
  assert.equal(readAny(r).value, 'a/b/c');
});

test('trap 3: garbage in padding bytes is never checked', () => {
  const rm = captured.replies.find((m) => { const r = m.reader(); return readReplyHeader(r, 2).requestId === 8; })!;
  const bytes = rm.bytes.slice();
  const r = new CdrReader(bytes, 12, true, 0);
  readReplyHeader(r, 2);
  const bodyStart = r.pos;
  const before = readAttributeValueList45(new CdrReader(bytes, bodyStart, true, 0), 5);
  // the 4 bytes between the double count and the first double are padding: scribble on them
  r.ulong(); r.ulong(); r.ulong();
  assert.equal(r.pos % 8, 4);
  bytes.fill(0xee, r.pos, r.pos + 4);
  assert.deepEqual(readAttributeValueList45(new CdrReader(bytes, bodyStart, true, 0), 5), before);
});

test('trap 4: GIOP 1.0/1.1/1.2 requests get replies in their own version; 1.2 non-KeyAddr targets get NEEDS_ADDRESSING_MODE', async () => {
  for (const minor of [0, 1, 2]) {
    await orb.invoke({ host: '127.0.0.1', port, objectKey: enc('test/fake/1'), giopMinor: minor }, '_get_state', undefined, (r) => r.ulong());
    assert.equal(seen.at(-1)!.minor, minor);
  }
  // a GIOP 1.2 request addressed by ProfileAddr (discriminator 1)
  const w = beginMessage(2, MsgType.Request);
  w.ulong(99).octet(3).octet(0).octet(0).octet(0).short(1).ulong(0).octetSeq(new Uint8Array(8)).string('_get_state');
  writeServiceContexts(w, []);
  const reply = await raw(finishMessage(w));
  assert.equal(reply.header.minor, 2);
  const rr = reply.reader();
  const rh = readReplyHeader(rr, 2);
  assert.equal(rh.status, ReplyStatus.NEEDS_ADDRESSING_MODE);
  assert.equal(rr.short(), 0, 'asks for KeyAddr');
});

test('trap 5: the fragmented get_attribute_config_2 reply of the capture reassembles into one message', () => {
  const m = captured.replies.find((x) => { const r = x.reader(); return readReplyHeader(r, 2).requestId === 32; })!;
  assert.equal(m.header.moreFragments, false);
  assert.equal(m.bytes.length, 12 + 8180 + 7100 - 4);
});

test('trap 6: corbaloc keys are device names; an IOR built with the device name as key is stable', () => {
  assert.equal(new TextDecoder().decode(parseCorbaloc('corbaloc::h:1234/sys/tg_test/1').objectKey), 'sys/tg_test/1');
  const a = stringifyIor(makeIor('IDL:Tango/Device_5:1.0', 'h', 1, 'sys/tg_test/1'));
  assert.equal(a, stringifyIor(makeIor('IDL:Tango/Device_5:1.0', 'h', 1, 'sys/tg_test/1')));
});

test('trap 7: CodeSets context sent once per connection (GIOP >= 1.1); unknown contexts are ignored by the server', async () => {
  const o = new Orb();
  const ref = { host: '127.0.0.1', port, objectKey: enc('test/fake/1'), giopMinor: 2 };
  await o.invoke(ref, '_get_state', undefined, (r) => r.ulong());
  await o.invoke(ref, '_get_state', undefined, (r) => r.ulong());
  assert.deepEqual(seen.slice(-2).map((s) => s.contexts), [[1], []]);
  o.close();
  const odd = writeRequest(2, { requestId: 5, responseExpected: true, objectKey: enc('test/fake/1'), operation: '_get_state', serviceContexts: [{ id: 0x4e565000, data: Uint8Array.of(9, 9, 9) }] });
  const reply = await raw(odd);
  const rr = reply.reader();
  assert.equal(readReplyHeader(rr, 2).status, ReplyStatus.NO_EXCEPTION);
  assert.equal(rr.ulong(), DevState.ON);
});

const CAPTURED_IOR = 'IOR:010000001700000049444c3a54616e676f2f4465766963655f353a312e3000000100000000000000b8000000010102000a0000003139322e302e322e32001fd60e000000fea84a066b000035bd000000000000000400000000000000080000000100000000545441010000001c0000000100000001000100010000000100010509010100010000000901010003000000120000000100000008000000666430303a3a32001fd6000002545441340000000100000003000000766d0000240000002f746d702f6f6d6e692d726f6f742f3030303031333735372d3137393535373434343000';

test('trap 8: omniORB\'s unix-socket component is ignored; TS IORs advertise TCP only', () => {
  const p = iiopProfile(parseIor(CAPTURED_IOR));
  assert.ok(p.components.some((c) => c.tag === 0x41545402), 'the capture has TAG_OMNIORB_UNIX_TRANS');
  const ref = iorToObjectRef(CAPTURED_IOR);
  assert.deepEqual([ref.host, ref.port], ['192.0.2.2', 54815], 'the client uses the TCP address');
  const mine = iiopProfile(makeIor('IDL:Tango/Device_5:1.0', 'h', 1, 'k'));
  assert.ok(!mine.components.some((c) => c.tag === 0x41545402 || c.tag === 0));
});

test('trap 9: the client connects to the host published in the IOR, a server publishes what it is told', () => {
  assert.equal(iorToObjectRef(CAPTURED_IOR).host, TANGOTEST_IOR_HOST);
  assert.equal(iorToObjectRef(makeIor('IDL:Tango/Device_5:1.0', 'beamline-pc.example', 10010, 'a/b/c')).host, 'beamline-pc.example');
});

test('trap 10: default timeout 3 s; an idle connection closed by the server is reopened transparently', async () => {
  assert.equal(DEFAULT_TIMEOUT_MS, 3000);
  assert.equal(new DeviceProxy('tango://h:1/a/b/c#dbase=no').timeoutMs, 3000);
  const o = new Orb();
  const ref = { host: '127.0.0.1', port, objectKey: enc('test/fake/1'), giopMinor: 2 };
  await o.invoke(ref, '_get_state', undefined, (r) => r.ulong());
  fake.closeConnections();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await o.invoke(ref, '_get_state', undefined, (r) => r.ulong()), DevState.ON);
  assert.equal(o.connection('127.0.0.1', port).connectCount, 2);
  o.close();
});

test('trap 11: AttrValUnion discriminator numbering differs from CmdArgType', () => {
  assert.equal(unionTypeFor(CmdArgType.DevString), AttributeDataType.ATT_STRING);
  assert.equal(AttributeDataType.ATT_STRING, 10);
  assert.equal(CmdArgType.DevString, 8);
  assert.equal(UNION_TO_CMDARG[AttributeDataType.DEVICE_STATE], CmdArgType.DevState);
  // the State attribute travels as the single enum DEVICE_STATE, others as sequences
  const w = new CdrWriter(true);
  writeAttributeValue45(w, { name: 'State', type: CmdArgType.DevState, format: AttrDataFormat.SCALAR, shape: [], data: Uint32Array.of(DevState.MOVING), quality: AttrQuality.ATTR_VALID, time: { sec: 1, usec: 0, nsec: 0 }, errors: [] }, 5);
  const r = new CdrReader(w.bytes(), 0, true);
  assert.equal(r.ulong(), AttributeDataType.DEVICE_STATE);
  assert.equal(r.ulong(), DevState.MOVING, 'no sequence count');
});

test('trap 12: DevVarLongStringArray is a struct TypeCode, DevVar*Array aliases of sequences, scalars bare', () => {
  assert.equal(commandTypeCode(CmdArgType.DevVarLongStringArray).kind, TCKind.struct);
  assert.equal(commandTypeCode(CmdArgType.DevVarDoubleStringArray).kind, TCKind.struct);
  const a = commandTypeCode(CmdArgType.DevVarStringArray);
  assert.equal(a.kind, TCKind.alias);
  assert.equal((a as { content: { kind: TCKind } }).content.kind, TCKind.sequence);
  assert.equal(commandTypeCode(CmdArgType.DevLong).kind, TCKind.long);
  assert.equal(commandTypeCode(CmdArgType.DevString).kind, TCKind.string);
});

test('trap 13: READ_WRITE values carry read + set point, split by r_dim/w_dim', () => {
  const w = new CdrWriter(true);
  w.ulong(1);
  writeAttributeValue45(w, { name: 'sp', type: CmdArgType.DevLong, format: AttrDataFormat.SPECTRUM, shape: [3], data: Int32Array.of(1, 2, 3), writeShape: [2], writeData: Int32Array.of(8, 9), quality: 0, time: { sec: 0, usec: 0, nsec: 0 }, errors: [] }, 5);
  const r = new CdrReader(w.bytes(), 0, true);
  r.ulong(); r.ulong();
  assert.equal(r.ulong(), 5, 'one sequence of 5 = 3 read + 2 set point');
  const [v] = readAttributeValueList45(new CdrReader(w.bytes(), 0, true), 5);
  assert.deepEqual([Array.from(v.data as Int32Array), v.shape, Array.from(v.writeData as Int32Array), v.writeShape], [[1, 2, 3], [3], [8, 9], [2]]);
});

test('trap 14: wildcard attribute names per IDL version', () => {
  assert.equal(allAttributesWildcard(5), 'All attributes_3');
  assert.equal(allAttributesWildcard(3), 'All attributes_3');
  assert.equal(allAttributesWildcard(2), 'All attributes');
});

test('trap 15: command_query_2 before command_inout_4, get_attribute_config_5 before write_attributes_4', async () => {
  const p = new DeviceProxy(`tango://127.0.0.1:${port}/test/fake/1#dbase=no`, { orb });
  const n = seen.length;
  assert.equal(await p.commandInout('Echo', 'x'), 'Echo:x');
  await p.writeAttribute('level', 2);
  const ops = seen.slice(n).map((s) => s.op).filter((o) => o !== '_is_a');
  assert.deepEqual(ops, ['command_query_2', 'command_inout_4', 'get_attribute_config_5', 'write_attributes_4']);
});

test('trap 16: without the database the IDL version comes from _is_a probing', async () => {
  const p = new DeviceProxy(`tango://127.0.0.1:${port}/test/fake/1#dbase=no`, { orb });
  await p.resolve();
  assert.equal(p.idlVersion, 5, 'Device_6 false, Device_5 true');
  const probes = seen.filter((s) => s.op === '_is_a').slice(-2).map((s) => s.minor);
  assert.deepEqual(probes, [0, 0], 'probed over GIOP 1.0 like PyTango');
});

test('trap 17: the admin device name is read with _get_adm_name', async () => {
  const p = new DeviceProxy(`tango://127.0.0.1:${port}/test/fake/1#dbase=no`, { orb });
  assert.equal(await p.adminName(), 'dserver/Fake/1');
});

test('trap 18: a device the database reports as not exported is refused (lvalue[0] = 0)', async () => {
  exportedFlag = 0;
  try {
    const db = new Database(`127.0.0.1:${port}`, orb);
    await assert.rejects(DeviceProxy.connect('test/fake/1', { orb, database: db }), (e: Error) => e instanceof TangoDevFailed && e.reason === 'API_DeviceNotExported');
  } finally {
    exportedFlag = 1;
  }
});

test('trap 19: the database is called with command_inout_4 over GIOP 1.0 on key "database"', async () => {
  const db = new Database(`127.0.0.1:${port}`, orb);
  const imp = await db.importDevice('test/fake/1');
  assert.equal(imp.idlVersion, 5);
  const call = seen.filter((s) => s.key === 'database').at(-1)!;
  assert.deepEqual([call.op, call.minor, call.arg], ['command_inout_4', 0, 'test/fake/1']);
});

test('trap 20: PyTango is run with Debian\'s /usr/bin/python3, not the python3 on PATH', () => {
  assert.equal(SYSTEM_PYTHON, '/usr/bin/python3');
});

test('trap 21: several TANGO_HOST entries (the first unreachable) and aliases', async () => {
  const dead = await (async () => {
    const s = new GiopServer({ port: 0, host: '127.0.0.1', dispatcher: { dispatch: () => undefined } });
    const p = await s.listen();
    await s.close();
    return p;
  })();
  const db = new Database(`127.0.0.1:${dead},127.0.0.1:${port}`, orb);
  const p = new DeviceProxy('fakealias', { orb, database: db });
  assert.equal(await p.state(), DevState.ON);
  assert.equal(p.deviceName, 'test/fake/1');
  assert.equal(db.tangoHost, `127.0.0.1:${port}`, 'failed over to the second host');
  await assert.rejects(new DeviceProxy('otheralias', { orb, database: db }).state(), (e: Error) => e instanceof TangoDevFailed && e.reason === 'DB_AliasNotDefined');
});

/** Sends raw bytes to the fake server and returns the first message back. */
async function raw(bytes: Uint8Array) {
  const s = connect(port, '127.0.0.1');
  const parser = new GiopStreamParser();
  const m = await new Promise<ReturnType<GiopStreamParser['push']>[number]>((resolve) => {
    s.on('data', (d) => {
      const got = parser.push(d);
      if (got.length) resolve(got[0]);
    });
    s.write(bytes);
  });
  s.destroy();
  assert.equal(parseHeader(m.bytes).type, MsgType.Reply);
  return m;
}
