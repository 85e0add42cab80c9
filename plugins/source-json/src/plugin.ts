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
    };
    // isolated-vm's isolates and Node's startup snapshot do not mix reliably (Node >= 20)
    const snapshotOff = process.execArgv.includes('--no-node-snapshot') || (process.env.NODE_OPTIONS ?? '').includes('--no-node-snapshot');
    if (options.enabled && !snapshotOff) ctx.log.warn('EVAL scripts run in V8 isolates, which need node --no-node-snapshot (the nxsw command sets it); start node with it');
    ctx.provide(new ClientSourceType());
    ctx.provide(new EvalSourceType('EVAL', options));
  },
});
