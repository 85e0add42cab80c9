import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NxswError, valueToWrite, blockToAppend, checkNodeName, childPath, type FieldTarget } from '../src/index.js';

const target = (t: Partial<FieldTarget>): FieldTarget => ({ file: '/d/f.nxs', path: '/e/x', type: 'float64', rank: 2, scalar: false, ...t });
const invalid = (re: RegExp) => (e: unknown) => e instanceof NxswError && e.code === 'VALUE_INVALID' && re.test(e.message);

test('valueToWrite: cast to the dataset type, rank filled with leading 1s, scalar datasets hold one element', () => {
  const v = valueToWrite({ type: 'int32', shape: [3], data: Int32Array.of(1, 2, 3) }, target({}));
  assert.deepEqual([v.type, v.shape, Array.from(v.data as Float64Array)], ['float64', [1, 3], [1, 2, 3]]);
  assert.throws(() => valueToWrite({ type: 'float64', shape: [1, 1, 1], data: Float64Array.of(1) }, target({})), invalid(/^\/d\/f\.nxs: \/e\/x: a value of shape \[1,1,1\] does not fit a dataset of rank 2$/));
  assert.throws(() => valueToWrite({ type: 'float64', shape: [2], data: Float64Array.of(1, 2) }, target({ rank: 0, scalar: true })), invalid(/scalar dataset cannot hold a value of shape \[2\]/));
  assert.throws(() => valueToWrite({ type: 'string', shape: [1], data: ['x'] }, target({})), invalid(/^\/d\/f\.nxs: \/e\/x: /));
});

test('blockToAppend: [n, ...frame] of the dataset rank; never into a scalar dataset', () => {
  const b = blockToAppend({ type: 'float64', shape: [2, 1], data: Float64Array.of(1, 2) }, target({}));
  assert.deepEqual(b.shape, [2, 1]);
  assert.throws(() => blockToAppend({ type: 'float64', shape: [2], data: Float64Array.of(1, 2) }, target({})), invalid(/a block of shape \[2\] does not fit a dataset of rank 2 \(expected \[n, \.\.\.frame\] with 1 frame axes\)/));
  assert.throws(() => blockToAppend({ type: 'float64', shape: [1], data: Float64Array.of(1) }, target({ rank: 0, scalar: true })), invalid(/cannot append to a scalar dataset/));
});

test('names: one path component; child paths below the root and below groups', () => {
  for (const bad of ['', '.', '..', 'a/b']) assert.throws(() => checkNodeName('/d/f.nxs', '/e', bad, 'group'), invalid(/invalid group name .* in \/e/));
  checkNodeName('/d/f.nxs', '/e', 'ok name', 'field');
  assert.deepEqual([childPath('/', 'a'), childPath('/a', 'b')], ['/a', '/a/b']);
});
