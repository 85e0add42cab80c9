/**
 * Test helpers: a kernel with the installed plugins (plus a deliberately slow datasource), the
 * front end started in this process, and PyTango (Debian's /usr/bin/python3) as the client.
 */
import { execFile, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Kernel, NxswError, scalar, type DataSource, type DataSourceType, type ExtensionBase, type Logger, type NxValue, type ReadContext, type XmlElement } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { GiopStreamParser, type GiopMessage } from '@nxsw/tango-wire';
import { TangoFrontEnd, type RunningTangoServer } from '../src/index.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export const XML_C1 = '<definition><group type="NXentry" name="entry1"><field name="c1" type="NX_FLOAT"><strategy mode="STEP"/>'
  + '<datasource type="CLIENT"><record name="c1"/></datasource></field></group></definition>';

/** a field whose value takes `ms` milliseconds to read (without blocking the event loop) */
export function slowXml(ms: number): string {
  return '<definition><group type="NXentry" name="entry1"><field name="s1" type="NX_FLOAT"><strategy mode="STEP"/>'
    + `<datasource type="SLOW"><record name="${ms}"/></datasource></field></group></definition>`;
}

class SlowSourceType implements DataSourceType {
  readonly kind = 'datasource';
  readonly name = 'SLOW';
  readonly defaultTimeoutMs = 60_000;
  create(el: XmlElement): DataSource {
    const ms = Number(el.children.find((c) => c.name === 'record')?.attributes.name ?? '100');
    return {
      describe: () => `SLOW ${ms} ms`,
      read: (ctx: ReadContext): Promise<NxValue> => new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve(scalar('float64', ctx.step)), ms);
        ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(new NxswError('TIMEOUT', 'slow read aborted')); });
      }),
    };
  }
}

/** The installed plugins' extensions plus the SLOW test datasource. */
export async function testKernel(log?: Logger): Promise<Kernel> {
  const installed = await Kernel.start({ cwd: REPO_ROOT });
  const all: ExtensionBase[] = [];
  for (const kind of ['datasource', 'sink', 'tag', 'decoder']) all.push(...installed.list(kind));
  return Kernel.withExtensions([...all, new SlowSourceType()], log);
}

export async function startServer(kernel: Kernel, args: string[]): Promise<RunningTangoServer> {
  return new TangoFrontEnd().start(kernel, args);
}

export { havePyTango } from '@nxsw/tango-wire/testkit';

/** The Tango database the db-backed tests register their servers in (scripts/tango-stack.sh). */
export const TANGO_HOST = process.env.TANGO_HOST ?? 'localhost:10000';
export const tangoEnv = { ...process.env, TANGO_HOST };
export const tangoDbUp = (): boolean => spawnSync('tango_admin', ['--ping-database', '2'], { env: tangoEnv, stdio: 'ignore', timeout: 10_000 }).status === 0;

/** Removes a server a test registered in the Tango database, with its properties. */
export function deleteServer(server: string): Promise<void> {
  return new Promise((resolve) => execFile('tango_admin', ['--delete-server', server, '--with-properties'], { env: tangoEnv, timeout: 30_000 }, () => resolve()));
}

export interface ServerFixture {
  readonly kernel: Kernel;
  /** a temp directory for the test file's output, removed after it */
  readonly dir: string;
  /** the running server (an error when a test stopped it) */
  readonly server: RunningTangoServer;
  /** starts the server again, with `extra` arguments after the fixture's */
  start(extra?: string[]): Promise<RunningTangoServer>;
  /** stops the running server; after() then has nothing to stop */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** for before(): starts everything */
  setUp(): Promise<void>;
  /** for after(): stops and removes everything */
  tearDown(): Promise<void>;
}

/**
 * One device server for a whole test file, started in this process. Register its hooks in the
 * test file, before the tests: `before(fx.setUp); after(fx.tearDown);`. setUp makes a temp dir
 * and a test kernel, starts the server with `args` and calls `started` (for values derived from
 * the server, such as URLs: node:test runs a file's top-level before() hooks concurrently, so a
 * second hook could not rely on this one); tearDown stops it, runs `cleanup` (e.g. deleteServer)
 * and removes the dir. `log` receives the server's log (default: the kernel's). With `skip` set neither does anything.
 */
export function serverPerFile(skip: string | false, opts: { tmpPrefix: string; args: string[]; started?: (srv: RunningTangoServer) => void; cleanup?: () => Promise<void>; log?: Logger }): ServerFixture {
  let kernel: Kernel | undefined;
  let srv: RunningTangoServer | undefined;
  let dir: string | undefined;
  const fx: ServerFixture = {
    get kernel() { if (!kernel) throw new Error('no kernel: the fixture did not start'); return kernel; },
    get dir() { if (!dir) throw new Error('no directory: the fixture did not start'); return dir; },
    get server() { if (!srv) throw new Error('the server is not running'); return srv; },
    start: async (extra = []) => (srv = await startServer(fx.kernel, [...opts.args, ...extra])),
    stop: async () => { await srv?.stop(); srv = undefined; },
    restart: async () => { await fx.stop(); await fx.start(); },
    setUp: async () => {
      if (skip) return;
      dir = mkdtempSync(join(tmpdir(), opts.tmpPrefix));
      kernel = await testKernel(opts.log);
      const running = await fx.start();
      opts.started?.(running);
    },
    tearDown: async () => {
      if (skip) return;
      await fx.stop();
      await kernel?.stop();
      await opts.cleanup?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}

/** Python: reason(f, *a) runs f and returns the DevFailed reason (or None); needs `import tango`. */
export const PY_REASON = `def reason(f, *a):
    try:
        f(*a)
        return None
    except tango.DevFailed as e:
        return e.args[0].reason`;

/** Python prelude: `dev` is the proxy; reason(f) as in PY_REASON. */
const PRELUDE = `
import sys, json, time, tango
dev = tango.DeviceProxy(sys.argv[1])
${PY_REASON}
def st():
    return str(dev.state())
def wait_not_running(timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        s = st()
        if s != 'RUNNING':
            return s
        time.sleep(0.02)
    return 'TIMEOUT'
out = {}
`;

/**
 * Runs a PyTango script against `url` (asynchronously: the server answers from this same
 * process). The script fills the dict `out`, returned parsed.
 */
export function py(url: string, body: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const script = `${PRELUDE}\n${body}\nprint("@@OUT@@" + json.dumps(out, default=str))\n`;
  return new Promise((resolve, reject) => {
    execFile(SYSTEM_PYTHON, ['-c', script, url], { env, timeout: timeoutMs, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('@@OUT@@'));
      if (err || !line) {
        reject(new Error(`python failed: ${err?.message ?? 'no output'}\n${stderr}\n${stdout}`));
        return;
      }
      resolve(JSON.parse(line.slice(7)) as Record<string, unknown>);
    });
  });
}

/**
 * Sends raw bytes to the server on `port` on a fresh connection; the GIOP messages received until
 * the server closes it or stays quiet for `quietMs`. Data that does not parse is left out of
 * `messages`; `unparsed` is the first such parse error.
 */
export function exchange(port: number, bytes: Uint8Array, quietMs: number): Promise<{ messages: GiopMessage[]; closed: boolean; unparsed?: string }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const parser = new GiopStreamParser();
    const messages: GiopMessage[] = [];
    let unparsed: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => { clearTimeout(timer); s.destroy(); resolve({ messages, closed, ...(unparsed ? { unparsed } : {}) }); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => finish(false), quietMs); };
    s.on('connect', () => { s.write(bytes); arm(); });
    s.on('data', (b) => {
      try { messages.push(...parser.push(new Uint8Array(b))); } catch (e) { unparsed ??= String(e); }
      arm();
    });
    s.on('close', () => finish(true));
    s.on('error', () => {});
  });
}
