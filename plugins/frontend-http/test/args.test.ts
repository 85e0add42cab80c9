// The live view's command line: [HOST:]PORT, the default bind address, refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_ELEMENTS, parseHttpArgs, parseListen, parseSelection } from '../src/index.js';

test('--http takes [HOST:]PORT and binds 127.0.0.1 unless a host is given', () => {
  assert.deepEqual(parseListen('8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListen('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseHttpArgs(['--http', '9000']), { host: '127.0.0.1', port: 9000, maxElements: DEFAULT_MAX_ELEMENTS });
  assert.throws(() => parseListen('host:'), /--http 'host:' must be \[HOST:\]PORT/);
  assert.throws(() => parseListen('99999'), /must be \[HOST:\]PORT/);
  assert.throws(() => parseHttpArgs(['--http', '1', '--max-elements', '0']), /--max-elements must be a positive integer/);
  assert.throws(() => parseHttpArgs(['--port', '1']), /Unknown option '--port'/);
});

test('selections are numpy style: indexes drop an axis, ranges keep it, negatives count from the end', () => {
  assert.deepEqual(parseSelection(undefined, [4, 3]), { start: [0, 0], count: [4, 3], shape: [4, 3] });
  assert.deepEqual(parseSelection('1,:', [4, 3]), { start: [1, 0], count: [1, 3], shape: [3] });
  assert.deepEqual(parseSelection('1:3', [4, 3]), { start: [1, 0], count: [2, 3], shape: [2, 3] });
  assert.deepEqual(parseSelection('-1', [4]), { start: [3], count: [1], shape: [] });
  assert.deepEqual(parseSelection(':10', [4]), { start: [0], count: [4], shape: [4] });
  assert.throws(() => parseSelection('0,0,0', [4, 3]), /has 3 axes; the dataset has 2/);
  assert.throws(() => parseSelection('::2', [4]), /steps other than 1 are not supported/);
  assert.throws(() => parseSelection('x', [4]), /'x' on axis 0 is not an integer/);
});
