// The HDF5 sink, checked with independent readers (h5py 3.7 / HDF5 1.10.8 and h5dump 1.10.8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ElementType } from '@nxsw/core';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64, str, h5dumpText } from './helpers.js';

const skip = noReaders;

test('every element type: dtype and values, 64-bit extremes, float32', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('t');
  const cases: Array<[ElementType, ArrayLike<unknown>, string]> = [
    ['int8', Int8Array.from([-128, 0, 127]), 'int8'],
    ['uint8', Uint8Array.from([0, 1, 255]), 'uint8'],
    ['int16', Int16Array.from([-32768, 5, 32767]), 'int16'],
    ['uint16', Uint16Array.from([0, 7, 65535]), 'uint16'],
    ['int32', Int32Array.from([-2147483648, 9, 2147483647]), 'int32'],
    ['uint32', Uint32Array.from([0, 11, 4294967295]), 'uint32'],
    ['int64', BigInt64Array.from([-(2n ** 63n), 9007199254740993n, 2n ** 63n - 1n]), 'int64'],
    ['uint64', BigUint64Array.from([0n, 9007199254740993n, 2n ** 64n - 1n]), 'uint64'],
    ['float32', Float32Array.from([0.1, -2.5, 3.4028234663852886e38]), 'float32'],
    ['float64', Float64Array.from([0.1, -2.5, Number.MAX_VALUE]), 'float64'],
    ['bool', Uint8Array.from([1, 0, 1]), 'bool'],
  ];
  for (const [type, data] of cases) {
    g.createField(type, { type, shape: [3] }).write(v(type, [3], data as never));
    g.createField(`${type}_scalar`, { type, shape: [], scalar: true }).write(v(type, [], (data as never as { slice(a: number, b: number): never }).slice(0, 1)));
    g.createField(`${type}_one`, { type, shape: [1] }).write(v(type, [1], (data as never as { slice(a: number, b: number): never }).slice(2, 3)));
  }
  f.close();
  const d = readWithH5py(file);
  for (const [type, data, dtype] of cases) {
    const n = h5get(d, `t/${type}`);
    assert.equal(n.dtype, dtype, type);
    assert.deepEqual(n.shape, [3]);
    const expected = Array.from(data as ArrayLike<number | bigint>, (x) => {
      if (type === 'bool') return x === 1;
      if (typeof x === 'bigint') return x > 2n ** 53n || x < -(2n ** 53n) ? String(x) : Number(x);
      return x;
    });
    assert.deepEqual(n.value, expected, type);
    const s = h5get(d, `t/${type}_scalar`);
    assert.deepEqual(s.shape, [], `${type} scalar has a SCALAR dataspace`);
    assert.equal(s.chunks, null, `${type} scalar is contiguous`);
    assert.deepEqual(s.value, expected[0]);
    const one = h5get(d, `t/${type}_one`);
    assert.deepEqual(one.shape, [1]);
    assert.deepEqual(one.maxshape, [-1]);
    assert.deepEqual(one.value, [expected[2]]);
  }
  // the C tools see h5py's bool: an enum over int8 {FALSE, TRUE}
  const dump = h5dumpText(['-H', '-d', '/t/bool', file]);
  assert.match(dump, /H5T_ENUM \{\s*H5T_STD_I8LE;\s*"FALSE"\s+0;\s*"TRUE"\s+1;/);
});

test('variable-length UTF-8 strings: scalar, arrays and appends', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const e = f.root.createGroup('entry');
  e.createField('title', { type: 'string', shape: [], scalar: true }).write(str([], ['Ünïcødé title ✓']));
  e.createField('names', { type: 'string', shape: [2] }).write(str([2], ['a', 'bb ✓']));
  const s = e.createField('steps', { type: 'string', shape: [0], recordAxis: 0 });
  for (let i = 0; i < 5; i++) {
    s.append(str([1], [`step ${i} é`]));
    if (i % 2) f.flush();
  }
  s.append(str([2], ['', 'x'.repeat(1000)]));
  assert.deepEqual(s.shape, [7]);
  const m = e.createField('matrix', { type: 'string', shape: [2, 0], recordAxis: 1 });
  m.append(str([1, 2], ['r0a', 'r0b']));
  m.append(str([1, 2], ['r1a', 'r1b']));
  f.close();
  const d = readWithH5py(file);
  const title = h5get(d, 'entry/title');
  assert.equal(title.dtype, 'string');
  assert.deepEqual(title.shape, []);
  assert.equal(title.value, 'Ünïcødé title ✓');
  assert.deepEqual(h5get(d, 'entry/names').value, ['a', 'bb ✓']);
  const steps = h5get(d, 'entry/steps');
  assert.deepEqual(steps.value, ['step 0 é', 'step 1 é', 'step 2 é', 'step 3 é', 'step 4 é', '', 'x'.repeat(1000)]);
  assert.deepEqual(steps.maxshape, [-1]);
  assert.deepEqual(h5get(d, 'entry/matrix').value, [['r0a', 'r1a'], ['r0b', 'r1b']]);
  assert.match(h5dumpText(['-H', '-d', '/entry/title', file]), /STRSIZE H5T_VARIABLE;[\s\S]*CSET H5T_CSET_UTF8;[\s\S]*DATASPACE\s+SCALAR/);
});

test('appends along record axis 0, 1 and 2, in blocks, with frame growth and padding', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('d');
  const scalars = g.createField('scalars', { type: 'float64', shape: [0], recordAxis: 0 });
  scalars.append(f64([1], [1]));
  scalars.append(f64([3], [2, 3, 4])); // a block of three steps
  assert.equal(scalars.rows, 4);
  assert.deepEqual(scalars.shape, [4]);
  // spectrum of length 3 along axis 1 -> (3, N)
  const spec = g.createField('spectrum', { type: 'int32', shape: [3, 0], recordAxis: 1, frameShape: [3] });
  spec.append(v('int32', [1, 3], Int32Array.from([1, 2, 3])));
  spec.append(v('int32', [2, 3], Int32Array.from([4, 5, 6, 7, 8, 9])));
  // 2x2 image along axis 2 -> (2, 2, N)
  const img = g.createField('image', { type: 'uint16', shape: [2, 2, 0], recordAxis: 2 });
  img.append(v('uint16', [1, 2, 2], Uint16Array.from([1, 2, 3, 4])));
  img.append(v('uint16', [1, 2, 2], Uint16Array.from([5, 6, 7, 8])));
  // created with frame axes 0/1, the first frame sets them, a smaller one is padded, a larger one grows them
  const grow = g.createField('grow', { type: 'int16', shape: [0, 1], recordAxis: 0 });
  grow.append(v('int16', [1, 2], Int16Array.from([1, 2])));
  assert.deepEqual(grow.shape, [1, 2]);
  grow.append(v('int16', [1, 1], Int16Array.from([3])));
  f.flush();
  grow.append(v('int16', [1, 4], Int16Array.from([4, 5, 6, 7])));
  assert.deepEqual(grow.shape, [3, 4]);
  const img2 = g.createField('image0', { type: 'int8', shape: [0, 0, 0], recordAxis: 0 });
  img2.append(v('int8', [1, 1, 2], Int8Array.from([1, 2])));
  img2.append(v('int8', [1, 2, 1], Int8Array.from([3, 4])));
  assert.deepEqual(img2.shape, [2, 2, 2]);
  f.close();
  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'd/scalars').value, [1, 2, 3, 4]);
  assert.deepEqual(h5get(d, 'd/spectrum').shape, [3, 3]);
  assert.deepEqual(h5get(d, 'd/spectrum').value, [[1, 4, 7], [2, 5, 8], [3, 6, 9]]);
  assert.deepEqual(h5get(d, 'd/image').shape, [2, 2, 2]);
  assert.deepEqual(h5get(d, 'd/image').value, [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
  assert.deepEqual(h5get(d, 'd/grow').value, [[1, 2, 0, 0], [3, 0, 0, 0], [4, 5, 6, 7]]);
  assert.deepEqual(h5get(d, 'd/image0').value, [[[1, 2], [0, 0]], [[3, 0], [4, 0]]]);
});

test('read() gives back every element type as written, buffered rows and pending bool datasets included', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('r');
  const cases: Array<[ElementType, ArrayLike<unknown>]> = [
    ['int8', Int8Array.from([-128, 0, 127])], ['uint16', Uint16Array.from([0, 7, 65535])],
    ['int64', BigInt64Array.from([-(2n ** 63n), 9007199254740993n, 2n ** 63n - 1n])],
    ['uint64', BigUint64Array.from([0n, 2n ** 64n - 1n, 5n])], ['float32', Float32Array.from([0.1, -2.5, 3])],
    ['float64', Float64Array.from([0.1, NaN, Number.MAX_VALUE])], ['bool', Uint8Array.from([1, 0, 1])],
  ];
  for (const [type, data] of cases) {
    const w = g.createField(type, { type, shape: [3] });
    w.write(v(type, [3], data as never));
    const back = w.read!();
    assert.deepEqual([back.type, back.shape, Array.from(back.data as ArrayLike<unknown>)], [type, [3], Array.from(data)], type);
  }
  const title = g.createField('title', { type: 'string', shape: [], scalar: true });
  title.write(str([], ['ünïcode ✓']));
  assert.deepEqual([title.read!().shape, title.read!().data], [[], ['ünïcode ✓']]);
  // appended rows still in the buffer, along record axis 1
  const series = g.createField('series', { type: 'int32', shape: [2, 0], recordAxis: 1 });
  series.append(v('int32', [2, 2], Int32Array.from([1, 2, 3, 4])));
  const s = series.read!();
  assert.deepEqual([s.shape, Array.from(s.data as Int32Array)], [[2, 2], [1, 3, 2, 4]]);
  f.close();
  // the file h5py reads holds the same
  assert.deepEqual(h5get(readWithH5py(file), 'r/series').value, [[1, 3], [2, 4]]);
});
