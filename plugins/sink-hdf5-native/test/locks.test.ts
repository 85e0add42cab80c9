// HDF5's file locks, both directions, with h5py as the other HDF5 program; and which sink serves HDF5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NxswError, Kernel } from '@nxsw/core';
import { NativeHdf5SinkFactory } from '../src/index.js';
import { noReaders, tempFile, create, f64, h5get, h5pyHolding, readWithH5py, SYSTEM_PYTHON } from './helpers.js';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

test('a file h5py holds for writing is refused, naming the file; released, it opens', { skip: noReaders }, async () => {
  const file = tempFile();
  const holder = await h5pyHolding(file, `f = h5py.File(sys.argv[1], 'w')`);
  try {
    await assert.rejects(new NativeHdf5SinkFactory().open(file, { mode: 'append' }),
      (e: unknown) => e instanceof NxswError && e.code === 'FILE_LOCKED' && e.message.includes(file) && /is locked: another process has it open; HDF5 programs lock the files they open/.test(e.message));
  } finally {
    await holder.release();
  }
  const f = await new NativeHdf5SinkFactory().open(file, { mode: 'append' });
  f.root.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([1], [1]));
  f.close();
  assert.deepEqual(h5get(readWithH5py(file), 'x').value, [1]);
  // and a second open of the same file in this process is refused too (HDF5 would share it)
  const again = await new NativeHdf5SinkFactory().open(file, { mode: 'append' });
  await assert.rejects(new NativeHdf5SinkFactory().open(file, { mode: 'append' }), (e: unknown) => e instanceof NxswError && e.code === 'FILE_LOCKED' && e.message === `${file} is locked: this process (${process.pid}) has it open for writing`);
  again.close();
});

test('while the sink writes, h5py cannot open the file for writing (or, locking, for reading); HDF5_USE_FILE_LOCKING=FALSE reads', { skip: noReaders }, async () => {
  const file = tempFile();
  const f = await create(file);
  f.root.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
  f.flush();
  const tryOpen = (mode: string, env: NodeJS.ProcessEnv = process.env) => spawnSync(SYSTEM_PYTHON, ['-c', `import h5py, sys\nh5py.File(sys.argv[1], '${mode}').close()`, file], { encoding: 'utf8', env });
  const w = tryOpen('a');
  assert.notEqual(w.status, 0, 'h5py opened for writing a file the sink holds');
  assert.match(w.stderr, /unable to lock file/);
  assert.notEqual(tryOpen('r').status, 0);
  assert.equal(tryOpen('r', { ...process.env, HDF5_USE_FILE_LOCKING: 'FALSE' }).status, 0);
  f.close();
  assert.equal(tryOpen('a').status, 0, 'closed, the file is free');
  // the sink itself honours HDF5_USE_FILE_LOCKING=FALSE as the library does (checked in a child: the library reads it once)
  const holder = await h5pyHolding(file, `f = h5py.File(sys.argv[1], 'a')`);
  try {
    const script = `import { NativeHdf5SinkFactory } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};\n(await new NativeHdf5SinkFactory().open(${JSON.stringify(file)}, { mode: 'append' })).close();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, HDF5_USE_FILE_LOCKING: 'FALSE' } });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    await holder.release();
  }
});

test('selection: the native sink serves HDF5 where the library loads, else the h5wasm sink; either can be chosen', { skip: noReaders }, async () => {
  const k = await Kernel.start({ cwd: REPO });
  assert.equal(k.providerOf('sink', 'HDF5'), '@nxsw/sink-hdf5-native');
  const wasm = k.plugins.find((p) => p.name === '@nxsw/sink-hdf5')!;
  assert.equal(wasm.status, 'refused');
  assert.match(wasm.reason!, /sink HDF5 is served by @nxsw\/sink-hdf5-native, which takes precedence; choose this plugin with --choose sink:HDF5=@nxsw\/sink-hdf5/);
  const chosen = await Kernel.start({ cwd: REPO, choose: { 'sink:HDF5': '@nxsw/sink-hdf5' } });
  assert.equal(chosen.providerOf('sink', 'HDF5'), '@nxsw/sink-hdf5');
  // without a library (NXSW_HDF5_LIB names the only candidate), in a fresh process: nxsw plugins says why
  const r = spawnSync(process.execPath, ['--no-node-snapshot', `${REPO}/core/dist/src/cli/main.js`, 'plugins', '--json'], { encoding: 'utf8', cwd: REPO, env: { ...process.env, NXSW_HDF5_LIB: '/nonexistent/libhdf5.so' } });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout).plugins as Array<{ name: string; status: string; reason?: string }>;
  const native = rows.find((p) => p.name === '@nxsw/sink-hdf5-native')!;
  assert.equal(native.status, 'refused');
  assert.match(native.reason!, /no system HDF5 library found .*\/nonexistent\/libhdf5\.so/);
  const fallback = rows.find((p) => p.name === '@nxsw/sink-hdf5')!;
  assert.equal(fallback.status, 'loaded');
  assert.match(fallback.reason!, /serves sink HDF5 because @nxsw\/sink-hdf5-native could not load/);
});

test('a child process started while the file is open does not inherit it (nor its lock)', { skip: noReaders }, async () => {
  const file = tempFile();
  const f = await create(file);
  f.root.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([1], [1]));
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    f.close();
    const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import h5py, sys\nh5py.File(sys.argv[1], "a").close()', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `the file stays locked by the child: ${r.stderr}`);
  } finally {
    child.kill();
  }
});
