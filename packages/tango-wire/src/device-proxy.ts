/**
 * DeviceProxy: a device addressed by name (through the database, an alias, or #dbase=no direct
 * addressing), with the caches a client needs (command types, attribute configs) and conversion
 * between plain JS values and Tango attribute/command data.
 */
import { AttrData, AttributeReading } from './attribute-value.js';
import { decodeCommandResult, encodeCommandArg } from './command-args.js';
import { Database } from './database.js';
import * as ops from './device-ops.js';
import { AttrDataFormat, AttrQuality, AttrWriteType, CmdArgType, DevSource, DevState } from './enums.js';
import { CorbaSystemException, TangoConnectionError, TangoDevFailed, devFailed } from './errors.js';
import { AttributeConfig, CommandInfo, DeviceInfo } from './idl.js';
import { iorToObjectRef } from './ior.js';
import { isAlias, parseTangoName, TangoName } from './names.js';
import { getDefaultOrb, Orb } from './orb.js';

export interface DeviceProxyOptions {
  orb?: Orb;
  /** per-call timeout, default 3000 ms as in Tango */
  timeoutMs?: number;
  /** DevSource for reads and commands, default CACHE_DEV as in Tango */
  source?: DevSource;
  /** database to use instead of the one named by the device name / TANGO_HOST */
  database?: Database;
}

/** A value to write: a scalar, an array (spectrum), an array of rows (image), or typed arrays. */
export type WriteValue = number | bigint | boolean | string | ArrayLike<number | bigint | boolean | string> | ArrayLike<number>[] | { format: string; data: Uint8Array };

export class DeviceProxy {
  readonly parsed: TangoName;
  private target: ops.DeviceTarget | undefined;
  private resolving: Promise<ops.DeviceTarget> | undefined;
  private commands = new Map<string, CommandInfo>();
  private configs = new Map<string, AttributeConfig>();
  private readonly orb: Orb;
  timeoutMs: number;
  source: DevSource;
  private db: Database | undefined;
  /** the canonical device name (after alias resolution) */
  deviceName: string;

  constructor(readonly name: string, private readonly options: DeviceProxyOptions = {}) {
    this.parsed = parseTangoName(name, 'device');
    this.orb = options.orb ?? getDefaultOrb();
    this.timeoutMs = options.timeoutMs ?? this.orb.defaultTimeoutMs;
    this.source = options.source ?? DevSource.CACHE_DEV;
    this.deviceName = this.parsed.device;
  }

  /** Creates the proxy and connects (imports the device), so name errors surface here. */
  static async connect(name: string, options: DeviceProxyOptions = {}): Promise<DeviceProxy> {
    const p = new DeviceProxy(name, options);
    await p.resolve();
    return p;
  }

  get database(): Database | undefined {
    if (!this.parsed.useDatabase) return undefined;
    return (this.db ??= this.options.database ?? new Database(this.parsed.hosts, this.orb, { timeoutMs: this.timeoutMs }));
  }

  /** The device's IDL version (after connecting). */
  get idlVersion(): number | undefined {
    return this.target?.idl;
  }

  private opts() {
    return { timeoutMs: this.timeoutMs, source: this.source };
  }

  async resolve(): Promise<ops.DeviceTarget> {
    if (this.target) return this.target;
    this.resolving ??= this.doResolve().finally(() => (this.resolving = undefined));
    return this.resolving;
  }

  private async doResolve(): Promise<ops.DeviceTarget> {
    const o = { timeoutMs: this.timeoutMs };
    if (!this.parsed.useDatabase) {
      const h = this.parsed.hosts![0];
      const ref = { host: h.host, port: h.port, objectKey: new TextEncoder().encode(this.parsed.device), giopMinor: 0 };
      const idl = await ops.probeIdlVersion({ orb: this.orb, ref }, o);
      this.target = { orb: this.orb, ref, idl: Math.min(idl, 5) };
      return this.target;
    }
    const db = this.database!;
    if (isAlias(this.parsed.device)) this.deviceName = await db.getAliasDevice(this.parsed.device);
    const imp = await db.importDevice(this.deviceName);
    if (!imp.exported) throw devFailed('API_DeviceNotExported', `device ${this.deviceName} is not exported (its server does not run)`, 'DeviceProxy.resolve');
    this.target = { orb: this.orb, ref: iorToObjectRef(imp.ior), idl: Math.min(imp.idlVersion, 5) };
    return this.target;
  }

  /**
   * Runs a call; when the device was imported through the database and the connection is refused
   * or the object is gone (server restarted: new port/key), imports again and retries once.
   */
  private async call<T>(fn: (t: ops.DeviceTarget) => Promise<T>): Promise<T> {
    const t = await this.resolve();
    try {
      return await fn(t);
    } catch (e) {
      const stale = e instanceof TangoConnectionError || (e instanceof CorbaSystemException && e.exceptionName === 'OBJECT_NOT_EXIST');
      if (!stale || !this.parsed.useDatabase) throw e;
      this.target = undefined;
      const again = await this.resolve();
      if (again.ref.port === t.ref.port && again.ref.host === t.ref.host && sameKey(again.ref.objectKey, t.ref.objectKey)) throw e;
      return fn(again);
    }
  }

  state(): Promise<DevState> {
    return this.call((t) => ops.getState(t, this.opts()));
  }
  status(): Promise<string> {
    return this.call((t) => ops.getStatus(t, this.opts()));
  }
  /** Round trip time in microseconds. */
  async ping(): Promise<number> {
    const t0 = process.hrtime.bigint();
    await this.call((t) => ops.ping(t, this.opts()));
    return Number((process.hrtime.bigint() - t0) / 1000n);
  }
  info(): Promise<DeviceInfo> {
    return this.call((t) => ops.info(t, this.opts()));
  }
  adminName(): Promise<string> {
    return this.call((t) => ops.getAdmName(t, this.opts()));
  }
  description(): Promise<string> {
    return this.call((t) => ops.getDescription(t, this.opts()));
  }
  blackBox(n: number): Promise<string[]> {
    return this.call((t) => ops.blackBox(t, n, this.opts()));
  }

  // ---------------------------------------------------------------------------------- commands

  async commandQuery(cmd: string): Promise<CommandInfo> {
    const key = cmd.toLowerCase();
    const cached = this.commands.get(key);
    if (cached) return cached;
    const info = await this.call((t) => ops.commandQuery(t, cmd, this.opts()));
    this.commands.set(key, info);
    return info;
  }

  async commandListQuery(): Promise<CommandInfo[]> {
    const list = await this.call((t) => ops.commandListQuery(t, this.opts()));
    for (const c of list) this.commands.set(c.name.toLowerCase(), c);
    return list;
  }

  /**
   * Runs a command. The argument type comes from command_query (cached). Results: undefined for
   * DevVoid, number/bigint/boolean/string for scalars, DevState as its number, typed arrays or
   * string[] for DevVar…Array, {lvalue, svalue} / {dvalue, svalue}, {format, data} for DevEncoded.
   */
  async commandInout(cmd: string, arg?: unknown): Promise<unknown> {
    const info = await this.commandQuery(cmd);
    const any = encodeCommandArg(info.inType, arg);
    const out = await this.call((t) => ops.commandInout(t, info.name, any, this.opts()));
    return decodeCommandResult(out);
  }

  // ---------------------------------------------------------------------------------- attributes

  async readAttributes(names: readonly string[]): Promise<AttributeReading[]> {
    if (names.length === 0) return [];
    return this.call((t) => ops.readAttributes(t, names, this.opts()));
  }

  /** Reads one attribute; a per-attribute error becomes a TangoDevFailed. */
  async readAttribute(name: string): Promise<AttributeReading> {
    const [r] = await this.readAttributes([name]);
    if (!r) throw devFailed('API_EmptyReply', `no value for ${name}`, 'DeviceProxy.readAttribute');
    if (r.errors.length) throw new TangoDevFailed(r.errors, `read ${this.deviceName}/${name}`);
    return r;
  }

  async getAttributeConfig(names: readonly string[]): Promise<AttributeConfig[]> {
    const list = await this.call((t) => ops.getAttributeConfig(t, names, this.opts()));
    for (const c of list) this.configs.set(c.name.toLowerCase(), c);
    return list;
  }

  async attributeConfig(name: string): Promise<AttributeConfig> {
    const c = this.configs.get(name.toLowerCase());
    if (c) return c;
    const [got] = await this.getAttributeConfig([name]);
    return got;
  }

  /** Every attribute's configuration. */
  async attributeListQuery(): Promise<AttributeConfig[]> {
    const t = await this.resolve();
    return this.getAttributeConfig([ops.allAttributesWildcard(t.idl)]);
  }

  async getAttributeList(): Promise<string[]> {
    return (await this.attributeListQuery()).map((c) => c.name);
  }

  async writeAttributes(values: readonly { name: string; value: WriteValue }[]): Promise<void> {
    const list: AttributeReading[] = [];
    for (const { name, value } of values) {
      const c = await this.attributeConfig(name);
      if (c.writable === AttrWriteType.READ) throw devFailed('API_AttrNotWritable', `attribute ${name} of ${this.deviceName} is read-only`, 'DeviceProxy.writeAttributes');
      list.push(toWritable(c, value));
    }
    await this.call((t) => ops.writeAttributes(t, list, this.opts()));
  }

  writeAttribute(name: string, value: WriteValue): Promise<void> {
    return this.writeAttributes([{ name, value }]);
  }

  /** Closes nothing shared: connections belong to the ORB. Forget cached state. */
  forget(): void {
    this.target = undefined;
    this.commands.clear();
    this.configs.clear();
  }
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Builds the AttributeReading to write from a plain JS value and the attribute's configuration. */
export function toWritable(c: AttributeConfig, value: WriteValue): AttributeReading {
  const base = { name: c.name, type: c.dataType, format: c.dataFormat, quality: AttrQuality.ATTR_VALID, time: { sec: 0, usec: 0, nsec: 0 }, errors: [] };
  let flat: ArrayLike<unknown>;
  let shape: number[];
  if (c.dataType === CmdArgType.DevEncoded) {
    const e = value as { format: string; data: Uint8Array };
    if (!e || typeof e !== 'object' || !('format' in e)) throw new TypeError(`${c.name}: a DevEncoded value is {format, data}`);
    return { ...base, shape: [], data: [e] };
  }
  if (c.dataFormat === AttrDataFormat.SCALAR) {
    if (typeof value === 'object' && value !== null && typeof (value as ArrayLike<unknown>).length === 'number') {
      throw new TypeError(`${c.name} is a scalar attribute; got an array`);
    }
    flat = [value];
    shape = [];
  } else if (typeof value !== 'object' || value === null || typeof (value as ArrayLike<unknown>).length !== 'number') {
    throw new TypeError(`${c.name} is a ${AttrDataFormat[c.dataFormat].toLowerCase()} attribute; expected an array, got ${typeof value}`);
  } else if (c.dataFormat === AttrDataFormat.IMAGE) {
    const rows = value as ArrayLike<ArrayLike<unknown>>;
    const nx = rows.length > 0 ? rows[0]?.length : 0;
    if (rows.length > 0 && typeof nx !== 'number') throw new TypeError(`${c.name} is an image attribute; expected an array of rows`);
    const out: unknown[] = [];
    for (let y = 0; y < rows.length; y++) {
      if (rows[y].length !== nx) throw new RangeError(`${c.name}: image row ${y} has ${rows[y].length} elements, row 0 has ${nx}`);
      for (let x = 0; x < nx; x++) out.push(rows[y][x]);
    }
    flat = out;
    shape = [rows.length, nx ?? 0];
  } else {
    flat = value as ArrayLike<unknown>;
    shape = [flat.length];
  }
  let data: unknown = flat;
  if (c.dataType === CmdArgType.DevBoolean) {
    data = Uint8Array.from(Array.from(flat, (v, i) => {
      if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw new TypeError(`${c.name}[${i}]: expected a boolean, got ${String(v)}`);
      return v ? 1 : 0;
    }));
  } else if (c.dataType === CmdArgType.DevString) {
    data = Array.from(flat, (v, i) => {
      if (typeof v !== 'string') throw new TypeError(`${c.name}[${i}]: expected a string, got ${typeof v}`);
      return v;
    });
  } else if (Array.isArray(flat)) {
    data = flat.slice();
  }
  return { ...base, shape, data: data as AttrData };
}
