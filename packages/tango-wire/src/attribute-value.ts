/**
 * Attribute values: the package's value type (AttributeReading) and the wire forms
 * AttrValUnion, AttributeValue (IDL 1–3, `any`), AttributeValue_3, _4 and _5.
 */
import { CdrError, CdrReader, CdrWriter } from './cdr.js';
import { AttrDataFormat, AttrQuality, AttributeDataType, CmdArgType, DEV_STATE_NAMES, UNION_TO_CMDARG, unionTypeFor } from './enums.js';
import { DevError } from './errors.js';
import { readDevErrorList, readTimeVal, TimeVal, writeDevErrorList, writeTimeVal } from './idl.js';
import { AnyValue, readAny, TCKind, TypeCode, unalias, writeAny } from './typecode.js';
import { devVarTypeCode } from './command-args.js';

export interface DevEncoded { format: string; data: Uint8Array }

/**
 * Attribute data: Uint8Array for DevBoolean (0/1) and DevUChar, Int16Array, Int32Array,
 * BigInt64Array, Float32Array, Float64Array, Uint16Array, Uint32Array (DevULong and DevState),
 * BigUint64Array, string[] for DevString, DevEncoded[] for DevEncoded. Scalars hold one element.
 */
export type AttrData = Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array | Uint16Array | Uint32Array | BigUint64Array | string[] | DevEncoded[];

export interface AttributeReading {
  name: string;
  /** CmdArgType of the element (DevDouble, DevString, DevState, …); DevVoid when the read failed */
  type: CmdArgType;
  format: AttrDataFormat;
  /** [] scalar, [n] spectrum, [dim_y, dim_x] image */
  shape: number[];
  /** the read part, row-major */
  data: AttrData;
  /** the set point of writable attributes (absent for read-only ones) */
  writeShape?: number[];
  writeData?: AttrData;
  quality: AttrQuality;
  time: TimeVal;
  /** non-empty when this attribute could not be read (data is then empty) */
  errors: DevError[];
}

/** The value of a scalar reading (number, bigint, boolean, string, DevEncoded); DevState as its number. */
export function scalarOf(r: AttributeReading): number | bigint | boolean | string | DevEncoded {
  if (r.errors.length) throw new Error(`${r.name}: ${r.errors.map((e) => `${e.reason}: ${e.desc}`).join(' <- ')}`);
  if (r.data.length < 1) throw new Error(`${r.name}: no data`);
  const v = r.data[0];
  return r.type === CmdArgType.DevBoolean ? v !== 0 : v;
}

export function stateName(s: number): string {
  return DEV_STATE_NAMES[s] ?? `state ${s}`;
}

function elements(dim: { x: number; y: number }): number {
  return dim.x * (dim.y > 0 ? dim.y : 1);
}

function shapeOf(format: AttrDataFormat, dim: { x: number; y: number }): number[] {
  if (format === AttrDataFormat.SCALAR) return [];
  if (format === AttrDataFormat.IMAGE || dim.y > 0) return [dim.y, dim.x];
  return [dim.x];
}

// ------------------------------------------------------------------------------------ AttrValUnion

export interface UnionValue { kind: AttributeDataType; data: AttrData | null }

export function readAttrValUnion(r: CdrReader): UnionValue {
  const kind = r.ulong() as AttributeDataType;
  switch (kind) {
    case AttributeDataType.ATT_BOOL: case AttributeDataType.ATT_UCHAR: return { kind, data: r.raw(r.count(1, 'AttrValUnion')).slice() };
    case AttributeDataType.ATT_SHORT: return { kind, data: r.int16Array(r.count(2, 'AttrValUnion')) };
    case AttributeDataType.ATT_LONG: return { kind, data: r.int32Array(r.count(4, 'AttrValUnion')) };
    case AttributeDataType.ATT_LONG64: return { kind, data: r.bigInt64Array(r.count(8, 'AttrValUnion')) };
    case AttributeDataType.ATT_FLOAT: return { kind, data: r.float32Array(r.count(4, 'AttrValUnion')) };
    case AttributeDataType.ATT_DOUBLE: return { kind, data: r.float64Array(r.count(8, 'AttrValUnion')) };
    case AttributeDataType.ATT_USHORT: return { kind, data: r.uint16Array(r.count(2, 'AttrValUnion')) };
    case AttributeDataType.ATT_ULONG: case AttributeDataType.ATT_STATE: return { kind, data: r.uint32Array(r.count(4, 'AttrValUnion')) };
    case AttributeDataType.ATT_ULONG64: return { kind, data: r.bigUint64Array(r.count(8, 'AttrValUnion')) };
    case AttributeDataType.ATT_STRING: return { kind, data: r.stringSeq() };
    case AttributeDataType.DEVICE_STATE: return { kind, data: Uint32Array.of(r.ulong()) };
    case AttributeDataType.ATT_ENCODED: {
      const n = r.count(9, 'DevVarEncodedArray');
      const data: DevEncoded[] = [];
      for (let i = 0; i < n; i++) data.push({ format: r.string(), data: r.octetSeq() });
      return { kind, data };
    }
    case AttributeDataType.ATT_NO_DATA: r.boolean(); return { kind, data: null };
  }
  throw new CdrError(`invalid AttrValUnion discriminator ${kind}`);
}

export function writeAttrValUnion(w: CdrWriter, kind: AttributeDataType, data: AttrData | null): void {
  w.ulong(kind);
  const what = `${AttributeDataType[kind]} value`;
  switch (kind) {
    case AttributeDataType.ATT_NO_DATA: w.boolean(false); return;
    case AttributeDataType.DEVICE_STATE: {
      const v = data?.[0];
      if (typeof v !== 'number') throw new TypeError(`${what}: expected one DevState number`);
      w.ulong(v);
      return;
    }
  }
  if (!data) throw new TypeError(`${what}: no data`);
  const d = data as ArrayLike<unknown>;
  w.ulong(d.length);
  switch (kind) {
    case AttributeDataType.ATT_BOOL: case AttributeDataType.ATT_UCHAR:
      for (let i = 0; i < d.length; i++) w.octet(checkInt(d[i], 0, 255, what, i));
      return;
    case AttributeDataType.ATT_SHORT: w.numbers('short', checkInts(d, -32768, 32767, what)); return;
    case AttributeDataType.ATT_USHORT: w.numbers('ushort', checkInts(d, 0, 65535, what)); return;
    case AttributeDataType.ATT_LONG: w.numbers('long', checkInts(d, -2147483648, 2147483647, what)); return;
    case AttributeDataType.ATT_ULONG: case AttributeDataType.ATT_STATE: w.numbers('ulong', checkInts(d, 0, 4294967295, what)); return;
    case AttributeDataType.ATT_FLOAT: w.numbers('float', checkNums(d, what)); return;
    case AttributeDataType.ATT_DOUBLE: w.numbers('double', checkNums(d, what)); return;
    case AttributeDataType.ATT_LONG64: w.bigints('longlong', toBig(d, what)); return;
    case AttributeDataType.ATT_ULONG64: w.bigints('ulonglong', toBig(d, what)); return;
    case AttributeDataType.ATT_STRING:
      for (let i = 0; i < d.length; i++) {
        if (typeof d[i] !== 'string') throw new TypeError(`${what}[${i}]: expected a string`);
        w.string(d[i] as string);
      }
      return;
    case AttributeDataType.ATT_ENCODED:
      for (let i = 0; i < d.length; i++) {
        const e = d[i] as DevEncoded;
        if (!e || typeof e.format !== 'string' || !(e.data instanceof Uint8Array)) throw new TypeError(`${what}[${i}]: expected {format: string, data: Uint8Array}`);
        w.string(e.format).octetSeq(e.data);
      }
      return;
  }
  throw new TypeError(`invalid AttrValUnion discriminator ${kind}`);
}

function checkInt(v: unknown, lo: number, hi: number, what: string, i: number): number {
  const x = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) throw new RangeError(`${what}[${i}]: ${String(v)} is not an integer in [${lo}, ${hi}]`);
  return x;
}
function checkInts(d: ArrayLike<unknown>, lo: number, hi: number, what: string): ArrayLike<number> {
  for (let i = 0; i < d.length; i++) checkInt(d[i], lo, hi, what, i);
  return d as ArrayLike<number>;
}
function checkNums(d: ArrayLike<unknown>, what: string): ArrayLike<number> {
  if (d instanceof Float64Array || d instanceof Float32Array) return d;
  for (let i = 0; i < d.length; i++) if (typeof d[i] !== 'number') throw new TypeError(`${what}[${i}]: expected a number, got ${typeof d[i]}`);
  return d as ArrayLike<number>;
}
function toBig(d: ArrayLike<unknown>, what: string): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (typeof v === 'bigint') out.push(v);
    else if (typeof v === 'number' && Number.isInteger(v)) out.push(BigInt(v));
    else throw new TypeError(`${what}[${i}]: expected a bigint or an integer`);
  }
  return out;
}

function emptyFor(kind: AttributeDataType): AttrData {
  switch (kind) {
    case AttributeDataType.ATT_STRING: return [];
    case AttributeDataType.ATT_ENCODED: return [];
    default: return new Uint8Array(0);
  }
}

/** Splits the union payload into the read part and the set point by r_dim/w_dim. */
function split(data: AttrData, rDim: { x: number; y: number }, wDim: { x: number; y: number }): { read: AttrData; write?: AttrData } {
  const nr = elements(rDim);
  const nw = elements(wDim);
  if (nw === 0 || data.length < nr + nw) return { read: data.length > nr ? data.slice(0, nr) : data };
  return { read: data.slice(0, nr) as AttrData, write: data.slice(nr, nr + nw) as AttrData };
}

// ------------------------------------------------------------------------------------ AttributeValue_4/_5

export type AttributeValueVersion = 4 | 5;

function readDim(r: CdrReader): { x: number; y: number } {
  return { x: r.long(), y: r.long() };
}

export function readAttributeValue45(r: CdrReader, v: AttributeValueVersion): AttributeReading {
  const u = readAttrValUnion(r);
  const quality = r.ulong();
  const format: AttrDataFormat = r.ulong();
  const dataType: CmdArgType = v === 5 ? r.long() : UNION_TO_CMDARG[u.kind];
  const time = readTimeVal(r);
  const name = r.string();
  const rDim = readDim(r);
  const wDim = readDim(r);
  const errors = readDevErrorList(r);
  if (u.data === null) {
    return { name, type: v === 5 ? dataType : CmdArgType.DevVoid, format, shape: [], data: emptyFor(u.kind), quality, time, errors };
  }
  const { read, write } = split(u.data, rDim, wDim);
  const out: AttributeReading = { name, type: dataType, format, shape: shapeOf(format, rDim), data: read, quality, time, errors };
  if (write) {
    out.writeData = write;
    out.writeShape = shapeOf(format, wDim);
  }
  return out;
}

export function readAttributeValueList45(r: CdrReader, v: AttributeValueVersion): AttributeReading[] {
  const n = r.count(40, 'AttributeValueList');
  const out: AttributeReading[] = [];
  for (let i = 0; i < n; i++) out.push(readAttributeValue45(r, v));
  return out;
}

function dimOf(shape: number[] | undefined, n: number): { x: number; y: number } {
  if (!shape || shape.length === 0) return { x: n > 0 ? 1 : 0, y: 0 };
  if (shape.length === 1) return { x: shape[0], y: 0 };
  return { x: shape[1], y: shape[0] };
}

function concat(a: AttrData, b: AttrData): AttrData {
  if (Array.isArray(a)) return [...(a as unknown[]), ...(b as unknown[])] as AttrData;
  const C = a.constructor as new (n: number) => { set(x: ArrayLike<unknown>, o?: number): void };
  const out = new C(a.length + b.length);
  out.set(a as ArrayLike<unknown>, 0);
  out.set(b as ArrayLike<unknown>, a.length);
  return out as unknown as AttrData;
}

/**
 * Writes an AttributeValue_4 or _5 from a reading (a server answering read_attributes_4/5, or a
 * client writing with write_attributes_4, where only name, type, shape and data matter).
 */
export function writeAttributeValue45(w: CdrWriter, a: AttributeReading, v: AttributeValueVersion, forWrite = false): void {
  const failed = a.errors.length > 0;
  const kind = failed ? AttributeDataType.ATT_NO_DATA
    : a.type === CmdArgType.DevState && a.format === AttrDataFormat.SCALAR && a.name.toLowerCase() === 'state' ? AttributeDataType.DEVICE_STATE
      : unionTypeFor(a.type);
  const payload = failed ? null : kind === AttributeDataType.DEVICE_STATE || !a.writeData ? a.data : concat(a.data, a.writeData);
  writeAttrValUnion(w, kind, payload);
  w.ulong(a.quality);
  w.ulong(a.format);
  if (v === 5) w.long(failed ? 0 : a.type);
  writeTimeVal(w, a.time);
  w.string(a.name);
  const rd = failed ? { x: 0, y: 0 } : dimOf(a.shape, a.data.length);
  w.long(rd.x).long(rd.y);
  // a value sent to write_attributes_4 carries its dims in both r_dim and w_dim (cppTango checks w_dim)
  const wd = forWrite ? rd : a.writeData ? dimOf(a.writeShape, a.writeData.length) : { x: 0, y: 0 };
  w.long(wd.x).long(wd.y);
  writeDevErrorList(w, a.errors);
}

export function writeAttributeValueList45(w: CdrWriter, list: readonly AttributeReading[], v: AttributeValueVersion): void {
  w.ulong(list.length);
  for (const a of list) writeAttributeValue45(w, a, v);
}

// ------------------------------------------------------------------------------------ AttributeValue (any) / _3

/** CmdArgType and data from the `any` of an AttributeValue/_3. */
export function attrDataFromAny(a: AnyValue): { type: CmdArgType; data: AttrData | null } {
  const t = unalias(a.type);
  if (t.kind === TCKind.null || t.kind === TCKind.void) return { type: CmdArgType.DevVoid, data: null };
  if (t.kind === TCKind.enum) return { type: CmdArgType.DevState, data: Uint32Array.of(a.value as number) };
  if (t.kind !== TCKind.sequence) throw new CdrError(`attribute value of unexpected type kind ${TCKind[t.kind] ?? t.kind}`);
  const c = unalias(t.content);
  const v = a.value;
  switch (c.kind) {
    case TCKind.boolean: return { type: CmdArgType.DevBoolean, data: v as Uint8Array };
    case TCKind.octet: return { type: CmdArgType.DevUChar, data: v as Uint8Array };
    case TCKind.short: return { type: CmdArgType.DevShort, data: v as Int16Array };
    case TCKind.ushort: return { type: CmdArgType.DevUShort, data: v as Uint16Array };
    case TCKind.long: return { type: CmdArgType.DevLong, data: v as Int32Array };
    case TCKind.ulong: return { type: CmdArgType.DevULong, data: v as Uint32Array };
    case TCKind.longlong: return { type: CmdArgType.DevLong64, data: v as BigInt64Array };
    case TCKind.ulonglong: return { type: CmdArgType.DevULong64, data: v as BigUint64Array };
    case TCKind.float: return { type: CmdArgType.DevFloat, data: v as Float32Array };
    case TCKind.double: return { type: CmdArgType.DevDouble, data: v as Float64Array };
    case TCKind.string: return { type: CmdArgType.DevString, data: v as string[] };
    case TCKind.enum: return { type: CmdArgType.DevState, data: v as Uint32Array };
    case TCKind.struct: {
      const items = v as { encoded_format: string; encoded_data: Uint8Array }[];
      return { type: CmdArgType.DevEncoded, data: items.map((e) => ({ format: e.encoded_format, data: e.encoded_data })) };
    }
  }
  throw new CdrError(`attribute value: sequence of unexpected kind ${TCKind[c.kind] ?? c.kind}`);
}

/** The `any` carrying attribute data in IDL 1–3 (alias DevVar…Array, as cppTango builds it). */
export function attrDataToAny(type: CmdArgType, data: AttrData): AnyValue {
  const t: TypeCode = devVarTypeCode(type);
  const value = type === CmdArgType.DevEncoded ? (data as DevEncoded[]).map((e) => ({ encoded_format: e.format, encoded_data: e.data })) : data;
  return { type: t, value };
}

/** AttributeValue_3 (or the IDL 1/2 AttributeValue when version is 1). Format is inferred from the dims. */
export function readAttributeValue3(r: CdrReader, version: 1 | 3 = 3): AttributeReading {
  const any = readAny(r);
  const quality = r.ulong();
  const time = readTimeVal(r);
  const name = r.string();
  const rDim = readDim(r);
  const wDim = version === 3 ? readDim(r) : { x: 0, y: 0 };
  const errors = version === 3 ? readDevErrorList(r) : [];
  const { type, data } = attrDataFromAny(any);
  const format = rDim.y > 0 ? AttrDataFormat.IMAGE : rDim.x === 1 && (data?.length ?? 0) <= 2 ? AttrDataFormat.SCALAR : AttrDataFormat.SPECTRUM;
  if (!data) return { name, type, format: AttrDataFormat.FMT_UNKNOWN, shape: [], data: new Uint8Array(0), quality, time, errors };
  const { read, write } = split(data, rDim, wDim);
  const out: AttributeReading = { name, type, format, shape: shapeOf(format, rDim), data: read, quality, time, errors };
  if (write) { out.writeData = write; out.writeShape = shapeOf(format, wDim); }
  return out;
}

export function readAttributeValueList3(r: CdrReader, version: 1 | 3 = 3): AttributeReading[] {
  const n = r.count(24, 'AttributeValueList');
  const out: AttributeReading[] = [];
  for (let i = 0; i < n; i++) out.push(readAttributeValue3(r, version));
  return out;
}

/** IDL 1 AttributeValue, the argument of write_attributes / write_attributes_3. */
export function writeAttributeValue1(w: CdrWriter, a: AttributeReading): void {
  writeAny(w, attrDataToAny(a.type, a.data));
  w.ulong(a.quality);
  writeTimeVal(w, a.time);
  w.string(a.name);
  const d = dimOf(a.shape, a.data.length);
  w.long(d.x).long(d.y);
}

export function writeAttributeValue3(w: CdrWriter, a: AttributeReading): void {
  const failed = a.errors.length > 0;
  writeAny(w, failed ? { type: { kind: TCKind.null }, value: null } : attrDataToAny(a.type, a.writeData ? concat(a.data, a.writeData) : a.data));
  w.ulong(a.quality);
  writeTimeVal(w, a.time);
  w.string(a.name);
  const rd = failed ? { x: 0, y: 0 } : dimOf(a.shape, a.data.length);
  w.long(rd.x).long(rd.y);
  const wd = a.writeData ? dimOf(a.writeShape, a.writeData.length) : { x: 0, y: 0 };
  w.long(wd.x).long(wd.y);
  writeDevErrorList(w, a.errors);
}
