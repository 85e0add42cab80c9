/**
 * The Device_5 CORBA interface (and the Device … Device_4 operations it inherits) over one
 * TangoDevice: decodes each operation's arguments, applies Tango's rules (wildcard attribute
 * names, set points of writable attributes, per-attribute errors, allowed states) and encodes
 * the result.
 */
import type { CdrReader, CdrWriter } from '../cdr.js';
import { AttrDataFormat, AttrQuality, AttrWriteType, CmdArgType, DevState, DispLevel, DEV_STATE_NAMES, UNION_TO_CMDARG } from '../enums.js';
import { devFailed, TangoDevFailed, TangoMultiDevFailed, type DevError } from '../errors.js';
import {
  defaultAttributeConfig, devError, readDevErrorList, readTimeVal, timeValNow, writeAttributeConfigList, writeCommandInfo, writeCommandInfoList, writeDevInfo,
  type AttributeConfig, type AttributeConfigVersion, type CommandInfo, type DeviceInfo,
} from '../idl.js';
import {
  readAttrValUnion, readAttributeValueList3, writeAttributeValue1, writeAttributeValue3, writeAttributeValueList45,
  type AttributeReading,
} from '../attribute-value.js';
import { commandTypeCode, encodeCommandArg } from '../command-args.js';
import { readAny, TCKind, unalias, writeAny, type TypeCode } from '../typecode.js';

import { systemException, type GiopRequest, type ReplyWriter } from './transport.js';
import { fromAttrData, reasonOf, toAttrData, type AttributeSpec, type CommandSpec, type TangoDevice } from './model.js';

/** What the servant needs to know about the process serving it. */
export interface ServerContext {
  /** "Executable/instance" */
  readonly serverName: string;
  readonly hostName: string;
  readonly adminName: string;
}

const REPO_IDS = new Set([
  'IDL:Tango/Device:1.0', 'IDL:Tango/Device_2:1.0', 'IDL:Tango/Device_3:1.0', 'IDL:Tango/Device_4:1.0', 'IDL:Tango/Device_5:1.0',
  'IDL:omg.org/CORBA/Object:1.0',
]);

const BLACK_BOX_SIZE = 50;
const WILDCARDS = new Set(['all attributes', 'all attributes_3']);

export class DeviceServant {
  private readonly blackBox: string[] = [];

  constructor(readonly device: TangoDevice, private readonly ctx: ServerContext) {}

  get name(): string {
    return this.device.name;
  }

  handle(req: GiopRequest): ReplyWriter | Promise<ReplyWriter> {
    const r = req.body;
    const op = req.operation;
    if (op !== '_non_existent' && op !== '_is_a') this.remember(op, req.peer);
    switch (op) {
      case '_is_a': {
        const id = r.string();
        return (w) => w.boolean(REPO_IDS.has(id));
      }
      case '_non_existent': case '_not_existent': return (w) => w.boolean(false);
      case '_get_name': return (w) => w.string(this.device.name);
      case '_get_description': return (w) => w.string(this.device.description ?? 'A Tango device');
      case '_get_adm_name': return (w) => w.string(this.ctx.adminName);
      case '_get_state': {
        const s = this.device.state();
        return (w) => w.ulong(s);
      }
      case '_get_status': {
        const s = this.device.status();
        return (w) => w.string(s);
      }
      case 'ping': return undefined;
      case 'black_box': return this.blackBoxReply(r.long());
      case 'info': return (w) => writeDevInfo(w, this.info(), 1);
      case 'info_3': return (w) => writeDevInfo(w, this.info(), 3);
      case 'command_list_query': return (w) => writeCommandInfoList(w, this.commands().map(cmdInfo), 1);
      case 'command_list_query_2': return (w) => writeCommandInfoList(w, this.commands().map(cmdInfo), 2);
      case 'command_query': case 'command_query_2': {
        const info = cmdInfo(this.command(r.string()));
        return (w) => writeCommandInfo(w, info, op === 'command_query' ? 1 : 2);
      }
      case 'command_inout': case 'command_inout_2': case 'command_inout_4': {
        // DevSource and ClntIdent follow; neither changes what this server does
        const name = r.string();
        const arg = readAny(r);
        return this.commandInout(name, arg);
      }
      case 'get_attribute_config': return this.configReply(r, 1);
      case 'get_attribute_config_2': return this.configReply(r, 2);
      case 'get_attribute_config_3': return this.configReply(r, 3);
      case 'get_attribute_config_5': return this.configReply(r, 5);
      case 'read_attributes': case 'read_attributes_2': {
        const list = this.readAll(r.stringSeq());
        const failed = list.find((a) => a.errors.length > 0);
        if (failed) throw new TangoDevFailed(failed.errors);
        return (w) => { w.ulong(list.length); for (const a of list) writeAttributeValue1(w, a); };
      }
      case 'read_attributes_3': {
        const list = this.readAll(r.stringSeq());
        return (w) => { w.ulong(list.length); for (const a of list) writeAttributeValue3(w, a); };
      }
      case 'read_attributes_4': case 'read_attributes_5': {
        const list = this.readAll(r.stringSeq());
        const v = op === 'read_attributes_4' ? 4 : 5;
        return (w) => writeAttributeValueList45(w, list, v);
      }
      case 'write_attributes': case 'write_attributes_3':
        return this.writeAll(readAttributeValueList3(r, 1), op === 'write_attributes_3').then(() => undefined);
      case 'write_attributes_4':
        return this.writeAll(readWrittenValues(r), true).then(() => undefined);
      case 'write_read_attributes_4': {
        const values = readWrittenValues(r);
        return this.writeAll(values, true).then(() => {
          const list = this.readAll(values.map((v) => v.name));
          return (w: CdrWriter) => writeAttributeValueList45(w, list, 4);
        });
      }
      case 'write_read_attributes_5': {
        const values = readWrittenValues(r);
        const names = r.stringSeq();
        return this.writeAll(values, true).then(() => {
          const list = this.readAll(names);
          return (w: CdrWriter) => writeAttributeValueList45(w, list, 5);
        });
      }
      case 'get_pipe_config_5': return (w) => w.ulong(0);
      case 'set_attribute_config': case 'set_attribute_config_3': case 'set_attribute_config_4': case 'set_attribute_config_5':
      case 'read_attribute_history_2': case 'read_attribute_history_3': case 'read_attribute_history_4': case 'read_attribute_history_5':
      case 'command_inout_history_2': case 'command_inout_history_4':
      case 'read_pipe_5': case 'write_pipe_5': case 'write_read_pipe_5': case 'set_pipe_config_5':
        throw devFailed('API_NotSupported', `${op} is not supported by this device server`, this.origin(op));
    }
    throw systemException('BAD_OPERATION');
  }

  // ---- commands -------------------------------------------------------------------------------

  /** user commands plus the standard State, Status and Init */
  commands(): CommandSpec[] {
    const own = this.device.commands();
    const names = new Set(own.map((c) => c.name.toLowerCase()));
    const std: CommandSpec[] = [
      { name: 'Init', in: CmdArgType.DevVoid, out: CmdArgType.DevVoid, inDesc: 'Uninitialised', outDesc: 'Uninitialised', execute: () => this.device.init?.() },
      { name: 'State', in: CmdArgType.DevVoid, out: CmdArgType.DevState, inDesc: 'Uninitialised', outDesc: 'Device state', execute: () => this.device.state() },
      { name: 'Status', in: CmdArgType.DevVoid, out: CmdArgType.DevString, inDesc: 'Uninitialised', outDesc: 'Device status', execute: () => this.device.status() },
    ];
    return [...own, ...std.filter((c) => !names.has(c.name.toLowerCase()))].sort((a, b) => a.name.localeCompare(b.name));
  }

  private command(name: string): CommandSpec {
    const lower = name.toLowerCase();
    const c = this.commands().find((x) => x.name.toLowerCase() === lower);
    if (!c) throw devFailed('API_CommandNotFound', `Command ${name} not found`, this.origin('command_inout'));
    return c;
  }

  private async commandInout(name: string, arg: { type: TypeCode; value: unknown }): Promise<ReplyWriter> {
    const c = this.command(name);
    const origin = this.origin(c.name);
    if (!compatible(arg.type, commandTypeCode(c.in))) {
      throw devFailed('API_IncompatibleCmdArgumentType', `Command ${c.name}: the argument must be ${CmdArgType[c.in]}`, origin);
    }
    if (c.states && !c.states.includes(this.device.state())) {
      throw devFailed('API_CommandNotAllowed', `Command ${c.name} not allowed when the device is in ${DEV_STATE_NAMES[this.device.state()]} state`, origin);
    }
    let result: unknown;
    try {
      result = await c.execute(c.in === CmdArgType.DevVoid ? undefined : arg.value);
    } catch (e) {
      throw toDevFailed(e, 'API_CommandFailed', origin);
    }
    const any = encodeCommandArg(c.out, c.out === CmdArgType.DevVoid ? undefined : result);
    return (w) => writeAny(w, any);
  }

  // ---- attributes -----------------------------------------------------------------------------

  /** user attributes plus State and Status */
  attributes(): AttributeSpec[] {
    return [
      ...this.device.attributes(),
      { name: 'State', type: CmdArgType.DevState, read: () => this.device.state() },
      { name: 'Status', type: CmdArgType.DevString, read: () => this.device.status() },
    ];
  }

  private attribute(name: string, op: string): AttributeSpec {
    const lower = name.toLowerCase();
    const a = this.attributes().find((x) => x.name.toLowerCase() === lower);
    if (!a) throw devFailed('API_AttrNotFound', `Attribute ${name} is not supported by device ${this.device.name}`, this.origin(op));
    return a;
  }

  private configReply(r: CdrReader, v: AttributeConfigVersion): ReplyWriter {
    const names = r.stringSeq();
    const all = names.length === 1 && WILDCARDS.has(names[0].toLowerCase());
    const specs = all ? this.attributes() : names.map((n) => this.attribute(n, `get_attribute_config`));
    const list = specs.map(attrConfig);
    return (w) => writeAttributeConfigList(w, list, v);
  }

  private readAll(names: readonly string[]): AttributeReading[] {
    const state = this.device.state();
    return names.map((n) => this.readOne(n, state));
  }

  private readOne(name: string, state: DevState): AttributeReading {
    const time = timeValNow();
    try {
      const a = this.attribute(name, 'read_attributes');
      if (a.readStates && !a.readStates.includes(state)) {
        throw devFailed('API_AttrNotAllowed', `It is currently not allowed to read attribute ${a.name} (device state ${DEV_STATE_NAMES[state]})`, this.origin(`read ${a.name}`));
      }
      const spectrum = a.format === 'spectrum';
      const data = toAttrData(a.type, a.read());
      const reading: AttributeReading = {
        name: a.name, type: a.type, format: spectrum ? AttrDataFormat.SPECTRUM : AttrDataFormat.SCALAR,
        shape: spectrum ? [data.length] : [], data, quality: AttrQuality.ATTR_VALID, time, errors: [],
      };
      if (a.writable && !spectrum) {
        reading.writeData = data;
        reading.writeShape = [];
      }
      return reading;
    } catch (e) {
      const df = toDevFailed(e, 'API_AttrValueNotSet', this.origin(`read ${name}`));
      return {
        name, type: CmdArgType.DevVoid, format: AttrDataFormat.FMT_UNKNOWN, shape: [], data: new Uint8Array(0),
        quality: AttrQuality.ATTR_INVALID, time, errors: df.errors,
      };
    }
  }

  /** writes in order; failures are collected per attribute (MultiDevFailed) or the first one (DevFailed) */
  private async writeAll(values: readonly AttributeReading[], multi: boolean): Promise<void> {
    const failures: { name: string; index: number; errors: DevError[] }[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      try {
        await this.writeOne(v);
      } catch (e) {
        const df = toDevFailed(e, 'API_AttrValueNotSet', this.origin(`write ${v.name}`));
        if (!multi) throw df;
        failures.push({ name: v.name, index: i, errors: df.errors });
      }
    }
    if (failures.length) throw new TangoMultiDevFailed(failures);
  }

  private async writeOne(v: AttributeReading): Promise<void> {
    const a = this.attribute(v.name, 'write_attributes');
    const origin = this.origin(`write ${a.name}`);
    if (!a.writable || !a.write) throw devFailed('API_AttrNotWritable', `Attribute ${a.name} is not writable`, origin);
    if (v.type !== a.type && !(v.type === CmdArgType.DevShort && a.type === CmdArgType.DevEnum)) {
      throw devFailed('API_IncompatibleAttrDataType', `Attribute ${a.name} is ${CmdArgType[a.type]}, the value sent is ${CmdArgType[v.type] ?? v.type}`, origin);
    }
    const state = this.device.state();
    if (a.writeStates && !a.writeStates.includes(state)) {
      throw devFailed('API_AttrNotAllowed', `It is currently not allowed to write attribute ${a.name} (device state ${DEV_STATE_NAMES[state]})`, origin);
    }
    await a.write(fromAttrData(a.type, v.data, a.format !== 'spectrum'));
  }

  // ---- misc -----------------------------------------------------------------------------------

  private info(): DeviceInfo {
    return {
      devClass: this.device.className, serverId: this.ctx.serverName, serverHost: this.ctx.hostName, serverVersion: 5,
      docUrl: 'Doc URL = https://www.tango-controls.org', devType: this.device.className,
    };
  }

  private remember(op: string, peer: string): void {
    const now = new Date();
    this.blackBox.unshift(`${now.toISOString().replace('T', ' ').slice(0, 23)} : Operation ${op} requested from ${peer}`);
    if (this.blackBox.length > BLACK_BOX_SIZE) this.blackBox.length = BLACK_BOX_SIZE;
  }

  private blackBoxReply(n: number): ReplyWriter {
    if (n <= 0) throw devFailed('API_BlackBoxArgument', 'The black box size must be a positive number', this.origin('black_box'));
    const items = this.blackBox.slice(0, n);
    return (w) => w.stringSeq(items);
  }

  private origin(what: string): string {
    return `${this.device.name}: ${what}`;
  }
}

function cmdInfo(c: CommandSpec): CommandInfo {
  return {
    name: c.name, level: c.level ?? DispLevel.OPERATOR, tag: 0, inType: c.in, outType: c.out,
    inTypeDesc: c.inDesc ?? 'Uninitialised', outTypeDesc: c.outDesc ?? 'Uninitialised',
  };
}

function attrConfig(a: AttributeSpec): AttributeConfig {
  const spectrum = a.format === 'spectrum';
  const c = defaultAttributeConfig(a.name, a.type, spectrum ? AttrDataFormat.SPECTRUM : AttrDataFormat.SCALAR, a.writable ? AttrWriteType.READ_WRITE : AttrWriteType.READ);
  if (spectrum) c.maxDimX = a.maxDimX ?? 4096;
  c.level = a.level ?? DispLevel.OPERATOR;
  c.memorized = a.memorized ?? false;
  if (a.description) c.description = a.description;
  if (a.label) c.label = a.label;
  if (a.unit) c.unit = a.unit;
  return c;
}

/** whether a received any's TypeCode fits the expected one (aliases and names are not compared) */
function compatible(got: TypeCode, want: TypeCode): boolean {
  const g = unalias(got);
  const w = unalias(want);
  if (w.kind === TCKind.null) return g.kind === TCKind.null || g.kind === TCKind.void;
  if (g.kind !== w.kind) return false;
  if (g.kind === TCKind.sequence && w.kind === TCKind.sequence) return compatible(g.content, w.content);
  if (g.kind === TCKind.struct && w.kind === TCKind.struct) return g.members.length === w.members.length && g.members.every((m, i) => compatible(m.type, w.members[i].type));
  return true;
}

/**
 * The AttributeValue_4 list of a write. All of the union's data is kept: clients do not agree on
 * r_dim/w_dim for written values (PyTango may send r_dim 0 after reading an empty spectrum).
 */
function readWrittenValues(r: CdrReader): AttributeReading[] {
  const n = r.count(40, 'AttributeValueList_4');
  const out: AttributeReading[] = [];
  for (let i = 0; i < n; i++) {
    const u = readAttrValUnion(r);
    r.ulong(); // quality
    const format: AttrDataFormat = r.ulong();
    const time = readTimeVal(r);
    const name = r.string();
    r.long(); r.long(); r.long(); r.long(); // r_dim, w_dim
    readDevErrorList(r);
    const data = u.data ?? new Uint8Array(0);
    out.push({ name, type: u.data ? UNION_TO_CMDARG[u.kind] : CmdArgType.DevVoid, format, shape: [data.length], data, quality: AttrQuality.ATTR_VALID, time, errors: [] });
  }
  return out;
}

/** any error → DevFailed; an error's `code` becomes the reason */
export function toDevFailed(e: unknown, fallbackReason: string, origin: string): TangoDevFailed {
  if (e instanceof TangoDevFailed) return e;
  const desc = e instanceof Error ? e.message : String(e);
  return new TangoDevFailed([devError(reasonOf(e, fallbackReason), desc, origin)]);
}
