/**
 * Where the plugin's Python comes from and which worker serves which writer session: one worker
 * per session, found through the session's shared map (ReadContext.shared), so the common block
 * is shared by the session's scripts across records and entries and by no one else.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, type Logger, type NxValue, type SinkFile, type SourceSettings, type XmlLocation } from '@nxsw/core';
import { resultValue } from './requests.js';
import { PythonWorker, type RequestOptions, type SandboxMode } from './worker.js';
import type { WireValue } from './codec.js';

/** the plugin's own Python package (python/nxsw_python), shipped beside dist/ */
export const PYTHON_DIR = fileURLToPath(new URL('../../python', import.meta.url));

/** the key under which a session's shared map records that its worker's common block is current */
const SESSION_MARK = 'nxsw.python.worker';

export interface RuntimeOptions {
  /** false: the operator turned Python off (plugin option scripts) */
  readonly enabled?: boolean;
  /** the interpreter named by the plugin option `python` (server configuration or --plugin-option) */
  readonly python?: string;
  /** time limit of one script run (ms) */
  readonly scriptTimeoutMs: number;
  /** the worker's Landlock confinement (plugin option sandbox; default "landlock") */
  readonly sandbox?: SandboxMode;
  /** what a confined worker may write beneath besides its temp dir and /dev/null (plugin option writablePaths) */
  readonly writablePaths?: readonly string[];
  readonly log: Logger;
  /** names the sink that writes a file, for messages */
  readonly sinkName: (file: SinkFile) => string;
}

/** the worker's account of its confinement (nxsw_python/sandbox.py Status) */
interface SandboxStatus {
  readonly mode: string;
  readonly confined: boolean;
  readonly abi: number;
  readonly missing: readonly string[];
  readonly reason: string | null;
  readonly writable: readonly string[];
  readonly skipped: ReadonlyArray<readonly [string, string]>;
}

interface Interpreter {
  readonly path: string;
  readonly setting: string;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class PythonRuntime {
  private readonly workers = new WeakMap<Map<string, unknown>, PythonWorker>();
  private readonly all = new Set<PythonWorker>();
  /** a session that is gone (its shared map collected) takes its worker with it */
  private readonly ended = new FinalizationRegistry<PythonWorker>((w) => {
    this.all.delete(w);
    void w.close();
  });
  private readonly found = new Map<string, Interpreter>();
  /** what was logged about the workers' confinement (each message once per server) */
  private readonly told = new Set<string>();

  constructor(readonly options: RuntimeOptions) {}

  /**
   * The interpreter: the session's setting `python` (the Tango property PythonInterpreter), else
   * the plugin option python, else NXSW_PYTHON, else python3 on PATH. Throws a ConfigError naming
   * the setting it came from when that one is not an executable.
   */
  interpreter(settings: SourceSettings = {}, where?: XmlLocation): Interpreter {
    const [name, setting] = settings.python
      ? [settings.python, 'the device property PythonInterpreter']
      : this.options.python
        ? [this.options.python, 'the option "python" of @nxsw/source-python (server configuration "pluginOptions" or --plugin-option)']
        : process.env.NXSW_PYTHON
          ? [process.env.NXSW_PYTHON, 'the environment variable NXSW_PYTHON']
          : ['python3', 'the default: python3 on PATH'];
    const known = this.found.get(name);
    if (known) return known;
    const candidates = isAbsolute(name) || name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
    const path = candidates.find(executable);
    if (!path) {
      throw new ConfigError('DATASOURCE_CONFIG', `PYEVAL needs a Python 3 interpreter: '${name}' (${setting}) was not found or is not executable; set the device property PythonInterpreter, the option "python" of @nxsw/source-python, or NXSW_PYTHON`, where);
    }
    const found = { path, setting };
    this.found.set(name, found);
    return found;
  }

  /** the worker of the session that owns `shared` (started on its first request) */
  workerFor(shared: Map<string, unknown>, settings?: SourceSettings): PythonWorker {
    let w = this.workers.get(shared);
    if (!w) {
      const { path, setting } = this.interpreter(settings);
      w = new PythonWorker({
        python: path, pythonSetting: setting, pythonPath: [PYTHON_DIR], log: this.options.log,
        sandbox: this.sandbox, writablePaths: this.options.writablePaths, onStarted: (info) => this.started(info),
      });
      this.workers.set(shared, w);
      this.all.add(w);
      this.ended.register(shared, w);
    } else if (!shared.has(SESSION_MARK)) {
      // the session cleared its shared state (Init): the common block starts again
      void w.request(['reset'], { what: 'reset' }).catch(() => undefined);
    }
    shared.set(SESSION_MARK, true);
    return w;
  }

  /**
   * One request for the script or class `key` in a session's worker: `setup` (compiling or
   * instantiating it) goes first when that worker has not had it yet; the reply as a value.
   */
  async keyedValue(worker: PythonWorker, key: string, setup: unknown[], message: unknown[], options: Omit<RequestOptions, 'timeoutMs'>): Promise<NxValue> {
    worker.setup(key, setup);
    return resultValue(await worker.request(message, { ...options, timeoutMs: this.options.scriptTimeoutMs }, key), options.what);
  }

  /**
   * The setup of the script or class `key` alone, with nothing run after it (a decoder class made
   * before the scan): sent unless that worker has had it; rejects with the setup's error.
   */
  async keyedSetup(worker: PythonWorker, key: string, setup: unknown[], options: Omit<RequestOptions, 'timeoutMs'>): Promise<void> {
    worker.setup(key, setup);
    // a request that needs the setup carries it in front of itself; hello only answers
    await worker.request(['hello'], { ...options, timeoutMs: this.options.scriptTimeoutMs }, key);
  }

  get sandbox(): SandboxMode {
    return this.options.sandbox ?? 'landlock';
  }

  /** a worker's hello: what its confinement is, logged once per server and kind */
  private started(info: WireValue): void {
    const once = (level: 'info' | 'warn' | 'error', message: string): void => {
      if (this.told.has(message)) return;
      this.told.add(message);
      this.options.log[level](message);
    };
    const hello = info as { python?: string; sandbox?: SandboxStatus | null; refused?: string | null } | null;
    const s = hello?.sandbox;
    if (!this.sandbox || !s) {
      once('warn', 'the Python sandbox is off (option sandbox: false of @nxsw/source-python): PYEVAL scripts and Python classes run unconfined, with all the rights of the server\'s user');
      return;
    }
    for (const [path, why] of s.skipped) once('warn', `the Python sandbox: the writable path ${path} (option writablePaths of @nxsw/source-python) is not writable for scripts: ${why}`);
    if (hello.refused) once('error', `PYEVAL scripts and Python classes are refused: ${hello.refused}`);
    else if (!s.confined) {
      once('warn', `PYEVAL scripts and Python classes run UNCONFINED, with all the rights of the server's user (they can write and delete files, run programs, signal the server): the Landlock sandbox is not available: ${s.reason}; an operator who would rather refuse scripts then sets the option sandbox: "require" of @nxsw/source-python`);
    } else if (s.missing.length) {
      once('warn', `PYEVAL scripts run in the Landlock sandbox of this kernel (ABI ${s.abi}), which cannot refuse: ${s.missing.join('; ')}; writable: ${s.writable.join(', ')}`);
    } else once('info', `PYEVAL scripts run in the Landlock sandbox (ABI ${s.abi}): no writes outside ${s.writable.join(', ')}, no programs, no signals or tracing of other processes`);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.all].map((w) => w.close()));
    this.all.clear();
  }
}
