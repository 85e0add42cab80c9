// @nxsw/sink-hdf5-native: the HDF5 sink on the system's HDF5 library. The factory is exported for direct construction in tests.
export { NativeHdf5SinkFactory, type NativeSinkOptions, type Libver } from './sink.js';
export { unavailableReason } from './lib.js';
export { openObjectCount } from './reader.js';
