// The native sink's reader (openReader, for nxsw validate) on files h5py wrote: every type,
// links of every kind, a virtual dataset, attributes; errors naming the file; locks; no handle left open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NxswError, type NxValue, type ReadField, type ReadGroup, type ReadNode, type SinkReader } from '@nxsw/core';
import { NativeHdf5SinkFactory, openObjectCount } from '../src/index.js';
import { noReaders, tempFile, create, f64, h5pyHolding, SYSTEM_PYTHON } from './helpers.js';

const skip = noReaders;
const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const CLI = join(REPO, 'core/dist/src/cli/main.js');
const sink = new NativeHdf5SinkFactory();

function h5py(file: string, body: string): void {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', `import h5py, numpy as np, sys, os\nos.chdir(os.path.dirname(sys.argv[1]))\n${body}`, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

const EVERY_TYPE = `
with h5py.File('src1.h5', 'w') as s: s['d'] = np.arange(3, dtype='f8')
with h5py.File('src2.h5', 'w') as s: s['d'] = np.arange(10, 13, dtype='f8')
with h5py.File(sys.argv[1], 'w') as f:
    t = f.create_group('types'); t.attrs['NX_class'] = 'NXcollection'
    for n, v in (('int8', [-128, 0, 127]), ('uint8', [0, 1, 255]), ('int16', [-32768, 0, 32767]), ('uint16', [0, 1, 65535]),
                 ('int32', [-2**31, 0, 2**31 - 1]), ('uint32', [0, 1, 2**32 - 1]), ('int64', [-2**63, 2**53 + 1, 2**63 - 1]),
                 ('uint64', [0, 2**53 + 1, 2**64 - 1]), ('float32', [0.5, -2.5, 1e30]), ('float64', [0.1, -2.5, 1.7976931348623157e308])):
        t[n] = np.array(v, dtype=n)
    t['be_int32'] = np.array([1, -2, 3], dtype='>i4'); t['be_float64'] = np.array([1.5, -2.5], dtype='>f8')
    t['bool'] = np.array([True, False, True]); t['bool_scalar'] = np.True_
    t['scalar'] = 42.5
    t['vlen'] = 'Ünïcødé ✓'
    t['vlen_array'] = np.array(['a', 'bé', ''], dtype=h5py.string_dtype())
    t['vlen_ascii'] = np.array([b'x', b'yz'], dtype=h5py.string_dtype('ascii'))
    t['fixed'] = np.bytes_('NXxas ')
    t['fixed_array'] = np.array([b'ab', b'cde'], dtype='S4')
    t['matrix'] = np.arange(6, dtype='i4').reshape(2, 3)
    t['empty'] = np.zeros((0,), dtype='f8')
    t['big'] = np.arange(1000, dtype='f8')
    t['compound'] = np.array([(1, 2.0)], dtype=[('a', 'i4'), ('b', 'f8')])
    t['enum'] = np.array([0, 1, 2], dtype=h5py.enum_dtype({'RED': 0, 'GREEN': 1, 'BLUE': 2}, basetype='i1'))
    t['named_type'] = np.dtype('f8')
    a = t['float64'].attrs
    a['units'] = 'keV'; a['int64'] = np.int64(-2**63); a['uint64'] = np.uint64(2**64 - 1); a['bool'] = np.bool_(True)
    a['list'] = ['x', 'yé']; a['fixed'] = np.bytes_('abc'); a['floats'] = np.array([1.5, 2.5], dtype='f4')
    a['compound'] = np.array((1, 2.0), dtype=[('a', 'i4'), ('b', 'f8')]); a['empty'] = h5py.Empty('f8')
    l = f.create_group('links')
    l['soft'] = h5py.SoftLink('/types/float64'); l['dangling'] = h5py.SoftLink('/nowhere')
    l['external'] = h5py.ExternalLink('src1.h5', '/d'); l['hard'] = t['int32']; l['group'] = h5py.SoftLink('/types')
    layout = h5py.VirtualLayout(shape=(8,), dtype='f8')
    layout[0:3] = h5py.VirtualSource('src1.h5', 'd', shape=(3,))
    layout[4:7] = h5py.VirtualSource('src2.h5', 'd', shape=(3,))
    f.create_virtual_dataset('vds', layout, fillvalue=-1)
`;

function walk(g: ReadGroup): Map<string, ReadNode> {
  const out = new Map<string, ReadNode>();
  for (const { node } of g.children()) out.set(node.path, node);
  return out;
}
const field = (nodes: Map<string, ReadNode>, path: string): ReadField => {
  const n = nodes.get(path);
  assert.equal(n?.kind, 'field', `${path} is ${JSON.stringify(n)}`);
  return n as ReadField;
};
const plain = (v: NxValue | undefined) => v && { type: v.type, shape: v.shape, data: Array.from(v.data as ArrayLike<unknown>) };

test('every type h5py writes reads back exactly: numbers (64-bit exact, big-endian), bools, strings, attributes', { skip }, async () => {
  const file = tempFile('types.h5');
  h5py(file, EVERY_TYPE);
  const before = openObjectCount();
  const r = await sink.openReader(file);
  try {
    assert.equal(r.path, file);
    const top = walk(r.root);
    assert.deepEqual([...top.keys()], ['/links', '/types', '/vds']);
    const t = walk(top.get('/types') as ReadGroup);
    const expect: Array<[string, string, unknown[]]> = [
      ['int8', 'int8', [-128, 0, 127]], ['uint8', 'uint8', [0, 1, 255]], ['int16', 'int16', [-32768, 0, 32767]], ['uint16', 'uint16', [0, 1, 65535]],
      ['int32', 'int32', [-(2 ** 31), 0, 2 ** 31 - 1]], ['uint32', 'uint32', [0, 1, 2 ** 32 - 1]],
      ['int64', 'int64', [-(2n ** 63n), 2n ** 53n + 1n, 2n ** 63n - 1n]], ['uint64', 'uint64', [0n, 2n ** 53n + 1n, 2n ** 64n - 1n]],
      ['float32', 'float32', [0.5, -2.5, Math.fround(1e30)]], ['float64', 'float64', [0.1, -2.5, 1.7976931348623157e308]],
      ['be_int32', 'int32', [1, -2, 3]], ['be_float64', 'float64', [1.5, -2.5]], ['bool', 'bool', [1, 0, 1]],
      ['vlen_array', 'string', ['a', 'bé', '']], ['vlen_ascii', 'string', ['x', 'yz']], ['fixed_array', 'string', ['ab', 'cde']],
    ];
    for (const [name, type, data] of expect) {
      const f = field(t, `/types/${name}`);
      assert.equal(f.type, type, name);
      assert.deepEqual(f.shape, [data.length], name);
      assert.deepEqual(plain(f.read(64)), { type, shape: [data.length], data }, name);
    }
    assert.deepEqual(plain(field(t, '/types/bool_scalar').read(1)), { type: 'bool', shape: [], data: [1] });
    assert.deepEqual(plain(field(t, '/types/scalar').read(1)), { type: 'float64', shape: [], data: [42.5] });
    assert.deepEqual(plain(field(t, '/types/vlen').read(1)), { type: 'string', shape: [], data: ['Ünïcødé ✓'] });
    assert.deepEqual(plain(field(t, '/types/fixed').read(1)), { type: 'string', shape: [], data: ['NXxas'] });
    assert.deepEqual(plain(field(t, '/types/matrix').read(6)), { type: 'int32', shape: [2, 3], data: [0, 1, 2, 3, 4, 5] });
    assert.deepEqual(plain(field(t, '/types/empty').read(64)), { type: 'float64', shape: [0], data: [] });
    // labels as the h5wasm reader gives them
    assert.equal(field(t, '/types/vlen').typeLabel, 'variable-length string');
    assert.equal(field(t, '/types/fixed_array').typeLabel, 'fixed-length string (4 bytes)');
    assert.equal(field(t, '/types/bool').typeLabel, 'bool (enum)');
    // large datasets are never read whole; types the value model lacks have no value
    const big = field(t, '/types/big');
    assert.deepEqual(big.shape, [1000]);
    assert.equal(big.read(64), undefined);
    assert.equal(big.read(1000)?.data.length, 1000);
    for (const [name, label] of [['compound', 'compound'], ['enum', 'enum']]) {
      const f = field(t, `/types/${name}`);
      assert.equal(f.type, undefined);
      assert.equal(f.typeLabel, label);
      assert.equal(f.read(64), undefined);
    }
    assert.deepEqual(t.get('/types/named_type'), { kind: 'unresolved', path: '/types/named_type', reason: 'an object that is neither a group nor a dataset (a named datatype)' });

    const attrs = new Map(field(t, '/types/float64').attributes().map((a) => [a.name, a]));
    assert.deepEqual([...attrs.keys()].sort(), ['bool', 'compound', 'empty', 'fixed', 'floats', 'int64', 'list', 'uint64', 'units']);
    const av = (n: string) => plain(attrs.get(n)!.value());
    assert.deepEqual(av('units'), { type: 'string', shape: [], data: ['keV'] });
    assert.deepEqual(av('int64'), { type: 'int64', shape: [], data: [-(2n ** 63n)] });
    assert.deepEqual(av('uint64'), { type: 'uint64', shape: [], data: [2n ** 64n - 1n] });
    assert.deepEqual(av('bool'), { type: 'bool', shape: [], data: [1] });
    assert.deepEqual(av('list'), { type: 'string', shape: [2], data: ['x', 'yé'] });
    assert.deepEqual(av('fixed'), { type: 'string', shape: [], data: ['abc'] });
    assert.deepEqual(av('floats'), { type: 'float32', shape: [2], data: [1.5, 2.5] });
    assert.equal(attrs.get('compound')!.type, undefined);
    assert.equal(av('compound'), undefined);
    assert.equal(attrs.get('empty')!.type, 'float64');
    assert.equal(av('empty'), undefined, 'an h5py.Empty attribute holds no value');
    const nx = (top.get('/types') as ReadGroup).attributes()[0]!;
    assert.deepEqual([nx.name, nx.type, nx.shape, plain(nx.value())], ['NX_class', 'string', [], { type: 'string', shape: [], data: ['NXcollection'] }]);

    // links: soft and hard followed (under the link's own path), external and dangling unresolved
    const l = walk(top.get('/links') as ReadGroup);
    assert.deepEqual(plain(field(l, '/links/soft').read(3)), { type: 'float64', shape: [3], data: [0.1, -2.5, 1.7976931348623157e308] });
    assert.deepEqual(plain(field(l, '/links/hard').read(3))?.data, [-(2 ** 31), 0, 2 ** 31 - 1]);
    // a soft link gives its value; a hard link is the object itself
    assert.deepEqual([field(l, '/links/soft').softLink, field(l, '/links/hard').softLink, (l.get('/links/group') as ReadGroup).softLink], ['/types/float64', undefined, '/types']);
    assert.deepEqual(l.get('/links/dangling'), { kind: 'unresolved', path: '/links/dangling', reason: 'a soft link to /nowhere, which does not exist', link: { path: '/nowhere' } });
    assert.deepEqual(l.get('/links/external'), { kind: 'unresolved', path: '/links/external', reason: 'an external link to src1.h5:/d', link: { file: 'src1.h5', path: '/d' } });
    assert.equal(walk(l.get('/links/group') as ReadGroup).size, t.size);
    // a virtual dataset reads through its mappings, the fill value where nothing maps
    assert.deepEqual(plain(field(top, '/vds').read(8)), { type: 'float64', shape: [8], data: [0, 1, 2, -1, 10, 11, 12, -1] });
    assert.ok(openObjectCount() > before, 'the walk holds handles while the reader is open');
  } finally {
    r.close();
  }
  // every group, dataset, attribute, type and space the reader opened is closed, and the file
  assert.equal(openObjectCount(), before);
  r.close(); // twice is harmless
  assert.throws(() => r.root.children(), /the reader is closed/);

  // the writing side reads through the same code (common.ts): the sink opened on h5py's file
  const w = await sink.open(file, { mode: 'append' });
  try {
    const t = w.root.openGroup('types')!;
    const f64 = t.openField('float64')!;
    assert.equal(f64.getAttribute('empty'), undefined, 'an empty attribute holds no value');
    assert.deepEqual(f64.getAttribute('uint64'), { type: 'uint64', shape: [], data: BigUint64Array.of(2n ** 64n - 1n) });
    assert.deepEqual(t.openField('fixed_array')!.read!(), { type: 'string', shape: [2], data: ['ab', 'cde'] });
    assert.deepEqual(plain(t.openField('be_int32')!.read!()), { type: 'int32', shape: [3], data: [1, -2, 3] });
    assert.deepEqual(w.root.link!('links'), undefined);
    assert.deepEqual(w.root.openGroup('links')!.link!('external'), { file: 'src1.h5', path: '/d' });
  } finally {
    w.close();
  }
});

test('a file the native sink wrote reads back through its own reader, appended rows and links included', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  const e = f.root.createGroup('entry');
  e.setAttribute('NX_class', { type: 'string', shape: [], data: ['NXentry'] });
  const x = e.createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
  x.append(f64([2], [1, 2]));
  e.createSoftLink('/entry/x', 'y');
  e.createExternalLink('other.nxs', '/entry/data', 'ext');
  // while this process writes the file, its reader is refused (HDF5 would share the writer's open)
  await assert.rejects(sink.openReader(file), (err: unknown) => err instanceof NxswError && err.code === 'FILE_LOCKED' && err.message.startsWith(`${file} is locked: this process`));
  f.close();
  const r = await sink.openReader(file);
  try {
    const entry = walk(r.root).get('/entry') as ReadGroup;
    const kids = walk(entry);
    // in creation order (nxsw tracks it), as the h5wasm reader lists them; h5py's untracked files by name
    assert.deepEqual([...kids.keys()], ['/entry/x', '/entry/y', '/entry/ext']);
    assert.deepEqual(plain(field(kids, '/entry/y').read(2)), { type: 'float64', shape: [2], data: [1, 2] });
    assert.equal(kids.get('/entry/ext')?.kind, 'unresolved');
    assert.deepEqual(field(kids, '/entry/x').attributes().map((a) => [a.name, a.value()?.data[0]]), [['target', '/entry/x']]);
  } finally {
    r.close();
  }
});

test('errors name the file: missing, a directory, not HDF5, a truncated HDF5 file', { skip }, async () => {
  const file = tempFile('garbage.nxs');
  const before = openObjectCount();
  const isError = (code: string, re: RegExp) => (e: unknown) => e instanceof NxswError && e.code === code && e.message.startsWith(dirname(file)) && re.test(e.message);
  await assert.rejects(sink.openReader(file), isError('FILE_ERROR', /garbage\.nxs: no such file$/));
  writeFileSync(file, 'this is not HDF5\n'.repeat(100));
  await assert.rejects(sink.openReader(file), isError('FILE_ERROR', /garbage\.nxs: cannot open it as an HDF5 file: .*signature/));
  await assert.rejects(sink.openReader(dirname(file)), isError('FILE_ERROR', /: cannot read it: it is not a regular file$/));
  const real = join(dirname(file), 'real.h5');
  h5py(real, `with h5py.File(sys.argv[1], 'w') as f: f['x'] = np.arange(100000.0)`);
  writeFileSync(file, readFileSync(real).subarray(0, 1000));
  await assert.rejects(sink.openReader(file), isError('FILE_ERROR', /garbage\.nxs: cannot open it as an HDF5 file: /));
  assert.equal(openObjectCount(), before, 'a failed open leaves nothing open');
});

test('locks: a file another process writes is refused as h5py refuses it; a SWMR writer\'s file is read as a SWMR reader', { skip }, async () => {
  const file = tempFile('held.h5');
  const before = openObjectCount();
  const writer = await h5pyHolding(file, `f = h5py.File(sys.argv[1], 'w'); f['x'] = np.arange(3.0); f.flush()`);
  try {
    await assert.rejects(sink.openReader(file), (e: unknown) => e instanceof NxswError && e.code === 'FILE_LOCKED'
      && e.message.startsWith(`${file} is locked: another process has it open for writing`) && /HDF5_USE_FILE_LOCKING=FALSE/.test(e.message));
    // nxsw validate says so and exits 1; with locking turned off (read once by the library: a fresh process) it reads
    const validate = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'validate', file, '--json'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env } });
    const locked = validate({});
    assert.equal(locked.status, 1);
    assert.ok(locked.stderr.includes(`FILE_LOCKED`) && locked.stderr.includes(`${file} is locked`), locked.stderr);
    const unlocked = validate({ HDF5_USE_FILE_LOCKING: 'FALSE' });
    assert.equal(unlocked.status, 0, unlocked.stderr);
    assert.equal((JSON.parse(unlocked.stdout) as { reader: string }).reader, '@nxsw/sink-hdf5-native');
  } finally {
    await writer.release();
  }
  const swmr = await h5pyHolding(file, `f = h5py.File(sys.argv[1], 'w', libver='latest'); d = f.create_dataset('x', data=np.arange(4.0), maxshape=(None,)); f.swmr_mode = True; f.flush()`);
  let r: SinkReader | undefined;
  try {
    r = await sink.openReader(file);
    assert.deepEqual(plain(field(walk(r.root), '/x').read(4)), { type: 'float64', shape: [4], data: [0, 1, 2, 3] });
  } finally {
    r?.close();
    await swmr.release();
  }
  assert.equal(openObjectCount(), before);
});
