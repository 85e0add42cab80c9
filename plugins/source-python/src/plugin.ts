// Plugin entry: registers the PYEVAL datasource (Python 3 scripts in a supervised worker per
// writer session), which also runs the Python datasource classes named in the global JSON.
import { definePlugin, type SinkFactory, type SinkFile } from '@nxsw/core';
import { PyEvalSourceType } from './pyeval.js';
import { PythonRuntime } from './runtime.js';

export default definePlugin({
  register(ctx) {
    const o = ctx.options;
    const runtime = new PythonRuntime({
      enabled: o.scripts !== false,
      python: typeof o.python === 'string' ? o.python : undefined,
      scriptTimeoutMs: typeof o.scriptTimeoutMs === 'number' ? o.scriptTimeoutMs : 10_000,
      sandbox: o.sandbox === false ? false : o.sandbox === 'require' ? 'require' : 'landlock',
      writablePaths: Array.isArray(o.writablePaths) ? o.writablePaths.filter((p): p is string => typeof p === 'string') : [],
      log: ctx.log,
      // for messages only: the sink whose suffixes match the file, as the session chooses by default
      sinkName: (file: SinkFile) => {
        const sinks = ctx.extensions.list<SinkFactory>('sink');
        const s = sinks.find((x) => x.suffixes?.some((suffix) => file.path.toLowerCase().endsWith(suffix))) ?? sinks[0];
        return s ? `'${s.name}'` : 'of this file';
      },
    });
    ctx.provide(new PyEvalSourceType(runtime));
  },
});
