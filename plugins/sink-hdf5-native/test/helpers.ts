// The native sink as the shared sink test kit (@nxsw/core/testkit) sees it, and the kit's helpers bound to it.
import { spawn } from 'node:child_process';
import { serviceSkip, sinkHelpers, SYSTEM_PYTHON, type SinkUnderTest } from '@nxsw/core/testkit';
import { NativeHdf5SinkFactory, unavailableReason, type NativeSinkOptions } from '../src/index.js';

export { readWithH5py, h5get, SYSTEM_PYTHON, v, f64, str, h5dumpText, isCode, type H5File, type H5Node } from '@nxsw/core/testkit';

/** skip reason (or false) for tests that need the system HDF5 library (the sink) */
export const noLibrary = serviceSkip('the system HDF5 library', unavailableReason() === null, 'apt-get install libhdf5-103-1');

export const nativeSink: SinkUnderTest<NativeSinkOptions> = {
  factory: (options = {}) => new NativeHdf5SinkFactory(options),
  tmpPrefix: 'nxsw-sink-native-',
  unavailable: noLibrary,
  unavailableFilter: /HDF5 filter 32008 is not available .*HDF5_PLUGIN_PATH/,
  notHdf5: /text\.nxs/,
  isDirectory: /not a regular file/,
  // the native sink lists names in HDF5's name order; the h5wasm sink in creation order
  keysInCreationOrder: false,
};

/** skip reason (or false) for tests that also need h5py and h5dump */
export const { noReaders, tempFile, create } = sinkHelpers(nativeSink);

/**
 * h5py holding `file` open in a child process until released: `open` is Python that opens
 * sys.argv[1] as `f` (h5py, numpy as np and sys are imported); resolves once it holds it.
 */
export async function h5pyHolding(file: string, open: string): Promise<{ release(): Promise<void> }> {
  const child = spawn(SYSTEM_PYTHON, ['-c', `import h5py, numpy as np, sys\n${open}\nprint('held', flush=True)\nsys.stdin.read()\nf.close()`, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  await new Promise<void>((res, rej) => {
    child.stdout.once('data', () => res());
    child.once('exit', (code) => rej(new Error(`h5py could not open ${file} (exit ${code}): ${err}`)));
  });
  return { release: () => { child.stdin.end(); return new Promise((r) => child.once('exit', () => r())); } };
}
