/**
 * Encoders/decoders for the Tango IDL structures other than attribute values: DevError/DevFailed,
 * TimeVal, AttributeConfig/_2/_3/_5, DevCmdInfo/_2, DevInfo/_3, ClntIdent.
 * The AttributeConfig versions share one superset type so a server can answer every version.
 */
import { CdrReader, CdrWriter } from './cdr.js';
import { AttrDataFormat, AttrWriteType, CmdArgType, DispLevel, ErrSeverity, LockerLanguage } from './enums.js';
import { DEV_FAILED_ID, DevError, MULTI_DEV_FAILED_ID, TangoDevFailed, TangoMultiDevFailed } from './errors.js';

export interface TimeVal { sec: number; usec: number; nsec: number }

export function readTimeVal(r: CdrReader): TimeVal {
  return { sec: r.long(), usec: r.long(), nsec: r.long() };
}
export function writeTimeVal(w: CdrWriter, t: TimeVal): void {
  w.long(t.sec).long(t.usec).long(t.nsec);
}
export function timeValNow(): TimeVal {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), usec: (ms % 1000) * 1000, nsec: 0 };
}

// ------------------------------------------------------------------------------------ errors

export function readDevErrorList(r: CdrReader): DevError[] {
  const n = r.count(16, 'DevErrorList');
  const out: DevError[] = [];
  for (let i = 0; i < n; i++) out.push({ reason: r.string(), severity: r.ulong(), desc: r.string(), origin: r.string() });
  return out;
}

export function writeDevErrorList(w: CdrWriter, errors: readonly DevError[]): void {
  w.ulong(errors.length);
  for (const e of errors) w.string(e.reason).ulong(e.severity).string(e.desc).string(e.origin);
}

/** Body of a USER_EXCEPTION reply after its repository id. */
export function readUserException(r: CdrReader, context?: string): Error {
  const id = r.string();
  if (id === DEV_FAILED_ID) return new TangoDevFailed(readDevErrorList(r), context);
  if (id === MULTI_DEV_FAILED_ID) {
    const n = r.count(12, 'MultiDevFailed');
    const failures = [];
    for (let i = 0; i < n; i++) failures.push({ name: r.string(), index: r.long(), errors: readDevErrorList(r) });
    return new TangoMultiDevFailed(failures);
  }
  return new Error(`${context ? context + ': ' : ''}unknown user exception ${id}`);
}

export function writeDevFailed(w: CdrWriter, errors: readonly DevError[]): void {
  w.string(DEV_FAILED_ID);
  writeDevErrorList(w, errors);
}

/** A MultiDevFailed user exception (what readUserException reads back as TangoMultiDevFailed). */
export function writeMultiDevFailed(w: CdrWriter, failures: TangoMultiDevFailed['failures']): void {
  w.string(MULTI_DEV_FAILED_ID);
  w.ulong(failures.length);
  for (const f of failures) {
    w.string(f.name).long(f.index);
    writeDevErrorList(w, f.errors);
  }
}

export function devError(reason: string, desc: string, origin: string, severity = ErrSeverity.ERR): DevError {
  return { reason, severity, desc, origin };
}

// ------------------------------------------------------------------------------------ commands

export interface CommandInfo {
  name: string;
  level: DispLevel;
  tag: number;
  inType: CmdArgType;
  outType: CmdArgType;
  inTypeDesc: string;
  outTypeDesc: string;
}

/** DevCmdInfo (version 1) or DevCmdInfo_2 (version 2, with the display level). */
export function readCommandInfo(r: CdrReader, version: 1 | 2): CommandInfo {
  const name = r.string();
  const level = version === 2 ? r.ulong() : DispLevel.OPERATOR;
  return { name, level, tag: r.long(), inType: r.long(), outType: r.long(), inTypeDesc: r.string(), outTypeDesc: r.string() };
}

export function writeCommandInfo(w: CdrWriter, c: CommandInfo, version: 1 | 2): void {
  w.string(c.name);
  if (version === 2) w.ulong(c.level);
  w.long(c.tag).long(c.inType).long(c.outType).string(c.inTypeDesc).string(c.outTypeDesc);
}

export function readCommandInfoList(r: CdrReader, version: 1 | 2): CommandInfo[] {
  const n = r.count(24, 'DevCmdInfoList');
  const out: CommandInfo[] = [];
  for (let i = 0; i < n; i++) out.push(readCommandInfo(r, version));
  return out;
}

export function writeCommandInfoList(w: CdrWriter, list: readonly CommandInfo[], version: 1 | 2): void {
  w.ulong(list.length);
  for (const c of list) writeCommandInfo(w, c, version);
}

// ------------------------------------------------------------------------------------ device info

export interface DeviceInfo {
  devClass: string;
  serverId: string;
  serverHost: string;
  serverVersion: number;
  docUrl: string;
  /** DevInfo_3 only */
  devType?: string;
}

export function readDevInfo(r: CdrReader, version: 1 | 3): DeviceInfo {
  const d: DeviceInfo = { devClass: r.string(), serverId: r.string(), serverHost: r.string(), serverVersion: r.long(), docUrl: r.string() };
  if (version === 3) d.devType = r.string();
  return d;
}

export function writeDevInfo(w: CdrWriter, d: DeviceInfo, version: 1 | 3): void {
  w.string(d.devClass).string(d.serverId).string(d.serverHost).long(d.serverVersion).string(d.docUrl);
  if (version === 3) w.string(d.devType ?? 'Uninitialised');
}

// ------------------------------------------------------------------------------------ ClntIdent

export type ClntIdent = { lang: LockerLanguage.CPP; pid: number } | { lang: LockerLanguage.JAVA; mainClass: string; uuid: [bigint, bigint] };

export function writeClntIdent(w: CdrWriter, c: ClntIdent): void {
  w.ulong(c.lang);
  if (c.lang === LockerLanguage.CPP) w.ulong(c.pid);
  else w.string(c.mainClass).ulonglong(c.uuid[0]).ulonglong(c.uuid[1]);
}

export function readClntIdent(r: CdrReader): ClntIdent {
  const lang = r.ulong();
  if (lang === LockerLanguage.CPP) return { lang, pid: r.ulong() };
  if (lang === LockerLanguage.JAVA) return { lang, mainClass: r.string(), uuid: [r.ulonglong(), r.ulonglong()] };
  throw new RangeError(`ClntIdent: invalid LockerLanguage ${lang}`);
}

// ------------------------------------------------------------------------------------ attribute config

export interface AttributeAlarm {
  minAlarm: string; maxAlarm: string; minWarning: string; maxWarning: string; deltaT: string; deltaVal: string; extensions: string[];
}
export interface EventProperties {
  change: { relChange: string; absChange: string; extensions: string[] };
  periodic: { period: string; extensions: string[] };
  archive: { relChange: string; absChange: string; period: string; extensions: string[] };
}

/** The union of AttributeConfig, _2, _3 and _5 (fields a version lacks get defaults on read). */
export interface AttributeConfig {
  name: string;
  writable: AttrWriteType;
  dataFormat: AttrDataFormat;
  dataType: CmdArgType;
  memorized: boolean;
  memInit: boolean;
  maxDimX: number;
  maxDimY: number;
  description: string;
  label: string;
  unit: string;
  standardUnit: string;
  displayUnit: string;
  format: string;
  minValue: string;
  maxValue: string;
  writableAttrName: string;
  level: DispLevel;
  rootAttrName: string;
  enumLabels: string[];
  alarm: AttributeAlarm;
  events: EventProperties;
  extensions: string[];
  sysExtensions: string[];
}

export type AttributeConfigVersion = 1 | 2 | 3 | 5;

const NOT_SPECIFIED = 'Not specified';

const INTEGER_TYPES = new Set([CmdArgType.DevShort, CmdArgType.DevLong, CmdArgType.DevLong64, CmdArgType.DevUChar, CmdArgType.DevUShort, CmdArgType.DevULong, CmdArgType.DevULong64]);

/**
 * The format an attribute has until someone sets one, by data type, as cppTango's
 * MultiAttribute::add_default gives it: GUIs format values with it (Taurus shows a boolean with
 * "%6.2f" as "  1.00"), so "Not specified" where no printf format fits.
 */
export function defaultFormat(dataType: CmdArgType): string {
  if (INTEGER_TYPES.has(dataType)) return '%d';
  if (dataType === CmdArgType.DevString || dataType === CmdArgType.DevEnum) return '%s';
  if (dataType === CmdArgType.DevFloat || dataType === CmdArgType.DevDouble) return '%6.2f';
  return NOT_SPECIFIED;
}

/** A config with Tango's defaults, for servers building one. */
export function defaultAttributeConfig(name: string, dataType: CmdArgType, dataFormat = AttrDataFormat.SCALAR, writable = AttrWriteType.READ): AttributeConfig {
  return {
    name, writable, dataFormat, dataType, memorized: false, memInit: false,
    maxDimX: dataFormat === AttrDataFormat.SCALAR ? 1 : 4096, maxDimY: dataFormat === AttrDataFormat.IMAGE ? 4096 : 0,
    description: 'No description', label: name, unit: '', standardUnit: 'No standard unit', displayUnit: 'No display unit',
    format: defaultFormat(dataType), minValue: 'Not specified', maxValue: 'Not specified',
    writableAttrName: writable === AttrWriteType.READ ? 'None' : name, level: DispLevel.OPERATOR, rootAttrName: 'Not specified', enumLabels: [],
    alarm: { minAlarm: NOT_SPECIFIED, maxAlarm: NOT_SPECIFIED, minWarning: NOT_SPECIFIED, maxWarning: NOT_SPECIFIED, deltaT: NOT_SPECIFIED, deltaVal: NOT_SPECIFIED, extensions: [] },
    events: {
      change: { relChange: NOT_SPECIFIED, absChange: NOT_SPECIFIED, extensions: [] },
      periodic: { period: '1000', extensions: [] },
      archive: { relChange: NOT_SPECIFIED, absChange: NOT_SPECIFIED, period: NOT_SPECIFIED, extensions: [] },
    },
    extensions: [], sysExtensions: [],
  };
}

export function readAttributeConfig(r: CdrReader, v: AttributeConfigVersion): AttributeConfig {
  const name = r.string();
  const c = defaultAttributeConfig(name, CmdArgType.DevVoid);
  c.writable = r.ulong();
  c.dataFormat = r.ulong();
  c.dataType = r.long();
  if (v === 5) {
    c.memorized = r.boolean();
    c.memInit = r.boolean();
  }
  c.maxDimX = r.long();
  c.maxDimY = r.long();
  c.description = r.string();
  c.label = r.string();
  c.unit = r.string();
  c.standardUnit = r.string();
  c.displayUnit = r.string();
  c.format = r.string();
  c.minValue = r.string();
  c.maxValue = r.string();
  if (v === 1 || v === 2) {
    c.alarm.minAlarm = r.string();
    c.alarm.maxAlarm = r.string();
  }
  c.writableAttrName = r.string();
  if (v === 1) {
    c.extensions = r.stringSeq();
    return c;
  }
  c.level = r.ulong();
  if (v === 2) {
    c.extensions = r.stringSeq();
    return c;
  }
  if (v === 5) {
    c.rootAttrName = r.string();
    c.enumLabels = r.stringSeq();
  }
  c.alarm = { minAlarm: r.string(), maxAlarm: r.string(), minWarning: r.string(), maxWarning: r.string(), deltaT: r.string(), deltaVal: r.string(), extensions: r.stringSeq() };
  c.events = {
    change: { relChange: r.string(), absChange: r.string(), extensions: r.stringSeq() },
    periodic: { period: r.string(), extensions: r.stringSeq() },
    archive: { relChange: r.string(), absChange: r.string(), period: r.string(), extensions: r.stringSeq() },
  };
  c.extensions = r.stringSeq();
  c.sysExtensions = r.stringSeq();
  return c;
}

export function writeAttributeConfig(w: CdrWriter, c: AttributeConfig, v: AttributeConfigVersion): void {
  w.string(c.name).ulong(c.writable).ulong(c.dataFormat).long(c.dataType);
  if (v === 5) w.boolean(c.memorized).boolean(c.memInit);
  w.long(c.maxDimX).long(c.maxDimY);
  w.string(c.description).string(c.label).string(c.unit).string(c.standardUnit).string(c.displayUnit).string(c.format);
  w.string(c.minValue).string(c.maxValue);
  if (v === 1 || v === 2) w.string(c.alarm.minAlarm).string(c.alarm.maxAlarm);
  w.string(c.writableAttrName);
  if (v === 1) { w.stringSeq(c.extensions); return; }
  w.ulong(c.level);
  if (v === 2) { w.stringSeq(c.extensions); return; }
  if (v === 5) { w.string(c.rootAttrName); w.stringSeq(c.enumLabels); }
  const a = c.alarm;
  w.string(a.minAlarm).string(a.maxAlarm).string(a.minWarning).string(a.maxWarning).string(a.deltaT).string(a.deltaVal).stringSeq(a.extensions);
  const e = c.events;
  w.string(e.change.relChange).string(e.change.absChange).stringSeq(e.change.extensions);
  w.string(e.periodic.period).stringSeq(e.periodic.extensions);
  w.string(e.archive.relChange).string(e.archive.absChange).string(e.archive.period).stringSeq(e.archive.extensions);
  w.stringSeq(c.extensions);
  w.stringSeq(c.sysExtensions);
}

export function readAttributeConfigList(r: CdrReader, v: AttributeConfigVersion): AttributeConfig[] {
  const n = r.count(32, 'AttributeConfigList');
  const out: AttributeConfig[] = [];
  for (let i = 0; i < n; i++) out.push(readAttributeConfig(r, v));
  return out;
}

export function writeAttributeConfigList(w: CdrWriter, list: readonly AttributeConfig[], v: AttributeConfigVersion): void {
  w.ulong(list.length);
  for (const c of list) writeAttributeConfig(w, c, v);
}
