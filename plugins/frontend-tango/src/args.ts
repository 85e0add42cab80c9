/**
 * The command line of `nxsw serve` for the Tango front end. Two modes:
 *   --nodb --port P --device a/b/c ...        no database; clients use tango://host:P/a/b/c#dbase=no
 *   [--instance] NAME [--device a/b/c ...]    registered in the Tango database given by TANGO_HOST
 */
import { parseArgs } from 'node:util';
import { NxswError, limitOverrides } from '@nxsw/core';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, parseTangoHost, type HostPort } from '@nxsw/tango-wire/server';

export const USAGE = `nxsw serve — the NXSDataWriter Tango device server
  without a database:  nxsw serve --nodb [--port 10123] [--device test/nxsw/1 ...] [--property Name=value ...]
  with the database:   nxsw serve [--instance] NAME [--device a/b/c ...] [--tango-host host:port]
options:
  --port P              TCP port (default 10123 without a database, a free port with one)
  --listen-host ADDR    address to listen on (default: all interfaces, as Tango servers do; --host is the same)
  --publish-host NAME   host clients are told to connect to, in the IORs (default: the --listen-host
                        address when one is given, else this machine's name)
  --device NAME         a writer device (repeatable); with the database, missing ones are defined
  --instance NAME       server instance: the server is NXSDataWriter/NAME
  --property N=V        a device property for every device (without a database; repeatable)
  --flush-interval MS   flush the file every MS ms instead of after every Record (faster, less durable)
  --max-message-size B  largest GIOP message accepted (default 64 MiB)
  --max-connection-memory B  bytes one connection may hold in incomplete requests, and in unread
                        replies (default: the message size)
  --max-connections N   connections at once (default ${DEFAULT_MAX_CONNECTIONS}; at the limit the longest idle one is closed)
  --idle-timeout S      close a connection idle for S seconds (default ${DEFAULT_IDLE_TIMEOUT_MS / 1000}; 0: never)
  (input limits — XML and JSON sizes, rank — are set with --limit NAME=N or the configuration file:
   docs/limits.md)`;

export interface ServeOptions {
  readonly nodb: boolean;
  readonly port: number;
  readonly listenHost: string | undefined;
  readonly publishHost: string | undefined;
  readonly devices: readonly string[];
  readonly executable: string;
  readonly instance: string;
  readonly tangoHost: HostPort | undefined;
  readonly properties: ReadonlyMap<string, string[]>;
  readonly maxMessageSize: number | undefined;
  readonly maxConnectionBytes: number | undefined;
  readonly maxConnections: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  /** --limit name=value: input limits over the kernel's (the CLI applies them too) */
  readonly limits: Readonly<Record<string, string>>;
  /** undefined: flush after every Record */
  readonly flushIntervalMs: number | undefined;
}

const DEVICE_NAME = /^[^/\s#]+\/[^/\s#]+\/[^/\s#]+$/;

function bad(msg: string): NxswError {
  return new NxswError('PLUGIN_OPTIONS', `nxsw serve: ${msg}\n${USAGE}`);
}

function integerOption(raw: string | undefined, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw bad(`${name} must be an integer ≥ ${min}, not '${raw}'`);
  return n;
}

export function parseServeArgs(raw: unknown): ServeOptions {
  const args = Array.isArray(raw) ? raw.map(String) : [];
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: {
        nodb: { type: 'boolean', default: false },
        port: { type: 'string' },
        'listen-host': { type: 'string' },
        host: { type: 'string' },
        'publish-host': { type: 'string' },
        device: { type: 'string', multiple: true },
        instance: { type: 'string' },
        executable: { type: 'string' },
        'tango-host': { type: 'string' },
        property: { type: 'string', multiple: true },
        'max-message-size': { type: 'string' },
        'max-connection-memory': { type: 'string' },
        'max-connections': { type: 'string' },
        'idle-timeout': { type: 'string' },
        limit: { type: 'string', multiple: true },
        'flush-interval': { type: 'string' },
        // the CLI's own options, handled before the front end starts
        plugin: { type: 'string', multiple: true },
        choose: { type: 'string', multiple: true },
        config: { type: 'string' },
        'plugin-option': { type: 'string', multiple: true },
        frontend: { type: 'string' },
        verbose: { type: 'boolean', short: 'v' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw bad((e as Error).message);
  }
  const v = parsed.values;
  const nodb = v.nodb === true;
  const port = v.port === undefined ? (nodb ? 10123 : 0) : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad(`--port must be a TCP port number, not '${v.port}'`);
  const devices = (v.device ?? []).map((d) => d.trim());
  for (const d of devices) if (!DEVICE_NAME.test(d)) throw bad(`--device '${d}' is not a device name domain/family/member`);
  if (new Set(devices.map((d) => d.toLowerCase())).size !== devices.length) throw bad('a device is named twice');
  if (parsed.positionals.length > 1) throw bad(`unexpected arguments: ${parsed.positionals.join(' ')}`);
  const instance = v.instance ?? parsed.positionals[0] ?? (nodb ? 'nodb' : '');
  if (!nodb && !instance) throw bad('with the Tango database the server needs an instance name (--instance NAME), or use --nodb');
  if (!/^[^/\s]+$/.test(instance)) throw bad(`the instance name '${instance}' must not contain '/' or spaces`);
  const properties = new Map<string, string[]>();
  for (const p of v.property ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw bad(`--property '${p}' must be Name=value`);
    const name = p.slice(0, eq).trim();
    properties.set(name, [...(properties.get(name) ?? []), p.slice(eq + 1)]);
  }
  if (properties.size > 0 && !nodb) throw bad('--property is for the mode without a database; with it, set properties in the database');
  const max = integerOption(v['max-message-size'], '--max-message-size', 1024);
  const maxConnectionBytes = integerOption(v['max-connection-memory'], '--max-connection-memory', 1024);
  const maxConnections = integerOption(v['max-connections'], '--max-connections', 1);
  const idle = v['idle-timeout'] === undefined ? undefined : Number(v['idle-timeout']);
  if (idle !== undefined && (!Number.isFinite(idle) || idle < 0)) throw bad('--idle-timeout must be a number of seconds (0: never)');
  if (v['listen-host'] !== undefined && v.host !== undefined && v['listen-host'] !== v.host) throw bad('--listen-host and --host name two different addresses');
  const flush = v['flush-interval'] === undefined ? undefined : Number(v['flush-interval']);
  if (flush !== undefined && (!Number.isFinite(flush) || flush <= 0)) throw bad('--flush-interval must be a positive number of milliseconds');
  let tangoHost: HostPort | undefined;
  if (v['tango-host'] !== undefined) {
    try {
      tangoHost = parseTangoHost(v['tango-host'])[0];
    } catch (e) {
      throw bad((e as Error).message);
    }
  }
  return {
    nodb, port, listenHost: v['listen-host'] ?? v.host, publishHost: v['publish-host'],
    devices: devices.length === 0 && nodb ? ['test/nxsw/1'] : devices,
    executable: v.executable ?? 'NXSDataWriter', instance, tangoHost, properties, maxMessageSize: max, flushIntervalMs: flush,
    maxConnectionBytes, maxConnections, idleTimeoutMs: idle === undefined ? undefined : idle * 1000, limits: limitOverrides(v.limit),
  };
}

export const TANGO_USAGE = `NXSDataWriter — the standard Tango device server command line (for Starter/Astor)
  NXSDataWriter INSTANCE [-v[N]] [-ORBendPoint giop:tcp:[HOST]:PORT] [-ORBendPointPublish giop:tcp:HOST:PORT]
  NXSDataWriter INSTANCE -nodb -dlist a/b/c[,d/e/f] [-ORBendPoint giop:tcp::PORT]
The devices of NXSDataWriter/INSTANCE come from the Tango database (TANGO_HOST), or from -dlist with -nodb.`;

/** "giop:tcp:host:port" (host may be empty or [ipv6]) → host and port */
function endpoint(value: string | undefined, option: string): { host: string; port: string } {
  const m = value === undefined ? null : /^giop:tcp:(\[[^\]]*\]|[^:]*):(\d+)$/.exec(value);
  if (!m) throw new NxswError('PLUGIN_OPTIONS', `${option} needs giop:tcp:HOST:PORT, not '${value ?? ''}'\n${TANGO_USAGE}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] };
}

/**
 * The standard Tango server command line (what Starter runs: `NXSDataWriter INSTANCE ...`) as
 * `nxsw serve` arguments, and the verbosity level from -v/-vN (0 without).
 */
export function tangoServerArgs(argv: readonly string[]): { serve: string[]; verbosity: number } {
  const serve: string[] = [];
  let instance: string | undefined;
  let verbosity = 0;
  let nodb = false;
  let dlist: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-?' || a === '-h' || a === '--help') throw new NxswError('PLUGIN_OPTIONS', TANGO_USAGE);
    const v = /^-v(\d*)$/.exec(a);
    if (v) verbosity = v[1] ? Number(v[1]) : 4;
    else if (a === '-nodb') nodb = true;
    else if (a === '-dlist') dlist = (argv[++i] ?? '').split(',').map((d) => d.trim()).filter(Boolean);
    else if (a === '-ORBendPoint') {
      const e = endpoint(argv[++i], a);
      if (e.host) serve.push('--host', e.host);
      serve.push('--port', e.port);
    } else if (a === '-ORBendPointPublish') {
      serve.push('--publish-host', endpoint(argv[++i], a).host);
    } else if (a.startsWith('-')) {
      throw new NxswError('PLUGIN_OPTIONS', `unsupported option ${a}\n${TANGO_USAGE}`);
    } else if (instance === undefined) instance = a;
    else throw new NxswError('PLUGIN_OPTIONS', `unexpected argument ${a}\n${TANGO_USAGE}`);
  }
  if (!instance) throw new NxswError('PLUGIN_OPTIONS', `the instance name is missing\n${TANGO_USAGE}`);
  if (nodb && dlist.length === 0) throw new NxswError('PLUGIN_OPTIONS', `-nodb needs -dlist a/b/c[,...]\n${TANGO_USAGE}`);
  if (!nodb && dlist.length > 0) throw new NxswError('PLUGIN_OPTIONS', `-dlist is for -nodb; with the database the devices are defined there\n${TANGO_USAGE}`);
  serve.push('--instance', instance);
  if (nodb) {
    serve.push('--nodb');
    for (const d of dlist) serve.push('--device', d);
  }
  return { serve, verbosity };
}
