// NX_BOOLEAN attributes as h5py bools (an enum over int8 {FALSE, TRUE}), checked with h5py and h5dump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { readWithH5py, h5get, noReaders, tempFile, create, v, f64, str, h5dumpText } from './helpers.js';
import { Hdf5SinkFactory } from '../src/index.js';

const skip = noReaders;
const T = v('bool', [], Uint8Array.of(1));
const F = v('bool', [], Uint8Array.of(0));
const ENUM = /DATATYPE\s+H5T_ENUM \{\s*H5T_STD_I8LE;\s*"FALSE"\s+0;\s*"TRUE"\s+1;/;

/** Python type name and value of every attribute of `obj`, as h5py returns them. */
function pyTypes(file: string, obj: string): Record<string, [string, unknown]> {
  const script = [
    'import h5py, json, sys',
    'f = h5py.File(sys.argv[1], "r")',
    'o = f[sys.argv[2]]',
    'print(json.dumps({k: [type(o.attrs[k]).__name__ + ":" + o.attrs.get_id(k).dtype.str, o.attrs[k].tolist()] for k in o.attrs}))',
  ].join('\n');
  return JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', script, file, obj], { encoding: 'utf8' })) as Record<string, [string, unknown]>;
}

test('bool attributes: scalar and array, on root, groups and datasets, read back before and after flush', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  f.root.setAttribute('root_flag', F);
  const g = f.root.createGroup('entry');
  g.setAttribute('flag', T);
  g.setAttribute('flags', v('bool', [3], Uint8Array.of(1, 0, 7))); // nonzero is true
  const x = g.createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
  x.setAttribute('primary', T);
  x.append(f64([1], [1]));
  // a dataset that waits for its own header patch (bool type) gets a bool attribute too
  const b = g.createField('b', { type: 'bool', shape: [0], recordAxis: 0 });
  b.setAttribute('is_mask', F);
  b.append(v('bool', [1], Uint8Array.of(1)));
  assert.deepEqual(g.getAttribute('flag'), v('bool', [], Uint8Array.of(1)), 'read back while pending');
  f.flush();
  assert.deepEqual(g.getAttribute('flags'), v('bool', [3], Uint8Array.of(1, 0, 1)), 'read back after the patch');
  // readers (without HDF5's lock, as a live viewer) see the bools while the file stays open
  assert.equal(h5get(readWithH5py(file, { unlocked: true }), 'entry').attrs.flag!.dtype, 'bool');
  g.setAttribute('late', T); // after a flush: patched at close
  f.close();

  const d = readWithH5py(file);
  assert.deepEqual(d.attrs.root_flag, { value: false, dtype: 'bool', shape: [] });
  const a = h5get(d, 'entry').attrs;
  assert.deepEqual(a.flag, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(a.flags, { value: [true, false, true], dtype: 'bool', shape: [3] });
  assert.deepEqual(a.late, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(h5get(d, 'entry/x').attrs.primary, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(h5get(d, 'entry/b').attrs.is_mask, { value: false, dtype: 'bool', shape: [] });
  assert.equal(h5get(d, 'entry/b').dtype, 'bool');
  assert.deepEqual(h5get(d, 'entry/b').value, [true]);
  const py = pyTypes(file, 'entry');
  assert.deepEqual(py.flag, ['bool_:|b1', true]);
  assert.deepEqual(py.flags, ['ndarray:|b1', [true, false, true]]);
  assert.match(h5dumpText(['-A', '-a', '/entry/flag', file]), ENUM);
  assert.match(h5dumpText(['-A', '-a', '/root_flag', file]), ENUM);
  assert.match(h5dumpText(['-A', '-a', '/entry/b/is_mask', file]), ENUM);
});

test('bool attributes in dense storage (many attributes, a fractal heap with several blocks)', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const few = f.root.createGroup('few');
  const many = f.root.createGroup('many');
  const lots = f.root.createGroup('lots');
  few.setAttribute('b', T);
  for (let i = 0; i < 12; i++) many.setAttribute(`a${i}`, str([], [`value ${i}`]));
  many.setAttribute('b', T);
  many.setAttribute('bs', v('bool', [4], Uint8Array.of(0, 1, 1, 0)));
  // compact first, moved to dense storage by the attributes that follow
  lots.setAttribute('first', T);
  for (let i = 0; i < 80; i++) lots.setAttribute(`a${i}`, f64([8], new Array(8).fill(i)));
  lots.setAttribute('last', F);
  f.close();
  const d = readWithH5py(file);
  assert.deepEqual(h5get(d, 'few').attrs.b!.dtype, 'bool');
  const m = h5get(d, 'many').attrs;
  assert.deepEqual(m.b, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(m.bs, { value: [false, true, true, false], dtype: 'bool', shape: [4] });
  assert.equal(m.a11!.value, 'value 11');
  const l = h5get(d, 'lots').attrs;
  assert.deepEqual(l.first, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(l.last, { value: false, dtype: 'bool', shape: [] });
  assert.deepEqual(l.a79!.value, new Array(8).fill(79));
  assert.match(h5dumpText(['-A', '-a', '/lots/first', file]), ENUM);
});

test('bool attributes: overwriting in every direction', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const g = f.root.createGroup('g');
  g.setAttribute('a', T);
  g.setAttribute('a', F); // bool over a pending bool
  g.setAttribute('b', T);
  g.setAttribute('b', v('int32', [], Int32Array.of(5))); // int over a pending bool
  g.setAttribute('c', v('int32', [], Int32Array.of(5)));
  g.setAttribute('c', T); // bool over an int
  g.setAttribute('d', T);
  f.flush();
  g.setAttribute('d', v('bool', [2], Uint8Array.of(0, 1))); // bool over a patched bool
  g.setAttribute('e', T);
  g.setAttribute('e', str([], ['text'])); // string over a pending bool
  f.close();
  const a = h5get(readWithH5py(file), 'g').attrs;
  assert.deepEqual(a.a, { value: false, dtype: 'bool', shape: [] });
  assert.deepEqual(a.b, { value: 5, dtype: 'int32', shape: [] });
  assert.deepEqual(a.c, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(a.d, { value: [false, true], dtype: 'bool', shape: [2] });
  assert.deepEqual(a.e, { value: 'text', dtype: 'string', shape: [] });
});

test('bool attributes fall back to int8 where headers cannot be patched: version-1 headers, SWMR', { skip }, async () => {
  // a file written by h5py with version-1 object headers (libver earliest), then appended to
  const file = tempFile('old.h5');
  execFileSync(SYSTEM_PYTHON, ['-c', 'import h5py, sys; f = h5py.File(sys.argv[1], "w", libver="earliest"); f.create_group("g"); f.close()', file]);
  const f = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  const g = f.root.openGroup('g')!;
  g.setAttribute('flag', T);
  g.setAttribute('n', v('int16', [], Int16Array.of(3)));
  f.close();
  const a = h5get(readWithH5py(file), 'g').attrs;
  assert.deepEqual(a.flag, { value: 1, dtype: 'int8', shape: [] });
  assert.deepEqual(a.n, { value: 3, dtype: 'int16', shape: [] });

  // SWMR: the file cannot be closed for a patch once SWMR writing started
  const sw = tempFile('swmr.nxs');
  const s = await new Hdf5SinkFactory().open(sw, { mode: 'create', swmr: true });
  const e = s.root.createGroup('e');
  e.setAttribute('before', T);
  s.startSwmr!();
  e.setAttribute('after', T);
  s.close();
  const b = h5get(readWithH5py(sw), 'e').attrs;
  assert.deepEqual(b.before, { value: true, dtype: 'bool', shape: [] });
  assert.deepEqual(b.after, { value: 1, dtype: 'int8', shape: [] });
});
