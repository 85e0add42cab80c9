// The live view of closed files: after CloseFile the same URLs keep working, read through the
// sink's reader (each HDF5 sink), and agree with h5py; readers are reused, bounded, reopened when
// the file changes and let go when a session writes the file again; a file deleted or replaced
// gives 410; nothing but a session's own files is ever served.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kernel, WriterSession } from '@nxsw/core';
import { haveH5py, serviceSkip, SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { startHttp, type RunningHttpServer } from '../src/index.js';
import { FINAL_JSON, GLOBAL_JSON, openScan, recordJson, recordOf, tempDir, writeScan } from './helpers.js';

const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py');
const SINKS: Array<[string, Record<string, string>]> = [['default sink', {}], ['h5wasm sink', { 'sink:HDF5': '@nxsw/sink-hdf5' }]];

/** h5py's answer for d[selection] of one dataset, as JSON */
function h5pySlice(file: string, path: string, selection: string): unknown {
  const out = execFileSync(SYSTEM_PYTHON, ['-c', [
    'import h5py, json, sys',
    "with h5py.File(sys.argv[1], 'r') as f:",
    '    d = f[sys.argv[2]]',
    "    v = eval('d[' + sys.argv[3] + ']') if sys.argv[3] else d[()]",
    "    print(json.dumps(v.tolist() if hasattr(v, 'tolist') else v))",
  ].join('\n'), file, path, selection], { encoding: 'utf8' });
  return JSON.parse(out);
}

for (const [label, choose] of SINKS) {
describe(`the live view of closed files (${label})`, () => {
  let kernel: Kernel;
  let server: RunningHttpServer;
  let dir: string;

  const get = (path: string, query: Record<string, string>, srv = server): Promise<Response> =>
    fetch(`${srv.url.replace(/\/$/, '')}${path}?${new URLSearchParams(query).toString()}`);
  async function json(path: string, query: Record<string, string>, srv = server): Promise<any> {
    const r = await get(path, query, srv);
    assert.equal(r.status, 200, `${path} ${JSON.stringify(query)}: ${await r.clone().text()}`);
    return r.json();
  }
  async function refused(path: string, query: Record<string, string>, status: number, message: RegExp): Promise<void> {
    const r = await get(path, query);
    const body = await r.text();
    assert.equal(r.status, status, `${path} ${JSON.stringify(query)}: ${body}`);
    assert.match((JSON.parse(body) as { message: string }).message, message);
  }

  before(async () => {
    kernel = await Kernel.start({ choose });
    server = await startHttp(kernel, { host: '127.0.0.1', port: 0, maxElements: 1000 });
    dir = tempDir();
  });
  after(async () => {
    await server.stop();
    await kernel.stop();
  });

  test('after CloseFile: meta, attributes, data with selections (JSON and binary) and paths of the closed file, as h5py reads it', { skip }, async () => {
    const file = join(dir, 'closed.nxs');
    await writeScan(kernel, 'closed', file, 5);
    const opens = server.readers.opens;
    const root = await json('/meta/', { file: 'closed', path: '/' });
    assert.equal(root.kind, 'group');
    assert.ok(root.children.some((c: any) => c.name === 'entry1' && c.kind === 'group'));
    const data = await json('/meta/', { file: 'closed', path: '/entry1/data' });
    const counter = data.children.find((c: any) => c.name === 'counter1');
    assert.deepEqual([counter.kind, counter.type, counter.shape], ['dataset', { class: 1, size: 8, order: 0 }, [5]], 'the NXdata soft link resolves to its dataset');
    const mca = await json('/meta/', { file: 'closed', path: '/entry1/data/mca' });
    assert.deepEqual([mca.kind, mca.type, mca.shape], ['dataset', { class: 0, size: 4, order: 0, sign: 1 }, [5, 16]]);
    assert.deepEqual(await json('/attr/', { file: 'closed', path: '/entry1/data' }), { NX_class: 'NXdata', signal: 'counter1' });
    assert.equal((await json('/attr/', { file: 'closed', path: '/entry1/instrument/detector/counter1' })).units, 'counts');

    const counters = [0, 1, 2, 3, 4].map((i) => recordOf(i).counter);
    assert.deepEqual(await json('/data/', { file: 'closed', path: '/entry1/data/counter1' }), counters);
    for (const [path, selection] of [['/entry1/data/counter1', '1:3'], ['/entry1/data/mca', ':,3'], ['/entry1/data/mca', '2,4:9'], ['/entry1/data/mca', '-1']] as const) {
      assert.deepEqual(await json('/data/', { file: 'closed', path, selection }), h5pySlice(file, path, selection), `${path}[${selection}]`);
    }
    const bin = await get('/data/', { file: 'closed', path: '/entry1/data/mca', selection: '2,:', format: 'bin', dtype: 'safe' });
    assert.equal(bin.status, 200);
    assert.deepEqual(Array.from(new Int32Array(await bin.arrayBuffer())), recordOf(2).mca);
    assert.equal(await json('/data/', { file: 'closed', path: '/entry1/sample/name', flatten: 'true' }), 'Si(111) wafer');

    const all = await json('/paths/', { file: 'closed', path: '/' });
    assert.equal(all[0], '/');
    for (const p of ['/entry1', '/entry1/data', '/entry1/data/counter1', '/entry1/instrument/detector/mca']) assert.ok(all.includes(p), p);
    assert.deepEqual(await json('/paths/', { file: 'closed', path: '/entry1/data' }), ['/entry1/data', '/entry1/data/counter1', '/entry1/data/mca']);
    assert.equal((await json('/api/plot', { file: 'closed' })).path, '/entry1/data');
    assert.equal(server.readers.opens, opens + 1, 'one reader served every request');

    const status = (await json('/api/sessions', {})).find((s: any) => s.name === 'closed');
    assert.deepEqual([status.open, status.view, status.closed.files], [false, [{ path: file, file: 'closed' }], [file]]);
    assert.ok(Date.now() - Date.parse(status.closed.at) < 60_000, 'the time it was closed');
    await refused('/data/', { file: 'closed', path: '/entry1/data/mca', selection: '9,:' }, 400, /index 9 is outside axis 0 of length 5/);
    await refused('/meta/', { file: 'closed', path: '/entry1/nothing' }, 404, /is not a valid path/);
  });

  test('a closed file reads while another session writes another file; the next OpenFile of the session switches the view to its new file', { skip }, async () => {
    const first = join(dir, 'a.nxs');
    const session = await writeScan(kernel, 'switch', first, 3);
    const other = await openScan(kernel, 'other', join(dir, 'b.nxs'));
    await other.record(recordJson(0));
    assert.deepEqual((await json('/meta/', { file: 'switch', path: '/entry1/data/counter1' })).shape, [3], 'the closed file');
    assert.deepEqual((await json('/meta/', { file: 'other', path: '/entry1/data/counter1' })).shape, [1], 'the open one');
    other.setJsonRecord(FINAL_JSON);
    await other.closeFile();

    // the same file again (append mode): the cached reader lets go before the session opens it
    session.setFileName(first);
    await session.openFile();
    assert.deepEqual(server.readers.cached.filter((f) => f === first), [], 'the reader of the file being written is closed');
    assert.equal((await json('/api/sessions', {})).find((s: any) => s.name === 'switch').open, true);
    await session.closeFile();
    const opens = server.readers.opens;
    assert.deepEqual((await json('/meta/', { file: 'switch', path: '/entry1/data/counter1' })).shape, [3]);
    assert.equal(server.readers.opens, opens + 1, 'the changed file is read by a new reader');

    // a new file: the view follows the session
    const second = join(dir, 'c.nxs');
    session.setFileName(second);
    session.setJsonRecord(GLOBAL_JSON);
    await session.openFile();
    await session.openEntry();
    await session.record(recordJson(7));
    assert.deepEqual(await json('/data/', { file: 'switch', path: '/entry1/data/counter1' }), [recordOf(7).counter]);
    session.setJsonRecord(FINAL_JSON);
    await session.closeFile();
    assert.deepEqual(await json('/data/', { file: 'switch', path: '/entry1/data/counter1' }), [recordOf(7).counter]);
    assert.deepEqual((await json('/api/sessions', {})).find((s: any) => s.name === 'switch').view, [{ path: second, file: 'switch' }]);
  });

  test('StepsPerFile: NAME@N addresses file N of the scan, open or closed', { skip }, async () => {
    const base = join(dir, 'split.nxs');
    const session = await openScan(kernel, 'split', base, 2);
    for (let i = 0; i < 5; i++) await session.record(recordJson(i));
    // file 1 and 2 are closed by now, file 3 is being written
    assert.deepEqual(await json('/data/', { file: 'split@1', path: '/entry1/data/counter1' }), [0, 1].map((i) => recordOf(i).counter));
    assert.deepEqual(await json('/data/', { file: 'split@3', path: '/entry1/data/counter1' }), [recordOf(4).counter]);
    session.setJsonRecord(FINAL_JSON);
    await session.closeFile();
    const status = (await json('/api/sessions', {})).find((s: any) => s.name === 'split');
    assert.deepEqual(status.view.map((v: any) => v.file), ['split@1', 'split@2', 'split@3']);
    assert.deepEqual(await json('/data/', { file: 'split@2', path: '/entry1/data/counter1' }), [2, 3].map((i) => recordOf(i).counter));
    assert.deepEqual(await json('/data/', { file: status.view[2].file, path: '/entry1/data/counter1' }), h5pySlice(status.view[2].path, '/entry1/data/counter1', ''));
    await refused('/meta/', { file: 'split@4', path: '/' }, 404, /File not found: the session 'split' closed 3 files; there is no file 4/);
    await refused('/meta/', { file: 'split@0', path: '/' }, 404, /there is no file 0/);
  });

  test('the view of the last scan survives its session being replaced (a Tango Init makes a new session)', { skip }, async () => {
    const file = join(dir, 'init.nxs');
    await writeScan(kernel, 'init', file, 2);
    const fresh = new WriterSession({ extensions: kernel, log: kernel.log, limits: kernel.limits });
    kernel.sessions.set('init', fresh);
    assert.deepEqual((await json('/meta/', { file: 'init', path: '/entry1/data/counter1' })).shape, [2]);
    kernel.sessions.delete('init');
    await refused('/meta/', { file: 'init', path: '/' }, 404, /File not found: no writer session named 'init'/);
  });

  test('eviction: at most maxReaders readers stay open, the least recently used is closed; stop() closes the rest', { skip }, async () => {
    await writeScan(kernel, 'lru1', join(dir, 'lru1.nxs'), 1);
    await writeScan(kernel, 'lru2', join(dir, 'lru2.nxs'), 2);
    const small = await startHttp(kernel, { host: '127.0.0.1', port: 0, maxElements: 1000, maxReaders: 1 });
    try {
      const shape = async (name: string) => (await json('/meta/', { file: name, path: '/entry1/data/counter1' }, small)).shape;
      assert.deepEqual(await shape('lru1'), [1]);
      assert.deepEqual(await shape('lru1'), [1]);
      assert.equal(small.readers.opens, 1);
      assert.deepEqual(await shape('lru2'), [2]);
      assert.deepEqual(small.readers.cached, [join(dir, 'lru2.nxs')], 'lru1 was evicted');
      assert.deepEqual(await shape('lru1'), [1]);
      assert.equal(small.readers.opens, 3, 'the evicted file is reopened');
    } finally {
      await small.stop();
    }
    assert.deepEqual(small.readers.cached, []);
    // the files are free: h5py opens them (its lock would fail on a file still open for writing)
    assert.deepEqual(h5pySlice(join(dir, 'lru1.nxs'), '/entry1/data/counter1', ''), [recordOf(0).counter]);
  });

  test('a closed file deleted or replaced on disk gives 410 with what happened', { skip }, async () => {
    const file = join(dir, 'gone.nxs');
    await writeScan(kernel, 'gone', file, 2);
    await json('/meta/', { file: 'gone', path: '/' });
    // replaced: another file (a copy: another inode) renamed over it
    copyFileSync(file, `${file}.copy`);
    renameSync(`${file}.copy`, file);
    await refused('/meta/', { file: 'gone', path: '/' }, 410, /File not found: .*gone\.nxs \(closed by session 'gone' at .*\) was replaced by another file after it was closed/);
    rmSync(file);
    await refused('/data/', { file: 'gone', path: '/entry1/data/counter1' }, 410, /File not found: .*gone\.nxs \(closed by session 'gone' at .*\) was deleted after it was closed/);
    assert.ok(!server.readers.cached.includes(file));
  });

  test('only files the sessions wrote: no path, no traversal, unknown sessions 404', { skip }, async () => {
    const file = join(dir, 'safe.nxs');
    await writeScan(kernel, 'safe', file, 1);
    for (const f of ['nope', '/etc/passwd', file, '../safe', 'safe/../safe', `safe@${file}`, 'safe@1/../../etc/passwd', '']) {
      await refused('/meta/', { file: f, path: '/' }, 404, /File not found: no writer session named/);
    }
    await refused('/paths/', { file: 'safe', path: '/entry1/data/counter1' }, 400, /is not a group/);
    await refused('/meta/', { file: 'safe', path: '/../../etc/passwd' }, 404, /is not a valid path/);
  });
});
}
