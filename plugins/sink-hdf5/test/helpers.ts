// The h5wasm sink as the shared sink test kit (@nxsw/core/testkit) sees it, and the kit's helpers bound to it.
import { sinkHelpers, type SinkUnderTest } from '@nxsw/core/testkit';
import { Hdf5SinkFactory, type Hdf5SinkOptions } from '../src/index.js';

export { readWithH5py, h5get, v, f64, str, h5dumpText, isCode, type H5File, type H5Node } from '@nxsw/core/testkit';

export const wasmSink: SinkUnderTest<Hdf5SinkOptions> = {
  factory: (options = {}) => new Hdf5SinkFactory(options),
  tmpPrefix: 'nxsw-sink-hdf5-',
  unavailableFilter: /HDF5 filter 32008 is not available/,
  notHdf5: /text\.nxs: cannot open the file/,
  isDirectory: /is a directory/,
  keysInCreationOrder: true,
};

/** skip reason (or false) for tests that need h5py and h5dump */
export const { noReaders, tempFile, create } = sinkHelpers(wasmSink);
