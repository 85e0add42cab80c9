// Append mode, chunk shapes and attribute storage of the native sink, checked with h5py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NativeHdf5SinkFactory, chooseChunks } from '../src/index.js';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64, str } from './helpers.js';

const skip = noReaders;

test('openField in append mode restores type, frame shape and rows for every record axis', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('e');
  g.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
  g.createField('img', { type: 'uint16', shape: [2, 2, 0], recordAxis: 2 }).append(v('uint16', [1, 2, 2], Uint16Array.of(1, 2, 3, 4)));
  g.createField('flag', { type: 'bool', shape: [0], recordAxis: 0 }).append(v('bool', [1], Uint8Array.of(1)));
  g.createField('names', { type: 'string', shape: [0], recordAxis: 0 }).append(str([1], ['a']));
  g.createField('grow', { type: 'int16', shape: [0, 0], recordAxis: 0 }).append(v('int16', [1, 2], Int16Array.of(1, 2)));
  g.createField('title', { type: 'string', shape: [], scalar: true }).write(str([], ['t']));
  f.close();

  const f2 = await new NativeHdf5SinkFactory().open(file, { mode: 'append' });
  const e = f2.root.openGroup('e')!;
  const x = e.openField('x', { recordAxis: 0 })!;
  assert.deepEqual([x.type, x.shape, x.rows], ['float64', [2], 2]);
  const img = e.openField('img', { recordAxis: 2 })!;
  assert.deepEqual([img.type, img.shape, img.rows], ['uint16', [2, 2, 1], 1]);
  const flag = e.openField('flag')!;
  assert.equal(flag.type, 'bool');
  const names = e.openField('names')!;
  const grow = e.openField('grow')!;
  const title = e.openField('title')!;
  assert.deepEqual(title.shape, []);
  assert.equal(e.openField('x', { recordAxis: 0 }), x, 'a second open returns the live field');
  assert.throws(() => e.openField('x', { recordAxis: 1 }), /record axis 1 is outside the shape \[2\]/);
  x.append(f64([1], [3]));
  assert.deepEqual(e.openField('x')!.shape, [3], 'pending rows count in a reopened field');
  img.append(v('uint16', [1, 2, 2], Uint16Array.of(5, 6, 7, 8)));
  flag.append(v('bool', [2], Uint8Array.of(0, 1)));
  names.append(str([1], ['b ✓']));
  grow.append(v('int16', [1, 1], Int16Array.of(3)));
  grow.append(v('int16', [1, 3], Int16Array.of(4, 5, 6)));
  title.write(str([], ['new title']));
  f2.close();
  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'e/x').value, [1, 2, 3]);
  assert.deepEqual(h5get(d, 'e/img').value, [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
  assert.deepEqual(h5get(d, 'e/flag').value, [true, false, true]);
  assert.deepEqual(h5get(d, 'e/names').value, ['a', 'b ✓']);
  assert.deepEqual(h5get(d, 'e/grow').value, [[1, 2, 0], [3, 0, 0], [4, 5, 6]]);
  assert.equal(h5get(d, 'e/title').value, 'new title');
});

test('chunk shapes: 2 KiB along the record axis for small frames, one chunk per large frame, big frames split', { skip }, async () => {
  const file = tempFile();
  const f = await create(file, { maxChunkBytes: 1 << 20 });
  const g = f.root.createGroup('c');
  g.createField('scalar', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([1], [1]));
  g.createField('i8', { type: 'int8', shape: [0], recordAxis: 0 });
  g.createField('spectrum', { type: 'float64', shape: [0, 1000], recordAxis: 0, frameShape: [1000] });
  g.createField('frame', { type: 'uint16', shape: [0, 256, 256], recordAxis: 0 });
  g.createField('big', { type: 'uint32', shape: [0, 1024, 1024], recordAxis: 0 });
  g.createField('once', { type: 'float64', shape: [3] }).write(f64([3], [5, 6, 7]));
  f.close();
  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'c/scalar').chunks, [256]);
  assert.deepEqual(h5get(d, 'c/i8').chunks, [2048]);
  assert.deepEqual(h5get(d, 'c/spectrum').chunks, [1, 1000]);
  assert.deepEqual(h5get(d, 'c/frame').chunks, [1, 256, 256]);
  const big = h5get(d, 'c/big').chunks!;
  assert.equal(big[0], 1);
  assert.ok(big[1]! * big[2]! * 4 <= 1 << 20, `big frame chunk ${big} fits 1 MiB`);
  assert.deepEqual(h5get(d, 'c/once').chunks, [3]);
  // the record axis may be any axis; the option changes the target
  assert.deepEqual(chooseChunks([3, 0], 1, [3], 8, { chunkBytes: 2400, maxChunkBytes: 1 << 20 }), [3, 100]);
});

test('many attributes (dense storage), bool among them, overwritten in every direction', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('a');
  for (let i = 0; i < 40; i++) g.setAttribute(`attr${i}`, i % 2 ? v('bool', [], Uint8Array.of(1)) : str([], [`value ${i} ${'x'.repeat(100)}`]));
  g.setAttribute('attr1', str([], ['now a string']));
  g.setAttribute('attr2', v('bool', [3], Uint8Array.of(1, 0, 1)));
  assert.equal(g.attributeNames().length, 40);
  f.flush();
  const live = h5get(readWithH5py(file, { unlocked: true }), 'a').attrs;
  assert.deepEqual(live.attr3, { value: true, dtype: 'bool', shape: [] });
  assert.equal(live.attr1!.value, 'now a string');
  assert.deepEqual(live.attr2, { value: [true, false, true], dtype: 'bool', shape: [3] });
  f.close();
  assert.equal(Object.keys(h5get(readWithH5py(file), 'a').attrs).length, 40);
});
