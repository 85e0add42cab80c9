import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runPool, type PoolBase } from '../src/engine/pool.js';
import type { Acquirable } from '../src/engine/elements.js';
import { silentLogger, stringValue, type NxValue, type ReadContext } from '../src/index.js';
import { SYSTEM_PYTHON } from '../src/testkit/index.js';

function element(read: (ctx: ReadContext) => NxValue, label = '/entry1:NXentry/x'): Acquirable & { stored: NxValue[]; failed: string[] } {
  const stored: NxValue[] = [];
  const failed: string[] = [];
  return {
    label, canfail: true, timeoutMs: 1000, stored, failed,
    source: { describe: () => 'TEST source', read: async (ctx: ReadContext) => read(ctx) },
    store: (v) => stored.push(v),
    fail: (m) => failed.push(m),
  };
}

test('sources see every member of the pool\'s read context: the split state and the session\'s settings too', async () => {
  const base: PoolBase = {
    phase: 'FINAL', step: -2, globalJson: { data: { a: 1 } }, localJson: undefined, shared: new Map(), file: undefined,
    split: { currentFileId: 3, stepsPerFile: 2 }, settings: { python: '/opt/py/bin/python3' },
    decoder: () => { throw new Error('none'); },
  };
  let seen: ReadContext | undefined;
  await runPool([element((ctx) => { seen = ctx; return stringValue('v'); })], base, silentLogger);
  for (const key of Object.keys(base) as (keyof PoolBase)[]) {
    if (key !== 'decoder') assert.deepEqual(seen![key], base[key], `ReadContext.${key}`);
  }
  assert.ok(seen!.signal instanceof AbortSignal);
});

test('a canfail error is Python\'s str() of the (message, detail) pair: quotes, backslashes and newlines read back with ast.literal_eval', async () => {
  const detail = 'KeyError: \'missing\' in "C:\\data"\nline 2\ttab';
  const e = element(() => { throw new Error(detail); }, "/entry1:NXentry/it's");
  const base: PoolBase = { phase: 'STEP', step: 1, globalJson: {}, localJson: undefined, shared: new Map(), file: undefined, decoder: () => { throw new Error('none'); } };
  await runPool([e], base, silentLogger);
  assert.equal(e.failed.length, 1);
  const back = JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', 'import ast, json, sys; print(json.dumps(list(ast.literal_eval(sys.argv[1]))))', e.failed[0]!], { encoding: 'utf8' }));
  assert.deepEqual(back, ["Data for /entry1:NXentry/it's not found. DATASOURCE: TEST source", detail]);
});
