// Plugin entry: the TANGO datasource and the DevEncoded decoders (UTF8, UINT32, LIMA formats).
import { definePlugin } from '@nxsw/core';
import { utf8Decoder, uint32Decoder } from './decoders.js';
import { dataArrayDecoder, limaVideoDecoder } from './lima.js';
import { TangoSourceType } from './tango-source.js';

export default definePlugin({
  register(ctx) {
    const timeoutMs = typeof ctx.options.timeoutMs === 'number' ? ctx.options.timeoutMs : 3000;
    ctx.provide(new TangoSourceType({ timeoutMs }));
    ctx.provide(utf8Decoder);
    ctx.provide(uint32Decoder);
    ctx.provide(limaVideoDecoder('LIMA_VIDEO_IMAGE'));
    ctx.provide(limaVideoDecoder('VIDEO_IMAGE'));
    ctx.provide(dataArrayDecoder);
  },
});
