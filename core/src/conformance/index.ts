/**
 * The plugin conformance kit. A facility's plugin test suite calls `checkPlugin` to check its
 * package against the kernel's contract: a valid manifest with a supported API range, exactly the
 * declared extensions registered, and each extension behaving as its kind requires. Every
 * declared extension needs a fixture, so nothing goes unchecked.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, NxswError } from '../api/errors.js';
import type { DataSourceType, Decoder, FrontEnd, JsonRecord, ReadContext, SinkFactory } from '../api/extensions.js';
import { checkValue, valueFromJs, stringValue } from '../api/values.js';
import { parseXml } from '../engine/xmlparse.js';
import { buildPlan } from '../engine/planner.js';
import { STANDARD_TAGS } from '../engine/tags.js';
import type { TagHandler } from '../engine/plan.js';
import { Kernel } from '../kernel/kernel.js';
import { readPluginPackage, apiMismatch } from '../kernel/manifest.js';

export interface DatasourceFixture {
  /** a <datasource> element that must work */
  readonly valid: string;
  /** a <datasource> element that must be refused with a clear configuration error */
  readonly invalid: string;
  /** what the valid source is read with */
  readonly globalJson?: JsonRecord;
  readonly localJson?: JsonRecord;
  /** a <datasource> whose read takes longer than 200 ms, to check that the signal is honoured */
  readonly slow?: string;
}

export interface ConformanceFixtures {
  /** the plugin package directory */
  readonly packageDir: string;
  /** options passed to the plugin */
  readonly options?: Record<string, unknown>;
  readonly datasource?: Readonly<Record<string, DatasourceFixture>>;
  /** for each tag: a whole <definition> document that uses it */
  readonly tag?: Readonly<Record<string, string>>;
  readonly decoder?: Readonly<Record<string, { format: string; bytes: Uint8Array }>>;
  /** sinks need no fixture: a scratch file is written in a temporary directory */
  /** kinds the kit does not know (e.g. sql-driver): a check function per extension name */
  readonly other?: Readonly<Record<string, (extension: unknown) => void | Promise<void>>>;
}

export interface ConformanceReport {
  readonly plugin: string;
  readonly checked: string[];
}

export class ConformanceError extends Error {
  constructor(plugin: string, readonly failures: string[]) {
    super(`${plugin} does not conform:\n  - ${failures.join('\n  - ')}`);
    this.name = 'ConformanceError';
  }
}

function readContext(f: DatasourceFixture, signal: AbortSignal): ReadContext {
  return {
    phase: 'STEP', step: 1, globalJson: f.globalJson ?? {}, localJson: f.localJson, signal, shared: new Map(), file: undefined,
    decoder: (n) => { throw new NxswError('DATASOURCE_CONFIG', `no decoder ${n} in the conformance kit`); },
  };
}

async function within<T>(ms: number, p: Promise<T>): Promise<{ done: boolean; value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: boolean }>((r) => { timer = setTimeout(() => r({ done: false }), ms); });
  const settled = p.then((value) => ({ done: true, value }), (error: unknown) => ({ done: true, error }));
  const r = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return r;
}

async function checkDatasource(t: DataSourceType, f: DatasourceFixture, fail: (m: string) => void): Promise<void> {
  const env = { createSource: () => { throw new Error('nested sources are not part of the conformance fixture'); } };
  try {
    t.create(parseXml(f.invalid), env);
    fail(`datasource ${t.name}: create() accepted the invalid fixture`);
  } catch (e) {
    if (!(e instanceof ConfigError)) fail(`datasource ${t.name}: create() of the invalid fixture threw ${String(e)}, not a ConfigError`);
    else if (!e.location) fail(`datasource ${t.name}: the configuration error does not say where (no location): ${e.message}`);
  }
  let source;
  try {
    source = t.create(parseXml(f.valid), env);
  } catch (e) {
    fail(`datasource ${t.name}: create() refused the valid fixture: ${String(e)}`);
    return;
  }
  if (typeof source.describe() !== 'string' || source.describe() === '') fail(`datasource ${t.name}: describe() is empty`);
  const r = await within(10_000, source.read(readContext(f, new AbortController().signal)));
  if (!r.done) fail(`datasource ${t.name}: read() did not finish within 10 s`);
  else if (r.error) fail(`datasource ${t.name}: read() of the valid fixture failed: ${String(r.error)}`);
  else {
    try {
      checkValue(r.value!, `datasource ${t.name} value`);
    } catch (e) {
      fail(String((e as Error).message));
    }
  }
  // an aborted read must not hang: the engine relies on the signal for its time limits
  const slow = f.slow ? t.create(parseXml(f.slow), env) : source;
  const ac = new AbortController();
  setTimeout(() => ac.abort(new NxswError('TIMEOUT', 'conformance time limit')), 100).unref();
  const started = Date.now();
  const s = await within(2000, slow.read(readContext(f, ac.signal)));
  if (!s.done) fail(`datasource ${t.name}: read() ignored an aborted signal for more than 2 s`);
  else if (f.slow && !s.error) fail(`datasource ${t.name}: the slow fixture resolved although its signal was aborted after 100 ms (took ${Date.now() - started} ms)`);
  await source.close?.();
}

/** the optional reader sees what the sink wrote: groups, fields with type and shape, links followed, attributes */
async function checkReader(sink: SinkFactory, path: string, fail: (m: string) => void): Promise<void> {
  const reader = await sink.openReader!(path);
  try {
    const entry = reader.root.children().find((c) => c.name === 'entry')?.node;
    if (entry?.kind !== 'group') return fail(`sink ${sink.name}: the reader does not see the group /entry`);
    const nx = entry.attributes().find((a) => a.name === 'NX_class');
    if (nx?.type !== 'string' || (nx.value()?.data as string[] | undefined)?.[0] !== 'NXentry') fail(`sink ${sink.name}: the reader does not read @NX_class`);
    const kids = new Map(entry.children().map((c) => [c.name, c.node]));
    for (const name of ['x', 'y']) {
      const x = kids.get(name);
      if (x?.kind !== 'field' || x.type !== 'float64' || x.shape.join() !== '3') fail(`sink ${sink.name}: the reader sees ${name} as ${JSON.stringify(x)}, not a float64 field of shape [3]`);
      else if (x.read(2) !== undefined || x.read(3)?.data[2] !== 3.5) fail(`sink ${sink.name}: the reader's read(maxElements) does not honour the limit or the data`);
      else if (x.readSlice && x.readSlice([2], [1])?.data[0] !== 3.5) fail(`sink ${sink.name}: the reader's readSlice([2], [1]) of ${name} does not give its last element`);
    }
    const title = kids.get('title');
    if (title?.kind !== 'field' || (title.read(1)?.data as string[] | undefined)?.[0] !== 'ünïcode') fail(`sink ${sink.name}: the reader does not read the string scalar`);
  } finally {
    reader.close();
  }
}

async function checkSink(sink: SinkFactory, fail: (m: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-conformance-'));
  const path = join(dir, `scratch${sink.suffixes?.[0] ?? '.out'}`);
  try {
    const f = await sink.open(path, { mode: 'create' });
    const g = f.root.createGroup('entry');
    g.setAttribute('NX_class', stringValue('NXentry'));
    const x = g.createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
    x.append(valueFromJs([1.5, 2.5]));
    x.append({ type: 'float64', shape: [1], data: new Float64Array([3.5]) });
    if (x.rows !== 3) fail(`sink ${sink.name}: rows is ${x.rows} after appending 3 rows`);
    const s = g.createField('title', { type: 'string', shape: [], scalar: true });
    s.write(stringValue('ünïcode'));
    g.createSoftLink('/entry/x', 'y');
    // a sink that stores virtual datasets maps this file's x as one
    if (g.createVirtualField) {
      const v = g.createVirtualField('vx', { type: 'float64', shape: [3], mappings: [{ file: '.', dataset: '/entry/x', sourceShape: [3], virtualSelection: { start: [0], count: [3] } }] });
      if (v.shape[0] !== 3) fail(`sink ${sink.name}: the virtual dataset has shape ${JSON.stringify(v.shape)}, expected [3]`);
    }
    f.flush();
    f.close();
    const again = await sink.open(path, { mode: 'append' });
    const e = again.root.openGroup('entry');
    if (!e) fail(`sink ${sink.name}: the group is missing after reopening`);
    else {
      const nx = e.getAttribute('NX_class');
      if (!nx || (nx.data as string[])[0] !== 'NXentry') fail(`sink ${sink.name}: attribute NX_class did not read back`);
      if (!e.keys().includes('y')) fail(`sink ${sink.name}: the soft link is missing`);
      const xr = e.openField('x');
      if (!xr || xr.shape[0] !== 3) fail(`sink ${sink.name}: dataset x has shape ${JSON.stringify(xr?.shape)} after reopening, expected [3]`);
      if (e.createVirtualField && e.openField('vx')?.shape[0] !== 3) fail(`sink ${sink.name}: the virtual dataset vx is missing or has another shape after reopening`);
      // reading values back is optional; a sink that offers it must give what was written
      if (xr?.read) {
        const v = xr.read();
        if (v.type !== 'float64' || JSON.stringify([...(v.data as Float64Array)]) !== '[1.5,2.5,3.5]') fail(`sink ${sink.name}: read() of x gave ${v.type} ${JSON.stringify(Array.from(v.data as ArrayLike<unknown>))}, expected float64 [1.5,2.5,3.5]`);
        const t = e.openField('title')?.read?.();
        if (!t || t.type !== 'string' || (t.data as string[])[0] !== 'ünïcode') fail(`sink ${sink.name}: read() of the string scalar title did not give 'ünïcode'`);
      }
    }
    again.close();
    if (sink.openReader) await checkReader(sink, path, fail);
    try {
      await sink.open(path, { mode: 'create' });
      fail(`sink ${sink.name}: mode 'create' overwrote an existing file`);
    } catch (err) {
      if (!(err instanceof NxswError)) fail(`sink ${sink.name}: creating over an existing file threw ${String(err)}, not an NxswError`);
    }
  } catch (e) {
    fail(`sink ${sink.name}: ${String((e as Error)?.stack ?? e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkTag(t: TagHandler, doc: string, fail: (m: string) => void): void {
  const tags = new Map<string, TagHandler>(STANDARD_TAGS.map((h) => [h.name, h]));
  tags.set(t.name, t);
  try {
    const plan = buildPlan(parseXml(doc), (n) => tags.get(n), () => [...tags.keys()]);
    if (!plan) fail(`tag ${t.name}: no plan`);
  } catch (e) {
    fail(`tag ${t.name}: the fixture document does not build: ${String((e as Error).message)}`);
  }
}

/** Runs every check; throws a ConformanceError listing all failures. */
export async function checkPlugin(fx: ConformanceFixtures): Promise<ConformanceReport> {
  const failures: string[] = [];
  const fail = (m: string) => failures.push(m);
  const checked: string[] = [];
  let name = fx.packageDir;
  try {
    const pkg = readPluginPackage(fx.packageDir);
    name = pkg.name;
    const mismatch = apiMismatch(pkg);
    if (mismatch) fail(mismatch);
  } catch (e) {
    throw new ConformanceError(name, [(e as Error).message]);
  }
  const kernel = await Kernel.start({ discoverInstalled: false, plugins: [fx.packageDir], pluginOptions: { [name]: fx.options ?? {} } });
  const status = kernel.plugins.find((p) => p.name === name);
  if (!status || status.status !== 'loaded') throw new ConformanceError(name, [`the plugin was not loaded: ${status?.reason ?? 'not found'}`]);
  try {
    for (const p of status.provides) {
      const ext = kernel.find(p.kind, p.name);
      if (!ext) {
        fail(`${p.kind} ${p.name} is declared but not registered`);
        continue;
      }
      checked.push(`${p.kind}:${p.name}`);
      switch (p.kind) {
        case 'datasource': {
          const f = fx.datasource?.[p.name];
          if (!f) fail(`datasource ${p.name}: no fixture given (valid and invalid <datasource> elements)`);
          else await checkDatasource(ext as DataSourceType, f, fail);
          break;
        }
        case 'sink':
          await checkSink(ext as SinkFactory, fail);
          break;
        case 'tag': {
          const doc = fx.tag?.[p.name];
          if (!doc) fail(`tag ${p.name}: no fixture document given`);
          else checkTag(ext as TagHandler, doc, fail);
          break;
        }
        case 'decoder': {
          const f = fx.decoder?.[p.name];
          if (!f) fail(`decoder ${p.name}: no fixture given`);
          else {
            try {
              checkValue(await (ext as Decoder).decode(f.format, f.bytes, { shared: new Map(), settings: {}, signal: new AbortController().signal }), `decoder ${p.name}`);
            } catch (e) {
              fail(`decoder ${p.name}: ${String((e as Error).message)}`);
            }
          }
          break;
        }
        case 'frontend':
          if (typeof (ext as FrontEnd).start !== 'function') fail(`frontend ${p.name}: no start() function`);
          break;
        default: {
          const check = fx.other?.[p.kind];
          if (!check) fail(`${p.kind} ${p.name}: the kit has no check for kind '${p.kind}'; pass one in fixtures.other`);
          else {
            try {
              await check(ext);
            } catch (e) {
              fail(`${p.kind} ${p.name}: ${String((e as Error).message)}`);
            }
          }
        }
      }
    }
  } finally {
    await kernel.stop();
  }
  if (failures.length) throw new ConformanceError(name, failures);
  return { plugin: name, checked };
}
