// Test helpers: temp files, value builders, the native factory, and the independent readers (h5py, h5dump).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ElementType, NxValue, SinkFile } from '@nxsw/core';
import { readWithH5py, h5get, haveH5py, serviceSkip, SYSTEM_PYTHON, type H5File, type H5Node } from '@nxsw/core/testkit';
import { NativeHdf5SinkFactory, unavailableReason, type NativeSinkOptions } from '../src/index.js';

export { readWithH5py, h5get, SYSTEM_PYTHON, type H5File, type H5Node };

function hasH5dump(): boolean {
  try {
    execFileSync('h5dump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** skip reason (or false) for tests that need the system HDF5 library (the sink) */
export const noLibrary = serviceSkip('the system HDF5 library', unavailableReason() === null, 'apt-get install libhdf5-103-1');
/** skip reason (or false) for tests that also need h5py and h5dump */
export const noReaders = noLibrary || serviceSkip('h5py and h5dump', haveH5py() && hasH5dump(), 'apt-get install python3-h5py hdf5-tools');

export function tempFile(name = 'test.nxs'): string {
  return join(mkdtempSync(join(tmpdir(), 'nxsw-sink-native-')), name);
}

export async function create(file: string, options: NativeSinkOptions = {}): Promise<SinkFile> {
  return new NativeHdf5SinkFactory(options).open(file, { mode: 'create' });
}

export function v(type: ElementType, shape: number[], data: NxValue['data']): NxValue {
  return { type, shape, data };
}
export const f64 = (shape: number[], xs: number[]): NxValue => v('float64', shape, Float64Array.from(xs));
export const str = (shape: number[], xs: string[]): NxValue => v('string', shape, xs);

export function h5dumpText(args: string[]): string {
  return execFileSync('h5dump', args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, HDF5_USE_FILE_LOCKING: 'FALSE' } });
}
