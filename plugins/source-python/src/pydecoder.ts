/**
 * Python decoder classes named in the global JSON: `{"decoders": {"LABEL": "package.module.Class"}}`
 * makes `<device encoding="LABEL">` decode DevEncoded values with an instance of that class in the
 * session's Python worker, as the reference's DecoderPool does: one instance per label (the
 * members load, name, shape, decode, dtype and format required), then per value
 * `load((format, bytes))`, `shape()`, `decode()`, with `dtype` naming the element type.
 */
import { ConfigError, NxswError } from '@nxsw/core';
import type { DecodeContext, Decoder, NxValue } from '@nxsw/core';
import { workerKey } from './requests.js';
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

  async decode(format: string, bytes: Uint8Array, ctx: DecodeContext): Promise<NxValue> {
    const worker = this.runtime.workerFor(ctx.shared, ctx.settings);
    try {
      return await this.runtime.keyedValue(worker, this.key, ['decoder', this.key, this.classPath, this.name],
        ['decode', this.key, format, bytes], { what: this.what, signal: ctx.signal });
    } catch (e) {
      if (!(e instanceof PythonError)) throw e;
      // a class that cannot be imported or lacks members is a configuration error; the rest is the data's
      if (e.kind === 'import') throw new ConfigError('DATASOURCE_CONFIG', `${e.pythonMessage}`);
      throw new NxswError('VALUE_INVALID', `${this.what} failed: ${e.message}`, { cause: e });
    }
  }
}
