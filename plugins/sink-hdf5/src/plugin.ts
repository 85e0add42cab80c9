// Plugin entry: registers the HDF5 sink with the options the kernel validated against the manifest.
import { definePlugin } from '@nxsw/core';
import { Hdf5SinkFactory, type Hdf5SinkOptions } from './sink.js';

export default definePlugin({
  register(ctx) {
    ctx.provide(new Hdf5SinkFactory(ctx.options as Hdf5SinkOptions));
  },
});
