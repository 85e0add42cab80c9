// Plugin entry: registers the CLIENT datasource and the EVAL (JavaScript) expression datasource.
// PYEVAL is Python: @nxsw/source-python provides it.
import { definePlugin } from '@nxsw/core';
import { ClientSourceType } from './client.js';
import { EvalSourceType } from './eval.js';

export default definePlugin({
  register(ctx) {
    const scriptTimeoutMs = typeof ctx.options.scriptTimeoutMs === 'number' ? ctx.options.scriptTimeoutMs : 1000;
    ctx.provide(new ClientSourceType());
    ctx.provide(new EvalSourceType('EVAL', { scriptTimeoutMs }));
  },
});
