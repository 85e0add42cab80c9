/**
 * The EVAL datasource (also registered as PYEVAL, the reference's name): a JavaScript script
 * computes the value from child datasources, in an isolated node:vm context with a time limit.
 * The I/O contract of the reference is kept: inputs are `ds.<name>`, the script assigns
 * `ds.<result name>`, and a `commonblock` object shared by the session's scripts carries
 * `__counter__` (-1 INIT, 1..N STEP, -2 FINAL) and `__nxroot__` (the output file's root).
 */
import vm from 'node:vm';
import { ConfigError, NxswError, childElement, childElements, valueFromJs, valueToJs, stringValue } from '@nxsw/core';
import type { DataSource, DataSourceType, ElementType, NxValue, ReadContext, SinkGroup, SourceEnvironment, XmlElement } from '@nxsw/core';

interface Input {
  readonly name: string;
  readonly source: DataSource;
}

/** What a script sees of the output file: a small, safe subset of the sink's group API. */
export class ScriptGroup {
  constructor(private readonly node: SinkGroup, readonly filename: string) {}
  get path(): string {
    return this.node.path;
  }
  get name(): string {
    return this.node.path === '/' ? '/' : this.node.path.split('/').at(-1)!;
  }
  keys(): string[] {
    return this.node.keys();
  }
  /** a subgroup by relative path ('entry1/instrument') */
  group(path: string): ScriptGroup {
    let g = this.node;
    for (const part of path.split('/').filter(Boolean)) {
      const next = g.openGroup(part);
      if (!next) throw new Error(`no group '${part}' in ${g.path}`);
      g = next;
    }
    return new ScriptGroup(g, this.filename);
  }
  createSoftLink(target: string, name: string): void {
    this.node.createSoftLink(target, name);
  }
  createHardLink(target: string, name: string): void {
    this.node.createHardLink(target, name);
  }
  createExternalLink(file: string, target: string, name: string): void {
    this.node.createExternalLink(file, target, name);
  }
  setAttribute(name: string, value: unknown): void {
    this.node.setAttribute(name, typeof value === 'string' ? stringValue(value) : valueFromJs(value));
  }
}

export interface EvalOptions {
  /** time limit of one script run, ms */
  readonly scriptTimeoutMs: number;
}

export class EvalSource implements DataSource {
  private readonly script: vm.Script;
  private readonly context: vm.Context;
  private readonly usesCommonBlock: boolean;

  constructor(
    private readonly code: string,
    private readonly resultName: string,
    private readonly inputs: readonly Input[],
    private readonly options: EvalOptions,
    where: XmlElement,
  ) {
    try {
      this.script = new vm.Script(code, { filename: `${where.location.path} (line ${where.location.line})` });
    } catch (e) {
      throw new ConfigError('DATASOURCE_CONFIG', `the EVAL script does not compile: ${(e as Error).message}`, where.location);
    }
    // a fresh global object per source: scripts cannot see the server's globals or each other
    this.context = vm.createContext(Object.create(null) as object, { codeGeneration: { strings: false, wasm: false } });
    this.usesCommonBlock = code.includes('commonblock');
  }

  describe(): string {
    const oneLine = this.code.trim().replace(/\s+/g, ' ');
    return `EVAL ${oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine}`;
  }

  async read(ctx: ReadContext, want?: ElementType): Promise<NxValue> {
    const ds: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const values = await Promise.all(this.inputs.map((i) => i.source.read(ctx)));
    this.inputs.forEach((inp, k) => {
      ds[inp.name] = valueToJs(values[k]!);
    });
    const globals = this.context as Record<string, unknown>;
    globals.ds = ds;
    if (this.usesCommonBlock) {
      let block = ctx.shared.get('commonblock') as Record<string, unknown> | undefined;
      if (!block) ctx.shared.set('commonblock', (block = {}));
      block.__counter__ = ctx.step;
      block.__nxroot__ = ctx.file ? new ScriptGroup(ctx.file.root, ctx.file.path) : undefined;
      block.__root__ = block.__nxroot__;
      globals.commonblock = block;
    }
    try {
      this.script.runInContext(this.context, { timeout: this.options.scriptTimeoutMs, breakOnSigint: false });
    } catch (e) {
      const msg = (e as Error)?.message ?? String(e);
      if (/timed out/i.test(msg)) throw new NxswError('TIMEOUT', `the script ran longer than ${this.options.scriptTimeoutMs} ms`);
      throw new NxswError('DATA_NOT_FOUND', `the script failed: ${msg}`);
    }
    const out = ds[this.resultName];
    if (out === undefined || out === null) throw new NxswError('DATA_NOT_FOUND', `the script did not assign ds.${this.resultName}`);
    // values made inside the context belong to its realm; a structured clone brings them home
    return valueFromJs(structuredClone(out), want);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.inputs.map((i) => i.source.close?.()));
  }
}

export class EvalSourceType implements DataSourceType {
  readonly kind = 'datasource';

  constructor(readonly name: string, private readonly options: EvalOptions) {}

  create(element: XmlElement, env: SourceEnvironment): DataSource {
    const result = childElement(element, 'result');
    const code = result?.text ?? '';
    if (!result || code.trim() === '') throw new ConfigError('DATASOURCE_CONFIG', `PyEval script not defined: an ${this.name} datasource needs <result name="...">script</result>`, element.location);
    const resultName = result.attributes.name?.trim() || 'result';
    const inputs: Input[] = [];
    for (const child of childElements(element, 'datasource')) {
      const name = child.attributes.name?.trim().replace(/^ds\./, '');
      if (!name) throw new ConfigError('DATASOURCE_CONFIG', 'an input datasource of an EVAL datasource needs a name', child.location);
      // only inputs the script mentions are read (spec 2.9.4)
      if (!new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(code)) continue;
      inputs.push({ name, source: env.createSource(child) });
    }
    return new EvalSource(code, resultName, inputs, this.options, result);
  }
}
