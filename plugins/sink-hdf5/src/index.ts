// @nxsw/sink-hdf5: the HDF5 sink on h5wasm. The factory is exported for direct construction in tests.
export { Hdf5SinkFactory, type Hdf5SinkOptions, type Libver } from './sink.js';
