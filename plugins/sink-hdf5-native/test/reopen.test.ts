// Chunk shapes and attribute storage of the native sink, checked with h5py (append mode: the shared sink kit in sink.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkShape, chunkPolicy, type FieldSpec } from '@nxsw/core';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64, str } from './helpers.js';

const skip = noReaders;

test('chunk shapes follow core\'s chunkShape: the announced records, else chunkRecords for small frames; whole frames; big frames split', { skip }, async () => {
  const file = tempFile();
  const policy = { chunkBytes: 65536, maxChunkBytes: 1 << 20, chunkRecords: 256 };
  const f = await create(file, policy);
  const g = f.root.createGroup('c');
  const specs: Record<string, FieldSpec> = {
    scalar: { type: 'float64', shape: [0], recordAxis: 0 },
    announced: { type: 'float64', shape: [0], recordAxis: 0, expectedRecords: 6 },
    i8: { type: 'int8', shape: [0], recordAxis: 0 },
    spectrum: { type: 'float64', shape: [0, 1000], recordAxis: 0, frameShape: [1000] },
    axis1: { type: 'float64', shape: [3, 0], recordAxis: 1, frameShape: [3] },
    frame: { type: 'uint16', shape: [0, 256, 256], recordAxis: 0 },
    big: { type: 'uint32', shape: [0, 1024, 1024], recordAxis: 0 },
    once: { type: 'float64', shape: [3] },
  };
  for (const [name, spec] of Object.entries(specs)) g.createField(name, spec);
  g.openField('scalar')!.append(f64([1], [1]));
  g.openField('once')!.write(f64([3], [5, 6, 7]));
  f.close();
  const d = readWithH5py(file);
  const core = chunkPolicy(policy);
  for (const [name, spec] of Object.entries(specs)) {
    const elementBytes = { float64: 8, int8: 1, uint16: 2, uint32: 4 }[spec.type as 'float64'];
    assert.deepEqual(h5get(d, `c/${name}`).chunks, chunkShape({ ...spec, elementBytes }, core), `${name}: core's chunk shape`);
  }
  // what that rule gives: small chunks for scalars unless announced, whole frames, big frames split
  assert.deepEqual(h5get(d, 'c/scalar').chunks, [256]);
  assert.deepEqual(h5get(d, 'c/announced').chunks, [6]);
  assert.deepEqual(h5get(d, 'c/spectrum').chunks, [8, 1000]);
  assert.deepEqual(h5get(d, 'c/axis1').chunks, [3, 256]);
  assert.deepEqual(h5get(d, 'c/frame').chunks, [1, 256, 256]);
  const big = h5get(d, 'c/big').chunks!;
  assert.equal(big[0], 1);
  assert.ok(big[1]! * big[2]! * 4 <= 1 << 20, `big frame chunk ${big} fits 1 MiB`);
  assert.deepEqual(h5get(d, 'c/once').chunks, [3]);
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
