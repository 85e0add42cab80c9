// The h5grove API as H5Web's H5GroveProvider requests it, against a real scan being written,
// read through the writer's own handles; the file is then checked with h5py.
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Kernel, type WriterSession } from '@nxsw/core';
import { readWithH5py, h5get, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { startHttp, type RunningHttpServer } from '../src/index.js';
import { FINAL_JSON, openScan, recordJson, recordOf, tempDir } from './helpers.js';

const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py');
/** both HDF5 sinks: the native one (the default where the system library loads) and h5wasm */
const SINKS: Array<[string, Record<string, string>]> = [['default sink', {}], ['h5wasm sink', { 'sink:HDF5': '@nxsw/sink-hdf5' }]];

for (const [label, choose] of SINKS) {
describe(`the h5grove API (${label})`, () => {
  const NAME = `scan-${process.pid}-${label}`;
  let kernel: Kernel;
  let session: WriterSession;
  let server: RunningHttpServer;
  let file: string;

  async function get(path: string, query: Record<string, string>): Promise<Response> {
    return fetch(`${server.url.replace(/\/$/, '')}${path}?${new URLSearchParams(query).toString()}`);
  }
  async function json(path: string, query: Record<string, string>): Promise<any> {
    const r = await get(path, query);
    assert.equal(r.status, 200, `${path} ${JSON.stringify(query)}: ${await r.clone().text()}`);
    return r.json();
  }

  before(async () => {
    kernel = await Kernel.start({ choose });
    if (choose['sink:HDF5']) assert.equal(kernel.providerOf('sink', 'HDF5'), choose['sink:HDF5'], 'the chosen sink writes');
    server = await startHttp(kernel, { host: '127.0.0.1', port: 0, maxElements: 1000 });
    file = join(tempDir(), 'scan.nxs');
    session = await openScan(kernel, NAME, file);
    for (let i = 0; i < 5; i++) await session.record(recordJson(i));
  });
  after(async () => {
    if (session.state !== 'ON') {
      session.setJsonRecord(FINAL_JSON);
      await session.closeFile();
    }
    await server.stop();
    await kernel.stop();
  });

  test('meta of the root and of a group lists children with NeXus attributes; NXdata links resolve to their datasets', { skip }, async () => {
    const root = await json('/meta/', { file: NAME, path: '/' });
    assert.equal(root.kind, 'group');
    const entry = root.children.find((c: any) => c.name === 'entry1');
    assert.equal(entry.kind, 'group');
    assert.ok(entry.attributes.some((a: any) => a.name === 'NX_class' && a.type.class === 3), 'NX_class is a string attribute');
    const data = await json('/meta/', { file: NAME, path: '/entry1/data' });
    assert.equal(data.name, 'data');
    const counter = data.children.find((c: any) => c.name === 'counter1');
    assert.deepEqual([counter.kind, counter.type, counter.shape], ['dataset', { class: 1, size: 8, order: 0 }, [5]]);
    const mca = await json('/meta', { file: NAME, path: '/entry1/data/mca' });
    assert.deepEqual([mca.name, mca.kind, mca.type, mca.shape], ['mca', 'dataset', { class: 0, size: 4, order: 0, sign: 1 }, [5, 16]]);
    assert.ok(mca.attributes.some((a: any) => a.name === 'units'));
  });

  test('attr returns the attribute values by name', { skip }, async () => {
    assert.deepEqual(await json('/attr/', { file: NAME, path: '/entry1/data' }), { NX_class: 'NXdata', signal: 'counter1' });
    const attrs = await json('/attr/', { file: NAME, path: '/entry1/instrument/detector/counter1' });
    assert.equal(attrs.units, 'counts');
  });

  test('data: whole and sliced in JSON, binary slices in the dataset type, strings flattened', { skip }, async () => {
    const counters = [0, 1, 2, 3, 4].map((i) => recordOf(i).counter);
    assert.deepEqual(await json('/data/', { file: NAME, path: '/entry1/data/counter1' }), counters);
    assert.deepEqual(await json('/data/', { file: NAME, path: '/entry1/data/counter1', selection: '1:3' }), counters.slice(1, 3));
    assert.deepEqual(await json('/data/', { file: NAME, path: '/entry1/data/mca', selection: ':,3' }), [0, 1, 2, 3, 4].map((i) => recordOf(i).mca[3]));
    const bin = await get('/data/', { file: NAME, path: '/entry1/data/mca', selection: '2,:', format: 'bin', dtype: 'safe' });
    assert.equal(bin.status, 200);
    assert.deepEqual(Array.from(new Int32Array(await bin.arrayBuffer())), recordOf(2).mca);
    const f64 = await get('/data/', { file: NAME, path: '/entry1/data/counter1', format: 'bin', dtype: 'safe' });
    assert.deepEqual(Array.from(new Float64Array(await f64.arrayBuffer())), counters);
    assert.equal(await json('/data/', { file: NAME, path: '/entry1/sample/name', flatten: 'true' }), 'Si(111) wafer');
  });

  test('the API follows the writer: new Records show up in meta and data', { skip }, async () => {
    await session.record(recordJson(5));
    const meta = await json('/meta/', { file: NAME, path: '/entry1/data/counter1' });
    assert.deepEqual(meta.shape, [6]);
    assert.deepEqual(await json('/data/', { file: NAME, path: '/entry1/data/counter1', selection: '5' }), recordOf(5).counter);
  });

  test('refusals: unknown sessions and paths, file-system paths, too large or bad selections', { skip }, async () => {
    for (const f of ['nope', '/etc/passwd', file]) {
      const r = await get('/meta/', { file: f, path: '/' });
      assert.equal(r.status, 404);
      assert.match(((await r.json()) as any).message, /File not found/);
    }
    const bad = await get('/meta/', { file: NAME, path: '/entry1/nothing' });
    assert.equal(bad.status, 404);
    assert.match(((await bad.json()) as any).message, /is not a valid path/);
    const big = await get('/data/', { file: NAME, path: '/entry1/data/mca', selection: '' });
    assert.equal(big.status, 200, '96 elements are under the limit');
    const server2 = await startHttp(kernel, { host: '127.0.0.1', port: 0, maxElements: 10 });
    try {
      const r = await fetch(`${server2.url}data/?file=${NAME}&path=/entry1/data/mca`);
      assert.equal(r.status, 413);
      assert.match(((await r.json()) as any).message, /more than the live view's limit of 10; select a slice/);
    } finally {
      await server2.stop();
    }
    const outside = await get('/data/', { file: NAME, path: '/entry1/data/mca', selection: '99,:' });
    assert.equal(outside.status, 400);
    assert.match(((await outside.json()) as any).message, /index 99 is outside axis 0 of length 6/);
  });

  test('the status stream sends the session state and counts Records as they arrive', { skip }, async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}events`, { signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const events: any[] = [];
    let buffer = '';
    const next = async (): Promise<any> => {
      while (!buffer.includes('\n\n')) buffer += new TextDecoder().decode((await reader.read()).value);
      const i = buffer.indexOf('\n\n');
      const text = buffer.slice(0, i).replace(/^data: /, '');
      buffer = buffer.slice(i + 2);
      return JSON.parse(text);
    };
    events.push(await next());
    const first = events[0].find((s: any) => s.name === NAME);
    assert.deepEqual([first.state, first.status, first.open, first.files], ['EXTRACT', 'Entry Open', true, [file]]);
    await session.record(recordJson(6));
    let later = first;
    while (later.records === first.records) later = (await next()).find((s: any) => s.name === NAME);
    assert.equal(later.records, first.records + 1);
    assert.equal(later.summary.fields, 7, 'the configuration summary, as nxsw check counts it');
    ac.abort();
  });

  test('the file the API read from is the file h5py reads after CloseFile', { skip }, async () => {
    const served = await json('/data/', { file: NAME, path: '/entry1/data/counter1' });
    session.setJsonRecord(FINAL_JSON);
    await session.closeFile();
    const h5 = readWithH5py(file);
    assert.deepEqual(h5get(h5, '/entry1/instrument/detector/counter1').value, served);
    // the closed file stays viewable under the same name, read through the sink's reader
    assert.deepEqual(await json('/data/', { file: NAME, path: '/entry1/data/counter1' }), served);
  });
});
}
