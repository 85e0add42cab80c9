// Plugin entry: registers the Tango front end (`nxsw serve`).
import { definePlugin } from '@nxsw/core';
import { TangoFrontEnd } from './frontend.js';

export default definePlugin({
  register(ctx) {
    ctx.provide(new TangoFrontEnd());
  },
});
