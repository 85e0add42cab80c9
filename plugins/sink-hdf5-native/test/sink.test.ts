// The native HDF5 sink, checked with independent readers (h5py 3.7 / HDF5 1.10.8 and h5dump).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { NxswError, type ElementType } from '@nxsw/core';
import { NativeHdf5SinkFactory } from '../src/index.js';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64, str, h5dumpText, SYSTEM_PYTHON } from './helpers.js';

const skip = noReaders;
const isCode = (code: string, re: RegExp) => (e: unknown) => e instanceof NxswError && e.code === code && re.test(e.message);

test('every element type: dtype and values, 64-bit extremes, bool as h5py enum', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('t');
  const cases: Array<[ElementType, ArrayLike<unknown>]> = [
    ['int8', Int8Array.from([-128, 0, 127])], ['uint8', Uint8Array.from([0, 1, 255])],
    ['int16', Int16Array.from([-32768, 5, 32767])], ['uint16', Uint16Array.from([0, 7, 65535])],
    ['int32', Int32Array.from([-2147483648, 9, 2147483647])], ['uint32', Uint32Array.from([0, 11, 4294967295])],
    ['int64', BigInt64Array.from([-(2n ** 63n), 9007199254740993n, 2n ** 63n - 1n])],
    ['uint64', BigUint64Array.from([0n, 9007199254740993n, 2n ** 64n - 1n])],
    ['float32', Float32Array.from([0.1, -2.5, 3.4028234663852886e38])], ['float64', Float64Array.from([0.1, -2.5, Number.MAX_VALUE])],
    ['bool', Uint8Array.from([1, 0, 1])],
  ];
  for (const [type, data] of cases) {
    g.createField(type, { type, shape: [3] }).write(v(type, [3], data as never));
    g.createField(`${type}_scalar`, { type, shape: [], scalar: true }).write(v(type, [], (data as never as { slice(a: number, b: number): never }).slice(0, 1)));
  }
  f.flush();
  // read while the file is still open: nothing waits for a close
  const d = readWithH5py(file, { unlocked: true });
  for (const [type, data] of cases) {
    const n = h5get(d, `t/${type}`);
    assert.equal(n.dtype, type);
    const expected = Array.from(data as ArrayLike<number | bigint>, (x) => {
      if (type === 'bool') return x === 1;
      if (typeof x === 'bigint') return x > 2n ** 53n || x < -(2n ** 53n) ? String(x) : Number(x);
      return x;
    });
    assert.deepEqual(n.value, expected, type);
    assert.deepEqual(n.maxshape, [-1]);
    const s = h5get(d, `t/${type}_scalar`);
    assert.deepEqual(s.shape, []);
    assert.equal(s.chunks, null, `${type} scalar is contiguous`);
    assert.deepEqual(s.value, expected[0]);
  }
  assert.match(h5dumpText(['-H', '-d', '/t/bool', file]), /H5T_ENUM \{\s*H5T_STD_I8LE;\s*"FALSE"\s+0;\s*"TRUE"\s+1;/);
  f.close();
});

test('variable-length UTF-8 strings and appends along record axes 0, 1 and 2 with frame growth', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const e = f.root.createGroup('entry');
  e.createField('title', { type: 'string', shape: [], scalar: true }).write(str([], ['Ünïcødé title ✓']));
  const s = e.createField('steps', { type: 'string', shape: [0], recordAxis: 0 });
  for (let i = 0; i < 3; i++) {
    s.append(str([1], [`step ${i} é`]));
    f.flush();
  }
  s.append(str([2], ['', 'x'.repeat(1000)]));
  const m = e.createField('matrix', { type: 'string', shape: [2, 0], recordAxis: 1 });
  m.append(str([2, 2], ['r0a', 'r0b', 'r1a', 'r1b']));
  const img = e.createField('image', { type: 'uint16', shape: [2, 2, 0], recordAxis: 2 });
  img.append(v('uint16', [1, 2, 2], Uint16Array.from([1, 2, 3, 4])));
  img.append(v('uint16', [1, 2, 2], Uint16Array.from([5, 6, 7, 8])));
  const grow = e.createField('grow', { type: 'int16', shape: [0, 1], recordAxis: 0 });
  grow.append(v('int16', [1, 2], Int16Array.from([1, 2])));
  grow.append(v('int16', [1, 1], Int16Array.from([3])));
  f.flush();
  grow.append(v('int16', [1, 4], Int16Array.from([4, 5, 6, 7])));
  assert.deepEqual(grow.shape, [3, 4], 'shape includes pending rows');
  f.close();
  const d = readWithH5py(file);
  assert.equal(h5get(d, 'entry/title').value, 'Ünïcødé title ✓');
  assert.deepEqual(h5get(d, 'entry/steps').value, ['step 0 é', 'step 1 é', 'step 2 é', '', 'x'.repeat(1000)]);
  assert.deepEqual(h5get(d, 'entry/matrix').value, [['r0a', 'r1a'], ['r0b', 'r1b']]);
  assert.deepEqual(h5get(d, 'entry/image').value, [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
  assert.deepEqual(h5get(d, 'entry/grow').value, [[1, 2, 0, 0], [3, 0, 0, 0], [4, 5, 6, 7]]);
  assert.match(h5dumpText(['-H', '-d', '/entry/title', file]), /STRSIZE H5T_VARIABLE;[\s\S]*CSET H5T_CSET_UTF8;[\s\S]*DATASPACE\s+SCALAR/);
});

test('filter pipelines and bool enums are in place from creation: h5py reads them while the file is open', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('z');
  const data = Array.from({ length: 5000 }, (_, i) => Math.floor(i / 10));
  const sd = g.createField('sd', { type: 'int32', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 1, cdValues: [6] }] });
  sd.append(v('int32', [5000], Int32Array.from(data)));
  g.createField('sdf', { type: 'uint16', shape: [0, 4], recordAxis: 0, filters: [{ id: 2 }, { id: 1 }, { id: 3 }] }).append(v('uint16', [1, 4], Uint16Array.of(1, 2, 3, 4)));
  const flag = g.createField('flag', { type: 'bool', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 1, cdValues: [4] }] });
  flag.append(v('bool', [2], Uint8Array.of(1, 0)));
  g.setAttribute('ok', v('bool', [], Uint8Array.of(1)));
  g.createField('opt', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 32008, optional: true }] }).append(f64([1], [7]));
  assert.throws(() => g.createField('mand', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 32008 }] }),
    isCode('FILE_ERROR', /\/z\/mand: HDF5 filter 32008 is not available .*HDF5_PLUGIN_PATH/));
  assert.throws(() => g.createField('lvl', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 1, cdValues: [12] }] }), /deflate level 12/);
  f.flush();
  const d = readWithH5py(file, { unlocked: true });
  assert.deepEqual(h5get(d, 'z/sd').filters, [2, 1]);
  assert.equal(h5get(d, 'z/sd').compression_opts, 6);
  assert.deepEqual(h5get(d, 'z/sd').value, data);
  assert.deepEqual(h5get(d, 'z/sdf').filters, [2, 1, 3]);
  assert.deepEqual(h5get(d, 'z/sdf').value, [[1, 2, 3, 4]]);
  assert.equal(h5get(d, 'z/flag').dtype, 'bool');
  assert.deepEqual(h5get(d, 'z/flag').filters, [2, 1]);
  assert.deepEqual(h5get(d, 'z/flag').value, [true, false]);
  assert.deepEqual(h5get(d, 'z').attrs.ok, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(h5get(d, 'z/opt').filters, []);
  const m = /SIZE (\d+) /.exec(h5dumpText(['-H', '-p', '-d', '/z/sd', file]));
  assert.ok(Number(m![1]) < 5000, `the filters ran: ${m![1]} bytes stored for 20 000`);
  f.close();
});

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

test('attributes: typed, scalar vs array, 64-bit exact, bool, overwrite, read back', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('a');
  f.root.setAttribute('NX_class', str([], ['NXroot']));
  g.setAttribute('big', v('int64', [], BigInt64Array.of(9007199254740993n)));
  g.setAttribute('ubig', v('uint64', [2], BigUint64Array.of(0n, 2n ** 64n - 1n)));
  g.setAttribute('vec', f64([3], [1, 2, 3]));
  g.setAttribute('names', str([2], ['ä', 'b']));
  g.setAttribute('flags', v('bool', [2], Uint8Array.of(0, 1)));
  g.setAttribute('units', str([], ['mm']));
  g.setAttribute('units', str([], ['µm'])); // overwrite
  assert.deepEqual(g.attributeNames(), ['big', 'ubig', 'vec', 'names', 'flags', 'units']);
  assert.deepEqual(g.getAttribute('big'), v('int64', [], BigInt64Array.of(9007199254740993n)));
  assert.deepEqual(g.getAttribute('ubig'), v('uint64', [2], BigUint64Array.of(0n, 2n ** 64n - 1n)));
  assert.deepEqual(g.getAttribute('names'), str([2], ['ä', 'b']));
  assert.deepEqual(g.getAttribute('flags'), v('bool', [2], Uint8Array.of(0, 1)));
  assert.deepEqual(g.getAttribute('units'), str([], ['µm']));
  assert.equal(g.getAttribute('none'), undefined);
  f.close();
  const d = readWithH5py(file);
  assert.equal(d.attrs.NX_class!.value, 'NXroot');
  const a = h5get(d, 'a').attrs;
  assert.equal(a.big!.value, '9007199254740993');
  assert.deepEqual(a.ubig!.value, [0, '18446744073709551615']);
  assert.deepEqual(a.flags, { value: [false, true], dtype: 'bool', shape: [2] });
  assert.equal(a.units!.value, 'µm');
  assert.deepEqual(a.vec!.shape, [3]);
});

test('links: soft, hard, external, dangling, and @target', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const data = f.root.createGroup('entry').createGroup('data');
  const inst = f.root.openGroup('entry')!.createGroup('instrument');
  inst.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
  data.createSoftLink('/entry/instrument/x', 'x');
  data.createHardLink('/entry/instrument', 'inst');
  data.createExternalLink('other.h5', '/some/path', 'ext');
  data.createSoftLink('/entry/nothing', 'dangling');
  assert.throws(() => data.createHardLink('/nothing', 'bad'), isCode('FILE_ERROR', /\/nothing does not exist/));
  assert.deepEqual(data.keys().sort(), ['dangling', 'ext', 'inst', 'x']);
  assert.equal(data.openGroup('dangling'), undefined);
  f.close();
  const d = readWithH5py(file);
  assert.equal(h5get(d, 'entry/data/x').kind, 'softlink');
  assert.deepEqual(h5get(d, 'entry/data/x').resolved!.value, [1, 2]);
  assert.equal(h5get(d, 'entry/instrument/x').attrs.target!.value, '/entry/instrument/x');
  assert.equal(h5get(d, 'entry/instrument').attrs.target!.value, '/entry/instrument');
  assert.deepEqual(h5get(d, 'entry/data/ext'), { kind: 'externallink', file: 'other.h5', target: '/some/path' });
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

test('modes, bad input and closed files: clear errors naming the file and the dataset', async (t) => {
  if (noReaders) return t.skip(noReaders);
  const file = tempFile();
  const f = await create(file);
  await assert.rejects(create(file), isCode('FILE_ERROR', /the file exists \(mode 'create' never overwrites it/));
  await assert.rejects(create('/nonexistent-dir/x.nxs'), isCode('FILE_ERROR', /the directory \/nonexistent-dir does not exist/));
  await assert.rejects(create(tempFile('').replace(/\/$/, '')), isCode('FILE_ERROR', /not a regular file|exists/));
  const g = f.root.createGroup('e');
  assert.throws(() => g.createGroup('e/x'), isCode('VALUE_INVALID', /invalid group name 'e\/x'/));
  assert.throws(() => g.createGroup('dup') && g.createGroup('dup'), isCode('FILE_ERROR', /cannot create group \/e\/dup/));
  const a = g.createField('a', { type: 'int32', shape: [0, 3], recordAxis: 0 });
  assert.throws(() => a.append(v('int32', [3], Int32Array.of(1, 2, 3))), isCode('VALUE_INVALID', /\/e\/a: a block of shape \[3\] does not fit a dataset of rank 2/));
  assert.throws(() => a.append(v('string', [1, 3], ['1', 'x', '3'])), isCode('VALUE_INVALID', /\/e\/a: cannot cast string to int32/));
  assert.throws(() => g.createField('r', { type: 'int8', shape: [2], recordAxis: 3 }), isCode('VALUE_INVALID', /record axis 3/));
  const sc = g.createField('sc', { type: 'int8', shape: [], scalar: true });
  assert.throws(() => sc.append(v('int8', [1], Int8Array.of(1))), isCode('VALUE_INVALID', /cannot append to a scalar dataset/));
  assert.throws(() => f.startSwmr!(), isCode('FILE_ERROR', /opened without swmr/));
  f.close();
  assert.throws(() => f.flush(), isCode('FILE_ERROR', /the file is closed/));
  assert.throws(() => g.createGroup('late'), isCode('FILE_ERROR', /the file is closed/));
  f.close(); // twice is harmless
  // append mode reopens, restores type, frame and rows, and continues; it creates a missing file
  const f2 = await new NativeHdf5SinkFactory().open(file, { mode: 'append' });
  const a2 = f2.root.openGroup('e')!.openField('a')!;
  assert.equal(a2.type, 'int32');
  assert.deepEqual(a2.shape, [0, 3]);
  a2.append(v('int32', [1, 3], Int32Array.of(4, 5, 6)));
  f2.close();
  assert.deepEqual(h5get(readWithH5py(file), 'e/a').value, [[4, 5, 6]]);
  const fresh = file.replace(/test\.nxs$/, 'fresh.nxs');
  (await new NativeHdf5SinkFactory().open(fresh, { mode: 'append' })).close();
  assert.equal(existsSync(fresh), true);
});

test('SWMR: an h5py reader with swmr=True sees the dataset grow', { skip }, async () => {
  const file = tempFile();
  const f = await new NativeHdf5SinkFactory().open(file, { mode: 'create', swmr: true });
  const x = f.root.createGroup('e').createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
  x.append(f64([1], [0]));
  f.startSwmr!();
  const script = [
    'import h5py, sys, time',
    "f = h5py.File(sys.argv[1], 'r', libver='latest', swmr=True)",
    "d = f['e/x']",
    'seen = []',
    't0 = time.time()',
    'while time.time() - t0 < 20:',
    '    d.refresh()',
    '    n = d.shape[0]',
    '    if not seen or seen[-1] != n:',
    '        seen.append(n); print(n, float(d[n - 1]), flush=True)',
    '    if n >= 6: break',
    '    time.sleep(0.02)',
  ].join('\n');
  // an SWMR reader takes a shared lock the SWMR writer allows: the default locking stays on
  const reader = spawn(SYSTEM_PYTHON, ['-c', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  reader.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  reader.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const done = new Promise<number | null>((res) => reader.on('close', res));
  await new Promise((r) => setTimeout(r, 700));
  for (let i = 1; i < 6; i++) {
    x.append(f64([1], [i * 1.5]));
    f.flush();
    await new Promise((r) => setTimeout(r, 250));
  }
  const code = await done;
  f.close();
  assert.equal(code, 0, err);
  const lines = out.trim().split('\n').map((l) => l.split(' ').map(Number));
  assert.ok(lines.length >= 3, `the reader saw the data grow: ${out}`);
  assert.deepEqual(lines[lines.length - 1], [6, 7.5]);
});
