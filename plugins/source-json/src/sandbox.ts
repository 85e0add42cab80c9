/**
 * The isolate EVAL scripts run in: one V8 isolate (isolated-vm) per writer session, separate from
 * the server's own heap. Nothing of the host crosses into it: inputs are copied in as plain data,
 * the result leaves as one JSON string built inside the isolate (so getters, proxies and
 * conversions run there, under the time limit), and the output file is reached through one
 * callback that takes and returns strings. The isolate runs on a background thread, so the server
 * keeps answering while a script runs; a script over its time or memory limit costs the session
 * its isolate (and the common block with it), never the process.
 */
import type ivm from 'isolated-vm';
import { NxswError, errorMessage } from '@nxsw/core';

type IsolatedVm = typeof ivm;
let loaded: Promise<IsolatedVm> | undefined;
/**
 * The native isolated-vm module, loaded when the first script runs: a server whose sites use no
 * scripts starts even where the module is not built, and EVAL then fails with this message.
 */
function isolatedVm(): Promise<IsolatedVm> {
  loaded ??= import('isolated-vm').then((m) => m.default, (e: unknown) => {
    loaded = undefined;
    throw new NxswError('SOURCE_UNAVAILABLE', `EVAL scripts need the isolated-vm package built for this Node (npm rebuild isolated-vm): ${errorMessage(e)}`);
  });
  return loaded;
}

export interface SandboxLimits {
  /** wall-clock limit of one script run, everything it starts included (ms) */
  readonly timeoutMs: number;
  /** heap of the session's isolate (MiB) */
  readonly memoryMb: number;
  /** elements a result may have (all dimensions together) */
  readonly maxResultElements: number;
}

/** The output file as scripts may use it: operations by group path, strings in and out. */
export interface ScriptFileApi {
  /** runs one operation; returns its JSON-encoded result or throws an Error with a message */
  call(op: string, path: string, args: readonly string[]): string;
}

/**
 * Runs inside the isolate once, before any script: it keeps its own references to the built-ins
 * it needs. A script that rewrites the isolate's prototypes can only spoil its own result text,
 * which the host parses as untrusted JSON.
 */
const PRELUDE = String.raw`
(() => {
  const g = globalThis;
  const fileCall = g.__nxsw_file;
  delete g.__nxsw_file;
  const NewFunction = Function, isArray = Array.isArray, isView = ArrayBuffer.isView, stringify = JSON.stringify, parse = JSON.parse;
  const RangeErr = RangeError, TypeErr = TypeError, Err = Error, toStr = String;
  const scripts = Object.create(null);
  const commonblock = {};

  // the result as JSON of plain arrays and leaves; bigints and typed arrays tagged
  const encode = (x, maxElements, maxChars) => {
    let count = 0;
    let chars = 0;
    const leaf = (v) => {
      switch (typeof v) {
        case 'number': case 'boolean': return v;
        case 'bigint': return { $n: toStr(v) };
        case 'string': chars += v.length; if (chars > maxChars) throw new RangeErr('the result holds more than ' + maxChars + ' characters'); return v;
        case 'undefined': return null;
        default: if (v === null) return null; throw new TypeErr('an object is not a value (expected a number, string, boolean or array)');
      }
    };
    const walk = (v, depth) => {
      if (depth > 32) throw new RangeErr('the result has more than 32 dimensions');
      if (isView(v)) {
        const n = v.length;
        if (typeof n !== 'number' || (count += n) > maxElements) throw new RangeErr('the result has more than ' + maxElements + ' elements');
        const out = new Array(n);
        const big = typeof v[0] === 'bigint';
        for (let i = 0; i < n; i++) out[i] = big ? toStr(v[i]) : v[i];
        return { $t: v[Symbol.toStringTag], v: out };
      }
      if (isArray(v)) {
        const n = v.length;
        // checked before anything is built; the leaves count themselves below
        if (count + n > maxElements) throw new RangeErr('the result has more than ' + maxElements + ' elements');
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = walk(v[i], depth + 1);
        return out;
      }
      if (++count > maxElements) throw new RangeErr('the result has more than ' + maxElements + ' elements');
      return leaf(v);
    };
    return stringify(walk(x, 0));
  };

  const file = (op, path, ...args) => {
    const texts = [];
    for (let i = 0; i < args.length; i++) texts[i] = toStr(args[i]);
    const r = toStr(fileCall(toStr(op), toStr(path), stringify(texts)));
    if (r.slice(0, 6) === 'error:') throw new Err(r.slice(6));
    return parse(r);
  };
  class NexusGroup {
    #path;
    constructor(path, filename) { this.#path = path; this.filename = filename; }
    get path() { return this.#path; }
    get name() { return this.#path === '/' ? '/' : this.#path.split('/').at(-1); }
    keys() { return file('keys', this.#path); }
    group(rel) { return new NexusGroup(file('group', this.#path, rel), this.filename); }
    createSoftLink(target, name) { file('softlink', this.#path, target, name); }
    createHardLink(target, name) { file('hardlink', this.#path, target, name); }
    createExternalLink(f, target, name) { file('externallink', this.#path, f, target, name); }
    setAttribute(name, value) { file('attribute', this.#path, name, encode(value, 1048576, 16777216)); }
  }

  return {
    define(id, code) { scripts[id] = new NewFunction('ds', 'commonblock', code); },
    run(id, ds, counter, filename, resultName, maxElements, maxChars) {
      commonblock.__counter__ = counter;
      commonblock.__nxroot__ = commonblock.__root__ = filename === '' ? undefined : new NexusGroup('/', filename);
      scripts[id](ds, commonblock);
      const out = ds[resultName];
      return out === undefined || out === null ? '' : encode(out, maxElements, maxChars);
    },
  };
})()`;

/** Turns the tagged JSON of PRELUDE's encode back into plain data: bigints and typed arrays. */
export function decodeResult(json: string): unknown {
  // the reviver costs a call per element: only tagged text needs it (valueFromJs refuses objects)
  if (!json.includes('{"$')) return JSON.parse(json);
  return JSON.parse(json, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as { $n?: string; $t?: string; v?: unknown[] };
    if (typeof o.$n === 'string') return BigInt(o.$n);
    if (typeof o.$t === 'string' && Array.isArray(o.v)) return typedArray(o.$t, o.v);
    throw new NxswError('VALUE_INVALID', 'an object is not a value (expected a number, string, boolean or array)');
  });
}

const TYPED = { Int8Array, Int16Array, Int32Array, Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array } as const;

function typedArray(name: string, items: unknown[]): unknown {
  const T = (TYPED as Record<string, (typeof TYPED)[keyof typeof TYPED]>)[name];
  if (!T) return items;
  if (T === BigInt64Array || T === BigUint64Array) return new T(items.map((s) => BigInt(String(s))));
  if (T === Uint8ClampedArray) return new Uint8Array(items as number[]);
  return new (T as Float64ArrayConstructor)(items as number[]);
}

interface Prelude {
  define: ivm.Reference<(id: string, code: string) => void>;
  run: ivm.Reference<(id: string, ds: unknown, counter: number, filename: string, resultName: string, maxElements: number, maxChars: number) => string>;
}

/**
 * The one server function scripts reach (through __nxroot__): strings in, a string out. The
 * isolate holds it strongly, so it holds its session's sandbox only through a WeakRef: a session
 * dropped by Init lets the FinalizationRegistry dispose its isolate.
 */
function fileCallback(session: WeakRef<ScriptSandbox>): (op: unknown, path: unknown, argsJson: unknown) => string {
  return (op, path, argsJson) => {
    try {
      const fileApi = session.deref()?.fileApi;
      if (!fileApi) throw new Error('no output file is open');
      const args: unknown = JSON.parse(String(argsJson));
      if (!Array.isArray(args)) throw new Error('bad arguments');
      return fileApi.call(String(op), String(path), args.map(String));
    } catch (e) {
      // the host's error object stays here: the script gets a new Error with the message
      return `error:${errorMessage(e)}`;
    }
  };
}

/** A new context with the file callback and the PRELUDE; the references the sandbox calls. */
async function startIsolate(vm: IsolatedVm, isolate: ivm.Isolate, fileCall: ReturnType<typeof fileCallback>): Promise<Prelude> {
  const context = await isolate.createContext();
  await context.global.set('__nxsw_file', new vm.Callback(fileCall));
  const api = await context.eval(PRELUDE, { reference: true, timeout: 5000 }) as ivm.Reference<Record<string, unknown>>;
  const [define, run] = await Promise.all([api.get('define', { reference: true }), api.get('run', { reference: true })]);
  api.release();
  return { define, run } as Prelude;
}

let nextScriptId = 0;
/** Identifies a script text across the sandboxes of all sessions. */
export function scriptId(): string {
  return `s${nextScriptId++}`;
}

const live = new Set<WeakRef<ScriptSandbox>>();
// a session dropped without Init (a device removed) lets its isolate go with it
const collected = new FinalizationRegistry<ivm.Isolate>((iso) => {
  if (!iso.isDisposed) iso.dispose();
});

/** The isolate of one writer session; rebuilt (with an empty common block) after a kill. */
export class ScriptSandbox {
  private isolate: ivm.Isolate | undefined;
  private prelude: Promise<Prelude> | undefined;
  private readonly defined = new Set<string>();
  /** the output file of the run in progress, for the file callback */
  fileApi: ScriptFileApi | undefined;
  /** runs of one session take turns: the common block sees one script at a time */
  private queue: Promise<unknown> = Promise.resolve();

  private readonly self = new WeakRef(this);

  constructor(private readonly limits: SandboxLimits) {
    for (const ref of live) if (!ref.deref()) live.delete(ref);
    live.add(this.self);
  }

  /** Runs a script; resolves with its result as JSON ('' when it assigned nothing). */
  run(id: string, code: string, inputs: Record<string, unknown>, counter: number, resultName: string, file: { path: string; api: ScriptFileApi } | undefined): Promise<string> {
    const turn = this.queue.then(() => this.runNow(id, code, inputs, counter, resultName, file));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async runNow(id: string, code: string, inputs: Record<string, unknown>, counter: number, resultName: string, file: { path: string; api: ScriptFileApi } | undefined): Promise<string> {
    const { timeoutMs } = this.limits;
    const started = Date.now();
    const vm = await isolatedVm();
    const isolate = this.ensureIsolate(vm);
    let watchdog: NodeJS.Timeout | undefined;
    // isolated-vm's own timeout ends ordinary runaways; the watchdog also ends what V8 cannot
    // interrupt in time (one long built-in call) by giving up the isolate
    const expired = new Promise<never>((_, reject) => {
      watchdog = setTimeout(() => reject(this.kill(isolate, `the script ran longer than ${timeoutMs} ms and was stopped`)), timeoutMs + 50);
    });
    try {
      return await Promise.race([this.execute(vm, isolate, id, code, inputs, counter, resultName, file, Math.max(1, timeoutMs)), expired]);
    } catch (e) {
      throw this.classify(e, isolate, Date.now() - started);
    } finally {
      clearTimeout(watchdog);
      this.fileApi = undefined;
    }
  }

  private async execute(vm: IsolatedVm, isolate: ivm.Isolate, id: string, code: string, inputs: Record<string, unknown>, counter: number, resultName: string, file: { path: string; api: ScriptFileApi } | undefined, timeout: number): Promise<string> {
    const prelude = await this.prelude!;
    if (!this.defined.has(id)) {
      await prelude.define.apply(undefined, [id, code], { timeout });
      this.defined.add(id);
    }
    this.fileApi = file?.api;
    const ds = new vm.ExternalCopy(inputs).copyInto({ release: true });
    const out = await prelude.run.apply(undefined, [id, ds, counter, file?.path ?? '', resultName, this.limits.maxResultElements, this.limits.maxResultElements * 16], { timeout });
    if (typeof out !== 'string') throw new NxswError('INTERNAL', 'the script sandbox returned no text');
    if (isolate !== this.isolate) throw this.kill(isolate, 'the script was stopped');
    return out;
  }

  private ensureIsolate(vm: IsolatedVm): ivm.Isolate {
    if (this.isolate && !this.isolate.isDisposed) return this.isolate;
    const isolate = new vm.Isolate({ memoryLimit: Math.max(8, this.limits.memoryMb) });
    this.isolate = isolate;
    this.defined.clear();
    collected.unregister(this);
    collected.register(this, isolate, this);
    this.prelude = startIsolate(vm, isolate, fileCallback(this.self));
    // an unhandled rejection here would be reported by the first run instead
    this.prelude.catch(() => undefined);
    return isolate;
  }

  /** Gives up the isolate; the next run starts a new one (and an empty common block). */
  private kill(isolate: ivm.Isolate, message: string): NxswError {
    if (this.isolate === isolate) this.isolate = undefined;
    try {
      if (!isolate.isDisposed) isolate.dispose();
    } catch {
      // already gone
    }
    return new NxswError('SCRIPT_KILLED', `${message}; the session's script state (commonblock) starts again empty`);
  }

  private classify(e: unknown, isolate: ivm.Isolate, elapsedMs: number): NxswError {
    if (e instanceof NxswError) return e;
    const msg = errorMessage(e ?? 'the isolate was disposed');
    // isolated-vm's own texts; a script's error with the same words is still only a script error
    if (isolate.isDisposed && /memory limit/i.test(msg)) {
      if (this.isolate === isolate) this.isolate = undefined;
      return new NxswError('SCRIPT_KILLED', `the script used more than ${this.limits.memoryMb} MiB and was stopped; the session's script state (commonblock) starts again empty`);
    }
    if (msg === 'Script execution timed out.' || isolate.isDisposed) return this.kill(isolate, `the script ran longer than ${this.limits.timeoutMs} ms (${elapsedMs} ms) and was stopped`);
    // the text is the script's own: bounded before it reaches Errors and the logs
    return new NxswError('DATA_NOT_FOUND', `the script failed: ${msg.length > 1000 ? `${msg.slice(0, 1000)}...` : msg}`);
  }

  dispose(): void {
    live.delete(this.self);
    collected.unregister(this);
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
  }

  /** Ends every session's isolate (the plugin is being stopped). */
  static disposeAll(): void {
    for (const ref of [...live]) ref.deref()?.dispose();
    live.clear();
  }
}
