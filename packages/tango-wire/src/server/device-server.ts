/**
 * A Tango device server process: the devices it serves (any classes) plus its admin device,
 * reachable over GIOP with the device name as the object key — the key `tango://h:p/dev#dbase=no`
 * clients use, and the one put in the IORs exported to the database.
 */
import { hostname } from 'node:os';
import { makeIor, stringifyIor } from '../ior.js';
import { AdminDevice } from './admin.js';
import { DeviceServant } from './servant.js';
import { GiopServer, systemException, type Dispatcher, type GiopRequest, type ReplyWriter } from './transport.js';
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
}

export class DeviceServer implements Dispatcher {
  readonly adminName: string;
  private readonly servants = new Map<string, DeviceServant>();
  private readonly giop: GiopServer;
  private readonly ctx: { serverName: string; hostName: string; adminName: string };
  private boundPort = 0;

  constructor(private readonly options: DeviceServerOptions) {
    if (!/^[^/\s]+\/[^/\s]+$/.test(options.serverName)) throw new Error(`server name '${options.serverName}' must be Executable/instance`);
    this.adminName = `dserver/${options.serverName}`;
    this.ctx = { serverName: options.serverName, hostName: options.publishHost ?? publishedHostFor(options.listenHost), adminName: this.adminName };
    this.giop = new GiopServer({
      dispatcher: this, host: options.listenHost, port: options.port, onError: options.onError,
      maxMessageSize: options.maxMessageSize, maxConnectionBytes: options.maxConnectionBytes, maxConnections: options.maxConnections, idleTimeoutMs: options.idleTimeoutMs,
    });
    const admin = new AdminDevice({
      serverName: options.serverName,
      adminName: this.adminName,
      devices: () => this.devices(),
      restartDevice: (name) => this.restartDevice(name),
      kill: () => options.onKill?.(),
    });
    this.servants.set(this.adminName.toLowerCase(), new DeviceServant(admin, this.ctx));
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
    await this.giop.close();
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
      throw systemException('OBJECT_NOT_EXIST');
    }
    return s.handle(req);
  }

  private async restartDevice(name: string): Promise<void> {
    const key = name.toLowerCase();
    const s = this.servants.get(key);
    if (!s) return;
    if (this.options.restart) {
      const fresh = await this.options.restart(s.device);
      if (fresh && fresh !== s.device) this.servants.set(key, new DeviceServant(fresh, this.ctx));
    } else {
      await s.device.init?.();
    }
  }
}

/** Listening on every interface, clients reach the machine by its name; on one address, by that address. */
function publishedHostFor(listenHost: string | undefined): string {
  const all = listenHost === undefined || listenHost === '' || listenHost === '0.0.0.0' || listenHost === '::';
  return all ? hostname() : listenHost;
}
