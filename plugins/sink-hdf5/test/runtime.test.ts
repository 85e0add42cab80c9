// Flush visibility to another process, SWMR, modes, errors and the plugin entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { NxswError, type ExtensionBase, type PluginContext } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { readWithH5py, h5get, noReaders, tempFile, create, f64, v, str } from './helpers.js';
import { Hdf5SinkFactory } from '../src/index.js';
import plugin from '../src/plugin.js';

const skip = noReaders;
const isCode = (code: string, re: RegExp) => (e: unknown) => e instanceof NxswError && e.code === code && re.test(e.message);

test('modes and file errors name the file', async () => {
  const file = tempFile();
  (await create(file)).close();
  await assert.rejects(create(file), isCode('FILE_ERROR', /the file exists/));
  const missing = join(dirname(file), 'no', 'such', 'dir', 'x.nxs');
  await assert.rejects(create(missing), isCode('FILE_ERROR', /no\/such\/dir.*does not exist/));
  const notHdf5 = join(dirname(file), 'text.nxs');
  writeFileSync(notHdf5, 'not an HDF5 file');
  await assert.rejects(new Hdf5SinkFactory().open(notHdf5, { mode: 'append' }), isCode('FILE_ERROR', /text\.nxs: cannot open the file/));
  const d = join(dirname(file), 'adir.nxs');
  mkdirSync(d);
  await assert.rejects(create(d), isCode('FILE_ERROR', /is a directory/));
});

test('bad input: clear errors naming the dataset, nothing crashes', async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('e');
  assert.throws(() => g.createGroup('e'.repeat(0)), isCode('VALUE_INVALID', /invalid group name/));
  assert.throws(() => g.createGroup('a/b'), isCode('VALUE_INVALID', /invalid group name 'a\/b'/));
  g.createGroup('dup');
  assert.throws(() => g.createGroup('dup'), isCode('FILE_ERROR', /cannot create group \/e\/dup/));
  const s = g.createField('s', { type: 'float64', shape: [], scalar: true });
  assert.throws(() => s.append(f64([1], [1])), isCode('VALUE_INVALID', /\/e\/s: cannot append to a scalar/));
  assert.throws(() => s.write(f64([2], [1, 2])), isCode('VALUE_INVALID', /scalar dataset cannot hold a value of shape \[2\]/));
  const a = g.createField('a', { type: 'int32', shape: [0, 3], recordAxis: 0 });
  assert.throws(() => a.append(v('int32', [3], Int32Array.of(1, 2, 3))), isCode('VALUE_INVALID', /\/e\/a: a block of shape \[3\] does not fit a dataset of rank 2/));
  assert.throws(() => a.append(v('string', [1, 3], ['1', 'x', '3'])), isCode('VALUE_INVALID', /\/e\/a: cannot cast string to int32/));
  assert.throws(() => g.createField('r', { type: 'int8', shape: [2], recordAxis: 3 }), isCode('VALUE_INVALID', /record axis 3/));
  a.append(v('string', [1, 3], ['1', '2', '3'])); // castable values are cast
  assert.deepEqual(a.shape, [1, 3]);
  assert.throws(() => f.startSwmr!(), isCode('FILE_ERROR', /opened without swmr/));
  f.close();
  assert.throws(() => f.flush(), isCode('FILE_ERROR', /the file is closed/));
  assert.throws(() => g.createGroup('late'), isCode('FILE_ERROR', /the file is closed/));
  f.close(); // twice is harmless
});

test('write() replaces the content and resizes; append mode reopens and continues', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('e');
  const w = g.createField('w', { type: 'float64', shape: [1] });
  w.write(f64([4], [1, 2, 3, 4]));
  w.write(f64([2], [5, 6]));
  assert.deepEqual(w.shape, [2]);
  const s = g.createField('steps', { type: 'int64', shape: [0], recordAxis: 0 });
  s.append(v('int64', [2], BigInt64Array.of(1n, 2n)));
  f.close();
  const f2 = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  const e2 = f2.root.openGroup('e')!;
  assert.ok(e2);
  assert.equal(f2.root.openGroup('nothing'), undefined);
  const s2 = e2.openField('steps')!;
  assert.equal(s2.type, 'int64');
  assert.equal(s2.rows, 2);
  s2.append(v('int64', [1], BigInt64Array.of(3n)));
  e2.createField('b', { type: 'bool', shape: [0], recordAxis: 0 }).append(v('bool', [1], Uint8Array.of(1)));
  f2.close();
  const f3 = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  assert.equal(f3.root.openGroup('e')!.openField('b')!.type, 'bool');
  f3.close();
  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'e/w').value, [5, 6]);
  assert.deepEqual(h5get(d, 'e/steps').value, [1, 2, 3]);
  assert.deepEqual(h5get(d, 'e/b').value, [true]);
  // 'append' creates a missing file
  const fresh = file.replace(/test\.nxs$/, 'fresh.nxs');
  (await new Hdf5SinkFactory().open(fresh, { mode: 'append' })).close();
  assert.equal(existsSync(fresh), true);
});

test('flush: another process reads everything appended so far while the file stays open', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('e');
  const x = g.createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
  const flag = g.createField('flag', { type: 'bool', shape: [0], recordAxis: 0 });
  const z = g.createField('z', { type: 'int32', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 1 }] });
  for (let i = 0; i < 3; i++) {
    x.append(f64([1], [i]));
    flag.append(v('bool', [1], Uint8Array.of(i & 1)));
    z.append(v('int32', [1], Int32Array.of(i * 10)));
  }
  f.flush();
  // the writer holds HDF5's lock: a live viewer reads without it, as with any HDF5 writer
  let d = readWithH5py(file, { unlocked: true });
  assert.deepEqual(h5get(d, 'e/x').value, [0, 1, 2]);
  assert.equal(h5get(d, 'e/flag').dtype, 'bool');
  assert.deepEqual(h5get(d, 'e/flag').value, [false, true, false]);
  assert.deepEqual(h5get(d, 'e/z').value, [0, 10, 20]);
  assert.deepEqual(h5get(d, 'e/z').filters, [2, 1]);
  x.append(f64([1], [3]));
  assert.deepEqual(x.shape, [4], 'shape includes buffered rows');
  f.flush();
  d = readWithH5py(file, { unlocked: true });
  assert.deepEqual(h5get(d, 'e/x').value, [0, 1, 2, 3]);
  f.close();
});

test('SWMR: an h5py reader with swmr=True sees the dataset grow', { skip }, async () => {
  const file = tempFile();
  const f = await new Hdf5SinkFactory().open(file, { mode: 'create', swmr: true });
  const x = f.root.createGroup('e').createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
  x.append(f64([1], [0]));
  f.startSwmr!();
  const script = [
    'import h5py, sys, time',
    `f = h5py.File(sys.argv[1], 'r', libver='latest', swmr=True)`,
    `d = f['e/x']`,
    'seen = []',
    't0 = time.time()',
    'while time.time() - t0 < 20:',
    '    d.refresh()',
    '    n = d.shape[0]',
    '    if not seen or seen[-1] != n:',
    '        seen.append(n); print(n, float(d[n - 1]), flush=True)',
    '    if n >= 6: break',
    '    time.sleep(0.02)',
  ].join('\n');
  const reader = spawn(SYSTEM_PYTHON, ['-c', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  reader.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  reader.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const done = new Promise<number | null>((res) => reader.on('close', res));
  await new Promise((r) => setTimeout(r, 700));
  for (let i = 1; i < 6; i++) {
    x.append(f64([1], [i * 1.5]));
    f.flush();
    await new Promise((r) => setTimeout(r, 250));
  }
  const code = await done;
  f.close();
  assert.equal(readWithH5py(file).libver[0], 'v110');
  assert.equal(code, 0, err);
  const lines = out.trim().split('\n').map((l) => l.split(' ').map(Number));
  assert.ok(lines.length >= 3, `the reader saw the data grow: ${out}`);
  assert.deepEqual(lines[lines.length - 1], [6, 7.5]);
  for (const [n, last] of lines) assert.equal(last, (n! - 1) * 1.5);
});

test('plugin entry registers the HDF5 sink with its options', async () => {
  const provided: ExtensionBase[] = [];
  const ctx = { options: { chunkBytes: 4096, chunkRecords: 1024 }, provide: (e: ExtensionBase) => provided.push(e) } as unknown as PluginContext;
  await plugin.register(ctx);
  assert.equal(provided.length, 1);
  const sink = provided[0] as Hdf5SinkFactory;
  assert.equal(sink.kind, 'sink');
  assert.equal(sink.name, 'HDF5');
  assert.deepEqual([...sink.suffixes], ['.nxs', '.h5', '.hdf5', '.nx5']);
  if (!noReaders) {
    const file = tempFile();
    const f = await sink.open(file, { mode: 'create' });
    f.root.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([1], [1]));
    assert.match(f.libraryVersion, /^\d+\.\d+\.\d+/);
    f.close();
    assert.deepEqual(readWithH5py(file).children.x!.chunks, [512]); // 4096 bytes of float64
  }
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).nxsw;
  assert.deepEqual(manifest.provides, [{ kind: 'sink', name: 'HDF5' }]);
  assert.equal(manifest.options.additionalProperties, false);
});

test('openField in append mode restores type, frame shape and rows for every record axis', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('e');
  g.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
  g.createField('spec', { type: 'int32', shape: [0, 3], recordAxis: 0 }).append(v('int32', [2, 3], Int32Array.of(1, 2, 3, 4, 5, 6)));
  g.createField('img', { type: 'uint16', shape: [2, 2, 0], recordAxis: 2 }).append(v('uint16', [1, 2, 2], Uint16Array.of(1, 2, 3, 4)));
  g.createField('flag', { type: 'bool', shape: [0], recordAxis: 0 }).append(v('bool', [1], Uint8Array.of(1)));
  g.createField('names', { type: 'string', shape: [0], recordAxis: 0 }).append(str([1], ['a']));
  g.createField('grow', { type: 'int16', shape: [0, 0], recordAxis: 0 }).append(v('int16', [1, 2], Int16Array.of(1, 2)));
  g.createField('empty', { type: 'float32', shape: [0, 4], recordAxis: 0 });
  g.createField('title', { type: 'string', shape: [], scalar: true }).write(str([], ['t']));
  f.close();

  const f2 = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  const e = f2.root.openGroup('e')!;
  const x = e.openField('x', { recordAxis: 0 })!;
  assert.deepEqual([x.type, x.shape, x.rows], ['float64', [2], 2]);
  const spec = e.openField('spec', { recordAxis: 0 })!;
  assert.deepEqual([spec.shape, spec.rows], [[2, 3], 2]);
  const img = e.openField('img', { recordAxis: 2 })!;
  assert.deepEqual([img.type, img.shape, img.rows], ['uint16', [2, 2, 1], 1]);
  const flag = e.openField('flag')!;
  assert.equal(flag.type, 'bool');
  const names = e.openField('names')!;
  const grow = e.openField('grow')!;
  const empty = e.openField('empty')!;
  assert.deepEqual([empty.shape, empty.rows], [[0, 4], 0]);
  const title = e.openField('title')!;
  assert.deepEqual(title.shape, []);
  assert.equal(e.openField('x', { recordAxis: 0 }), x, 'a second open returns the live field');
  assert.throws(() => e.openField('x', { recordAxis: 1 }), /record axis 1 is outside the shape \[2\]/);

  x.append(f64([1], [3]));
  assert.deepEqual(e.openField('x')!.shape, [3], 'buffered rows count in a reopened field');
  spec.append(v('int32', [1, 3], Int32Array.of(7, 8, 9)));
  img.append(v('uint16', [1, 2, 2], Uint16Array.of(5, 6, 7, 8)));
  flag.append(v('bool', [2], Uint8Array.of(0, 1)));
  names.append(str([1], ['b ✓']));
  grow.append(v('int16', [1, 1], Int16Array.of(3))); // smaller frame: padded
  grow.append(v('int16', [1, 3], Int16Array.of(4, 5, 6))); // larger frame: grows
  empty.append(v('float32', [1, 4], Float32Array.of(1, 2, 3, 4)));
  title.write(str([], ['new title']));
  assert.deepEqual(grow.shape, [3, 3]);
  f2.flush();
  f2.close();

  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'e/x').value, [1, 2, 3]);
  assert.deepEqual(h5get(d, 'e/spec').value, [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  assert.deepEqual(h5get(d, 'e/img').value, [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
  assert.equal(h5get(d, 'e/flag').dtype, 'bool');
  assert.deepEqual(h5get(d, 'e/flag').value, [true, false, true]);
  assert.deepEqual(h5get(d, 'e/names').value, ['a', 'b ✓']);
  assert.deepEqual(h5get(d, 'e/grow').value, [[1, 2, 0], [3, 0, 0], [4, 5, 6]]);
  assert.deepEqual(h5get(d, 'e/empty').value, [[1, 2, 3, 4]]);
  assert.equal(h5get(d, 'e/title').value, 'new title');
});
