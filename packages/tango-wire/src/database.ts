/**
 * Client of the Tango database device (sys/database/2, reached as corbaloc::host:port/database on
 * TANGO_HOST): device import, properties, aliases. Several TANGO_HOST entries are tried in turn.
 */
import { decodeCommandResult, encodeCommandArg, LongStringArray } from './command-args.js';
import { commandInout, DeviceTarget } from './device-ops.js';
import { CmdArgType } from './enums.js';
import { TangoConnectionError, TangoDevFailed, TangoTimeoutError } from './errors.js';
import { ObjectRef } from './ior.js';
import { defaultTangoHost, HostPort } from './names.js';
import { getDefaultOrb, InvokeOptions, Orb } from './orb.js';

export interface ImportedDevice {
  name: string;
  ior: string;
  /** IDL version the device exported with */
  idlVersion: number;
  server: string;
  host: string;
  className: string;
  exported: boolean;
  pid: number;
}

const DATABASE_KEY = new TextEncoder().encode('database');

export class Database {
  readonly hosts: HostPort[];
  private current = 0;

  constructor(hosts?: HostPort[] | string, readonly orb: Orb = getDefaultOrb(), readonly options: InvokeOptions = {}) {
    this.hosts = typeof hosts === 'string' ? (defaultTangoHost({ TANGO_HOST: hosts })) : hosts ?? defaultTangoHost();
  }

  /** "host:port" of the database answering now. */
  get tangoHost(): string {
    const h = this.hosts[this.current];
    return `${h.host}:${h.port}`;
  }

  private target(i: number): DeviceTarget {
    const h = this.hosts[i];
    // the database is addressed like a corbaloc without version: GIOP 1.0, key "database"
    const ref: ObjectRef = { host: h.host, port: h.port, objectKey: DATABASE_KEY, giopMinor: 0 };
    return { orb: this.orb, ref, idl: 4 };
  }

  /** Runs a database command, failing over to the next TANGO_HOST entry when one cannot be reached. */
  async command(cmd: string, inType: CmdArgType, value: unknown): Promise<unknown> {
    const arg = encodeCommandArg(inType, value);
    let lastError: Error | undefined;
    for (let k = 0; k < this.hosts.length; k++) {
      const i = (this.current + k) % this.hosts.length;
      try {
        const out = await commandInout(this.target(i), cmd, arg, this.options);
        this.current = i;
        return decodeCommandResult(out);
      } catch (e) {
        if (!(e instanceof TangoConnectionError || e instanceof TangoTimeoutError)) throw e;
        lastError = e;
      }
    }
    throw lastError ?? new TangoConnectionError('no database host');
  }

  async importDevice(name: string): Promise<ImportedDevice> {
    const r = (await this.command('DbImportDevice', CmdArgType.DevString, name)) as LongStringArray;
    const [devName, ior, version, server, host, className] = r.svalue;
    return {
      name: devName, ior, idlVersion: parseInt(version, 10) || 1, server, host, className,
      exported: r.lvalue[0] === 1, pid: r.lvalue[1] ?? 0,
    };
  }

  /** Device properties: name → values (missing properties are left out). */
  async getDeviceProperty(device: string, names: readonly string[]): Promise<Record<string, string[]>> {
    const out = (await this.command('DbGetDeviceProperty', CmdArgType.DevVarStringArray, [device, ...names])) as string[];
    return parsePropertyList(out);
  }

  async putDeviceProperty(device: string, props: Record<string, readonly string[]>): Promise<void> {
    const args = [device, String(Object.keys(props).length)];
    for (const [k, v] of Object.entries(props)) args.push(k, String(v.length), ...v);
    await this.command('DbPutDeviceProperty', CmdArgType.DevVarStringArray, args);
  }

  async deleteDeviceProperty(device: string, names: readonly string[]): Promise<void> {
    await this.command('DbDeleteDeviceProperty', CmdArgType.DevVarStringArray, [device, ...names]);
  }

  /** Device name behind an alias. */
  async getAliasDevice(alias: string): Promise<string> {
    return (await this.command('DbGetAliasDevice', CmdArgType.DevString, alias)) as string;
  }

  async getDeviceExportedList(pattern: string): Promise<string[]> {
    return (await this.command('DbGetDeviceExportedList', CmdArgType.DevString, pattern)) as string[];
  }
}

/** [obj, nProps, name, nValues, v1…, name, nValues, …] → {name: values}; "0" counts are missing properties. */
export function parsePropertyList(list: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const n = parseInt(list[1] ?? '0', 10);
  let i = 2;
  for (let k = 0; k < n; k++) {
    const name = list[i];
    const count = parseInt(list[i + 1], 10);
    if (name === undefined || Number.isNaN(count)) throw new TangoDevFailed([{ reason: 'API_InvalidPropertyList', severity: 1, desc: `malformed property list from the database at index ${i}`, origin: 'parsePropertyList' }]);
    i += 2;
    if (count > 0) out[name] = list.slice(i, i + count);
    i += count === 0 ? 1 : count; // a missing property carries one " " placeholder
  }
  return out;
}
