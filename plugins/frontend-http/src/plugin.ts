// Plugin entry: registers the HTTP live view (`nxsw serve --http PORT`).
import { definePlugin } from '@nxsw/core';
import { HttpFrontEnd } from './frontend.js';

export default definePlugin({
  register(ctx) {
    ctx.provide(new HttpFrontEnd());
  },
});
