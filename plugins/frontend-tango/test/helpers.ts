/**
 * Test helpers: a kernel with the installed plugins (plus a deliberately slow datasource), the
 * front end started in this process, and PyTango (Debian's /usr/bin/python3) as the client.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Kernel, NxswError, scalar, type DataSource, type DataSourceType, type ExtensionBase, type NxValue, type ReadContext, type XmlElement } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
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
export async function testKernel(): Promise<Kernel> {
  const installed = await Kernel.start({ cwd: REPO_ROOT });
  const all: ExtensionBase[] = [];
  for (const kind of ['datasource', 'sink', 'tag', 'decoder']) all.push(...installed.list(kind));
  return Kernel.withExtensions([...all, new SlowSourceType()]);
}

export async function startServer(kernel: Kernel, args: string[]): Promise<RunningTangoServer> {
  return new TangoFrontEnd().start(kernel, args);
}

export { havePyTango } from '@nxsw/tango-wire/testkit';

/** Python prelude: `dev` is the proxy; reason(f) runs f and returns the DevFailed reason (or None). */
const PRELUDE = `
import sys, json, time, tango
dev = tango.DeviceProxy(sys.argv[1])
def reason(f, *a):
    try:
        f(*a)
        return None
    except tango.DevFailed as e:
        return e.args[0].reason
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
