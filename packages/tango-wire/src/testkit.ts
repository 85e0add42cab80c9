/**
 * Helpers for tests that run against the real Tango stack (scripts/tango-stack.sh) with PyTango
 * (Debian's /usr/bin/python3 with python3-tango) as the independent peer. Shared by this
 * package's tests and the Tango plugins' tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from './database.js';
import { Orb } from './orb.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const TANGO_HOST = process.env.TANGO_HOST || 'localhost:10000';
export const TEST_DEVICE = 'sys/tg_test/1';

/** True when the database answers and the device (TangoTest by default) is exported. */
export async function tangoStackUp(host = TANGO_HOST, device = TEST_DEVICE): Promise<boolean> {
  const orb = new Orb({ timeoutMs: 2000, connectTimeoutMs: 2000 });
  try {
    return (await new Database(host, orb).importDevice(device)).exported;
  } catch {
    return false;
  } finally {
    orb.close();
  }
}

export function havePyTango(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import tango'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs a Python snippet with PyTango: `inp` (JSON) is the variable `inp`, the snippet sets `out`,
 * which comes back parsed (numpy values as plain JSON, integers beyond 2^53 as strings, DevState
 * as its number or, with `states: 'name'`, its name).
 */
export function runPyTango<T>(code: string, inp: unknown = null, opts: { states?: 'number' | 'name'; host?: string } = {}): T {
  const state = opts.states === 'name' ? 'str(v)' : 'int(v)';
  const script = `
import json, sys, tango, numpy
inp = json.loads(sys.stdin.read())
def plain(v):
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, numpy.ndarray): return plain(v.tolist())
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, numpy.bool_): return bool(v)
    if isinstance(v, numpy.integer): v = int(v)
    if isinstance(v, numpy.floating): return float(v)
    if isinstance(v, tango.DevState): return ${state}
    if isinstance(v, bool): return v
    if isinstance(v, int) and abs(v) > 2**53: return str(v)
    return v
out = None
${code}
print(json.dumps(plain(out)))
`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify(inp), encoding: 'utf8', env: { ...process.env, TANGO_HOST: opts.host ?? TANGO_HOST }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`PyTango snippet failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** a TCP port free on 127.0.0.1 at the time of the call */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a PyTango device server without a database: `source` is the server's Python module
 * (written to `dir`, named after `className`), serving `device` on a free port of 127.0.0.1.
 * Resolves once a PyTango client reaches the device, with its `tango://...#dbase=no` name.
 */
export async function startPyTangoServer(dir: string, className: string, source: string, device: string): Promise<{ url: string; stop(): void }> {
  const script = join(dir, `${className}.py`);
  writeFileSync(script, source);
  const port = await freePort();
  const url = `tango://127.0.0.1:${port}/${device}#dbase=no`;
  const child = spawn(SYSTEM_PYTHON, [script, 'test', '-nodb', '-port', String(port), '-ORBendPointPublish', `giop:tcp:127.0.0.1:${port}`, '-dlist', device], { stdio: 'ignore' });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  for (let i = 0; i < 100; i++) {
    try {
      runPyTango(`out = tango.DeviceProxy(${JSON.stringify(url)}).state() is not None`, null);
      return { url, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  stop();
  throw new Error(`the PyTango device server ${className} (${device}) did not start within 20 s`);
}

/**
 * Wraps a test body that changes the shared TangoTest device (attribute values, device
 * properties, aliases) or reads back what it changed: the body runs while it holds a lock on the
 * device, so two such tests never interleave. node:test runs test files in parallel, and other
 * worktrees on the machine run theirs against the same TangoTest; a lock that every process
 * sees (a directory in the temp dir, per Tango host and device) covers both, which an ordering
 * in scripts/run-tests.mjs could not. A lock whose owner died is taken over.
 */
export function changesTangoTest<A extends unknown[], R>(body: (...args: A) => Promise<R>, device = TEST_DEVICE, host = TANGO_HOST): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const release = await lockDevice(host, device);
    try {
      return await body(...args);
    } finally {
      release();
    }
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}

async function lockDevice(host: string, device: string, timeoutMs = 300_000): Promise<() => void> {
  const dir = join(tmpdir(), `nxsw-tango-lock-${`${host}/${device}`.replace(/[^\w.-]+/g, '_')}`);
  const pidFile = join(dir, 'pid');
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(pidFile, String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readPid(pidFile);
    if (owner === undefined) {
      // the owner has made the directory but not yet written its pid, or died in between
      try {
        if (Date.now() - statSync(dir).mtimeMs > 10_000) rmSync(dir, { recursive: true, force: true });
      } catch { /* released meanwhile */ }
    }
    // (read again just before: another waiter may have taken the stale lock over meanwhile)
    if (owner !== undefined && !alive(owner) && readPid(pidFile) === owner) rmSync(dir, { recursive: true, force: true });
    else if (Date.now() > end) throw new Error(`${device} on ${host}: another test (pid ${owner ?? 'unknown'}) has held the lock ${dir} for ${timeoutMs / 1000} s`);
    else await new Promise((r) => setTimeout(r, 100));
  }
}
