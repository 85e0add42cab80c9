/**
 * Helpers for the project's tests and for plugin authors' tests: an independent HDF5 reader
 * (Debian's h5py through /usr/bin/python3) and the rule for tests that need a real service.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
/** the reader script ships as source next to this module (src/testkit/h5read.py) */
const script = (name: string) => [join(here, name), join(here, '..', '..', '..', 'src', 'testkit', name)].find((p) => existsSync(p))!;
const READER = script('h5read.py');

export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface H5Attr { value: unknown; dtype: string; shape: number[] | null }
export interface H5Node {
  kind: 'group' | 'dataset' | 'softlink' | 'externallink';
  attrs: Record<string, H5Attr>;
  children: Record<string, H5Node>;
  dtype: string;
  shape: number[] | null;
  maxshape: number[] | null;
  chunks: number[] | null;
  compression: string | null;
  compression_opts: unknown;
  shuffle: boolean;
  filters: number[];
  value: unknown;
  target: string;
  file: string;
  resolved?: H5Node;
}
export interface H5File { attrs: Record<string, H5Attr>; children: Record<string, H5Node>; libver: string[] }

/**
 * Reads a whole HDF5 file with h5py (not with the library that wrote it). A file that a writer
 * still holds is locked (HDF5's flock): `unlocked` reads it as a live viewer does, with
 * HDF5_USE_FILE_LOCKING=FALSE; `swmr` as an SWMR reader.
 */
export function readWithH5py(file: string, opts: { swmr?: boolean; unlocked?: boolean } = {}): H5File {
  const env = opts.unlocked ? { ...process.env, HDF5_USE_FILE_LOCKING: 'FALSE' } : process.env;
  const out = execFileSync(SYSTEM_PYTHON, [READER, file, ...(opts.swmr ? ['--swmr'] : [])], { encoding: 'utf8', maxBuffer: 1 << 30, env });
  return JSON.parse(out) as H5File;
}

/** Follows a slash-separated path in a dumped file (through resolved links). */
export function h5get(f: H5File | H5Node, path: string): H5Node {
  let cur: H5File | H5Node = f;
  for (const part of path.split('/').filter(Boolean)) {
    const next: H5Node | undefined = cur.children?.[part];
    if (!next) throw new Error(`no ${part} in ${path} (have: ${Object.keys(cur.children ?? {}).join(', ')})`);
    cur = next;
  }
  return cur as H5Node;
}

/** h5dump's text output of a file (or of one object with -d/-g in args). */
export function h5dump(args: string[]): string {
  return execFileSync('h5dump', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
}

/**
 * For tests that need a real service (a database, h5py, a Tango server): returns a skip reason
 * when the service is missing on a developer's machine. Under CI=true a missing service is a
 * failure, never a skip.
 */
export function serviceSkip(name: string, available: boolean, hint: string): string | false {
  if (available) return false;
  const msg = `${name} is not available (${hint})`;
  if (process.env.CI === 'true') throw new Error(`${msg}; CI=true requires it`);
  console.warn(`SKIPPED: ${msg}`);
  return msg;
}

export function haveH5py(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0;
}

/**
 * The nxstools copy the reference material ships (`shared/reference/nxstools` beside the
 * repository, or $NXSTOOLS_PATH): Python code read and run in tests, never copied.
 */
export function nxstoolsPath(): string | undefined {
  const repo = join(here, '..', '..', '..', '..');
  const candidates = [process.env.NXSTOOLS_PATH, join(repo, '..', 'shared', 'reference', 'nxstools'), join(repo, '..', '..', 'shared', 'reference', 'nxstools'), '/work/shared/reference/nxstools'];
  return candidates.find((p) => p !== undefined && existsSync(join(p, 'nxstools', 'nxsfileinfo.py')));
}

export function haveNxstools(): boolean {
  const path = nxstoolsPath();
  return path !== undefined && spawnSync(SYSTEM_PYTHON, ['-c', 'from nxstools import nxsfileinfo'], { stdio: 'ignore', env: { ...process.env, PYTHONPATH: path } }).status === 0;
}

/** The SciCat metadata JSON nxstools makes for an entry of a file, with the reference writer's options. */
export function referenceScicatMetadata(file: string, entry: string): string {
  const path = nxstoolsPath();
  if (!path) throw new Error('nxstools is not available (set NXSTOOLS_PATH)');
  return execFileSync(SYSTEM_PYTHON, [script('scicat_reference.py'), file, entry], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path }, maxBuffer: 1 << 28 });
}

export { runSinkKit, sinkHelpers, hasH5dump, h5dumpText, isCode, v, f64, str, type SinkUnderTest } from './sink.js';
