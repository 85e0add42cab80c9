// The PYEVAL datasource and its worker, without a file: Python semantics, value types across the
// channel, errors with the Python message and line, the time limit, a crash, no interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConfigError, NXSW_VERSION, NxswError, parseXml, silentLogger } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
import type { DataSource, JsonRecord, NxValue, ReadContext, XmlElement } from '@nxsw/core';
import { checkPlugin } from '@nxsw/core/conformance';
import { ClientSourceType } from '@nxsw/source-json';
import { PyEvalSourceType, PythonRuntime } from '../src/index.js';

const pkgDir = fileURLToPath(new URL('../..', import.meta.url));

function runtime(scriptTimeoutMs = 2000, warnings: string[] = []): PythonRuntime {
  return new PythonRuntime({ python: SYSTEM_PYTHON, scriptTimeoutMs, log: { ...silentLogger, warn: (m) => warnings.push(m) }, sinkName: () => "'test'" });
}

/** a child datasource of a fixed value (stands in for a TANGO attribute: only its type attribute matters) */
const fixed = (v: NxValue): DataSource => ({ describe: () => 'fixed', read: () => Promise.resolve(v) });

function env(fixedValues: Record<string, NxValue> = {}) {
  return { createSource: (el: XmlElement) => (fixedValues[el.attributes.name!] ? fixed(fixedValues[el.attributes.name!]!) : new ClientSourceType().create(el)) };
}

function ctx(shared: Map<string, unknown>, data: JsonRecord['data'] = {}, step = 1): ReadContext {
  return {
    phase: step === -1 ? 'INIT' : step === -2 ? 'FINAL' : 'STEP', step, globalJson: { data }, localJson: undefined,
    signal: new AbortController().signal, shared, file: undefined, decoder: () => { throw new Error('no decoders'); },
  };
}

const values = (v: NxValue) => Array.from(v.data as ArrayLike<unknown>);

test('the plugin passes the conformance kit', async () => {
  const report = await checkPlugin({
    packageDir: pkgDir,
    options: { python: SYSTEM_PYTHON },
    datasource: { PYEVAL: { valid: '<datasource type="PYEVAL"><result name="r">ds.r = [i * i for i in range(3)]</result></datasource>', invalid: '<datasource type="PYEVAL"><result>  </result></datasource>' } },
  });
  assert.deepEqual(report.checked, ['datasource:PYEVAL']);
});

test('scripts are Python: imports, comprehensions, % formatting, dicts, the reference scoping', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const xml = (script: string) => parseXml(`<datasource type="PYEVAL"><datasource type="CLIENT" name="x"><record name="x"/></datasource><result name="r">\n${script}\n</result></datasource>`);
    const read = (script: string, data: JsonRecord['data']) => t.create(xml(script), env()).read(ctx(shared, data));
    assert.deepEqual(values(await read('import math\nds.r = [round(s, 3) for s in map(math.sqrt, ds.x)]', { x: [4, 2] })), [2, 1.414]);
    assert.deepEqual((await read('ds.r = "%s=%05.1f" % ("x", ds.x)', { x: 3.14159 })).data, ['x=003.1']);
    assert.deepEqual(values(await read('d = {"a": 1, "b": 2}\nds.r = sorted(d.values(), reverse=True)', { x: 0 })), [2n, 1n]);
    // CLIENT arrays are lists, as in the reference: * repeats them
    assert.deepEqual(values(await read('ds.r = ds.x * 2', { x: [1, 2] })), [1n, 2n, 1n, 2n]);
    // separate globals and locals, as the reference's exec: a comprehension's body does not see the script's names
    await assert.rejects(read('import math\nds.r = [math.pi for v in ds.x]', { x: [1] }), /NameError: name 'math' is not defined \(script line 2\)/);
  } finally {
    await rt.dispose();
  }
});

test('values cross the channel exactly: int64 extremes, images, numpy for TANGO inputs, rank and type inferred', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const image: NxValue = { type: 'uint16', shape: [2, 3], data: new Uint16Array([1, 2, 3, 4, 5, 65535]) };
    const big: NxValue = { type: 'int64', shape: [2], data: new BigInt64Array([2n ** 63n - 1n, -(2n ** 63n)]) };
    const mk = (type: string, script: string, v: NxValue) => t.create(parseXml(`<datasource type="PYEVAL"><datasource type="${type}" name="x"/><result>${script}</result></datasource>`), env({ x: v }));
    const img = await mk('TANGO', 'ds.result = ds.x * 2', image).read(ctx(shared));
    assert.equal(img.type, 'uint16');
    assert.deepEqual(img.shape, [2, 3]);
    assert.deepEqual(values(img), [2, 4, 6, 8, 10, 65534]);
    const kind = await mk('TANGO', 'ds.result = type(ds.x).__name__ + "/" + str(ds.x.dtype)', image).read(ctx(shared));
    assert.deepEqual(kind.data, ['ndarray/uint16']);
    const exact = await mk('CLIENT', 'ds.result = [ds.x[0], ds.x[1], ds.x[0] - 1]', big).read(ctx(shared));
    assert.equal(exact.type, 'int64');
    assert.deepEqual(values(exact), [2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 2n]);
    const u64 = await mk('CLIENT', 'ds.result = 2**64 - 1', big).read(ctx(shared));
    assert.deepEqual([u64.type, ...values(u64)], ['uint64', 2n ** 64n - 1n]);
    const mixed = await mk('CLIENT', 'ds.result = [[1, 2.5], [3, 4]]', big).read(ctx(shared));
    assert.deepEqual([mixed.type, mixed.shape, values(mixed)], ['float64', [2, 2], [1, 2.5, 3, 4]]);
    const flags = await mk('CLIENT', 'ds.result = (True, False)', big).read(ctx(shared));
    assert.deepEqual([flags.type, values(flags)], ['bool', [1, 0]]);
    await assert.rejects(mk('CLIENT', 'ds.result = [[1, 2], [3]]', big).read(ctx(shared)), /ragged array: value\[1\] should have 2 elements/);
  } finally {
    await rt.dispose();
  }
});

test('the common block: shared by the session\'s scripts with __counter__, reset by Init, not shared with another session', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const add = t.create(parseXml('<datasource type="PYEVAL"><result>commonblock["n"] = commonblock.get("n", 0) + 1\nds.result = [commonblock["__counter__"], commonblock["n"]]</result></datasource>'), env());
    const look = t.create(parseXml('<datasource type="PYEVAL"><result>ds.result = commonblock.get("n", 0)</result></datasource>'), env());
    const a = new Map<string, unknown>();
    const b = new Map<string, unknown>();
    assert.deepEqual(values(await add.read(ctx(a, {}, -1))), [-1n, 1n]);
    assert.deepEqual(values(await add.read(ctx(a, {}, 3))), [3n, 2n]);
    assert.deepEqual(values(await look.read(ctx(a, {}, -2))), [2n]);
    assert.deepEqual(values(await look.read(ctx(b))), [0n]);
    a.clear(); // what Init does to the session's shared state
    assert.deepEqual(values(await look.read(ctx(a))), [0n]);
  } finally {
    await rt.dispose();
  }
});

test('a dict among a list result\'s elements is text (its Python str), as the reference stores it in a string field (secop_cmd\'s [value, {qualifiers}]); a dict as the whole value is refused', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const read = (script: string) => t.create(parseXml(`<datasource type="PYEVAL"><result name="r">\n${script}\n</result></datasource>`), env()).read(ctx(new Map()));
    const v = await read('ds.r = [20.0, {"t": 1002.0}]');
    assert.equal(v.type, 'string');
    assert.deepEqual([v.shape, v.data], [[2], ['20.0', "{'t': 1002.0}"]]);
    await assert.rejects(read('ds.r = {"t": 1.0}'), /ValueError: value is a dict, not a value/);
  } finally {
    await rt.dispose();
  }
});

test('nxstools\' nexdatas_version template reads nxswriter.__version__: nxsw\'s version where the reference writer is not installed', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const read = (script: string) => t.create(parseXml(`<datasource type="PYEVAL"><result name="result">\n${script}\n</result></datasource>`), env()).read(ctx(new Map()));
    assert.deepEqual((await read('from nxswriter import __version__\nds.result = __version__   # from nxswriter')).data, [NXSW_VERSION]);
    assert.deepEqual((await read('import nxswriter\nds.result = nxswriter.__version__')).data, [NXSW_VERSION]);
    // only the version: the reference's modules are not there
    await assert.rejects(read('from nxswriter import DecoderPool\nds.result = 1'), /ImportError: cannot import name 'DecoderPool' from 'nxswriter'/);
  } finally {
    await rt.dispose();
  }
});

test('errors: the Python message and line; a syntax error is a configuration error with the location; printing is harmless', async () => {
  const rt = runtime();
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const mk = (script: string) => t.create(parseXml(`<definition>\n<datasource type="PYEVAL">\n<result>${script}</result></datasource></definition>`).children[0]!, env());
    await assert.rejects(mk('x = 1\ny = {}\nds.result = y["missing"]').read(ctx(shared)),
      (e: unknown) => e instanceof NxswError && e.code === 'DATA_NOT_FOUND' && /the PYEVAL script at line 3 of \/definition\/datasource\/result failed: KeyError: 'missing' \(script line 3\)/.test(e.message));
    await assert.rejects(mk('ds.result = (').read(ctx(shared)), (e: unknown) => e instanceof ConfigError && e.code === 'DATASOURCE_CONFIG' && /does not compile: SyntaxError: .*\(script line 1\).*line 3/.test(e.message));
    await assert.rejects(mk('x = 1').read(ctx(shared)), /did not assign ds.result/);
    assert.deepEqual((await mk('print("to stderr, not the channel")\nds.result = "ok"').read(ctx(shared))).data, ['ok']);
  } finally {
    await rt.dispose();
  }
});

test('supervision: a hanging script is stopped at its time limit, the worker restarts, the loss of the common block is reported; a crash is an error for that read only', async () => {
  const warnings: string[] = [];
  const rt = runtime(300, warnings);
  try {
    const t = new PyEvalSourceType(rt);
    const shared = new Map<string, unknown>();
    const keep = t.create(parseXml('<datasource type="PYEVAL"><result>commonblock["n"] = commonblock.get("n", 0) + 1\nds.result = commonblock["n"]</result></datasource>'), env());
    const hang = t.create(parseXml('<datasource type="PYEVAL"><result>while True:\n    pass</result></datasource>'), env());
    const crash = t.create(parseXml('<datasource type="PYEVAL"><result>import os\nos._exit(3)</result></datasource>'), env());
    assert.deepEqual(values(await keep.read(ctx(shared))), [1n]);
    assert.deepEqual(values(await keep.read(ctx(shared))), [2n]);
    const started = Date.now();
    await assert.rejects(hang.read(ctx(shared)), (e: unknown) => e instanceof NxswError && e.code === 'TIMEOUT' && /ran longer than 300 ms; the Python worker was restarted and the PYEVAL common block is lost/.test(e.message));
    assert.ok(Date.now() - started < 3000);
    assert.ok(warnings.some((w) => /common block is lost/.test(w)), warnings.join('\n'));
    assert.deepEqual(values(await keep.read(ctx(shared))), [1n], 'a new worker, a new common block');
    // reads are pipelined: one queued behind a hanging script goes to the new worker
    const [h, k] = await Promise.allSettled([hang.read(ctx(shared)), keep.read(ctx(shared))]);
    assert.equal(h.status, 'rejected');
    assert.deepEqual(k.status === 'fulfilled' && values(k.value), [1n]);
    await assert.rejects(crash.read(ctx(shared)), (e: unknown) => e instanceof NxswError && e.code === 'SOURCE_UNAVAILABLE' && /the Python worker exited \(code 3\)/.test(e.message));
    assert.deepEqual(values(await keep.read(ctx(shared))), [1n]);
    const many = await Promise.all(Array.from({ length: 10 }, () => keep.read(ctx(shared))));
    assert.deepEqual(many.map((v) => values(v)[0]), [2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
  } finally {
    await rt.dispose();
  }
});

test('no interpreter: the check at XMLSettings names the setting; a session setting (device property) comes first', () => {
  const rt = new PythonRuntime({ python: '/nonexistent/python3', scriptTimeoutMs: 100, log: silentLogger, sinkName: () => '' });
  const el = parseXml('<datasource type="PYEVAL"><result>ds.result = 1</result></datasource>');
  const t = new PyEvalSourceType(rt);
  assert.throws(() => t.check(el, {}),
    (e: unknown) => e instanceof ConfigError && e.code === 'DATASOURCE_CONFIG' && /'\/nonexistent\/python3' \(the option "python" of @nxsw\/source-python/.test(e.message) && /line 1/.test(e.message));
  assert.throws(() => t.check(el, { python: '/nowhere/python' }), /'\/nowhere\/python' \(the device property PythonInterpreter\)/);
  t.check(el, { python: SYSTEM_PYTHON });
});

test('an operator can turn Python off: PYEVAL and Python classes are refused, saying how to enable them', () => {
  const rt = new PythonRuntime({ enabled: false, python: SYSTEM_PYTHON, scriptTimeoutMs: 100, log: silentLogger, sinkName: () => '' });
  const el = parseXml('<datasource type="PYEVAL"><result>ds.result = 1</result></datasource>');
  const t = new PyEvalSourceType(rt);
  const off = /PYEVAL scripts \(and Python datasource and decoder classes\) are disabled on this server; an operator enables them with "pluginOptions": \{"@nxsw\/source-python": \{"scripts": true\}\}.*line 1/;
  assert.throws(() => t.check(el, {}), off);
  assert.throws(() => t.create(el, env()), off);
  assert.throws(() => t.createFromClass('site.Source', el), off);
});

test('a session that is gone takes its worker with it', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const rt = runtime();
  try {
    const src = new PyEvalSourceType(rt).create(parseXml('<datasource type="PYEVAL"><result>import os\nds.result = os.getpid()</result></datasource>'), env());
    const pid = await (async () => Number(values(await src.read(ctx(new Map())))[0]))();
    const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
    assert.ok(alive());
    for (let i = 0; i < 50 && alive(); i++) {
      gc();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(alive(), false, `worker ${pid} still runs after its session's shared map was collected`);
  } finally {
    await rt.dispose();
  }
});
