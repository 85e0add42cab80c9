/** Helpers shared by the built-in drivers. */
import { NxswError } from '@nxsw/core';

/**
 * Resolves like `work`, but rejects as soon as `signal` aborts and then calls `onAbort` (which
 * breaks the connection, so the pool drops it). A late result of `work` is ignored.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    onAbort();
    return Promise.reject(timeoutError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(timeoutError(signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', abort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', abort); reject(e); },
    );
  });
}

/**
 * A query as every built-in driver runs it: abortable by the signal, its driver errors turned into
 * NxswErrors by the driver's `classify`, and a connection the error broke reported to `onBroken`
 * (so the pool drops it).
 */
export async function guardedQuery<T>(
  work: Promise<T>,
  signal: AbortSignal,
  onAbort: () => void,
  classify: (e: unknown) => { error: NxswError; broken: boolean },
  onBroken: () => void,
): Promise<T> {
  try {
    return await abortable(work, signal, onAbort);
  } catch (e) {
    if (e instanceof NxswError) throw e;
    const { error, broken } = classify(e);
    if (broken) onBroken();
    throw error;
  }
}

export function timeoutError(signal: AbortSignal): NxswError {
  const r: unknown = signal.reason;
  if (r instanceof NxswError) return r;
  const why = r instanceof Error && r.name === 'TimeoutError' ? 'the time limit is over' : 'the read was aborted';
  return new NxswError('TIMEOUT', `query stopped: ${why}`, { cause: r });
}

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Node's socket-level error codes: the server cannot be reached. */
export const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
