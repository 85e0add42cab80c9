// Plugin entry: registers the native HDF5 sink; without a usable system HDF5 library the plugin
// is refused (its probe says why) and the h5wasm sink serves HDF5.
import { definePlugin } from '@nxsw/core';
import { NativeHdf5SinkFactory, type NativeSinkOptions } from './sink.js';
import { hdf5 } from './lib.js';

export default definePlugin({
  register(ctx) {
    const h5 = hdf5(); // throws the reason when the library does not load
    ctx.log.debug(`HDF5 ${h5.version} from ${h5.file}`);
    ctx.provide(new NativeHdf5SinkFactory(ctx.options as NativeSinkOptions));
  },
});
