/**
 * A tangojs-core Connector backed by @nxsw/tango-wire, so that tangojs-core's browser-style API
 * (api.DeviceProxy, AttributeProxy, CommandProxy, Database) talks native Tango from Node.
 *
 *   import tangojs from 'tangojs-core';
 *   const connector = useWireConnector();          // setConnector(new WireConnector())
 *   const v = await new tangojs.api.AttributeProxy('sys/tg_test/1', 'double_scalar').read();
 *
 * Value conventions (tangojs-core leaves them to the connector): scalars are plain JS values
 * (64-bit integers as bigint), spectra are typed arrays (string[] / boolean[] for strings and
 * booleans), images are arrays of rows, DevState is a tango.DevState constant, DevEncoded is a
 * tango.DevEncoded. Errors are the client's (TangoDevFailed, TangoConnectionError, ...).
 */
import tangojs from 'tangojs-core';
import type { DbDatum, DeviceAttribute, DeviceData, EnumConstant } from 'tangojs-core';
import {
  AttrDataFormat, CmdArgType, Database, DeviceProxy, Orb, defaultTangoHost, isAlias, parseTangoName, TangoDevFailed,
} from '@nxsw/tango-wire';
import type { AttributeConfig, AttributeReading, CommandInfo as WireCommandInfo, DevEncoded, WriteValue } from '@nxsw/tango-wire';

const { api, tango, Connector, setConnector } = tangojs;

export interface WireConnectorOptions {
  /** per-call timeout (ms), default 3000 */
  readonly timeoutMs?: number;
  /** database for the Database api and bare device names, default TANGO_HOST */
  readonly tangoHost?: string;
}

function enumConst(e: { fromValue(v: number): EnumConstant | undefined }, v: number): EnumConstant {
  return e.fromValue(v) ?? { key: String(v), value: v };
}

/** one row-major flat array → rows */
function rows(data: ArrayLike<unknown> & { subarray?: (a: number, b: number) => unknown; slice(a: number, b: number): unknown }, dimY: number, dimX: number): unknown[] {
  const out: unknown[] = [];
  for (let y = 0; y < dimY; y++) out.push(data.subarray ? data.subarray(y * dimX, (y + 1) * dimX) : data.slice(y * dimX, (y + 1) * dimX));
  return out;
}

function plainValue(r: AttributeReading): unknown {
  const d = r.data;
  if (r.type === CmdArgType.DevEncoded) {
    const e = (d as DevEncoded[])[0];
    const DevEncodedClass = tango.DevEncoded as new (x: object) => unknown;
    return e ? new DevEncodedClass({ encoded_format: e.format, encoded_data: e.data }) : undefined;
  }
  let flat: ArrayLike<unknown> = d as ArrayLike<unknown>;
  if (r.type === CmdArgType.DevBoolean) flat = Array.from(d as Uint8Array, (b) => b !== 0);
  else if (r.type === CmdArgType.DevState) flat = Array.from(d as Uint32Array, (s) => enumConst(tango.DevState, s));
  if (r.format === AttrDataFormat.SCALAR) return flat[0];
  if (r.format === AttrDataFormat.IMAGE) return rows(flat as unknown[], r.shape[0] ?? 0, r.shape[1] ?? 0);
  return flat;
}

export function toDeviceAttribute(r: AttributeReading): DeviceAttribute {
  const dim = (s: number[] | undefined) => ({ dim_x: s?.length === 2 ? s[1]! : s?.[0] ?? (s ? 1 : 0), dim_y: s?.length === 2 ? s[0]! : 0 });
  return new api.DeviceAttribute({
    name: r.name,
    value: r.errors.length ? undefined : plainValue(r),
    quality: enumConst(tango.AttrQuality, r.quality),
    data_format: enumConst(tango.AttrDataFormat, r.format),
    data_type: r.type,
    time: { tv_sec: r.time.sec, tv_usec: r.time.usec, tv_nsec: r.time.nsec },
    r_dim: dim(r.shape),
    w_dim: dim(r.writeShape),
    err_list: r.errors.map((e) => ({ reason: e.reason, severity: enumConst(tango.ErrSeverity, e.severity), desc: e.desc, origin: e.origin })),
  });
}

function toAttributeInfo(c: AttributeConfig) {
  return new api.AttributeInfo({
    name: c.name, writable: enumConst(tango.AttrWriteType, c.writable), data_format: enumConst(tango.AttrDataFormat, c.dataFormat),
    data_type: c.dataType, memorized: c.memorized, mem_init: c.memInit, max_dim_x: c.maxDimX, max_dim_y: c.maxDimY,
    description: c.description, label: c.label, unit: c.unit, standard_unit: c.standardUnit, display_unit: c.displayUnit,
    format: c.format, min_value: c.minValue, max_value: c.maxValue, writable_attr_name: c.writableAttrName,
    level: enumConst(tango.DispLevel, c.level), root_attr_name: c.rootAttrName, enum_labels: c.enumLabels,
    extensions: c.extensions, sys_extensions: c.sysExtensions,
  });
}

function toCommandInfo(c: WireCommandInfo) {
  return new api.CommandInfo({
    cmd_name: c.name, level: enumConst(tango.DispLevel, c.level), cmd_tag: c.tag, in_type: c.inType, out_type: c.outType,
    in_type_desc: c.inTypeDesc, out_type_desc: c.outTypeDesc,
  });
}

/** tangojs values → what the client writes: DevState constants to numbers, DevEncoded to {format, data} */
function toWriteValue(v: unknown): WriteValue {
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('encoded_format' in o || 'encoded_data' in o) return { format: String(o.encoded_format ?? ''), data: o.encoded_data as Uint8Array };
    if (typeof o.key === 'string' && typeof o.value === 'number') return o.value;
  }
  return v as WriteValue;
}

export class WireConnector extends Connector {
  readonly orb: Orb;
  private readonly proxies = new Map<string, DeviceProxy>();
  private db: Database | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: WireConnectorOptions = {}) {
    super();
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.orb = new Orb({ timeoutMs: this.timeoutMs, connectTimeoutMs: this.timeoutMs });
  }

  private database(): Database {
    return (this.db ??= new Database(this.options.tangoHost ?? defaultTangoHost(), this.orb, { timeoutMs: this.timeoutMs }));
  }

  /** the database a device name refers to (tango://host:port/… names carry their own) */
  private databaseFor(devname: string): { db: Database; device: string } {
    const n = parseTangoName(devname, 'device');
    return { db: n.hosts ? new Database(n.hosts, this.orb, { timeoutMs: this.timeoutMs }) : this.database(), device: n.device };
  }

  private async deviceName(devname: string): Promise<{ db: Database; device: string }> {
    const d = this.databaseFor(devname);
    return isAlias(d.device) ? { db: d.db, device: await d.db.getAliasDevice(d.device) } : d;
  }

  proxy(devname: string): DeviceProxy {
    const key = devname.toLowerCase();
    let p = this.proxies.get(key);
    if (!p) {
      const n = parseTangoName(devname, 'device');
      p = new DeviceProxy(devname, { orb: this.orb, timeoutMs: this.timeoutMs, database: n.useDatabase && !n.hosts ? this.database() : undefined });
      this.proxies.set(key, p);
    }
    return p;
  }

  override async get_device_status(devname: string) {
    return this.proxy(devname).status();
  }

  override async get_device_state(devname: string) {
    return enumConst(tango.DevState, await this.proxy(devname).state());
  }

  override async get_device_info(devname: string) {
    const { db, device } = await this.deviceName(devname);
    const imp = await db.importDevice(device);
    return new api.DeviceInfo({
      classname: imp.className, exported: imp.exported, hostname: imp.host, ior: imp.ior, is_taco: false,
      name: imp.name, pid: imp.pid, server: imp.server, version: String(imp.idlVersion),
    });
  }

  private async stringList(cmd: string, pattern: string): Promise<string[]> {
    return (await this.database().command(cmd, CmdArgType.DevString, pattern)) as string[];
  }

  override get_device_list(pattern: string) {
    return this.stringList('DbGetDeviceWideList', pattern);
  }
  override get_device_domain(pattern: string) {
    return this.stringList('DbGetDeviceDomainList', pattern);
  }
  override get_device_family(pattern: string) {
    return this.stringList('DbGetDeviceFamilyList', pattern);
  }
  override get_device_member(pattern: string) {
    return this.stringList('DbGetDeviceMemberList', pattern);
  }

  override async get_device_property_list(devname: string, pattern: string) {
    const { db, device } = await this.deviceName(devname);
    return (await db.command('DbGetDevicePropertyList', CmdArgType.DevVarStringArray, [device, pattern || '*'])) as string[];
  }

  /** values are string lists, as Tango stores them; missing properties come back with an empty list */
  override async get_device_property(devname: string, propnames: string[]) {
    const { db, device } = await this.deviceName(devname);
    const got = await db.getDeviceProperty(device, propnames);
    return propnames.map((n) => new api.DbDatum(n, got[n] ?? []));
  }

  override async put_device_property(devname: string, properties: DbDatum[]) {
    const { db, device } = await this.deviceName(devname);
    const props: Record<string, string[]> = {};
    for (const p of properties) {
      const v = p.value;
      props[p.name] = Array.isArray(v) ? v.map(String) : [String(v)];
    }
    await db.putDeviceProperty(device, props);
    return undefined;
  }

  override async delete_device_property(devname: string, propnames: string[]) {
    const { db, device } = await this.deviceName(devname);
    await db.deleteDeviceProperty(device, propnames);
    return undefined;
  }

  override async get_device_attribute_list(devname: string) {
    return this.proxy(devname).getAttributeList();
  }

  override async get_device_attribute_info(devname: string, attnames: string[]) {
    return (await this.proxy(devname).getAttributeConfig(attnames)).map(toAttributeInfo);
  }

  /** per-attribute failures reject the whole call, as PyTango's read_attribute does */
  override async read_device_attribute(devname: string, attnames: string[]) {
    const list = await this.proxy(devname).readAttributes(attnames);
    const failed = list.find((r) => r.errors.length);
    if (failed) throw new TangoDevFailed(failed.errors, `read ${devname}/${failed.name}`);
    return list.map(toDeviceAttribute);
  }

  override async write_device_attribute(devname: string, attrs: DeviceAttribute[]) {
    await this.proxy(devname).writeAttributes(attrs.map((a) => ({ name: a.name, value: toWriteValue(a.value) })));
    return undefined;
  }

  override async write_read_device_attribute(devname: string, attrs: DeviceAttribute[]) {
    await this.write_device_attribute(devname, attrs);
    return this.read_device_attribute(devname, attrs.map((a) => a.name));
  }

  override async device_command_inout(devname: string, cmdname: string, argin?: DeviceData) {
    const p = this.proxy(devname);
    const info = await p.commandQuery(cmdname);
    let out = await p.commandInout(cmdname, argin === undefined ? undefined : toWriteValue(argin.value));
    if (info.outType === CmdArgType.DevState) out = enumConst(tango.DevState, out as number);
    return new api.DeviceData(out);
  }

  override async device_command_query(devname: string, cmdname: string) {
    return toCommandInfo(await this.proxy(devname).commandQuery(cmdname));
  }

  override async device_command_list_query(devname: string) {
    return (await this.proxy(devname).commandListQuery()).map(toCommandInfo);
  }

  /** closes the connections */
  close(): void {
    this.orb.close();
    this.proxies.clear();
  }
}

/** Installs a WireConnector as tangojs-core's (process-global) connector and returns it. */
export function useWireConnector(options: WireConnectorOptions = {}): WireConnector {
  const c = new WireConnector(options);
  setConnector(c);
  return c;
}

export { tangojs };
