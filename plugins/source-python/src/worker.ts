/**
 * One Python worker process: started on first use, spoken to over length-prefixed binary frames
 * on its stdin/stdout. Requests are pipelined (written as they come; the worker answers them in
 * order), so the reads of one Record do not wait for each other's round trips. A request that
 * outlives its time limit, or whose read is aborted while it runs, kills the process: it fails
 * with TIMEOUT, the requests queued behind it go to a new process, after the scripts and classes
 * registered so far are set up there again. The common block lives in the process and is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NXSW_VERSION, NxswError, errorMessage, type Logger } from '@nxsw/core';
import { FrameSplitter, decodeValue, encodeFrame, type WireValue } from './codec.js';

export interface WorkerOptions {
  /** the interpreter (a path, already resolved) */
  readonly python: string;
  /** where it came from, for messages */
  readonly pythonSetting: string;
  /** directories put first on the worker's PYTHONPATH (the plugin's own Python package) */
  readonly pythonPath: readonly string[];
  readonly log: Logger;
  /**
   * the worker confines itself with Landlock before it runs a script ("landlock": as far as the
   * kernel can, "require": refuses scripts unless fully confined; false: not at all)
   */
  readonly sandbox?: SandboxMode;
  /** paths a confined worker may write beneath (besides its own temp dir and /dev/null) */
  readonly writablePaths?: readonly string[];
  /** the worker's answer to hello (its Python, its confinement), once per process started */
  readonly onStarted?: (info: WireValue) => void;
}

export type SandboxMode = false | 'landlock' | 'require';

/** answers the worker's calls into nxsw while a script runs (the file API) */
export type CallHandler = (op: string, args: WireValue[]) => WireValue;

/** An error the Python side reported: its kind (syntax, script, result, import, worker), type, message and line. */
export class PythonError extends Error {
  constructor(readonly kind: string, readonly pythonType: string, readonly pythonMessage: string, readonly line: number | null) {
    super(`${pythonType}: ${pythonMessage}${line ? ` (script line ${line})` : ''}`);
    this.name = 'PythonError';
  }
}

export interface RequestOptions {
  /** time limit once the worker starts on it */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onCall?: CallHandler;
  /** what the request runs, for messages ("the PYEVAL script at line 4 of ...") */
  readonly what: string;
}

interface Pending {
  readonly message: unknown[];
  readonly options: RequestOptions;
  /** a setup request this one needs (its failure is this one's failure) */
  readonly needs?: string;
  readonly resolve: (v: WireValue) => void;
  readonly reject: (e: unknown) => void;
  /** the reply to a setup sent for this request, when it failed */
  setupError?: unknown;
  /** a setup request rides along in front of its dependant */
  readonly isSetup?: boolean;
  timer?: NodeJS.Timeout;
  /** rejected already (aborted while queued); its reply is dropped */
  settled?: boolean;
  onAbort?: () => void;
}

const STDERR_KEPT = 4096;

/**
 * the confined workers' temp dirs not removed yet: a worker's goes when it exits, and those of
 * workers still running (idle ones do not keep the server alive) when the server's process exits
 */
const scratchDirs = new Set<string>();
let scratchCleanup = false;

function newScratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-python-'));
  scratchDirs.add(dir);
  if (!scratchCleanup) {
    scratchCleanup = true;
    process.once('exit', () => {
      for (const d of scratchDirs) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // gone already, or not ours to remove any more
        }
      }
    });
  }
  return dir;
}

/** not rmSync: a script may have filled its temp dir, and the event loop must not wait for it */
function removeScratchDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true }).then(() => void scratchDirs.delete(dir), () => undefined);
}
const STARTUP_TIMEOUT_MS = 30_000;

export class PythonWorker {
  private child: ChildProcess | undefined;
  /** sent to the current process, answers pending, in order */
  private inFlight: Pending[] = [];
  private stderr = '';
  /** requests replayed into every new process (compiled scripts, class instances) */
  private readonly setups = new Map<string, unknown[]>();
  private readonly done = new Set<string>();
  private closed = false;

  constructor(private readonly options: WorkerOptions) {}

  /**
   * Registers a setup request (compile a script, instantiate a class) under a key; it is sent
   * before the first request that needs it and again into every new process.
   */
  setup(key: string, message: unknown[]): void {
    this.setups.set(key, message);
  }

  /** drops a setup (its source is closed), in the running process too */
  forget(key: string): void {
    this.setups.delete(key);
    if (this.done.delete(key) && this.child) this.request(['forget', key], { what: 'forget' }).catch(() => undefined);
  }

  /** sends a request; `needs` names the setup it depends on */
  request(message: unknown[], options: RequestOptions, needs?: string): Promise<WireValue> {
    return new Promise<WireValue>((resolve, reject) => {
      if (this.closed) {
        reject(new NxswError('SOURCE_UNAVAILABLE', 'the Python worker is closed'));
        return;
      }
      const p: Pending = { message, options, needs, resolve, reject };
      if (options.signal) {
        if (options.signal.aborted) {
          reject(options.signal.reason ?? new NxswError('TIMEOUT', 'aborted'));
          return;
        }
        p.onAbort = () => this.abort(p);
        options.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.send(p);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    this.failAll(new NxswError('SOURCE_UNAVAILABLE', 'the Python worker was closed'));
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(t);
    }
  }

  // ---- sending -----------------------------------------------------------------------------

  private send(p: Pending): void {
    const child = this.child ?? this.start();
    if (p.needs && !this.done.has(p.needs)) {
      const setup = this.setups.get(p.needs);
      if (setup) {
        this.done.add(p.needs);
        const key = p.needs;
        this.write(child, {
          message: setup, options: { what: p.options.what, timeoutMs: p.options.timeoutMs }, isSetup: true,
          resolve: () => undefined,
          reject: (e) => {
            this.done.delete(key);
            p.setupError = e;
          },
        });
      }
    }
    this.write(child, p);
  }

  private write(child: ChildProcess, p: Pending): void {
    this.inFlight.push(p);
    if (this.inFlight.length === 1) this.started(p);
    child.stdin!.write(encodeFrame(p.message));
  }

  /** the worker is now on p (the head of the queue): its time limit runs from here */
  private started(p: Pending): void {
    this.hold(true);
    const ms = p.options.timeoutMs;
    if (ms) p.timer = setTimeout(() => this.expire(`${p.options.what} ran longer than ${ms} ms`), ms);
  }

  private start(): ChildProcess {
    const { python, pythonPath, sandbox = false } = this.options;
    // NXSW_VERSION: what scripts read as nxswriter.__version__ where the reference is not installed
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: [...pythonPath, process.env.PYTHONPATH].filter(Boolean).join(':'), NXSW_VERSION };
    const args = ['-m', 'nxsw_python.start'];
    // a confined worker writes only beneath its own temp dir (TMPDIR, so tempfile uses it), /dev/null and the writable paths
    let scratch: string | undefined;
    if (sandbox) {
      scratch = newScratchDir();
      env.TMPDIR = scratch;
      args.push(JSON.stringify({ sandbox, writable: [scratch, '/dev/null', ...(this.options.writablePaths ?? [])] }));
    }
    const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    if (scratch) {
      const dir = scratch;
      const remove = () => void removeScratchDir(dir);
      child.once('exit', remove);
      child.once('error', remove);
    }
    this.stderr = '';
    this.done.clear();
    const frames = new FrameSplitter();
    child.stdout!.on('data', (chunk: Buffer) => {
      try {
        frames.push(chunk, (body) => this.onFrame(child, body));
      } catch (e) {
        this.stop(`it sent a malformed frame (${errorMessage(e)})`);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-STDERR_KEPT);
      for (const line of s.split('\n')) if (line.trim()) this.options.log.debug(`python[${child.pid}]: ${line}`);
    });
    child.stdin!.on('error', () => undefined);
    child.on('error', (e) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.failAll(new NxswError('SOURCE_UNAVAILABLE', `cannot run the Python interpreter '${python}' (set by ${this.options.pythonSetting}): ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const last = this.stderr.trim().split('\n').slice(-3).join(' | ');
      const err = new NxswError('SOURCE_UNAVAILABLE', `the Python worker exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}; it restarts on the next read, the common block is lost`);
      // a worker that dies while starting fails everything; one that dies in a script fails that read
      if (this.inFlight[0]?.isSetup) this.failAll(err);
      else this.failHeadAndResend(err);
    });
    this.child = child;
    // starting the interpreter (imports included) does not count against a script's time limit
    this.write(child, {
      message: ['hello'], options: { what: 'starting the Python worker', timeoutMs: STARTUP_TIMEOUT_MS }, isSetup: true,
      resolve: (info) => this.options.onStarted?.(info), reject: () => undefined,
    });
    return child;
  }

  // ---- receiving -----------------------------------------------------------------------------

  private onFrame(child: ChildProcess, body: Buffer): void {
    if (child !== this.child) return;
    const [tag, ...rest] = decodeValue(body) as WireValue[];
    const head = this.inFlight[0];
    if (!head) return;
    if (tag === 'call') {
      let reply: unknown[];
      try {
        if (!head.options.onCall) throw new Error('no file is open for this script');
        reply = ['ok', head.options.onCall(rest[0] as string, rest.slice(1))];
      } catch (e) {
        reply = ['error', errorMessage(e)];
      }
      child.stdin!.write(encodeFrame(reply));
      return;
    }
    this.inFlight.shift();
    this.finish(head);
    if (this.inFlight[0]) this.started(this.inFlight[0]);
    else this.hold(false);
    if (head.settled) return;
    head.settled = true;
    if (head.setupError) head.reject(head.setupError);
    else if (tag === 'ok') head.resolve(rest[0] ?? null);
    else if (tag === 'error') {
      const [kind, type, message, line] = rest as [string, string, string, number | null];
      head.reject(new PythonError(kind, type, message, line));
    } else head.reject(new NxswError('INTERNAL', `the Python worker sent an unknown reply '${String(tag)}'`));
  }

  private finish(p: Pending): void {
    clearTimeout(p.timer);
    if (p.onAbort) p.options.signal?.removeEventListener('abort', p.onAbort);
  }

  // ---- supervision ---------------------------------------------------------------------------

  /** a read aborted by the engine: dropped when queued, the process killed when it runs */
  private abort(p: Pending): void {
    if (p.settled) return;
    if (this.inFlight[0] === p) this.expire(`${p.options.what} was aborted (the element's time limit)`);
    else {
      p.settled = true;
      this.finish(p);
      p.reject(p.options.signal?.reason ?? new NxswError('TIMEOUT', `${p.options.what} was aborted`));
    }
  }

  /** the running request is over its limit: it fails, the process dies, the rest go to a new one */
  private expire(reason: string): void {
    this.stop(reason);
    this.failHeadAndResend(new NxswError('TIMEOUT', `${reason}; the Python worker was restarted and the PYEVAL common block is lost`));
  }

  /** the head request fails; the ones queued behind it are sent again (to a new process) */
  private failHeadAndResend(err: unknown): void {
    const [head, ...rest] = this.inFlight;
    this.inFlight = [];
    if (head) {
      this.finish(head);
      if (!head.settled) {
        head.settled = true;
        head.reject(err);
      }
    }
    for (const x of rest) {
      if (x.settled || x.isSetup) continue;
      clearTimeout(x.timer);
      // the setup it needs was the head (a constructor past the limit): it fails with it, or it
      // would carry the setup into every new process, for ever
      if (x.setupError) {
        x.settled = true;
        this.finish(x);
        x.reject(x.setupError);
        continue;
      }
      this.send(x);
    }
  }

  private stop(reason: string): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.kill('SIGKILL');
    this.options.log.warn(`Python worker ${child.pid} stopped: ${reason}; the PYEVAL common block is lost`);
  }

  private failAll(e: unknown): void {
    const all = this.inFlight;
    this.inFlight = [];
    this.hold(false);
    for (const p of all) {
      this.finish(p);
      if (!p.settled) {
        p.settled = true;
        p.reject(e);
      }
    }
  }

  /** an idle worker does not keep the server's process alive; one with requests does */
  private hold(busy: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const h of [c, c.stdin, c.stdout, c.stderr] as Array<{ ref(): void; unref(): void } | null>) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }
}
