/**
 * What the PYEVAL and Python-class sources share about their requests to the worker: keys,
 * the file argument, and how replies become values or typed errors.
 */
import { ConfigError, NxswError } from '@nxsw/core';
import type { NxValue, ReadContext, XmlLocation } from '@nxsw/core';
import { isWireArray, type WireValue } from './codec.js';
import { PythonError } from './worker.js';

let nextId = 0;
/** a key for one script or class in the worker */
export function workerKey(kind: string): string {
  return `${kind}${++nextId}`;
}

/** the file argument of a request: what `__root__` needs to know of the file being written */
export function fileInfo(ctx: ReadContext): WireValue {
  if (!ctx.file) return null;
  return { path: ctx.file.path, currentfileid: ctx.split?.currentFileId ?? 0, stepsperfile: ctx.split?.stepsPerFile ?? 0 };
}

/**
 * the worker refuses every script and class (sandbox "require" on a kernel that cannot confine):
 * `what` was not run (or, for a check, `not done`)
 */
export function sandboxRefusal(e: PythonError, what: string, notDone = 'was not run'): NxswError {
  return new NxswError('SOURCE_UNAVAILABLE', `${what} ${notDone}: ${e.pythonMessage}`, { cause: e });
}

/** an error from the worker as the typed error of a read */
export function readError(e: unknown, what: string, where: XmlLocation): unknown {
  if (!(e instanceof PythonError)) return e;
  if (e.kind === 'sandbox') return sandboxRefusal(e, what);
  if (e.kind === 'syntax') return new ConfigError('DATASOURCE_CONFIG', `${what} does not compile: ${e.message}`, where);
  return new NxswError('DATA_NOT_FOUND', `${what} failed: ${e.message}`, { cause: e });
}

export function resultValue(v: WireValue, what: string): NxValue {
  if (!isWireArray(v)) throw new NxswError('INTERNAL', `${what}: the Python worker returned no value`);
  return v.array;
}
