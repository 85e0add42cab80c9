/**
 * The PYEVAL datasource: a Python 3 script computes the value from child datasources, in the
 * session's Python worker, with the reference's semantics (spec 2.9.4): `ds.<input>` for the
 * inputs the script names, `exec` with separate globals and locals, the result in
 * `ds.<result name>`, `commonblock` with `__counter__`, `__root__` and `__nxroot__`.
 */
import { ConfigError, childElement, childElements } from '@nxsw/core';
import type {
  DataSource, DataSourceType, NxValue, ReadContext, SourceEnvironment, SourceSettings, VetContext, XmlElement, XmlLocation,
} from '@nxsw/core';
import type { WireArray } from './codec.js';
import { FileApi } from './fileapi.js';
import { PythonError, type PythonWorker } from './worker.js';
import { fileInfo, readError, sandboxRefusal, workerKey } from './requests.js';
import type { PythonRuntime } from './runtime.js';
import { PythonClassSource } from './pyclass.js';
import { PythonClassDecoder } from './pydecoder.js';

/** how messages name a script: by its <result>'s place */
function scriptLabel(where: XmlLocation): string {
  return `the PYEVAL script at line ${where.line} of ${where.path}`;
}

interface Input {
  readonly name: string;
  readonly source: DataSource;
  /** the reference hands Tango spectra and images to scripts as numpy arrays, everything else as lists */
  readonly asList: boolean;
}

export class PyEvalSource implements DataSource {
  private readonly key = workerKey('pyeval');
  private readonly what: string;
  private worker: PythonWorker | undefined;

  constructor(
    private readonly code: string,
    private readonly resultName: string,
    private readonly inputs: readonly Input[],
    private readonly runtime: PythonRuntime,
    private readonly where: XmlLocation,
  ) {
    this.what = scriptLabel(where);
  }

  describe(): string {
    const oneLine = this.code.trim().replace(/\s+/g, ' ');
    return `PYEVAL ${oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine}`;
  }

  async read(ctx: ReadContext): Promise<NxValue> {
    const values = await Promise.all(this.inputs.map((i) => i.source.read(ctx)));
    const inputs: Record<string, WireArray> = {};
    this.inputs.forEach((inp, k) => {
      inputs[inp.name] = { array: values[k]!, asList: inp.asList };
    });
    const worker = (this.worker = this.runtime.workerFor(ctx.shared, ctx.settings));
    const file = ctx.file;
    try {
      return await this.runtime.keyedValue(worker, this.key, ['compile', this.key, this.code, this.resultName, this.what],
        ['eval', this.key, inputs, fileInfo(ctx), ctx.step], {
          what: this.what,
          signal: ctx.signal,
          onCall: file ? new FileApi(file, this.runtime.options.sinkName(file)).handler : undefined,
        });
    } catch (e) {
      throw readError(e, this.what, this.where);
    }
  }

  async close(): Promise<void> {
    this.worker?.forget(this.key);
    await Promise.allSettled(this.inputs.map((i) => i.source.close?.()));
  }
}

export class PyEvalSourceType implements DataSourceType {
  readonly kind = 'datasource';
  readonly name = 'PYEVAL';

  constructor(private readonly runtime: PythonRuntime) {}

  get defaultTimeoutMs(): number {
    return this.runtime.options.scriptTimeoutMs + 1000;
  }

  /** the operator's switch: Python runs arbitrary code with the server's rights */
  private allow(where: XmlLocation | undefined): void {
    if (this.runtime.options.enabled === false) {
      throw new ConfigError('DATASOURCE_CONFIG', 'PYEVAL scripts (and Python datasource and decoder classes) are disabled on this server; an operator enables them with "pluginOptions": {"@nxsw/source-python": {"scripts": true}}', where);
    }
  }

  create(element: XmlElement, env: SourceEnvironment): DataSource {
    this.allow(element.location);
    const result = childElement(element, 'result');
    const code = result?.text ?? '';
    if (!result || code.trim() === '') throw new ConfigError('DATASOURCE_CONFIG', 'PyEval script not defined: a PYEVAL datasource needs <result name="...">script</result>', element.location);
    const resultName = result.attributes.name?.trim() || 'result';
    const inputs: Input[] = [];
    for (const child of childElements(element, 'datasource')) {
      const name = child.attributes.name?.trim().replace(/^ds\./, '');
      if (!name) throw new ConfigError('DATASOURCE_CONFIG', 'an input datasource of a PYEVAL datasource needs a name', child.location);
      // only inputs whose name occurs in the script are read (spec 2.9.4)
      if (!code.includes(name)) continue;
      inputs.push({ name, source: env.createSource(child), asList: child.attributes.type?.trim() !== 'TANGO' });
    }
    return new PyEvalSource(code, resultName, inputs, this.runtime, result.location);
  }

  /**
   * Compiles every script of a configuration in the session's worker, in one request (which also
   * starts the worker before the scan): the scripts that do not compile, located, with Python's
   * line and message, as the first read would report them.
   */
  async vet(elements: readonly XmlElement[], ctx: VetContext): Promise<readonly ConfigError[]> {
    const scripts: Array<{ code: string; what: string; where: XmlLocation }> = [];
    for (const el of elements) {
      const result = childElement(el, 'result');
      if (result && result.text.trim() !== '') scripts.push({ code: result.text, what: scriptLabel(result.location), where: result.location });
    }
    if (scripts.length === 0) return [];
    const worker = this.runtime.workerFor(ctx.shared, ctx.settings);
    const what = `compiling the ${scripts.length} PYEVAL script${scripts.length === 1 ? '' : 's'}`;
    const out = await worker.request(['vet', scripts.map((s) => [s.what, s.code])], {
      what, timeoutMs: this.runtime.options.scriptTimeoutMs, signal: ctx.signal,
    }).catch((e: unknown) => {
      throw e instanceof PythonError && e.kind === 'sandbox' ? sandboxRefusal(e, what, 'was not done') : e;
    });
    return (out as Array<[number, string, string, number | null]>).map(([k, type, message, line]) => {
      const s = scripts[k]!;
      return readError(new PythonError('syntax', type, message, line), s.what, s.where) as ConfigError;
    });
  }

  /** Python decoder classes named in the global JSON "decoders" run in the same worker */
  decoderFromClass(classPath: string, label: string): PythonClassDecoder {
    this.allow(undefined);
    return new PythonClassDecoder(classPath, label, this.runtime);
  }

  /** Python classes named in the global JSON "datasources" run in the same worker (spec 2.9.5) */
  createFromClass(classPath: string, element: XmlElement): DataSource {
    this.allow(element.location);
    return new PythonClassSource(classPath, element, this.runtime);
  }

  /** at XMLSettings: the interpreter must exist (the error names the setting it came from) */
  check(element: XmlElement, settings: SourceSettings): void {
    this.allow(element.location);
    this.runtime.interpreter(settings, element.location);
  }

  dispose(): Promise<void> {
    return this.runtime.dispose();
  }
}
