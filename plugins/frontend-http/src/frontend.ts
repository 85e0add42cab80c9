/**
 * The `http` front end: a read-only live view of this process's writer sessions. `/` is the
 * status page (server-sent events from `/events`), `/meta/`, `/attr/`, `/data/`, `/paths/` speak
 * h5grove for the files the sessions write or closed last (addressed by session name, never by a
 * path on disk), and `/h5web/?file=NAME` is H5Web's app on that API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { type FrontEnd, type Kernel, type RunningFrontEnd } from '@nxsw/core';
import { DEFAULT_MAX_READERS, USAGE, parseHttpArgs, type HttpOptions } from './args.js';
import { GroveError, attributes, data, meta, paths } from './h5grove.js';
import { ReaderCache, identityOf, type FileIdentity } from './readers.js';
import { writerTree, type GroveFile, type TreeGroup } from './tree.js';
import { StatusSampler } from './status.js';
import { STATUS_PAGE, h5webPage } from './pages.js';

export interface RunningHttpServer extends RunningFrontEnd {
  readonly port: number;
  /** the address to open, e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  /** the readers of closed files (for tests: reuse and eviction) */
  readonly readers: ReaderCache;
}

/** how often the status is sampled; the page gets an event only when something changed */
const SAMPLE_MS = 250;
const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'web');

export class HttpFrontEnd implements FrontEnd {
  readonly kind = 'frontend' as const;
  readonly name = 'http';
  readonly usage = USAGE;

  start(host: unknown, options: unknown): Promise<RunningHttpServer> {
    return startHttp(host as Kernel, parseHttpArgs(options));
  }
}

export async function startHttp(kernel: Pick<Kernel, 'sessions'>, opts: HttpOptions): Promise<RunningHttpServer> {
  const app = Fastify({ logger: false });
  const sampler = new StatusSampler(kernel.sessions);
  const streams = new Set<ServerResponse>();
  let last = '';
  const push = (): void => {
    const text = JSON.stringify(sampler.sample());
    if (text === last) return;
    last = text;
    for (const s of streams) s.write(`data: ${text}\n\n`);
  };
  const timer = setInterval(() => { if (streams.size > 0) push(); }, SAMPLE_MS);
  timer.unref();

  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(STATUS_PAGE));
  app.get('/api/sessions', () => sampler.sample());
  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`data: ${JSON.stringify(sampler.sample())}\n\n`);
    streams.add(res);
    req.raw.on('close', () => streams.delete(res));
  });

  // closed files are read through their sink's reader, cached; a session about to write a file
  // makes its reader let go first (HDF5 refuses to write a file this process has open to read)
  const readers = new ReaderCache(opts.maxReaders ?? DEFAULT_MAX_READERS);
  /** each session name's closed files as they were on disk when closed: another inode is another file */
  const identities = new Map<string, Map<string, FileIdentity>>();
  const unwatch = kernel.sessions.watchFiles((name, _session, e) => {
    if (e.kind === 'opening') readers.release(e.path);
    else identities.set(name, new Map(e.closed.files.flatMap((f) => { const id = identityOf(f); return id ? [[f, id] as const] : []; })));
  });

  /** `NAME` or `NAME@N` (file N of a StepsPerFile scan) → the session name and file number */
  const parseTarget = (file: unknown): { name: string; number?: number } => {
    const text = typeof file === 'string' ? file : '';
    const known = (n: string): boolean => kernel.sessions.get(n) !== undefined || kernel.sessions.lastClosed(n) !== undefined;
    if (known(text)) return { name: text };
    const m = /^(.*)@(\d+)$/.exec(text);
    if (m && known(m[1]!)) return { name: m[1]!, number: Number(m[2]) };
    throw new GroveError(404, `File not found: no writer session named '${text}'`);
  };
  const pick = (files: readonly string[], name: string, number: number | undefined, verb: string): string => {
    const n = number ?? 1;
    if (n < 1 || n > files.length) throw new GroveError(404, `File not found: the session '${name}' ${verb} ${files.length} file${files.length === 1 ? '' : 's'}; there is no file ${n}`);
    return resolvePath(files[n - 1]!);
  };
  /** the session writing `path` now, if any */
  const writerOf = (path: string): string | undefined => kernel.sessions.entries().find(([, s]) => {
    const f = s.openSinkFile;
    return f !== undefined && resolvePath(f.path) === path;
  })?.[0];

  const openFile = async (file: unknown): Promise<GroveFile> => {
    const { name, number } = parseTarget(file);
    const session = kernel.sessions.get(name);
    // a reader sees whole Records: it waits for the running command
    if (session) await session.idle();
    const open = session?.openSinkFile;
    if (session && open) {
      if (number === undefined) return writerTree(open);
      const path = pick(session.outputFiles, name, number, 'writes');
      if (path === resolvePath(open.path)) return writerTree(open);
      // an earlier file of a StepsPerFile scan, closed by now
      return readers.get(path, session.openSink!, `file ${number} of session '${name}'`, undefined);
    }
    const closed = kernel.sessions.lastClosed(name);
    if (!closed) throw new GroveError(404, `File not found: the session '${name}' has no file open and has closed none yet`);
    const path = pick(closed.files, name, number, 'closed');
    const other = writerOf(path);
    if (other !== undefined) throw new GroveError(409, `${path}, which session '${name}' closed, is being written by session '${other}' now: view it as file=${other}`);
    return readers.get(path, closed.sink, `closed by session '${name}' at ${new Date(closed.closedAt).toISOString()}`, identities.get(name)?.get(path));
  };
  type GroveQuery = { file?: string; path?: string; selection?: string; format?: string; flatten?: string };
  const groveRoutes: Array<[string, (file: GroveFile, q: GroveQuery, reply: FastifyReply) => unknown]> = [
    ['meta', (file, q) => meta(file, q.path ?? '/')],
    ['attr', (file, q) => attributes(file, q.path ?? '/')],
    ['paths', (file, q) => paths(file, q.path ?? '/', opts.maxElements)],
    ['data', (file, q, reply) => {
      const r = data(file, q.path ?? '/', q.selection, q.format ?? 'json', q.flatten === 'true', opts.maxElements);
      // serialised here: fastify would send a bare string as text
      return r.binary ? reply.type('application/octet-stream').send(r.binary) : reply.type('application/json').send(JSON.stringify(r.json));
    }],
  ];
  for (const [name, handler] of groveRoutes) {
    for (const url of [`/${name}`, `/${name}/`]) {
      app.get<{ Querystring: GroveQuery }>(url, async (req, reply) => handler(await openFile(req.query.file), req.query, reply));
    }
  }
  app.get<{ Querystring: { file?: string } }>('/api/plot', async (req) => ({ path: plotPath((await openFile(req.query.file)).root) }));

  app.get<{ Querystring: { file?: string } }>('/h5web/', (req, reply) => reply.type('text/html; charset=utf-8').send(h5webPage(String(req.query.file ?? ''))));
  for (const [asset, type] of [['h5web.js', 'text/javascript'], ['h5web.css', 'text/css']] as const) {
    app.get(`/assets/${asset}`, (_req, reply) => {
      const path = join(WEB_DIR, asset);
      if (!existsSync(path)) return reply.code(404).type('text/plain').send(`${asset} is not built: run npm run build`);
      return reply.type(type).send(readFileSync(path));
    });
  }

  app.setErrorHandler((e, _req, reply) => {
    const status = e instanceof GroveError ? e.status : (e as { statusCode?: number }).statusCode ?? 500;
    void reply.code(status).send({ message: e instanceof Error ? e.message : String(e) });
  });

  await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as { port: number }).port;
  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}/`;
  return {
    port, url, readers,
    description: `nxsw live view (read-only) at ${url}${opts.host === '127.0.0.1' ? ' (this machine only; --http HOST:PORT to serve others)' : ` (bound to ${opts.host})`}`,
    async stop() {
      clearInterval(timer);
      unwatch();
      for (const s of streams) s.end();
      await closeServer(app);
      readers.close();
    },
  };
}

async function closeServer(app: FastifyInstance): Promise<void> {
  app.server.closeAllConnections?.();
  await app.close();
}

function textAttr(g: TreeGroup, name: string): string | undefined {
  const v = g.attributes().find((a) => a.name === name)?.value();
  if (!v || v.type !== 'string') return undefined;
  return (v.data as string[])[0];
}

function subgroup(g: TreeGroup, name: string): TreeGroup | undefined {
  const c = g.child(name);
  return c?.kind === 'group' ? c : undefined;
}

/** the NXdata an entry plots: the entry's @default, else its first NXdata; else the entry itself */
export function plotPath(root: TreeGroup): string {
  const entryName = textAttr(root, 'default') ?? root.names().find((k) => {
    const g = subgroup(root, k);
    return g !== undefined && textAttr(g, 'NX_class') === 'NXentry';
  });
  const entry = entryName === undefined ? undefined : subgroup(root, entryName);
  if (!entry) return '/';
  const dataName = textAttr(entry, 'default') ?? entry.names().find((k) => {
    const g = subgroup(entry, k);
    return g !== undefined && textAttr(g, 'NX_class') === 'NXdata';
  });
  const at = `/${entryName}`;
  return dataName === undefined ? at : `${at}/${dataName}`;
}
