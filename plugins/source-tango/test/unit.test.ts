// Unit tests without a Tango stack: configuration, descriptions, __CLIENT__ keys, groups, decoders, failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, ConfigError, NxswError } from '@nxsw/core';
import type { AttributeReading } from '@nxsw/tango-wire';
import { AttrDataFormat, AttrQuality, CmdArgType, TangoConnectionError, TangoDevFailed, TangoTimeoutError } from '@nxsw/tango-wire';
import {
  TangoSourceType, TangoSource, AttributeGroup, clientKeys, lookupClient, utf8Decoder, uint32Decoder, limaVideoDecoder,
  dataArrayDecoder, encodeVideoImage, encodeDataArray, readingToValue, commandToValue, toNxswError, withSignal,
} from '../src/index.js';
import { ctx, silentServer } from './helpers.js';

const xml = (device: string, record = '<record name="double_scalar"/>', name = '') =>
  parseXml(`<datasource type="TANGO"${name}>${device}${record}</datasource>`);

test('configuration errors name the element and its location', () => {
  const t = new TangoSourceType();
  const cases: [string, RegExp][] = [
    [`<datasource type="TANGO"><record name="x"/></datasource>`, /Tango device name not defined/],
    [`<datasource type="TANGO"><device member="attribute"/><record name="x"/></datasource>`, /Tango device name not defined/],
    [`<datasource type="TANGO"><device name="a/b/c"/></datasource>`, /Tango record name not defined/],
    [`<datasource type="TANGO"><device name="a/b/c"/><record name=" "/></datasource>`, /Tango record name not defined/],
    [`<datasource type="TANGO"><device name="a/b/c" hostname="h" port="x1"/><record name="y"/></datasource>`, /port 'x1'/],
    [`<datasource type="TANGO"><device name="a//c"/><record name="y"/></datasource>`, /is invalid/],
  ];
  for (const [doc, re] of cases) {
    assert.throws(() => t.create(parseXml(doc), { createSource: () => { throw new Error(); } }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.code, 'DATASOURCE_CONFIG');
      assert.match(e.message, re);
      assert.ok(e.location && e.location.line >= 1 && e.location.path.length > 0);
      return true;
    });
  }
});

test('describe(), member fallback and the device address', () => {
  const t = new TangoSourceType();
  const env = { createSource: () => { throw new Error(); } };
  const a = t.create(xml('<device name="sys/tg_test/1"/>'), env) as TangoSource;
  assert.equal(a.describe(), 'TANGO Device sys/tg_test/1 : double_scalar (attribute)');
  const b = t.create(xml('<device name="sys/tg_test/1" member="command" hostname="haso.desy.de" port="10000"/>', '<record name="Status"/>'), env) as TangoSource;
  assert.equal(b.describe(), 'TANGO Device tango://haso.desy.de:10000/sys/tg_test/1 : Status (command)');
  const c = t.create(xml('<device name="sys/tg_test/1" member="bogus"/>'), env) as TangoSource;
  assert.equal(c.member, 'attribute');
  const d = t.create(xml('<device name="sys/tg_test/1" member="property" hostname="h"/>', '<record name="P"/>'), env) as TangoSource;
  assert.equal(d.address, 'sys/tg_test/1', 'hostname without port keeps the bare name');
  assert.equal(t.defaultTimeoutMs, 3000);
});

test('__CLIENT__ key spellings in the reference order, local before global, then lower-cased', () => {
  const keys = clientKeys({ fqdn: 'haso.desy.de', short: 'haso', port: 10000, device: 'p09/Motor/Exp.01', attribute: 'Position', name: 'mot01' });
  assert.deepEqual(keys.slice(0, 9), [
    'tango://haso.desy.de:10000/p09/Motor/Exp.01/position',
    'haso.desy.de:10000/p09/Motor/Exp.01/Position',
    'haso.desy.de:10000/p09/Motor/Exp.01',
    'tango://haso.desy.de:10000/p09/Motor/Exp.01',
    'tango://haso:10000/p09/Motor/Exp.01/position',
    'haso:10000/p09/Motor/Exp.01/Position',
    'haso:10000/p09/Motor/Exp.01',
    'tango://haso:10000/p09/Motor/Exp.01',
    'mot01',
  ]);
  assert.ok(keys.includes('tango://haso.desy.de:10000/p09/motor/exp.01/position'));
  assert.deepEqual(clientKeys({ fqdn: 'h', short: 'h', port: undefined, device: 'a/b/c', attribute: 'x', name: 'n' }), ['n']);
  const local = { data: { 'haso:10000/p09/Motor/Exp.01/Position': 2 } };
  const global = { data: { 'tango://haso.desy.de:10000/p09/Motor/Exp.01/position': null, mot01: 3, 'haso:10000/p09/Motor/Exp.01/Position': 1 } };
  assert.deepEqual(lookupClient(keys, local, global), { key: 'haso:10000/p09/Motor/Exp.01/Position', value: 2 });
  assert.deepEqual(lookupClient(keys, undefined, { data: { mot01: 3 } }), { key: 'mot01', value: 3 });
  assert.deepEqual(lookupClient(keys, undefined, { data: { 'haso:10000/p09/motor/exp.01/position': 4 } })?.value, 4);
  assert.equal(lookupClient(keys, undefined, {}), undefined);
});

test('a __CLIENT__ source takes the client value and never contacts the (unreachable) device', async () => {
  const t = new TangoSourceType();
  const s = t.create(xml('<device name="p09/mot/1" hostname="nonexistent.invalid" port="1" group="__CLIENT__"/>', '<record name="Position"/>', ' name="m1"'), { createSource: () => { throw new Error(); } });
  const v = await s.read(ctx({ globalJson: { data: { 'tango://nonexistent.invalid:1/p09/mot/1/position': [1, 2] } } }), 'float64');
  assert.deepEqual([...(v.data as Float64Array)], [1, 2]);
  const w = await s.read(ctx({ localJson: { data: { m1: 'x' } } }));
  assert.deepEqual(w.data, ['x']);
  await assert.rejects(s.read(ctx()), (e: NxswError) => e.code === 'SOURCE_UNAVAILABLE' || e.code === 'TIMEOUT');
  await t.dispose();
});

test('an unreachable database is SOURCE_UNAVAILABLE, and an aborted signal ends a hanging read', async () => {
  const t = new TangoSourceType({ timeoutMs: 3000 });
  const env = { createSource: () => { throw new Error(); } };
  const s = t.create(xml('<device name="a/b/c" hostname="127.0.0.1" port="1"/>'), env);
  await assert.rejects(s.read(ctx()), (e: NxswError) => e.code === 'SOURCE_UNAVAILABLE' && /a\/b\/c/.test(e.message));
  // a server that accepts and never answers: the read hangs until the signal aborts
  const silent = await silentServer();
  const slow = t.create(xml(`<device name="a/b/c" hostname="127.0.0.1" port="${silent.port}"/>`), env);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new NxswError('TIMEOUT', 'test limit')), 100);
  const t0 = Date.now();
  await assert.rejects(slow.read(ctx({ signal: ac.signal })), (e: NxswError) => e.code === 'TIMEOUT');
  assert.ok(Date.now() - t0 < 1000);
  await t.dispose();
  silent.close();
});

test('client errors map to the engine codes', () => {
  assert.equal(toNxswError(new TangoTimeoutError('x'), 'w').code, 'TIMEOUT');
  assert.equal(toNxswError(new TangoConnectionError('x'), 'w').code, 'SOURCE_UNAVAILABLE');
  const dev = (reason: string) => new TangoDevFailed([{ reason, severity: 1, desc: 'd', origin: 'o' }]);
  assert.equal(toNxswError(dev('API_DeviceNotExported'), 'w').code, 'SOURCE_UNAVAILABLE');
  assert.equal(toNxswError(dev('API_DeviceTimedOut'), 'w').code, 'TIMEOUT');
  assert.equal(toNxswError(dev('API_AttrNotFound'), 'w').code, 'DATA_NOT_FOUND');
  assert.match(toNxswError(dev('API_AttrNotFound'), 'attribute x of d').message, /^attribute x of d: API_AttrNotFound: d/);
});

test('withSignal rejects with the signal reason and otherwise passes the result through', async () => {
  const ac = new AbortController();
  ac.abort(new NxswError('TIMEOUT', 'gone'));
  await assert.rejects(withSignal(new Promise(() => undefined), ac.signal), /gone/);
  assert.equal(await withSignal(Promise.resolve(4), new AbortController().signal), 4);
});

const reading = (name: string, type: CmdArgType, format: AttrDataFormat, shape: number[], data: AttributeReading['data']): AttributeReading =>
  ({ name, type, format, shape, data, quality: AttrQuality.ATTR_VALID, time: { sec: 0, usec: 0, nsec: 0 }, errors: [] });

test('attribute readings become typed values with scalar/spectrum/image shapes; DevState as its name', async () => {
  const c = ctx();
  const img = await readingToValue(reading('i', CmdArgType.DevUShort, AttrDataFormat.IMAGE, [2, 3], Uint16Array.of(1, 2, 3, 4, 5, 6)), c, undefined);
  assert.deepEqual([img.type, img.shape], ['uint16', [2, 3]]);
  const l = await readingToValue(reading('l', CmdArgType.DevLong64, AttrDataFormat.SCALAR, [], BigInt64Array.of(-5n)), c, undefined);
  assert.deepEqual([l.type, l.shape, (l.data as BigInt64Array)[0]], ['int64', [], -5n]);
  const b = await readingToValue(reading('b', CmdArgType.DevBoolean, AttrDataFormat.SPECTRUM, [2], Uint8Array.of(1, 0)), c, undefined);
  assert.deepEqual([b.type, [...(b.data as Uint8Array)]], ['bool', [1, 0]]);
  const s = await readingToValue(reading('State', CmdArgType.DevState, AttrDataFormat.SCALAR, [], Uint32Array.of(6)), c, undefined);
  assert.deepEqual(s.data, ['MOVING']);
  const n = await readingToValue(reading('State', CmdArgType.DevState, AttrDataFormat.SCALAR, [], Uint32Array.of(6)), c, undefined, 'int32');
  assert.deepEqual([n.type, [...(n.data as Uint32Array)]], ['uint32', [6]]);
  const enc = await readingToValue(reading('e', CmdArgType.DevEncoded, AttrDataFormat.SCALAR, [], [{ format: 'UTF8', data: new TextEncoder().encode('hé') }]), c, undefined);
  assert.deepEqual(enc.data, ['hé']);
  const bad = { ...reading('x', CmdArgType.DevDouble, AttrDataFormat.SCALAR, [], new Float64Array(0)), quality: AttrQuality.ATTR_INVALID };
  await assert.rejects(async () => readingToValue(bad, c, undefined), /ATTR_INVALID/);
  assert.deepEqual((await commandToValue(3, CmdArgType.DevState, 'State', c, undefined)).data, ['OPEN']);
  assert.deepEqual((await commandToValue(Int32Array.of(1, 2), CmdArgType.DevVarLongArray, 'X', c, undefined)).type, 'int32');
  await assert.rejects(async () => commandToValue(undefined, CmdArgType.DevVoid, 'Init', c, undefined), /DevVoid/);
});

test('a group reads all its members with one call per step, and re-reads for a new round', async () => {
  const g = new AttributeGroup('g', 'a/b/c');
  const t = new TangoSourceType();
  const env = { createSource: () => { throw new Error(); } };
  const s1 = t.create(xml('<device name="a/b/c" group="g"/>', '<record name="x"/>'), env) as TangoSource;
  const s2 = t.create(xml('<device name="a/b/c" group="g"/>', '<record name="Y"/>'), env) as TangoSource;
  const other = t.create(xml('<device name="a/b/c" group="h"/>', '<record name="x"/>'), env) as TangoSource;
  assert.equal(s1.group, s2.group);
  assert.notEqual(s1.group, other.group);
  assert.deepEqual(s1.group!.attributeNames, ['x', 'Y']);
  g.add(s1);
  g.add(s2);
  let calls = 0;
  const proxy = {
    readAttributes: async (names: string[]) => {
      calls++;
      return names.map((n) => reading(n.toLowerCase(), CmdArgType.DevLong, AttrDataFormat.SCALAR, [], Int32Array.of(calls)));
    },
  } as never;
  const [a, b] = await Promise.all([g.read(s1, proxy, 1), g.read(s2, proxy, 1)]);
  assert.equal(calls, 1);
  assert.deepEqual([a.data[0], b.data[0]], [1, 1]);
  await g.read(s1, proxy, 2);
  await g.read(s2, proxy, 2);
  assert.equal(calls, 2);
  await g.read(s1, proxy, 2); // same step number again (a new entry): a new read
  assert.equal(calls, 3);
  await s1.close();
  await s2.close();
  assert.equal(t.groupOf('g', 'a/b/c'), undefined, 'closed sources leave their group');
});

test('UTF8 and UINT32 decode DevEncoded bytes and refuse bad ones', () => {
  assert.deepEqual(utf8Decoder.decode('UTF8', new TextEncoder().encode('Größe ✓')).data, ['Größe ✓']);
  assert.throws(() => utf8Decoder.decode('UTF8', new Uint8Array([0xff, 0xfe])), /not valid UTF-8/);
  const v = uint32Decoder.decode('UINT32', new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
  assert.deepEqual([...(v.data as Uint32Array)], [1, 4294967295]);
  assert.throws(() => uint32Decoder.decode('UINT32', new Uint8Array(3)), /not a multiple of 4/);
});

test('LIMA_VIDEO_IMAGE / VIDEO_IMAGE decode a hand-made frame (big-endian header, little-endian pixels)', () => {
  // 2 rows × 3 columns of Y16: 1 2 3 / 256 513 65535
  const px = new Uint8Array([1, 0, 2, 0, 3, 0, 0, 1, 1, 2, 0xff, 0xff]);
  const bytes = new Uint8Array([
    0x56, 0x44, 0x45, 0x4f, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 32, 0, 0, 0, 0, ...px,
  ]);
  assert.deepEqual(encodeVideoImage({ mode: 1, width: 3, height: 2, frame: 7n, pixels: px }), bytes);
  for (const d of [limaVideoDecoder('LIMA_VIDEO_IMAGE'), limaVideoDecoder('VIDEO_IMAGE')]) {
    const v = d.decode('VIDEO_IMAGE', bytes);
    assert.deepEqual([v.type, v.shape, [...(v.data as Uint16Array)]], ['uint16', [2, 3], [1, 2, 3, 256, 513, 65535]]);
  }
  const be = encodeVideoImage({ mode: 2, width: 1, height: 1, pixels: new Uint8Array([0, 0, 1, 2]), bigEndianPixels: true });
  assert.deepEqual([...(limaVideoDecoder('VIDEO_IMAGE').decode('', be).data as Uint32Array)], [258]);
  const y8 = limaVideoDecoder('VIDEO_IMAGE').decode('', encodeVideoImage({ mode: 0, width: 2, height: 1, pixels: new Uint8Array([9, 250]) }));
  assert.deepEqual([y8.type, [...(y8.data as Uint8Array)]], ['uint8', [9, 250]]);
  const dec = limaVideoDecoder('VIDEO_IMAGE');
  assert.throws(() => dec.decode('', bytes.slice(0, 20)), /shorter than the 32-byte/);
  assert.throws(() => dec.decode('', bytes.slice(0, 40)), /needs 44 bytes/);
  const wrong = bytes.slice();
  wrong[0] = 0;
  assert.throws(() => dec.decode('', wrong), /magic/);
  assert.throws(() => dec.decode('', encodeVideoImage({ mode: 6, width: 1, height: 1, pixels: new Uint8Array(3) })), /colour modes/);
  // frame number -1 (devices that emulate or forward VIDEO_IMAGE): decoded like any other, as the reference does
  const forwarded = dec.decode('', encodeVideoImage({ mode: 1, width: 3, height: 2, frame: -1n, pixels: px }));
  assert.deepEqual([forwarded.shape, [...(forwarded.data as Uint16Array)]], [[2, 3], [1, 2, 3, 256, 513, 65535]]);
});

test('DATA_ARRAY decodes a hand-made little-endian array header with every data type', () => {
  // header: "YATD", version 2, header size 64, category 1, type 5 (int16), little-endian, 2 dims 3 × 2
  const head = new Uint8Array(64);
  head.set([0x59, 0x41, 0x54, 0x44, 2, 0, 64, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 2, 0, 3, 0, 2, 0]);
  const payload = new Uint8Array(new Int16Array([1, -2, 3, -4, 5, -6]).buffer);
  const bytes = new Uint8Array([...head, ...payload]);
  assert.deepEqual(encodeDataArray({ dataType: 5, dims: [3, 2], payload }), bytes);
  const v = dataArrayDecoder.decode('DATA_ARRAY', bytes);
  assert.deepEqual([v.type, v.shape, [...(v.data as Int16Array)]], ['int16', [2, 3], [1, -2, 3, -4, 5, -6]]);
  const types: [number, string, ArrayLike<number | bigint> & { buffer: ArrayBufferLike }][] = [
    [0, 'uint8', Uint8Array.of(7)], [1, 'uint16', Uint16Array.of(65535)], [2, 'uint32', Uint32Array.of(4e9)],
    [3, 'uint64', BigUint64Array.of(2n ** 63n)], [4, 'int8', Int8Array.of(-7)], [6, 'int32', Int32Array.of(-2e9)],
    [7, 'int64', BigInt64Array.of(-(2n ** 62n))], [8, 'float32', Float32Array.of(1.5)], [9, 'float64', Float64Array.of(-2.25)],
  ];
  for (const [code, name, arr] of types) {
    const d = dataArrayDecoder.decode('DATA_ARRAY', encodeDataArray({ dataType: code, dims: [1], payload: new Uint8Array(arr.buffer) }));
    assert.deepEqual([d.type, d.shape, Array.from(d.data as ArrayLike<number | bigint>)], [name, [1], Array.from(arr as ArrayLike<number | bigint>)]);
  }
  assert.throws(() => dataArrayDecoder.decode('', bytes.slice(0, 10)), /shorter/);
  assert.throws(() => dataArrayDecoder.decode('', bytes.slice(0, 70)), /needs 76 bytes/);
  assert.throws(() => dataArrayDecoder.decode('', encodeDataArray({ dataType: 12, dims: [1], payload: new Uint8Array(1) })), /data type 12/);
  const bad = bytes.slice();
  bad[0] = 0x44;
  assert.throws(() => dataArrayDecoder.decode('', bad), /magic/);
});
