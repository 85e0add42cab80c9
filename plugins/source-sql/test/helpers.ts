/** Test helpers: XML → XmlElement (sax), hand-made ReadContexts, service probes, a TCP forwarder, checks the server tests share. */
import sax from 'sax';
import net from 'node:net';
import assert from 'node:assert/strict';
import { NxswError, type DataSource, type NxValue, type ReadContext, type XmlElement } from '@nxsw/core';
import type { DbSourceType } from '../src/index.js';

interface MutableElement { name: string; attributes: Record<string, string>; children: MutableElement[]; text: string; location: XmlElement['location']; parent: MutableElement | undefined }

/** Parses an XML string into the XmlElement tree of core/src/api/xml.ts. */
export function parseXml(xml: string): XmlElement {
  const parser = sax.parser(true, { trim: false, normalize: false, position: true });
  const stack: MutableElement[] = [];
  let root: MutableElement | undefined;
  parser.onopentag = (node) => {
    const parent = stack[stack.length - 1];
    const path = `${parent ? parent.location.path : ''}/${node.name}`;
    const el: MutableElement = {
      name: node.name, attributes: { ...(node.attributes as Record<string, string>) }, children: [], text: '',
      location: { line: parser.line + 1, column: parser.column, path }, parent,
    };
    if (parent) parent.children.push(el); else root = el;
    stack.push(el);
  };
  parser.ontext = (t) => { const top = stack[stack.length - 1]; if (top) top.text += t; };
  parser.oncdata = (t) => { const top = stack[stack.length - 1]; if (top) top.text += t; };
  parser.onclosetag = () => { stack.pop(); };
  parser.onerror = (e) => { throw e; };
  parser.write(xml).close();
  if (!root) throw new Error('no root element');
  return root;
}

export function readContext(signal: AbortSignal = new AbortController().signal): ReadContext {
  return {
    phase: 'FINAL', step: -2, globalJson: {}, localJson: undefined, signal, shared: new Map(), file: undefined,
    decoder: () => { throw new Error('no decoders in these tests'); },
  };
}

/** true when something accepts TCP connections on host:port */
export function reachable(port: number, host = '127.0.0.1', ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean): void => { s.destroy(); resolve(ok); };
    s.setTimeout(ms, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** a port on which nothing listens (bound, then closed) */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A TCP forwarder to a real server that can be stopped (listener closed, every connection cut)
 * and started again on the same port: a database that goes down and comes back.
 */
export class Forwarder {
  #server: net.Server | undefined;
  #sockets = new Set<net.Socket>();
  port = 0;
  constructor(readonly targetPort: number, readonly targetHost = '127.0.0.1') {}

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect({ port: this.targetPort, host: this.targetHost });
      for (const s of [client, upstream]) { this.#sockets.add(s); s.on('close', () => this.#sockets.delete(s)); s.on('error', () => undefined); }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(this.port, '127.0.0.1', () => resolve()); });
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}

/** an assert.rejects check: an NxswError with `c` as its code (and a message matching `re`) */
export const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof NxswError && e.code === c && (!re || re.test(e.message));

/** the environment of sources that have no nested sources */
export const noNesting = { createSource: () => { throw new Error('unused'); } };

const firstInt = async (s: DataSource): Promise<bigint[]> => [...((await s.read(readContext())).data as BigInt64Array)];

/**
 * Pooling against a real server: after a warm-up, 90 more reads of `sources` (in turn and in
 * parallel) open no connection, and the pool to `dbname` on `port` holds at most 3.
 */
export async function checkPoolStable(type: DbSourceType, sources: DataSource[], dbname: string, port: number): Promise<void> {
  const n = sources.length;
  await Promise.all(Array.from({ length: 30 }, (_, k) => sources[k % n]!.read(readContext())));
  const pool = [...type.pools.values()].find((p) => p.spec.dbname === dbname && p.spec.port === port)!;
  const opened = pool.opened;
  for (let k = 0; k < 30; k++) await sources[k % n]!.read(readContext());
  await Promise.all(Array.from({ length: 30 }, (_, k) => sources[k % n]!.read(readContext())));
  assert.equal(pool.opened, opened, 'no connection opened after warm-up');
  assert.ok(pool.size <= 3, `pool size ${pool.size}`);
}

/**
 * A server that was down is used again: `sourceAt(port)` is a source of SELECT 43 on that port;
 * read through a Forwarder to `port`, it fails with SOURCE_UNAVAILABLE while the forwarder is
 * down and reads again once it is back on the same port.
 */
export async function checkRecoversAfterOutage(sourceAt: (port: number) => DataSource, port: number): Promise<void> {
  const fwd = new Forwarder(port);
  await fwd.start();
  try {
    const via = sourceAt(fwd.port);
    assert.deepEqual(await firstInt(via), [43n]);
    await fwd.stop();
    await assert.rejects(via.read(readContext()), code('SOURCE_UNAVAILABLE'));
    await fwd.start(); // same port
    assert.deepEqual(await firstInt(via), [43n]);
  } finally {
    await fwd.stop();
  }
}

/**
 * The formats over the server tests' table t (i = 1, 2, 3; dbl = 0.1, 1e300, -2.5; s of row 1 =
 * `text`): SCALAR, SPECTRUM of a column and of the first row, IMAGE.
 */
export async function checkFormats(read: (sql: string, format?: string) => Promise<NxValue>, text: string): Promise<void> {
  const s = await read('SELECT i FROM t ORDER BY i');
  assert.deepEqual([s.type, s.shape, [...(s.data as BigInt64Array)]], ['int64', [], [1n]]);
  const col = await read('SELECT dbl FROM t ORDER BY i', 'SPECTRUM');
  assert.deepEqual([col.type, col.shape, [...(col.data as Float64Array)]], ['float64', [3], [0.1, 1e300, -2.5]]);
  const row = await read('SELECT i, s FROM t ORDER BY i', 'SPECTRUM');
  assert.deepEqual([row.type, row.shape, row.data], ['string', [2], ['1', text]]);
  const img = await read('SELECT i, i * 10, i * 100 FROM t ORDER BY i', 'IMAGE');
  assert.deepEqual([img.type, img.shape, [...(img.data as BigInt64Array)]], ['int64', [3, 3], [1n, 10n, 100n, 2n, 20n, 200n, 3n, 30n, 300n]]);
}
