/**
 * Runs one phase pool: reads every element's source concurrently (each bounded by its time
 * limit), then stores the values in configuration order. canfail is decided here and only here.
 */
import { NxswError, errorMessage } from '../api/errors.js';
import type { ReadContext } from '../api/extensions.js';
import type { NxValue } from '../api/values.js';
import type { Logger } from '../api/plugin.js';
import type { Acquirable } from './elements.js';

/** The reference's wording, which existing tools and tests match (spec 6.1). */
export function failureText(e: Acquirable, problem: unknown): string {
  return `('Data for ${e.label} not found. DATASOURCE: ${e.source.describe()}', '${errorMessage(problem)}')`;
}

function withTimeout(e: Acquirable, ctx: ReadContext): Promise<NxValue> {
  const signal = ctx.signal;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<NxValue>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new NxswError('TIMEOUT', 'time limit reached'));
    signal.addEventListener('abort', onAbort, { once: true });
    e.source.read(ctx).then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err); },
    );
  });
}

export type PoolBase = Omit<ReadContext, 'signal'>;

export async function runPool(elements: readonly Acquirable[], base: PoolBase, log: Logger): Promise<void> {
  if (elements.length === 0) return;
  // one timer per distinct time limit (normally one per pool), not one per element
  const controllers = new Map<number, AbortController>();
  const timers: NodeJS.Timeout[] = [];
  const contexts = elements.map((e) => {
    let ac = controllers.get(e.timeoutMs);
    if (!ac) {
      const c = new AbortController();
      controllers.set(e.timeoutMs, (ac = c));
      const t = setTimeout(() => c.abort(new NxswError('TIMEOUT', `no value within ${e.timeoutMs} ms`)), e.timeoutMs);
      t.unref();
      timers.push(t);
    }
    return { ...base, signal: ac.signal } as ReadContext;
  });
  const results = await Promise.allSettled(elements.map((e, i) => withTimeout(e, contexts[i]!)));
  for (const t of timers) clearTimeout(t);

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
