/**
 * The h5wasm emscripten Module, loaded once per process (or worker), and the helpers that turn
 * HDF5 error stacks into short NxswError messages.
 *
 * The sink talks to the Module's embind functions directly instead of h5wasm's File/Dataset
 * classes: those re-read metadata and convert arrays on every call, and they refuse things the
 * C layer can do (writing slices of vlen strings, several filters).
 */
import * as h5wasm from 'h5wasm/node';
import { NxswError, osCause } from '@nxsw/core';

/** The part of h5wasm's Module typing the sink uses (the package's own typing, re-exported). */
export type H5Module = Awaited<typeof h5wasm.ready>;

/** H5S_UNLIMITED as h5wasm passes it through embind (hsize_t -1). */
export const UNLIMITED = 0xffffffffffffffffn;

let loaded: Promise<H5Module> | undefined;

export function loadModule(): Promise<H5Module> {
  loaded ??= (async () => {
    const m = await h5wasm.ready;
    // without it a failed call returns -1 and prints HDF5-DIAG to stderr
    m.activate_throwing_error_handler();
    return m;
  })();
  return loaded;
}

/** The HDF5 version compiled into the wasm, read from the library's own version banner. */
let version: string | undefined;
export function hdf5Version(m: H5Module): string {
  if (version) return version;
  const heap = Buffer.from(m.HEAPU8.buffer, 0, Math.min(m.HEAPU8.length, 8 << 20));
  const text = heap.toString('latin1');
  const found = /HDF5 library version: (\d+\.\d+\.\d+[-.\w]*)/.exec(text) ?? /Error detected in HDF5 \((\d+\.\d+\.\d+)/.exec(text);
  version = found?.[1] ?? 'unknown';
  return version;
}

/**
 * Condenses an HDF5 error stack ("#000: file line N in F(): message ...") to its outermost and
 * innermost messages, which say what failed and why.
 */
export function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const msgs = [...text.matchAll(/#\d+: .*? in (\w+)\(\): (.*)/g)].map((x) => `${x[2]!.trim()}`);
  if (msgs.length === 0) return text.split('\n')[0]!.slice(0, 300);
  const first = msgs[0]!;
  const last = msgs[msgs.length - 1]!;
  return first === last ? first : `${first}: ${last}`;
}

/**
 * Runs one Module call; an exception becomes FILE_ERROR naming the file, the object, the operation
 * and the cause: the operating system's (disk full, permission, ...) where HDF5 quotes one.
 */
export function h5call<T>(file: string, what: string, objPath: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NxswError) throw e;
    throw new NxswError('FILE_ERROR', `${file}: cannot ${what} ${objPath}: ${osCause(e) ?? hdf5Reason(e)}`, { cause: e });
  }
}
