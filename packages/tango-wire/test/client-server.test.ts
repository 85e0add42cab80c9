/**
 * The client (GiopConnection/Orb/DeviceProxy) against the server primitives (GiopServer) over
 * loopback TCP: multiplexing, timeouts, reconnection, exceptions, locate, malformed input, and a
 * small Device_4 served in no-database mode.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, Socket } from 'node:net';
import { Orb } from '../src/orb.js';
import { GiopServer, systemException, type Dispatcher, type GiopRequest } from '../src/server/transport.js';
import { CorbaSystemException, TangoConnectionError, TangoDevFailed, TangoProtocolError, TangoTimeoutError, devFailed } from '../src/errors.js';
import {
  LocateStatus, MsgType, parseHeader, writeRequest, fragmentMessage, readReplyHeader, GiopStreamParser, beginMessage, finishMessage, readLocateReply,
} from '../src/giop.js';
import { ObjectRef } from '../src/ior.js';
import { DeviceProxy } from '../src/device-proxy.js';
import { AttrDataFormat, AttrQuality, AttrWriteType, CmdArgType, DevState, DispLevel, ErrSeverity } from '../src/enums.js';
import { readAny, writeAny } from '../src/typecode.js';
import { decodeCommandResult, encodeCommandArg } from '../src/command-args.js';
import { AttributeReading, readAttributeValue45, writeAttributeValueList45 } from '../src/attribute-value.js';
import { defaultAttributeConfig, readClntIdent, writeAttributeConfigList, writeCommandInfo } from '../src/idl.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = (s: string) => new TextEncoder().encode(s);

/** A dispatcher for GIOP-level tests: echo, delays, exceptions, and a way to drop a request silently. */
let dropNext = false;
let closeOnNext: GiopServer | undefined;
const basic: Dispatcher = {
  hasObject: (key) => key === 'obj',
  async dispatch(req: GiopRequest) {
    if (req.key !== 'obj') throw systemException('OBJECT_NOT_EXIST');
    switch (req.operation) {
      case 'echo': {
        const v = req.body.double();
        return (w) => w.double(v);
      }
      case 'delay': {
        const ms = req.body.ulong();
        await sleep(ms);
        return (w) => w.ulong(ms);
      }
      case 'fail':
        throw new TangoDevFailed([
          { reason: 'API_Root', severity: ErrSeverity.ERR, desc: 'root cause', origin: 'A::a' },
          { reason: 'API_Outer', severity: ErrSeverity.PANIC, desc: 'outer', origin: 'B::b' },
        ]);
      case 'sum': {
        const n = req.body.ulong();
        let s = 0;
        for (let i = 0; i < n; i++) s += req.body.double();
        return (w) => w.double(s);
      }
      case 'not_latin1_result':
        return (w) => w.string('π → ∞ — is not latin-1');
      case 'not_latin1_error':
        throw devFailed('API_X', 'π ≥ 3', 'here');
      case 'bad_result':
        return () => {
          throw new RangeError('a value the type cannot carry');
        };
      case 'maybe_drop':
        if (closeOnNext) { const srv = closeOnNext; closeOnNext = undefined; srv.closeConnections(); return new Promise(() => undefined); }
        if (dropNext) { dropNext = false; return new Promise(() => undefined); }
        return (w) => w.string('ok');
      default:
        throw systemException('BAD_OPERATION');
    }
  },
};

const server = new GiopServer({ dispatcher: basic, port: 0, host: '127.0.0.1' });
const port = await server.listen();
const orb = new Orb({ timeoutMs: 2000 });
after(async () => {
  orb.close();
  await server.close();
});

const ref = (minor: number, key = 'obj'): ObjectRef => ({ host: '127.0.0.1', port, objectKey: enc(key), giopMinor: minor });

test('requests in GIOP 1.0, 1.1 and 1.2 get replies in the same version', async () => {
  for (const minor of [0, 1, 2]) {
    const v = await orb.invoke(ref(minor), 'echo', (w) => w.double(minor + 0.25), (r) => r.double());
    assert.equal(v, minor + 0.25);
  }
});

test('DevFailed comes back as TangoDevFailed keeping every DevError', async () => {
  await assert.rejects(orb.invoke(ref(2), 'fail', undefined, () => 0), (e: Error) => {
    assert.ok(e instanceof TangoDevFailed);
    assert.deepEqual(e.errors.map((x) => [x.reason, x.desc, x.origin, x.severity]), [
      ['API_Root', 'root cause', 'A::a', ErrSeverity.ERR], ['API_Outer', 'outer', 'B::b', ErrSeverity.PANIC],
    ]);
    assert.equal(e.reason, 'API_Root');
    return true;
  });
});

test('system exceptions: unknown operation and unknown object key', async () => {
  await assert.rejects(orb.invoke(ref(2), 'nope', undefined, () => 0), (e: Error) => e instanceof CorbaSystemException && e.exceptionName === 'BAD_OPERATION');
  await assert.rejects(orb.invoke(ref(0, 'other'), 'echo', (w) => w.double(1), () => 0), (e: Error) => e instanceof CorbaSystemException && e.exceptionName === 'OBJECT_NOT_EXIST');
  // arguments the server cannot decode are a MARSHAL exception, not a crash
  await assert.rejects(orb.invoke(ref(2), 'echo', undefined, () => 0), (e: Error) => e instanceof CorbaSystemException && e.exceptionName === 'MARSHAL');
});

test('strings outside Latin-1 in results and errors are transliterated, never MARSHAL', async () => {
  assert.equal(await orb.invoke(ref(2), 'not_latin1_result', undefined, (r) => r.string()), '? -> inf - is not latin-1');
  await assert.rejects(orb.invoke(ref(2), 'not_latin1_error', undefined, () => 0), (e: Error) => e instanceof TangoDevFailed && e.errors[0]!.desc === '? >= 3');
});

test('results that cannot be encoded become MARSHAL, the server survives', async () => {
  await assert.rejects(orb.invoke(ref(2), 'bad_result', undefined, () => 0), (e: Error) => e instanceof CorbaSystemException && e.exceptionName === 'MARSHAL');
  assert.equal(await orb.invoke(ref(2), 'echo', (w) => w.double(8), (r) => r.double()), 8);
});

test('LocateRequest answers OBJECT_HERE / UNKNOWN_OBJECT', async () => {
  assert.equal(await orb.locate(ref(2)), LocateStatus.OBJECT_HERE);
  assert.equal(await orb.locate(ref(0, 'zzz')), LocateStatus.UNKNOWN_OBJECT);
});

test('concurrent calls share one connection and get their own replies (out of order)', async () => {
  const conn = orb.connection('127.0.0.1', port);
  const before = conn.connectCount;
  const delays = [120, 10, 60, 0, 90];
  const results = await Promise.all(delays.map((d) => orb.invoke(ref(2), 'delay', (w) => w.ulong(d), (r) => r.ulong())));
  assert.deepEqual(results, delays);
  assert.equal(conn.connectCount, before, 'no new connection');
});

test('a call without a reply times out; the connection stays usable and a late reply is ignored', async () => {
  const t0 = Date.now();
  // the reply comes after 1.5 s: anything well short of that is the timeout, even on a loaded machine
  await assert.rejects(orb.invoke(ref(2), 'delay', (w) => w.ulong(1500), (r) => r.ulong(), { timeoutMs: 80 }), (e: Error) => e instanceof TangoTimeoutError && e.reason === 'API_DeviceTimedOut');
  const took = Date.now() - t0;
  assert.ok(took >= 75 && took < 1000, `timed out after ${took} ms`);
  assert.equal(await orb.invoke(ref(2), 'echo', (w) => w.double(3), (r) => r.double()), 3);
  await sleep(1500); // the late reply arrives and must be dropped quietly
  assert.equal(await orb.invoke(ref(2), 'echo', (w) => w.double(4), (r) => r.double()), 4);
});

test('after the server closes an idle connection (CloseConnection) the next call reconnects', async () => {
  const conn = orb.connection('127.0.0.1', port);
  await orb.invoke(ref(2), 'echo', (w) => w.double(1), (r) => r.double());
  const n = conn.connectCount;
  server.closeConnections();
  await sleep(50);
  assert.equal(await orb.invoke(ref(2), 'echo', (w) => w.double(5), (r) => r.double()), 5);
  assert.equal(conn.connectCount, n + 1);
});

test('a request pending when the server sends CloseConnection is resent on a new connection', async () => {
  closeOnNext = server;
  const v = await orb.invoke(ref(2), 'maybe_drop', undefined, (r) => r.string());
  assert.equal(v, 'ok');
});

test('large requests and replies (1 MB) go through', async () => {
  const n = 131072;
  const s = await orb.invoke(ref(2), 'sum', (w) => { w.ulong(n); for (let i = 0; i < n; i++) w.double(1); }, (r) => r.double());
  assert.equal(s, n);
});

test('the server reassembles a fragmented request', async () => {
  const msg = writeRequest(2, { requestId: 7, responseExpected: true, objectKey: enc('obj'), operation: 'sum' }, (w) => { w.ulong(1000); for (let i = 0; i < 1000; i++) w.double(i); });
  const frags = fragmentMessage(msg, 512);
  const reply = await rawExchange(port, frags);
  const r = reply.reader();
  assert.equal(readReplyHeader(r, 2).requestId, 7);
  assert.equal(r.double(), (999 * 1000) / 2);
});

test('garbage sent to the server gets MessageError, and the server keeps serving', async () => {
  const s = connect(port, '127.0.0.1');
  const got = await new Promise<Buffer>((resolve) => {
    s.on('data', (d) => resolve(d));
    s.write('GET / HTTP/1.1\r\n\r\n');
  });
  s.destroy();
  assert.equal(parseHeader(got).type, MsgType.MessageError);
  assert.equal(await orb.invoke(ref(2), 'echo', (w) => w.double(6), (r) => r.double()), 6);
});

test('garbage or silence from a peer fails the call with a typed error, never crashes', async () => {
  const bad = createServer((s: Socket) => s.on('data', () => s.write(Buffer.from('this is not GIOP at all'))));
  await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
  const badPort = (bad.address() as { port: number }).port;
  const o = new Orb({ timeoutMs: 500 });
  await assert.rejects(o.invoke({ host: '127.0.0.1', port: badPort, objectKey: enc('x'), giopMinor: 2 }, 'ping', undefined, () => 0), (e: Error) => e instanceof TangoProtocolError && /magic/.test(e.message));
  // a truncated reply body is a protocol error too
  const trunc = createServer((s: Socket) => {
    const p = new GiopStreamParser();
    s.on('data', (d) => {
      for (const m of p.push(d)) {
        if (m.header.type !== MsgType.Request) continue;
        const id = new DataView(m.bytes.buffer, m.bytes.byteOffset + 12, 4).getUint32(0, true);
        const w = Buffer.alloc(24);
        w.write('GIOP', 0); w[4] = 1; w[5] = 2; w[6] = 1; w[7] = 1; w.writeUInt32LE(12, 8);
        w.writeUInt32LE(id, 12); w.writeUInt32LE(0, 16); w.writeUInt32LE(0, 20);
        s.write(w);
      }
    });
  });
  await new Promise<void>((r) => trunc.listen(0, '127.0.0.1', () => r()));
  const truncPort = (trunc.address() as { port: number }).port;
  await assert.rejects(o.invoke({ host: '127.0.0.1', port: truncPort, objectKey: enc('x'), giopMinor: 2 }, 'x', undefined, (r) => r.string()), (e: Error) => e instanceof TangoProtocolError && /truncated/.test(e.message));
  // nobody listening: a connection error
  bad.close();
  await sleep(20);
  await assert.rejects(o.invoke({ host: '127.0.0.1', port: badPort, objectKey: enc('x'), giopMinor: 2 }, 'ping', undefined, () => 0), (e: Error) => e instanceof TangoConnectionError);
  o.close();
  trunc.close();
});

test('CancelRequest: the cancelled request gets no reply, the next one does', async () => {
  const delay = (id: number, ms: number) => writeRequest(2, { requestId: id, responseExpected: true, objectKey: enc('obj'), operation: 'delay' }, (w) => w.ulong(ms));
  const cancel = beginMessage(2, MsgType.CancelRequest);
  cancel.ulong(21);
  const reply = await rawExchange(port, [delay(21, 50), finishMessage(cancel), delay(22, 150)]);
  assert.equal(readReplyHeader(reply.reader(), 2).requestId, 22, 'no reply to the cancelled request 21');
});

test('a LocateRequest by profile gets LOC_NEEDS_ADDRESSING_MODE, in the request\'s byte order', async () => {
  const w = beginMessage(2, MsgType.LocateRequest, false);
  w.ulong(11).short(1).ulong(0).octetSeq(new Uint8Array(8)); // ProfileAddr
  const reply = await rawExchange(port, [finishMessage(w)]);
  assert.equal(reply.header.type, MsgType.LocateReply);
  assert.equal(reply.header.littleEndian, false);
  const r = reply.reader();
  assert.deepEqual(readLocateReply(r), { requestId: 11, status: LocateStatus.LOC_NEEDS_ADDRESSING_MODE });
  r.align(8);
  assert.equal(r.short(), 0, 'asks for KeyAddr');
});

test('an unexpected failure in a dispatcher is a DevFailed API_InternalError, reported to onError', async () => {
  const reported: string[] = [];
  const srv = new GiopServer({ port: 0, host: '127.0.0.1', dispatcher: { dispatch: () => { throw new TypeError('oops'); } }, onError: (m) => reported.push(m) });
  const p = await srv.listen();
  try {
    await assert.rejects(orb.invoke({ host: '127.0.0.1', port: p, objectKey: enc('k'), giopMinor: 1 }, 'op', undefined, () => 0),
      (e: Error) => e instanceof TangoDevFailed && e.reason === 'API_InternalError' && /oops/.test(e.message));
    assert.ok(reported.some((m) => /k op: unexpected failure: TypeError: oops/.test(m)), reported.join('\n'));
  } finally {
    await srv.close();
  }
});

async function rawExchange(p: number, messages: Uint8Array[]) {
  const s = connect(p, '127.0.0.1');
  const parser = new GiopStreamParser();
  const reply = await new Promise<ReturnType<GiopStreamParser['push']>[number]>((resolve) => {
    s.on('data', (d) => {
      const got = parser.push(d);
      if (got.length) resolve(got[0]);
    });
    for (const m of messages) s.write(m);
  });
  s.destroy();
  return reply;
}

// ---------------------------------------------------------------------------- a Device_4 in #dbase=no mode

class MiniDevice implements Dispatcher {
  value = 1.5;
  spectrum = Int32Array.of(1, 2, 3);
  calls: string[] = [];
  configs = [
    { ...defaultAttributeConfig('level', CmdArgType.DevDouble, AttrDataFormat.SCALAR, AttrWriteType.READ_WRITE) },
    { ...defaultAttributeConfig('counts', CmdArgType.DevLong, AttrDataFormat.SPECTRUM, AttrWriteType.READ) },
  ];
  dispatch(req: GiopRequest) {
    const op = req.operation;
    this.calls.push(op);
    const b = req.body;
    switch (op) {
      case '_is_a': {
        const id = b.string();
        return (w: import('../src/cdr.js').CdrWriter) => w.boolean(/^IDL:Tango\/Device(_[234])?:1\.0$/.test(id));
      }
      case '_get_state': return (w: import('../src/cdr.js').CdrWriter) => w.ulong(DevState.ON);
      case 'command_query_2': {
        const name = b.string();
        if (name !== 'Twice') throw devFailed('API_CommandNotFound', `command ${name} not found`, 'MiniDevice');
        return (w: import('../src/cdr.js').CdrWriter) => writeCommandInfo(w, { name: 'Twice', level: DispLevel.OPERATOR, tag: 0, inType: CmdArgType.DevDouble, outType: CmdArgType.DevDouble, inTypeDesc: '', outTypeDesc: '' }, 2);
      }
      case 'command_inout_4': {
        b.string();
        const arg = decodeCommandResult(readAny(b)) as number;
        b.ulong();
        readClntIdent(b);
        return (w: import('../src/cdr.js').CdrWriter) => writeAny(w, encodeCommandArg(CmdArgType.DevDouble, arg * 2));
      }
      case 'get_attribute_config_3': {
        const names = b.stringSeq();
        const list = names[0] === 'All attributes_3' ? this.configs : names.map((n) => {
          const c = this.configs.find((x) => x.name === n);
          if (!c) throw devFailed('API_AttrNotFound', `${n} not found`, 'MiniDevice');
          return c;
        });
        return (w: import('../src/cdr.js').CdrWriter) => writeAttributeConfigList(w, list, 3);
      }
      case 'read_attributes_4': {
        const names = b.stringSeq();
        const time = { sec: 1700000000, usec: 5, nsec: 0 };
        const out: AttributeReading[] = names.map((n) => n === 'level'
          ? { name: n, type: CmdArgType.DevDouble, format: AttrDataFormat.SCALAR, shape: [], data: Float64Array.of(this.value), writeShape: [], writeData: Float64Array.of(this.value), quality: AttrQuality.ATTR_VALID, time, errors: [] }
          : n === 'counts'
            ? { name: n, type: CmdArgType.DevLong, format: AttrDataFormat.SPECTRUM, shape: [3], data: this.spectrum, quality: AttrQuality.ATTR_VALID, time, errors: [] }
            : { name: n, type: CmdArgType.DevVoid, format: AttrDataFormat.FMT_UNKNOWN, shape: [], data: new Uint8Array(0), quality: AttrQuality.ATTR_INVALID, time, errors: [{ reason: 'API_AttrNotFound', severity: ErrSeverity.ERR, desc: `${n} not found`, origin: 'MiniDevice' }] });
        return (w: import('../src/cdr.js').CdrWriter) => writeAttributeValueList45(w, out, 4);
      }
      case 'write_attributes_4': {
        const n = b.ulong();
        for (let i = 0; i < n; i++) {
          const v = readAttributeValue45(b, 4);
          if (v.name === 'level') this.value = v.data[0] as number;
        }
        readClntIdent(b);
        return undefined;
      }
    }
    throw systemException('BAD_OPERATION');
  }
}

test('DeviceProxy in #dbase=no mode: IDL probing, state, commands, attributes against a TS device', async () => {
  const dev = new MiniDevice();
  const srv = new GiopServer({ dispatcher: dev, port: 0, host: '127.0.0.1' });
  const p = await srv.listen();
  const o = new Orb();
  try {
    const proxy = await DeviceProxy.connect(`tango://127.0.0.1:${p}/test/mini/1#dbase=no`, { orb: o });
    assert.equal(proxy.idlVersion, 4, 'probed with _is_a: Device_5 false, Device_4 true');
    assert.deepEqual(dev.calls.slice(0, 3), ['_is_a', '_is_a', '_is_a']);
    assert.equal(await proxy.state(), DevState.ON);
    assert.equal(await proxy.commandInout('Twice', 21), 42);
    assert.equal(await proxy.commandInout('Twice', 1), 2);
    assert.equal(dev.calls.filter((c) => c === 'command_query_2').length, 1, 'command_query_2 cached');
    await assert.rejects(proxy.commandInout('Nope'), (e: Error) => e instanceof TangoDevFailed && e.reason === 'API_CommandNotFound');
    const [lvl, counts, missing] = await proxy.readAttributes(['level', 'counts', 'missing']);
    assert.deepEqual([lvl.type, lvl.shape, Array.from(lvl.data as Float64Array)], [CmdArgType.DevDouble, [], [1.5]]);
    assert.deepEqual(Array.from(lvl.writeData as Float64Array), [1.5]);
    assert.deepEqual([counts.shape, Array.from(counts.data as Int32Array)], [[3], [1, 2, 3]]);
    assert.equal(missing.errors[0].reason, 'API_AttrNotFound');
    await assert.rejects(proxy.readAttribute('missing'), (e: Error) => e instanceof TangoDevFailed && e.reason === 'API_AttrNotFound');
    await proxy.writeAttribute('level', 7.25);
    assert.equal(dev.value, 7.25);
    assert.equal(((await proxy.readAttribute('level')).data as Float64Array)[0], 7.25);
    await assert.rejects(proxy.writeAttribute('counts', [1]), /read-only/);
    await assert.rejects(proxy.writeAttribute('level', 'x' as unknown as number), /expected a number/);
    assert.deepEqual(await proxy.getAttributeList(), ['level', 'counts']);
  } finally {
    o.close();
    await srv.close();
  }
});
