// Plugin entry: registers the CLIENT datasource and the EVAL (JavaScript) expression datasource.
// PYEVAL is Python: @nxsw/source-python provides it.
import { definePlugin } from '@nxsw/core';
import { ClientSourceType } from './client.js';
import { EvalSourceType, type EvalOptions } from './eval.js';

export default definePlugin({
  register(ctx) {
    const o = ctx.options;
    const num = (key: string, fallback: number): number => (typeof o[key] === 'number' ? o[key] : fallback);
    const options: EvalOptions = {
      enabled: o.scripts !== false,
      timeoutMs: num('scriptTimeoutMs', 1000),
      memoryMb: num('scriptMemoryMb', 64),
      maxResultElements: num('scriptMaxResultElements', 1 << 20),
      // only where an EVAL datasource is made: a server without one needs no flag
      warn: (message) => ctx.log.warn(message),
    };
    ctx.provide(new ClientSourceType());
    ctx.provide(new EvalSourceType('EVAL', options));
  },
});
