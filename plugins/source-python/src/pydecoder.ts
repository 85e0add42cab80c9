/**
 * Python decoder classes named in the global JSON: `{"decoders": {"LABEL": "package.module.Class"}}`
 * makes `<device encoding="LABEL">` decode DevEncoded values with an instance of that class in the
 * session's Python worker, as the reference's DecoderPool does: one instance per label (the
 * members load, name, shape, decode, dtype and format required), made at OpenEntry when the
 * configuration names the label (`prepare`), else at the first value; then per value
 * `load((format, bytes))`, `shape()`, `decode()`, with `dtype` naming the element type.
 */
import { ConfigError, NxswError } from '@nxsw/core';
import type { DecodeContext, Decoder, NxValue } from '@nxsw/core';
import { sandboxRefusal, workerKey } from './requests.js';
import type { PythonRuntime } from './runtime.js';
import { PythonError } from './worker.js';

export class PythonClassDecoder implements Decoder {
  readonly kind = 'decoder';
  private readonly key = workerKey('decoder');
  private readonly what: string;

  /** `name` is the encoding label the JSON maps to the class */
  constructor(private readonly classPath: string, readonly name: string, private readonly runtime: PythonRuntime) {
    this.what = `the Python decoder class ${classPath} (encoding '${name}')`;
  }

  /** at OpenEntry: the class imported, instantiated and checked in the session's worker, nothing decoded */
  async prepare(ctx: DecodeContext): Promise<void> {
    const worker = this.runtime.workerFor(ctx.shared, ctx.settings);
    try {
      await this.runtime.keyedSetup(worker, this.key, this.setup, { what: this.what, signal: ctx.signal });
    } catch (e) {
      throw this.failure(e);
    }
  }

  async decode(format: string, bytes: Uint8Array, ctx: DecodeContext): Promise<NxValue> {
    const worker = this.runtime.workerFor(ctx.shared, ctx.settings);
    try {
      return await this.runtime.keyedValue(worker, this.key, this.setup, ['decode', this.key, format, bytes], { what: this.what, signal: ctx.signal });
    } catch (e) {
      throw this.failure(e);
    }
  }

  /** the instance, made once per worker (again in a restarted one) */
  private get setup(): unknown[] {
    return ['decoder', this.key, this.classPath, this.name];
  }

  private failure(e: unknown): unknown {
    if (!(e instanceof PythonError)) return e;
    if (e.kind === 'sandbox') return sandboxRefusal(e, this.what);
    // a class that cannot be imported or lacks members is a configuration error; the rest is the data's
    if (e.kind === 'import') return new ConfigError('DATASOURCE_CONFIG', e.pythonMessage, undefined, { cause: e });
    return new NxswError('VALUE_INVALID', `${this.what} failed: ${e.message}`, { cause: e });
  }
}
