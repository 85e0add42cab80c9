// Tango events on the server side, over real ZeroMQ sockets: the message layout against bytes
// TangoTest (cppTango 9.3.4) published, counters and heartbeats as a subscriber receives them,
// cppTango's subscription rules and change/periodic/archive criteria; device locking.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Subscriber } from 'zeromq';
import { AttrDataFormat, AttrQuality, CmdArgType, LockerLanguage } from '../src/enums.js';
import { defaultAttributeConfig, type AttributeConfig } from '../src/idl.js';
import { writeAttributeValue45, type AttributeReading } from '../src/attribute-value.js';
import { TangoDevFailed } from '../src/errors.js';
import { ZmqEventSupplier, eventData } from '../src/server/zmq-supplier.js';
import { DeviceEvents, SUBSCRIPTION_LIFETIME_MS } from '../src/server/events.js';
import { DeviceLock } from '../src/server/lock.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function reading(name: string, type: CmdArgType, values: number[] | string[]): AttributeReading {
  const data = type === CmdArgType.DevString ? (values as string[]) : Int32Array.from(values as number[]);
  return { name, type, format: AttrDataFormat.SCALAR, shape: [], data, quality: AttrQuality.ATTR_VALID, time: { sec: 1, usec: 0, nsec: 0 }, errors: [] };
}

test('the data part is laid out as TangoTest publishes it: a 0xDEC0DEC0 pad, then AttributeValue_5 aligned as in cppTango', () => {
  // captured from sys/tg_test/1 ushort_scalar.idl5_periodic (read 1, set point 2); bytes 58-59 are alignment padding (garbage in omniORB)
  const captured = 'c0dec0de0700000002000000010002000000000000000000060000002028116b4f140800000000000e0000007573686f72745f7363616c6172002d52'
    + '0100000000000000010000000000000000000000';
  const r: AttributeReading = {
    name: 'ushort_scalar', type: CmdArgType.DevUShort, format: AttrDataFormat.SCALAR, shape: [], data: Uint16Array.from([1]),
    writeData: Uint16Array.from([2]), writeShape: [], quality: AttrQuality.ATTR_VALID, time: { sec: 0x6b112820, usec: 0x0008144f, nsec: 0 }, errors: [],
  };
  const mine = hex(eventData((w) => writeAttributeValue45(w, r, 5)));
  const mask = (s: string): string => s.slice(0, 116) + '....' + s.slice(120);
  assert.equal(mask(mine), mask(captured));
});

test('a subscriber receives [topic, endianness, call info, data] with a counter from 1, and heartbeats', async () => {
  const supplier = new ZmqEventSupplier({ heartbeatTopic: 'tango://h:1/dserver/x/y.heartbeat', publishAddress: '127.0.0.1' });
  await supplier.start();
  const events = new Subscriber();
  const beats = new Subscriber();
  try {
    events.connect(supplier.eventEndpoint);
    events.subscribe('tango://h:1/a/b/c/x.idl5_change');
    beats.connect(supplier.heartbeatEndpoint);
    beats.subscribe(supplier.heartbeatTopic);
    assert.equal(supplier.heartbeatChannel, 'tango://h:1/dserver/x/y');
    await new Promise((r) => setTimeout(r, 300)); // the slow joiner: PUB drops messages until the SUB is connected
    supplier.initCounter('tango://h:1/a/b/c/x.idl5_change');
    const data = eventData((w) => w.long(42));
    supplier.push('tango://h:1/a/b/c/x.idl5_change', data, false);
    supplier.push('tango://h:1/a/b/c/x.idl5_change', data, true);
    supplier.push('tango://h:1/a/b/c/other.idl5_change', data, false);
    const [first, second] = [await events.receive(), await events.receive()];
    assert.equal(first.length, 4);
    assert.equal(first[0].toString(), 'tango://h:1/a/b/c/x.idl5_change');
    assert.equal(hex(first[1]), '01');
    // version 1, counter, empty method name, empty oid, call_is_except
    assert.equal(hex(first[2]), '01000000' + '01000000' + '0100000000000000' + '00000000' + '00');
    assert.equal(hex(second[2]), '01000000' + '02000000' + '0100000000000000' + '00000000' + '01');
    assert.equal(hex(first[3]), 'c0dec0de2a000000');
    supplier.newClient();
    const beat = await beats.receive();
    assert.deepEqual(beat.map((p) => hex(p)).slice(0, 2), [Buffer.from('tango://h:1/dserver/x/y.heartbeat').toString('hex'), '01']);
  } finally {
    events.close();
    beats.close();
    await supplier.close();
  }
});

/** a device with one polled DevLong attribute "Counter", one pushed "Steps", and a string */
function deviceEvents(supplier: ZmqEventSupplier, configure: (c: AttributeConfig) => void = () => {}) {
  const types: Record<string, CmdArgType> = { counter: CmdArgType.DevLong, steps: CmdArgType.DevLong, name: CmdArgType.DevString };
  const polled = new Set(['counter', 'name']);
  return new DeviceEvents({
    deviceName: 'a/b/c',
    topicPrefix: () => 'tango://h:1/',
    topicModifier: '',
    supplier: async () => { await supplier.start(); return supplier; },
    attributeName: (n) => {
      const canonical = ({ counter: 'Counter', steps: 'Steps', name: 'Name' } as Record<string, string>)[n.toLowerCase()];
      if (!canonical) throw new TangoDevFailed([{ reason: 'API_AttrNotFound', severity: 1, desc: n, origin: 'test' }]);
      return canonical;
    },
    attributeType: (n) => types[n.toLowerCase()],
    config: (n) => { const c = defaultAttributeConfig(n, types[n.toLowerCase()]); configure(c); return c; },
    isPolled: (n) => polled.has(n.toLowerCase()),
    isPushed: (n) => n.toLowerCase() === 'steps',
  });
}

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as TangoDevFailed).reason;
  }
};

const shared = new ZmqEventSupplier({ heartbeatTopic: 'tango://h:1/dserver/x/y.heartbeat', publishAddress: '127.0.0.1' });
after(() => shared.close());

test('subscriptions are checked as cppTango checks them', () => {
  const ev = deviceEvents(shared);
  assert.equal(reasonOf(() => ev.subscribe('Steps', 'periodic')), 'API_AttributePollingNotStarted', 'periodic needs polling, even for pushed attributes');
  assert.equal(reasonOf(() => ev.subscribe('Counter', 'change', 5)), 'API_EventPropertiesNotSet', 'a polled number needs abs_change or rel_change');
  assert.equal(reasonOf(() => ev.subscribe('Counter', 'archive', 5)), 'API_EventPropertiesNotSet');
  assert.equal(reasonOf(() => ev.subscribe('Counter', 'data_ready', 5)), 'API_AttributeNotDataReadyEnabled');
  assert.equal(reasonOf(() => ev.subscribe('Counter', 'bogus', 5)), 'API_EventTypeNotSupported');
  assert.equal(reasonOf(() => ev.subscribe('Nope', 'change', 5)), 'API_AttrNotFound');
  // the messages repeat the client's spelling of the attribute, as cppTango's do (seen on TangoTest)
  assert.throws(() => ev.subscribe('sTePs', 'periodic'), { message: /The polling \(necessary to send events\) for the attribute sTePs is not started/ });
  assert.throws(() => ev.subscribe('cOuNtEr', 'data_ready', 5), { message: /The attribute cOuNtEr is not data ready event enabled/ });
  assert.equal(ev.subscribe('Steps', 'change', 5), 'tango://h:1/a/b/c/steps.idl5_change', 'pushed: no polling, no criteria needed');
  assert.equal(ev.subscribe('Name', 'change', 4), 'tango://h:1/a/b/c/name.change', 'strings need no criteria; a Tango 8 client gets the old name');
  assert.equal(ev.subscribe('counter', 'idl5_periodic', 0), 'tango://h:1/a/b/c/counter.idl5_periodic', 'release from the idl5_ prefix');
  assert.equal(ev.subscribedAttributes().size, 3);
  // a confirmation without release or prefix keeps the version asked for
  assert.equal(ev.subscribe('Steps', 'change'), 'tango://h:1/a/b/c/steps.idl5_change');
  assert.equal(ev.subscriptionCount, 3);
  assert.equal(ev.wanted('steps', 'change', Date.now() + SUBSCRIPTION_LIFETIME_MS + 1000), false, 'unconfirmed subscriptions lapse after 600 s');
});

/** the DevLong values of the events a subscriber received, gathered in the background */
function inbox(sub: Subscriber): (ms: number) => Promise<number[]> {
  const got: number[] = [];
  void (async () => {
    // the value of a DevLong AttributeValue_5: after the pad, the discriminator and the length
    for await (const m of sub) got.push(Buffer.from(m[3]).readInt32LE(12));
  })().catch(() => undefined);
  return async (ms) => {
    await new Promise((r) => setTimeout(r, ms));
    return got.splice(0);
  };
}

test('change (abs_change, rel_change), periodic (event_period) and archive (archive_period) criteria', async () => {
  await shared.start();
  const sub = new Subscriber();
  sub.connect(shared.eventEndpoint);
  sub.subscribe('tango://h:1/a/b/c/counter.');
  const collect = inbox(sub);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const abs = deviceEvents(shared, (c) => { c.events.change.absChange = '2'; c.events.periodic.period = '1000'; c.events.archive.period = '3000'; });
    abs.subscribe('Counter', 'change', 5);
    const base = Date.now();
    for (const [v, at] of [[0, 0], [1, 100], [2, 200], [5, 300], [4, 400]]) await abs.onReading(reading('Counter', CmdArgType.DevLong, [v]), 'poll', base + at);
    assert.deepEqual(await collect(300), [0, 2, 5], 'abs_change 2: 1 and 4 are too close to what was sent');

    const rel = deviceEvents(shared, (c) => { c.events.change.relChange = '50'; });
    rel.subscribe('Counter', 'change', 5);
    for (const v of [10, 14, 16, 7]) await rel.onReading(reading('Counter', CmdArgType.DevLong, [v]), 'poll');
    assert.deepEqual(await collect(300), [10, 16, 7], 'rel_change 50 %: +40 % is not enough, +60 % and -56 % are');

    const per = deviceEvents(shared, (c) => { c.events.periodic.period = '1000'; });
    per.subscribe('Counter', 'periodic', 5);
    const now = Date.now();
    for (const [v, at] of [[1, 0], [2, 500], [3, 1000], [4, 1500], [5, 1985]]) await per.onReading(reading('Counter', CmdArgType.DevLong, [v]), 'poll', now + at);
    await per.onReading(reading('Counter', CmdArgType.DevLong, [6]), 'push', now + 3000);
    assert.deepEqual(await collect(300), [1, 3, 5], 'every 1000 ms (2 % early is on time); device pushes are not periodic');

    const arch = deviceEvents(shared, (c) => { c.events.archive.period = '1000'; });
    arch.subscribe('Counter', 'archive', 5);
    for (const [v, at] of [[1, 0], [1, 400], [1, 1000], [1, 1200]]) await arch.onReading(reading('Counter', CmdArgType.DevLong, [v]), 'poll', now + at);
    assert.deepEqual(await collect(300), [1, 1], 'archive_period: the same value again after the period');
  } finally {
    sub.close();
  }
});

test('locking: the owner, another client, relocking, expiry and a forced unlock', () => {
  const lock = new DeviceLock('a/b/c');
  const owner = { host: '10.0.0.1', peer: '10.0.0.1:5000', ident: { lang: LockerLanguage.CPP as const, pid: 11 } };
  const other = { host: '10.0.0.1', ident: { lang: LockerLanguage.CPP as const, pid: 12 } };
  const old = { host: '10.0.0.1' };
  const t = 1_000_000;
  assert.equal(lock.status(t).lvalue[0], 0);
  lock.lock(owner, 10, t);
  assert.deepEqual(lock.status(t).lvalue, [1, 11, 0, 0, 0, 0]);
  assert.deepEqual(lock.status(t).svalue.slice(1), ['giop:tcp:10.0.0.1:5000', 'Not defined']);
  lock.check(owner, 'command_inout4', 'OpenFile', t);
  lock.check(other, 'command_inout4', 'State', t);
  assert.throws(() => lock.check(other, 'command_inout4', 'OpenFile', t), /API_DeviceLocked: Device a\/b\/c is locked by another client/);
  assert.throws(() => lock.check(old, 'write_attributes', undefined, t), /API_DeviceLocked/, 'a client without identification is another client');
  assert.throws(() => lock.lock(other, 10, t), /already locked by another client/);
  assert.throws(() => lock.unlock(other, false, t), /can't unlock it/);
  lock.relock(owner, t + 9000);
  lock.check(other, 'command_inout4', 'OpenFile', t + 20_000); // relocked at +9 s for 10 s: expired at +20 s
  lock.lock(owner, 10, t + 30_000);
  lock.lock(owner, 10, t + 30_000);
  assert.equal(lock.unlock(owner, false, t + 30_000), 1, 'nested locks count down');
  assert.equal(lock.unlock(other, true, t + 30_000), 0, 'a forced unlock works for anyone');
  assert.equal(lock.status(t + 30_000).lvalue[0], 0);
});
