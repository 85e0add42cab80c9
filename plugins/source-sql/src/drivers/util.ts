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
