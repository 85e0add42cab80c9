/**
 * The Device_5 CORBA interface (and the Device … Device_4 operations it inherits) over one
 * TangoDevice: decodes each operation's arguments, applies Tango's rules (wildcard attribute
 * names, set points of writable attributes, per-attribute errors, allowed states, locking) and
 * encodes the result. Owns what cppTango keeps per device beside the device code: its events,
 * its polling and history buffers, its lock, its stored attribute configuration and memorized
 * values, and its black box. These survive DevRestart (replaceDevice).
 */
import type { CdrReader, CdrWriter } from '../cdr.js';
import { AttrDataFormat, AttrQuality, AttrWriteType, CmdArgType, DevState, DispLevel, DEV_STATE_NAMES, UNION_TO_CMDARG } from '../enums.js';
import { devFailed, TangoDevFailed, TangoMultiDevFailed, type DevError } from '../errors.js';
import {
  defaultAttributeConfig, devError, readAttributeConfigList, readClntIdent, readDevErrorList, readTimeVal, timeValNow, writeAttributeConfigList, writeCommandInfo,
  writeCommandInfoList, writeDevInfo,
  type AttributeConfig, type AttributeConfigVersion, type CommandInfo, type DeviceInfo,
} from '../idl.js';
import {
  readAttrValUnion, readAttributeValueList3, writeAttributeValue1, writeAttributeValue3, writeAttributeValueList45,
  type AttrData, type AttributeReading,
} from '../attribute-value.js';
import { commandTypeCode, encodeCommandArg } from '../command-args.js';
import { readAny, TCKind, unalias, writeAny, type TypeCode } from '../typecode.js';

import { OMNI_MINOR, systemException, type GiopRequest, type ReplyWriter } from './transport.js';
import { fromAttrData, reasonOf, toAttrData, type AttributeSpec, type AttrValue, type CommandSpec, type TangoDevice } from './model.js';
import { applyProperties, checkLimitProperties, configChanges, MEMORIZED_PROPERTY, type DeviceStore } from './attr-config.js';
import { DeviceEvents } from './events.js';
import { DevicePoller, type RingDepths, writeAttrHistory45, writeAttrHistoryList, writeCmdHistory4, writeCmdHistoryList, type PolledKind } from './polling.js';
import { DeviceLock, type Client } from './lock.js';
import { blackBoxEntry, hostName, hostOf, type BlackBoxCall } from './black-box.js';
import type { ZmqEventSupplier } from './zmq-supplier.js';

/** What the servant needs to know about the process serving it. */
export interface ServerContext {
  /** "Executable/instance" */
  readonly serverName: string;
  readonly hostName: string;
  readonly adminName: string;
  /** events; undefined: this process publishes none */
  readonly events?: EventContext;
  /** the Tango database (attribute configuration, memorized values, polling); undefined without one */
  readonly store?: DeviceStore;
  readonly onError?: (msg: string) => void;
}

export interface EventContext {
  /** the process's publisher, started on the first subscription */
  supplier(): Promise<ZmqEventSupplier>;
  /** "tango://host:port/" */
  topicPrefix(): string;
  /** "#dbase=no" without a database */
  readonly topicModifier: string;
}

/** how often attributes the device pushes are checked while someone subscribes to them */
export const PUSH_CHECK_MS = 200;
/** the attributes every device pushes change events for */
const ALWAYS_PUSHED = new Set(['state', 'status']);

/** the types whose writes min_value/max_value bound */
const LIMITED_TYPES = new Set([
  CmdArgType.DevShort, CmdArgType.DevLong, CmdArgType.DevLong64, CmdArgType.DevUChar, CmdArgType.DevUShort, CmdArgType.DevULong,
  CmdArgType.DevULong64, CmdArgType.DevFloat, CmdArgType.DevDouble,
]);

/** a configured limit, or undefined for "Not specified" (and anything not a number) */
function limit(text: string): number | undefined {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

const REPO_IDS = new Set([
  'IDL:Tango/Device:1.0', 'IDL:Tango/Device_2:1.0', 'IDL:Tango/Device_3:1.0', 'IDL:Tango/Device_4:1.0', 'IDL:Tango/Device_5:1.0',
  'IDL:omg.org/CORBA/Object:1.0',
]);

const BLACK_BOX_SIZE = 50;
const WILDCARDS = new Set(['all attributes', 'all attributes_3']);

export class DeviceServant {
  /** the calls, newest first; their text is made when the black box is read, not on every call */
  private readonly blackBox: { call: BlackBoxCall; host: string; at: number }[] = [];
  private dev: TangoDevice;
  readonly events: DeviceEvents;
  readonly poller: DevicePoller;
  readonly lock: DeviceLock;
  /** attribute (lower case) → stored attribute properties (set_attribute_config / database) */
  private readonly stored = new Map<string, Map<string, string>>();
  private pushTimer: NodeJS.Timeout | undefined;
  /** attribute (lower case) → the memorized value (read at start, updated by writes; DevRestart writes it again) */
  private memorized = new Map<string, string>();

  constructor(device: TangoDevice, private readonly ctx: ServerContext) {
    this.dev = device;
    this.lock = new DeviceLock(device.name);
    this.events = new DeviceEvents({
      deviceName: device.name,
      topicPrefix: () => ctx.events?.topicPrefix() ?? '',
      topicModifier: ctx.events?.topicModifier ?? '',
      supplier: () => {
        if (!ctx.events) throw devFailed('API_NotSupported', 'This device server publishes no events', this.origin('events'));
        return ctx.events.supplier();
      },
      attributeName: (n) => this.attribute(n, 'event_subscription').name,
      attributeType: (n) => this.attribute(n, 'event_subscription').type,
      config: (n) => this.config(this.attribute(n, 'get_attribute_config')),
      isPolled: (n) => this.poller.isPolled('attribute', n),
      isPushed: (n) => this.isPushed(n),
    });
    this.poller = new DevicePoller({
      deviceName: device.name,
      attributeName: (n) => this.attribute(n, 'add_obj_polling').name,
      pollableCommand: (n) => {
        const c = this.command(n);
        if (c.in !== CmdArgType.DevVoid) throw devFailed('API_NotSupported', `Command ${c.name} takes an argument: it cannot be polled`, 'DServer::add_obj_polling');
        toAttrData(c.out, 0 as AttrValue); // throws for results a history cannot carry
        return c.name;
      },
      readAttribute: (n) => this.readOne(n, this.dev.state()),
      runCommand: (n) => Promise.resolve(this.command(n).execute(undefined, { host: 'polling' })),
      onAttributeReading: (r) => this.emit(this.events.onReading(r, 'poll')),
    });
  }

  get device(): TangoDevice {
    return this.dev;
  }

  get name(): string {
    return this.dev.name;
  }

  /**
   * DevRestart: a fresh device object behind the same servant (polling, subscriptions, lock and
   * the values last sent stay, so only real changes become events), memorized values written back
   */
  async replaceDevice(fresh: TangoDevice): Promise<void> {
    this.dev = fresh;
    await this.restoreMemorized();
  }

  /** Init (and DevRestart of a device without a factory): init(), then the memorized values again */
  async reinit(): Promise<void> {
    await this.dev.init?.();
    await this.restoreMemorized();
  }

  close(): void {
    this.poller.close();
    if (this.pushTimer) clearInterval(this.pushTimer);
  }

  handle(req: GiopRequest): ReplyWriter | Promise<ReplyWriter> {
    const r = req.body;
    const op = req.operation;
    const call: BlackBoxCall = { operation: op, peer: req.peer };
    try {
      return this.dispatch(req, r, op, call);
    } finally {
      // written once dispatch has read the arguments naming the command or attributes
      if (op !== '_non_existent' && op !== '_is_a') this.remember(call);
    }
  }

  private dispatch(req: GiopRequest, r: CdrReader, op: string, call: BlackBoxCall): ReplyWriter | Promise<ReplyWriter> {
    const host = hostOf(req.peer);
    switch (op) {
      case '_is_a': {
        const id = r.string();
        return (w) => w.boolean(REPO_IDS.has(id));
      }
      case '_non_existent': case '_not_existent': return (w) => w.boolean(false);
      case '_get_name': return (w) => w.string(this.dev.name);
      case '_get_description': return (w) => w.string(this.dev.description ?? 'A Tango device');
      case '_get_adm_name': return (w) => w.string(this.ctx.adminName);
      case '_get_state': {
        const s = this.dev.state();
        return (w) => w.ulong(s);
      }
      case '_get_status': {
        const s = this.dev.status();
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
        const name = r.string();
        const arg = readAny(r);
        call.command = name;
        if (op !== 'command_inout') call.source = r.ulong();
        if (op === 'command_inout_4') call.ident = readClntIdent(r);
        const client: Client = { host, peer: req.peer.replace(/^::ffff:/, ''), ident: call.ident };
        this.lock.check(client, op === 'command_inout_4' ? 'command_inout4' : op, name);
        return this.commandInout(name, arg, client);
      }
      case 'get_attribute_config': return this.configReply(r, 1);
      case 'get_attribute_config_2': return this.configReply(r, 2);
      case 'get_attribute_config_3': return this.configReply(r, 3);
      case 'get_attribute_config_5': return this.configReply(r, 5);
      case 'set_attribute_config': case 'set_attribute_config_3': case 'set_attribute_config_4': case 'set_attribute_config_5': {
        const v = op === 'set_attribute_config' ? 1 : op === 'set_attribute_config_5' ? 5 : 3;
        const list = readAttributeConfigList(r, v);
        if (op === 'set_attribute_config_4' || op === 'set_attribute_config_5') call.ident = readClntIdent(r);
        call.attributes = list.map((c) => c.name);
        this.lock.check({ host, ident: call.ident }, op);
        return this.setConfig(list).then(() => undefined);
      }
      case 'read_attributes': case 'read_attributes_2': {
        const names = r.stringSeq();
        call.attributes = names;
        const list = this.readAll(names);
        const failed = list.find((a) => a.errors.length > 0);
        if (failed) throw new TangoDevFailed(failed.errors);
        return (w) => { w.ulong(list.length); for (const a of list) writeAttributeValue1(w, a); };
      }
      case 'read_attributes_3': {
        const names = r.stringSeq();
        call.attributes = names;
        const list = this.readAll(names);
        return (w) => { w.ulong(list.length); for (const a of list) writeAttributeValue3(w, a); };
      }
      case 'read_attributes_4': case 'read_attributes_5': {
        const names = r.stringSeq();
        call.attributes = names;
        call.source = r.ulong();
        call.ident = readClntIdent(r);
        const list = this.readAll(names);
        const v = op === 'read_attributes_4' ? 4 : 5;
        return (w) => writeAttributeValueList45(w, list, v);
      }
      case 'write_attributes': case 'write_attributes_3': {
        const values = readAttributeValueList3(r, 1);
        call.attributes = values.map((x) => x.name);
        this.lock.check({ host }, op);
        return this.writeAll(values, op === 'write_attributes_3').then(() => undefined);
      }
      case 'write_attributes_4': {
        const values = readWrittenValues(r);
        call.attributes = values.map((x) => x.name);
        call.ident = readClntIdent(r);
        this.lock.check({ host, ident: call.ident }, op);
        return this.writeAll(values, true).then(() => undefined);
      }
      case 'write_read_attributes_4': case 'write_read_attributes_5': {
        const values = readWrittenValues(r);
        const names = op === 'write_read_attributes_5' ? r.stringSeq() : values.map((v) => v.name);
        call.attributes = values.map((x) => x.name);
        call.ident = readClntIdent(r);
        this.lock.check({ host, ident: call.ident }, op);
        return this.writeAll(values, true).then(() => {
          const list = this.readAll(names);
          return (w: CdrWriter) => writeAttributeValueList45(w, list, op === 'write_read_attributes_4' ? 4 : 5);
        });
      }
      case 'read_attribute_history_2': case 'read_attribute_history_3': case 'read_attribute_history_4': case 'read_attribute_history_5': {
        const name = r.string();
        const n = r.long();
        call.attributes = [name];
        return this.attributeHistory(op, name, n);
      }
      case 'command_inout_history_2': case 'command_inout_history_4': {
        const name = r.string();
        const n = r.long();
        call.command = name;
        const c = this.command(name);
        const records = this.poller.commandHistory(c.name, n);
        if (op === 'command_inout_history_4') return (w) => writeCmdHistory4(w, c.out, records);
        return (w) => writeCmdHistoryList(w, c.out, records, (v) => writeAny(w, encodeCommandArg(c.out, v)));
      }
      case 'get_pipe_config_5': return (w) => w.ulong(0);
      case 'read_pipe_5': case 'write_pipe_5': case 'write_read_pipe_5': case 'set_pipe_config_5':
        throw devFailed('API_NotSupported', `${op} is not supported by this device server`, this.origin(op));
    }
    throw systemException('BAD_OPERATION', OMNI_MINOR.BAD_OPERATION_UnRecognisedOperationName);
  }

  // ---- commands -------------------------------------------------------------------------------

  /** the standard commands, added unless the device defines them */
  private readonly standardCommands: readonly CommandSpec[] = [
    { name: 'Init', in: CmdArgType.DevVoid, out: CmdArgType.DevVoid, inDesc: 'Uninitialised', outDesc: 'Uninitialised', execute: () => this.reinit() },
    { name: 'State', in: CmdArgType.DevVoid, out: CmdArgType.DevState, inDesc: 'Uninitialised', outDesc: 'Device state', execute: () => this.dev.state() },
    { name: 'Status', in: CmdArgType.DevVoid, out: CmdArgType.DevString, inDesc: 'Uninitialised', outDesc: 'Device status', execute: () => this.dev.status() },
  ];

  /**
   * The command table of the device's current command list: rebuilt only when the device hands
   * out another list, so a device that keeps its list costs no merge, sort and lookup table per
   * command (PyTango asks command_query_2 before every command_inout_4 with an argument).
   */
  private commandTable: { own: readonly CommandSpec[]; ownCount: number; all: readonly CommandSpec[]; byName: ReadonlyMap<string, CommandSpec> } | undefined;

  private commandsNow(): NonNullable<DeviceServant['commandTable']> {
    const own = this.dev.commands();
    if (this.commandTable?.own === own && this.commandTable.ownCount === own.length) return this.commandTable;
    const names = new Set(own.map((c) => c.name.toLowerCase()));
    const all = [...own, ...this.standardCommands.filter((c) => !names.has(c.name.toLowerCase()))].sort((a, b) => a.name.localeCompare(b.name));
    // the first of a name wins, as a search of the sorted list found it
    const byName = new Map<string, CommandSpec>();
    for (const c of all) if (!byName.has(c.name.toLowerCase())) byName.set(c.name.toLowerCase(), c);
    this.commandTable = { own, ownCount: own.length, all, byName };
    return this.commandTable;
  }

  /** user commands plus the standard State, Status and Init */
  commands(): CommandSpec[] {
    return [...this.commandsNow().all];
  }

  private command(name: string): CommandSpec {
    const c = this.commandsNow().byName.get(name.toLowerCase());
    if (!c) throw devFailed('API_CommandNotFound', `Command ${name} not found`, this.origin('command_inout'));
    return c;
  }

  private async commandInout(name: string, arg: { type: TypeCode; value: unknown }, client: Client): Promise<ReplyWriter> {
    const c = this.command(name);
    const origin = this.origin(c.name);
    if (!compatible(arg.type, commandTypeCode(c.in))) {
      throw devFailed('API_IncompatibleCmdArgumentType', `Command ${c.name}: the argument must be ${CmdArgType[c.in]}`, origin);
    }
    if (c.states && !c.states.includes(this.dev.state())) {
      throw devFailed('API_CommandNotAllowed', `Command ${c.name} not allowed when the device is in ${DEV_STATE_NAMES[this.dev.state()]} state`, origin);
    }
    let result: unknown;
    try {
      result = await c.execute(c.in === CmdArgType.DevVoid ? undefined : arg.value, client);
    } catch (e) {
      throw toDevFailed(e, 'API_CommandFailed', origin);
    } finally {
      if (c.name !== 'State' && c.name !== 'Status') this.checkPushed();
    }
    const any = encodeCommandArg(c.out, c.out === CmdArgType.DevVoid ? undefined : result);
    return (w) => writeAny(w, any);
  }

  // ---- attributes -----------------------------------------------------------------------------

  /** user attributes plus State and Status */
  attributes(): AttributeSpec[] {
    return [
      ...this.dev.attributes(),
      { name: 'State', type: CmdArgType.DevState, read: () => this.dev.state() },
      { name: 'Status', type: CmdArgType.DevString, read: () => this.dev.status() },
    ];
  }

  private attribute(name: string, op: string): AttributeSpec {
    const lower = name.toLowerCase();
    const a = this.attributes().find((x) => x.name.toLowerCase() === lower);
    if (!a) throw devFailed('API_AttrNotFound', `Attribute ${name} is not supported by device ${this.dev.name}`, this.origin(op));
    return a;
  }

  /** the attribute's configuration: the device's defaults with the stored properties applied */
  config(a: AttributeSpec): AttributeConfig {
    return applyProperties(attrConfig(a), this.stored.get(a.name.toLowerCase()) ?? new Map());
  }

  private configReply(r: CdrReader, v: AttributeConfigVersion): ReplyWriter {
    const names = r.stringSeq();
    const all = names.length === 1 && WILDCARDS.has(names[0].toLowerCase());
    const specs = all ? this.attributes() : names.map((n) => this.attribute(n, `get_attribute_config`));
    const list = specs.map((a) => this.config(a));
    return (w) => writeAttributeConfigList(w, list, v);
  }

  /** set_attribute_config*: stores what differs from the defaults, in memory and the database */
  private async setConfig(list: readonly AttributeConfig[]): Promise<void> {
    for (const incoming of list) {
      const a = this.attribute(incoming.name, 'set_attribute_config');
      const key = a.name.toLowerCase();
      const current = this.stored.get(key) ?? new Map<string, string>();
      const { put, remove } = configChanges(attrConfig(a), current, incoming);
      if (put.size === 0 && remove.length === 0) continue;
      const next = new Map(current);
      for (const [k, v] of put) next.set(k, v);
      for (const k of remove) next.delete(k);
      checkLimitProperties(this.dev.name, a.name, LIMITED_TYPES.has(a.type), put, next);
      const store = this.ctx.store;
      if (store) {
        try {
          await store.putAttributeProperties(this.dev.name, a.name, new Map([...put].map(([k, v]) => [k, [v]])));
          await store.deleteAttributeProperties(this.dev.name, a.name, remove);
        } catch (e) {
          throw toDevFailed(e, 'API_DatabaseAccess', this.origin('set_attribute_config'));
        }
      }
      this.stored.set(key, next);
      this.emit(this.events.onConfig(this.config(a)));
    }
  }

  private readAll(names: readonly string[]): AttributeReading[] {
    const state = this.dev.state();
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
    try {
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
    } finally {
      this.checkPushed();
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
    const state = this.dev.state();
    if (a.writeStates && !a.writeStates.includes(state)) {
      throw devFailed('API_AttrNotAllowed', `It is currently not allowed to write attribute ${a.name} (device state ${DEV_STATE_NAMES[state]})`, origin);
    }
    this.checkLimits(a, v.data, origin);
    const value = fromAttrData(a.type, v.data, a.format !== 'spectrum');
    await a.write(value);
    if (a.memorized) await this.memorize(a, value);
  }

  /**
   * The attribute configuration's min_value/max_value bound what clients write (Jive's and
   * Taurus's range settings), with cppTango's reason and text; the first element outside counts.
   */
  private checkLimits(a: AttributeSpec, data: AttrData, origin: string): void {
    if (!LIMITED_TYPES.has(a.type)) return;
    const { minValue, maxValue } = this.config(a);
    const min = limit(minValue);
    const max = limit(maxValue);
    if (min === undefined && max === undefined) return;
    const items = Array.from(data as ArrayLike<number | bigint>, Number);
    for (let i = 0; i < items.length; i++) {
      const which = min !== undefined && items[i] < min ? 'below the minimum' : max !== undefined && items[i] > max ? 'above the maximum' : undefined;
      if (which) throw devFailed('API_WAttrOutsideLimit', `Set value for attribute ${a.name} is ${which} authorized (at least element ${i})`, origin);
    }
  }

  /** a memorized attribute's value goes to the database on every write, as cppTango does */
  private async memorize(a: AttributeSpec, value: AttrValue): Promise<void> {
    this.memorized.set(a.name.toLowerCase(), String(value));
    const store = this.ctx.store;
    if (!store) return;
    try {
      await store.putAttributeProperties(this.dev.name, a.name, new Map([[MEMORIZED_PROPERTY, [String(value)]]]));
    } catch (e) {
      this.ctx.onError?.(`${this.dev.name}/${a.name}: memorizing the value in the database failed: ${(e as Error).message}`);
    }
  }

  // ---- history --------------------------------------------------------------------------------

  private attributeHistory(op: string, name: string, n: number): ReplyWriter {
    const a = this.attribute(name, op);
    const records = this.poller.attributeHistory(a.name, n);
    switch (op) {
      case 'read_attribute_history_5': case 'read_attribute_history_4': {
        const format = a.format === 'spectrum' ? AttrDataFormat.SPECTRUM : AttrDataFormat.SCALAR;
        return (w) => writeAttrHistory45(w, a.name, a.type, format, records, op === 'read_attribute_history_5' ? 5 : 4);
      }
      case 'read_attribute_history_3': return (w) => writeAttrHistoryList(w, records, 3, (x) => writeAttributeValue3(w, x));
      default: return (w) => writeAttrHistoryList(w, records, 2, (x) => writeAttributeValue1(w, x));
    }
  }

  // ---- events ---------------------------------------------------------------------------------

  /** whether the device pushes change events of this attribute (State, Status, and those it declares) */
  isPushed(attr: string): boolean {
    const lower = attr.toLowerCase();
    if (ALWAYS_PUSHED.has(lower)) return this.dev.pushesStateEvents !== false;
    return this.dev.attributes().some((a) => a.name.toLowerCase() === lower && a.pushesEvents === true);
  }

  /** ZmqEventSubscriptionChange / EventConfirmSubscription for one attribute */
  subscribe(attr: string, eventName: string, clientRelease?: number): string {
    const topic = this.events.subscribe(attr, eventName, clientRelease);
    if (this.isPushed(attr)) this.events.seed(this.readOne(attr, this.dev.state()));
    if (!this.pushTimer) {
      this.pushTimer = setInterval(() => this.checkPushed(), PUSH_CHECK_MS);
      this.pushTimer.unref();
    }
    return topic;
  }

  /**
   * Sends change/archive events for the pushed attributes someone listens to, when they differ
   * from what was sent last: after every command and write, and every PUSH_CHECK_MS (for what
   * changes in the background, like the end of RecordAsynch).
   */
  private checkPushed(): void {
    if (this.events.subscriptionCount === 0) {
      if (this.pushTimer) clearInterval(this.pushTimer);
      this.pushTimer = undefined;
      return;
    }
    const state = this.dev.state();
    for (const attr of this.events.subscribedAttributes()) {
      if (this.isPushed(attr)) this.emit(this.events.onReading(this.readOne(attr, state), 'push'));
    }
  }

  private emit(p: Promise<void>): void {
    p.catch((e: unknown) => this.ctx.onError?.(`${this.dev.name}: publishing an event failed: ${(e as Error).message}`));
  }

  // ---- the database ---------------------------------------------------------------------------

  /**
   * Device start: the stored attribute configuration, the polling configuration (polled_attr,
   * polled_cmd) and the memorized values (written to the device as cppTango does at start).
   */
  async restore(): Promise<void> {
    const store = this.ctx.store;
    if (!store) return;
    const attrs = this.attributes().map((a) => a.name);
    const props = await store.attributeProperties(this.dev.name, attrs);
    for (const [attr, p] of props) {
      const m = new Map<string, string>();
      for (const [k, v] of p) if (k !== MEMORIZED_PROPERTY) m.set(k, v.join('\n'));
      this.stored.set(attr.toLowerCase(), m);
    }
    this.memorized = new Map([...props].flatMap(([attr, p]) => (p.has(MEMORIZED_PROPERTY) ? [[attr.toLowerCase(), p.get(MEMORIZED_PROPERTY)!.join('\n')] as [string, string]] : [])));
    await this.restoreMemorized();
    const polling = await store.deviceProperties(this.dev.name, ['polled_attr', 'polled_cmd', 'poll_ring_depth', 'attr_poll_ring_depth', 'cmd_poll_ring_depth']);
    this.poller.setRingDepths(this.ringDepths(polling));
    for (const [prop, kind] of [['polled_attr', 'attribute'], ['polled_cmd', 'command']] as const) {
      const list = polling.get(prop) ?? [];
      for (let i = 0; i + 1 < list.length; i += 2) {
        try {
          this.poller.add(kind, list[i], Number(list[i + 1]));
        } catch (e) {
          this.ctx.onError?.(`${this.dev.name}: ${prop} ${list[i]} ${list[i + 1]}: ${(e as Error).message}`);
        }
      }
    }
  }

  /**
   * poll_ring_depth (one number) and attr_/cmd_poll_ring_depth (name, depth pairs), as Jive and
   * Astor set them; a depth that is not a positive integer is reported and the default kept.
   */
  private ringDepths(props: ReadonlyMap<string, readonly string[]>): RingDepths {
    const depth = (prop: string, text: string | undefined): number | undefined => {
      if (text === undefined) return undefined;
      const n = Number(text);
      if (Number.isInteger(n) && n > 0) return n;
      this.ctx.onError?.(`${this.dev.name}: ${prop} '${text}' is not a positive integer; the polling ring keeps its default depth`);
      return undefined;
    };
    const pairs = (prop: string): Map<string, number> => {
      const list = props.get(prop) ?? [];
      const m = new Map<string, number>();
      for (let i = 0; i + 1 < list.length; i += 2) {
        const d = depth(`${prop} ${list[i]}`, list[i + 1]);
        if (d !== undefined) m.set(list[i].toLowerCase(), d);
      }
      return m;
    };
    return { device: depth('poll_ring_depth', props.get('poll_ring_depth')?.[0]), attribute: pairs('attr_poll_ring_depth'), command: pairs('cmd_poll_ring_depth') };
  }

  /** writes the memorized values read at start (again after DevRestart) */
  private async restoreMemorized(): Promise<void> {
    for (const a of this.dev.attributes()) {
      const text = this.memorized.get(a.name.toLowerCase());
      if (!a.memorized || !a.write || text === undefined) continue;
      try {
        await a.write(parseMemorized(a.type, text));
      } catch (e) {
        this.ctx.onError?.(`${this.dev.name}/${a.name}: restoring the memorized value '${text}' failed: ${(e as Error).message}`);
      }
    }
  }

  /** AddObjPolling & co. changed the polling: polled_attr / polled_cmd follow */
  async savePolling(kind: PolledKind): Promise<void> {
    const store = this.ctx.store;
    if (!store) return;
    const prop = kind === 'attribute' ? 'polled_attr' : 'polled_cmd';
    const conf = this.poller.configuration(kind);
    if (conf.length) await store.putDeviceProperty(this.dev.name, prop, conf);
    else await store.deleteDeviceProperty(this.dev.name, prop);
  }

  // ---- misc -----------------------------------------------------------------------------------

  private info(): DeviceInfo {
    return {
      devClass: this.dev.className, serverId: this.ctx.serverName, serverHost: this.ctx.hostName, serverVersion: 5,
      docUrl: 'Doc URL = https://www.tango-controls.org', devType: this.dev.className,
    };
  }

  private remember(call: BlackBoxCall): void {
    this.blackBox.unshift({ call, host: hostName(hostOf(call.peer)), at: Date.now() });
    if (this.blackBox.length > BLACK_BOX_SIZE) this.blackBox.length = BLACK_BOX_SIZE;
  }

  private blackBoxReply(n: number): ReplyWriter {
    if (n <= 0) throw devFailed('API_BlackBoxArgument', 'The black box size must be a positive number', this.origin('black_box'));
    const items = this.blackBox.slice(0, n).map((e) => blackBoxEntry(e.call, new Date(e.at), e.host));
    return (w) => w.stringSeq(items);
  }

  private origin(what: string): string {
    return `${this.dev.name}: ${what}`;
  }
}

function parseMemorized(type: CmdArgType, text: string): AttrValue {
  switch (type) {
    case CmdArgType.DevString: return text;
    case CmdArgType.DevBoolean: return ['true', '1'].includes(text.trim().toLowerCase());
    case CmdArgType.DevLong64: case CmdArgType.DevULong64: return BigInt(text.trim());
  }
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`'${text}' is not a number`);
  return n;
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
