/**
 * The `http` front end: a read-only live view of this process's writer sessions. `/` is the
 * status page (server-sent events from `/events`), `/meta/`, `/attr/`, `/data/` speak h5grove
 * for the files the sessions hold open (addressed by session name, never by a path on disk),
 * and `/h5web/?file=NAME` is H5Web's app on that API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { type FrontEnd, type Kernel, type RunningFrontEnd, type SinkFile, type SinkGroup } from '@nxsw/core';
import { USAGE, parseHttpArgs, type HttpOptions } from './args.js';
import { GroveError, attributes, data, meta } from './h5grove.js';
import { StatusSampler } from './status.js';
import { STATUS_PAGE, h5webPage } from './pages.js';

export interface RunningHttpServer extends RunningFrontEnd {
  readonly port: number;
  /** the address to open, e.g. http://127.0.0.1:8080/ */
  readonly url: string;
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

  const openFile = async (name: unknown): Promise<SinkFile> => {
    const session = typeof name === 'string' ? kernel.sessions.get(name) : undefined;
    if (!session) throw new GroveError(404, `File not found: no writer session named '${String(name)}'`);
    // a reader sees whole Records: it waits for the running command
    await session.idle();
    const file = session.openSinkFile;
    if (!file) throw new GroveError(404, `File not found: the session '${String(name)}' has no file open`);
    return file;
  };
  type GroveQuery = { file?: string; path?: string; selection?: string; format?: string; flatten?: string };
  const groveRoutes: Array<[string, (file: SinkFile, q: GroveQuery, reply: FastifyReply) => unknown]> = [
    ['meta', (file, q) => meta(file, q.path ?? '/')],
    ['attr', (file, q) => attributes(file, q.path ?? '/')],
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
    port, url,
    description: `nxsw live view (read-only) at ${url}${opts.host === '127.0.0.1' ? ' (this machine only; --http HOST:PORT to serve others)' : ` (bound to ${opts.host})`}`,
    async stop() {
      clearInterval(timer);
      for (const s of streams) s.end();
      await closeServer(app);
    },
  };
}

async function closeServer(app: FastifyInstance): Promise<void> {
  app.server.closeAllConnections?.();
  await app.close();
}

function textAttr(g: SinkGroup, name: string): string | undefined {
  const v = g.getAttribute(name);
  if (!v || v.type !== 'string') return undefined;
  return (v.data as string[])[0];
}

/** the NXdata an entry plots: the entry's @default, else its first NXdata; else the entry itself */
export function plotPath(root: SinkGroup): string {
  const entryName = textAttr(root, 'default') ?? root.keys().find((k) => {
    const g = root.openGroup(k);
    return g !== undefined && textAttr(g, 'NX_class') === 'NXentry';
  });
  const entry = entryName === undefined ? undefined : root.openGroup(entryName);
  if (!entry) return '/';
  const dataName = textAttr(entry, 'default') ?? entry.keys().find((k) => {
    const g = entry.openGroup(k);
    return g !== undefined && textAttr(g, 'NX_class') === 'NXdata';
  });
  return dataName === undefined ? entry.path : `${entry.path}/${dataName}`;
}

