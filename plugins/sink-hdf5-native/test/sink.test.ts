// The native HDF5 sink, checked with independent readers (h5py 3.7 / HDF5 1.10.8 and h5dump): the
// shared sink test kit, then what only this sink does (filter plugins by id, virtual datasets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runSinkKit } from '@nxsw/core/testkit';
import { NativeHdf5SinkFactory } from '../src/index.js';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64, isCode, SYSTEM_PYTHON, nativeSink } from './helpers.js';

const skip = noReaders;

runSinkKit(nativeSink);

test('filters by id with parameters from the HDF5 plugin path (LZ4, BZip2 of hdf5-filter-plugin) in a pipeline', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const data = Array.from({ length: 4000 }, (_, i) => i % 7);
  f.root.createField('lz4', { type: 'int32', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 32004, cdValues: [0] }, { id: 3 }] }).append(v('int32', [4000], Int32Array.from(data)));
  f.root.createField('bz2', { type: 'float64', shape: [0, 2], recordAxis: 0, filters: [{ id: 307, cdValues: [9] }] }).append(f64([2, 2], [1, 2, 3, 4]));
  f.flush();
  const d = readWithH5py(file, { unlocked: true });
  assert.deepEqual(h5get(d, 'lz4').filters, [2, 32004, 3]);
  assert.deepEqual(h5get(d, 'lz4').value, data);
  assert.deepEqual(h5get(d, 'bz2').filters, [307]);
  assert.deepEqual(h5get(d, 'bz2').value, [[1, 2], [3, 4]]);
  f.close();
});

test('virtual datasets: sources in another file, unlimited and strided mappings; h5py reads them while open and after close', { skip }, async () => {
  const dir = tempFile('x').replace(/\/x$/, '');
  // two detector module files, written by another HDF5 program
  const src = `${dir}/module.h5`;
  const df = await create(src);
  const m1 = df.root.createField('m1', { type: 'int32', shape: [0, 2], recordAxis: 0 });
  const m2 = df.root.createField('m2', { type: 'int32', shape: [0, 2], recordAxis: 0 });
  m1.append(v('int32', [3, 2], Int32Array.of(1, 2, 3, 4, 5, 6)));
  m2.append(v('int32', [3, 2], Int32Array.of(-1, -2, -3, -4, -5, -6)));
  df.close();
  const file = `${dir}/scan.nxs`;
  const f = await create(file);
  const e = f.root.createGroup('entry');
  e.createField('local', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([4], [10, 20, 30, 40]));
  assert.ok(e.createVirtualField, 'the native sink creates virtual datasets');
  // frames [n, 2] of two modules side by side -> [n, 4], growing with the sources
  const vds = e.createVirtualField!('frames', {
    type: 'int32', shape: [3, 4], maxShape: [-1, 4], fillValue: -99,
    mappings: [
      { file: 'module.h5', dataset: '/m1', sourceShape: [-1, 2], sourceSelection: { start: [0, 0], count: [-1, 1], block: [1, 2] }, virtualSelection: { start: [0, 0], count: [-1, 1], block: [1, 2] } },
      { file: 'module.h5', dataset: '/m2', sourceShape: [-1, 2], sourceSelection: { start: [0, 0], count: [-1, 1], block: [1, 2] }, virtualSelection: { start: [0, 2], count: [-1, 1], block: [1, 2] } },
    ],
  });
  // every second point of a dataset in this file; unmapped points read the fill value
  e.createVirtualField!('even', {
    type: 'float64', shape: [3], fillValue: -1,
    mappings: [{ file: '.', dataset: '/entry/local', sourceShape: [4], sourceSelection: { start: [0], count: [2], stride: [2] }, virtualSelection: { start: [0], count: [2] } }],
  });
  assert.throws(() => vds.append(v('int32', [1, 4], Int32Array.of(1, 2, 3, 4))), isCode('VALUE_INVALID', /virtual dataset/));
  const check = () => {
    const script = [
      'import h5py, json, sys',
      "f = h5py.File(sys.argv[1], 'r')",
      "d = f['entry/frames']; e = f['entry/even']",
      'print(json.dumps([d.is_virtual, e.is_virtual, d.shape, d[()].tolist(), e[()].tolist()]))',
    ].join('\n');
    return JSON.parse(execText(script, file));
  };
  f.flush();
  assert.deepEqual(check(), [true, true, [3, 4], [[1, 2, -1, -2], [3, 4, -3, -4], [5, 6, -5, -6]], [10, 30, -1]]);
  f.close();
  assert.deepEqual(check()[3], [[1, 2, -1, -2], [3, 4, -3, -4], [5, 6, -5, -6]]);
  // the mapping follows the sources as they grow
  const df2 = await new NativeHdf5SinkFactory().open(src, { mode: 'append' });
  df2.root.openField('m1')!.append(v('int32', [1, 2], Int32Array.of(7, 8)));
  df2.root.openField('m2')!.append(v('int32', [1, 2], Int32Array.of(-7, -8)));
  df2.close();
  const after = check();
  assert.deepEqual(after[2], [4, 4]);
  assert.deepEqual(after[3][3], [7, 8, -7, -8]);
});

function execText(script: string, file: string): string {
  return execFileSync(SYSTEM_PYTHON, ['-c', script, file], { encoding: 'utf8', env: { ...process.env, HDF5_USE_FILE_LOCKING: 'FALSE' } });
}
