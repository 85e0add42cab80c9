/**
 * The `tango` front end: starts a device server with NXSDataWriter devices, either without a
 * database or registered in the one TANGO_HOST names (defined if missing, exported on start,
 * unexported on stop), and tells the user the line that connects PyTango to it.
 */
import { NxswError, resolveLimits, type FrontEnd, type Kernel, type Logger, type RunningFrontEnd } from '@nxsw/core';
import { DeviceProxy } from '@nxsw/tango-wire';
import { DatabaseRegistry, DeviceServer, LogLevel, defaultTangoHost, type DeviceStore, type HostPort } from '@nxsw/tango-wire/server';
import { USAGE, parseServeArgs, type ServeOptions } from './args.js';
import { DEFAULT_PROPERTIES, PROPERTY_NAMES, parseProperties, type WriterProperties } from './properties.js';
import { NxsDataWriterDevice } from './writer-device.js';

export const CLASS_NAME = 'NXSDataWriter';

export interface RunningTangoServer extends RunningFrontEnd {
  readonly port: number;
  /** device name → the device */
  readonly devices: ReadonlyMap<string, NxsDataWriterDevice>;
  /** what clients pass to tango.DeviceProxy for each device */
  readonly urls: readonly string[];
  readonly server: DeviceServer;
}

export class TangoFrontEnd implements FrontEnd {
  readonly kind = 'frontend' as const;
  readonly name = 'tango';
  readonly usage = USAGE;

  async start(host: unknown, options: unknown): Promise<RunningTangoServer> {
    const kernel = host as Kernel;
    const opts = parseServeArgs(options);
    const log = kernel.log;
    return opts.nodb ? startNoDb(kernel, opts, log) : startWithDb(kernel, opts, log);
  }
}

async function startNoDb(kernel: Kernel, opts: ServeOptions, log: Logger): Promise<RunningTangoServer> {
  const props = (device: string): Promise<WriterProperties> => Promise.resolve(parseProperties(opts.properties, device, log));
  const { server, devices } = await build(kernel, opts, log, props);
  await listen(server, opts);
  const urls = opts.devices.map((d) => `tango://${server.publishHost}:${server.port}/${d}#dbase=no`);
  const description = [
    `NXSDataWriter device server ${server.serverName} listening on port ${server.port} (no database). Connect with:`,
    ...urls.map((u) => `  tango.DeviceProxy("${u}")`),
  ].join('\n');
  return running(server, devices, urls, description, async () => {});
}

async function startWithDb(kernel: Kernel, opts: ServeOptions, log: Logger): Promise<RunningTangoServer> {
  let db: HostPort;
  try {
    db = opts.tangoHost ?? defaultTangoHost()[0];
  } catch (e) {
    throw new NxswError('PLUGIN_OPTIONS', `${(e as Error).message}; set TANGO_HOST=host:port, or run without a database: nxsw serve --nodb`);
  }
  const serverName = `${opts.executable}/${opts.instance}`;
  const registry = new DatabaseRegistry(db);
  const dbText = `${db.host}:${db.port}`;
  let names: string[];
  try {
    names = await registry.deviceList(serverName, CLASS_NAME);
    const missing = opts.devices.filter((d) => !names.some((n) => n.toLowerCase() === d.toLowerCase()));
    if (missing.length > 0) {
      // DbAddServer (re)defines the listed devices and the admin device; keep the ones already there
      await registry.addServer(serverName, [...names, ...missing].map((name) => ({ name, className: CLASS_NAME })));
      log.info(`defined ${missing.join(', ')} in the Tango database at ${dbText} (server ${serverName}, class ${CLASS_NAME})`);
      names = await registry.deviceList(serverName, CLASS_NAME);
    }
  } catch (e) {
    registry.close();
    throw new NxswError('SOURCE_UNAVAILABLE', `the Tango database at ${dbText} (TANGO_HOST) cannot be used: ${(e as Error).message}`, { cause: e });
  }
  if (names.length === 0) {
    registry.close();
    throw new NxswError('PLUGIN_OPTIONS', `no ${CLASS_NAME} device is defined for server ${serverName} in the Tango database at ${dbText}. `
      + `Define one with: tango_admin --add-server ${serverName} ${CLASS_NAME} test/nxsw/1 — or pass --device test/nxsw/1`);
  }
  const props = async (device: string): Promise<WriterProperties> => {
    try {
      return parseProperties(await registry.deviceProperties(device, PROPERTY_NAMES), device, log);
    } catch (e) {
      log.warn(`${device}: reading the properties from the database failed (${(e as Error).message}); using the defaults`);
      return DEFAULT_PROPERTIES;
    }
  };
  const { server, devices } = await build(kernel, { ...opts, devices: names }, log, props, { database: db, store: registry });
  // attribute configuration, memorized values and polling kept in the database (cppTango does this before exporting)
  await server.restore();
  await listen(server, opts);
  const publish = server.publishHost;
  try {
    for (const name of [...names, server.adminName]) await registry.exportDevice(name, server.ior(name), publish);
  } catch (e) {
    await server.close();
    registry.close();
    throw new NxswError('SOURCE_UNAVAILABLE', `exporting the devices to the Tango database at ${dbText} failed: ${(e as Error).message}`, { cause: e });
  }
  const description = [
    `NXSDataWriter device server ${serverName} on ${publish}:${server.port}, registered in the Tango database ${dbText}. Connect with:`,
    ...names.map((n) => `  tango.DeviceProxy("${n}")   # with TANGO_HOST=${dbText}`),
  ].join('\n');
  return running(server, devices, names, description, async () => {
    try {
      await registry.unexportServer(serverName);
    } catch (e) {
      log.warn(`unexporting ${serverName} from the Tango database failed: ${(e as Error).message}`);
    } finally {
      registry.close();
    }
  });
}

async function build(kernel: Kernel, opts: ServeOptions, log: Logger, loadProperties: (d: string) => Promise<WriterProperties>, db?: { database: HostPort; store: DeviceStore }) {
  const devices = new Map<string, NxsDataWriterDevice>();
  const limits = resolveLimits({ ...kernel.limits, ...opts.limits }, '--limit');
  const server = new DeviceServer({
    database: db?.database,
    store: db?.store,
    logConsumer: sendToLogConsumer,
    serverName: `${opts.executable}/${opts.instance}`,
    listenHost: opts.listenHost,
    port: opts.port,
    publishHost: opts.publishHost,
    maxMessageSize: opts.maxMessageSize,
    maxConnectionBytes: opts.maxConnectionBytes,
    maxConnections: opts.maxConnections,
    idleTimeoutMs: opts.idleTimeoutMs,
    onError: (m) => log.warn(m),
    onKill: () => process.kill(process.pid, 'SIGTERM'),
  });
  for (const name of opts.devices) {
    const d = await NxsDataWriterDevice.create(name, { extensions: kernel, sessions: kernel.sessions, log: deviceLogger(server, name, log), loadProperties, flushIntervalMs: opts.flushIntervalMs, limits });
    devices.set(name, d);
    server.add(d);
  }
  return { server, devices };
}

/** a device's messages go to nxsw's log and to the device's Tango logging targets (AddLoggingTarget) */
function deviceLogger(server: DeviceServer, device: string, log: Logger): Logger {
  const both = (level: LogLevel, write: (m: string) => void) => (m: string): void => {
    write(m);
    server.logging.log(device, level, m);
  };
  return {
    debug: both(LogLevel.DEBUG, (m) => log.debug(m)),
    info: both(LogLevel.INFO, (m) => log.info(m)),
    warn: both(LogLevel.WARN, (m) => log.warn(m)),
    error: both(LogLevel.ERROR, (m) => log.error(m)),
  };
}

const logConsumers = new Map<string, DeviceProxy>();

/** logging target device::name: the Log command of a log consumer (Astor's LogViewer) */
async function sendToLogConsumer(device: string, record: string[]): Promise<void> {
  let proxy = logConsumers.get(device);
  if (!proxy) {
    proxy = new DeviceProxy(device);
    logConsumers.set(device, proxy);
  }
  await proxy.commandInout('Log', record);
}

async function listen(server: DeviceServer, opts: ServeOptions): Promise<void> {
  try {
    await server.listen();
  } catch (e) {
    throw new NxswError('SOURCE_UNAVAILABLE', `cannot listen on ${opts.listenHost ?? '*'}:${opts.port}: ${(e as Error).message}`, { cause: e });
  }
}

function running(server: DeviceServer, devices: Map<string, NxsDataWriterDevice>, urls: string[], description: string, unregister: () => Promise<void>): RunningTangoServer {
  let stopped: Promise<void> | undefined;
  return {
    description, port: server.port, devices, urls, server,
    stop: () => (stopped ??= (async () => {
      await unregister();
      await server.close();
      await Promise.all([...devices.values()].map((d) => d.shutdown()));
    })()),
  };
}
