import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseXml, NxswError, type ReadContext, type JsonRecord, type DataSource } from '@nxsw/core';
import { checkPlugin } from '@nxsw/core/conformance';
import { ClientSourceType, EvalSourceType } from '../src/index.js';

const pkgDir = fileURLToPath(new URL('../..', import.meta.url));

function ctx(globalJson: JsonRecord, localJson?: JsonRecord, step = 1, shared = new Map<string, unknown>()): ReadContext {
  return {
    phase: 'STEP', step, globalJson, localJson, signal: new AbortController().signal, shared, file: undefined,
    decoder: () => { throw new Error('no decoders'); },
  };
}

test('the plugin passes the conformance kit', async () => {
  const report = await checkPlugin({
    packageDir: pkgDir,
    datasource: {
      CLIENT: { valid: '<datasource type="CLIENT"><record name="x"/></datasource>', invalid: '<datasource type="CLIENT"/>', globalJson: { data: { x: 1.5 } } },
      EVAL: { valid: '<datasource type="EVAL"><result>ds.result = 6 * 7</result></datasource>', invalid: '<datasource type="EVAL"/>' },
    },
  });
  assert.deepEqual(report.checked.sort(), ['datasource:CLIENT', 'datasource:EVAL']);
});

test('CLIENT lookup: local before global, then the lower-case name; null counts as missing', async () => {
  const t = new ClientSourceType();
  const s = t.create(parseXml('<datasource type="CLIENT"><record name="MyCounter"/></datasource>'));
  assert.equal(s.describe(), 'CLIENT record MyCounter');
  const v1 = await s.read(ctx({ data: { mycounter: 3 } }));
  assert.deepEqual([...(v1.data as BigInt64Array)], [3n]);
  const v2 = await s.read(ctx({ data: { MyCounter: 1 } }, { data: { MyCounter: 2.5 } }));
  assert.equal(v2.type, 'float64');
  assert.deepEqual([...(v2.data as Float64Array)], [2.5]);
  const v3 = await s.read(ctx({ data: { MyCounter: 9 } }, { data: { MyCounter: null } }));
  assert.deepEqual([...(v3.data as BigInt64Array)], [9n]);
  await assert.rejects(s.read(ctx({ data: {} })), (e: unknown) => e instanceof NxswError && e.code === 'DATA_NOT_FOUND' && e.message === 'Data without value');
  const img = await s.read(ctx({}, { data: { MyCounter: [[1, 2, 3], [4, 5, 6]] } }));
  assert.deepEqual(img.shape, [2, 3]);
  await assert.rejects(s.read(ctx({}, { data: { MyCounter: [[1, 2], [3]] } })), /ragged array: value\[1\] should have 2 elements/);
});

test('CLIENT: a missing record name is a configuration error with the location', () => {
  assert.throws(() => new ClientSourceType().create(parseXml('<datasource type="CLIENT">\n  <record/>\n</datasource>')),
    (e: unknown) => e instanceof NxswError && e.code === 'DATASOURCE_CONFIG' && /Client record name not defined.*line 1/.test(e.message));
});

function evalType(): EvalSourceType {
  return new EvalSourceType('PYEVAL', { timeoutMs: 200, memoryMb: 32, maxResultElements: 1000 });
}
const envWith = (sources: Record<string, DataSource>) => ({
  createSource: (el: ReturnType<typeof parseXml>) => sources[el.attributes.name!] ?? new ClientSourceType().create(el),
});

test('EVAL: inputs from child datasources, only those the script names are read', async () => {
  const xml = `<datasource type="PYEVAL">
    <datasource type="CLIENT" name="position"><record name="pos"/></datasource>
    <datasource type="CLIENT" name="shift"><record name="sh"/></datasource>
    <datasource type="CLIENT" name="unused"><record name="nothing"/></datasource>
    <result name="finalposition">ds.finalposition = ds.position + ds.shift</result></datasource>`;
  const s = evalType().create(parseXml(xml), envWith({}));
  const v = await s.read(ctx({ data: { pos: 10.5 } }, { data: { sh: 2 } }));
  assert.equal(v.type, 'float64');
  assert.deepEqual([...(v.data as Float64Array)], [12.5]);
});

test('EVAL: the common block carries the step counter and persists between reads', async () => {
  const s = evalType().create(parseXml('<datasource type="EVAL"><result>commonblock.n = (commonblock.n ?? 0) + 1; ds.result = [commonblock.__counter__, commonblock.n]</result></datasource>'), envWith({}));
  const shared = new Map<string, unknown>();
  const a = await s.read(ctx({}, undefined, -1, shared));
  const b = await s.read(ctx({}, undefined, 5, shared));
  assert.deepEqual([...(a.data as BigInt64Array)], [-1n, 1n]);
  assert.deepEqual([...(b.data as BigInt64Array)], [5n, 2n]);
});

test('EVAL: isolation, time limit and script errors', async () => {
  const t = evalType();
  const noProcess = t.create(parseXml('<datasource type="EVAL"><result>ds.result = typeof process + "/" + typeof require</result></datasource>'), envWith({}));
  assert.deepEqual((await noProcess.read(ctx({}))).data, ['undefined/undefined']);
  const loop = t.create(parseXml('<datasource type="EVAL"><result>while (true) {}</result></datasource>'), envWith({}));
  await assert.rejects(loop.read(ctx({})), (e: unknown) => e instanceof NxswError && e.code === 'SCRIPT_KILLED');
  const bad = t.create(parseXml('<datasource type="EVAL"><result>ds.result = undefinedName + 1</result></datasource>'), envWith({}));
  await assert.rejects(bad.read(ctx({})), /the script failed: undefinedName is not defined/);
  assert.throws(() => t.create(parseXml('<datasource type="EVAL"><result>ds.result = (</result></datasource>'), envWith({})), /does not compile/);
  // eval and Function exist, but only inside the isolate: they see nothing of the server
  const inner = t.create(parseXml('<datasource type="EVAL"><result>ds.result = eval("typeof process") + Function("return typeof require")()</result></datasource>'), envWith({}));
  assert.deepEqual((await inner.read(ctx({}))).data, ['undefinedundefined']);
});
