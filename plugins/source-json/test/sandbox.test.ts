// EVAL scripts against the attacks of issue 9: each script below reached the server's `process`
// or stalled the whole server when scripts ran in a node:vm context of the server's own heap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parseXml, NxswError, scalar, type ReadContext, type DataSource, type NxValue } from '@nxsw/core';
import { EvalSourceType, type EvalOptions } from '../src/index.js';

const LIMITS: EvalOptions = { timeoutMs: 300, memoryMb: 32, maxResultElements: 100_000 };

function ctx(shared: Map<string, unknown>, step = 1): ReadContext {
  return {
    phase: 'STEP', step, globalJson: {}, localJson: undefined, signal: new AbortController().signal, shared, file: undefined,
    decoder: () => { throw new Error('no decoders'); },
  };
}

/** an input datasource with a fixed value (an array: the value that carried the host's prototypes) */
const fixed = (v: NxValue): DataSource => ({ describe: () => 'fixed', read: () => Promise.resolve(v) });

function evalSource(script: string, options: EvalOptions = LIMITS): DataSource {
  const xml = `<datasource type="EVAL"><datasource type="FIXED" name="x"/><result name="result">${script.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</result></datasource>`;
  return new EvalSourceType('EVAL', options).create(parseXml(xml), { createSource: () => fixed({ type: 'float64', shape: [3], data: new Float64Array([1, 2, 3]) }) });
}

async function run(script: string, shared = new Map<string, unknown>(), options = LIMITS): Promise<unknown> {
  const v = await evalSource(script, options).read(ctx(shared));
  return v.type === 'string' ? (v.data as string[])[0] : Array.from(v.data as ArrayLike<number | bigint>, Number);
}

/** what a script sees when it tries to reach the host through `f`'s constructor */
const probe = (f: string): string => `ds.result = (${f}).constructor.constructor("return typeof process + '/' + typeof require")()`;

test('EVAL: constructor.constructor of an input or of the common block is the isolate\'s own Function', async () => {
  assert.equal(await run(probe('ds.x')), 'undefined/undefined');
  assert.equal(await run(probe('commonblock')), 'undefined/undefined');
  assert.equal(await run(probe('ds')), 'undefined/undefined');
});

test('EVAL: Error.prepareStackTrace with CallSite.getFunction/getThis finds no host function', async () => {
  const script = `
    const reached = [];
    const probe = (f) => { try { const p = f('return typeof process')(); if (p !== 'undefined') reached.push(p); } catch (e) { /* no code generation there */ } };
    Error.prepareStackTrace = (e, sites) => {
      for (const s of sites) {
        const f = s.getFunction && s.getFunction();
        const t = s.getThis && s.getThis();
        if (f) probe(f.constructor);
        if (t && t.constructor) probe(t.constructor.constructor);
      }
      return 'trace';
    };
    String(new Error('x').stack);
    try { null.f(); } catch (e) { String(e.stack); }
    ds.result = reached.length ? reached.join() : 'none';`;
  assert.equal(await run(script), 'none');
});

test('EVAL: a script cannot change the server\'s Object.prototype or make its promises hang (.then)', async () => {
  const shared = new Map<string, unknown>();
  await run('Object.getPrototypeOf(commonblock).polluted = "yes"; Object.getPrototypeOf(commonblock).then = function (r) { }; ds.result = 1', shared);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(({} as Record<string, unknown>).then, undefined);
  // the next read of the same session still resolves, and the pollution stayed in the session's isolate
  assert.equal(await run('ds.result = String(({}).polluted)', shared), 'yes');
});

/** runs `script`, which must be stopped at the limit while the server's event loop keeps turning */
async function assertKilled(script: string): Promise<void> {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  const t0 = Date.now();
  try {
    await assert.rejects(run(script), (e: unknown) => e instanceof NxswError && e.code === 'SCRIPT_KILLED' && /stopped/.test(e.message));
  } finally {
    clearInterval(ticker);
  }
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < LIMITS.timeoutMs + 1000, `stopped after ${elapsed} ms`);
  assert.ok(ticks >= Math.floor(elapsed / 10 / 3), `the event loop turned ${ticks} times in ${elapsed} ms while the script ran`);
}

test('EVAL: promise jobs and async loops are stopped at the time limit, the server keeps running', async () => {
  await assertKilled('Promise.resolve().then(function f() { while (true) {} }); ds.result = 1');
  await assertKilled('(async () => { for (;;) await 0; })(); ds.result = 1');
});

test('EVAL: a getter in the result runs under the limit; an object result is refused', async () => {
  await assertKilled('ds.result = [1, 2]; Object.defineProperty(ds.result, 0, { get() { while (true) {} } })');
  await assert.rejects(run('ds.result = { get a() { while (true) {} } }'), /an object is not a value/);
});

test('EVAL: a script\'s own error is a DATA_NOT_FOUND with its message, bounded in length', async () => {
  await assert.rejects(run('throw new Error("x".repeat(100000))'), (e: unknown) => e instanceof NxswError && e.code === 'DATA_NOT_FOUND' && /^the script failed: x{1000}\.\.\.$/.test(e.message));
});

test('EVAL: a huge result is refused at once by its size', async () => {
  const t0 = Date.now();
  await assert.rejects(run('const a = []; a.length = 2 ** 20; ds.result = a'), /the script failed: the result has more than 100000 elements/);
  assert.ok(Date.now() - t0 < 1000);
  assert.equal((await run('ds.result = new Array(100000).fill(2)') as number[]).length, 100_000, 'the limit itself is allowed');
  await assert.rejects(run('ds.result = [new Array(50000).fill(2), new Array(50001).fill(2)]'), /more than 100000 elements/);
});

test('EVAL: after a kill the session gets a new isolate and an empty common block', async () => {
  const shared = new Map<string, unknown>();
  assert.deepEqual(await run('commonblock.n = 7; ds.result = commonblock.n', shared), [7]);
  await assert.rejects(run('while (true) {}', shared), (e: unknown) => e instanceof NxswError && e.code === 'SCRIPT_KILLED' && /commonblock/.test(e.message));
  assert.equal(await run('ds.result = String(commonblock.n)', shared), 'undefined');
});

test('EVAL: the isolate of a dropped session (Init clears the common state) is freed', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const rss = (): number => process.memoryUsage().rss / 2 ** 20;
  const before = rss();
  // each session keeps ~8 MiB in its common block; 60 of them leak ~500 MiB if isolates stay
  for (let i = 0; i < 60; i++) await run('commonblock.junk = new Array(1 << 20).fill(1.5); ds.result = 1');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(rss() - before < 200, `RSS grew by ${(rss() - before).toFixed(0)} MiB over 60 dropped sessions`);
});

test('EVAL: exact data in and out (BigInt, typed arrays, nested arrays, strings)', async () => {
  const big = evalSource('ds.result = ds.x');
  const env = { createSource: () => fixed(scalar('int64', 2n ** 62n + 1n)) };
  const s = new EvalSourceType('EVAL', LIMITS).create(parseXml('<datasource type="EVAL"><datasource type="F" name="x"/><result>ds.result = [ds.x, ds.x + 1n]</result></datasource>'), env);
  const v = await s.read(ctx(new Map()));
  assert.deepEqual([...(v.data as BigInt64Array)], [2n ** 62n + 1n, 2n ** 62n + 2n]);
  const same = await big.read(ctx(new Map()));
  assert.deepEqual([same.type, Array.from(same.data as BigInt64Array, Number)], ['int64', [1, 2, 3]], 'whole numbers come back as int64, as from a CLIENT record');
  const typed = await evalSource('ds.result = new Int16Array([1, -2, 3])').read(ctx(new Map()));
  assert.equal(typed.type, 'int16');
  assert.deepEqual([...(typed.data as Int16Array)], [1, -2, 3]);
  const img = await evalSource('ds.result = [[1, 2], [3, 4.5]]').read(ctx(new Map()));
  assert.deepEqual(img.shape, [2, 2]);
  assert.equal(await run('ds.result = "a" + ds.x.length'), 'a3');
});

test('EVAL: the plugin option scripts=false refuses EVAL at XMLSettings and says how to enable it', () => {
  assert.throws(() => evalSource('ds.result = 1', { ...LIMITS, enabled: false }),
    (e: unknown) => e instanceof NxswError && e.code === 'DATASOURCE_CONFIG' && /EVAL scripts are disabled on this server.*"scripts": true.*server configuration/.test(e.message));
});

test('EVAL: a memory hog is stopped at the memory limit', async () => {
  // a generous time limit: the memory limit must be what stops it
  await assert.rejects(run('const a = []; for (;;) a.push(new Array(1000).fill(1.5))', new Map(), { ...LIMITS, timeoutMs: 20_000 }),
    (e: unknown) => e instanceof NxswError && e.code === 'SCRIPT_KILLED' && /more than 32 MiB/.test(e.message));
});

// last: V8 cannot interrupt the built-in, so its thread stays busy after the kill until the call returns
test('EVAL: one long built-in call is stopped at the limit', async () => {
  await assertKilled('ds.result = "a".repeat(2 ** 22).replace(/a/g, "bb").length');
});
