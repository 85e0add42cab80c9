// The plugin entry (the shared sink kit in sink.test.ts covers flush visibility, SWMR, modes and errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ExtensionBase, PluginContext } from '@nxsw/core';
import { readWithH5py, noReaders, tempFile, f64 } from './helpers.js';
import type { Hdf5SinkFactory } from '../src/index.js';
import plugin from '../src/plugin.js';

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
