/**
 * The TANGO datasource (spec 2.9.2): an attribute, a command without argument or a device
 * property of a Tango device, read through @nxsw/tango-wire.
 *
 *   <datasource type="TANGO" name="...">
 *     <device name="sys/tg_test/1" member="attribute|command|property" hostname="h" port="10000"
 *             encoding="..." group="..."/>
 *     <record name="double_scalar"/>
 *   </datasource>
 *
 * Proxies (and the TCP connections of their ORB) belong to the type and are shared by every
 * source and session; dispose() closes them. A failed read leaves nothing broken behind: the
 * client re-imports a device whose server went away, so the next read tries again.
 */
import { ConfigError, NxswError, childElement, valueFromJs } from '@nxsw/core';
import type { DataSource, DataSourceType, ElementType, NxValue, ReadContext, SourceEnvironment, XmlElement } from '@nxsw/core';
import { CmdArgType, Database, DeviceProxy, Orb, defaultTangoHost, isAlias, parseTangoName } from '@nxsw/tango-wire';
import type { AttributeReading, TangoName } from '@nxsw/tango-wire';
import { commandToValue, readingToValue, toNxswError, withSignal } from './convert.js';
import { clientKeys, fullyQualified, lookupClient, reportedDatabaseHost } from './client-keys.js';

export type Member = 'attribute' | 'command' | 'property';

export interface TangoSourceOptions {
  /** time limit of one Tango call and default time limit of a read (ms); Tango's default is 3000 */
  readonly timeoutMs: number;
}

export const CLIENT_GROUP = '__CLIENT__';

/** Proxies by device address, over one ORB (one TCP connection per server). */
export class ProxyPool {
  readonly orb: Orb;
  private readonly proxies = new Map<string, DeviceProxy>();
  private readonly databases = new Map<string, Database>();

  constructor(readonly timeoutMs: number) {
    this.orb = new Orb({ timeoutMs, connectTimeoutMs: timeoutMs });
  }

  proxy(address: string): DeviceProxy {
    const key = address.toLowerCase();
    let p = this.proxies.get(key);
    if (!p) {
      p = new DeviceProxy(address, { orb: this.orb, timeoutMs: this.timeoutMs, database: this.database(parseTangoName(address, 'device')) });
      this.proxies.set(key, p);
    }
    return p;
  }

  /** The database a name refers to (its tango://host:port, else TANGO_HOST), shared per host list. */
  database(name: TangoName): Database {
    const hosts = name.hosts ?? defaultTangoHost();
    const key = hosts.map((h) => `${h.host}:${h.port}`).join(',').toLowerCase();
    let db = this.databases.get(key);
    if (!db) {
      db = new Database(hosts, this.orb, { timeoutMs: this.timeoutMs });
      this.databases.set(key, db);
    }
    return db;
  }

  get size(): number {
    return this.proxies.size;
  }

  close(): void {
    this.orb.close();
    this.proxies.clear();
    this.databases.clear();
  }
}

interface GroupRead {
  readonly step: number;
  /** sources that took their value from this read: a second ask of the same step is a new round */
  readonly consumed: Set<TangoSource>;
  readonly result: Promise<Map<string, AttributeReading>>;
}

/**
 * The attributes of one device read together under one group label: one read_attributes call
 * per step for all members, whichever member asks first.
 */
export class AttributeGroup {
  private readonly members = new Map<string, { name: string; sources: Set<TangoSource> }>();
  private current: GroupRead | undefined;
  /** number of read_attributes calls made (for tests and diagnostics) */
  calls = 0;

  constructor(readonly label: string, readonly address: string) {}

  add(source: TangoSource): void {
    const key = source.record.toLowerCase();
    let m = this.members.get(key);
    if (!m) this.members.set(key, (m = { name: source.record, sources: new Set() }));
    m.sources.add(source);
    this.current = undefined; // a new member (a new entry's sources): never reuse an older read
  }

  remove(source: TangoSource): void {
    const key = source.record.toLowerCase();
    const m = this.members.get(key);
    if (!m) return;
    m.sources.delete(source);
    if (m.sources.size === 0) this.members.delete(key);
    this.current = undefined;
  }

  get empty(): boolean {
    return this.members.size === 0;
  }

  get attributeNames(): string[] {
    return [...this.members.values()].map((m) => m.name);
  }

  async read(source: TangoSource, proxy: DeviceProxy, step: number): Promise<AttributeReading> {
    let cur = this.current;
    if (!cur || cur.step !== step || cur.consumed.has(source)) {
      this.calls++;
      const names = this.attributeNames;
      const result = proxy.readAttributes(names).then((list) => new Map(list.map((r) => [r.name.toLowerCase(), r])));
      result.catch(() => undefined); // each member sees the rejection through its own await
      cur = this.current = { step, consumed: new Set(), result };
    }
    cur.consumed.add(source);
    const map = await cur.result;
    const r = map.get(source.record.toLowerCase());
    if (!r) throw new NxswError('DATA_NOT_FOUND', `read_attributes of group '${this.label}' returned no value for ${source.record}`);
    return r;
  }
}

export interface ClientLookup {
  readonly host: string;
  readonly port: number | undefined;
}

export class TangoSource implements DataSource {
  private propertyDevice: string | undefined;

  constructor(
    private readonly type: TangoSourceType,
    /** the device address: tango://host:port/dev with hostname+port, else the bare name */
    readonly address: string,
    readonly parsed: TangoName,
    readonly member: Member,
    readonly record: string,
    readonly encoding: string | undefined,
    readonly group: AttributeGroup | undefined,
    readonly client: ClientLookup | undefined,
    readonly name: string | undefined,
  ) {}

  describe(): string {
    return `TANGO Device ${this.address} : ${this.record} (${this.member})`;
  }

  async read(ctx: ReadContext, want?: ElementType): Promise<NxValue> {
    if (this.client) {
      const found = await this.fromClient(ctx, want);
      if (found) return found;
    }
    try {
      return await withSignal(this.readDevice(ctx, want), ctx.signal);
    } catch (e) {
      throw toNxswError(e, `${this.member} ${this.record} of ${this.address}`);
    }
  }

  private async fromClient(ctx: ReadContext, want?: ElementType): Promise<NxValue | undefined> {
    const c = this.client!;
    const fqdn = await fullyQualified(c.host);
    const keys = clientKeys({ fqdn, short: c.host.split('.')[0]!, port: c.port, device: this.parsed.device, attribute: this.record, name: this.name });
    const hit = lookupClient(keys, ctx.localJson, ctx.globalJson);
    if (!hit) return undefined;
    try {
      return valueFromJs(hit.value, want);
    } catch (e) {
      throw new NxswError('VALUE_INVALID', `the client value under "${hit.key}" cannot be stored: ${(e as Error).message}`);
    }
  }

  private async readDevice(ctx: ReadContext, want?: ElementType): Promise<NxValue> {
    const pool = this.type.pool;
    switch (this.member) {
      case 'attribute': {
        const proxy = pool.proxy(this.address);
        const r = this.group ? await this.group.read(this, proxy, ctx.step) : await proxy.readAttribute(this.record);
        return readingToValue(r, ctx, this.encoding, want);
      }
      case 'command': {
        const proxy = pool.proxy(this.address);
        const info = await proxy.commandQuery(this.record);
        if (info.inType !== CmdArgType.DevVoid) {
          throw new NxswError('DATA_NOT_FOUND', `command ${info.name} takes an argument (${CmdArgType[info.inType]}); TANGO sources run commands without one`);
        }
        const out = await proxy.commandInout(info.name);
        return commandToValue(out, info.outType, info.name, ctx, this.encoding, want);
      }
      case 'property': {
        const db = pool.database(this.parsed);
        this.propertyDevice ??= isAlias(this.parsed.device) ? await db.getAliasDevice(this.parsed.device) : this.parsed.device;
        const props = await db.getDeviceProperty(this.propertyDevice, [this.record]);
        const key = Object.keys(props).find((k) => k.toLowerCase() === this.record.toLowerCase());
        const values = key === undefined ? undefined : props[key];
        if (!values || values.length === 0) throw new NxswError('DATA_NOT_FOUND', `device ${this.propertyDevice} has no property ${this.record}`);
        // one-element lists become scalars (spec 2.9.2)
        return values.length === 1 ? valueFromJs(values[0], want) : valueFromJs(values, want);
      }
    }
  }

  close(): Promise<void> {
    this.type.release(this);
    return Promise.resolve();
  }
}

const MEMBERS: readonly Member[] = ['attribute', 'command', 'property'];

export class TangoSourceType implements DataSourceType {
  readonly kind = 'datasource';
  readonly name = 'TANGO';
  readonly defaultTimeoutMs: number;
  private poolInstance: ProxyPool | undefined;
  private readonly groups = new Map<string, AttributeGroup>();

  constructor(readonly options: TangoSourceOptions = { timeoutMs: 3000 }) {
    this.defaultTimeoutMs = options.timeoutMs;
  }

  /** created on first use, and again after dispose() */
  get pool(): ProxyPool {
    return (this.poolInstance ??= new ProxyPool(this.options.timeoutMs));
  }

  create(element: XmlElement, _env?: SourceEnvironment): DataSource {
    const device = childElement(element, 'device');
    const devName = device?.attributes.name?.trim();
    if (!device || !devName) throw new ConfigError('DATASOURCE_CONFIG', 'Tango device name not defined: a TANGO datasource needs <device name="domain/family/member"/>', (device ?? element).location);
    const recordEl = childElement(element, 'record');
    const record = recordEl?.attributes.name?.trim();
    if (!record) throw new ConfigError('DATASOURCE_CONFIG', `Tango record name not defined: a TANGO datasource needs <record name="..."/> (device ${devName})`, (recordEl ?? element).location);
    const a = device.attributes;
    const memberText = (a.member ?? '').trim().toLowerCase();
    // unknown member values fall back to attribute, as in the reference
    const member: Member = (MEMBERS as readonly string[]).includes(memberText) ? (memberText as Member) : 'attribute';
    const hostname = a.hostname?.trim() || undefined;
    const portText = a.port?.trim() || undefined;
    let port: number | undefined;
    if (portText !== undefined) {
      port = Number(portText);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError('DATASOURCE_CONFIG', `Tango device port '${portText}' is not a port number`, device.location);
    }
    const address = hostname && port !== undefined && !/^tango:\/\//i.test(devName) ? `tango://${hostname}:${port}/${devName}` : devName;
    let parsed: TangoName;
    try {
      parsed = parseTangoName(address, 'device');
    } catch (e) {
      throw new ConfigError('DATASOURCE_CONFIG', `Tango device name '${address}' is invalid: ${(e as Error).message}`, device.location);
    }
    const encoding = a.encoding?.trim() || undefined;
    const groupLabel = a.group?.trim() || undefined;
    const dsName = element.attributes.name?.trim() || undefined;
    let client: ClientLookup | undefined;
    let group: AttributeGroup | undefined;
    if (groupLabel === CLIENT_GROUP) {
      // a host in the configuration or the name is taken as written; else the database's, as the client library reports it
      const host = hostname ?? parsed.hosts?.[0]?.host ?? reportedDatabaseHost(tangoHostOrUndefined()?.host ?? 'localhost');
      client = { host, port: port ?? (hostname ? undefined : tangoHostOrUndefined()?.port) };
    } else if (groupLabel && member === 'attribute') {
      const key = `${groupLabel}\u0000${address.toLowerCase()}`;
      group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = new AttributeGroup(groupLabel, address)));
    }
    const source = new TangoSource(this, address, parsed, member, record, encoding, group, client, dsName);
    group?.add(source);
    return source;
  }

  /** a closed source leaves its group */
  release(source: TangoSource): void {
    const g = source.group;
    if (!g) return;
    g.remove(source);
    if (g.empty) this.groups.delete(`${g.label}\u0000${g.address.toLowerCase()}`);
  }

  /** the group a source reads with (tests) */
  groupOf(label: string, address: string): AttributeGroup | undefined {
    return this.groups.get(`${label}\u0000${address.toLowerCase()}`);
  }

  async dispose(): Promise<void> {
    this.poolInstance?.close();
    this.poolInstance = undefined;
    return Promise.resolve();
  }
}

function tangoHostOrUndefined(): { host: string; port: number } | undefined {
  try {
    return defaultTangoHost()[0];
  } catch {
    return undefined;
  }
}
