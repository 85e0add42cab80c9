// Chunk shapes, filters, attributes and links, checked with h5py / h5dump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NxswError, chunkShape } from '@nxsw/core';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64, str, h5dumpText } from './helpers.js';

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

test('filters: deflate + shuffle, fletcher32, unavailable filters', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('z');
  const data = Array.from({ length: 5000 }, (_, i) => Math.floor(i / 10));
  const a = g.createField('sd', { type: 'int32', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 1, cdValues: [6] }] });
  a.setAttribute('units', str([], ['counts']));
  a.append(v('int32', [5000], Int32Array.from(data)));
  g.createField('d', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 1, cdValues: [2] }] }).append(f64([3], [1, 2, 3]));
  g.createField('sdf', { type: 'uint16', shape: [0, 4], recordAxis: 0, filters: [{ id: 2 }, { id: 1 }, { id: 3 }] }).append(v('uint16', [1, 4], Uint16Array.of(1, 2, 3, 4)));
  g.createField('bool', { type: 'bool', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 1, cdValues: [4] }] }).append(v('bool', [2], Uint8Array.of(1, 0)));
  // an unavailable optional filter is skipped; a mandatory one is a clear error
  g.createField('opt', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 32008, optional: true }] }).append(f64([1], [7]));
  g.createField('opt2', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 1 }, { id: 32001, optional: true }] }).append(f64([1], [8]));
  assert.throws(() => g.createField('mand', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 32008 }] }),
    (e: NxswError) => e.code === 'FILE_ERROR' && /\/z\/mand/.test(e.message) && /filter 32008 is not available/.test(e.message));
  assert.throws(() => g.createField('lvl', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 1, cdValues: [12] }] }), /deflate level 12/);
  f.close();
  const d = readWithH5py(file);
  const sd = h5get(d, 'z/sd');
  assert.deepEqual(sd.filters, [2, 1]);
  assert.equal(sd.compression, 'gzip');
  assert.equal(sd.compression_opts, 6);
  assert.equal(sd.shuffle, true);
  assert.deepEqual(sd.value, data);
  assert.equal(sd.attrs.units!.value, 'counts');
  assert.deepEqual(h5get(d, 'z/d').filters, [1]);
  assert.deepEqual(h5get(d, 'z/d').value, [1, 2, 3]);
  assert.deepEqual(h5get(d, 'z/sdf').filters, [2, 1, 3]);
  assert.deepEqual(h5get(d, 'z/sdf').value, [[1, 2, 3, 4]]);
  assert.equal(h5get(d, 'z/bool').dtype, 'bool');
  assert.deepEqual(h5get(d, 'z/bool').filters, [2, 1]);
  assert.deepEqual(h5get(d, 'z/bool').value, [true, false]);
  assert.deepEqual(h5get(d, 'z/opt').filters, []);
  assert.deepEqual(h5get(d, 'z/opt2').filters, [1]);
  assert.deepEqual(h5get(d, 'z/opt2').value, [8]);
  // the compressed data is smaller than the raw 20 kB: the filters really ran
  assert.match(h5dumpText(['-H', '-p', '-d', '/z/sd', file]), /SIZE \d+ \(\d+\.\d+:1 COMPRESSION\)/);
  const m = /SIZE (\d+) /.exec(h5dumpText(['-H', '-p', '-d', '/z/sd', file]));
  assert.ok(Number(m![1]) < 5000, `stored ${m![1]} bytes`);
});

test('attributes: typed, scalar vs array, 64-bit exact, overwrite, read back', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('entry');
  g.setAttribute('NX_class', str([], ['NXentry']));
  g.setAttribute('NX_class', str([], ['NXsubentry'])); // overwrite: delete first
  g.setAttribute('big', v('int64', [], BigInt64Array.of(-(2n ** 63n))));
  g.setAttribute('ubig', v('uint64', [2], BigUint64Array.of(2n ** 64n - 1n, 1n)));
  g.setAttribute('f32', v('float32', [], Float32Array.of(0.1)));
  g.setAttribute('vec', v('int16', [3], Int16Array.of(1, -2, 3)));
  g.setAttribute('names', str([2], ['a', 'ü']));
  g.setAttribute('count', v('int32', [], Int32Array.of(1)));
  g.setAttribute('count', f64([], [2.5])); // overwrite with another type
  const fld = g.createField('x', { type: 'float64', shape: [1] });
  fld.setAttribute('units', str([], ['mm']));
  assert.deepEqual(g.getAttribute('NX_class'), { type: 'string', shape: [], data: ['NXsubentry'] });
  assert.deepEqual(g.getAttribute('ubig'), v('uint64', [2], BigUint64Array.of(2n ** 64n - 1n, 1n)));
  assert.deepEqual(g.getAttribute('vec'), v('int16', [3], Int16Array.of(1, -2, 3)));
  assert.equal(g.getAttribute('missing'), undefined);
  assert.deepEqual(fld.attributeNames(), ['units']);
  f.close();
  const d = readWithH5py(file);
  const a = h5get(d, 'entry').attrs;
  assert.deepEqual(a.NX_class, { value: 'NXsubentry', dtype: 'string', shape: [] });
  assert.deepEqual(a.big, { value: String(-(2n ** 63n)), dtype: 'int64', shape: [] });
  assert.deepEqual(a.ubig, { value: [String(2n ** 64n - 1n), 1], dtype: 'uint64', shape: [2] });
  assert.deepEqual(a.f32, { value: Math.fround(0.1), dtype: 'float32', shape: [] });
  assert.deepEqual(a.vec, { value: [1, -2, 3], dtype: 'int16', shape: [3] });
  assert.deepEqual(a.names, { value: ['a', 'ü'], dtype: 'string', shape: [2] });
  assert.deepEqual(a.count, { value: 2.5, dtype: 'float64', shape: [] });
  assert.equal(h5get(d, 'entry/x').attrs.units!.value, 'mm');
});

test('links: soft, hard, external, dangling, and @target', { skip }, async () => {
  const dir = tempFile('ext.nxs');
  const ext = await create(dir);
  ext.root.createGroup('data').createField('y', { type: 'int32', shape: [2] }).write(v('int32', [2], Int32Array.of(5, 6)));
  ext.close();
  const file = dir.replace(/ext\.nxs$/, 'main.nxs');
  const f = await create(file);
  const e = f.root.createGroup('entry');
  const inst = e.createGroup('instrument');
  inst.createField('counts', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
  const data = e.createGroup('data');
  data.createSoftLink('/entry/instrument/counts', 'counts');
  data.createSoftLink('../instrument', 'inst'); // relative target
  data.createHardLink('/entry/instrument/counts', 'hard');
  data.createSoftLink('/entry/not/yet', 'dangling');
  data.createExternalLink('ext.nxs', '/data/y', 'ext');
  assert.throws(() => data.createHardLink('/nothing', 'bad'), (e: NxswError) => e.code === 'FILE_ERROR' && /\/nothing does not exist/.test(e.message));
  assert.deepEqual(data.keys(), ['counts', 'inst', 'hard', 'dangling', 'ext']);
  f.close();
  const d = readWithH5py(file);
  const dl = h5get(d, 'entry/data');
  assert.equal(dl.children.counts!.kind, 'softlink');
  assert.equal(dl.children.counts!.target, '/entry/instrument/counts');
  assert.deepEqual(dl.children.counts!.resolved!.value, [1, 2]);
  assert.equal(dl.children.hard!.kind, 'dataset');
  assert.deepEqual(dl.children.hard!.value, [1, 2]);
  assert.equal(dl.children.dangling!.kind, 'softlink');
  assert.equal(dl.children.dangling!.resolved, undefined);
  assert.equal(dl.children.ext!.kind, 'externallink');
  assert.deepEqual(dl.children.ext!.resolved!.value, [5, 6]);
  assert.equal(h5get(d, 'entry/instrument/counts').attrs.target!.value, '/entry/instrument/counts');
  assert.equal(h5get(d, 'entry/instrument').attrs.target!.value, '/entry/instrument');
  assert.match(h5dumpText(['-H', '-g', '/entry/data', file]), /SOFTLINK "dangling" \{\s*LINKTARGET "\/entry\/not\/yet"/);
});
