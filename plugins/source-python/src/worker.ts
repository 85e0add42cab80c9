/**
 * One Python worker process: started on first use, spoken to over length-prefixed binary frames
 * on its stdin/stdout, one request at a time. A request that outlives its time limit (or whose
 * read is aborted) kills the process; the next request starts a new one, replaying the scripts
 * and classes registered so far. The common block lives in the process and is lost with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { NxswError, errorMessage, type Logger } from '@nxsw/core';
import { FrameSplitter, decodeValue, encodeFrame, type WireValue } from './codec.js';

export interface WorkerOptions {
  /** the interpreter (a path, already resolved) */
  readonly python: string;
  /** where it came from, for messages: "the plugin option python", "PATH", ... */
  readonly pythonSetting: string;
  /** directories put first on the worker's PYTHONPATH (the plugin's own Python package) */
  readonly pythonPath: readonly string[];
  readonly log: Logger;
}

/** answers the worker's calls into nxsw while a script runs (the file API) */
export type CallHandler = (op: string, args: WireValue[]) => WireValue;

/** An error the Python side reported: its kind (syntax, script, result, import, worker), type, message and line. */
export class PythonError extends Error {
  constructor(readonly kind: string, readonly pythonType: string, readonly pythonMessage: string, readonly line: number | null) {
    super(`${pythonType}: ${pythonMessage}${line ? ` (script line ${line})` : ''}`);
    this.name = 'PythonError';
  }
}

interface Pending {
  readonly resolve: (v: WireValue) => void;
  readonly reject: (e: unknown) => void;
  readonly onCall?: CallHandler;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onCall?: CallHandler;
  /** what the request runs, for messages ("the PYEVAL script at line 4 of ...") */
  readonly what: string;
}

const STDERR_KEPT = 4096;
const STARTUP_TIMEOUT_MS = 30_000;

export class PythonWorker {
  private child: ChildProcess | undefined;
  private pending: Pending | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private stderr = '';
  /** requests replayed into every new process (compiled scripts, class instances) */
  private readonly setups = new Map<string, unknown[]>();
  private readonly done = new Set<string>();
  private restarts = 0;
  private everStarted = false;
  private closed = false;

  constructor(private readonly options: WorkerOptions) {}

  /** how many times a process was started after the first (each loses the common block) */
  get restartCount(): number {
    return this.restarts;
  }

  /**
   * Registers a setup request (compile a script, instantiate a class) under a key; it is sent
   * before the next request and again into every restarted process. Its error rejects that request.
   */
  setup(key: string, message: unknown[]): void {
    this.setups.set(key, message);
  }

  forget(key: string): void {
    this.setups.delete(key);
    if (this.done.delete(key) && this.child) void this.request(['forget', key], { what: 'forget' }).catch(() => undefined);
  }

  /** sends a request after the ones before it; setups it depends on (`needs`) go first */
  request(message: unknown[], options: RequestOptions, needs?: string): Promise<WireValue> {
    const run = async (): Promise<WireValue> => {
      if (this.closed) throw new NxswError('SOURCE_UNAVAILABLE', 'the Python worker is closed');
      // starting the interpreter (imports included) does not count against a script's time limit
      if (!this.child) await this.exchange(['hello'], { what: 'starting the Python worker', timeoutMs: STARTUP_TIMEOUT_MS });
      if (needs && !this.done.has(needs)) {
        const setup = this.setups.get(needs);
        if (setup) {
          await this.exchange(setup, options);
          this.done.add(needs);
        }
      }
      return this.exchange(message, options);
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** kills the process; later requests start a new one */
  kill(reason: string): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.done.clear();
    child.kill('SIGKILL');
    this.options.log.warn(`Python worker ${child.pid} stopped: ${reason}; the PYEVAL common block is lost`);
    this.failPending(new NxswError('SOURCE_UNAVAILABLE', `the Python worker was stopped: ${reason}`));
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(t);
    }
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const { python, pythonPath } = this.options;
    const env = { ...process.env, PYTHONPATH: [...pythonPath, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1' };
    const child = spawn(python, ['-m', 'nxsw_python.worker'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    if (this.everStarted) this.restarts++;
    this.everStarted = true;
    this.stderr = '';
    const frames = new FrameSplitter();
    child.stdout!.on('data', (chunk: Buffer) => {
      try {
        frames.push(chunk, (body) => this.onFrame(child, body));
      } catch (e) {
        this.kill(`it sent a malformed frame (${errorMessage(e)})`);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-STDERR_KEPT);
      for (const line of s.split('\n')) if (line.trim()) this.options.log.debug(`python[${child.pid}]: ${line}`);
    });
    child.stdin!.on('error', () => undefined);
    child.on('error', (e) => {
      if (this.child === child) this.child = undefined;
      this.failPending(new NxswError('SOURCE_UNAVAILABLE', `cannot run the Python interpreter '${python}' (set by ${this.options.pythonSetting}): ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.done.clear();
      const last = this.stderr.trim().split('\n').slice(-3).join(' | ');
      this.failPending(new NxswError('SOURCE_UNAVAILABLE', `the Python worker exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}; it restarts on the next read, the common block is lost`));
    });
    this.child = child;
    this.hold(child, false);
    return child;
  }

  /** an idle worker does not keep the server's process alive; one running a request does */
  private hold(child: ChildProcess, busy: boolean): void {
    for (const h of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref(): void; unref(): void } | null>) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }

  private exchange(message: unknown[], options: RequestOptions): Promise<WireValue> {
    return new Promise<WireValue>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason ?? new NxswError('TIMEOUT', 'aborted'));
        return;
      }
      const child = this.start();
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => this.kill(`${options.what} was aborted (the element's time limit)`);
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.pending = undefined;
        this.hold(child, false);
      };
      this.hold(child, true);
      this.pending = {
        resolve: (v) => { finish(); resolve(v); },
        reject: (e) => { finish(); reject(e); },
        onCall: options.onCall,
      };
      if (options.timeoutMs) {
        timer = setTimeout(() => {
          const err = new NxswError('TIMEOUT', `${options.what} ran longer than ${options.timeoutMs} ms; the Python worker was restarted and the PYEVAL common block is lost`);
          const p = this.pending;
          this.pending = undefined;
          this.kill(`${options.what} ran longer than ${options.timeoutMs} ms`);
          p?.reject(err);
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdin!.write(encodeFrame(message));
    });
  }

  private onFrame(child: ChildProcess, body: Buffer): void {
    const msg = decodeValue(body) as WireValue[];
    const p = this.pending;
    if (!p) return;
    const [tag, ...rest] = msg;
    if (tag === 'call') {
      let reply: unknown[];
      try {
        if (!p.onCall) throw new Error('no file is open for this script');
        reply = ['ok', p.onCall(rest[0] as string, rest.slice(1))];
      } catch (e) {
        reply = ['error', errorMessage(e)];
      }
      child.stdin!.write(encodeFrame(reply));
    } else if (tag === 'ok') p.resolve(rest[0] ?? null);
    else if (tag === 'error') {
      const [kind, type, message, line] = rest as [string, string, string, number | null];
      p.reject(new PythonError(kind, type, message, line));
    } else p.reject(new NxswError('INTERNAL', `the Python worker sent an unknown reply '${String(tag)}'`));
  }

  private failPending(e: unknown): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }
}
