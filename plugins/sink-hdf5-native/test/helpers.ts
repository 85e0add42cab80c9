// The native sink as the shared sink test kit (@nxsw/core/testkit) sees it, and the kit's helpers bound to it.
import { serviceSkip, sinkHelpers, type SinkUnderTest } from '@nxsw/core/testkit';
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
