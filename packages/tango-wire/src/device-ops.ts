/**
 * The Tango Device interface operations as typed calls on an ObjectRef, choosing the operation
 * variant for the device's IDL version (read_attributes_5 … read_attributes, command_inout_4 …).
 * No caching or name resolution here; DeviceProxy and Database build on it.
 */
import { CdrReader, CdrWriter } from './cdr.js';
import { AttributeReading, readAttributeValueList3, readAttributeValueList45, writeAttributeValue1, writeAttributeValue45 } from './attribute-value.js';
import { DevSource, DevState, LockerLanguage } from './enums.js';
import {
  AttributeConfig, AttributeConfigVersion, ClntIdent, CommandInfo, DeviceInfo, readAttributeConfigList, readCommandInfo,
  readCommandInfoList, readDevInfo, writeClntIdent,
} from './idl.js';
import { ObjectRef } from './ior.js';
import { InvokeOptions, Orb } from './orb.js';
import { AnyValue, readAny, writeAny } from './typecode.js';

export interface DeviceTarget {
  orb: Orb;
  ref: ObjectRef;
  /** the device's IDL version (1…6; 6 is treated as 5) */
  idl: number;
}

const clntIdent = (): ClntIdent => ({ lang: LockerLanguage.CPP, pid: process.pid });

const readString = (r: CdrReader) => r.string();
const readBoolean = (r: CdrReader) => r.boolean();
const readNothing = () => undefined;

export function getState(t: DeviceTarget, o?: InvokeOptions): Promise<DevState> {
  return t.orb.invoke(t.ref, '_get_state', undefined, (r) => r.ulong(), o);
}
export function getStatus(t: DeviceTarget, o?: InvokeOptions): Promise<string> {
  return t.orb.invoke(t.ref, '_get_status', undefined, readString, o);
}
export function getName(t: DeviceTarget, o?: InvokeOptions): Promise<string> {
  return t.orb.invoke(t.ref, '_get_name', undefined, readString, o);
}
export function getAdmName(t: DeviceTarget, o?: InvokeOptions): Promise<string> {
  return t.orb.invoke(t.ref, '_get_adm_name', undefined, readString, o);
}
export function getDescription(t: DeviceTarget, o?: InvokeOptions): Promise<string> {
  return t.orb.invoke(t.ref, '_get_description', undefined, readString, o);
}
export function ping(t: DeviceTarget, o?: InvokeOptions): Promise<void> {
  return t.orb.invoke(t.ref, 'ping', undefined, readNothing, o);
}
export function isA(t: Omit<DeviceTarget, 'idl'>, repoId: string, o?: InvokeOptions): Promise<boolean> {
  return t.orb.invoke(t.ref, '_is_a', (w) => w.string(repoId), readBoolean, o);
}
export function nonExistent(t: Omit<DeviceTarget, 'idl'>, o?: InvokeOptions): Promise<boolean> {
  return t.orb.invoke(t.ref, '_non_existent', undefined, readBoolean, o);
}
export function blackBox(t: DeviceTarget, n: number, o?: InvokeOptions): Promise<string[]> {
  return t.orb.invoke(t.ref, 'black_box', (w) => w.long(n), (r) => r.stringSeq(), o);
}

/** IDL version by _is_a probing (no-database mode, where DbImportDevice cannot tell). */
export async function probeIdlVersion(t: Omit<DeviceTarget, 'idl'>, o?: InvokeOptions): Promise<number> {
  for (let v = 6; v >= 2; v--) {
    if (await isA(t, `IDL:Tango/Device_${v}:1.0`, o)) return v;
  }
  return 1;
}

export function info(t: DeviceTarget, o?: InvokeOptions): Promise<DeviceInfo> {
  if (t.idl >= 3) return t.orb.invoke(t.ref, 'info_3', undefined, (r) => readDevInfo(r, 3), o);
  return t.orb.invoke(t.ref, 'info', undefined, (r) => readDevInfo(r, 1), o);
}

export function commandQuery(t: DeviceTarget, cmd: string, o?: InvokeOptions): Promise<CommandInfo> {
  if (t.idl >= 2) return t.orb.invoke(t.ref, 'command_query_2', (w) => w.string(cmd), (r) => readCommandInfo(r, 2), o);
  return t.orb.invoke(t.ref, 'command_query', (w) => w.string(cmd), (r) => readCommandInfo(r, 1), o);
}

export function commandListQuery(t: DeviceTarget, o?: InvokeOptions): Promise<CommandInfo[]> {
  if (t.idl >= 2) return t.orb.invoke(t.ref, 'command_list_query_2', undefined, (r) => readCommandInfoList(r, 2), o);
  return t.orb.invoke(t.ref, 'command_list_query', undefined, (r) => readCommandInfoList(r, 1), o);
}

export function commandInout(t: DeviceTarget, cmd: string, arg: AnyValue, o?: InvokeOptions & { source?: DevSource }): Promise<AnyValue> {
  const source = o?.source ?? DevSource.CACHE_DEV;
  if (t.idl >= 4) {
    return t.orb.invoke(t.ref, 'command_inout_4', (w) => { w.string(cmd); writeAny(w, arg); w.ulong(source); writeClntIdent(w, clntIdent()); }, readAny, o);
  }
  if (t.idl >= 2) return t.orb.invoke(t.ref, 'command_inout_2', (w) => { w.string(cmd); writeAny(w, arg); w.ulong(source); }, readAny, o);
  return t.orb.invoke(t.ref, 'command_inout', (w) => { w.string(cmd); writeAny(w, arg); }, readAny, o);
}

export function readAttributes(t: DeviceTarget, names: readonly string[], o?: InvokeOptions & { source?: DevSource }): Promise<AttributeReading[]> {
  const source = o?.source ?? DevSource.CACHE_DEV;
  const w0 = (w: CdrWriter) => w.stringSeq(names);
  if (t.idl >= 5) return t.orb.invoke(t.ref, 'read_attributes_5', (w) => { w0(w); w.ulong(source); writeClntIdent(w, clntIdent()); }, (r) => readAttributeValueList45(r, 5), o);
  if (t.idl === 4) return t.orb.invoke(t.ref, 'read_attributes_4', (w) => { w0(w); w.ulong(source); writeClntIdent(w, clntIdent()); }, (r) => readAttributeValueList45(r, 4), o);
  if (t.idl === 3) return t.orb.invoke(t.ref, 'read_attributes_3', (w) => { w0(w); w.ulong(source); }, (r) => readAttributeValueList3(r, 3), o);
  if (t.idl === 2) return t.orb.invoke(t.ref, 'read_attributes_2', (w) => { w0(w); w.ulong(source); }, (r) => readAttributeValueList3(r, 1), o);
  return t.orb.invoke(t.ref, 'read_attributes', w0, (r) => readAttributeValueList3(r, 1), o);
}

/** Writes values (each a reading with name, type, format, shape and data filled in). */
export function writeAttributes(t: DeviceTarget, values: readonly AttributeReading[], o?: InvokeOptions): Promise<void> {
  if (t.idl >= 4) {
    return t.orb.invoke(t.ref, 'write_attributes_4', (w) => {
      w.ulong(values.length);
      for (const v of values) writeAttributeValue45(w, v, 4, true);
      writeClntIdent(w, clntIdent());
    }, readNothing, o);
  }
  const op = t.idl === 3 ? 'write_attributes_3' : 'write_attributes';
  return t.orb.invoke(t.ref, op, (w) => {
    w.ulong(values.length);
    for (const v of values) writeAttributeValue1(w, v);
  }, readNothing, o);
}

export function attributeConfigVersion(idl: number): AttributeConfigVersion {
  return idl >= 5 ? 5 : idl >= 3 ? 3 : idl === 2 ? 2 : 1;
}

/** get_attribute_config in the device's highest version; names may be the wildcard "All attributes". */
export function getAttributeConfig(t: DeviceTarget, names: readonly string[], o?: InvokeOptions): Promise<AttributeConfig[]> {
  const v = attributeConfigVersion(t.idl);
  const op = v === 1 ? 'get_attribute_config' : `get_attribute_config_${v}`;
  return t.orb.invoke(t.ref, op, (w) => w.stringSeq(names), (r) => readAttributeConfigList(r, v), o);
}

/** The wildcard that lists every attribute for the device's get_attribute_config variant. */
export function allAttributesWildcard(idl: number): string {
  return idl >= 3 ? 'All attributes_3' : 'All attributes';
}
