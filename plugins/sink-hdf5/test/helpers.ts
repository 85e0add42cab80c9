// Shared test helpers: temp files, value builders, and the independent readers (h5py, h5dump).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ElementType, NxValue, SinkFile } from '@nxsw/core';
import { readWithH5py, h5get, haveH5py, serviceSkip, type H5File, type H5Node } from '@nxsw/core/testkit';
import { Hdf5SinkFactory, type Hdf5SinkOptions } from '../src/index.js';

export { readWithH5py, h5get, type H5File, type H5Node };

/** skip reason (or false) for tests that need h5py and h5dump */
export const noReaders = serviceSkip('h5py and h5dump', haveH5py() && hasH5dump(), 'apt-get install python3-h5py hdf5-tools');

function hasH5dump(): boolean {
  try {
    execFileSync('h5dump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function tempFile(name = 'test.nxs'): string {
  return join(mkdtempSync(join(tmpdir(), 'nxsw-sink-hdf5-')), name);
}

export async function create(file: string, options: Hdf5SinkOptions = {}): Promise<SinkFile> {
  return new Hdf5SinkFactory(options).open(file, { mode: 'create' });
}

export function v(type: ElementType, shape: number[], data: NxValue['data']): NxValue {
  return { type, shape, data };
}
export const f64 = (shape: number[], xs: number[]): NxValue => v('float64', shape, Float64Array.from(xs));
export const str = (shape: number[], xs: string[]): NxValue => v('string', shape, xs);

export function h5dumpText(args: string[]): string {
  return execFileSync('h5dump', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
}
