/**
 * What a Tango device served by this package is made of: attributes, commands, state and status.
 * A device class implements TangoDevice; the servant (servant.ts) turns it into the Device_5
 * CORBA interface. Values are plain JS values; conversion to wire arrays lives here too.
 */
import { CmdArgType, DevState, DispLevel } from '../enums.js';
import type { AttrData } from '../attribute-value.js';
import type { ClntIdent } from '../idl.js';

export type ScalarValue = string | number | boolean | bigint;
/** a scalar, or the elements of a spectrum */
export type AttrValue = ScalarValue | readonly ScalarValue[];

export interface AttributeSpec {
  readonly name: string;
  /** element type: DevString, DevBoolean, DevLong, DevDouble, ... */
  readonly type: CmdArgType;
  /** default 'scalar' */
  readonly format?: 'scalar' | 'spectrum';
  readonly writable?: boolean;
  /** maximum spectrum length (default 4096) */
  readonly maxDimX?: number;
  readonly level?: DispLevel;
  /** the value goes to the database (attribute property __value) on every write and is written back at start */
  readonly memorized?: boolean;
  /**
   * the device pushes change and archive events for this attribute itself (cppTango's
   * set_change_event(name, true)): clients can subscribe without polling; State and Status
   * always are
   */
  readonly pushesEvents?: boolean;
  readonly description?: string;
  readonly label?: string;
  readonly unit?: string;
  /** states in which reading is allowed (default: every state) */
  readonly readStates?: readonly DevState[];
  /** states in which writing is allowed (default: every state) */
  readonly writeStates?: readonly DevState[];
  read(): AttrValue;
  write?(value: AttrValue): void | Promise<void>;
}

export interface CommandSpec {
  readonly name: string;
  readonly in: CmdArgType;
  readonly out: CmdArgType;
  readonly inDesc?: string;
  readonly outDesc?: string;
  readonly level?: DispLevel;
  /** states in which the command is allowed (default: every state) */
  readonly states?: readonly DevState[];
  /**
   * gets the decoded argument (undefined for DevVoid) and who called (admin commands like
   * LockDevice need it); returns the result (ignored for DevVoid)
   */
  execute(arg: unknown, caller: Caller): unknown;
}

/** who called: the client's address and, from IDL 4 operations on, its identity (process id) */
export interface Caller {
  /** the client's IP address */
  readonly host: string;
  /** "ip:port" of the client's connection */
  readonly peer?: string;
  readonly ident?: ClntIdent;
}

/** A property a server wizard offers: its name, what it is for and its default as text. */
export interface WizardProperty {
  readonly name: string;
  readonly description: string;
  /** undefined: no default ("Not specified", as cppTango says) */
  readonly default?: string;
}

export interface TangoDevice {
  readonly name: string;
  readonly className: string;
  readonly description?: string;
  state(): DevState;
  status(): string;
  /** user attributes; State and Status are added by the servant */
  attributes(): readonly AttributeSpec[];
  /**
   * user commands; State, Status and Init are added by the servant unless defined here. The
   * servant keeps its lookup table while this returns the same list: return a new list when the
   * commands change, and keep the list otherwise (the servant asks on every command)
   */
  commands(): readonly CommandSpec[];
  /** the Init command */
  init?(): void | Promise<void>;
  /**
   * the device properties of the class, as the admin's QueryWizardDevProperty lists them for
   * Jive's and Astor's server wizards (the first device of a class speaks for it)
   */
  readonly wizardProperties?: readonly WizardProperty[];
  /**
   * false: State and Status change events need polling, as on cppTango's admin device (by
   * default the servant pushes them whenever they change)
   */
  readonly pushesStateEvents?: boolean;
}

/** Errors from device code: a `code` string property becomes the DevFailed reason. */
export function reasonOf(e: unknown, fallback: string): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && code !== '' ? code : fallback;
}

/** JS value → the typed array/string list a wire attribute value carries. */
export function toAttrData(type: CmdArgType, v: AttrValue): AttrData {
  const items: readonly ScalarValue[] = Array.isArray(v) ? v : [v as ScalarValue];
  const nums = () => items.map((x) => (typeof x === 'boolean' ? (x ? 1 : 0) : Number(x)));
  switch (type) {
    case CmdArgType.DevString: return items.map((x) => String(x));
    case CmdArgType.DevBoolean: return Uint8Array.from(items.map((x) => (x === true || x === 1 || x === 'true' ? 1 : 0)));
    case CmdArgType.DevDouble: return Float64Array.from(nums());
    case CmdArgType.DevFloat: return Float32Array.from(nums());
    case CmdArgType.DevLong: return Int32Array.from(nums());
    case CmdArgType.DevShort: case CmdArgType.DevEnum: return Int16Array.from(nums());
    case CmdArgType.DevUShort: return Uint16Array.from(nums());
    case CmdArgType.DevULong: case CmdArgType.DevState: return Uint32Array.from(nums());
    case CmdArgType.DevUChar: return Uint8Array.from(nums());
    case CmdArgType.DevLong64: return BigInt64Array.from(items.map((x) => BigInt(x)));
    case CmdArgType.DevULong64: return BigUint64Array.from(items.map((x) => BigInt(x)));
  }
  throw new TypeError(`attribute type ${CmdArgType[type] ?? type} is not supported`);
}

/** Wire data → JS value (scalar: the first element; DevBoolean as boolean). */
export function fromAttrData(type: CmdArgType, data: AttrData, scalar: boolean): AttrValue {
  const conv = (x: unknown): ScalarValue => (type === CmdArgType.DevBoolean ? x !== 0 : (x as ScalarValue));
  if (scalar) {
    if (data.length < 1) throw new RangeError('a scalar write without a value');
    return conv(data[0]);
  }
  return Array.from(data as ArrayLike<unknown>, conv);
}
