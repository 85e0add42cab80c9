/**
 * Runs one phase pool: reads every element's source concurrently (each bounded by its time
 * limit), then stores the values in configuration order. canfail is decided here and only here.
 */
import { NxswError, errorMessage } from '../api/errors.js';
import type { ReadContext } from '../api/extensions.js';
import type { NxValue } from '../api/values.js';
import type { Logger } from '../api/plugin.js';
import type { Acquirable } from './elements.js';

/**
 * The reference's wording, which existing tools and tests match (spec 6.1): Python's `str()` of
 * the pair (message, detail), so a quote in either (a KeyError's `'missing'`) is escaped as
 * Python escapes it and tools can read the pair back with `ast.literal_eval`.
 */
export function failureText(e: Acquirable, problem: unknown): string {
  return `(${pythonRepr(`Data for ${e.label} not found. DATASOURCE: ${e.source.describe()}`)}, ${pythonRepr(errorMessage(problem))})`;
}

/** Python 3's repr() of a str: single quotes unless the text has ' and no ", escapes as Python's. */
export function pythonRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const named: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', [q]: `\\${q}` };
  // eslint-disable-next-line no-control-regex
  return q + s.replace(/[\\\n\r\t'"\x00-\x1f\x7f]/g, (c) => {
    if (named[c]) return named[c];
    if (c === "'" || c === '"') return c;
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }) + q;
}

/**
 * Time limits are checked by one shared ticker instead of a timer per pool run: a timer per
 * Record turned out to keep its closures alive long enough to be promoted to the old heap,
 * which made the process grow with the number of records until a major GC.
 */
const TICK_MS = 20;
const active = new Set<TimeLimit>();
let ticker: NodeJS.Timeout | undefined;
let idleTicks = 0;

function tick(): void {
  const now = performance.now();
  for (const l of active) if (now >= l.deadline) l.expire();
  // keep ticking through a scan; stop after a second without limits
  if (active.size > 0) idleTicks = 0;
  else if (++idleTicks > 1000 / TICK_MS && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/** every member of T present, optional ones included (possibly undefined): the compiler catches a getter TimeLimit misses */
type Present<T> = { [K in keyof Required<T>]: T[K] };

/**
 * One time limit shared by the reads of a pool that have the same limit, and the ReadContext
 * those reads get: one rejection that every read races. The context's fields come from the
 * pool's base through prototype getters, so no per-run object with its own accessors is made
 * (those were pretenured by V8 and grew the old heap with every Record). The AbortSignal is
 * made only when a source asks for it (CLIENT-like sources never do).
 */
class TimeLimit implements ReadContext, Present<ReadContext> {
  readonly expired: Promise<never>;
  readonly deadline: number;
  private reject!: (e: Error) => void;
  private controller: AbortController | undefined;
  private reason: Error | undefined;

  constructor(private readonly base: PoolBase, private readonly ms: number) {
    this.expired = new Promise<never>((_, r) => { this.reject = r; });
    this.expired.catch(() => undefined); // observed by the races; this only silences the spare
    this.deadline = performance.now() + ms;
    active.add(this);
    if (!ticker) {
      ticker = setInterval(tick, TICK_MS);
      ticker.unref();
    }
  }

  get phase() { return this.base.phase; }
  get step() { return this.base.step; }
  get globalJson() { return this.base.globalJson; }
  get localJson() { return this.base.localJson; }
  get shared() { return this.base.shared; }
  get file() { return this.base.file; }
  get split() { return this.base.split; }
  get settings() { return this.base.settings; }
  decoder(name: string) { return this.base.decoder(name); }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  expire(): void {
    active.delete(this);
    this.reason = new NxswError('TIMEOUT', `no value within ${this.ms} ms`);
    this.controller?.abort(this.reason);
    this.reject(this.reason);
  }

  clear(): void {
    active.delete(this);
  }
}

/** warns about an element whose read took longer than the limit (MaxElementRuntime) */
function timed<T>(p: Promise<T>, e: Acquirable, limitMs: number, log: Logger): Promise<T> {
  const started = performance.now();
  const check = () => {
    const took = performance.now() - started;
    if (took > limitMs) log.warn(`${e.label}: reading ${e.source.describe()} took ${(took / 1000).toFixed(3)} s, more than MaxElementRuntime ${(limitMs / 1000).toFixed(3)} s`);
  };
  p.then(check, check);
  return p;
}

/**
 * At most this many reads of one pool are in flight at once, so a configuration with hundreds of
 * fields does not open hundreds of queries or device calls together. The time limit counts from
 * the start of the phase, queued reads included.
 */
export const MAX_CONCURRENT_READS = 64;

async function bounded(elements: readonly Acquirable[], start: (e: Acquirable) => Promise<NxValue>): Promise<PromiseSettledResult<NxValue>[]> {
  const results = new Array<PromiseSettledResult<NxValue>>(elements.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < elements.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await start(elements[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: MAX_CONCURRENT_READS }, worker));
  return results;
}

export type PoolBase = Omit<ReadContext, 'signal'>;

export async function runPool(elements: readonly Acquirable[], base: PoolBase, log: Logger, warnAfterMs?: number): Promise<void> {
  if (elements.length === 0) return;
  // one timer per distinct time limit (normally one per pool), not one per element
  const limits = new Map<number, TimeLimit>();
  const start = (e: Acquirable): Promise<NxValue> => {
    let limit = limits.get(e.timeoutMs);
    if (!limit) limits.set(e.timeoutMs, (limit = new TimeLimit(base, e.timeoutMs)));
    const read = Promise.race([e.source.read(limit, e.want), limit.expired]);
    return warnAfterMs ? timed(read, e, warnAfterMs, log) : read;
  };
  const results = elements.length <= MAX_CONCURRENT_READS ? await Promise.allSettled(elements.map(start)) : await bounded(elements, start);
  for (const l of limits.values()) l.clear();

  const errors: string[] = [];
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    const r = results[i]!;
    let problem: unknown;
    if (r.status === 'fulfilled') {
      try {
        e.store(r.value);
        continue;
      } catch (err) {
        problem = err;
      }
    } else problem = r.reason;
    const text = failureText(e, problem);
    if (e.canfail) {
      log.warn(text);
      e.fail(text);
    } else {
      errors.push(text);
      try {
        e.failHard?.();
      } catch (err) {
        log.warn(`${e.label}: could not fill the failed slot: ${errorMessage(err)}`);
      }
    }
  }
  if (errors.length) throw new NxswError('ACQUISITION_FAILED', `Problems in storing data: [${errors.join(',\n ')}]`);
}
