/**
 * The EVAL datasource (nxsw's own; PYEVAL is Python, in @nxsw/source-python): a JavaScript script
 * computes the value from child datasources, in the session's V8 isolate (sandbox.ts) under time,
 * memory and result-size limits.
 * The I/O contract of the reference is kept: inputs are `ds.<name>`, the script assigns
 * `ds.<result name>`, and a `commonblock` object shared by the session's scripts carries
 * `__counter__` (-1 INIT, 1..N STEP, -2 FINAL) and `__nxroot__` (the output file's root).
 */
import { ConfigError, NxswError, childElement, childElements, valueFromJs, valueToJs, stringValue } from '@nxsw/core';
import type { DataSource, DataSourceType, ElementType, NxValue, ReadContext, SinkGroup, SourceEnvironment, XmlElement } from '@nxsw/core';
import { ScriptSandbox, decodeResult, scriptId, type SandboxLimits, type ScriptFileApi } from './sandbox.js';

interface Input {
  readonly name: string;
  readonly source: DataSource;
}

/**
 * What a script may do to the output file (commonblock.__nxroot__): list, open groups, make links
 * and set attributes, by group path. Arguments arrive as strings from the isolate.
 */
class FileApi implements ScriptFileApi {
  constructor(private readonly root: SinkGroup) {}

  call(op: string, path: string, args: readonly string[]): string {
    const g = this.open(path);
    const [a = '', b = '', c = ''] = args;
    switch (op) {
      case 'keys': return JSON.stringify(g.keys());
      case 'group': return JSON.stringify(this.open(`${path}/${a}`).path);
      case 'softlink': g.createSoftLink(a, b); return 'null';
      case 'hardlink': g.createHardLink(a, b); return 'null';
      case 'externallink': g.createExternalLink(a, b, c); return 'null';
      case 'attribute': {
        const v = decodeResult(b);
        g.setAttribute(a, typeof v === 'string' ? stringValue(v) : valueFromJs(v));
        return 'null';
      }
      default: throw new Error(`unknown file operation '${op}'`);
    }
  }

  private open(path: string): SinkGroup {
    let g = this.root;
    for (const part of path.split('/').filter(Boolean)) {
      const next = g.openGroup(part);
      if (!next) throw new Error(`no group '${part}' in ${g.path}`);
      g = next;
    }
    return g;
  }
}

export interface EvalOptions extends SandboxLimits {
  /** false: the site does not run scripts; EVAL datasources are refused at XMLSettings */
  readonly enabled?: boolean;
  /**
   * called once, at the first EVAL datasource, when node runs with its startup snapshot (isolates
   * and the snapshot do not mix reliably in Node >= 20; the nxsw command starts node without it)
   */
  readonly warn?: (message: string) => void;
}

/** true when node was started with --no-node-snapshot (on its command line or in NODE_OPTIONS) */
export function snapshotOff(): boolean {
  return process.execArgv.includes('--no-node-snapshot') || (process.env.NODE_OPTIONS ?? '').includes('--no-node-snapshot');
}

/** The session's sandbox, kept in the common state the engine shares across records and entries. */
const SANDBOX_KEY = 'eval.sandbox';

export class EvalSource implements DataSource {
  private readonly id = scriptId();

  constructor(
    private readonly code: string,
    private readonly resultName: string,
    private readonly inputs: readonly Input[],
    private readonly options: EvalOptions,
  ) {}

  describe(): string {
    const oneLine = this.code.trim().replace(/\s+/g, ' ');
    return `EVAL ${oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine}`;
  }

  async read(ctx: ReadContext, want?: ElementType): Promise<NxValue> {
    const ds = Object.create(null) as Record<string, unknown>;
    const values = await Promise.all(this.inputs.map((i) => i.source.read(ctx)));
    this.inputs.forEach((inp, k) => {
      ds[inp.name] = valueToJs(values[k]!);
    });
    let sandbox = ctx.shared.get(SANDBOX_KEY) as ScriptSandbox | undefined;
    if (!sandbox) ctx.shared.set(SANDBOX_KEY, (sandbox = new ScriptSandbox(this.options)));
    const file = ctx.file ? { path: ctx.file.path, api: new FileApi(ctx.file.root) } : undefined;
    const json = await sandbox.run(this.id, this.code, ds, ctx.step, this.resultName, file);
    if (json === '') throw new NxswError('DATA_NOT_FOUND', `the script did not assign ds.${this.resultName}`);
    return valueFromJs(decodeResult(json), want);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.inputs.map((i) => i.source.close?.()));
  }
}

export class EvalSourceType implements DataSourceType {
  readonly kind = 'datasource';
  private warned = false;

  constructor(readonly name: string, private readonly options: EvalOptions) {}

  async dispose(): Promise<void> {
    ScriptSandbox.disposeAll();
  }

  create(element: XmlElement, env: SourceEnvironment): DataSource {
    const result = childElement(element, 'result');
    const code = result?.text ?? '';
    if (this.options.enabled === false) throw new ConfigError('DATASOURCE_CONFIG', `${this.name} scripts are disabled on this server; an operator enables them with "pluginOptions": {"@nxsw/source-json": {"scripts": true}} in the server configuration (--config)`, element.location);
    if (!result || code.trim() === '') throw new ConfigError('DATASOURCE_CONFIG', `PyEval script not defined: an ${this.name} datasource needs <result name="...">script</result>`, element.location);
    try {
      // compiled here only to report syntax errors at XMLSettings; it runs in the session's isolate
      new Function('ds', 'commonblock', code);
    } catch (e) {
      throw new ConfigError('DATASOURCE_CONFIG', `the EVAL script does not compile: ${(e as Error).message}`, result.location);
    }
    if (!this.warned && this.options.warn && !snapshotOff()) {
      this.warned = true;
      this.options.warn(`${this.name} scripts run in V8 isolates, which need node --no-node-snapshot (the nxsw command sets it); start node with it`);
    }
    const resultName = result.attributes.name?.trim() || 'result';
    const inputs: Input[] = [];
    for (const child of childElements(element, 'datasource')) {
      const name = child.attributes.name?.trim().replace(/^ds\./, '');
      if (!name) throw new ConfigError('DATASOURCE_CONFIG', 'an input datasource of an EVAL datasource needs a name', child.location);
      // only inputs the script mentions are read (spec 2.9.4)
      if (!new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(code)) continue;
      inputs.push({ name, source: env.createSource(child) });
    }
    return new EvalSource(code, resultName, inputs, this.options);
  }
}
