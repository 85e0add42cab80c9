import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeIiopProfile, iiopProfile, iorToObjectRef, makeCorbaloc, makeIor, parseCorbaloc, parseIor, stringifyIor, TAG_CODE_SETS, IorError,
} from '../src/ior.js';
import { formatTangoName, parseTangoHost, parseTangoName, TangoNameError, defaultTangoHost } from '../src/names.js';

// TangoTest's IOR as DbImportDevice returned it in pytango-tangotest.pcap
const TANGOTEST_IOR = 'IOR:010000001700000049444c3a54616e676f2f4465766963655f353a312e3000000100000000000000b8000000010102000a0000003139322e302e322e32001fd60e000000fea84a066b000035bd000000000000000400000000000000080000000100000000545441010000001c0000000100000001000100010000000100010509010100010000000901010003000000120000000100000008000000666430303a3a32001fd6000002545441340000000100000003000000766d0000240000002f746d702f6f6d6e692d726f6f742f3030303031333735372d3137393535373434343000';

test('the captured cppTango IOR decodes: type id, IIOP 1.2 host/port/key, components', () => {
  const ior = parseIor(TANGOTEST_IOR);
  assert.equal(ior.typeId, 'IDL:Tango/Device_5:1.0');
  assert.equal(ior.profiles.length, 1);
  const p = iiopProfile(ior);
  assert.deepEqual([p.major, p.minor, p.host, p.port], [1, 2, '192.0.2.2', 54815]);
  assert.equal(Buffer.from(p.objectKey).toString('hex'), 'fea84a066b000035bd0000000000');
  assert.deepEqual(p.components.map((c) => c.tag), [0, 1, 3, 0x41545402]);
  assert.equal(stringifyIor(ior), TANGOTEST_IOR, 'printing gives back the same string');
});

test('makeIor builds a TCP-only IIOP 1.2 IOR that parses back', () => {
  const ior = makeIor('IDL:Tango/Device_5:1.0', '10.0.0.1', 10123, 'test/nxs/1');
  const text = stringifyIor(ior);
  const ref = iorToObjectRef(text);
  assert.deepEqual([ref.host, ref.port, ref.giopMinor, Buffer.from(ref.objectKey).toString()], ['10.0.0.1', 10123, 2, 'test/nxs/1']);
  const p = decodeIiopProfile(parseIor(text).profiles[0].data);
  assert.deepEqual(p.components.map((c) => c.tag), [TAG_CODE_SETS]);
});

test('IOR errors name the problem', () => {
  assert.throws(() => parseIor('corbaloc::x:1/y'), /must start with "IOR:"/);
  assert.throws(() => parseIor('IOR:0g'), /hex/);
  assert.throws(() => parseIor('IOR:01000000ffffff'), (e: Error) => e instanceof IorError && /malformed IOR/.test(e.message));
  assert.throws(() => iiopProfile({ typeId: 'x', profiles: [{ tag: 3, data: new Uint8Array(4) }] }), /no IIOP/);
});

test('corbaloc: versions, default GIOP 1.0, percent-decoded keys, printing', () => {
  const a = parseCorbaloc('corbaloc::localhost:10000/database');
  assert.deepEqual([a.host, a.port, a.giopMinor, Buffer.from(a.objectKey).toString()], ['localhost', 10000, 0, 'database']);
  const b = parseCorbaloc('corbaloc:iiop:1.2@10.1.1.1:1234/a%2fb%00c');
  assert.equal(b.giopMinor, 2);
  assert.deepEqual(Array.from(b.objectKey), [...Buffer.from('a/b'), 0, ...Buffer.from('c')]);
  assert.deepEqual(parseCorbaloc(makeCorbaloc(b)), b);
  assert.throws(() => parseCorbaloc('corbaloc:rir:/NameService'), /unsupported corbaloc address/);
  assert.throws(() => parseCorbaloc('corbaloc::h:1/%zz'), /bad percent escape/);
});

test('TANGO_HOST with several hosts', () => {
  assert.deepEqual(parseTangoHost('h1:10000,h2:20000'), [{ host: 'h1', port: 10000 }, { host: 'h2', port: 20000 }]);
  assert.throws(() => parseTangoHost('h1'), /not host:port/);
  assert.throws(() => parseTangoHost('h1:0'), /invalid port/);
  assert.deepEqual(defaultTangoHost({ TANGO_HOST: 'x:1' }), [{ host: 'x', port: 1 }]);
});

test('Tango names: plain, attribute, alias, tango:// with hosts, #dbase=no', () => {
  assert.deepEqual(parseTangoName('sys/tg_test/1'), { hosts: undefined, device: 'sys/tg_test/1', attribute: undefined, useDatabase: true });
  assert.equal(parseTangoName('sys/tg_test/1/double_scalar').attribute, 'double_scalar');
  assert.deepEqual(parseTangoName('myalias/attr'), { hosts: undefined, device: 'myalias', attribute: 'attr', useDatabase: true });
  const n = parseTangoName('tango://h1:10000,h2:10001/a/b/c#dbase=no', 'device');
  assert.deepEqual(n, { hosts: [{ host: 'h1', port: 10000 }, { host: 'h2', port: 10001 }], device: 'a/b/c', attribute: undefined, useDatabase: false });
  assert.equal(formatTangoName(n), 'tango://h1:10000,h2:10001/a/b/c#dbase=no');
  assert.throws(() => parseTangoName('a/b/c#dbase=no'), /needs tango:\/\/host:port/);
  assert.throws(() => parseTangoName('a/b/c/d', 'device'), (e: Error) => e instanceof TangoNameError && /three fields/.test(e.message));
  assert.throws(() => parseTangoName('a//c'), /empty name field/);
  assert.throws(() => parseTangoName('a/b/c', 'attribute'), /no attribute/);
  assert.throws(() => parseTangoName('http://x:1/a/b/c'), /only the tango:\/\//);
  assert.throws(() => parseTangoName('a/b/c#foo'), /unknown name modifier/);
});
