/**
 * Runs one phase pool: reads every element's source concurrently (each bounded by its time
 * limit), then stores the values in configuration order. canfail is decided here and only here.
 */
import { NxswError, errorMessage } from '../api/errors.js';
import type { ReadContext } from '../api/extensions.js';
import type { Logger } from '../api/plugin.js';
import type { Acquirable } from './elements.js';

/** The reference's wording, which existing tools and tests match (spec 6.1). */
export function failureText(e: Acquirable, problem: unknown): string {
  return `('Data for ${e.label} not found. DATASOURCE: ${e.source.describe()}', '${errorMessage(problem)}')`;
}

/** one rejection per time limit, raced by every read that shares it (no listener per element) */
function abortedPromise(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason instanceof Error ? signal.reason : new NxswError('TIMEOUT', 'time limit reached')), { once: true });
  });
  p.catch(() => undefined); // handled by the races; this only silences the pool-level promise
  return p;
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

export type PoolBase = Omit<ReadContext, 'signal'>;

export async function runPool(elements: readonly Acquirable[], base: PoolBase, log: Logger, warnAfterMs?: number): Promise<void> {
  if (elements.length === 0) return;
  // one timer per distinct time limit (normally one per pool), not one per element
  const limits = new Map<number, { ctx: ReadContext; aborted: Promise<never>; timer: NodeJS.Timeout }>();
  const reads = elements.map((e) => {
    let limit = limits.get(e.timeoutMs);
    if (!limit) {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new NxswError('TIMEOUT', `no value within ${e.timeoutMs} ms`)), e.timeoutMs);
      timer.unref();
      limit = { ctx: { ...base, signal: ac.signal }, aborted: abortedPromise(ac.signal), timer };
      limits.set(e.timeoutMs, limit);
    }
    const read = Promise.race([e.source.read(limit.ctx, e.want), limit.aborted]);
    return warnAfterMs ? timed(read, e, warnAfterMs, log) : read;
  });
  const results = await Promise.allSettled(reads);
  for (const l of limits.values()) clearTimeout(l.timer);

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
