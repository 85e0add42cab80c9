/**
 * A device server's dealings with the Tango database (sys/database/2): which devices it must
 * serve, their properties, exporting their IORs at start and unexporting at stop. Every call is
 * command_inout on the object key `database` at TANGO_HOST, as cppTango servers do.
 */
import { hostname } from 'node:os';
import { CmdArgType } from '../enums.js';
import { encodeCommandArg, decodeCommandResult } from '../command-args.js';
import { parseCorbaloc } from '../ior.js';
import { Orb } from '../orb.js';
import { readAny, writeAny } from '../typecode.js';
import type { HostPort } from '../names.js';
import type { DeviceStore } from './attr-config.js';

export class DatabaseRegistry implements DeviceStore {
  private readonly orb: Orb;
  private readonly ref;

  constructor(readonly db: HostPort, timeoutMs = 3000) {
    this.orb = new Orb({ timeoutMs });
    const host = db.host.includes(':') ? `[${db.host}]` : db.host;
    this.ref = parseCorbaloc(`corbaloc::${host}:${db.port}/database`);
  }

  /** Runs a database command (DbGetDeviceList, DbExportDevice ...). */
  async command(name: string, inType: CmdArgType, arg: unknown): Promise<unknown> {
    const any = encodeCommandArg(inType, arg);
    const result = await this.orb.invoke(this.ref, 'command_inout', (w) => { w.string(name); writeAny(w, any); }, readAny);
    return decodeCommandResult(result);
  }

  /** Device names of one class in one server ("Exec/inst"). */
  async deviceList(server: string, className: string): Promise<string[]> {
    return (await this.command('DbGetDeviceList', CmdArgType.DevVarStringArray, [server, className])) as string[];
  }

  /** Defines devices of a server (DbAddServer also creates dserver/<server>). */
  async addServer(server: string, devices: readonly { name: string; className: string }[]): Promise<void> {
    await this.command('DbAddServer', CmdArgType.DevVarStringArray, [server, ...devices.flatMap((d) => [d.name, d.className])]);
  }

  /** Device properties: name → values; properties not set in the database are absent. */
  async deviceProperties(device: string, names: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (names.length === 0) return out;
    const r = (await this.command('DbGetDeviceProperty', CmdArgType.DevVarStringArray, [device, ...names])) as string[];
    // [device, nProps, (name, nValues, values...)*]; a missing property has nValues 0 and one filler value
    let i = 2;
    const n = Number(r[1]);
    for (let p = 0; p < n && i < r.length; p++) {
      const name = r[i++];
      const count = Number(r[i++]);
      if (count === 0) {
        i++;
        continue;
      }
      out.set(name, r.slice(i, i + count));
      i += count;
    }
    return out;
  }

  async putDeviceProperty(device: string, name: string, values: readonly string[]): Promise<void> {
    await this.command('DbPutDeviceProperty', CmdArgType.DevVarStringArray, [device, '1', name, String(values.length), ...values]);
  }

  async deleteDeviceProperty(device: string, name: string): Promise<void> {
    await this.command('DbDeleteDeviceProperty', CmdArgType.DevVarStringArray, [device, name]);
  }

  /** attribute → property → values, for the attributes that have any */
  async attributeProperties(device: string, attributes: readonly string[]): Promise<Map<string, Map<string, string[]>>> {
    const out = new Map<string, Map<string, string[]>>();
    if (attributes.length === 0) return out;
    const r = (await this.command('DbGetDeviceAttributeProperty2', CmdArgType.DevVarStringArray, [device, ...attributes])) as string[];
    // [device, nAttributes, (attribute, nProps, (name, nValues, values...)*)*]
    let i = 2;
    const nAttr = Number(r[1]);
    for (let a = 0; a < nAttr && i < r.length; a++) {
      const attr = r[i++];
      const nProps = Number(r[i++]);
      const props = new Map<string, string[]>();
      for (let p = 0; p < nProps && i < r.length; p++) {
        const name = r[i++];
        const count = Number(r[i++]);
        props.set(name, r.slice(i, i + count));
        i += count;
      }
      if (props.size) out.set(attr, props);
    }
    return out;
  }

  async putAttributeProperties(device: string, attribute: string, props: ReadonlyMap<string, readonly string[]>): Promise<void> {
    if (props.size === 0) return;
    const flat = [...props].flatMap(([name, values]) => [name, String(values.length), ...values]);
    await this.command('DbPutDeviceAttributeProperty2', CmdArgType.DevVarStringArray, [device, '1', attribute, String(props.size), ...flat]);
  }

  async deleteAttributeProperties(device: string, attribute: string, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.command('DbDeleteDeviceAttributeProperty', CmdArgType.DevVarStringArray, [device, attribute, ...names]);
  }

  /** Publishes a device's IOR (IDL version 5). */
  async exportDevice(device: string, ior: string, host = hostname()): Promise<void> {
    await this.command('DbExportDevice', CmdArgType.DevVarStringArray, [device, ior, host, String(process.pid), '5']);
  }

  /** Marks every device of the server as not exported. */
  async unexportServer(server: string): Promise<void> {
    await this.command('DbUnExportServer', CmdArgType.DevString, server);
  }

  close(): void {
    this.orb.close();
  }
}
