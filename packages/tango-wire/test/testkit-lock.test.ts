// changesTangoTest: bodies that change the same device never overlap, in this process or across
// processes, and a lock left by a dead process is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changesTangoTest } from '../src/testkit.js';

const HOST = `lock-test-${process.pid}:1`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('two bodies for the same device run one after the other; other devices do not wait', async () => {
  const spans: Array<[string, number, number]> = [];
  const body = (name: string) => changesTangoTest(async () => {
    const t0 = Date.now();
    await sleep(300);
    spans.push([name, t0, Date.now()]);
  }, 'a/b/c', HOST);
  const t0 = Date.now();
  await Promise.all([body('one')(), body('two')(), changesTangoTest(async () => { spans.push(['other', Date.now(), Date.now()]); }, 'x/y/z', HOST)()]);
  const [a, b] = spans.filter((s) => s[0] !== 'other').sort((x, y) => x[1] - y[1]);
  assert.ok(b![1] >= a![2], `the second body started (${b![1] - t0} ms) after the first ended (${a![2] - t0} ms)`);
  assert.ok(spans.find((s) => s[0] === 'other')![1] - t0 < 200, 'another device is not held up');
});

test('a body in another process waits for the lock; a lock of a dead process is taken over', async () => {
  const url = new URL('../src/testkit.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `const { changesTangoTest } = await import(${JSON.stringify(url)});
     await changesTangoTest(async () => { console.log('held'); await new Promise((r) => setTimeout(r, 600)); }, 'a/b/c', ${JSON.stringify(HOST)})();`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  const t0 = Date.now();
  await changesTangoTest(async () => undefined, 'a/b/c', HOST)();
  assert.ok(Date.now() - t0 >= 300, `waited ${Date.now() - t0} ms for the other process`);

  // a lock whose owner died (a pid that no longer runs)
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
  const dir = join(tmpdir(), `nxsw-tango-lock-${`${HOST}/d/e/f`.replace(/[^\w.-]+/g, '_')}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'pid'), dead);
  const t1 = Date.now();
  await changesTangoTest(async () => undefined, 'd/e/f', HOST)();
  assert.ok(Date.now() - t1 < 2000, 'the stale lock was taken over');
});
