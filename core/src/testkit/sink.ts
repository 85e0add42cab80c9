/**
 * The shared test kit for HDF5 sinks: helpers (temp files, value builders, the factory under
 * test) and the behaviour every HDF5 sink must show, checked with independent readers (h5py and
 * h5dump). Each sink's test suite calls `runSinkKit` with its factory and adds its own tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NxswError } from '../api/errors.js';
import type { ElementType, NxValue } from '../api/values.js';
import type { ReadField, ReadGroup, SinkFactory, SinkFile } from '../api/extensions.js';
import { readWithH5py, h5get, haveH5py, serviceSkip, SYSTEM_PYTHON, type H5File } from './index.js';

export interface SinkUnderTest<O = Record<string, unknown>> {
  /** a factory with these sink options */
  factory(options?: O): SinkFactory;
  /** prefix of the temp directories (says which sink left them) */
  tmpPrefix: string;
  /** skip reason (or false) for the sink itself, e.g. a missing system library */
  unavailable?: string | false;
  /** the message of the FILE_ERROR for a mandatory filter that is not available, after "/z/mand: " */
  unavailableFilter: RegExp;
  /** the FILE_ERROR message for an existing file that is not HDF5, opened in mode 'append' */
  notHdf5: RegExp;
  /** the FILE_ERROR message for a directory given as the output file */
  isDirectory: RegExp;
  /** whether keys() lists links and objects in creation order (else the order is not checked) */
  keysInCreationOrder: boolean;
}

export function hasH5dump(): boolean {
  try {
    execFileSync('h5dump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function v(type: ElementType, shape: number[], data: NxValue['data']): NxValue {
  return { type, shape, data };
}
export const f64 = (shape: number[], xs: number[]): NxValue => v('float64', shape, Float64Array.from(xs));
export const str = (shape: number[], xs: string[]): NxValue => v('string', shape, xs);

/** h5dump's text; without HDF5's lock, so that it reads files a sink still holds */
export function h5dumpText(args: string[]): string {
  return execFileSync('h5dump', args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, HDF5_USE_FILE_LOCKING: 'FALSE' } });
}

export const isCode = (code: string, re: RegExp) => (e: unknown) => e instanceof NxswError && e.code === code && re.test(e.message);

/** The helpers a sink's tests use, bound to that sink. */
export function sinkHelpers<O>(sut: SinkUnderTest<O>) {
  /** skip reason (or false) for tests that need the sink, h5py and h5dump */
  const noReaders = sut.unavailable || serviceSkip('h5py and h5dump', haveH5py() && hasH5dump(), 'apt-get install python3-h5py hdf5-tools');
  return {
    noReaders,
    tempFile: (name = 'test.nxs'): string => join(mkdtempSync(join(tmpdir(), sut.tmpPrefix)), name),
    create: (file: string, options?: O): Promise<SinkFile> => sut.factory(options).open(file, { mode: 'create' }),
    append: (file: string, options?: O): Promise<SinkFile> => sut.factory(options).open(file, { mode: 'append' }),
  };
}

/** Registers the tests every HDF5 sink passes. */
export function runSinkKit<O>(sut: SinkUnderTest<O>): void {
  const { noReaders: skip, tempFile, create, append } = sinkHelpers(sut);

  test('every element type: dtype and values, 64-bit extremes, float32, bool as h5py enum; read while open and after close', { skip }, async () => {
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
    const slice = (data: ArrayLike<unknown>, a: number, b: number) => (data as never as { slice(a: number, b: number): never }).slice(a, b);
    for (const [type, data] of cases) {
      g.createField(type, { type, shape: [3] }).write(v(type, [3], data as never));
      g.createField(`${type}_scalar`, { type, shape: [], scalar: true }).write(v(type, [], slice(data, 0, 1)));
      g.createField(`${type}_one`, { type, shape: [1] }).write(v(type, [1], slice(data, 2, 3)));
    }
    const check = (d: H5File) => {
      for (const [type, data] of cases) {
        const n = h5get(d, `t/${type}`);
        assert.equal(n.dtype, type, type);
        assert.deepEqual(n.shape, [3]);
        assert.deepEqual(n.maxshape, [-1]);
        const expected = Array.from(data as ArrayLike<number | bigint>, (x) => {
          if (type === 'bool') return x === 1;
          if (typeof x === 'bigint') return x > 2n ** 53n || x < -(2n ** 53n) ? String(x) : Number(x);
          return x;
        });
        assert.deepEqual(n.value, expected, type);
        const s = h5get(d, `t/${type}_scalar`);
        assert.deepEqual(s.shape, [], `${type} scalar has a SCALAR dataspace`);
        assert.equal(s.chunks, null, `${type} scalar is contiguous`);
        assert.deepEqual(s.value, expected[0]);
        const one = h5get(d, `t/${type}_one`);
        assert.deepEqual(one.shape, [1]);
        assert.deepEqual(one.maxshape, [-1]);
        assert.deepEqual(one.value, [expected[2]]);
      }
      // the C tools see h5py's bool: an enum over int8 {FALSE, TRUE}
      assert.match(h5dumpText(['-H', '-d', '/t/bool', file]), /H5T_ENUM \{\s*H5T_STD_I8LE;\s*"FALSE"\s+0;\s*"TRUE"\s+1;/);
    };
    f.flush();
    // read while the file is still open: nothing waits for a close
    check(readWithH5py(file, { unlocked: true }));
    f.close();
    check(readWithH5py(file));
  });

  test('variable-length UTF-8 strings: scalar, arrays and appends (single rows and blocks, along axes 0 and 1)', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    const e = f.root.createGroup('entry');
    e.createField('title', { type: 'string', shape: [], scalar: true }).write(str([], ['Ünïcødé title ✓']));
    e.createField('names', { type: 'string', shape: [2] }).write(str([2], ['a', 'bb ✓']));
    const s = e.createField('steps', { type: 'string', shape: [0], recordAxis: 0 });
    for (let i = 0; i < 5; i++) {
      s.append(str([1], [`step ${i} é`]));
      if (i % 2) f.flush();
    }
    s.append(str([2], ['', 'x'.repeat(1000)]));
    assert.deepEqual(s.shape, [7]);
    const m = e.createField('matrix', { type: 'string', shape: [2, 0], recordAxis: 1 });
    m.append(str([1, 2], ['r0a', 'r0b']));
    m.append(str([1, 2], ['r1a', 'r1b']));
    const block = e.createField('block', { type: 'string', shape: [2, 0], recordAxis: 1 });
    block.append(str([2, 2], ['r0a', 'r0b', 'r1a', 'r1b'])); // two records in one block
    f.close();
    const d = readWithH5py(file);
    const title = h5get(d, 'entry/title');
    assert.equal(title.dtype, 'string');
    assert.deepEqual(title.shape, []);
    assert.equal(title.value, 'Ünïcødé title ✓');
    assert.deepEqual(h5get(d, 'entry/names').value, ['a', 'bb ✓']);
    const steps = h5get(d, 'entry/steps');
    assert.deepEqual(steps.value, ['step 0 é', 'step 1 é', 'step 2 é', 'step 3 é', 'step 4 é', '', 'x'.repeat(1000)]);
    assert.deepEqual(steps.maxshape, [-1]);
    assert.deepEqual(h5get(d, 'entry/matrix').value, [['r0a', 'r1a'], ['r0b', 'r1b']]);
    assert.deepEqual(h5get(d, 'entry/block').value, [['r0a', 'r1a'], ['r0b', 'r1b']]);
    assert.match(h5dumpText(['-H', '-d', '/entry/title', file]), /STRSIZE H5T_VARIABLE;[\s\S]*CSET H5T_CSET_UTF8;[\s\S]*DATASPACE\s+SCALAR/);
  });

  test('appends along record axis 0, 1 and 2, in blocks, with frame growth and padding', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    const g = f.root.createGroup('d');
    const scalars = g.createField('scalars', { type: 'float64', shape: [0], recordAxis: 0 });
    scalars.append(f64([1], [1]));
    scalars.append(f64([3], [2, 3, 4])); // a block of three steps
    assert.equal(scalars.rows, 4);
    assert.deepEqual(scalars.shape, [4]);
    // spectrum of length 3 along axis 1 -> (3, N)
    const spec = g.createField('spectrum', { type: 'int32', shape: [3, 0], recordAxis: 1, frameShape: [3] });
    spec.append(v('int32', [1, 3], Int32Array.from([1, 2, 3])));
    spec.append(v('int32', [2, 3], Int32Array.from([4, 5, 6, 7, 8, 9])));
    // 2x2 image along axis 2 -> (2, 2, N)
    const img = g.createField('image', { type: 'uint16', shape: [2, 2, 0], recordAxis: 2 });
    img.append(v('uint16', [1, 2, 2], Uint16Array.from([1, 2, 3, 4])));
    img.append(v('uint16', [1, 2, 2], Uint16Array.from([5, 6, 7, 8])));
    // created with frame axes 0/1, the first frame sets them, a smaller one is padded, a larger one grows them
    const grow = g.createField('grow', { type: 'int16', shape: [0, 1], recordAxis: 0 });
    grow.append(v('int16', [1, 2], Int16Array.from([1, 2])));
    assert.deepEqual(grow.shape, [1, 2]);
    grow.append(v('int16', [1, 1], Int16Array.from([3])));
    f.flush();
    grow.append(v('int16', [1, 4], Int16Array.from([4, 5, 6, 7])));
    assert.deepEqual(grow.shape, [3, 4], 'shape includes pending rows');
    const img2 = g.createField('image0', { type: 'int8', shape: [0, 0, 0], recordAxis: 0 });
    img2.append(v('int8', [1, 1, 2], Int8Array.from([1, 2])));
    img2.append(v('int8', [1, 2, 1], Int8Array.from([3, 4])));
    assert.deepEqual(img2.shape, [2, 2, 2]);
    f.close();
    const d = readWithH5py(file);
    assert.deepEqual(h5get(d, 'd/scalars').value, [1, 2, 3, 4]);
    assert.deepEqual(h5get(d, 'd/spectrum').shape, [3, 3]);
    assert.deepEqual(h5get(d, 'd/spectrum').value, [[1, 4, 7], [2, 5, 8], [3, 6, 9]]);
    assert.deepEqual(h5get(d, 'd/image').shape, [2, 2, 2]);
    assert.deepEqual(h5get(d, 'd/image').value, [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
    assert.deepEqual(h5get(d, 'd/grow').value, [[1, 2, 0, 0], [3, 0, 0, 0], [4, 5, 6, 7]]);
    assert.deepEqual(h5get(d, 'd/image0').value, [[[1, 2], [0, 0]], [[3, 0], [4, 0]]]);
  });

  test('read() gives back every element type exactly, buffered rows and pending bool datasets included', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    const g = f.root.createGroup('r');
    const cases: Array<[ElementType, ArrayLike<unknown>]> = [
      ['int8', Int8Array.from([-128, 0, 127])], ['uint8', Uint8Array.from([0, 1, 255])], ['int16', Int16Array.from([-32768, 5, 32767])],
      ['uint16', Uint16Array.from([0, 7, 65535])], ['int32', Int32Array.from([-2147483648, 9, 2147483647])], ['uint32', Uint32Array.from([0, 11, 4294967295])],
      ['int64', BigInt64Array.from([-(2n ** 63n), 9007199254740993n, 2n ** 63n - 1n])],
      ['uint64', BigUint64Array.from([0n, 2n ** 64n - 1n, 5n])], ['float32', Float32Array.from([0.1, -2.5, 3])],
      ['float64', Float64Array.from([0.1, NaN, Number.MAX_VALUE])], ['bool', Uint8Array.from([1, 0, 1])], ['string', ['a', '', 'ünïcode ✓']],
    ];
    for (const [type, data] of cases) {
      const w = g.createField(type, { type, shape: [3] });
      w.write(v(type, [3], data as never));
      const back = w.read!();
      assert.deepEqual([back.type, back.shape, Array.from(back.data as ArrayLike<unknown>)], [type, [3], Array.from(data)], type);
    }
    const title = g.createField('title', { type: 'string', shape: [], scalar: true });
    title.write(str([], ['ünïcode ✓']));
    assert.deepEqual([title.read!().shape, title.read!().data], [[], ['ünïcode ✓']]);
    // appended rows still in the buffer, along record axis 1
    const series = g.createField('series', { type: 'int32', shape: [2, 0], recordAxis: 1 });
    series.append(v('int32', [2, 2], Int32Array.from([1, 2, 3, 4])));
    const s = series.read!();
    assert.deepEqual([s.shape, Array.from(s.data as Int32Array)], [[2, 2], [1, 3, 2, 4]]);
    series.append(v('int32', [1, 2], Int32Array.from([5, 6])));
    assert.deepEqual(Array.from(series.read!().data as Int32Array), [1, 3, 5, 2, 4, 6]);
    f.close();
    // the file h5py reads holds the same
    assert.deepEqual(h5get(readWithH5py(file), 'r/series').value, [[1, 3, 5], [2, 4, 6]]);

  });

  test('openReader: readSlice reads hyperslabs of a closed file (every axis, strings, scalars, empty), refuses outside the shape; links name their target', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    const g = f.root.createGroup('s');
    // 4 records of 3 channels along record axis 0; a matrix appended along axis 1
    g.createField('frames', { type: 'int32', shape: [0, 3], recordAxis: 0 }).append(v('int32', [4, 3], Int32Array.from({ length: 12 }, (_, i) => i)));
    g.createField('cols', { type: 'float64', shape: [2, 0], recordAxis: 1 }).append(f64([3, 2], [1, 2, 3, 4, 5, 6]));
    g.createField('names', { type: 'string', shape: [0], recordAxis: 0 }).append(str([4], ['a', 'bé', '', 'd']));
    g.createField('flags', { type: 'bool', shape: [3] }).write(v('bool', [3], Uint8Array.from([1, 0, 1])));
    g.createField('title', { type: 'string', shape: [], scalar: true }).write(str([], ['ünïcode']));
    g.createField('big', { type: 'uint64', shape: [3] }).write(v('uint64', [3], BigUint64Array.from([1n, 2n ** 64n - 1n, 3n])));
    g.createSoftLink('/s/nowhere', 'dangling');
    g.createExternalLink('other.h5', '/x', 'ext');
    g.createSoftLink('/s/frames', 'framesLink');
    f.root.createSoftLink('s', 'sLink');
    f.close();
    const reader = await sut.factory().openReader!(file);
    try {
      const s = reader.root.children().find((c) => c.name === 's')!.node;
      assert.equal(s.kind, 'group');
      const kids = new Map((s as ReadGroup).children().map((c) => [c.name, c.node]));
      const field = (name: string): ReadField => {
        const n = kids.get(name);
        assert.equal(n?.kind, 'field', name);
        return n as ReadField;
      };
      const slice = (name: string, start: number[], count: number[]) => {
        const x = field(name).readSlice!(start, count)!;
        return [x.type, x.shape, Array.from(x.data as ArrayLike<unknown>)];
      };
      assert.deepEqual(slice('frames', [1, 0], [2, 3]), ['int32', [2, 3], [3, 4, 5, 6, 7, 8]]);
      assert.deepEqual(slice('frames', [0, 2], [4, 1]), ['int32', [4, 1], [2, 5, 8, 11]]);
      assert.deepEqual(slice('frames', [3, 1], [1, 1]), ['int32', [1, 1], [10]]);
      assert.deepEqual(slice('cols', [0, 1], [2, 2]), ['float64', [2, 2], [3, 5, 4, 6]]);
      assert.deepEqual(slice('names', [1], [2]), ['string', [2], ['bé', '']]);
      assert.deepEqual(slice('flags', [1], [2]), ['bool', [2], [0, 1]]);
      assert.deepEqual(slice('title', [], []), ['string', [], ['ünïcode']]);
      assert.deepEqual(slice('big', [1], [1]), ['uint64', [1], [2n ** 64n - 1n]]);
      assert.deepEqual(slice('frames', [4, 0], [0, 3]), ['int32', [0, 3], []]);
      assert.throws(() => field('frames').readSlice!([3, 0], [2, 3]), isCode('VALUE_INVALID', /\/s\/frames: the slice start \[3,0\] count \[2,3\] is outside the shape \[4,3\]/));
      assert.throws(() => field('frames').readSlice!([0], [1]), isCode('VALUE_INVALID', /is outside the shape \[4,3\]/));
      assert.deepEqual(kids.get('dangling'), { kind: 'unresolved', path: '/s/dangling', reason: 'a soft link to /s/nowhere, which does not exist', link: { path: '/s/nowhere' } });
      const ext = kids.get('ext');
      assert.equal(ext?.kind, 'unresolved');
      assert.deepEqual((ext as { link?: unknown }).link, { file: 'other.h5', path: '/x' });
      // a soft link that resolves reads as its target under its own path, with the link's value; objects stored here have none
      assert.deepEqual([field('framesLink').path, field('framesLink').softLink, field('framesLink').shape, field('frames').softLink], ['/s/framesLink', '/s/frames', [4, 3], undefined]);
      const sLink = reader.root.children().find((c) => c.name === 'sLink')!.node;
      assert.deepEqual([sLink.kind, sLink.path, (sLink as ReadGroup).softLink, (s as ReadGroup).softLink], ['group', '/sLink', 's', undefined]);
    } finally {
      reader.close();
    }
    // h5py reads the same slices
    assert.deepEqual(h5get(readWithH5py(file), 's/frames').value, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]);
  });

  test('read() of a file h5py wrote: fixed-length strings, big-endian integers, h5py bools; fixed-length strings are not appended to', { skip }, async () => {
    const other = tempFile('h5py.h5');
    execFileSync(SYSTEM_PYTHON, ['-c', [
      'import h5py, numpy as np, sys',
      "f = h5py.File(sys.argv[1], 'w')",
      "f['fixed'] = np.array([b'ab', b'cde'], dtype='S4')",
      "f['fixed_scalar'] = np.bytes_(b'one')",
      "f['be'] = np.array([1, -2, 2**40], dtype='>i8')",
      "f['be_float'] = np.array([0.5, -2], dtype='>f4')",
      "f['flag'] = np.array([True, False])",
      'f.close()',
    ].join('\n'), other]);
    const h = await append(other);
    const read = (name: string) => {
      const x = h.root.openField(name)!.read!();
      return [x.type, x.shape, Array.from(x.data as ArrayLike<unknown>)];
    };
    assert.deepEqual(read('fixed'), ['string', [2], ['ab', 'cde']]);
    assert.deepEqual(read('fixed_scalar'), ['string', [], ['one']]);
    assert.deepEqual(read('be'), ['int64', [3], [1n, -2n, 2n ** 40n]]);
    assert.deepEqual(read('be_float'), ['float32', [2], [0.5, -2]]);
    assert.deepEqual(read('flag'), ['bool', [2], [1, 0]]);
    assert.throws(() => h.root.openField('fixed')!.append(str([1], ['x'])), isCode('FILE_ERROR', /\/fixed: cannot append: it holds fixed-length strings/));
    assert.throws(() => h.root.openField('fixed')!.write(str([2], ['x', 'y'])), isCode('FILE_ERROR', /\/fixed: cannot write: it holds fixed-length strings/));
    h.close();
  });

  test('attributes: typed, scalar vs array, 64-bit exact, bool, overwrite with another type, read back', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    f.root.setAttribute('NX_class', str([], ['NXroot']));
    const g = f.root.createGroup('a');
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
    const e = f.root.createGroup('entry');
    e.setAttribute('NX_class', str([], ['NXentry']));
    e.setAttribute('NX_class', str([], ['NXsubentry'])); // overwrite: delete first
    e.setAttribute('big', v('int64', [], BigInt64Array.of(-(2n ** 63n))));
    e.setAttribute('ubig', v('uint64', [2], BigUint64Array.of(2n ** 64n - 1n, 1n)));
    e.setAttribute('f32', v('float32', [], Float32Array.of(0.1)));
    e.setAttribute('vec', v('int16', [3], Int16Array.of(1, -2, 3)));
    e.setAttribute('names', str([2], ['a', 'ü']));
    e.setAttribute('count', v('int32', [], Int32Array.of(1)));
    e.setAttribute('count', f64([], [2.5])); // overwrite with another type
    const fld = e.createField('x', { type: 'float64', shape: [1] });
    fld.setAttribute('units', str([], ['mm']));
    assert.deepEqual(e.getAttribute('NX_class'), { type: 'string', shape: [], data: ['NXsubentry'] });
    assert.deepEqual(e.getAttribute('ubig'), v('uint64', [2], BigUint64Array.of(2n ** 64n - 1n, 1n)));
    assert.deepEqual(e.getAttribute('vec'), v('int16', [3], Int16Array.of(1, -2, 3)));
    assert.equal(e.getAttribute('missing'), undefined);
    assert.deepEqual(fld.attributeNames(), ['units']);
    f.close();
    const d = readWithH5py(file);
    assert.equal(d.attrs.NX_class!.value, 'NXroot');
    const a = h5get(d, 'a').attrs;
    assert.equal(a.big!.value, '9007199254740993');
    assert.deepEqual(a.ubig!.value, [0, '18446744073709551615']);
    assert.deepEqual(a.flags, { value: [false, true], dtype: 'bool', shape: [2] });
    assert.equal(a.units!.value, 'µm');
    assert.deepEqual(a.vec!.shape, [3]);
    const b = h5get(d, 'entry').attrs;
    assert.deepEqual(b.NX_class, { value: 'NXsubentry', dtype: 'string', shape: [] });
    assert.deepEqual(b.big, { value: String(-(2n ** 63n)), dtype: 'int64', shape: [] });
    assert.deepEqual(b.ubig, { value: [String(2n ** 64n - 1n), 1], dtype: 'uint64', shape: [2] });
    assert.deepEqual(b.f32, { value: Math.fround(0.1), dtype: 'float32', shape: [] });
    assert.deepEqual(b.vec, { value: [1, -2, 3], dtype: 'int16', shape: [3] });
    assert.deepEqual(b.names, { value: ['a', 'ü'], dtype: 'string', shape: [2] });
    assert.deepEqual(b.count, { value: 2.5, dtype: 'float64', shape: [] });
    assert.equal(h5get(d, 'entry/x').attrs.units!.value, 'mm');
  });

  test('links: soft (absolute and relative), hard, external, dangling, what each points to, and @target', { skip }, async () => {
    const extFile = tempFile('ext.nxs');
    const ext = await create(extFile);
    ext.root.createGroup('data').createField('y', { type: 'int32', shape: [2] }).write(v('int32', [2], Int32Array.of(5, 6)));
    ext.close();
    const file = extFile.replace(/ext\.nxs$/, 'main.nxs');
    const f = await create(file);
    const e = f.root.createGroup('entry');
    const inst = e.createGroup('instrument');
    inst.createField('counts', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
    const data = e.createGroup('data');
    data.createSoftLink('/entry/instrument/counts', 'counts');
    data.createSoftLink('../instrument', 'inst'); // relative target
    data.createHardLink('/entry/instrument/counts', 'hard');
    data.createHardLink('/entry/instrument', 'hardgroup');
    data.createSoftLink('/entry/not/yet', 'dangling');
    data.createExternalLink('ext.nxs', '/data/y', 'ext');
    data.createExternalLink('other.h5', '/some/path', 'nofile');
    assert.throws(() => data.createHardLink('/nothing', 'bad'), isCode('FILE_ERROR', /\/nothing does not exist/));
    const keys = ['counts', 'inst', 'hard', 'hardgroup', 'dangling', 'ext', 'nofile'];
    assert.deepEqual(sut.keysInCreationOrder ? data.keys() : data.keys().sort(), sut.keysInCreationOrder ? keys : [...keys].sort());
    // what each link points to: soft and external links name their target, hard links and objects nothing
    assert.deepEqual(data.link!('counts'), { path: '/entry/instrument/counts' });
    assert.deepEqual(data.link!('dangling'), { path: '/entry/not/yet' });
    assert.deepEqual(data.link!('nofile'), { file: 'other.h5', path: '/some/path' });
    assert.equal(data.link!('hardgroup'), undefined);
    assert.equal(e.link!('instrument'), undefined);
    // what is not there is undefined, not an error: a dangling link, a missing name, a missing file
    assert.equal(data.link!('missing'), undefined);
    assert.equal(data.openGroup('dangling'), undefined);
    assert.equal(data.openField('dangling'), undefined);
    assert.equal(data.openGroup('missing'), undefined);
    assert.equal(data.openField('missing'), undefined);
    assert.equal(data.openGroup('nofile'), undefined);
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
    assert.deepEqual(h5get(d, 'entry/data/nofile'), { kind: 'externallink', file: 'other.h5', target: '/some/path' });
    assert.equal(h5get(d, 'entry/instrument/counts').attrs.target!.value, '/entry/instrument/counts');
    assert.equal(h5get(d, 'entry/instrument').attrs.target!.value, '/entry/instrument');
    assert.match(h5dumpText(['-H', '-g', '/entry/data', file]), /SOFTLINK "dangling" \{\s*LINKTARGET "\/entry\/not\/yet"/);
  });

  test('filters: deflate + shuffle, fletcher32, bool datasets, unavailable filters; h5py reads them while the file is open', { skip }, async () => {
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
    g.setAttribute('ok', v('bool', [], Uint8Array.of(1)));
    // an unavailable optional filter is skipped; a mandatory one is a clear error
    g.createField('opt', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 32008, optional: true }] }).append(f64([1], [7]));
    g.createField('opt2', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 1 }, { id: 32001, optional: true }] }).append(f64([1], [8]));
    assert.throws(() => g.createField('mand', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 32008 }] }),
      isCode('FILE_ERROR', new RegExp(`/z/mand: ${sut.unavailableFilter.source}`)));
    assert.throws(() => g.createField('lvl', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 1, cdValues: [12] }] }), /deflate level 12/);
    const check = (d: H5File) => {
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
      assert.deepEqual(h5get(d, 'z').attrs.ok, { value: true, dtype: 'bool', shape: [] });
      assert.deepEqual(h5get(d, 'z/opt').filters, []);
      assert.deepEqual(h5get(d, 'z/opt2').filters, [1]);
      assert.deepEqual(h5get(d, 'z/opt2').value, [8]);
      // the compressed data is smaller than the raw 20 kB: the filters really ran
      const dump = h5dumpText(['-H', '-p', '-d', '/z/sd', file]);
      assert.match(dump, /SIZE \d+ \(\d+\.\d+:1 COMPRESSION\)/);
      const m = /SIZE (\d+) /.exec(dump);
      assert.ok(Number(m![1]) < 5000, `the filters ran: ${m![1]} bytes stored for 20 000`);
    };
    f.flush();
    check(readWithH5py(file, { unlocked: true }));
    f.close();
    check(readWithH5py(file));
  });

  test('modes and file errors name the file', { skip: sut.unavailable || false }, async () => {
    const file = tempFile();
    (await create(file)).close();
    await assert.rejects(create(file), isCode('FILE_ERROR', /the file exists \(mode 'create' never overwrites it/));
    const missing = join(dirname(file), 'no', 'such', 'dir', 'x.nxs');
    await assert.rejects(create(missing), isCode('FILE_ERROR', /no\/such\/dir.*does not exist/));
    await assert.rejects(create('/nonexistent-dir/x.nxs'), isCode('FILE_ERROR', /the directory \/nonexistent-dir does not exist/));
    const notHdf5 = join(dirname(file), 'text.nxs');
    writeFileSync(notHdf5, 'not an HDF5 file');
    await assert.rejects(append(notHdf5), isCode('FILE_ERROR', sut.notHdf5));
    const d = join(dirname(file), 'adir.nxs');
    mkdirSync(d);
    await assert.rejects(create(d), isCode('FILE_ERROR', sut.isDirectory));
  });

  test('bad input: clear errors naming the dataset, nothing crashes; a closed file refuses work', { skip: sut.unavailable || false }, async () => {
    const file = tempFile();
    const f = await create(file);
    const g = f.root.createGroup('e');
    assert.throws(() => g.createGroup(''), isCode('VALUE_INVALID', /invalid group name/));
    assert.throws(() => g.createGroup('a/b'), isCode('VALUE_INVALID', /invalid group name 'a\/b'/));
    g.createGroup('dup');
    assert.throws(() => g.createGroup('dup'), isCode('FILE_ERROR', /cannot create group \/e\/dup/));
    const s = g.createField('s', { type: 'float64', shape: [], scalar: true });
    assert.throws(() => s.append(f64([1], [1])), isCode('VALUE_INVALID', /\/e\/s: cannot append to a scalar dataset/));
    assert.throws(() => s.write(f64([2], [1, 2])), isCode('VALUE_INVALID', /scalar dataset cannot hold a value of shape \[2\]/));
    const a = g.createField('a', { type: 'int32', shape: [0, 3], recordAxis: 0 });
    assert.throws(() => a.append(v('int32', [3], Int32Array.of(1, 2, 3))), isCode('VALUE_INVALID', /\/e\/a: a block of shape \[3\] does not fit a dataset of rank 2/));
    assert.throws(() => a.append(v('string', [1, 3], ['1', 'x', '3'])), isCode('VALUE_INVALID', /\/e\/a: cannot cast string to int32/));
    assert.throws(() => g.createField('r', { type: 'int8', shape: [2], recordAxis: 3 }), isCode('VALUE_INVALID', /record axis 3/));
    a.append(v('string', [1, 3], ['1', '2', '3'])); // castable values are cast
    assert.deepEqual(a.shape, [1, 3]);
    assert.throws(() => f.startSwmr!(), isCode('FILE_ERROR', /opened without swmr/));
    f.close();
    assert.throws(() => f.flush(), isCode('FILE_ERROR', /the file is closed/));
    assert.throws(() => g.createGroup('late'), isCode('FILE_ERROR', /the file is closed/));
    f.close(); // twice is harmless
  });

  test('write() replaces the content and resizes; append mode reopens, restores type, frame and rows, and continues; it creates a missing file', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    const g = f.root.createGroup('e');
    const w = g.createField('w', { type: 'float64', shape: [1] });
    w.write(f64([4], [1, 2, 3, 4]));
    w.write(f64([2], [5, 6]));
    assert.deepEqual(w.shape, [2]);
    const s = g.createField('steps', { type: 'int64', shape: [0], recordAxis: 0 });
    s.append(v('int64', [2], BigInt64Array.of(1n, 2n)));
    g.createField('a', { type: 'int32', shape: [0, 3], recordAxis: 0 });
    f.close();
    const f2 = await append(file);
    const e2 = f2.root.openGroup('e')!;
    assert.ok(e2);
    assert.equal(f2.root.openGroup('nothing'), undefined);
    const s2 = e2.openField('steps')!;
    assert.equal(s2.type, 'int64');
    assert.equal(s2.rows, 2);
    s2.append(v('int64', [1], BigInt64Array.of(3n)));
    const a2 = e2.openField('a')!;
    assert.equal(a2.type, 'int32');
    assert.deepEqual(a2.shape, [0, 3]);
    a2.append(v('int32', [1, 3], Int32Array.of(4, 5, 6)));
    e2.createField('b', { type: 'bool', shape: [0], recordAxis: 0 }).append(v('bool', [1], Uint8Array.of(1)));
    f2.close();
    const f3 = await append(file);
    assert.equal(f3.root.openGroup('e')!.openField('b')!.type, 'bool');
    f3.close();
    const d = readWithH5py(file);
    assert.deepEqual(h5get(d, 'e/w').value, [5, 6]);
    assert.deepEqual(h5get(d, 'e/steps').value, [1, 2, 3]);
    assert.deepEqual(h5get(d, 'e/a').value, [[4, 5, 6]]);
    assert.deepEqual(h5get(d, 'e/b').value, [true]);
    // 'append' creates a missing file
    const fresh = file.replace(/test\.nxs$/, 'fresh.nxs');
    (await append(fresh)).close();
    assert.equal(existsSync(fresh), true);
  });

  test('openField in append mode restores type, frame shape and rows for every record axis', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    const g = f.root.createGroup('e');
    g.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
    g.createField('spec', { type: 'int32', shape: [0, 3], recordAxis: 0 }).append(v('int32', [2, 3], Int32Array.of(1, 2, 3, 4, 5, 6)));
    g.createField('img', { type: 'uint16', shape: [2, 2, 0], recordAxis: 2 }).append(v('uint16', [1, 2, 2], Uint16Array.of(1, 2, 3, 4)));
    g.createField('flag', { type: 'bool', shape: [0], recordAxis: 0 }).append(v('bool', [1], Uint8Array.of(1)));
    g.createField('names', { type: 'string', shape: [0], recordAxis: 0 }).append(str([1], ['a']));
    g.createField('grow', { type: 'int16', shape: [0, 0], recordAxis: 0 }).append(v('int16', [1, 2], Int16Array.of(1, 2)));
    g.createField('empty', { type: 'float32', shape: [0, 4], recordAxis: 0 });
    g.createField('title', { type: 'string', shape: [], scalar: true }).write(str([], ['t']));
    f.close();

    const f2 = await append(file);
    const e = f2.root.openGroup('e')!;
    const x = e.openField('x', { recordAxis: 0 })!;
    assert.deepEqual([x.type, x.shape, x.rows], ['float64', [2], 2]);
    const spec = e.openField('spec', { recordAxis: 0 })!;
    assert.deepEqual([spec.shape, spec.rows], [[2, 3], 2]);
    const img = e.openField('img', { recordAxis: 2 })!;
    assert.deepEqual([img.type, img.shape, img.rows], ['uint16', [2, 2, 1], 1]);
    const flag = e.openField('flag')!;
    assert.equal(flag.type, 'bool');
    const names = e.openField('names')!;
    const grow = e.openField('grow')!;
    const empty = e.openField('empty')!;
    assert.deepEqual([empty.shape, empty.rows], [[0, 4], 0]);
    const title = e.openField('title')!;
    assert.deepEqual(title.shape, []);
    assert.equal(e.openField('x', { recordAxis: 0 }), x, 'a second open returns the live field');
    assert.throws(() => e.openField('x', { recordAxis: 1 }), /record axis 1 is outside the shape \[2\]/);

    x.append(f64([1], [3]));
    assert.deepEqual(e.openField('x')!.shape, [3], 'buffered rows count in a reopened field');
    spec.append(v('int32', [1, 3], Int32Array.of(7, 8, 9)));
    img.append(v('uint16', [1, 2, 2], Uint16Array.of(5, 6, 7, 8)));
    flag.append(v('bool', [2], Uint8Array.of(0, 1)));
    names.append(str([1], ['b ✓']));
    grow.append(v('int16', [1, 1], Int16Array.of(3))); // smaller frame: padded
    grow.append(v('int16', [1, 3], Int16Array.of(4, 5, 6))); // larger frame: grows
    empty.append(v('float32', [1, 4], Float32Array.of(1, 2, 3, 4)));
    title.write(str([], ['new title']));
    assert.deepEqual(grow.shape, [3, 3]);
    f2.flush();
    f2.close();

    const d = readWithH5py(file);
    assert.deepEqual(h5get(d, 'e/x').value, [1, 2, 3]);
    assert.deepEqual(h5get(d, 'e/spec').value, [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    assert.deepEqual(h5get(d, 'e/img').value, [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]);
    assert.equal(h5get(d, 'e/flag').dtype, 'bool');
    assert.deepEqual(h5get(d, 'e/flag').value, [true, false, true]);
    assert.deepEqual(h5get(d, 'e/names').value, ['a', 'b ✓']);
    assert.deepEqual(h5get(d, 'e/grow').value, [[1, 2, 0], [3, 0, 0], [4, 5, 6]]);
    assert.deepEqual(h5get(d, 'e/empty').value, [[1, 2, 3, 4]]);
    assert.equal(h5get(d, 'e/title').value, 'new title');
  });

  test('flush: another process reads everything appended so far while the file stays open', { skip }, async () => {
    const file = tempFile();
    const f = await create(file);
    const g = f.root.createGroup('e');
    const x = g.createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
    const flag = g.createField('flag', { type: 'bool', shape: [0], recordAxis: 0 });
    const z = g.createField('z', { type: 'int32', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 1 }] });
    for (let i = 0; i < 3; i++) {
      x.append(f64([1], [i]));
      flag.append(v('bool', [1], Uint8Array.of(i & 1)));
      z.append(v('int32', [1], Int32Array.of(i * 10)));
    }
    f.flush();
    // the writer holds HDF5's lock: a live viewer reads without it, as with any HDF5 writer
    let d = readWithH5py(file, { unlocked: true });
    assert.deepEqual(h5get(d, 'e/x').value, [0, 1, 2]);
    assert.equal(h5get(d, 'e/flag').dtype, 'bool');
    assert.deepEqual(h5get(d, 'e/flag').value, [false, true, false]);
    assert.deepEqual(h5get(d, 'e/z').value, [0, 10, 20]);
    assert.deepEqual(h5get(d, 'e/z').filters, [2, 1]);
    x.append(f64([1], [3]));
    assert.deepEqual(x.shape, [4], 'shape includes buffered rows');
    f.flush();
    d = readWithH5py(file, { unlocked: true });
    assert.deepEqual(h5get(d, 'e/x').value, [0, 1, 2, 3]);
    f.close();
  });

  test('SWMR: an h5py reader with swmr=True sees the dataset grow', { skip }, async () => {
    const file = tempFile();
    const f = await sut.factory().open(file, { mode: 'create', swmr: true });
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
    assert.equal(readWithH5py(file).libver[0], 'v110');
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n').map((l) => l.split(' ').map(Number));
    assert.ok(lines.length >= 3, `the reader saw the data grow: ${out}`);
    assert.deepEqual(lines[lines.length - 1], [6, 7.5]);
    for (const [n, last] of lines) assert.equal(last, (n! - 1) * 1.5);
  });
}
