// Python decoder classes (global JSON "decoders") in the session's worker, with the reference's
// contract and errors; and the early check of PYEVAL scripts (DataSourceType.vet).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, NxswError, parseXml, silentLogger } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
import type { DecodeContext, NxValue } from '@nxsw/core';
import { PyEvalSourceType, PythonRuntime } from '../src/index.js';

// the beamline's own decoder classes, importable by the worker
const dir = mkdtempSync(join(tmpdir(), 'nxsw-pydecoders-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'nxsw_site_decoders.py'), `
import struct, time
import numpy

class Base(object):
    def __init__(self):
        self.name = self.__class__.__name__
        self.format = None
        self.dtype = None
        self.data = None
        self.loads = 0
    def load(self, data):
        self.format, self.data = data
        self.loads += 1
    def shape(self):
        return [1, 0]

class Shout(Base):
    """UTF8-style: bytes that mean a string"""
    def decode(self):
        self.dtype = "string"
        return self.data.upper() + (" #%d" % self.loads).encode()

class Words(Base):
    """a list of Python ints that dtype says are uint32"""
    def decode(self):
        self.dtype = "uint32"
        return list(struct.unpack("<%dI" % (len(self.data) // 4), self.data))

class Image(Base):
    def shape(self):
        return [2, 3]
    def decode(self):
        self.dtype = "uint16"
        return numpy.frombuffer(self.data, dtype="<u2").reshape(2, 3)

class Cube(Base):
    def decode(self):
        return [[[1]]]

class NoShape(Base):
    def shape(self):
        return None
    def decode(self):
        return 1

class NoValue(Base):
    def decode(self):
        return None

class Broken(Base):
    def decode(self):
        return {}["missing"]

class Slow(Base):
    def decode(self):
        time.sleep(30)

class NoDtype(object):
    name = "NoDtype"
    format = None
    def load(self, data): pass
    def shape(self): return [1, 0]
    def decode(self): return 1

class Failing(Base):
    def __init__(self):
        raise RuntimeError("no detector configured")

class SlowInit(Base):
    def __init__(self):
        time.sleep(30)

made = []

class Counted(Base):
    """says how many instances of it the worker has made"""
    def __init__(self):
        Base.__init__(self)
        made.append(self)
    def decode(self):
        self.dtype = "int64"
        return [len(made), self.loads]
`);
process.env.PYTHONPATH = [dir, process.env.PYTHONPATH].filter(Boolean).join(':');

function runtime(options: { scriptTimeoutMs?: number; enabled?: boolean } = {}): PythonRuntime {
  return new PythonRuntime({ python: SYSTEM_PYTHON, scriptTimeoutMs: options.scriptTimeoutMs ?? 2000, enabled: options.enabled, log: silentLogger, sinkName: () => "'test'" });
}

const dctx = (shared: Map<string, unknown>): DecodeContext => ({ shared, settings: {}, signal: new AbortController().signal });
const values = (v: NxValue) => Array.from(v.data as ArrayLike<unknown>);
const bytes = (...n: number[]) => new Uint8Array(Uint32Array.from(n).buffer);

test('decoder classes decode in the session worker: bytes become a string, dtype names the element type, one instance per label', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const shout = t.decoderFromClass('nxsw_site_decoders.Shout', 'SHOUT');
    assert.equal(shout.name, 'SHOUT');
    const s1 = await shout.decode('TEXT', new TextEncoder().encode('grüße'), dctx(shared));
    assert.deepEqual([s1.type, s1.shape, s1.data], ['string', [], ['GRüßE #1']]);
    // the same instance keeps its state across values, as the reference's pool instance does
    assert.deepEqual((await shout.decode('TEXT', new TextEncoder().encode('x'), dctx(shared))).data, ['X #2']);
    const words = await t.decoderFromClass('nxsw_site_decoders.Words', 'W32').decode('W', bytes(1, 4294967295), dctx(shared));
    assert.deepEqual([words.type, words.shape, values(words)], ['uint32', [2], [1, 4294967295]]);
    const img = await t.decoderFromClass('nxsw_site_decoders.Image', 'IMG').decode('I', new Uint8Array(Uint16Array.of(1, 2, 3, 256, 513, 65535).buffer), dctx(shared));
    assert.deepEqual([img.type, img.shape, values(img)], ['uint16', [2, 3], [1, 2, 3, 256, 513, 65535]]);
  } finally {
    await rt.dispose();
  }
});

test('the reference errors: rank above 2, shape None, value None; a raising decode names the Python error', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const fails = async (cls: string, re: RegExp) => {
      await assert.rejects(t.decoderFromClass(`nxsw_site_decoders.${cls}`, cls.toUpperCase()).decode('F', bytes(1), dctx(shared)),
        (e: unknown) => e instanceof NxswError && e.code === 'VALUE_INVALID' && re.test(e.message));
    };
    await fails('Cube', /the Python decoder class nxsw_site_decoders\.Cube \(encoding 'CUBE'\) failed: ValueError: Unsupported variables format: decode\(\) returned a value of rank 3/);
    await fails('NoShape', /NoShape \(encoding 'NOSHAPE'\) failed: ValueError: Encoding or Shape not defined: shape\(\) returned None/);
    await fails('NoValue', /failed: ValueError: Encoding of DevEncoded variables not defined: decode\(\) returned None/);
    await fails('Broken', /Broken \(encoding 'BROKEN'\) failed: KeyError: 'missing' \(script line \d+\)/);
  } finally {
    await rt.dispose();
  }
});

test('a class without the members the reference requires, a failing constructor or a missing module: a clear error naming label and class', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const refused = (cls: string, label: string, re: RegExp) => assert.rejects(t.decoderFromClass(cls, label).decode('F', bytes(1), dctx(shared)),
      (e: unknown) => e instanceof ConfigError && e.code === 'DATASOURCE_CONFIG' && re.test(e.message));
    await refused('nxsw_site_decoders.NoDtype', 'NODT', /the decoder class nxsw_site_decoders\.NoDtype \(encoding 'NODT'\) has no dtype \(a decoder needs load, name, shape, decode, dtype, format\)/);
    await refused('nxsw_site_decoders.Failing', 'FAIL', /Failing\(\) of the decoder class nxsw_site_decoders\.Failing \(encoding 'FAIL'\) failed: no detector configured/);
    await refused('nxsw_no_such_module.Dec', 'GONE', /cannot import the decoder class nxsw_no_such_module\.Dec \(encoding 'GONE'\): No module named 'nxsw_no_such_module'/);
    await refused('nxsw_site_decoders.Nothing', 'NONE', /cannot import .*Nothing \(encoding 'NONE'\): .*has no attribute 'Nothing'/);
    // the worker is still good for the next decoder
    assert.deepEqual((await t.decoderFromClass('nxsw_site_decoders.Shout', 'S').decode('', new TextEncoder().encode('ok'), dctx(shared))).data, ['OK #1']);
  } finally {
    await rt.dispose();
  }
});

test('a decode past the time limit is stopped (the worker restarts); scripts off refuses decoder classes', async () => {
  const rt = runtime({ scriptTimeoutMs: 300 });
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const started = Date.now();
    await assert.rejects(t.decoderFromClass('nxsw_site_decoders.Slow', 'SLOW').decode('', bytes(1), dctx(shared)),
      (e: unknown) => e instanceof NxswError && e.code === 'TIMEOUT' && /decoder class nxsw_site_decoders\.Slow \(encoding 'SLOW'\) ran longer than 300 ms/.test(e.message));
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(values(await t.decoderFromClass('nxsw_site_decoders.Words', 'W').decode('', bytes(7), dctx(shared))), [7]);
  } finally {
    await rt.dispose();
  }
  const off = new PyEvalSourceType(runtime({ enabled: false }));
  assert.throws(() => off.decoderFromClass('nxsw_site_decoders.Shout', 'S'),
    /PYEVAL scripts \(and Python datasource and decoder classes\) are disabled on this server; an operator enables them with "pluginOptions": \{"@nxsw\/source-python": \{"scripts": true\}\}/);
});

test('prepare makes a decoder class before any value: the instance it made decodes, once per worker', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const counted = t.decoderFromClass('nxsw_site_decoders.Counted', 'COUNTED');
    await counted.prepare(dctx(shared));
    // a second prepare (the next OpenEntry) keeps the instance
    await counted.prepare(dctx(shared));
    assert.deepEqual(values(await counted.decode('C', bytes(1), dctx(shared))), [1n, 1n]);
    assert.deepEqual(values(await counted.decode('C', bytes(1), dctx(shared))), [1n, 2n]);
  } finally {
    await rt.dispose();
  }
});

test('prepare refuses a class that lacks a member, whose constructor fails or that cannot be imported, naming label and class; decode fails the same way after it', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const refused = (e: unknown, re: RegExp) => e instanceof ConfigError && e.code === 'DATASOURCE_CONFIG' && re.test(e.message);
    const cases: Array<[string, string, RegExp]> = [
      ['nxsw_site_decoders.NoDtype', 'NODT', /^the decoder class nxsw_site_decoders\.NoDtype \(encoding 'NODT'\) has no dtype \(a decoder needs load, name, shape, decode, dtype, format\)$/],
      ['nxsw_site_decoders.Failing', 'FAIL', /^Failing\(\) of the decoder class nxsw_site_decoders\.Failing \(encoding 'FAIL'\) failed: no detector configured$/],
      ['nxsw_no_such_module.Dec', 'GONE', /^cannot import the decoder class nxsw_no_such_module\.Dec \(encoding 'GONE'\): No module named 'nxsw_no_such_module'$/],
    ];
    for (const [cls, label, re] of cases) {
      const d = t.decoderFromClass(cls, label);
      await assert.rejects(d.prepare(dctx(shared)), (e) => refused(e, re));
      // the read still reports it (with canfail: the markers)
      await assert.rejects(d.decode('F', bytes(1), dctx(shared)), (e) => refused(e, re));
    }
    const good = t.decoderFromClass('nxsw_site_decoders.Shout', 'S');
    await good.prepare(dctx(shared));
    assert.deepEqual((await good.decode('', new TextEncoder().encode('ok'), dctx(shared))).data, ['OK #1']);
  } finally {
    await rt.dispose();
  }
});

test('prepare of a constructor past the time limit fails with TIMEOUT naming label and class, once; the worker serves the next class', async () => {
  const rt = runtime({ scriptTimeoutMs: 300 });
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const started = Date.now();
    await assert.rejects(t.decoderFromClass('nxsw_site_decoders.SlowInit', 'SLOWINIT').prepare(dctx(shared)),
      (e: unknown) => e instanceof NxswError && e.code === 'TIMEOUT' && /decoder class nxsw_site_decoders\.SlowInit \(encoding 'SLOWINIT'\) ran longer than 300 ms/.test(e.message));
    assert.ok(Date.now() - started < 5000);
    const words = t.decoderFromClass('nxsw_site_decoders.Words', 'W');
    await words.prepare(dctx(shared));
    assert.deepEqual(values(await words.decode('', bytes(7), dctx(shared))), [7]);
  } finally {
    await rt.dispose();
  }
});

test('vet compiles all PYEVAL scripts in one request: syntax errors located at the <result>, with Python line and message', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const doc = parseXml(`<group>
<datasource type="PYEVAL"><result name="a">ds.a = [i for i in range(3)]</result></datasource>
<datasource type="PYEVAL"><result name="b">
x = 1
ds.b = (x +
</result></datasource>
<datasource type="PYEVAL"><result name="c">ds.c = 1</result></datasource>
</group>`);
    const els = doc.children.filter((c) => c.name === 'datasource');
    const found = await t.vet(els, { settings: {}, shared: new Map() });
    assert.equal(found.length, 1);
    assert.ok(found[0] instanceof ConfigError);
    assert.equal(found[0]!.code, 'DATASOURCE_CONFIG');
    assert.equal(found[0]!.location?.line, 3);
    assert.match(found[0]!.message, /^the PYEVAL script at line 3 of .* does not compile: SyntaxError: '\(' was never closed \(script line 2\) \(line 3, column/);
    assert.deepEqual(await t.vet(els.slice(0, 1), { settings: {}, shared: new Map() }), []);
  } finally {
    await rt.dispose();
  }
});
