/**
 * A Tango device server process: the devices it serves (any classes) plus its admin device,
 * reachable over GIOP with the device name as the object key — the key `tango://h:p/dev#dbase=no`
 * clients use, and the one put in the IORs exported to the database. Owns what is shared by the
 * devices: the ZeroMQ event publisher (started on the first subscription) and the logging
 * service.
 */
import { hostname } from 'node:os';
import type { HostPort } from '../names.js';
import type { DeviceStore } from './attr-config.js';
import { LoggingControl, type LogConsumerCall } from './logging.js';
import { ZmqEventSupplier } from './zmq-supplier.js';
import { makeIor, stringifyIor } from '../ior.js';
import { AdminDevice } from './admin.js';
import { DeviceServant, type ServerContext } from './servant.js';
import { GiopServer, OMNI_MINOR, systemException, type Dispatcher, type GiopRequest, type ReplyWriter } from './transport.js';
import type { TangoDevice } from './model.js';

export interface DeviceServerOptions {
  /** "Executable/instance", e.g. "NXSDataWriter/test" */
  readonly serverName: string;
  /** listen address (default all interfaces) */
  readonly listenHost?: string;
  /** 0: a free port */
  readonly port: number;
  /** the host put in IORs (default: the listen address when it is one address, else this machine's name) */
  readonly publishHost?: string;
  readonly maxMessageSize?: number;
  /** connection bounds (GiopServerOptions) */
  readonly maxConnectionBytes?: number;
  readonly maxConnections?: number;
  readonly idleTimeoutMs?: number;
  /** re-creates a device (admin DevRestart / RestartServer); default: its init() */
  readonly restart?: (device: TangoDevice) => Promise<TangoDevice | void>;
  /** the admin Kill command */
  readonly onKill?: () => void;
  readonly onError?: (msg: string) => void;
  /**
   * the Tango database the server is registered in: event names start with its host:port, and
   * `store` keeps attribute configuration, memorized values and polling; undefined: no database
   */
  readonly database?: HostPort;
  readonly store?: DeviceStore;
  /** publish events over ZeroMQ (default true) */
  readonly events?: boolean;
  /** the address put in the ZMQ endpoints (default: the first non-loopback IPv4 address) */
  readonly eventAddress?: string;
  /** sends a log record to a log consumer device (logging targets device::name) */
  readonly logConsumer?: LogConsumerCall;
}

export class DeviceServer implements Dispatcher {
  readonly adminName: string;
  private readonly servants = new Map<string, DeviceServant>();
  private readonly giop: GiopServer;
  private readonly ctx: ServerContext;
  private boundPort = 0;
  private supplier: ZmqEventSupplier | undefined;
  readonly logging: LoggingControl;

  constructor(private readonly options: DeviceServerOptions) {
    if (!/^[^/\s]+\/[^/\s]+$/.test(options.serverName)) throw new Error(`server name '${options.serverName}' must be Executable/instance`);
    this.adminName = `dserver/${options.serverName}`;
    const hostName = options.publishHost ?? publishedHostFor(options.listenHost);
    const events = options.events === false ? undefined : {
      supplier: () => this.eventSupplier(),
      // known once listening (without a database the prefix holds this server's port)
      topicPrefix: () => this.topicPrefix(),
      topicModifier: options.database ? '' : '#dbase=no',
    };
    this.ctx = { serverName: options.serverName, hostName, adminName: this.adminName, events, store: options.store, onError: options.onError };
    this.giop = new GiopServer({
      dispatcher: this, host: options.listenHost, port: options.port, onError: options.onError,
      maxMessageSize: options.maxMessageSize, maxConnectionBytes: options.maxConnectionBytes, maxConnections: options.maxConnections, idleTimeoutMs: options.idleTimeoutMs,
    });
    this.logging = new LoggingControl({ serverName: options.serverName, toConsumer: options.logConsumer, onError: options.onError });
    const admin = new AdminDevice({
      serverName: options.serverName,
      adminName: this.adminName,
      devices: () => this.devices(),
      servant: (name) => (name.toLowerCase() === this.adminName.toLowerCase() ? undefined : this.servants.get(name.toLowerCase())),
      adminServant: () => this.servants.get(this.adminName.toLowerCase()),
      restartDevice: (name) => this.restartDevice(name),
      kill: () => options.onKill?.(),
      events: events ? () => this.eventSupplier() : undefined,
      logging: this.logging,
    });
    this.servants.set(this.adminName.toLowerCase(), new DeviceServant(admin, this.ctx));
  }

  /**
   * "tango://host:port/" as cppTango starts event names: the database's host and port (a
   * "localhost" database named by this machine's name), or this server's own without one.
   */
  private topicPrefix(): string {
    const db = this.options.database;
    if (db) return `tango://${db.host === 'localhost' || db.host === '127.0.0.1' ? hostname() : db.host}:${db.port}/`;
    return `tango://${this.ctx.hostName}:${this.boundPort}/`;
  }

  private async eventSupplier(): Promise<ZmqEventSupplier> {
    if (!this.supplier) {
      const heartbeatTopic = `${this.topicPrefix()}${this.adminName}${this.options.database ? '' : '#dbase=no'}.heartbeat`.toLowerCase();
      this.supplier = new ZmqEventSupplier({ heartbeatTopic, publishAddress: this.options.eventAddress, onError: this.options.onError });
    }
    await this.supplier.start();
    return this.supplier;
  }

  get serverName(): string {
    return this.options.serverName;
  }

  get port(): number {
    return this.boundPort;
  }

  get publishHost(): string {
    return this.ctx.hostName;
  }

  get connectionCount(): number {
    return this.giop.connectionCount;
  }

  /** Adds a device (names are case-insensitive, like Tango's). */
  add(device: TangoDevice): void {
    const key = device.name.toLowerCase();
    if (this.servants.has(key)) throw new Error(`device ${device.name} is already served`);
    this.servants.set(key, new DeviceServant(device, this.ctx));
  }

  /**
   * Reads what the database keeps for every device (attribute configuration, memorized values
   * written back, polling started, logging level and targets); a failure is reported and the
   * device keeps its defaults.
   */
  async restore(): Promise<void> {
    for (const s of this.servants.values()) {
      if (s.device.name.toLowerCase() === this.adminName.toLowerCase()) continue;
      try {
        await s.restore();
        if (this.options.store) this.logging.configure(s.device.name, await this.options.store.deviceProperties(s.device.name, ['logging_level', 'logging_target']));
      } catch (e) {
        this.options.onError?.(`${s.device.name}: reading its attribute properties, polling and logging from the database failed: ${(e as Error).message}`);
      }
    }
  }

  /** the servant of a device (events, polling, locking of that device) */
  servant(name: string): DeviceServant | undefined {
    return this.servants.get(name.toLowerCase());
  }

  /** the served devices, without the admin device */
  devices(): TangoDevice[] {
    return [...this.servants.values()].map((s) => s.device).filter((d) => d.name.toLowerCase() !== this.adminName.toLowerCase());
  }

  device(name: string): TangoDevice | undefined {
    return this.servants.get(name.toLowerCase())?.device;
  }

  async listen(): Promise<number> {
    this.boundPort = await this.giop.listen();
    return this.boundPort;
  }

  async close(): Promise<void> {
    for (const s of this.servants.values()) s.close();
    await this.giop.close();
    await this.supplier?.close();
  }

  /** The stringified IOR clients use for a device (what DbExportDevice publishes). */
  ior(deviceName: string): string {
    return stringifyIor(makeIor('IDL:Tango/Device_5:1.0', this.ctx.hostName, this.boundPort, deviceName.toLowerCase()));
  }

  hasObject(key: string): boolean {
    return this.servants.has(key.toLowerCase());
  }

  dispatch(req: GiopRequest): ReplyWriter | Promise<ReplyWriter> {
    const s = this.servants.get(req.key.toLowerCase());
    if (!s) {
      if (req.operation === '_non_existent' || req.operation === '_not_existent') return (w) => w.boolean(true);
      throw systemException('OBJECT_NOT_EXIST', OMNI_MINOR.OBJECT_NOT_EXIST_NoMatch);
    }
    return s.handle(req);
  }

  private async restartDevice(name: string): Promise<void> {
    const key = name.toLowerCase();
    const s = this.servants.get(key);
    if (!s) return;
    if (this.options.restart) {
      const fresh = await this.options.restart(s.device);
      if (fresh && fresh !== s.device) await s.replaceDevice(fresh);
    } else {
      await s.reinit();
    }
  }
}

/** Listening on every interface, clients reach the machine by its name; on one address, by that address. */
function publishedHostFor(listenHost: string | undefined): string {
  const all = listenHost === undefined || listenHost === '' || listenHost === '0.0.0.0' || listenHost === '::';
  return all ? hostname() : listenHost;
}
