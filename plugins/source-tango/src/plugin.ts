// Plugin entry: DevEncoded decoders (the TANGO datasource joins them when the Tango client is in).
import { definePlugin } from '@nxsw/core';
import { utf8Decoder, uint32Decoder } from './decoders.js';

export default definePlugin({
  register(ctx) {
    ctx.provide(utf8Decoder);
    ctx.provide(uint32Decoder);
  },
});
