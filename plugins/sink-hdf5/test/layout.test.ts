// Chunk shapes, checked with h5py (filters, attributes and links: the shared sink kit in sink.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkShape } from '@nxsw/core';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64 } from './helpers.js';

const skip = noReaders;

test('chunk shapes: many rows for scalar series, whole frames, big frames split', { skip }, async () => {
  const file = tempFile();
  const f = await create(file, { chunkBytes: 32768, maxChunkBytes: 1 << 20, chunkRecords: 1 << 20 });
  const g = f.root.createGroup('c');
  g.createField('scalar', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([1], [1]));
  g.createField('i8', { type: 'int8', shape: [0], recordAxis: 0 }).append(v('int8', [1], Int8Array.of(1)));
  g.createField('spectrum', { type: 'float64', shape: [0, 1000], recordAxis: 0, frameShape: [1000] }).append(f64([1, 1000], new Array(1000).fill(1)));
  g.createField('frame', { type: 'uint16', shape: [0, 256, 256], recordAxis: 0 }).append(v('uint16', [1, 256, 256], new Uint16Array(65536)));
  g.createField('big', { type: 'uint32', shape: [0, 1024, 1024], recordAxis: 0 });
  g.createField('once', { type: 'float64', shape: [1] }).write(f64([1], [5]));
  f.close();
  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'c/scalar').chunks, [4096]); // 32 KiB of float64
  assert.deepEqual(h5get(d, 'c/i8').chunks, [32768]);
  assert.deepEqual(h5get(d, 'c/spectrum').chunks, [4, 1000]);
  assert.deepEqual(h5get(d, 'c/frame').chunks, [1, 256, 256]);
  const big = h5get(d, 'c/big').chunks!;
  assert.equal(big[0], 1);
  assert.ok(big[1]! * big[2]! * 4 <= 1 << 20, `big frame chunk ${big} fits 1 MiB`);
  assert.deepEqual(h5get(d, 'c/once').chunks, [1]);
  for (const name of ['scalar', 'i8', 'spectrum', 'frame', 'big', 'once']) {
    assert.ok(h5get(d, `c/${name}`).maxshape!.every((m) => m === -1), `${name}: every axis unlimited`);
  }
  // the record axis may be any axis
  assert.deepEqual(chunkShape({ shape: [3, 0], recordAxis: 1, frameShape: [3], elementBytes: 8 }, { chunkBytes: 2400, maxChunkBytes: 1 << 20 }), [3, 100]);
});

test('chunk rule: the announced number of records (up to chunkBytes), else at most chunkRecords (small chunks for scalars); frames keep chunkBytes', { skip }, async () => {
  const policy = { chunkBytes: 65536, maxChunkBytes: 4 << 20, maxRecords: 256 };
  const shape = (s: number[], elementBytes: number, expectedRecords?: number, frameShape?: number[]) => chunkShape({ shape: s, recordAxis: 0, elementBytes, expectedRecords, frameShape }, policy);
  assert.deepEqual(shape([0], 8), [256]);
  assert.deepEqual(shape([0], 8, 6), [6]);
  assert.deepEqual(shape([0], 8, 100000), [8192], 'a long announced scan gets 64 KiB chunks');
  assert.deepEqual(shape([0, 2048], 8), [4, 2048], 'a spectrum keeps about 64 KiB per chunk');
  assert.deepEqual(shape([0, 2048], 8, 2), [2, 2048]);
  assert.deepEqual(shape([0, 256, 256], 2, 6), [1, 256, 256]);
  assert.deepEqual(shape([0], 8, 0), [256], 'a meaningless announcement is ignored');
  // the sink's defaults, as h5py reads them back
  const file = tempFile();
  const f = await create(file);
  f.root.createField('scalar', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([1], [1]));
  f.root.createField('announced', { type: 'float64', shape: [0], recordAxis: 0, expectedRecords: 6 }).append(f64([1], [1]));
  f.root.createField('spectrum', { type: 'float64', shape: [0, 2048], recordAxis: 0, frameShape: [2048], expectedRecords: 6 });
  f.close();
  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'scalar').chunks, [256]);
  assert.deepEqual(h5get(d, 'announced').chunks, [6]);
  assert.deepEqual(h5get(d, 'spectrum').chunks, [4, 2048]);
});
