// The server-side GIOP primitives over real sockets: versions and byte orders, system and user
// exceptions, LocateRequest, oneway calls, fragments, limits and malformed input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { CdrReader, CdrWriter } from '../src/cdr.js';
import {
  GiopStreamParser, LocateStatus, MsgType, ReplyStatus, fragmentMessage, readLocateReply, readReplyHeader, readSystemException,
  writeLocateRequest, writeRequest, type GiopMessage,
} from '../src/giop.js';
import { readAttributeConfigList, readUserException, writeAttributeConfigList, writeClntIdent, type AttributeConfig, type AttributeConfigVersion } from '../src/idl.js';
import { CmdArgType, DevState, LockerLanguage } from '../src/enums.js';
import { TangoDevFailed, TangoMultiDevFailed } from '../src/errors.js';
import { tc, writeAny } from '../src/typecode.js';
import { writeAttributeValueList45 } from '../src/attribute-value.js';
import { DeviceServer, type TangoDevice } from '../src/server/index.js';

let echoed = '';
let level = 3;
const device: TangoDevice = {
  name: 'test/wire/1',
  className: 'WireTest',
  state: () => DevState.MOVING,
  status: () => 'moving',
  attributes: () => [
    { name: 'Level', type: CmdArgType.DevLong, writable: true, read: () => level, write: (v) => { if (Number(v) < 0) throw Object.assign(new Error('negative'), { code: 'NEGATIVE' }); level = Number(v); } },
  ],
  commands: () => [{ name: 'Echo', in: CmdArgType.DevString, out: CmdArgType.DevString, execute: (a) => (echoed = String(a)) }],
};

let server: DeviceServer;
let port: number;
const KEY = new TextEncoder().encode('test/wire/1');

before(async () => {
  server = new DeviceServer({ serverName: 'WireTest/t', port: 0, publishHost: '127.0.0.1', listenHost: '127.0.0.1', maxMessageSize: 4096 });
  server.add(device);
  port = await server.listen();
});
after(() => server.close());

/** a raw client connection collecting whole GIOP messages and noticing the close */
class Raw {
  readonly s: Socket;
  readonly messages: GiopMessage[] = [];
  closed = false;
  private readonly parser = new GiopStreamParser();
  private waiters: (() => void)[] = [];
  constructor() {
    this.s = connect(port, '127.0.0.1');
    this.s.on('data', (b) => { this.messages.push(...this.parser.push(new Uint8Array(b))); this.wake(); });
    this.s.on('close', () => { this.closed = true; this.wake(); });
    this.s.on('error', () => {});
  }
  private wake() { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }
  send(b: Uint8Array) { this.s.write(b); }
  /** the next message, or undefined when the connection closes first */
  async next(timeoutMs = 2000): Promise<GiopMessage | undefined> {
    const end = Date.now() + timeoutMs;
    while (this.messages.length === 0 && !this.closed) {
      if (Date.now() > end) throw new Error('no message');
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
    return this.messages.shift();
  }
  async untilClosed(timeoutMs = 2000) {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }
  end() { this.s.destroy(); }
}

function req(minor: number, le: boolean, id: number, op: string, body?: (w: CdrWriter) => void, key = KEY, responseExpected = true) {
  return writeRequest(minor, { requestId: id, responseExpected, objectKey: key, operation: op }, body, le);
}

async function call(c: Raw, minor: number, le: boolean, op: string, body?: (w: CdrWriter) => void, key = KEY) {
  const id = Math.floor(Math.random() * 1e6);
  c.send(req(minor, le, id, op, body, key));
  const m = await c.next();
  assert.ok(m, 'a reply');
  assert.equal(m.header.type, MsgType.Reply);
  assert.equal(m.header.minor, minor, 'reply in the request\'s GIOP version');
  assert.equal(m.header.littleEndian, le, 'reply in the request\'s byte order');
  const r: CdrReader = m.reader();
  const h = readReplyHeader(r, minor);
  assert.equal(h.requestId, id);
  return { status: h.status, r };
}

test('GIOP 1.0, 1.1 and 1.2 in both byte orders get replies in kind', async () => {
  const c = new Raw();
  for (const minor of [0, 1, 2]) {
    for (const le of [true, false]) {
      const { status, r } = await call(c, minor, le, '_get_state');
      assert.equal(status, ReplyStatus.NO_EXCEPTION);
      assert.equal(r.ulong(), DevState.MOVING);
      const s = await call(c, minor, le, '_get_status');
      assert.equal(s.r.string(), 'moving');
    }
  }
  c.end();
});

test('_is_a, _non_existent, unknown objects and operations', async () => {
  const c = new Raw();
  assert.equal((await call(c, 0, true, '_is_a', (w) => w.string('IDL:Tango/Device_5:1.0'))).r.boolean(), true);
  assert.equal((await call(c, 0, true, '_is_a', (w) => w.string('IDL:Tango/Device_6:1.0'))).r.boolean(), false);
  assert.equal((await call(c, 2, true, '_non_existent')).r.boolean(), false);
  assert.equal((await call(c, 2, true, '_non_existent', undefined, new TextEncoder().encode('no/such/dev'))).r.boolean(), true);
  const missing = await call(c, 2, true, '_get_state', undefined, new TextEncoder().encode('no/such/dev'));
  assert.equal(missing.status, ReplyStatus.SYSTEM_EXCEPTION);
  // ids and minor codes as omniORB (TangoTest -nodb) sends them for an unknown object and operation
  assert.deepEqual(readSystemException(missing.r), { id: 'IDL:omg.org/CORBA/OBJECT_NOT_EXIST:1.0', minor: 0x4f4d0001, completed: 1 });
  const badOp = await call(c, 1, false, 'frobnicate');
  assert.equal(badOp.status, ReplyStatus.SYSTEM_EXCEPTION);
  assert.deepEqual(readSystemException(badOp.r), { id: 'IDL:omg.org/CORBA/BAD_OPERATION:1.0', minor: 0x41540026, completed: 1 });
  c.end();
});

test('commands: a result, DevFailed for an unknown command, MARSHAL for truncated arguments', async () => {
  const c = new Raw();
  const ok = await call(c, 2, false, 'command_inout_4', (w) => { w.string('Echo'); writeAny(w, { type: tc.string, value: 'hé' }); w.ulong(2); w.ulong(0).ulong(1); });
  assert.equal(ok.status, ReplyStatus.NO_EXCEPTION);
  assert.equal(echoed, 'hé');
  const unknown = await call(c, 0, true, 'command_inout', (w) => { w.string('Nope'); writeAny(w, { type: tc.null, value: null }); });
  assert.equal(unknown.status, ReplyStatus.USER_EXCEPTION);
  const e = readUserException(unknown.r);
  assert.ok(e instanceof TangoDevFailed);
  assert.equal(e.reason, 'API_CommandNotFound');
  const wrongType = await call(c, 0, true, 'command_inout', (w) => { w.string('Echo'); writeAny(w, { type: tc.long, value: 3 }); });
  assert.equal((readUserException(wrongType.r) as TangoDevFailed).reason, 'API_IncompatibleCmdArgumentType');
  const truncated = await call(c, 0, true, 'command_inout', (w) => w.string('Echo'));
  assert.equal(truncated.status, ReplyStatus.SYSTEM_EXCEPTION);
  assert.match(readSystemException(truncated.r).id, /MARSHAL/);
  c.end();
});

test('write_attributes_4: a refused value comes back as MultiDevFailed with the error code', async () => {
  const c = new Raw();
  const write = (v: number) => call(c, 2, true, 'write_attributes_4', (w) => {
    writeAttributeValueList45(w, [{ name: 'Level', type: CmdArgType.DevLong, format: 0, shape: [], data: Int32Array.of(v), quality: 0, time: { sec: 0, usec: 0, nsec: 0 }, errors: [] }], 4);
    w.ulong(0).ulong(1);
  });
  assert.equal((await write(7)).status, ReplyStatus.NO_EXCEPTION);
  assert.equal(level, 7);
  const bad = await write(-1);
  assert.equal(bad.status, ReplyStatus.USER_EXCEPTION);
  const e = readUserException(bad.r);
  assert.ok(e instanceof TangoMultiDevFailed);
  assert.equal(e.failures[0].name, 'Level');
  assert.equal(e.failures[0].errors[0].reason, 'NEGATIVE');
  assert.equal(level, 7);
  c.end();
});

test('LocateRequest, oneway requests and fragmented requests', async () => {
  const c = new Raw();
  c.send(writeLocateRequest(2, 5, KEY));
  assert.equal(readLocateReply((await c.next())!.reader()).status, LocateStatus.OBJECT_HERE);
  c.send(writeLocateRequest(0, 6, new TextEncoder().encode('x/y/z')));
  assert.equal(readLocateReply((await c.next())!.reader()).status, LocateStatus.UNKNOWN_OBJECT);
  c.send(req(2, true, 7, 'command_inout_4', (w) => { w.string('Echo'); writeAny(w, { type: tc.string, value: 'oneway' }); w.ulong(2); w.ulong(0).ulong(1); }, KEY, false));
  const long = 'x'.repeat(3000);
  const msg = req(2, true, 8, 'command_inout_4', (w) => { w.string('Echo'); writeAny(w, { type: tc.string, value: long }); w.ulong(2); w.ulong(0).ulong(1); });
  for (const part of fragmentMessage(msg, 512)) c.send(part);
  const m = await c.next();
  const h = readReplyHeader(m!.reader(), 2);
  assert.equal(h.requestId, 8, 'the oneway request got no reply; the fragmented one did');
  assert.equal(echoed, long);
  c.end();
});

test('garbage, oversized and truncated messages: MessageError and close, the server lives on', async () => {
  const garbage = new Raw();
  garbage.send(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const m = await garbage.next();
  assert.equal(m?.header.type, MsgType.MessageError);
  assert.ok(await garbage.untilClosed());

  const big = new Raw();
  const head = new Uint8Array([0x47, 0x49, 0x4f, 0x50, 1, 2, 1, 0, 0, 0, 1, 0]); // 65536 bytes announced, limit 4096
  big.send(head);
  assert.equal((await big.next())?.header.type, MsgType.MessageError);
  assert.ok(await big.untilClosed());

  const badHeader = new Raw();
  const msg = req(2, true, 9, '_get_state');
  const cut = msg.slice(0, 20);
  new DataView(cut.buffer).setUint32(8, 8, true); // a Request whose header ends early
  badHeader.send(cut);
  assert.equal((await badHeader.next())?.header.type, MsgType.MessageError);
  assert.ok(await badHeader.untilClosed());

  const truncated = new Raw();
  truncated.send(msg.slice(0, msg.length - 3)); // never completed, then the client goes away
  await new Promise((r) => setTimeout(r, 50));
  truncated.end();

  const c = new Raw();
  assert.equal((await call(c, 2, true, '_get_state')).r.ulong(), DevState.MOVING);
  c.end();
});

test('CloseConnection from the client closes the connection', async () => {
  const c = new Raw();
  const close = new Uint8Array([0x47, 0x49, 0x4f, 0x50, 1, 0, 1, MsgType.CloseConnection, 0, 0, 0, 0]);
  c.send(close);
  assert.ok(await c.untilClosed());
});

test('the admin device answers QueryClass and QueryDevice', async () => {
  const c = new Raw();
  const adm = new TextEncoder().encode('dserver/WireTest/t');
  const r = await call(c, 0, true, 'command_inout', (w) => { w.string('QueryDevice'); writeAny(w, { type: tc.null, value: null }); }, adm);
  assert.equal(r.status, ReplyStatus.NO_EXCEPTION);
  r.r.ulong(); // TypeCode kind alias
  assert.equal(server.ior('test/wire/1').startsWith('IOR:'), true);
  c.end();
});

test('set_attribute_config in every IDL version (big-endian too, as JacORB sends it) changes what get_attribute_config_5 answers', async () => {
  const c = new Raw();
  const get = async (): Promise<AttributeConfig> => {
    const { status, r } = await call(c, 2, true, 'get_attribute_config_5', (w) => w.stringSeq(['Level']));
    assert.equal(status, ReplyStatus.NO_EXCEPTION);
    return readAttributeConfigList(r, 5)[0];
  };
  const base = await get();
  const cases: [string, AttributeConfigVersion, boolean][] = [
    ['set_attribute_config', 1, false], ['set_attribute_config_3', 3, true], ['set_attribute_config_4', 3, false], ['set_attribute_config_5', 5, false],
  ];
  for (const [op, v, le] of cases) {
    const conf = { ...base, label: `label via ${op}`, unit: op.endsWith('5') ? 'mm' : base.unit };
    const { status } = await call(c, 2, le, op, (w) => {
      writeAttributeConfigList(w, [conf], v);
      if (op === 'set_attribute_config_4' || op === 'set_attribute_config_5') writeClntIdent(w, { lang: LockerLanguage.CPP, pid: 7 });
    });
    assert.equal(status, ReplyStatus.NO_EXCEPTION, op);
    assert.equal((await get()).label, `label via ${op}`);
  }
  assert.equal((await get()).unit, 'mm');
  // back to the defaults: "" and "Not specified" restore them
  await call(c, 2, true, 'set_attribute_config_5', (w) => {
    writeAttributeConfigList(w, [{ ...base, label: '', unit: 'Not specified' }], 5);
    writeClntIdent(w, { lang: LockerLanguage.CPP, pid: 7 });
  });
  const reset = await get();
  assert.deepEqual([reset.label, reset.unit], [base.label, base.unit]);
  c.end();
});
