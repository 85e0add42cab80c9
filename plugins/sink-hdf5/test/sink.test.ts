// The h5wasm HDF5 sink, checked with independent readers (h5py 3.7 / HDF5 1.10.8 and h5dump 1.10.8)
// through the shared sink test kit; what only this sink does is in the other test files.
import { runSinkKit } from '@nxsw/core/testkit';
import { wasmSink } from './helpers.js';

runSinkKit(wasmSink);
